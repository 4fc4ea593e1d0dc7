import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WrenClient } from '../../../src/sdk/index.js';
import { killHard, type ServerProcess, startServerProcess } from '../../support/process.js';
import { until } from '../../support/wait.js';

const KEY = 'wren_restart_test_key';
const dataDir = mkdtempSync(join(tmpdir(), 'wren-restart-'));
const env = { WREN_API_KEY: KEY, WREN_MODEL: '', WREN_DATA_DIR: undefined, WREN_PORT: undefined };
let server: ServerProcess | null = null;

afterAll(async () => {
  if (server) await killHard(server);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('restart durability', () => {
  it('runs queued before a kill -9 execute after the next start', async () => {
    server = await startServerProcess(['--data-dir', dataDir, '--no-worker'], env);
    let client = new WrenClient({ baseUrl: server.url, apiKey: KEY });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await client.runTask({ prompt: `task ${i}`, engine: 'skyvern-1.0' })).run_id);
    for (const id of ids) expect((await client.getRun(id)).status).toBe('queued');

    await killHard(server);
    expect(server.child.signalCode).toBe('SIGKILL');

    const restarted = await startServerProcess(['--data-dir', dataDir], env);
    server = restarted;
    client = new WrenClient({ baseUrl: restarted.url, apiKey: KEY });
    // With no model configured the worker fails each run with the reason; reaching that terminal
    // state proves the restarted worker picked every queued run up.
    for (const id of ids) {
      const run = await until(
        `run ${id} to end`,
        async () => {
          const run = await client.getRun(id);
          return run.status !== 'queued' && run.status !== 'running' && run;
        },
        { timeoutMs: 60_000, explain: () => restarted.output() },
      );
      expect(run.status).toBe('failed');
      expect(run.failure_reason).toContain('No model is configured');
      expect(run.run_request?.prompt).toBe(`task ${ids.indexOf(id)}`);
    }
    expect((await client.listRuns({ page_size: 100 })).map((r) => r.run_id).sort()).toEqual(
      [...ids].sort(),
    );
    // One JSON log line per transition.
    const transitions = server
      .output()
      .split('\n')
      .filter((l) => l.includes('"run transition"'))
      .map((l) => JSON.parse(l) as { run_id: string; to: string });
    for (const id of ids)
      expect(transitions.filter((t) => t.run_id === id).map((t) => t.to)).toEqual([
        'running',
        'failed',
      ]);
  });
});
