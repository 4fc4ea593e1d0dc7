/**
 * The store on the real PostgreSQL: the same migrations as SQLite, the same queries, and the
 * leased claims that let several workers share the queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NewRun, openStore, type Store } from '../../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/pg-database.js';

let db: TestDatabase;
let store: Store;
let other: Store;
/** Which worker's claim took tsk_c00: concurrent claims take the lock in no fixed order. */
let c00Owner: string | undefined;

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function newRun(id: string, organizationId: string, queuedAt: string): NewRun {
  return {
    id,
    organizationId,
    engine: 'skyvern-1.0',
    runType: 'task_v1',
    status: 'queued',
    title: `title ${id}`,
    prompt: `prompt of ${id}`,
    request: { prompt: id, engine: 'skyvern-1.0', data_extraction_schema: { nested: { n: 1 } } },
    webhookUrl: null,
    createdAt: queuedAt,
    modifiedAt: queuedAt,
    queuedAt,
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  // Two stores opened at once race on the migrations; both must come up on the same schema.
  [store, other] = await Promise.all([
    openStore({ databaseUrl: db.url }),
    openStore({ databaseUrl: db.url }),
  ]);
  expect(store.isPostgres).toBe(true);
  await store.apiKeys.createOrganization({ id: 'o_1', name: 'one', createdAt: at(0) });
  await store.apiKeys.createOrganization({ id: 'o_2', name: 'two', createdAt: at(1) });
});
afterAll(async () => {
  await store?.close();
  await other?.close();
  await db?.drop();
});

describe('store on PostgreSQL', () => {
  it('runs the same migrations and round-trips runs, steps and search', async () => {
    await store.runs.insert(newRun('tsk_a', 'o_1', at(10)));
    const run = await other.runs.get('o_1', 'tsk_a');
    expect(run?.request).toEqual({
      prompt: 'tsk_a',
      engine: 'skyvern-1.0',
      data_extraction_schema: { nested: { n: 1 } },
    });
    expect(run?.usage).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(await store.runs.get('o_2', 'tsk_a')).toBeNull();

    await store.runs.insertStep({
      runId: 'tsk_a',
      stepIndex: 0,
      kind: 'step_finished',
      summary: 'clicked',
      usage: { inputTokens: 5, outputTokens: 2, costUsd: 0.25 },
      data: { ok: true },
      createdAt: at(11),
    });
    await store.runs.insertStep({
      runId: 'tsk_a',
      stepIndex: 1,
      kind: 'log',
      summary: null,
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      data: null,
      createdAt: at(12),
    });
    const steps = await other.runs.steps('tsk_a');
    expect(steps.map((s) => [s.stepIndex, s.kind, s.usage.costUsd, s.data])).toEqual([
      [0, 'step_finished', 0.25, { ok: true }],
      [1, 'log', 0, null],
    ]);
    expect(
      (await store.runs.list('o_1', { search: 'TITLE TSK', limit: 10, offset: 0 })).length,
    ).toBe(1);
    expect((await store.runs.list('o_1', { search: '100%', limit: 10, offset: 0 })).length).toBe(0);
    await store.apiKeys.insert({
      id: 'k1',
      organizationId: 'o_1',
      keyHash: 'h',
      keyPrefix: 'p',
      label: null,
      createdAt: at(0),
    });
    expect(await other.apiKeys.count()).toBe(1);
    expect((await other.apiKeys.identityForHash('h'))?.organization.id).toBe('o_1');
  });

  it('claims each queued run once across concurrent claimers, oldest first', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `tsk_c${String(i).padStart(2, '0')}`);
    for (const [i, id] of ids.entries()) await store.runs.insert(newRun(id, 'o_2', at(100 + i)));
    const claims = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? store : other).leases.claim({
          owner: `w${i % 3}`,
          now: at(200),
          leaseUntil: at(230),
          orgLimit: null,
        }),
      ),
    );
    const claimed = claims.filter((r) => r !== null).map((r) => r.id);
    c00Owner = `w${claims.findIndex((r) => r?.id === 'tsk_c00') % 3}`;
    // tsk_a (queued earlier) is claimed too; every run exactly once.
    expect(claimed.sort()).toEqual(['tsk_a', ...ids].sort());
    for (const run of claims) if (run) expect(run.attempts).toBe(1);
  });

  it('holds each organization to its concurrency limit', async () => {
    for (let i = 0; i < 4; i++) await store.runs.insert(newRun(`tsk_l${i}`, 'o_1', at(300 + i)));
    // o_1 has tsk_a running already; a limit of 3 leaves two more slots.
    const claims = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        (i % 2 ? store : other).leases.claim({
          owner: 'w9',
          now: at(310),
          leaseUntil: at(340),
          orgLimit: 3,
        }),
      ),
    );
    expect(
      claims
        .filter((r) => r !== null)
        .map((r) => r.id)
        .sort(),
    ).toEqual(['tsk_l0', 'tsk_l1']);
  });

  it('renews leases by heartbeat; an expired lease is recovered by exactly one sweeper', async () => {
    const renewed = (await store.leases.heartbeat('w9', at(400))).sort();
    expect(renewed).toEqual(['tsk_l0', 'tsk_l1']);
    const expired = await other.leases.expired(at(350));
    expect(expired.map((e) => e.run.id)).not.toContain('tsk_l0');
    const victim = expired.find((e) => e.run.id === 'tsk_c00');
    expect(victim?.leaseOwner).toBe(c00Owner);
    if (!victim) return;
    const patch = { status: 'queued' as const, startedAt: null, modifiedAt: at(351) };
    const results = await Promise.all([
      store.leases.recover(victim, patch),
      other.leases.recover(victim, patch),
      store.leases.recover(victim, patch),
    ]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect((await store.runs.getById('tsk_c00'))?.status).toBe('queued');
    // The old owner is fenced: its late write changes nothing.
    expect(
      await store.leases.updateOwned('tsk_c00', 'w0', ['running', 'queued'], {
        status: 'completed',
        modifiedAt: at(352),
      }),
    ).toBeNull();
    const again = await store.leases.claim({
      owner: 'w1',
      now: at(360),
      leaseUntil: at(390),
      orgLimit: null,
    });
    expect(again?.id).toBe('tsk_c00');
    expect(again?.attempts).toBe(2);
  });
});
