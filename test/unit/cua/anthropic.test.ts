import { describe, expect, it } from 'vitest';
import { pruneImages } from '../../../src/engines/cua/anthropic/loop.js';
import { parseAnthropicAction } from '../../../src/engines/cua/anthropic/protocol.js';
import {
  anthropicToolVersionForModel,
  buildAnthropicRequest,
  type CuaStepRecord,
  parseAnthropicMessage,
  runAnthropicCuaLoop,
} from '../../../src/engines/cua/index.js';
import { CuaProtocolError } from '../../../src/engines/cua/shared/errors.js';
import { imageSize, RecordingComputer, scriptedTransport } from './fakes.js';

let n = 0;
const msg = (content: unknown[], stop_reason = 'tool_use') => ({
  id: `msg_${++n}`,
  type: 'message',
  role: 'assistant',
  model: 'claude',
  content,
  stop_reason,
  stop_sequence: null,
  usage: { input_tokens: 50, output_tokens: 5 },
});
const use = (id: string, input: Record<string, unknown>) => ({
  type: 'tool_use',
  id,
  name: 'computer',
  input,
});
const member = (id: string, name: string, input: Record<string, unknown> = {}) => ({
  type: 'tool_use',
  id,
  name,
  input,
  toolset_name: 'computer',
  caller: { type: 'direct' },
});

describe('Anthropic protocol', () => {
  it('chooses the tool version from the model id', () => {
    expect(anthropicToolVersionForModel('claude-3-5-sonnet-20241022')).toBe('computer_20241022');
    expect(anthropicToolVersionForModel('claude-sonnet-4-5-20250929')).toBe('computer_20250124');
    expect(anthropicToolVersionForModel('claude-haiku-4-5')).toBe('computer_20250124');
    expect(anthropicToolVersionForModel('claude-3-7-sonnet-latest')).toBe('computer_20250124');
    expect(anthropicToolVersionForModel('claude-opus-4-5-20251101')).toBe('computer_20251124');
    expect(anthropicToolVersionForModel('claude-sonnet-4-6')).toBe('computer_20251124');
    expect(anthropicToolVersionForModel('claude-opus-4-7')).toBe('computer_20251124');
    expect(anthropicToolVersionForModel('claude-opus-5')).toBe('computer_20251124');
    expect(anthropicToolVersionForModel('claude-opus-5-5')).toBe('computer_toolset_20260801');
    expect(anthropicToolVersionForModel('claude-sonnet-5-5-20260901')).toBe(
      'computer_toolset_20260801',
    );
    expect(anthropicToolVersionForModel('claude-fable-5')).toBe('computer_toolset_20260801');
  });

  it('builds beta requests with their beta header and the GA toolset without one', () => {
    const beta = buildAnthropicRequest({
      model: 'claude-opus-4-5',
      version: 'computer_20251124',
      display: { width: 1280, height: 800 },
      messages: [],
      maxTokens: 4096,
      enableZoom: true,
    });
    expect(beta.path).toBe('/v1/messages');
    expect(beta.headers).toEqual({
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'computer-use-2025-11-24',
    });
    expect(beta.body).toEqual({
      model: 'claude-opus-4-5',
      max_tokens: 4096,
      tools: [
        {
          type: 'computer_20251124',
          name: 'computer',
          display_width_px: 1280,
          display_height_px: 800,
          enable_zoom: true,
        },
      ],
      messages: [],
    });
    const old = buildAnthropicRequest({
      model: 'claude-sonnet-4-5',
      version: 'computer_20250124',
      display: { width: 1024, height: 768 },
      messages: [],
      maxTokens: 1000,
      enableZoom: true,
      system: 'sys',
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    expect(old.headers['anthropic-beta']).toBe('computer-use-2025-01-24');
    expect(old.body['tools']).toEqual([
      {
        type: 'computer_20250124',
        name: 'computer',
        display_width_px: 1024,
        display_height_px: 768,
      },
    ]);
    expect(old.body['system']).toBe('sys');
    expect(old.body['thinking']).toEqual({ type: 'enabled', budget_tokens: 1024 });
    const ga = buildAnthropicRequest({
      model: 'claude-opus-5-5',
      version: 'computer_toolset_20260801',
      display: { width: 1024, height: 768 },
      messages: [],
      maxTokens: 4096,
      enableZoom: true,
    });
    expect(ga.headers).toEqual({ 'anthropic-version': '2023-06-01' });
    expect(ga.body['tools']).toEqual([{ type: 'computer_toolset_20260801' }]);
  });

  it('translates every action kind', () => {
    const p = (
      action: string,
      args: Record<string, unknown> = {},
      version = 'computer_20251124' as const,
    ) => parseAnthropicAction(action, args, version, true);
    expect(p('screenshot')).toEqual({ kind: 'screenshot' });
    expect(p('left_click', { coordinate: [10, 20] })).toEqual({
      kind: 'click',
      at: { x: 10, y: 20 },
      button: 'left',
      clickCount: 1,
      modifiers: [],
    });
    expect(p('left_click', { coordinate: [10, 20], text: 'ctrl+shift' })).toMatchObject({
      modifiers: ['Control', 'Shift'],
    });
    expect(p('left_click')).toMatchObject({ kind: 'click', at: null });
    expect(p('right_click', { coordinate: [1, 1] })).toMatchObject({
      button: 'right',
      clickCount: 1,
    });
    expect(p('middle_click', { coordinate: [1, 1] })).toMatchObject({ button: 'middle' });
    expect(p('double_click', { coordinate: [1, 1] })).toMatchObject({
      button: 'left',
      clickCount: 2,
    });
    expect(p('triple_click', { coordinate: [1, 1] })).toMatchObject({ clickCount: 3 });
    expect(p('mouse_move', { coordinate: [3, 4] })).toEqual({
      kind: 'move',
      to: { x: 3, y: 4 },
      modifiers: [],
    });
    expect(p('left_click_drag', { start_coordinate: [1, 2], coordinate: [3, 4] })).toEqual({
      kind: 'drag',
      path: [
        { x: 1, y: 2 },
        { x: 3, y: 4 },
      ],
      fromCursor: false,
      modifiers: [],
    });
    expect(p('left_click_drag', { coordinate: [3, 4] })).toMatchObject({
      path: [{ x: 3, y: 4 }],
      fromCursor: true,
    });
    expect(p('left_mouse_down')).toEqual({ kind: 'mouse_down', button: 'left', at: null });
    expect(p('left_mouse_up', { coordinate: [5, 5] })).toEqual({
      kind: 'mouse_up',
      button: 'left',
      at: { x: 5, y: 5 },
    });
    expect(p('key', { text: 'ctrl+l' })).toEqual({
      kind: 'keypress',
      keys: ['Control', 'l'],
      repeat: 1,
    });
    expect(p('key', { text: 'Page_Down', repeat: 3 })).toEqual({
      kind: 'keypress',
      keys: ['PageDown'],
      repeat: 3,
    });
    expect(p('hold_key', { text: 'shift', duration: 1.5 })).toEqual({
      kind: 'hold_key',
      keys: ['Shift'],
      durationMs: 1500,
    });
    expect(p('type', { text: 'hi\n' })).toEqual({
      kind: 'type',
      text: 'hi\n',
      pressEnterAfter: false,
    });
    expect(p('cursor_position')).toEqual({ kind: 'cursor_position' });
    expect(
      p('scroll', { coordinate: [50, 60], scroll_direction: 'down', scroll_amount: 5 }),
    ).toEqual({
      kind: 'scroll',
      at: { x: 50, y: 60 },
      dx: 0,
      dy: 500,
      unit: 'css',
      modifiers: [],
    });
    expect(
      p('scroll', { scroll_direction: 'left', scroll_amount: 2, text: 'shift' }),
    ).toMatchObject({
      at: null,
      dx: -200,
      dy: 0,
      modifiers: ['Shift'],
    });
    expect(p('wait', { duration: 1 })).toEqual({ kind: 'wait', ms: 1000 });
    expect(p('zoom', { region: [0, 0, 100, 50] })).toEqual({
      kind: 'zoom',
      region: { x1: 0, y1: 0, x2: 100, y2: 50 },
    });
  });

  it('rejects actions a version does not have and malformed inputs with a reason', () => {
    expect(
      parseAnthropicAction('zoom', { region: [0, 0, 1, 1] }, 'computer_20251124', false),
    ).toMatchObject({
      kind: 'invalid',
      reason: 'zoom: unknown action for computer_20251124',
    });
    expect(parseAnthropicAction('triple_click', {}, 'computer_20241022', false)).toMatchObject({
      kind: 'invalid',
    });
    expect(
      parseAnthropicAction('scroll', { scroll_direction: 'sideways' }, 'computer_20250124', false),
    ).toMatchObject({
      kind: 'invalid',
      reason: 'scroll: "scroll_direction" must be up, down, left or right',
    });
    expect(
      parseAnthropicAction('mouse_move', { coordinate: [1] }, 'computer_20250124', false),
    ).toMatchObject({
      reason: 'mouse_move: "coordinate" must be [x, y]',
    });
    expect(
      parseAnthropicAction('key', { text: 'hyper+x' }, 'computer_20250124', false),
    ).toMatchObject({ kind: 'invalid' });
  });

  it('parses messages and rejects malformed ones', () => {
    const parsed = parseAnthropicMessage(
      msg([
        { type: 'thinking', thinking: 'hmm', signature: 'sig' },
        { type: 'text', text: 'Opening.' },
        use('toolu_1', { action: 'left_click', coordinate: [1, 2] }),
        { type: 'tool_use', id: 'toolu_2', name: 'bash', input: { command: 'ls' } },
      ]),
      'computer_20250124',
      false,
    );
    expect(parsed.thinking).toBe('hmm');
    expect(parsed.text).toBe('Opening.');
    expect(parsed.toolUses.map((u) => [u.id, u.action.kind])).toEqual([
      ['toolu_1', 'click'],
      ['toolu_2', 'invalid'],
    ]);
    expect(parsed.usage).toEqual({ inputTokens: 50, outputTokens: 5 });
    expect(() => parseAnthropicMessage([], 'computer_20250124', false)).toThrow(CuaProtocolError);
    expect(() => parseAnthropicMessage({ content: 'x' }, 'computer_20250124', false)).toThrow(
      'no "content" array',
    );
    expect(() =>
      parseAnthropicMessage(
        { content: [{ type: 'tool_use', name: 'computer' }] },
        'computer_20250124',
        false,
      ),
    ).toThrow('no "id"');
  });

  it('keeps only the newest images in user turns', () => {
    const img = { type: 'image', source: {} };
    const messages: Array<{ role: 'user' | 'assistant'; content: unknown[] }> = [
      { role: 'user', content: [{ type: 'text', text: 'task' }, { ...img }] },
      { role: 'assistant', content: [{ type: 'image-like', keep: true }] },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'a',
            content: [{ ...img }, { type: 'text', text: 'done' }],
          },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'b', content: [{ ...img }] }] },
    ];
    pruneImages(messages, 1);
    expect(messages[0]!.content[1]).toEqual({ type: 'text', text: '[older screenshot omitted]' });
    expect(messages[2]!.content[0]).toMatchObject({
      content: [{ type: 'text' }, { type: 'text', text: 'done' }],
    });
    expect(messages[3]!.content[0]).toMatchObject({ content: [{ type: 'image' }] });
  });
});

describe('runAnthropicCuaLoop', () => {
  it('beta tool: scales coordinates, answers each tool_use in a tool_result with a screenshot, echoes content', async () => {
    // Viewport 1920x1080 is declared as 1366x768 (the Anthropic-safe size).
    const computer = new RecordingComputer(1920, 1080);
    const turn1 = [
      { type: 'thinking', thinking: 'plan', signature: 'sig-1' },
      use('toolu_1', { action: 'left_click', coordinate: [683, 384] }),
    ];
    const turn2 = [
      use('toolu_2', { action: 'mouse_move', coordinate: [100, 100] }),
      use('toolu_3', { action: 'cursor_position' }),
      use('toolu_4', {
        action: 'scroll',
        coordinate: [683, 384],
        scroll_direction: 'down',
        scroll_amount: 5,
      }),
    ];
    const { postJson, requests } = scriptedTransport([
      msg(turn1),
      msg(turn2),
      msg([{ type: 'text', text: 'All done.' }], 'end_turn'),
    ]);
    const steps: CuaStepRecord[] = [];
    const result = await runAnthropicCuaLoop({
      computer,
      postJson,
      model: 'claude-sonnet-4-5',
      task: 'Do it',
      maxSteps: 5,
      onStep: (s) => steps.push(s),
    });
    expect(result).toEqual({
      outcome: 'completed',
      answer: 'All done.',
      reason: null,
      steps: 3,
      usage: { inputTokens: 150, outputTokens: 15 },
    });
    const sx = 1920 / 1366;
    const sy = 1080 / 768;
    expect(computer.actions).toEqual([
      { op: 'click', at: { x: 683 * sx, y: 384 * sy }, button: 'left', clickCount: 1 },
      { op: 'mouseMove', to: { x: 100 * sx, y: 100 * sy } },
      { op: 'scroll', at: { x: 683 * sx, y: 384 * sy }, dx: 0, dy: 500 },
    ]);
    expect(requests[0]!.headers['anthropic-beta']).toBe('computer-use-2025-01-24');
    expect((requests[0]!.body['tools'] as unknown[])[0]).toMatchObject({
      display_width_px: 1366,
      display_height_px: 768,
    });
    const second = requests[1]!.body['messages'] as Array<{
      role: string;
      content: Array<Record<string, unknown>>;
    }>;
    expect(second[1]).toEqual({ role: 'assistant', content: turn1 });
    const results = second[2]!.content;
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      type: 'tool_result',
      tool_use_id: 'toolu_1',
      is_error: false,
    });
    const image = (results[0]!['content'] as Array<Record<string, Record<string, string>>>)[0]!;
    expect(image['source']!['media_type']).toBe('image/png');
    expect(imageSize(image['source']!['data']!)).toEqual({ width: 1366, height: 768 });
    const third = requests[2]!.body['messages'] as Array<{
      role: string;
      content: Array<Record<string, unknown>>;
    }>;
    expect(third[3]).toEqual({ role: 'assistant', content: turn2 });
    expect(third[4]!.content.map((r) => r['tool_use_id'])).toEqual([
      'toolu_2',
      'toolu_3',
      'toolu_4',
    ]);
    expect(third[4]!.content[1]!['content']).toEqual([{ type: 'text', text: 'X=100,Y=100' }]);
    expect(steps[1]!.actions.map((a) => a.status)).toEqual(['done', 'done', 'done']);
  });

  it('GA toolset: one tool_use per member, first failure ends the batch, later calls answered', async () => {
    const computer = new RecordingComputer(1024, 768);
    const ok = [
      { type: 'text', text: 'Filling.' },
      member('t1', 'left_click', { coordinate: [10, 10] }),
      member('t2', 'type', { text: 'hello' }),
      member('t3', 'key', { text: 'Return' }),
      member('t4', 'screenshot'),
    ];
    const failing = [
      member('t5', 'left_click', { coordinate: [5000, 10] }),
      member('t6', 'type', { text: 'never' }),
      member('t7', 'teleport', {}),
    ];
    const { postJson, requests } = scriptedTransport([
      msg(ok),
      msg(failing),
      msg([{ type: 'text', text: 'Finished' }], 'end_turn'),
    ]);
    const steps: CuaStepRecord[] = [];
    const result = await runAnthropicCuaLoop({
      computer,
      postJson,
      model: 'claude-opus-5-5',
      task: 'Fill',
      maxSteps: 5,
      onStep: (s) => steps.push(s),
    });
    expect(result.outcome).toBe('completed');
    expect(requests[0]!.headers['anthropic-beta']).toBeUndefined();
    expect(computer.actions).toEqual([
      { op: 'click', at: { x: 10, y: 10 }, button: 'left', clickCount: 1 },
      { op: 'type', text: 'hello' },
      { op: 'keypress', keys: ['Enter'] },
    ]);
    const m2 = requests[1]!.body['messages'] as Array<{ content: Array<Record<string, unknown>> }>;
    const r1 = m2[2]!.content;
    expect(r1.map((r) => [r['tool_use_id'], r['is_error']])).toEqual([
      ['t1', false],
      ['t2', false],
      ['t3', false],
      ['t4', false],
    ]);
    // The screenshot member carries its own image; no extra one is added.
    expect(
      (r1[3]!['content'] as Array<Record<string, unknown>>).filter((b) => b['type'] === 'image'),
    ).toHaveLength(1);
    const m3 = requests[2]!.body['messages'] as Array<{ content: Array<Record<string, unknown>> }>;
    const r2 = m3[4]!.content;
    expect(r2.slice(0, 3).map((r) => [r['tool_use_id'], r['is_error']])).toEqual([
      ['t5', true],
      ['t6', true],
      ['t7', true],
    ]);
    expect(JSON.stringify(r2[0]!['content'])).toContain('outside the 1024x768 screen');
    expect(r2[1]!['content']).toEqual([
      { type: 'text', text: 'Not executed: an earlier computer action in this turn failed.' },
    ]);
    expect(r2[3]).toMatchObject({ type: 'image' });
    expect(steps[1]!.actions.map((a) => a.status)).toEqual([
      'failed',
      'not_executed',
      'not_executed',
    ]);
  });

  it('zooms (20251124), reports a refusal and a malformed reply as failures', async () => {
    const computer = new RecordingComputer(1024, 768);
    const { postJson, requests } = scriptedTransport([
      msg([use('z', { action: 'zoom', region: [0, 0, 200, 100] })]),
      msg([{ type: 'text', text: 'I will not do that.' }], 'refusal'),
    ]);
    const result = await runAnthropicCuaLoop({
      computer,
      postJson,
      model: 'claude-opus-4-5',
      task: 't',
      maxSteps: 5,
    });
    expect(result).toMatchObject({
      outcome: 'failed',
      reason: 'the model refused: I will not do that.',
    });
    const results = (
      requests[1]!.body['messages'] as Array<{ content: Array<Record<string, unknown>> }>
    )[2]!.content;
    const images = (results[0]!['content'] as Array<Record<string, Record<string, string>>>).filter(
      (b) => b['type'] === ('image' as unknown),
    );
    expect(images.map((i) => imageSize(i['source']!['data']!))).toEqual([
      { width: 1024, height: 768 },
      { width: 200, height: 100 },
    ]);

    const bad = scriptedTransport([
      { type: 'message', content: [{ type: 'tool_use', name: 'computer', input: {} }] },
    ]);
    const r2 = await runAnthropicCuaLoop({
      computer,
      postJson: bad.postJson,
      model: 'claude-opus-4-5',
      task: 't',
      maxSteps: 5,
    });
    expect(r2).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/^malformed model reply/),
    });
  });
});
