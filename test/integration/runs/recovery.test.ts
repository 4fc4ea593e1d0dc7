import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDefaultOrganization } from '../../../src/api/index.js';
import { createWren } from '../../../src/app/index.js';
import { loadConfig } from '../../../src/config.js';
import { EngineRegistry } from '../../../src/engines/registry.js';
import { createLogger } from '../../../src/log.js';
import { openStore } from '../../../src/store/index.js';
import { engineFrom } from '../../support/engines.js';
import { until } from '../../support/wait.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A skyvern-1.0 engine that completes at once and records which runs it ran. */
function completingEngine() {
  const ran: string[] = [];
  const engines = new EngineRegistry().register(
    engineFrom('skyvern-1.0', async (ctx) => {
      ran.push(ctx.task.runId);
      return {
        outcome: { status: 'completed', output: 'done' },
        errors: [],
        stepCount: 1,
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      };
    }),
    { requiresModel: false },
  );
  return { ran, engines };
}

describe('restart recovery of runs left running', () => {
  it('re-queues a run on its first attempt and fails one that was already retried', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wren-recover-'));
    dirs.push(dataDir);
    // A previous process died with two runs marked running.
    const store = await openStore({ dataDir });
    const org = await ensureDefaultOrganization(store);
    const at = new Date().toISOString();
    for (const [id, attempts] of [
      ['tsk_1', 1],
      ['tsk_2', 2],
    ] as const) {
      await store.runs.insert({
        id,
        organizationId: org.id,
        engine: 'skyvern-1.0',
        runType: 'task_v1',
        status: 'queued',
        title: null,
        prompt: id,
        request: { prompt: id, engine: 'skyvern-1.0' },
        webhookUrl: null,
        createdAt: at,
        modifiedAt: at,
        queuedAt: at,
      });
      for (let i = 0; i < attempts; i++) {
        const claimed = await store.leases.claim({
          owner: 'dead-worker',
          now: at,
          leaseUntil: at,
          orgLimit: null,
        });
        if (i < attempts - 1)
          await store.runs.updateIf(claimed!.id, ['running'], { status: 'queued', modifiedAt: at });
      }
    }
    const running = await store.runs.list(org.id, { statuses: ['running'], limit: 10, offset: 0 });
    expect(running.map((r) => [r.id, r.attempts]).sort()).toEqual([
      ['tsk_1', 1],
      ['tsk_2', 2],
    ]);
    await store.close();

    const { ran, engines } = completingEngine();
    const config = loadConfig({ dataDir, port: 0, logLevel: 'silent' }, { WREN_API_KEY: 'k' });
    const wren = await createWren({ config, logger: createLogger('silent'), engines });
    try {
      await wren.startWorker();
      const first = await until(
        'tsk_1 completed',
        async () => {
          const run = await wren.store.runs.getById('tsk_1');
          return run?.status === 'completed' && run;
        },
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      expect(first).toMatchObject({ status: 'completed', output: 'done', attempts: 2 });
      const second = await wren.store.runs.getById('tsk_2');
      expect(second?.status).toBe('failed');
      expect(second?.failureReason).toBe(
        'The worker died while this run was running (attempt 2 of 2); it is not retried again.',
      );
      expect(ran).toEqual(['tsk_1']);
    } finally {
      await wren.close();
    }
  });

  it('leaves an SDK action in flight to the API call running it, and fails one a dead process left', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wren-recover-'));
    dirs.push(dataDir);
    const { ran, engines } = completingEngine();
    const config = loadConfig({ dataDir, port: 0, logLevel: 'silent' }, { WREN_API_KEY: 'k' });
    const wren = await createWren({ config, logger: createLogger('silent'), engines });
    const org = await ensureDefaultOrganization(wren.store);
    // Runs marked running with no lease: how POST /v1/sdk/run_action records its call, and how
    // a task run looks when its worker died.
    const running = async (id: string, runType: 'sdk_action' | 'task_v1') => {
      const at = new Date().toISOString();
      await wren.store.runs.insert({
        id,
        organizationId: org.id,
        engine: runType === 'sdk_action' ? 'sdk' : 'skyvern-1.0',
        runType,
        status: 'running',
        title: null,
        prompt: id,
        request:
          runType === 'sdk_action'
            ? { prompt: id, sdk_action: { type: 'prompt' } }
            : { prompt: id, engine: 'skyvern-1.0' },
        webhookUrl: null,
        createdAt: at,
        modifiedAt: at,
        queuedAt: at,
      });
      await wren.store.runs.updateIf(id, ['running'], { startedAt: at, modifiedAt: at });
    };
    try {
      await running('sdk_left', 'sdk_action');
      await wren.startWorker();
      // The exclusive start's sweep: an SDK action left running is failed, never re-queued.
      expect(await wren.store.runs.getById('sdk_left')).toMatchObject({
        status: 'failed',
        failureReason: 'The server process running this SDK action stopped before it finished.',
      });
      // A later sweep finds both; it recovers the orphaned task run and leaves the SDK action.
      await running('sdk_live', 'sdk_action');
      await running('tsk_orphan', 'task_v1');
      await until(
        'the orphaned task run recovered and run again',
        async () => (await wren.store.runs.getById('tsk_orphan'))?.status === 'completed',
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      expect(ran).toEqual(['tsk_orphan']);
      expect((await wren.store.runs.getById('sdk_live'))?.status).toBe('running');
    } finally {
      await wren.close();
    }
  });
});
