/**
 * Every provider adapter over real HTTP against the fake model server: the wire request (path,
 * auth, model, schema placement, image bytes) and the parsed result (JSON, usage, cost, record).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLlm, type Llm, LlmOutputError, resolveModelConfig } from '../../../src/llm/index.js';
import { solidPng } from '../../support/fake-model/png.js';
import {
  estimateUsage,
  FAKE_KEYS,
  type FakeModelServer,
  type FakeRequest,
  startFakeModelServer,
} from '../../support/fake-model-server.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function llmFor(model: string, extra: Record<string, string> = {}): Llm {
  const r = resolveModelConfig(fake.env(model, extra));
  if (!r.ok) throw new Error(r.problem);
  return createLlm(r.config);
}

const screenshot = solidPng(8, 6);
const schema = {
  type: 'object',
  properties: { answer: { type: 'number' }, reason: { type: 'string' } },
  required: ['answer', 'reason'],
  additionalProperties: false,
};
const reply = { answer: 42, reason: 'the page says so' };
const replyText = JSON.stringify(reply);

function ask(llm: Llm) {
  return llm.complete<{ answer: number; reason: string }>({
    role: 'actor',
    system: 'You read screenshots.',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What number is shown?' },
          { type: 'image', data: screenshot, mediaType: 'image/png' },
        ],
      },
    ],
    schema,
    schemaName: 'answer',
    maxOutputTokens: 800,
  });
}

interface Case {
  model: string;
  path: string;
  auth: [string, string];
  /** Where the provider's request carries the schema. */
  schemaAt: (body: Record<string, unknown>) => unknown;
  price: { input: number; output: number } | null;
}

const at =
  (...keys: string[]) =>
  (body: Record<string, unknown>): unknown =>
    keys.reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      body,
    );

const cases: Case[] = [
  {
    model: 'openai/gpt-5-mini',
    path: '/v1/responses',
    auth: ['authorization', `Bearer ${FAKE_KEYS.openai}`],
    schemaAt: at('text', 'format', 'schema'),
    price: { input: 0.25, output: 2 },
  },
  {
    model: 'openai-chat/gpt-4.1',
    path: '/v1/chat/completions',
    auth: ['authorization', `Bearer ${FAKE_KEYS.openai}`],
    schemaAt: at('response_format', 'json_schema', 'schema'),
    price: { input: 2, output: 8 },
  },
  {
    model: 'anthropic/claude-sonnet-4-5',
    path: '/v1/messages',
    auth: ['x-api-key', FAKE_KEYS.anthropic],
    schemaAt: at('output_config', 'format', 'schema'),
    price: { input: 3, output: 15 },
  },
  {
    model: 'google/gemini-2.5-flash',
    path: '/v1beta/models/gemini-2.5-flash:generateContent',
    auth: ['x-goog-api-key', FAKE_KEYS.google],
    schemaAt: at('generationConfig', 'responseSchema'),
    price: { input: 0.3, output: 2.5 },
  },
  {
    model: 'azure/prod-gpt5',
    path: '/openai/responses',
    auth: ['api-key', FAKE_KEYS.azure],
    schemaAt: at('text', 'format', 'schema'),
    price: null,
  },
  {
    model: 'openai-compatible/qwen2.5-vl',
    path: '/v1/chat/completions',
    auth: ['authorization', `Bearer ${FAKE_KEYS.compatible}`],
    schemaAt: at('response_format', 'json_schema', 'schema'),
    price: null,
  },
];

describe.each(cases)('$model', (c) => {
  it('sends the documented wire request and returns validated JSON with usage and cost', async () => {
    fake.enqueue({ json: reply });
    const result = await ask(llmFor(c.model));

    const req = fake.lastRequest();
    expect(req.path).toBe(c.path);
    expect(req.headers[c.auth[0]]).toBe(c.auth[1]);
    expect(req.model).toBe(c.model.split('/')[1]);
    const sentSchema = c.schemaAt(req.body as Record<string, unknown>) as Record<string, unknown>;
    expect(sentSchema).toMatchObject({ type: 'object', required: ['answer', 'reason'] });
    expect(Object.keys(sentSchema['properties'] as object)).toEqual(['answer', 'reason']);
    expect(req.system).toBe('You read screenshots.');
    expect(req.lastUserText).toBe('What number is shown?');
    expect(req.images).toHaveLength(1);
    expect(req.images[0]?.mediaType).toBe('image/png');
    expect(req.images[0]?.bytes.equals(screenshot)).toBe(true);

    expect(result.json).toEqual(reply);
    expect(result.text).toBe(replyText);
    expect(result.model).toBe(c.model);
    expect(result.finishReason).toBe('stop');
    expect(result.attempts).toBe(1);
    const expected = estimateUsage(req, replyText);
    expect(result.usage).toMatchObject({
      inputTokens: expected.inputTokens,
      outputTokens: expected.outputTokens,
    });
    expect(result.usage.inputTokens).toBeGreaterThan(800); // one image + prompt text
    if (c.price) {
      expect(result.priceKnown).toBe(true);
      expect(result.costUsd).toBeCloseTo(
        (expected.inputTokens * c.price.input + expected.outputTokens * c.price.output) / 1e6,
        12,
      );
    } else {
      expect(result).toMatchObject({ priceKnown: false, costUsd: 0 });
    }
    expect(result.record.url).toBe(`${fake.url}${c.path}`);
    expect(result.record.status).toBe(200);
    const recorded = JSON.stringify(result.record.request);
    expect(recorded).toContain('What number is shown?');
    expect(recorded).not.toContain(screenshot.toString('base64'));
    expect(recorded).not.toContain(c.auth[1].replace('Bearer ', ''));
  });

  it('returns plain text when no schema is given', async () => {
    fake.enqueue({ text: 'Hello from the fake.' });
    const llm = llmFor(c.model);
    const result = await llm.complete({
      role: 'verifier',
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    expect(result).toMatchObject({
      text: 'Hello from the fake.',
      json: undefined,
      role: 'verifier',
    });
    expect(fake.lastRequest().schema).toBeNull();
    expect(fake.lastRequest().lastUserText).toBe('Say hello');
  });
});

describe('structured output fallbacks', () => {
  it('uses Anthropic’s forced json tool for models without native structured output', async () => {
    fake.enqueue({ json: reply });
    const result = await ask(llmFor('anthropic/claude-sonnet-4-20250514'));
    const req = fake.lastRequest();
    expect(req.jsonTool).toBe(true);
    expect(req.tools.map((t) => t.name)).toEqual(['json']);
    expect(result.json).toEqual(reply);
  });

  it('sends a non-strict schema to OpenAI when the caller schema is open', async () => {
    fake.enqueue({ json: { title: 'x' } });
    const llm = llmFor('openai/gpt-5-mini');
    const result = await llm.complete({
      role: 'extractor',
      messages: [{ role: 'user', content: 'extract' }],
      schema: {
        type: 'object',
        properties: { title: { type: 'string' }, price: { type: 'number' } },
      },
    });
    const format = (fake.lastRequest().body as { text: { format: Record<string, unknown> } }).text
      .format;
    expect(format).toMatchObject({ type: 'json_schema', strict: false, name: 'response' });
    expect(result.json).toEqual({ title: 'x' });
  });

  it('puts the schema in the prompt for json-object servers (Doubao) and repairs prose replies', async () => {
    fake.enqueue({ text: 'Sure! Here you go:\n```json\n{"answer": 42, "reason": "shown",}\n```' });
    const result = await ask(llmFor('doubao/doubao-seed-1-6'));
    const req = fake.lastRequest();
    expect((req.body as Record<string, unknown>)['response_format']).toEqual({
      type: 'json_object',
    });
    expect(req.system).toContain('You read screenshots.');
    expect(req.system).toContain('"required":["answer","reason"]');
    expect(result.json).toEqual({ answer: 42, reason: 'shown' });
  });

  it('sends no response_format in prompt mode', async () => {
    fake.enqueue({ text: '{"answer": 1, "reason": "r"}' });
    const result = await ask(
      llmFor('lmstudio/llava', { WREN_OPENAI_COMPATIBLE_STRUCTURED_OUTPUT: 'prompt' }),
    );
    const req = fake.lastRequest();
    expect((req.body as Record<string, unknown>)['response_format']).toBeUndefined();
    expect(req.system).toContain('JSON Schema');
    expect(result.json).toEqual({ answer: 1, reason: 'r' });
  });

  it('raises LlmOutputError with feedback the engine can send back', async () => {
    fake.enqueue({ json: { answer: 'forty-two' } });
    const error = await ask(llmFor('openai-chat/gpt-4.1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmOutputError);
    const e = error as LlmOutputError;
    expect(e.kind).toBe('invalid_output');
    expect(e.text).toBe('{"answer":"forty-two"}');
    expect(e.problems).toEqual([
      "the value must have required property 'reason'",
      '/answer must be number',
    ]);
    expect(e.feedback).toContain('/answer must be number');
    expect(e.record?.status).toBe(200);
  });

  it('raises LlmOutputError when the reply holds no JSON at all', async () => {
    fake.enqueue({ text: 'I am not able to answer that.' });
    const e = (await ask(llmFor('google/gemini-2.5-flash')).catch(
      (x: unknown) => x,
    )) as LlmOutputError;
    expect(e).toBeInstanceOf(LlmOutputError);
    expect(e.problems).toEqual(['the reply does not contain a JSON value']);
  });
});

describe('usage details', () => {
  it('counts Anthropic cache reads as cached input and prices them lower', async () => {
    fake.enqueue({
      text: 'ok',
      usage: { inputTokens: 10_000, cachedInputTokens: 8_000, outputTokens: 100 },
    });
    const result = await llmFor('anthropic/claude-sonnet-4-5').complete({
      role: 'actor',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const wireUsage = (result.record.response as { usage: Record<string, number> }).usage;
    expect(wireUsage).toMatchObject({ input_tokens: 2000, cache_read_input_tokens: 8000 });
    expect(result.usage).toMatchObject({
      inputTokens: 10_000,
      cachedInputTokens: 8000,
      outputTokens: 100,
    });
    expect(result.costUsd).toBeCloseTo((2000 * 3 + 8000 * 0.3 + 100 * 15) / 1e6, 12);
  });

  it('records which requests a policy saw, searchable by prompt', async () => {
    const seen: FakeRequest[] = [];
    fake.setPolicy((req) => {
      seen.push(req);
      const id = /\[(\d+)\]<button>Submit<\/button>/.exec(req.text)?.[1];
      return { json: { action: 'click', element: id ?? null } };
    });
    const llm = llmFor('openai/gpt-5-mini');
    const result = await llm.complete<{ action: string; element: string }>({
      role: 'actor',
      messages: [
        { role: 'user', content: 'Page:\n[3]<input>Name</input>\n[7]<button>Submit</button>' },
      ],
      schema: {
        type: 'object',
        properties: { action: { type: 'string' }, element: { type: 'string' } },
      },
    });
    expect(result.json).toEqual({ action: 'click', element: '7' });
    expect(seen).toHaveLength(1);
    expect(fake.findRequests('<button>Submit</button>')).toHaveLength(1);
    expect(fake.findRequests(/no such text/)).toHaveLength(0);
  });
});

describe('sampling settings', () => {
  it('sends temperature where supported and reports it as a warning where not', async () => {
    fake.enqueue({ text: 'a' }, { text: 'b' });
    const chat = await llmFor('openai-chat/gpt-4.1').complete({
      role: 'actor',
      messages: [{ role: 'user', content: 'x' }],
      temperature: 0.2,
    });
    expect((fake.lastRequest().body as Record<string, unknown>)['temperature']).toBe(0.2);
    expect(chat.warnings).toEqual([]);
    const reasoning = await llmFor('openai/gpt-5-mini').complete({
      role: 'actor',
      messages: [{ role: 'user', content: 'x' }],
      temperature: 0.2,
    });
    expect((fake.lastRequest().body as Record<string, unknown>)['temperature']).toBeUndefined();
    expect(reasoning.warnings.join('\n')).toContain('temperature');
  });
});

describe('reasoning effort', () => {
  it('maps to reasoning.effort (Responses) and reasoning_effort (Chat), and warns elsewhere', async () => {
    fake.enqueue({ text: 'a' }, { text: 'b' }, { text: 'c' });
    const ask = (model: string) =>
      llmFor(model).complete({
        role: 'actor',
        messages: [{ role: 'user', content: 'x' }],
        reasoningEffort: 'minimal',
      });
    await ask('openai/gpt-5-mini');
    expect((fake.lastRequest().body as { reasoning?: unknown }).reasoning).toEqual({
      effort: 'minimal',
    });
    await ask('openai-compatible/qwen3');
    expect((fake.lastRequest().body as Record<string, unknown>)['reasoning_effort']).toBe(
      'minimal',
    );
    const claude = await ask('anthropic/claude-sonnet-4-5');
    expect(claude.warnings).toContain('unsupported: reasoningEffort (ignored for anthropic)');
  });

  it('accepts images given as base64 strings', async () => {
    fake.enqueue({ text: 'seen' });
    await llmFor('anthropic/claude-haiku-4-5').complete({
      role: 'actor',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', data: screenshot.toString('base64') },
            { type: 'text', text: 'look' },
          ],
        },
      ],
    });
    expect(fake.lastRequest().images[0]?.bytes.equals(screenshot)).toBe(true);
  });
});

describe('truncated replies', () => {
  it.each([
    'openai/gpt-5-mini',
    'openai-chat/gpt-4.1',
    'anthropic/claude-sonnet-4-5',
    'google/gemini-2.5-flash',
  ])(
    '%s: repairs JSON cut off by the token limit and reports finishReason length',
    async (model) => {
      fake.enqueue({ text: '{"answer": 42, "reason": "cut of', finishReason: 'length' });
      const result = await ask(llmFor(model));
      expect(result.finishReason).toBe('length');
      expect(result.json).toEqual({ answer: 42, reason: 'cut of' });
    },
  );
});

describe('prompt caching', () => {
  it('marks the Anthropic system prompt with cache_control when asked', async () => {
    fake.enqueue({ text: 'a' }, { text: 'b' });
    const llm = llmFor('anthropic/claude-sonnet-4-5');
    const call = (cacheSystemPrompt: boolean) =>
      llm.complete({
        role: 'actor',
        system: 'Long stable rules.',
        messages: [{ role: 'user', content: 'x' }],
        cacheSystemPrompt,
      });
    await call(true);
    expect((fake.lastRequest().body as { system: unknown }).system).toEqual([
      { type: 'text', text: 'Long stable rules.', cache_control: { type: 'ephemeral' } },
    ]);
    await call(false);
    expect((fake.lastRequest().body as { system: unknown }).system).toEqual([
      { type: 'text', text: 'Long stable rules.' },
    ]);
  });
});
