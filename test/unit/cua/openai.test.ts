import { describe, expect, it } from 'vitest';
import {
  buildOpenAiRequest,
  type CuaLogEntry,
  type CuaStepRecord,
  openAiVariantForModel,
  parseOpenAiResponse,
  runOpenAiCuaLoop,
} from '../../../src/engines/cua/index.js';
import { parseOpenAiAction } from '../../../src/engines/cua/openai/protocol.js';
import { CuaProtocolError } from '../../../src/engines/cua/shared/errors.js';
import { imageSize, RecordingComputer, scriptedTransport } from './fakes.js';

let n = 0;
const resp = (output: unknown[], usage = { input_tokens: 100, output_tokens: 10 }) => ({
  id: `resp_${++n}`,
  object: 'response',
  status: 'completed',
  model: 'computer-use-preview',
  output,
  usage,
});
const call = (callId: string, action: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'computer_call',
  id: `cu_${callId}`,
  call_id: callId,
  status: 'completed',
  action,
  pending_safety_checks: [],
  ...extra,
});
const message = (text: string) => ({
  type: 'message',
  role: 'assistant',
  content: [{ type: 'output_text', text, annotations: [] }],
});

describe('OpenAI protocol', () => {
  it('chooses the tool variant from the model id', () => {
    expect(openAiVariantForModel('computer-use-preview')).toBe('preview');
    expect(openAiVariantForModel('computer-use-preview-2025-03-11')).toBe('preview');
    expect(openAiVariantForModel('gpt-5.4')).toBe('ga');
    expect(openAiVariantForModel('gpt-5.5-mini')).toBe('ga');
  });

  it('builds the preview request with display size, environment, truncation and chaining', () => {
    const req = buildOpenAiRequest({
      model: 'computer-use-preview',
      variant: 'preview',
      display: { width: 1024, height: 768 },
      input: [{ type: 'computer_call_output', call_id: 'c1', output: {} }],
      previousResponseId: 'resp_9',
    });
    expect(req.path).toBe('/responses');
    expect(req.body).toEqual({
      model: 'computer-use-preview',
      tools: [
        {
          type: 'computer_use_preview',
          display_width: 1024,
          display_height: 768,
          environment: 'browser',
        },
      ],
      input: [{ type: 'computer_call_output', call_id: 'c1', output: {} }],
      previous_response_id: 'resp_9',
      reasoning: { summary: 'concise' },
      truncation: 'auto',
    });
  });

  it('builds the GA request with the bare computer tool and no truncation', () => {
    const req = buildOpenAiRequest({
      model: 'gpt-5.4',
      variant: 'ga',
      display: { width: 1024, height: 768 },
      input: [],
      previousResponseId: null,
    });
    expect(req.body).toEqual({ model: 'gpt-5.4', tools: [{ type: 'computer' }], input: [] });
  });

  it('translates every action kind, mapping buttons and key names', () => {
    expect(parseOpenAiAction({ type: 'click', button: 'left', x: 1, y: 2 })).toEqual({
      kind: 'click',
      at: { x: 1, y: 2 },
      button: 'left',
      clickCount: 1,
      modifiers: [],
    });
    expect(
      parseOpenAiAction({ type: 'click', button: 'wheel', x: 1, y: 2, keys: ['CTRL'] }),
    ).toEqual({
      kind: 'click',
      at: { x: 1, y: 2 },
      button: 'middle',
      clickCount: 1,
      modifiers: ['Control'],
    });
    expect(parseOpenAiAction({ type: 'click', button: 'right', x: 1, y: 2 })).toMatchObject({
      button: 'right',
    });
    expect(parseOpenAiAction({ type: 'double_click', x: 3, y: 4 })).toMatchObject({
      kind: 'click',
      clickCount: 2,
    });
    expect(parseOpenAiAction({ type: 'scroll', x: 5, y: 6, scroll_x: -10, scroll_y: 600 })).toEqual(
      {
        kind: 'scroll',
        at: { x: 5, y: 6 },
        dx: -10,
        dy: 600,
        unit: 'model',
        modifiers: [],
      },
    );
    expect(parseOpenAiAction({ type: 'type', text: 'hi\n' })).toEqual({
      kind: 'type',
      text: 'hi\n',
      pressEnterAfter: false,
    });
    expect(parseOpenAiAction({ type: 'keypress', keys: ['CTRL', 'A'] })).toEqual({
      kind: 'keypress',
      keys: ['Control', 'A'],
      repeat: 1,
    });
    expect(parseOpenAiAction({ type: 'keypress', keys: ['ARROWLEFT'] })).toMatchObject({
      keys: ['ArrowLeft'],
    });
    expect(parseOpenAiAction({ type: 'move', x: 7, y: 8 })).toEqual({
      kind: 'move',
      to: { x: 7, y: 8 },
      modifiers: [],
    });
    expect(
      parseOpenAiAction({
        type: 'drag',
        path: [
          { x: 1, y: 1 },
          { x: 2, y: 2 },
          { x: 3, y: 3 },
        ],
      }),
    ).toEqual({
      kind: 'drag',
      path: [
        { x: 1, y: 1 },
        { x: 2, y: 2 },
        { x: 3, y: 3 },
      ],
      fromCursor: false,
      modifiers: [],
    });
    expect(parseOpenAiAction({ type: 'wait' })).toEqual({ kind: 'wait', ms: 2000 });
    expect(parseOpenAiAction({ type: 'screenshot' })).toEqual({ kind: 'screenshot' });
  });

  it('turns unknown or malformed actions into invalid actions with a reason', () => {
    expect(parseOpenAiAction({ type: 'teleport', x: 1 })).toEqual({
      kind: 'invalid',
      name: 'teleport',
      reason: 'teleport: unknown action type',
    });
    expect(parseOpenAiAction({ type: 'click', x: 'a', y: 1 })).toMatchObject({
      kind: 'invalid',
      reason: 'click: "x" must be a number',
    });
    expect(parseOpenAiAction({ type: 'click', button: 'back', x: 1, y: 1 })).toMatchObject({
      kind: 'invalid',
    });
    expect(parseOpenAiAction({ type: 'keypress', keys: ['HYPER'] })).toMatchObject({
      reason: 'keypress: unknown key name "HYPER"',
    });
    expect(parseOpenAiAction({ type: 'drag', path: [{ x: 1, y: 1 }] })).toMatchObject({
      kind: 'invalid',
    });
    expect(parseOpenAiAction('click')).toMatchObject({ kind: 'invalid', name: '(missing type)' });
  });

  it('parses a response: reasoning, calls in order, message text, usage', () => {
    const parsed = parseOpenAiResponse(
      resp([
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Clicking.' }] },
        call('c1', { type: 'click', button: 'left', x: 1, y: 1 }),
        { type: 'function_call', call_id: 'f1', name: 'goto', arguments: '{"url":"x"}' },
        message('hello'),
      ]),
    );
    expect(parsed.reasoning).toBe('Clicking.');
    expect(parsed.calls.map((c) => [c.type, c.callId])).toEqual([
      ['computer_call', 'c1'],
      ['function_call', 'f1'],
    ]);
    expect(parsed.message).toBe('hello');
    expect(parsed.usage).toEqual({ inputTokens: 100, outputTokens: 10 });
  });

  it('throws CuaProtocolError on malformed bodies', () => {
    expect(() => parseOpenAiResponse('nope')).toThrow(CuaProtocolError);
    expect(() => parseOpenAiResponse({ id: 'r', output: 'x' })).toThrow('no "output" array');
    expect(() => parseOpenAiResponse({ output: [] })).toThrow('no string "id"');
    expect(() =>
      parseOpenAiResponse({ id: 'r', output: [{ type: 'computer_call', action: {} }] }),
    ).toThrow('no "call_id"');
    expect(() =>
      parseOpenAiResponse({ id: 'r', status: 'failed', error: { message: 'boom' }, output: [] }),
    ).toThrow('boom');
  });
});

describe('runOpenAiCuaLoop', () => {
  const base = (
    computer: RecordingComputer,
    postJson: Parameters<typeof runOpenAiCuaLoop>[0]['postJson'],
  ) => ({
    computer,
    postJson,
    task: 'Fill the form',
    maxSteps: 10,
  });

  it('drives the preview tool: scaled clicks, screenshots at display size, chained ids, final answer', async () => {
    const computer = new RecordingComputer(1280, 960);
    const { postJson, requests } = scriptedTransport([
      resp([
        { type: 'reasoning', id: 'rs', summary: [] },
        call('call_1', { type: 'click', button: 'left', x: 512, y: 384 }),
      ]),
      resp([call('call_2', { type: 'type', text: 'hello' })]),
      resp([message('Done: submitted')], { input_tokens: 5, output_tokens: 3 }),
    ]);
    const steps: CuaStepRecord[] = [];
    const result = await runOpenAiCuaLoop({
      ...base(computer, postJson),
      model: 'computer-use-preview',
      displaySize: { width: 1024, height: 768 },
      onStep: (s) => steps.push(s),
    });
    expect(result).toEqual({
      outcome: 'completed',
      answer: 'Done: submitted',
      reason: null,
      steps: 3,
      usage: { inputTokens: 205, outputTokens: 23 },
    });
    expect(computer.actions).toEqual([
      { op: 'click', at: { x: 640, y: 480 }, button: 'left', clickCount: 1 },
      { op: 'type', text: 'hello' },
    ]);
    // First request: task + screenshot at the declared size, no previous id.
    const first = requests[0]!.body;
    expect(first['previous_response_id']).toBeUndefined();
    const firstInput = first['input'] as Array<{ content: Array<Record<string, string>> }>;
    expect(firstInput[0]!.content[0]).toEqual({ type: 'input_text', text: 'Fill the form' });
    expect(imageSize(firstInput[0]!.content[1]!['image_url']!)).toEqual({
      width: 1024,
      height: 768,
    });
    // Then one computer_call_output per call, chained to the previous response.
    expect(requests[1]!.body['previous_response_id']).toBe('resp_' + (n - 2));
    const out = (requests[1]!.body['input'] as Array<Record<string, unknown>>)[0]!;
    expect(out['type']).toBe('computer_call_output');
    expect(out['call_id']).toBe('call_1');
    expect(out['acknowledged_safety_checks']).toBeUndefined();
    const output = out['output'] as Record<string, string>;
    expect(output['type']).toBe('computer_screenshot');
    expect(imageSize(output['image_url']!)).toEqual({ width: 1024, height: 768 });
    expect(requests.every((r) => r.body['truncation'] === 'auto')).toBe(true);
    expect(steps.map((s) => s.actions.length)).toEqual([1, 1, 0]);
    expect(steps[0]!.screenshot).toBeInstanceOf(Buffer);
    expect(steps[2]!.message).toBe('Done: submitted');
  });

  it('answers every call id when one response holds several calls, a GA batch and a function call', async () => {
    const computer = new RecordingComputer(1024, 768);
    const { postJson, requests } = scriptedTransport([
      resp([
        {
          type: 'computer_call',
          id: 'cu_a',
          call_id: 'call_a',
          status: 'completed',
          pending_safety_checks: [],
          actions: [
            { type: 'move', x: 10, y: 10 },
            { type: 'click', button: 'right', x: 20, y: 20 },
            { type: 'keypress', keys: ['CTRL', 'A'] },
            { type: 'scroll', x: 30, y: 30, scroll_x: 0, scroll_y: 600 },
            {
              type: 'drag',
              path: [
                { x: 1, y: 1 },
                { x: 5, y: 5 },
                { x: 9, y: 9 },
              ],
            },
            { type: 'double_click', x: 40, y: 40 },
            { type: 'wait' },
            { type: 'screenshot' },
          ],
        },
        call('call_b', { type: 'type', text: 'x' }),
        {
          type: 'function_call',
          call_id: 'fn_1',
          name: 'goto',
          arguments: '{"url":"https://a.test"}',
        },
      ]),
      resp([message('ok')]),
    ]);
    const result = await runOpenAiCuaLoop({ ...base(computer, postJson), model: 'gpt-5.4' });
    expect(result.outcome).toBe('completed');
    expect(computer.actions.map((c) => c.op)).toEqual([
      'mouseMove',
      'click',
      'keypress',
      'scroll',
      'drag',
      'click',
      'wait',
      'type',
    ]);
    const input = requests[1]!.body['input'] as Array<Record<string, unknown>>;
    expect(input.map((i) => [i['type'], i['call_id']])).toEqual([
      ['computer_call_output', 'call_a'],
      ['computer_call_output', 'call_b'],
      ['function_call_output', 'fn_1'],
      [undefined, undefined],
    ]);
    expect((input[0]!['output'] as Record<string, unknown>)['detail']).toBe('original');
    expect(input[2]!['output']).toContain('no function named "goto"');
    expect(requests[0]!.body['tools']).toEqual([{ type: 'computer' }]);
    expect(requests[0]!.body['truncation']).toBeUndefined();
  });

  it('answers an unknown action with an error note and keeps going', async () => {
    const computer = new RecordingComputer();
    const { postJson, requests } = scriptedTransport([
      resp([call('call_1', { type: 'teleport', x: 1, y: 1 })]),
      resp([message('gave up teleporting')]),
    ]);
    const steps: CuaStepRecord[] = [];
    const result = await runOpenAiCuaLoop({
      ...base(computer, postJson),
      model: 'computer-use-preview',
      onStep: (s) => steps.push(s),
    });
    expect(result.outcome).toBe('completed');
    expect(steps[0]!.actions[0]).toMatchObject({
      status: 'failed',
      callId: 'call_1',
      error: 'teleport: unknown action type',
    });
    const input = requests[1]!.body['input'] as Array<Record<string, unknown>>;
    expect(input[0]).toMatchObject({ type: 'computer_call_output', call_id: 'call_1' });
    expect(JSON.stringify(input[1])).toContain('teleport: unknown action type');
  });

  it('acknowledges safety checks by echoing the same objects when the policy says so', async () => {
    const computer = new RecordingComputer();
    const check = {
      id: 'cu_sc_1',
      code: 'malicious_instructions',
      message: 'Page text tells you to…',
    };
    const { postJson, requests } = scriptedTransport([
      resp([call('call_1', { type: 'type', text: 'hello\n' }, { pending_safety_checks: [check] })]),
      resp([message('done')]),
    ]);
    const logs: CuaLogEntry[] = [];
    const result = await runOpenAiCuaLoop({
      ...base(computer, postJson),
      model: 'computer-use-preview',
      safetyCheckPolicy: 'acknowledge',
      onLog: (l) => logs.push(l),
    });
    expect(result.outcome).toBe('completed');
    expect(computer.actions).toEqual([{ op: 'type', text: 'hello\n' }]);
    const out = (requests[1]!.body['input'] as Array<Record<string, unknown>>)[0]!;
    expect(out['acknowledged_safety_checks']).toEqual([check]);
    expect(logs).toEqual([
      expect.objectContaining({ level: 'warn', data: { checks: [check], policy: 'acknowledge' } }),
    ]);
  });

  it('stops and reports on safety checks by default, without running the action', async () => {
    const computer = new RecordingComputer();
    const check = { id: 'cu_sc_2', code: 'sensitive_domain', message: 'Banking site' };
    const { postJson, requests } = scriptedTransport([
      resp([
        call(
          'call_1',
          { type: 'click', button: 'left', x: 1, y: 1 },
          { pending_safety_checks: [check] },
        ),
      ]),
    ]);
    const logs: CuaLogEntry[] = [];
    const result = await runOpenAiCuaLoop({
      ...base(computer, postJson),
      model: 'computer-use-preview',
      onLog: (l) => logs.push(l),
    });
    expect(result).toMatchObject({
      outcome: 'safety_stop',
      reason: 'the model raised safety checks: sensitive_domain: Banking site',
      steps: 1,
    });
    expect(computer.actions).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(logs[0]!.message).toContain('stopping');
  });

  it('fails the run with a typed reason on a malformed reply or an HTTP error', async () => {
    const malformed = scriptedTransport([
      { id: 'resp_x', output: [{ type: 'computer_call', action: { type: 'wait' } }] },
    ]);
    const r1 = await runOpenAiCuaLoop({
      ...base(new RecordingComputer(), malformed.postJson),
      model: 'gpt-5.4',
    });
    expect(r1).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/^malformed model reply: .*call_id/),
    });

    const http = scriptedTransport([
      () => ({
        status: 400,
        json: { error: { message: 'No tool output found for computer call call_1.' } },
      }),
    ]);
    const r2 = await runOpenAiCuaLoop({
      ...base(new RecordingComputer(), http.postJson),
      model: 'gpt-5.4',
    });
    expect(r2).toMatchObject({
      outcome: 'failed',
      reason: 'model request failed: HTTP 400: No tool output found for computer call call_1.',
    });
  });

  it('honours the abort signal between actions and stops at max_steps', async () => {
    const computer = new RecordingComputer();
    const controller = new AbortController();
    computer.onWait = () => controller.abort();
    const batch = {
      type: 'computer_call',
      id: 'cu',
      call_id: 'c',
      status: 'completed',
      pending_safety_checks: [],
      actions: [{ type: 'wait' }, { type: 'click', button: 'left', x: 1, y: 1 }],
    };
    const { postJson } = scriptedTransport([resp([batch])]);
    const canceled = await runOpenAiCuaLoop({
      ...base(computer, postJson),
      model: 'gpt-5.4',
      signal: controller.signal,
    });
    expect(canceled.outcome).toBe('canceled');
    expect(computer.actions.map((c) => c.op)).toEqual(['wait']);

    const loop = scriptedTransport([
      resp([call('a', { type: 'wait' })]),
      resp([call('b', { type: 'wait' })]),
    ]);
    const capped = await runOpenAiCuaLoop({
      ...base(new RecordingComputer(), loop.postJson),
      model: 'gpt-5.4',
      maxSteps: 2,
    });
    expect(capped).toMatchObject({ outcome: 'max_steps', steps: 2 });
  });
});
