/**
 * Scale-out on the real PostgreSQL with real processes: one API node (`--role api`) and three
 * workers (`--role worker`) share one database. 60 tasks complete exactly once; a cancel issued on
 * the API node stops the run on its worker while it waits on the model; a worker killed with SIGKILL mid-run has
 * its run recovered by the policy (re-queued once) and executed again by a survivor, never twice
 * at the same time.
 */
import { once } from 'node:events';
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
import type { ServerProcess } from '../../support/process.js';
import { until } from '../../support/wait.js';

const KEY = 'wren_scale_test_key_0123456789';
const TASKS = 60;

let cluster: Cluster;
let store: Store;
let fake: FakeModelServer;
let site: FixtureServer;
let api: ServerProcess;
const workers: WorkerProcess[] = [];
let client: WrenClient;
/** Model requests held open until released (the run is "mid-step" meanwhile). */
const held = new Map<string, () => void>();
const holdOnce = new Set<string>();

function jobOf(req: FakeRequest): string | null {
  return /\(job ([\w-]+)\)/.exec(req.text)?.[1] ?? null;
}

function policy(req: FakeRequest): FakeResponse | Promise<FakeResponse> | undefined {
  const job = jobOf(req);
  const role = roleOf(req);
  if (role === 'actor') {
    if (job && holdOnce.has(job)) {
      holdOnce.delete(job);
      return new Promise<FakeResponse>((resolve) => {
        held.set(job, () => resolve(actorReply([{ type: 'complete', answer: null }])));
      });
    }
    return actorReply([{ type: 'complete', answer: null }]);
  }
  if (role === 'verifier')
    return { json: { evidence: 'the help page is shown', goal_achieved: true, missing: '' } };
  return undefined;
}

const requestsOf = (job: string, role: string) =>
  fake.requests.filter((r) => jobOf(r) === job && roleOf(r) === role).length;

beforeAll(async () => {
  cluster = await startCluster({
    apiKey: KEY,
    dirPrefix: 'wren-scale-',
    env: {
      // Long enough for a busy 2-core machine's event-loop stalls; recovery waits this long.
      WREN_LEASE_SECONDS: '8',
      WREN_MAX_CONCURRENCY: '2',
    },
  });
  ({ fake, site } = cluster);
  fake.setPolicy(policy);
  // The API node migrates the fresh database; then the workers. They start one after another:
  // processes launched at the same instant through tsx sometimes stall while loading.
  api = await cluster.server(['--role', 'api', '--data-dir', cluster.tempDir()]);
  for (let i = 0; i < 3; i++) workers.push(await cluster.worker());
  client = new WrenClient({ baseUrl: api.url, apiKey: KEY });
  store = await cluster.store();
}, 90_000);

afterAll(async () => {
  for (const release of held.values()) release();
  await cluster?.close();
});

describe('API node + three workers on PostgreSQL', () => {
  it('completes 60 tasks, each exactly once, spread over the workers', async () => {
    const jobs = Array.from({ length: TASKS }, (_, i) => `n${i}`);
    const ids = new Map<string, string>();
    await Promise.all(
      jobs.map(async (job) => {
        const run = await client.runTask({
          prompt: `Open the help page (job ${job}).`,
          url: `${site.url}/help.html`,
          engine: 'skyvern-1.0',
        });
        ids.set(job, run.run_id);
      }),
    );
    const owners = new Set<string>();
    for (const job of jobs) {
      const id = ids.get(job) ?? '';
      const run = await until(
        `run ${id}`,
        async () => {
          const r = await client.getRun(id);
          return ['queued', 'running'].includes(r.status) ? null : r;
        },
        { timeoutMs: 120_000 },
      );
      expect(run.status, `${job}: ${run.failure_reason}`).toBe('completed');
      expect(run.step_count).toBe(1);
      const stored = await store.runs.getById(id);
      expect(stored?.attempts).toBe(1);
      const steps = await store.runs.steps(id);
      expect(steps.filter((s) => s.kind === 'step_finished')).toHaveLength(1);
      expect(steps.filter((s) => s.kind === 'step_started')).toHaveLength(1);
      // Exactly one execution: one actor call and one verifier call for this run's prompt.
      expect([requestsOf(job, 'actor'), requestsOf(job, 'verifier')]).toEqual([1, 1]);
      owners.add((await store.leases.owner(id)) ?? 'none');
    }
    expect([...owners].every((o) => workers.some((w) => w.id === o))).toBe(true);
    expect(owners.size).toBeGreaterThanOrEqual(2);
    // The API node executed nothing.
    expect(logLines(api.output(), 'run step')).toHaveLength(0);
  }, 240_000);

  it('stops a run on its worker, mid model call, on a cancel sent to the API node', async () => {
    holdOnce.add('cancel');
    const { run_id: id } = await client.runTask({
      prompt: 'Open the help page (job cancel).',
      url: `${site.url}/help.html`,
      engine: 'skyvern-1.0',
    });
    await until('the held model call', async () => (held.has('cancel') ? true : null), {
      timeoutMs: 30_000,
      explain: async () => JSON.stringify(await client.getRun(id)),
    });
    const owner = await store.leases.owner(id);
    const worker = workers.find((w) => w.id === owner);
    expect(worker).toBeDefined();
    await client.cancelRun(id);
    await until(
      'the worker to stop the run',
      async () =>
        logLines(worker?.output() ?? '', 'stopping run').some((l) => l['run_id'] === id)
          ? true
          : null,
      { timeoutMs: 30_000 },
    );
    // The model call is released only now: the cancel stopped the run, not the run's own end.
    held.get('cancel')?.();
    expect((await client.getRun(id)).status).toBe('canceled');
    expect(requestsOf('cancel', 'verifier')).toBe(0);
  }, 60_000);

  it('recovers the run of a worker killed with SIGKILL exactly once, by the policy', async () => {
    holdOnce.add('kill');
    const { run_id: id } = await client.runTask({
      prompt: 'Open the help page (job kill).',
      url: `${site.url}/help.html`,
      engine: 'skyvern-1.0',
    });
    await until('the held model call', async () => (held.has('kill') ? true : null), {
      timeoutMs: 30_000,
      explain: async () => JSON.stringify(await client.getRun(id)),
    });
    const owner = await store.leases.owner(id);
    const victim = workers.find((w) => w.id === owner);
    if (!victim) throw new Error(`no worker owns ${id} (${owner})`);
    const exited = once(victim.child, 'exit');
    victim.child.kill('SIGKILL');
    await exited;
    const survivors = workers.filter((w) => w !== victim);

    const run = await until(
      `run ${id} after the kill`,
      async () => {
        const r = await client.getRun(id);
        return ['queued', 'running'].includes(r.status) ? null : r;
      },
      { timeoutMs: 30_000 },
    );
    expect(run.status).toBe('completed');
    const stored = await store.runs.getById(id);
    expect(stored?.attempts).toBe(2);
    const newOwner = await store.leases.owner(id);
    expect(survivors.map((w) => w.id)).toContain(newOwner);
    // One recovery, by one survivor, naming the dead worker's lease.
    const recoveries = survivors.flatMap((w) =>
      logLines(w.output(), 'run transition').filter(
        (l) => l['run_id'] === id && l['to'] === 'queued',
      ),
    );
    expect(recoveries).toHaveLength(1);
    expect(String(recoveries[0]?.['why'])).toContain(victim.id);
    // The killed attempt got as far as its first model call; the retry ran the run once, fully.
    expect([requestsOf('kill', 'actor'), requestsOf('kill', 'verifier')]).toEqual([2, 1]);
    const steps = await store.runs.steps(id);
    expect(steps.filter((s) => s.kind === 'step_finished')).toHaveLength(1);
    // Releasing the dead worker's call changes nothing: its process has exited, nobody is left
    // to act on it.
    held.get('kill')?.();
    expect((await client.getRun(id)).status).toBe('completed');
    expect([requestsOf('kill', 'actor'), requestsOf('kill', 'verifier')]).toEqual([2, 1]);
  }, 60_000);
});
