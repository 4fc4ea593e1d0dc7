/**
 * Results delivery numbers on this machine, in-process (SQLite, loopback):
 * - webhook latency: run reaches its terminal status → the receiver has the signed POST;
 * - artifact put: time to store one screenshot-sized artifact (file + row + sha256).
 *
 *   npm run bench:results -- [--runs 200] [--artifacts 200] [--artifact-kb 150]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createWren } from '../src/app/index.js';
import { loadConfig } from '../src/config.js';
import { EngineRegistry } from '../src/engines/registry.js';
import { createLogger } from '../src/log.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    artifacts: { type: 'string', default: '200' },
    'artifact-kb': { type: 'string', default: '150' },
  },
});
const runs = Number(values.runs);
const artifactCount = Number(values.artifacts);
const artifactBytes = Number(values['artifact-kb']) * 1024;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

const received = new Map<string, number>();
const waiting = new Map<string, () => void>();
let burstTarget = Number.POSITIVE_INFINITY;
let burstDone: () => void = () => {};
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { run_id } = JSON.parse(Buffer.concat(chunks).toString()) as { run_id: string };
    received.set(run_id, Date.now());
    res.writeHead(204).end();
    waiting.get(run_id)?.();
    if (received.size >= burstTarget) burstDone();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const engines = new EngineRegistry().register(
  {
    name: 'skyvern-1.0',
    async run(ctx) {
      return {
        outcome: { status: 'completed', output: { ok: true, run: ctx.task.runId } },
        errors: [],
        stepCount: 1,
        usage: { inputTokens: 1, outputTokens: 1, costUsd: 0 },
      };
    },
  },
  { requiresModel: false },
);
const dataDir = mkdtempSync(join(tmpdir(), 'wren-bench-results-'));
const config = loadConfig(
  { dataDir, port: 0, logLevel: 'silent', maxConcurrency: 4 },
  { WREN_API_KEY: 'wren_bench_key', WREN_ALLOW_PRIVATE_NETWORKS: 'true' },
);
const wren = await createWren({ config, logger: createLogger('silent'), engines });
await wren.listen();
const org = wren.auth.organization.id;

const create = async (i: number) =>
  (
    await wren.runs.createTaskRun(
      org,
      { prompt: `bench ${i}`, engine: 'skyvern-1.0', webhook_url: hookUrl } as never,
      { apiKey: 'wren_bench_key' },
    )
  ).run_id;
const latencyOf = async (ids: string[]) => {
  const out: number[] = [];
  for (const id of ids) {
    const run = await wren.store.runs.getById(id);
    out.push(received.get(id)! - Date.parse(run!.finishedAt!));
  }
  return out;
};

// One run at a time: the latency a caller sees on an idle server.
const sequential: string[] = [];
for (let i = 0; i < 20; i++) {
  const id = await create(i);
  await new Promise<void>((r) => waiting.set(id, r));
  sequential.push(id);
}
const idle = await latencyOf(sequential);
console.log(
  `webhooks, one at a time (20 runs): terminal → received p50 ${pct(idle, 50)} ms, max ${Math.max(...idle)} ms`,
);

// A burst: how fast the outbox drains.
const ids: string[] = [];
burstTarget = received.size + runs;
const drained = new Promise<void>((r) => {
  burstDone = r;
});
const burstStart = Date.now();
for (let i = 0; i < runs; i++) ids.push(await create(i));
await drained;
const burstMs = Date.now() - burstStart;
const latencies = await latencyOf(ids);
console.log(
  `webhooks, burst of ${runs} runs: all delivered in ${burstMs} ms (${((runs * 1000) / burstMs).toFixed(0)}/s), ` +
    `terminal → received p50 ${pct(latencies, 50)} ms, p95 ${pct(latencies, 95)} ms`,
);

const bytes = randomBytes(artifactBytes);
const started = performance.now();
const times: number[] = [];
for (let i = 0; i < artifactCount; i++) {
  const t0 = performance.now();
  await wren.artifacts.put(ids[i % ids.length]!, {
    type: 'screenshot_action',
    contentType: 'image/png',
    bytes,
  });
  times.push(performance.now() - t0);
}
const total = performance.now() - started;
console.log(
  `artifacts: ${artifactCount} × ${values['artifact-kb']} KB put in ${total.toFixed(0)} ms ` +
    `(p50 ${pct(times, 50).toFixed(1)} ms, p95 ${pct(times, 95).toFixed(1)} ms per put)`,
);
const t1 = performance.now();
const run0 = await wren.runs.getRun(org, ids[0]!);
console.log(
  `GET run with ${run0.screenshot_urls?.length ?? 0} screenshot URLs signed: ${(performance.now() - t1).toFixed(1)} ms`,
);

await wren.close();
receiver.close();
rmSync(dataDir, { recursive: true, force: true });
