import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NewRun, openStore, type Store } from '../../../src/store/index.js';

const dataDir = mkdtempSync(join(tmpdir(), 'wren-store-'));
let store: Store;

function newRun(
  id: string,
  organizationId: string,
  queuedAt: string,
  extra: Partial<NewRun> = {},
): NewRun {
  return {
    id,
    organizationId,
    engine: 'skyvern-2.0',
    runType: 'task_v2',
    status: 'queued',
    title: null,
    prompt: `prompt of ${id}`,
    request: { prompt: id, engine: 'skyvern-2.0' },
    webhookUrl: null,
    createdAt: queuedAt,
    modifiedAt: queuedAt,
    queuedAt,
    ...extra,
  };
}

beforeAll(async () => {
  store = await openStore({ dataDir });
  await store.apiKeys.createOrganization({
    id: 'o_1',
    name: 'one',
    createdAt: '2026-01-01T00:00:00.000Z',
  });
  await store.apiKeys.createOrganization({
    id: 'o_2',
    name: 'two',
    createdAt: '2026-01-02T00:00:00.000Z',
  });
});
afterAll(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('store', () => {
  it('migrates idempotently: reopening the same file keeps the data', async () => {
    await store.runs.insert(
      newRun('tsk_keep', 'o_1', '2026-01-01T00:00:00.000Z', {
        status: 'completed',
        queuedAt: null,
      }),
    );
    const again = await openStore({ dataDir });
    expect((await again.runs.getById('tsk_keep'))?.prompt).toBe('prompt of tsk_keep');
    await again.close();
  });

  it('claims queued runs oldest first, each exactly once, even when claims race', async () => {
    await store.runs.insert(newRun('tsk_b', 'o_1', '2026-01-01T00:00:02.000Z'));
    await store.runs.insert(newRun('tsk_a', 'o_2', '2026-01-01T00:00:01.000Z'));
    await store.runs.insert(newRun('tsk_c', 'o_1', '2026-01-01T00:00:03.000Z'));
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        store.leases.claim({
          owner: `worker_${i}`,
          now: '2026-01-01T00:01:00.000Z',
          leaseUntil: '2026-01-01T00:01:30.000Z',
          orgLimit: null,
        }),
      ),
    );
    const claimed = claims.filter((c) => c !== null).map((c) => c.id);
    expect(claimed).toEqual(['tsk_a', 'tsk_b', 'tsk_c']);
    const a = await store.runs.getById('tsk_a');
    expect(a).toMatchObject({
      status: 'running',
      startedAt: '2026-01-01T00:01:00.000Z',
      attempts: 1,
    });
  });

  it('applies a patch only from the expected statuses (compare-and-set)', async () => {
    const at = '2026-01-01T00:02:00.000Z';
    const done = await store.runs.updateIf('tsk_a', ['running'], {
      status: 'completed',
      output: { ok: true },
      stepCount: 4,
      usage: { inputTokens: 10, outputTokens: 2, costUsd: 0.25 },
      finishedAt: at,
      modifiedAt: at,
    });
    expect(done).toMatchObject({
      status: 'completed',
      output: { ok: true },
      stepCount: 4,
      usage: { inputTokens: 10, outputTokens: 2, costUsd: 0.25 },
      finishedAt: at,
    });
    expect(
      await store.runs.updateIf('tsk_a', ['running'], {
        status: 'failed',
        failureReason: 'late',
        modifiedAt: at,
      }),
    ).toBeNull();
    expect((await store.runs.getById('tsk_a'))?.status).toBe('completed');
  });

  it('scopes reads and lists to an organization, with filters and search', async () => {
    expect(await store.runs.get('o_1', 'tsk_a')).toBeNull();
    expect((await store.runs.get('o_2', 'tsk_a'))?.id).toBe('tsk_a');
    const page = await store.runs.list('o_1', { limit: 10, offset: 0 });
    expect(page.map((r) => r.id)).toEqual(['tsk_c', 'tsk_b', 'tsk_keep']);
    expect((await store.runs.list('o_1', { limit: 1, offset: 1 })).map((r) => r.id)).toEqual([
      'tsk_b',
    ]);
    expect(
      (await store.runs.list('o_1', { statuses: ['completed'], limit: 10, offset: 0 })).map(
        (r) => r.id,
      ),
    ).toEqual(['tsk_keep']);
    expect(
      (await store.runs.list('o_1', { search: 'OF TSK_B', limit: 10, offset: 0 })).map((r) => r.id),
    ).toEqual(['tsk_b']);
    // LIKE wildcards in the search are literal.
    expect(await store.runs.list('o_1', { search: '%_%', limit: 10, offset: 0 })).toEqual([]);
  });

  it('records engine steps in order', async () => {
    const usage = { inputTokens: 1, outputTokens: 1, costUsd: 0 };
    await store.runs.insertStep({
      runId: 'tsk_b',
      stepIndex: 0,
      kind: 'step_started',
      summary: null,
      usage,
      data: null,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    await store.runs.insertStep({
      runId: 'tsk_b',
      stepIndex: 0,
      kind: 'step_finished',
      summary: 'clicked',
      usage,
      data: { action: 'click' },
      createdAt: '2026-01-01T00:00:01.000Z',
    });
    expect((await store.runs.steps('tsk_b')).map((s) => [s.kind, s.summary, s.data])).toEqual([
      ['step_started', null, null],
      ['step_finished', 'clicked', { action: 'click' }],
    ]);
  });

  it('resolves an API key hash to its organization', async () => {
    await store.apiKeys.insert({
      id: 'key_1',
      organizationId: 'o_2',
      keyHash: 'h'.repeat(64),
      keyPrefix: 'wren_abcd',
      label: null,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect((await store.apiKeys.identityForHash('h'.repeat(64)))?.organization.id).toBe('o_2');
    expect(await store.apiKeys.identityForHash('x'.repeat(64))).toBeNull();
    expect((await store.apiKeys.firstOrganization())?.id).toBe('o_1');
  });
});
