/**
 * Load: completed runs per minute and peak memory per concurrent browser run. One in-process Wren
 * (worker with K slots, real Chromium) runs N skyvern-1.0 tasks against the fixture site; the fake
 * model answers each call after an injected latency (a policy that completes at once and a verifier
 * that agrees: two model calls per run). The store is SQLite or a fresh PostgreSQL database.
 *
 *   npm run bench:load -- [--store sqlite|postgres] [--concurrency 4] [--runs 40] [--latency 300]
 *
 * Memory is the proportional set size (PSS) of this process plus every descendant (Chromium and
 * its renderers), sampled every 250 ms; "per run" is (peak − idle with the browser open) / K.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createWren } from '../src/app/index.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { actorReply, roleOf } from '../test/support/agent-harness.js';
import { startFakeModelServer } from '../test/support/fake-model-server.js';
import { startFixtureServer } from '../test/support/fixture-server.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    concurrency: { type: 'string', default: '4' },
    runs: { type: 'string', default: '40' },
    latency: { type: 'string', default: '300' },
    'pg-admin-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const K = Number(values.concurrency);
const N = Number(values.runs);
const latencyMs = Number(values.latency);
const usePostgres = values.store === 'postgres';

/**
 * Proportional set size (bytes) of `root` and all its descendants: shared pages are split among
 * the processes that map them, so Chromium's many processes are not counted several times.
 */
function treeMemory(root: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process exited meanwhile
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop() as number;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      total += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
    } catch {
      // exited
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

async function admin(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const site = await startFixtureServer();
const fake = await startFakeModelServer();
fake.setPolicy(async (req) => {
  await new Promise((r) => setTimeout(r, latencyMs));
  if (roleOf(req) === 'actor') return actorReply([{ type: 'complete', answer: null }]);
  if (roleOf(req) === 'verifier')
    return { json: { evidence: 'the page is shown', goal_achieved: true, missing: '' } };
  return undefined;
});

const dataDir = mkdtempSync(join(tmpdir(), 'wren-load-'));
const dbName = `wren_bench_${randomBytes(4).toString('hex')}`;
let databaseUrl: string | undefined;
if (usePostgres) {
  await admin(values['pg-admin-url'], `create database ${dbName}`);
  const url = new URL(values['pg-admin-url']);
  url.pathname = `/${dbName}`;
  databaseUrl = url.toString();
}
const env = {
  ...fake.env('openai/gpt-5-mini'),
  WREN_API_KEY: 'wren_bench_key',
  WREN_ALLOW_PRIVATE_NETWORKS: 'true',
  ...(databaseUrl ? { WREN_DATABASE_URL: databaseUrl } : {}),
};
const config = loadConfig({ dataDir, port: 0, logLevel: 'silent', maxConcurrency: K }, env);
const wren = await createWren({
  config,
  logger: createLogger('silent'),
  worker: { pollIntervalMs: 50 },
});
const url = await wren.listen();
const headers = { 'x-api-key': 'wren_bench_key', 'content-type': 'application/json' };

async function submit(i: number): Promise<string> {
  const r = await fetch(`${url}/v1/run/tasks`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      prompt: `Open the help page (load ${i}).`,
      url: `${site.url}/help.html`,
      engine: 'skyvern-1.0',
    }),
  });
  return ((await r.json()) as { run_id: string }).run_id;
}

async function finished(ids: string[]): Promise<Record<string, number>> {
  for (;;) {
    const statuses: Record<string, number> = {};
    let open = 0;
    for (const id of ids) {
      const r = await fetch(`${url}/v1/runs/${id}`, { headers });
      const status = ((await r.json()) as { status: string }).status;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 'queued' || status === 'running') open++;
    }
    if (open === 0) return statuses;
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Warm-up: launches Chromium and loads the engine code.
await finished([await submit(-1)]);
await new Promise((r) => setTimeout(r, 500));
const idle = treeMemory(process.pid);
let peak = idle;
const sampler = setInterval(() => {
  peak = Math.max(peak, treeMemory(process.pid));
}, 250);

const t0 = performance.now();
const ids = await Promise.all(Array.from({ length: N }, (_, i) => submit(i)));
const statuses = await finished(ids);
const elapsedMs = performance.now() - t0;
clearInterval(sampler);

const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
console.log(
  JSON.stringify(
    {
      store: usePostgres ? 'postgres' : 'sqlite',
      concurrency: K,
      runs: N,
      model_latency_ms: latencyMs,
      statuses,
      elapsed_s: Number((elapsedMs / 1000).toFixed(1)),
      runs_per_minute: Number(((N / elapsedMs) * 60_000).toFixed(1)),
      idle_pss_mb: Number(mb(idle)),
      peak_pss_mb: Number(mb(peak)),
      peak_mb_per_concurrent_run: Number(mb((peak - idle) / K)),
    },
    null,
    2,
  ),
);

await wren.close();
await Promise.all([fake.close(), site.close()]);
if (usePostgres) await admin(values['pg-admin-url'], `drop database ${dbName} with (force)`);
rmSync(dataDir, { recursive: true, force: true });
