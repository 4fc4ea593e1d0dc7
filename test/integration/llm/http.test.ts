/**
 * The raw HTTP helper (for computer-use engines) against the fake server's computer-use protocols:
 * OpenAI Responses computer_call + previous_response_id, Anthropic computer tool_use, Gemini
 * function calls, Chat Completions SSE streaming, and the fake's protocol checks.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLlm,
  endpointHeaders,
  endpointUrl,
  type Llm,
  LlmError,
  postJson,
  resolveModelConfig,
  resolveModelSpec,
} from '../../../src/llm/index.js';
import { solidPng } from '../../support/fake-model/png.js';
import {
  FAKE_KEYS,
  type FakeModelServer,
  imageSize,
  startFakeModelServer,
} from '../../support/fake-model-server.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function llmFor(model: string): Llm {
  const r = resolveModelConfig(fake.env(model));
  if (!r.ok) throw new Error(r.problem);
  return createLlm({
    ...r.config,
    retry: { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 2_000 },
  });
}

type Body = Record<string, unknown>;
const shot = solidPng(1024, 768);
const shotUrl = `data:image/png;base64,${shot.toString('base64')}`;

describe('OpenAI Responses computer use', () => {
  const tools = [
    {
      type: 'computer_use_preview',
      display_width: 1024,
      display_height: 768,
      environment: 'browser',
    },
  ];

  it('runs a stateful computer_call loop with safety checks', async () => {
    const llm = llmFor('openai/computer-use-preview');
    fake.enqueue(
      {
        reasoning: 'Clicking the search box.',
        computerCalls: [
          { callId: 'call_1', action: { type: 'click', button: 'left', x: 156, y: 50 } },
        ],
      },
      {
        computerCalls: [
          {
            callId: 'call_2',
            action: { type: 'type', text: 'hello\n' },
            pendingSafetyChecks: [
              { id: 'cu_sc_1', code: 'malicious_instructions', message: 'Check the page.' },
            ],
          },
        ],
      },
      { reasoning: '', text: 'Done.' },
    );

    const first = await llm.post<Body>('actor', '/responses', {
      model: 'computer-use-preview',
      tools,
      truncation: 'auto',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Search for wrens' },
            { type: 'input_image', image_url: shotUrl },
          ],
        },
      ],
    });
    expect(fake.lastRequest().path).toBe('/v1/responses');
    expect(fake.lastRequest().headers['authorization']).toBe(`Bearer ${FAKE_KEYS.openai}`);
    const output = first.body['output'] as Body[];
    expect(output.map((o) => o['type'])).toEqual(['reasoning', 'computer_call']);
    expect(output[1]).toMatchObject({
      call_id: 'call_1',
      action: { type: 'click', x: 156, y: 50 },
      pending_safety_checks: [],
    });
    expect(first.usage.inputTokens).toBeGreaterThan(800);
    expect(first.priceKnown).toBe(true);
    expect(first.costUsd).toBeCloseTo(
      (first.usage.inputTokens * 3 + first.usage.outputTokens * 12) / 1e6,
      12,
    );
    expect(first.record).toMatchObject({
      role: 'actor',
      status: 200,
      model: 'openai/computer-use-preview',
    });
    expect(JSON.stringify(first.record.request)).not.toContain(shot.toString('base64'));

    const second = await llm.post<Body>('actor', '/responses', {
      model: 'computer-use-preview',
      tools,
      truncation: 'auto',
      previous_response_id: first.body['id'],
      input: [
        {
          type: 'computer_call_output',
          call_id: 'call_1',
          output: { type: 'input_image', image_url: shotUrl },
        },
      ],
    });
    const sent = fake.lastRequest();
    expect(sent.images).toHaveLength(1);
    expect(imageSize(sent.images[0]!.bytes)).toEqual({ width: 1024, height: 768 });
    const call = (second.body['output'] as Body[])[0]!;
    expect(call['pending_safety_checks']).toEqual([
      { id: 'cu_sc_1', code: 'malicious_instructions', message: 'Check the page.' },
    ]);

    // Without acknowledging the safety check the API refuses: a 400, not retried.
    const refused = await llm
      .post('actor', '/responses', {
        model: 'computer-use-preview',
        tools,
        truncation: 'auto',
        previous_response_id: second.body['id'],
        input: [
          {
            type: 'computer_call_output',
            call_id: 'call_2',
            output: { type: 'input_image', image_url: shotUrl },
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LlmError);
    expect(refused).toMatchObject({ kind: 'bad_request', status: 400, attempts: 1 });
    expect((refused as LlmError).message).toContain('Safety check cu_sc_1');

    const third = await llm.post<Body>('actor', '/responses', {
      model: 'computer-use-preview',
      tools,
      truncation: 'auto',
      previous_response_id: second.body['id'],
      input: [
        {
          type: 'computer_call_output',
          call_id: 'call_2',
          output: { type: 'input_image', image_url: shotUrl },
          acknowledged_safety_checks: [
            { id: 'cu_sc_1', code: 'malicious_instructions', message: 'Check the page.' },
          ],
        },
      ],
    });
    const final = third.body['output'] as Body[];
    expect(final.map((o) => o['type'])).toEqual(['reasoning', 'message']);
    expect(final[1]).toMatchObject({
      content: [{ type: 'output_text', text: 'Done.', annotations: [] }],
    });
    expect(fake.violations.map((v) => v.message)).toEqual([
      'Safety check cu_sc_1 for call call_2 was not acknowledged.',
    ]);
  });

  it('returns GA batches, function calls next to computer calls, and rejects unanswered calls', async () => {
    const llm = llmFor('openai/gpt-5.4');
    fake.enqueue({
      computerCalls: [
        {
          callId: 'call_a',
          actions: [
            { type: 'move', x: 1, y: 2 },
            { type: 'keypress', keys: ['CTRL', 'A'] },
          ],
        },
      ],
      toolCalls: [{ id: 'call_b', name: 'goto', args: { url: 'https://example.com' } }],
    });
    const first = await llm.post<Body>('actor', '/responses', {
      model: 'gpt-5.4',
      tools: [{ type: 'computer' }],
      input: 'go',
    });
    const output = first.body['output'] as Body[];
    expect(output.map((o) => o['type'])).toEqual(['computer_call', 'function_call']);
    expect(output[0]?.['actions']).toEqual([
      { type: 'move', x: 1, y: 2 },
      { type: 'keypress', keys: ['CTRL', 'A'] },
    ]);
    expect(output[1]).toMatchObject({
      name: 'goto',
      arguments: '{"url":"https://example.com"}',
      call_id: 'call_b',
    });

    const e = (await llm
      .post('actor', '/responses', {
        model: 'gpt-5.4',
        tools: [{ type: 'computer' }],
        previous_response_id: first.body['id'],
        input: [
          {
            type: 'computer_call_output',
            call_id: 'call_a',
            output: { type: 'computer_screenshot', image_url: shotUrl, detail: 'original' },
          },
        ],
      })
      .catch((x: unknown) => x)) as LlmError;
    expect(e.kind).toBe('bad_request');
    expect(e.message).toContain('No tool output found for computer call call_b');

    const unknown = (await llm
      .post('actor', '/responses', {
        model: 'gpt-5.4',
        previous_response_id: 'resp_nope',
        input: [],
      })
      .catch((x: unknown) => x)) as LlmError;
    expect(unknown.message).toContain("Previous response with id 'resp_nope' not found");
  });

  it('rejects a preview tool without truncation auto', async () => {
    const e = (await llmFor('openai/computer-use-preview')
      .post('actor', '/responses', { model: 'computer-use-preview', tools, input: 'x' })
      .catch((x: unknown) => x)) as LlmError;
    expect(e).toMatchObject({ kind: 'bad_request', status: 400 });
    expect(e.message).toContain('truncation');
  });
});

describe('Anthropic computer use', () => {
  const tool = {
    type: 'computer_20250124',
    name: 'computer',
    display_width_px: 1280,
    display_height_px: 800,
  };
  const beta = { 'anthropic-beta': 'computer-use-2025-01-24' };

  it('returns tool_use blocks and accepts the echoed turn with tool_result', async () => {
    const llm = llmFor('anthropic/claude-sonnet-4-5');
    fake.enqueue(
      {
        reasoning: 'I see a search box.',
        text: "I'll click the search box.",
        toolCalls: [
          {
            id: 'toolu_1',
            name: 'computer',
            args: { action: 'left_click', coordinate: [512, 384] },
          },
        ],
        usage: { inputTokens: 3000, cachedInputTokens: 1000, outputTokens: 50 },
      },
      { text: 'Done.' },
    );
    const user = { role: 'user', content: 'Search for wrens' };
    const first = await llm.post<Body>(
      'actor',
      '/messages',
      { model: 'claude-sonnet-4-5', max_tokens: 1024, tools: [tool], messages: [user] },
      { headers: beta },
    );
    const req = fake.lastRequest();
    expect(req.path).toBe('/v1/messages');
    expect(req.headers).toMatchObject({
      'x-api-key': FAKE_KEYS.anthropic,
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'computer-use-2025-01-24',
    });
    expect(first.body['stop_reason']).toBe('tool_use');
    const content = first.body['content'] as Body[];
    expect(content.map((b) => b['type'])).toEqual(['thinking', 'text', 'tool_use']);
    expect(content[2]).toMatchObject({
      id: 'toolu_1',
      name: 'computer',
      input: { action: 'left_click', coordinate: [512, 384] },
    });
    expect(first.usage).toMatchObject({
      inputTokens: 3000,
      cachedInputTokens: 1000,
      outputTokens: 50,
    });
    expect(first.costUsd).toBeCloseTo((2000 * 3 + 1000 * 0.3 + 50 * 15) / 1e6, 12);

    const result = {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_1',
          content: [
            {
              type: 'image',
              source: {
                type: 'base64',
                media_type: 'image/png',
                data: solidPng(1280, 800).toString('base64'),
              },
            },
          ],
        },
      ],
    };
    const second = await llm.post<Body>(
      'actor',
      '/messages',
      {
        model: 'claude-sonnet-4-5',
        max_tokens: 1024,
        tools: [tool],
        messages: [user, { role: 'assistant', content }, result],
      },
      { headers: beta },
    );
    expect(second.body['stop_reason']).toBe('end_turn');
    expect(imageSize(fake.lastRequest().images[0]!.bytes)).toEqual({ width: 1280, height: 800 });

    // An edited assistant turn and a missing tool_result are both refused.
    const edited = [{ ...content[0] }, { type: 'text', text: 'changed' }, content[2]];
    const e1 = (await llm
      .post(
        'actor',
        '/messages',
        {
          model: 'claude-sonnet-4-5',
          max_tokens: 10,
          tools: [tool],
          messages: [user, { role: 'assistant', content: edited }, result],
        },
        { headers: beta },
      )
      .catch((x: unknown) => x)) as LlmError;
    expect(e1.message).toContain('must be sent back unchanged');
    const e2 = (await llm
      .post(
        'actor',
        '/messages',
        {
          model: 'claude-sonnet-4-5',
          max_tokens: 10,
          tools: [tool],
          messages: [user, { role: 'assistant', content }, { role: 'user', content: 'next' }],
        },
        { headers: beta },
      )
      .catch((x: unknown) => x)) as LlmError;
    expect(e2.message).toContain(
      'tool_use ids were found without tool_result blocks immediately after: toolu_1',
    );
  });

  it('requires the beta flag matching the tool version, and supports the GA toolset', async () => {
    const llm = llmFor('anthropic/claude-opus-4-5');
    const e = (await llm
      .post('actor', '/messages', {
        model: 'claude-opus-4-5',
        max_tokens: 10,
        tools: [tool],
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch((x: unknown) => x)) as LlmError;
    expect(e.message).toContain('requires the anthropic-beta header computer-use-2025-01-24');

    fake.enqueue({
      toolCalls: [
        { name: 'left_click', args: { coordinate: [10, 20] }, toolsetName: 'computer' },
        { name: 'type', args: { text: 'hi' }, toolsetName: 'computer' },
      ],
    });
    const ga = await llm.post<Body>('actor', '/messages', {
      model: 'claude-opus-5-5',
      max_tokens: 10,
      tools: [{ type: 'computer_toolset_20260801' }],
      messages: [{ role: 'user', content: 'x' }],
    });
    const blocks = (ga.body['content'] as Body[]).filter((b) => b['type'] === 'tool_use');
    expect(blocks.map((b) => [b['name'], b['toolset_name']])).toEqual([
      ['left_click', 'computer'],
      ['type', 'computer'],
    ]);
  });
});

describe('postJson', () => {
  it('retries 429 with retry-after-ms, then returns usage and cost', async () => {
    const r = resolveModelSpec('google/gemini-2.5-flash', fake.env('google/gemini-2.5-flash'));
    if (!r.ok) throw new Error(r.problem);
    fake.enqueue(
      { error: { status: 429, retryAfterMs: 100 } },
      { toolCalls: [{ name: 'click', args: { id: 7 } }] },
    );
    const res = await postJson<Body>(r.spec, '/models/gemini-2.5-flash:generateContent', {
      contents: [{ role: 'user', parts: [{ text: 'click submit' }] }],
    });
    expect(res.attempts).toBe(2);
    expect(fake.lastRequest().headers['x-goog-api-key']).toBe(FAKE_KEYS.google);
    const parts = ((res.body['candidates'] as Body[])[0]!['content'] as Body)['parts'];
    expect(parts).toEqual([{ functionCall: { name: 'click', args: { id: 7 } } }]);
    expect(res.usage.inputTokens).toBe(Math.ceil('click submit'.length / 4) + 8);
    expect(res.costUsd).toBeGreaterThan(0);
  });

  it('times out and aborts', async () => {
    const r = resolveModelSpec('openai-chat/gpt-4.1', fake.env('openai-chat/gpt-4.1'));
    if (!r.ok) throw new Error(r.problem);
    fake.enqueue({ hang: true }, { hang: true });
    const timeout = (await postJson(
      r.spec,
      '/chat/completions',
      { model: 'gpt-4.1', messages: [] },
      { timeoutMs: 150 },
    ).catch((x: unknown) => x)) as LlmError;
    expect(timeout).toMatchObject({ kind: 'timeout', attempts: 1 });
    const aborted = (await postJson(
      r.spec,
      '/chat/completions',
      { model: 'gpt-4.1', messages: [] },
      { signal: AbortSignal.timeout(100) },
    ).catch((x: unknown) => x)) as LlmError;
    expect(aborted.kind).toBe('aborted');
  });

  it('builds provider URLs and auth headers', () => {
    const azure = resolveModelSpec('azure/prod', {
      AZURE_API_KEY: 'az',
      AZURE_RESOURCE_NAME: 'acme',
    });
    if (!azure.ok) throw new Error(azure.problem);
    expect(endpointUrl(azure.spec, '/responses')).toBe(
      'https://acme.openai.azure.com/openai/v1/responses?api-version=v1',
    );
    expect(endpointHeaders(azure.spec)['api-key']).toBe('az');
    const claude = resolveModelSpec('anthropic/claude-sonnet-4-5', { ANTHROPIC_API_KEY: 'ak' });
    if (!claude.ok) throw new Error(claude.problem);
    expect(endpointUrl(claude.spec, 'messages')).toBe('https://api.anthropic.com/v1/messages');
    expect(endpointHeaders(claude.spec)).toMatchObject({
      'x-api-key': 'ak',
      'anthropic-version': '2023-06-01',
    });
    const ollama = resolveModelSpec('ollama/llava', {});
    if (!ollama.ok) throw new Error(ollama.problem);
    expect(endpointHeaders(ollama.spec)['authorization']).toBeUndefined();
  });
});

describe('fake server', () => {
  it('streams Chat Completions as SSE when asked', async () => {
    fake.enqueue({
      text: "Thought: the button is at the top.\nAction: click(point='<point>510 150</point>')",
    });
    const res = await fetch(`${fake.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'ui-tars',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'go' }],
      }),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Body);
    const text = chunks
      .flatMap((c) => (c['choices'] as Body[]).map((ch) => (ch['delta'] as Body)['content'] ?? ''))
      .join('');
    expect(text).toBe(
      "Thought: the button is at the top.\nAction: click(point='<point>510 150</point>')",
    );
    expect(chunks.at(-1)?.['usage']).toMatchObject({
      prompt_tokens: 9,
      completion_tokens: Math.ceil(text.length / 4),
    });
  });

  it('answers an unscripted request with a 500 and records the violation', async () => {
    const e = (await llmFor('openai-chat/gpt-4.1')
      .complete({ role: 'actor', messages: [{ role: 'user', content: 'x' }] })
      .catch((x: unknown) => x)) as LlmError;
    expect(e.kind).toBe('server');
    expect(fake.violations[0]?.message).toContain('no scripted reply');
  });
});
