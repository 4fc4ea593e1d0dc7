/**
 * bench/replay: wall time of a code-mode replay (docs/code-mode.md) versus the agent run of the
 * same task, the fixture's two-page sign-up, with the fake model answering after 0 ms, 100 ms and
 * 800 ms per call. A real server (SQLite), real Chromium, the fixture site; the time of a run is
 * its own `finished_at - started_at` (the worker's wall time, no polling in it). Video recording
 * is off for both kinds, so the numbers compare the work, not the encoder.
 *
 * Each row is measured twice: with a pause between runs (default 1000 ms), so that a run starts
 * on an idle server as a scheduled task does (the previous run's background work, e.g. the next
 * warm context, is done), and back to back (pause 0), as in a queue that is never empty.
 *
 *   npm run bench:replay -- [rounds per row, default 5] [pause ms, default 1000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWren } from '../src/app/index.js';
import { loadConfig } from '../src/config.js';
import { isTerminalStatus } from '../src/core/index.js';
import { createLogger } from '../src/log.js';
import { idOf, pageOf } from '../test/support/agent-harness.js';
import { startFakeModelServer } from '../test/support/fake-model-server.js';
import { startFixtureServer } from '../test/support/fixture-server.js';

const rounds = Number(process.argv[2] ?? 5);
const pauseMs = Number(process.argv[3] ?? 1000);
const site = await startFixtureServer();
const fake = await startFakeModelServer();
const dataDir = mkdtempSync(join(tmpdir(), 'wren-bench-replay-'));
const apiKey = 'wren_bench_key_0123456789';
const config = loadConfig(
  { dataDir, port: 0, logLevel: 'silent' },
  {
    ...fake.env('openai/gpt-5-mini'),
    WREN_API_KEY: apiKey,
    WREN_ALLOW_PRIVATE_NETWORKS: 'true',
    WREN_RECORDING: 'false',
  },
);
const server = await createWren({ config, logger: createLogger('silent') });
const baseUrl = await server.listen();

let latencyMs = 0;
fake.setPolicy((req) => {
  const page = pageOf(req);
  const s = req.system;
  const delayMs = latencyMs;
  if (s.startsWith('You check whether'))
    return {
      json: { evidence: 'checked', goal_achieved: page.includes('Received wizard'), missing: '' },
      delayMs,
    };
  const actions = page.includes('textbox "Full name"')
    ? [
        {
          type: 'input_text',
          id: idOf(page, 'textbox "Full name"'),
          text: 'Ada Lovelace',
          submit: false,
        },
        {
          type: 'input_text',
          id: idOf(page, 'textbox "Email"'),
          text: 'ada@example.com',
          submit: false,
        },
        { type: 'click', id: idOf(page, 'button "Next"') },
      ]
    : page.includes('combobox "Plan"')
      ? [
          { type: 'select_option', id: idOf(page, 'combobox "Plan"'), labels: ['Pro'] },
          {
            type: 'set_checked',
            id: idOf(page, 'checkbox "I accept the terms"'),
            checked: true,
          },
          { type: 'click', id: idOf(page, 'button "Create account"') },
        ]
      : [{ type: 'complete', answer: null }];
  return { json: { page_state: 'seen', progress: 'working', actions }, delayMs };
});

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return (await res.json()) as Record<string, unknown>;
}

async function run(
  runWith: 'agent' | 'code',
): Promise<{ ms: number; run: Record<string, unknown> }> {
  const { run_id } = (await call('POST', '/v1/run/tasks', {
    engine: 'skyvern-1.0',
    prompt: 'Sign up as Ada Lovelace (ada@example.com) on the Pro plan.',
    url: `${site.url}/agent/wizard.html`,
    run_with: runWith,
  })) as { run_id: string };
  for (;;) {
    const r = await call('GET', `/v1/runs/${run_id}`);
    if (isTerminalStatus(String(r['status']))) {
      if (r['status'] !== 'completed')
        throw new Error(`run ${run_id} ${r['status']}: ${r['failure_reason']}`);
      return {
        ms: Date.parse(String(r['finished_at'])) - Date.parse(String(r['started_at'])),
        run: r,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

await run('code'); // compiles the script (and warms Chromium up)
const rows: string[] = [];
for (const [latency, gapMs] of [
  [0, pauseMs],
  [100, pauseMs],
  [800, pauseMs],
  [0, 0],
  [800, 0],
] as const) {
  latencyMs = latency;
  const agent: number[] = [];
  const replay: number[] = [];
  let calls = 0;
  for (let i = 0; i < rounds; i++) {
    await sleep(gapMs);
    agent.push((await run('agent')).ms);
    await sleep(gapMs);
    const before = fake.requests.length;
    const r = await run('code');
    calls += fake.requests.length - before;
    if (
      (r.run['script_run'] as { ai_fallback_triggered?: boolean } | null)?.ai_fallback_triggered !==
      false
    )
      throw new Error('the replay used the model');
    replay.push(r.ms);
  }
  const a = median(agent);
  const c = median(replay);
  rows.push(
    `| ${String(latency).padStart(4)} ms | ${String(gapMs).padStart(8)} ms | ${String(rounds).padStart(6)} | ${String(a).padStart(8)} | ${String(c).padStart(9)} | ${(a / c).toFixed(1).padStart(6)}× | ${String(calls).padStart(12)} |`,
  );
}

if (process.env['BENCH_TIMELINE']) {
  const r = await run('code');
  const tl = (await fetch(`${baseUrl}/v1/runs/${r.run['run_id']}/timeline`, {
    headers: { 'x-api-key': apiKey },
  }).then((x) => x.json())) as unknown[];
  console.log(
    JSON.stringify(tl.map((e) => (e as { block: { actions: unknown[] } }).block.actions)),
    r.ms,
    r.run['started_at'],
    r.run['finished_at'],
  );
}
console.log(`load average ${loadavg()[0]?.toFixed(1)}, ${rounds} rounds per row`);
console.log(
  '| model latency | pause between runs | rounds | agent ms | replay ms | faster | replay calls |',
);
console.log(
  '| ------------- | ------------------ | ------ | -------- | --------- | ------ | ------------ |',
);
for (const r of rows) console.log(r);
await server.close();
await Promise.all([fake.close(), site.close()]);
rmSync(dataDir, { recursive: true, force: true });
