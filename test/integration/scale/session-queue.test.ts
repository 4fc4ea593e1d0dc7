/**
 * The session rows several processes share on the real PostgreSQL: the run queue of a session
 * (first waiter wins, a holder or waiter whose run stopped running no longer counts) and the
 * failing of orphaned sessions (exactly once among concurrent sweepers; a fresh heartbeat wins).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../src/core/index.js';
import {
  type BrowserSessionRecord,
  type NewRun,
  openStore,
  type Store,
} from '../../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/pg-database.js';

let db: TestDatabase;
let store: Store;
let other: Store;

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function newRun(id: string): NewRun {
  return {
    id,
    organizationId: 'o_1',
    engine: 'skyvern-1.0',
    runType: 'task_v1',
    status: 'queued',
    title: id,
    prompt: id,
    request: { prompt: id, engine: 'skyvern-1.0' },
    webhookUrl: null,
    createdAt: at(0),
    modifiedAt: at(0),
    queuedAt: at(0),
  };
}

async function runWithStatus(id: string, status: RunStatus): Promise<void> {
  await store.runs.insert(newRun(id));
  await setStatus(id, status);
}

async function setStatus(id: string, status: RunStatus): Promise<void> {
  await store.runs.updateWhere(id, (q) => q, { status, modifiedAt: at(1) });
}

function session(id: string, owner: string, heartbeatAt: string): BrowserSessionRecord {
  return {
    id,
    organizationId: 'o_1',
    status: 'running',
    timeoutMinutes: 60,
    url: null,
    proxyLocation: null,
    browserAddress: 'ws://127.0.0.1:1/devtools/browser/x',
    runnableType: null,
    runnableId: null,
    expiresAt: at(3600),
    startedAt: at(0),
    completedAt: null,
    createdAt: at(0),
    modifiedAt: at(0),
    ownerId: owner,
    heartbeatAt,
  };
}

const take = (runId: string, since: string) =>
  store.sessions.acquire('pbs_q', { runId, runType: 'task_v1', since }, at(2));
const holder = async () => (await store.sessions.getById('pbs_q'))?.runnableId ?? null;

beforeAll(async () => {
  db = await createTestDatabase();
  store = await openStore({ databaseUrl: db.url });
  other = await openStore({ databaseUrl: db.url });
  await store.apiKeys.createOrganization({ id: 'o_1', name: 'one', createdAt: at(0) });
  await store.sessions.insert(session('pbs_q', 'node-a:1:aa', at(0)));
});
afterAll(async () => {
  await store?.close();
  await other?.close();
  await db?.drop();
});

describe('shared session queue on PostgreSQL', () => {
  it('hands the session to the first waiter, skipping runs that stopped running', async () => {
    for (const id of ['r_gone', 'r1', 'r2', 'r3']) await runWithStatus(id, 'running');
    // r_gone queued first, then its run was canceled: it must not block anyone.
    await store.sessions.enqueue('pbs_q', 'r_gone', at(10));
    await setStatus('r_gone', 'canceled');
    const s1 = await store.sessions.enqueue('pbs_q', 'r1', at(11));
    const s2 = await store.sessions.enqueue('pbs_q', 'r2', at(12));
    const s3 = await store.sessions.enqueue('pbs_q', 'r3', at(13));
    // Enqueueing again keeps the place in line.
    expect(await store.sessions.enqueue('pbs_q', 'r1', at(99))).toBe(s1);

    expect(await take('r3', s3)).toBe(false);
    expect(await take('r2', s2)).toBe(false);
    expect(await take('r1', s1)).toBe(true);
    await store.sessions.dequeue('pbs_q', 'r1');
    expect(await holder()).toBe('r1');
    // Held: the next in line waits; the holder taking it again (a retried attempt) keeps it.
    expect(await take('r2', s2)).toBe(false);
    expect(await take('r1', s1)).toBe(true);

    // r1 lets go normally: r2 (not r3) is next.
    await store.sessions.releaseHold('pbs_q', 'r1', at(3));
    expect(await take('r3', s3)).toBe(false);
    expect(await take('r2', s2)).toBe(true);
    await store.sessions.dequeue('pbs_q', 'r2');

    // r2's worker dies holding the session; once its run is no longer running (lease recovery
    // re-queued it), r3 takes over without a release.
    expect(await take('r3', s3)).toBe(false);
    await setStatus('r2', 'queued');
    expect(await take('r3', s3)).toBe(true);
    expect(await holder()).toBe('r3');
    // A release by a run that no longer holds it changes nothing.
    await store.sessions.releaseHold('pbs_q', 'r2', at(4));
    expect(await holder()).toBe('r3');

    // An ended session cannot be taken, and its queue is emptied.
    await store.sessions.releaseHold('pbs_q', 'r3', at(5));
    expect(await store.sessions.endIfActive('pbs_q', 'completed', at(6))).toBe(true);
    expect(await store.sessions.endIfActive('pbs_q', 'completed', at(7))).toBe(false);
    expect(await take('r3', s3)).toBe(false);
  });

  it('fails an orphaned session exactly once, and not when its heartbeat came back', async () => {
    await store.sessions.insert(session('pbs_dead', 'node-b:7:bb', at(0)));
    await store.sessions.insert(session('pbs_alive', 'node-c:8:cc', at(100)));
    await store.sessions.insert(session('pbs_mine', 'node-d:9:dd', at(0)));
    await store.sessions.insert(session('pbs_restarted', 'node-d:9:00', at(100)));
    // Seen from node-d:9:dd at second 100 with a 60 s window.
    const found = async (s: Store) =>
      (await s.sessions.orphaned(at(40), 'node-d:9:dd', 'node-d:9:')).sort((a, b) =>
        a.id.localeCompare(b.id),
      );
    const seenA = await found(store);
    const seenB = await found(other);
    // Its own session never; an earlier process of the same host and pid always.
    expect(seenA.map((f) => f.id)).toEqual(['pbs_dead', 'pbs_restarted']);
    const results = await Promise.all(
      [...seenA, ...seenB].map((f, i) => (i < 2 ? store : other).sessions.failOrphan(f, at(101))),
    );
    expect(results.filter(Boolean)).toHaveLength(2);
    expect((await store.sessions.getById('pbs_dead'))?.status).toBe('failed');
    expect((await store.sessions.getById('pbs_alive'))?.status).toBe('running');

    // Found stale, but the owner beat before the failing write: it stays running.
    await store.sessions.insert(session('pbs_late', 'node-e:1:ee', at(0)));
    const [late] = (await found(store)).filter((f) => f.id === 'pbs_late');
    expect(late).toBeDefined();
    expect(await store.sessions.heartbeat('node-e:1:ee', at(102))).toEqual(['pbs_late']);
    expect(await store.sessions.failOrphan(late as NonNullable<typeof late>, at(103))).toBe(false);
    expect((await store.sessions.getById('pbs_late'))?.status).toBe('running');
  });
});
