import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killHard, type ServerProcess, startServerProcess } from '../../support/process.js';
import { until } from '../../support/wait.js';
import { expectedSignature, startReceiver } from './receiver.js';

const KEY = 'wren_webhook_restart_key';
const dataDir = mkdtempSync(join(tmpdir(), 'wren-webhook-restart-'));
const env = {
  WREN_API_KEY: KEY,
  WREN_MODEL: '',
  WREN_DATA_DIR: undefined,
  WREN_PORT: undefined,
  WREN_ALLOW_PRIVATE_NETWORKS: 'true',
  WREN_WEBHOOK_RETRY_BASE_MS: '1500',
  WREN_WEBHOOK_TIMEOUT_SECONDS: '2',
};
let server: ServerProcess | null = null;

afterAll(async () => {
  if (server) await killHard(server);
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(path: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const res = await fetch(`${server!.url}${path}`, {
    ...init,
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('webhook durability', () => {
  it('a delivery still failing when the server is killed with -9 is delivered after restart', async () => {
    let up = false;
    const hook = await startReceiver(() => (up ? { status: 200 } : { status: 503 }));
    try {
      server = await startServerProcess(['--data-dir', dataDir], env);
      // No model is configured, so the worker fails the run at once: a terminal status.
      const created = await call('/v1/run/tasks', {
        method: 'POST',
        body: JSON.stringify({ prompt: 'p', engine: 'skyvern-1.0', webhook_url: hook.url }),
      });
      const runId = String(created['run_id']);
      await hook.waitFor(1);
      // Wait until the failed attempt is recorded (the row is back to pending), then kill.
      await until(
        'the failed attempt recorded',
        async () => {
          const log = await call(`/v1/runs/${runId}/webhook_deliveries`);
          const attempts = log['attempts'] as Array<{ will_retry: boolean }>;
          return attempts.length >= 1 && attempts[0]!.will_retry;
        },
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      expect(server.output()).not.toContain(KEY);
      await killHard(server);
      expect(server.child.signalCode).toBe('SIGKILL');
      const beforeRestart = hook.received.length;
      expect(hook.received.every((r) => r.answered === 503)).toBe(true);

      up = true;
      server = await startServerProcess(['--data-dir', dataDir], env);
      await hook.waitFor(beforeRestart + 1);
      // Settled as delivered, and nothing more arrives.
      const log = await until(
        'the delivery settled as delivered',
        async () => {
          const current = await call(`/v1/runs/${runId}/webhook_deliveries`);
          const [delivery] = current['deliveries'] as Array<{ state: string }>;
          return delivery!.state === 'delivered' && current;
        },
        { timeoutMs: 10_000, intervalMs: 20 },
      );
      const successes = hook.received.filter((r) => r.answered === 200);
      expect(successes).toHaveLength(1);
      const last = successes[0]!;
      expect(last.headers['x-skyvern-signature']).toBe(expectedSignature(last.raw, KEY));
      // Same frozen payload before and after the restart.
      expect(last.raw.equals(hook.received[0]!.raw)).toBe(true);
      expect(JSON.parse(last.raw.toString())).toMatchObject({ run_id: runId, status: 'failed' });
      const attempts = log['attempts'] as Array<{ status_code: number; will_retry: boolean }>;
      expect(attempts.at(-1)).toMatchObject({ status_code: 200, will_retry: false });
      expect(attempts.slice(0, -1).every((a) => a.status_code === 503 && a.will_retry)).toBe(true);
      expect(server.output()).not.toContain(KEY);
    } finally {
      await hook.close();
    }
  });
});
