/**
 * Browser sessions across processes on the real PostgreSQL: a session created on an API node
 * (`--role api`, it executes nothing) serves runs that `--role worker` processes execute over CDP
 * (through the node's gateway: WREN_SESSION_HOST=127.0.0.2, where Chromium itself never listens);
 * two runs on one session from different workers take turns through the database; a worker
 * starting does not end other processes' sessions; a close on another API node closes the
 * Chromium on the owner; a session whose owner was SIGKILLed is failed by another node's sweep
 * once its heartbeat is older than WREN_SESSION_STALE_MS.
 */
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WrenClient } from '../../../src/sdk/index.js';
import type { Store } from '../../../src/store/index.js';
import { actorReply, roleOf } from '../../support/agent-harness.js';
import { type Cluster, logLines, startCluster, type WorkerProcess } from '../../support/cluster.js';
import type {
  FakeModelServer,
  FakeRequest,
  FakeResponse,
} from '../../support/fake-model-server.js';
import type { FixtureServer } from '../../support/fixture-server.js';
import { killHard, type ServerProcess } from '../../support/process.js';
import { until } from '../../support/wait.js';

const KEY = 'wren_sessions_cluster_key_0123456789';
const STALE_MS = 3000;

let cluster: Cluster;
let store: Store;
let fake: FakeModelServer;
let site: FixtureServer;
let api: ServerProcess;
let otherApi: ServerProcess;
const workers: WorkerProcess[] = [];
let client: WrenClient;
/** Actor calls of these jobs are answered once the test opens their gate (the run holds the session). */
const gates = new Map<string, { opened: Promise<void>; open: () => void }>();

function gate(job: string): () => void {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  gates.set(job, { opened, open });
  return open;
}

function jobOf(req: FakeRequest): string | null {
  return /\(job ([\w-]+)\)/.exec(req.text)?.[1] ?? null;
}

function policy(req: FakeRequest): FakeResponse | Promise<FakeResponse> | undefined {
  const role = roleOf(req);
  if (role === 'actor') {
    const held = gates.get(jobOf(req) ?? '');
    const reply = actorReply([{ type: 'complete', answer: null }]);
    return held ? held.opened.then(() => reply) : reply;
  }
  if (role === 'verifier')
    return { json: { evidence: 'the page is shown', goal_achieved: true, missing: '' } };
  return undefined;
}

type Session = Record<string, unknown>;

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'x-api-key': KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Session };
}

const sessionOn = async (base: string, id: string) =>
  (await call(base, 'GET', `/v1/browser_sessions/${id}`)).body;

async function finished(id: string) {
  return until(
    `run ${id}`,
    async () => {
      const r = await client.getRun(id);
      return ['queued', 'running'].includes(r.status) ? null : r;
    },
    { timeoutMs: 40_000 },
  );
}

/** Whether the session's browser still answers at its browser_address. */
async function browserAnswers(address: string): Promise<boolean> {
  try {
    const browser = await chromium.connectOverCDP(address, { timeout: 2000 });
    await browser.close();
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  cluster = await startCluster({
    apiKey: KEY,
    dirPrefix: 'wren-sessions-',
    env: {
      WREN_LEASE_SECONDS: '8',
      // One run per worker: a second run on the session must go to the other worker.
      WREN_MAX_CONCURRENCY: '1',
      WREN_SESSION_STALE_MS: String(STALE_MS),
    },
  });
  ({ fake, site } = cluster);
  fake.setPolicy(policy);
  api = await cluster.server(['--role', 'api', '--data-dir', cluster.tempDir()], {
    WREN_SESSION_HOST: '127.0.0.2',
  });
  workers.push(await cluster.worker());
  client = new WrenClient({ baseUrl: api.url, apiKey: KEY });
  store = await cluster.store();
}, 60_000);

afterAll(async () => {
  for (const held of gates.values()) held.open();
  await cluster?.close();
});

describe('browser sessions across processes on PostgreSQL', () => {
  it('runs a worker process in a session the API node holds, in turns, without ending it on worker start', async () => {
    const created = await call(api.url, 'POST', '/v1/browser_sessions', {
      url: `${site.url}/index.html`,
    });
    expect(created.status).toBe(200);
    const id = String(created.body['browser_session_id']);
    const address = String(created.body['browser_address']);
    expect(address).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.2:\\d+/browser_sessions/${id}/[\\w-]{32}$`),
    );

    // The session's state, as a user would leave it: a cookie set over CDP.
    const outside = await chromium.connectOverCDP(address);
    await outside
      .contexts()[0]
      ?.addCookies([{ name: 'acme_sid', value: 'session-marker', url: site.url }]);
    await outside.close();

    // A second worker starting leaves the API node's session alone.
    workers.push(await cluster.worker());
    expect((await sessionOn(api.url, id))['status']).toBe('running');
    expect(
      logLines(
        workers[1]?.output() ?? '',
        'ended browser sessions whose process stopped answering',
      ),
    ).toHaveLength(0);

    // Run A holds the session (its model call waits for the gate); run B, submitted meanwhile, is
    // claimed by the other worker and waits for its turn.
    const releaseA = gate('a');
    site.clear();
    const a = await client.runTask({
      prompt: 'Open my account (job a).',
      url: `${site.url}/account`,
      engine: 'skyvern-1.0',
      browser_session_id: id,
    });
    await until(
      'run a to hold the session',
      async () => ((await sessionOn(api.url, id))['runnable_id'] === a.run_id ? true : null),
      { timeoutMs: 20_000 },
    );
    const b = await client.runTask({
      prompt: 'Open the help page (job b).',
      url: `${site.url}/help.html`,
      engine: 'skyvern-1.0',
      browser_session_id: id,
    });
    await until(
      'run b to be claimed',
      async () => ((await client.getRun(b.run_id)).status === 'running' ? true : null),
      { timeoutMs: 20_000 },
    );
    expect((await sessionOn(api.url, id))['runnable_id']).toBe(a.run_id);
    releaseA();

    const doneA = await finished(a.run_id);
    const doneB = await finished(b.run_id);
    expect(doneA.status, String(doneA.failure_reason)).toBe('completed');
    expect(doneB.status, String(doneB.failure_reason)).toBe('completed');
    // Both ran in worker processes, different ones; the API node executed nothing.
    const ownerA = await store.leases.owner(a.run_id);
    const ownerB = await store.leases.owner(b.run_id);
    expect(workers.map((w) => w.id)).toContain(ownerA);
    expect(workers.map((w) => w.id)).toContain(ownerB);
    expect(ownerA).not.toBe(ownerB);
    expect(logLines(api.output(), 'run step')).toHaveLength(0);

    // Run A drove the session's browser: the site saw the session's cookie.
    const account = site.requests().filter((r) => r.path === '/account');
    expect(account.length).toBeGreaterThan(0);
    expect(String(account[0]?.headers['cookie'])).toContain('acme_sid=session-marker');
    // Run B started only after run A finished: its first page request came after A's end.
    const helpAt = site.requests().find((r) => r.path === '/help.html')?.at ?? 0;
    expect(helpAt).toBeGreaterThanOrEqual(Date.parse(String(doneA.finished_at)));

    // The session shows where the last run left it, and nobody holds it.
    const after = await sessionOn(api.url, id);
    expect(after['status']).toBe('running');
    expect(after['runnable_id']).toBeNull();
    const look = await chromium.connectOverCDP(address);
    const urls =
      look
        .contexts()[0]
        ?.pages()
        .map((p) => p.url()) ?? [];
    await look.close();
    expect(urls).toContain(`${site.url}/help.html`);

    // Closed through another API node: the owner notices and closes the Chromium.
    otherApi = await cluster.server(['--role', 'api', '--data-dir', cluster.tempDir()]);
    expect((await sessionOn(api.url, id))['status']).toBe('running');
    expect((await call(otherApi.url, 'POST', `/v1/browser_sessions/${id}/close`)).status).toBe(200);
    expect((await sessionOn(api.url, id))['status']).toBe('completed');
    await until(
      'the owner to close the Chromium',
      async () => ((await browserAnswers(address)) ? null : true),
      { timeoutMs: 10_000 },
    );
  }, 60_000);

  it("fails a session whose owner was SIGKILLed, once another node's heartbeat sweep finds it stale", async () => {
    const created = await call(otherApi.url, 'POST', '/v1/browser_sessions', {});
    const id = String(created.body['browser_session_id']);
    expect(created.body['status']).toBe('running');
    // Without WREN_SESSION_HOST: the gateway on loopback, with the session's token.
    expect(String(created.body['browser_address'])).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/browser_sessions/${id}/[\\w-]{32}$`),
    );
    await killHard(otherApi);
    expect((await sessionOn(api.url, id))['status']).toBe('running');
    const failed = await until(
      'the stale session to be failed',
      async () => {
        const s = await sessionOn(api.url, id);
        return s['status'] === 'running' ? null : s;
      },
      { timeoutMs: STALE_MS + 10_000 },
    );
    expect(failed['status']).toBe('failed');
    // Not at once: only once its last heartbeat was a whole stale window old.
    const stored = await store.sessions.getById(id);
    const beat = Date.parse(String(stored?.heartbeatAt));
    expect(Date.parse(String(stored?.completedAt)) - beat).toBeGreaterThanOrEqual(STALE_MS);
    // Failed exactly once, by one of the surviving processes. Its log line comes through the
    // process's stdout pipe, which may trail the row the API already serves.
    const reportsOf = () =>
      [api, ...workers].flatMap((p) =>
        logLines(p.output(), 'ended browser sessions whose process stopped answering').filter((l) =>
          (l['ids'] as string[]).includes(id),
        ),
      );
    await until('the sweep to log it', async () => (reportsOf().length > 0 ? true : null), {
      timeoutMs: 5_000,
    });
    expect(reportsOf()).toHaveLength(1);
  }, 40_000);
});
