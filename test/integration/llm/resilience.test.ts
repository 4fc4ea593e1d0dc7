/** Retries, Retry-After, exhausted retries, timeouts and cancel, over HTTP against the fake. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLlm, type Llm, LlmError, resolveModelConfig } from '../../../src/llm/index.js';
import { type FakeModelServer, startFakeModelServer } from '../../support/fake-model-server.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function llmFor(
  model: string,
  retry: { maxRetries?: number; maxRetryAfterMs?: number } = {},
  timeoutMs = 10_000,
): Llm {
  const r = resolveModelConfig(fake.env(model));
  if (!r.ok) throw new Error(r.problem);
  return createLlm({
    ...r.config,
    timeoutMs,
    retry: { maxRetries: 2, baseDelayMs: 20, maxDelayMs: 80, maxRetryAfterMs: 5_000, ...retry },
  });
}

const hello = { role: 'actor' as const, messages: [{ role: 'user' as const, content: 'hello' }] };

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  const e = await promise.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(LlmError);
  return e as LlmError;
}

/** Resolves when the fake has received `n` requests. */
async function requestsReceived(n: number): Promise<void> {
  await expect.poll(() => fake.requests.length, { interval: 5 }).toBeGreaterThanOrEqual(n);
}

describe.each(['openai/gpt-5-mini', 'anthropic/claude-sonnet-4-5', 'google/gemini-2.5-flash'])(
  '%s',
  (model) => {
    it('waits for Retry-After on 429, then succeeds', async () => {
      fake.enqueue(
        { error: { status: 429, message: 'slow down', retryAfter: 1 } },
        { text: 'after the wait' },
      );
      const t0 = performance.now();
      const result = await llmFor(model).complete(hello);
      const elapsed = performance.now() - t0;
      expect(result.text).toBe('after the wait');
      expect(result.attempts).toBe(2);
      expect(fake.requests).toHaveLength(2);
      expect(elapsed).toBeGreaterThanOrEqual(950);
      // The same request was sent twice.
      expect(fake.requests[1]?.rawBody).toBe(fake.requests[0]?.rawBody);
    });

    it('gives up after the retries with a typed server error', async () => {
      fake.enqueue(
        ...Array.from({ length: 3 }, () => ({ error: { status: 500, message: 'boom' } })),
      );
      const e = await failure(llmFor(model).complete(hello));
      expect(e).toMatchObject({ kind: 'server', status: 500, attempts: 3, retryable: true });
      expect(e.message).toContain('HTTP 500');
      expect(e.record?.status).toBe(500);
      expect(e.record?.attempts).toBe(3);
      expect(fake.requests).toHaveLength(3);
    });
  },
);

describe('failure handling', () => {
  it('does not retry an auth error', async () => {
    fake.enqueue({ error: { status: 401, message: 'bad key' } }, { text: 'never' });
    const e = await failure(llmFor('openai-chat/gpt-4.1').complete(hello));
    expect(e).toMatchObject({ kind: 'auth', status: 401, attempts: 1, retryable: false });
    expect(fake.requests).toHaveLength(1);
  });

  it('fails fast when Retry-After exceeds the limit', async () => {
    fake.enqueue({ error: { status: 429, retryAfter: 120 } }, { text: 'never' });
    const e = await failure(llmFor('openai/gpt-5-mini').complete(hello));
    // A wait would have ended in a second request answered 'never'.
    expect(e.kind).toBe('rate_limit');
    expect(e.message).toContain('retry after 120 s');
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a malformed 200 body, then succeeds', async () => {
    fake.enqueue({ malformed: '{"id": "chatcmpl-1", "choices": [' }, { text: 'fine now' });
    const result = await llmFor('openai-chat/gpt-4.1').complete(hello);
    expect(result).toMatchObject({ text: 'fine now', attempts: 2 });
  });

  it('times out a call that gets no answer, without retrying it', async () => {
    fake.enqueue({ hang: true });
    const t0 = performance.now();
    const e = await failure(llmFor('openai/gpt-5-mini', {}, 300).complete(hello));
    const elapsed = performance.now() - t0;
    expect(e).toMatchObject({ kind: 'timeout', attempts: 1 });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(fake.requests).toHaveLength(1);
  });

  it('honours a per-request timeout', async () => {
    fake.enqueue({ text: 'late', delayMs: 2_000 });
    const e = await failure(
      llmFor('anthropic/claude-haiku-4-5').complete({ ...hello, timeoutMs: 200 }),
    );
    expect(e.kind).toBe('timeout');
  });

  it('aborts an in-flight call when the signal fires', async () => {
    fake.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = llmFor('openai/gpt-5-mini').complete({ ...hello, signal: controller.signal });
    await requestsReceived(1);
    controller.abort(new Error('run canceled'));
    const e = await failure(pending);
    expect(e.kind).toBe('aborted');
    expect(e.message).toContain('run canceled');
  });

  it('aborts during the backoff wait', async () => {
    fake.enqueue({ error: { status: 503, retryAfter: 4 } }, { text: 'never' });
    const controller = new AbortController();
    const pending = llmFor('openai-chat/gpt-4.1').complete({ ...hello, signal: controller.signal });
    await requestsReceived(1);
    controller.abort();
    const e = await failure(pending);
    // Not aborted, the 4 s backoff would have ended in a second request answered 'never'.
    expect(e.kind).toBe('aborted');
    expect(fake.requests).toHaveLength(1);
  });

  it('rejects an already aborted signal without calling the model', async () => {
    const e = await failure(
      llmFor('openai/gpt-5-mini').complete({ ...hello, signal: AbortSignal.abort() }),
    );
    expect(e.kind).toBe('aborted');
    expect(fake.requests).toHaveLength(0);
  });

  it('reports a refused connection as a network error after retrying', async () => {
    const r = resolveModelConfig({
      WREN_MODEL: 'openai-compatible/m',
      WREN_OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:9/v1',
    });
    if (!r.ok) throw new Error(r.problem);
    const llm = createLlm({
      ...r.config,
      retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 10 },
    });
    const e = await failure(llm.complete(hello));
    expect(e).toMatchObject({ kind: 'network', attempts: 2, retryable: true });
  });
});

describe('malformed bodies', () => {
  it('names a persistently malformed body after the retries', async () => {
    fake.enqueue(...Array.from({ length: 3 }, () => ({ malformed: 'not json at all' })));
    const e = await failure(llmFor('openai/gpt-5-mini').complete(hello));
    expect(e).toMatchObject({ kind: 'server', attempts: 3 });
    expect(e.message).toContain('malformed response');
  });
});
