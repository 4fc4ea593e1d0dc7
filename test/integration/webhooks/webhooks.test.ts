import { afterEach, describe, expect, it, vi } from 'vitest';
import { EngineRegistry } from '../../../src/engines/registry.js';
import { blockingEngine, engineFrom } from '../../support/engines.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from '../../support/wren.js';
import { expectedSignature, freePort, type Receiver, startReceiver } from './receiver.js';

let t: TestWren | null = null;
const receivers: Receiver[] = [];
afterEach(async () => {
  await t?.close();
  t = null;
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(
  respond?: Parameters<typeof startReceiver>[0],
  port?: number,
): Promise<Receiver> {
  const r = await startReceiver(respond, port);
  receivers.push(r);
  return r;
}

function completingEngines() {
  return new EngineRegistry().register(
    engineFrom('skyvern-1.0', async (ctx) => {
      ctx.emit({ type: 'step_started', stepIndex: 0 });
      ctx.emit({ type: 'step_finished', stepIndex: 0, summary: 'read the price' });
      return {
        outcome: { status: 'completed', output: { price: '42.00', note: 'café ☕' } },
        errors: [],
        stepCount: 1,
        usage: { inputTokens: 10, outputTokens: 2, costUsd: 0.5 },
      };
    }),
    { requiresModel: false },
  );
}

async function start(env: Record<string, string> = {}, engines = completingEngines()) {
  t = await startTestWren({
    engines,
    env: { WREN_WEBHOOK_RETRY_BASE_MS: '50', ...env },
    webhooks: { pollIntervalMs: 50 },
  });
  return t;
}

async function submit(body: Record<string, unknown>): Promise<string> {
  const res = await t!.call('POST', '/v1/run/tasks', { engine: 'skyvern-1.0', ...body });
  expect(res.status).toBe(200);
  return (res.body as { run_id: string }).run_id;
}

interface Deliveries {
  deliveries: Array<{
    state: string;
    attempts: number;
    run_status: string;
    last_error: string | null;
  }>;
  attempts: Array<{
    attempt: number;
    kind: string;
    status_code: number | null;
    error: string | null;
    response_body: string | null;
    will_retry: boolean;
    latency_ms: number;
  }>;
}

function deliveriesUntil(
  runId: string,
  until: (d: Deliveries) => boolean,
  timeoutMs = 15_000,
): Promise<Deliveries> {
  return vi.waitFor(
    async () => {
      const res = await t!.call('GET', `/v1/runs/${runId}/webhook_deliveries`);
      expect(res.status).toBe(200);
      const body = res.body as Deliveries;
      if (!until(body)) throw new Error(`deliveries never settled: ${res.text}`);
      return body;
    },
    { timeout: timeoutMs, interval: 25 },
  );
}

const settled = (d: Deliveries) =>
  d.deliveries.length > 0 && d.deliveries.every((x) => x.state !== 'pending');

describe('webhooks', () => {
  it('POSTs the terminal run signed with the creating API key over the exact raw bytes', async () => {
    const hook = await receiver();
    await start();
    const runId = await submit({ prompt: 'Find the price', webhook_url: hook.url, max_steps: 4 });
    const [got] = await hook.waitFor(1);
    const raw = got!.raw;
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['x-skyvern-signature']).toBe(expectedSignature(raw, t!.apiKey));
    expect(got!.headers['x-skyvern-signature']).not.toBe(expectedSignature(raw, 'another key'));
    const stamp = Number(got!.headers['x-skyvern-timestamp']);
    expect(Math.abs(stamp - Date.now() / 1000)).toBeLessThan(60);

    const payload = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    // Compact JSON, non-ASCII kept as is (docs/webhooks.md).
    expect(raw.toString('utf8')).toContain('"note":"café ☕"');
    expect(Object.keys(payload)[0]).toBe('task_id');
    expect(payload).toMatchObject({
      task_id: runId,
      run_id: runId,
      status: 'completed',
      output: { price: '42.00', note: 'café ☕' },
      extracted_information: { price: '42.00', note: 'café ☕' },
      run_type: 'task_v1',
      step_count: 1,
      max_steps_per_run: 4,
      failure_reason: null,
    });
    expect(payload).not.toHaveProperty('run_request');

    const log = await deliveriesUntil(runId, settled);
    expect(log.deliveries).toMatchObject([
      { state: 'delivered', attempts: 1, run_status: 'completed' },
    ]);
    expect(log.attempts).toMatchObject([
      {
        attempt: 1,
        kind: 'automatic',
        status_code: 200,
        error: null,
        response_body: 'answer 200',
        will_retry: false,
      },
    ]);
    expect(hook.received).toHaveLength(1);
    // The sealed key was kept until the delivery settled, then dropped; it never was plaintext.
    await expect
      .poll(() => t!.wren.store.runSigningKeys.get(t!.wren.auth.organization.id, runId), {
        interval: 10,
        timeout: 2000,
      })
      .toBeNull();
  });

  it('retries a receiver that is down twice, honouring Retry-After, and delivers exactly once', async () => {
    const hook = await receiver((n) =>
      n === 0
        ? { status: 503, body: 'x'.repeat(5000) }
        : n === 1
          ? { status: 429, headers: { 'retry-after': '1' } }
          : { status: 204 },
    );
    await start();
    const runId = await submit({ prompt: 'p', webhook_url: hook.url });
    await hook.waitFor(1);
    const sealed = await t!.wren.store.runSigningKeys.get(t!.wren.auth.organization.id, runId);
    expect(sealed).toMatch(/^wren1\./);
    expect(sealed).not.toContain(t!.apiKey);
    const log = await deliveriesUntil(runId, settled);
    expect(hook.received.map((r) => r.answered)).toEqual([503, 429, 204]);
    // The same signed bytes each time.
    expect(new Set(hook.received.map((r) => r.raw.toString('base64'))).size).toBe(1);
    expect(hook.received[2]!.at - hook.received[1]!.at).toBeGreaterThanOrEqual(950);
    expect(log.deliveries).toMatchObject([{ state: 'delivered', attempts: 3, last_error: null }]);
    expect(log.attempts.map((a) => [a.attempt, a.status_code, a.will_retry])).toEqual([
      [1, 503, true],
      [2, 429, true],
      [3, 204, false],
    ]);
    expect(log.attempts[0]!.error).toBe('receiver answered HTTP 503');
    expect(log.attempts[0]!.response_body).toHaveLength(2048);
  });

  it('retries a receiver that is not even listening for two attempts, then delivers once when it is up', async () => {
    const port = await freePort();
    await start({ WREN_WEBHOOK_RETRY_BASE_MS: '1000' });
    const runId = await submit({ prompt: 'p', webhook_url: `http://127.0.0.1:${port}/hook` });
    // Two refused connections are recorded (each with a retry planned), then the receiver starts.
    const down = await deliveriesUntil(runId, (d) => d.attempts.length >= 2, 20_000);
    const hook = await receiver(undefined, port);
    expect(down.attempts.map((a) => [a.attempt, a.status_code, a.will_retry])).toEqual([
      [1, null, true],
      [2, null, true],
    ]);
    for (const a of down.attempts) expect(a.error).toMatch(/ECONNREFUSED|connect|fetch failed/i);
    const log = await deliveriesUntil(runId, settled, 20_000);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.headers['x-skyvern-signature']).toBe(
      expectedSignature(hook.received[0]!.raw, t!.apiKey),
    );
    expect(log.deliveries).toMatchObject([{ state: 'delivered', attempts: 3, last_error: null }]);
    expect(log.attempts.map((a) => [a.attempt, a.status_code, a.will_retry])).toEqual([
      [1, null, true],
      [2, null, true],
      [3, 200, false],
    ]);
  });

  it('gives up after WREN_WEBHOOK_MAX_ATTEMPTS, and never retries a 4xx or a refused network', async () => {
    const down = await receiver(() => ({ status: 500 }));
    const gone = await receiver(() => ({ status: 404 }));
    await start({ WREN_WEBHOOK_MAX_ATTEMPTS: '3' });
    const a = await submit({ prompt: 'a', webhook_url: down.url });
    const b = await submit({ prompt: 'b', webhook_url: gone.url });
    const logA = await deliveriesUntil(a, settled);
    const logB = await deliveriesUntil(b, settled);
    expect(down.received).toHaveLength(3);
    expect(logA.deliveries).toMatchObject([{ state: 'failed', attempts: 3 }]);
    expect(logA.attempts.map((x) => x.will_retry)).toEqual([true, true, false]);
    expect(gone.received).toHaveLength(1);
    expect(logB.deliveries).toMatchObject([
      { state: 'failed', attempts: 1, last_error: 'receiver answered HTTP 404' },
    ]);
  });

  it('re-checks the network policy at send time (DNS may have changed since the run was created)', async () => {
    const hook = await receiver();
    let lookups = 0;
    t = await startTestWren({
      engines: completingEngines(),
      env: { WREN_WEBHOOK_RETRY_BASE_MS: '50' },
      webhooks: { pollIntervalMs: 50 },
      // First lookup (at creation) says loopback; later ones point at the metadata address.
      resolveHost: async () => (lookups++ === 0 ? ['127.0.0.1'] : ['169.254.169.254']),
    });
    const port = new URL(hook.url).port;
    const runId = await submit({ prompt: 'p', webhook_url: `http://hooks.test:${port}/hook` });
    const log = await deliveriesUntil(runId, settled);
    expect(log.deliveries).toMatchObject([{ state: 'failed', attempts: 1 }]);
    expect(log.attempts[0]!.error).toMatch(/^webhook_url refused: .*metadata/);
    expect(log.attempts[0]!.will_retry).toBe(false);
    expect(hook.received).toHaveLength(0);
  });

  it('sends a webhook for a run canceled while running', async () => {
    const hook = await receiver();
    const blocking = blockingEngine('skyvern-1.0');
    await start({}, new EngineRegistry().register(blocking.engine, { requiresModel: false }));
    const runId = await submit({ prompt: 'p', webhook_url: hook.url });
    await blocking.startedRun(runId);
    expect((await t!.call('POST', `/v1/runs/${runId}/cancel`)).status).toBe(200);
    const [got] = await hook.waitFor(1);
    expect(JSON.parse(got!.raw.toString())).toMatchObject({ run_id: runId, status: 'canceled' });
    const log = await deliveriesUntil(runId, settled);
    expect(log.deliveries).toMatchObject([{ state: 'delivered', run_status: 'canceled' }]);
  });

  it('retry_webhook posts synchronously, to an override URL too, and reports the answer', async () => {
    const hook = await receiver();
    const other = await receiver(() => ({ status: 202, body: 'queued on my side' }));
    await start();
    const runId = await submit({ prompt: 'p', webhook_url: hook.url });
    await hook.waitFor(1);

    const replay = await t!.call('POST', `/v1/runs/${runId}/retry_webhook`, {
      webhook_url: other.url,
    });
    expect(replay.status).toBe(200);
    const body = replay.body as Record<string, unknown>;
    expect(other.received).toHaveLength(1);
    const raw = other.received[0]!.raw;
    expect(body).toMatchObject({
      run_id: runId,
      run_type: 'task_v1',
      default_webhook_url: hook.url,
      target_webhook_url: other.url,
      payload: raw.toString('utf8'),
      status_code: 202,
      response_body: 'queued on my side',
      error: null,
    });
    expect((body['headers'] as Record<string, string>)['x-skyvern-signature']).toBe(
      expectedSignature(raw, t!.apiKey),
    );
    expect(typeof body['latency_ms']).toBe('number');

    // Without an override it goes to the run's own URL.
    const again = await t!.call('POST', `/v1/runs/${runId}/retry_webhook`);
    expect(again.status).toBe(200);
    expect(hook.received).toHaveLength(2);
    const log = await deliveriesUntil(runId, settled);
    expect(log.attempts.filter((a) => a.kind === 'replay')).toHaveLength(2);

    // A run without a webhook and no override → 400; unknown run → 404.
    const plain = await submit({ prompt: 'no hook' });
    await waitForRun(t!, plain, isTerminalRun);
    const none = await t!.call('POST', `/v1/runs/${plain}/retry_webhook`, {});
    expect(none).toMatchObject({
      status: 400,
      body: { detail: 'No webhook URL configured for the run.' },
    });
    expect((await t!.call('POST', '/v1/runs/tsk_1/retry_webhook', {})).status).toBe(404);
    // A receiver that is down is reported, not raised.
    await other.close();
    const down = await t!.call('POST', `/v1/runs/${plain}/retry_webhook`, {
      webhook_url: other.url,
    });
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ status_code: null, response_body: null });
    expect((down.body as { error: string }).error).toMatch(/fetch failed|ECONNREFUSED/);
  });
});
