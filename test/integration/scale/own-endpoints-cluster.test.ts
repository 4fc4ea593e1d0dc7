/**
 * Issue 17, finding 1 across processes: two real Wren processes on one host share a PostgreSQL
 * database with private networks allowed — an API node that holds a browser session and a worker
 * that executes runs. The worker never started the session's Chromium, so only the database
 * (own_endpoints, src/store/own-endpoints.ts) tells it that the raw DevTools port is Wren's own:
 * another organization's run executed there with `browser_address: http://127.0.0.1:<raw port>`
 * fails with the same message a closed port gives, while a run of the session's organization
 * through `browser_session_id` drives the browser (through the gateway) in that same worker.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../src/api/index.js';
import { cdpUnreachable } from '../../../src/browser/index.js';
import type { Store } from '../../../src/store/index.js';
import { actorReply, roleOf } from '../../support/agent-harness.js';
import { type Cluster, startCluster, type WorkerProcess } from '../../support/cluster.js';
import type { FakeModelServer } from '../../support/fake-model-server.js';
import type { FixtureServer } from '../../support/fixture-server.js';
import type { ServerProcess } from '../../support/process.js';
import { until } from '../../support/wait.js';

const KEY = 'wren_own_endpoints_cluster_key_0123456789';

let cluster: Cluster;
let store: Store;
let fake: FakeModelServer;
let site: FixtureServer;
let api: ServerProcess;
let worker: WorkerProcess;
let apiDir = '';
let otherKey = '';

async function call(path: string, method: string, key: string, body?: unknown) {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function finished(runId: string, key: string) {
  return until(
    `run ${runId}`,
    async () => {
      const r = (await call(`/v1/runs/${runId}`, 'GET', key)).body;
      return ['created', 'queued', 'running'].includes(String(r['status'])) ? null : r;
    },
    { timeoutMs: 60_000 },
  );
}

beforeAll(async () => {
  cluster = await startCluster({
    apiKey: KEY,
    dirPrefix: 'wren-own-endpoints-',
    env: { WREN_HAR: 'false' },
  });
  ({ fake, site } = cluster);
  fake.setPolicy((req) => {
    const role = roleOf(req);
    if (role === 'actor') return actorReply([{ type: 'complete', answer: null }]);
    if (role === 'verifier')
      return { json: { evidence: 'the page is shown', goal_achieved: true, missing: '' } };
    return undefined;
  });
  apiDir = cluster.tempDir();
  api = await cluster.server(['--role', 'api', '--data-dir', apiDir]);
  worker = await cluster.worker();
  store = await cluster.store();
  await store.apiKeys.createOrganization({
    id: 'o_two',
    name: 'Org two',
    createdAt: new Date().toISOString(),
  });
  otherKey = await createApiKey(store, 'o_two', 'test');
}, 90_000);

afterAll(async () => cluster?.close());

describe("a session browser's raw port, seen from another process on the host", () => {
  it('refuses it to a run the worker executes, while the session id still works there', async () => {
    const created = await call('/v1/browser_sessions', 'POST', KEY, {
      url: `${site.url}/help.html`,
    });
    expect(created.status).toBe(200);
    const id = String(created.body['browser_session_id']);
    const [port, wsPath] = (
      await readFile(join(apiDir, 'sessions', id, 'DevToolsActivePort'), 'utf8')
    )
      .trim()
      .split('\n');
    // The API node published the port for every process of this host.
    expect(await store.ownEndpoints.registry('test').has(hostname(), Number(port))).toBe(true);

    const attempts = [`http://127.0.0.1:${port}`, `ws://localhost:${port}${wsPath}`];
    const runs = await Promise.all(
      attempts.map(async (address) => {
        const submitted = await call('/v1/run/tasks', 'POST', otherKey, {
          engine: 'skyvern-1.0',
          prompt: 'Read the page.',
          browser_address: address,
        });
        expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
        return finished(String(submitted.body['run_id']), otherKey);
      }),
    );
    runs.forEach((run, i) => {
      const address = attempts[i] as string;
      expect(run['status'], address).toBe('failed');
      expect(run['failure_reason'], address).toBe(cdpUnreachable(address));
    });
    // Executed by the worker (the API node executes nothing), and nothing of the page leaked.
    for (const run of runs) expect(await store.leases.owner(String(run['run_id']))).toBe(worker.id);
    expect(JSON.stringify(fake.requests)).not.toContain('help.html');

    // The session's own organization, through the id: the same worker drives the browser.
    const own = await call('/v1/run/tasks', 'POST', KEY, {
      engine: 'skyvern-1.0',
      prompt: 'Read the help page.',
      browser_session_id: id,
    });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    const done = await finished(String(own.body['run_id']), KEY);
    expect(done['status'], String(done['failure_reason'])).toBe('completed');
    expect(await store.leases.owner(String(done['run_id']))).toBe(worker.id);
    expect(JSON.stringify(fake.requests)).toContain('help.html');

    // Closing the session withdraws the port.
    expect((await call(`/v1/browser_sessions/${id}/close`, 'POST', KEY)).status).toBe(200);
    await until(
      'the port row to go',
      async () =>
        (await store.ownEndpoints.registry('test').has(hostname(), Number(port))) ? null : true,
      { timeoutMs: 10_000 },
    );
  }, 120_000);
});
