/**
 * Enqueue throughput and latency of POST /v1/run/tasks against a real `wren server` process
 * (SQLite, worker paused), with concurrent keep-alive clients.
 *
 *   npm run bench:enqueue -- [--connections 32] [--seconds 10] [--warmup 2]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
  },
});
const connections = Number(values.connections);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const apiKey = 'wren_bench_key';
const body = JSON.stringify({
  prompt: 'Find the price of the blue kettle and return it',
  url: 'https://shop.example.com',
  engine: 'skyvern-1.0',
  data_extraction_schema: {
    type: 'object',
    properties: { price: { type: 'string' } },
    required: ['price'],
  },
  max_steps: 10,
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const port = await freePort();
const dataDir = mkdtempSync(join(tmpdir(), 'wren-bench-'));
const server = spawn(
  process.execPath,
  [
    join(root, 'bin', 'wren.js'),
    'server',
    '--port',
    String(port),
    '--data-dir',
    dataDir,
    '--no-worker',
    '--log-level',
    'warn',
  ],
  {
    env: { ...process.env, WREN_API_KEY: apiKey, WREN_ORG_MAX_ACTIVE_RUNS: '100000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);

const agent = new Agent({ keepAlive: true, maxSockets: connections });

function post(): Promise<{ status: number; ms: number }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/run/tasks',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-api-key': apiKey,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ms: Number(process.hrtime.bigint() - start) / 1e6,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function waitForHealth(): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

async function load(durationMs: number, record: boolean) {
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + durationMs;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        const { status, ms } = await post();
        if (status !== 200) errors++;
        else if (record) latencies.push(ms);
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return { latencies, errors, elapsed };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

try {
  await waitForHealth();
  await load(warmupSeconds * 1000, false);
  const { latencies, errors, elapsed } = await load(seconds * 1000, true);
  latencies.sort((a, b) => a - b);
  const result = {
    connections,
    seconds: Number(elapsed.toFixed(2)),
    accepted: latencies.length,
    errors,
    tasks_per_second: Math.round(latencies.length / elapsed),
    p50_ms: Number(pct(latencies, 50).toFixed(2)),
    p90_ms: Number(pct(latencies, 90).toFixed(2)),
    p99_ms: Number(pct(latencies, 99).toFixed(2)),
    max_ms: Number((latencies.at(-1) ?? Number.NaN).toFixed(2)),
    cpus: cpus().length,
    node: process.version,
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `POST /v1/run/tasks: ${result.tasks_per_second} tasks/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms ` +
      `(${connections} connections, ${result.accepted} accepted, ${errors} errors)`,
  );
} finally {
  agent.destroy();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
