/**
 * Two SessionManagers on one PostgreSQL stand for two nodes (real Chromium): the node holding
 * the session leases its browser in process, the other over CDP, one after the other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProxyRouter, SessionManager } from '../../../src/sessions/index.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { type FixtureServer, startFixtureServer } from '../../support/fixture-server.js';
import { createTestDatabase, type TestDatabase } from '../../support/pg-database.js';

let db: TestDatabase;
let storeA: Store;
let storeB: Store;
let nodeA: SessionManager;
let nodeB: SessionManager;
let site: FixtureServer;
const dirs: string[] = [];

function manager(store: Store): SessionManager {
  const dataDir = mkdtempSync(join(tmpdir(), 'wren-shared-sessions-'));
  dirs.push(dataDir);
  return new SessionManager({
    store,
    logger: pino({ level: 'silent' }),
    proxies: new ProxyRouter(null),
    dataDir,
    allowPrivateNetworks: true,
    shared: true,
    leasePollMs: 50,
  });
}

async function runningRun(id: string): Promise<void> {
  const now = new Date().toISOString();
  await storeA.runs.insert({
    id,
    organizationId: 'o_1',
    engine: 'skyvern-1.0',
    runType: 'task_v1',
    status: 'queued',
    title: id,
    prompt: id,
    request: { prompt: id, engine: 'skyvern-1.0' },
    webhookUrl: null,
    createdAt: now,
    modifiedAt: now,
    queuedAt: now,
  });
  await storeA.runs.updateWhere(id, (q) => q, { status: 'running', modifiedAt: now });
}

beforeAll(async () => {
  [db, site] = await Promise.all([createTestDatabase(), startFixtureServer()]);
  storeA = await openStore({ databaseUrl: db.url });
  storeB = await openStore({ databaseUrl: db.url });
  await storeA.apiKeys.createOrganization({
    id: 'o_1',
    name: 'one',
    createdAt: new Date().toISOString(),
  });
  nodeA = manager(storeA);
  nodeB = manager(storeB);
  await nodeA.start();
  await nodeB.start();
}, 30_000);

afterAll(async () => {
  await nodeB?.stop();
  await nodeA?.stop();
  await storeA?.close();
  await storeB?.close();
  await site?.close();
  await db?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a session shared by two nodes', () => {
  it('leases in process on its node and over CDP on the other, one run at a time', async () => {
    const { record } = await nodeA.create('o_1', { url: `${site.url}/index.html` });
    await runningRun('r_local');
    await runningRun('r_remote');
    await runningRun('r_local_again');
    const local = await nodeA.lease('o_1', record.id, { runId: 'r_local', runType: 'task_v1' });
    const page = local.context.pages()[0];
    await page?.goto(`${site.url}/help.html`);

    // Compare-and-set attempts on the session row (only node B asks while A holds it), recorded
    // as they return. `store.sessions` is a fresh SessionStore per access: spy on its prototype.
    const attempts: boolean[] = [];
    const sessions = Object.getPrototypeOf(storeB.sessions) as typeof storeB.sessions;
    const acquire = sessions.acquire;
    const spy = vi.spyOn(sessions, 'acquire').mockImplementation(async function (
      this: typeof storeB.sessions,
      ...args
    ) {
      const got = await acquire.apply(this, args);
      attempts.push(got);
      return got;
    });
    let remoteGot = false;
    const remoteLease = nodeB
      .lease('o_1', record.id, { runId: 'r_remote', runType: 'task_v1' })
      .then((l) => {
        remoteGot = true;
        return l;
      });
    // B has asked and been refused while A holds the session.
    await expect.poll(() => attempts.includes(false), { timeout: 15_000 }).toBe(true);
    expect(remoteGot).toBe(false);
    expect((await storeB.sessions.getById(record.id))?.runnableId).toBe('r_local');

    await local.release();
    const remote = await remoteLease;
    expect(attempts.at(-1)).toBe(true);
    spy.mockRestore();
    // Over CDP: a context object of its own, showing the same browser state.
    expect(remote.context).not.toBe(local.context);
    expect(remote.context.pages().map((p) => p.url())).toContain(`${site.url}/help.html`);
    expect((await storeB.sessions.getById(record.id))?.runnableId).toBe('r_remote');
    await remote.release();
    expect((await storeB.sessions.getById(record.id))?.runnableId).toBeNull();
    // Releasing left the browser up for the next run; on its node that run gets the very same
    // context object again (in process, no CDP connection).
    const again = await nodeA.lease('o_1', record.id, {
      runId: 'r_local_again',
      runType: 'task_v1',
    });
    expect(again.context).toBe(local.context);
    expect(again.context.pages().map((p) => p.url())).toContain(`${site.url}/help.html`);
    await again.release();

    // Closed on node B: node A notices and closes its browser.
    const closed = new Promise<void>((r) => local.context.once('close', () => r()));
    await nodeB.close('o_1', record.id);
    await closed;
    expect((await storeA.sessions.getById(record.id))?.status).toBe('completed');
  }, 30_000);
});
