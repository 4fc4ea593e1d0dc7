/**
 * bench/step: what one skyvern-1.0 step costs besides the model — observe + act + record — and how
 * many prompt tokens the actor sees per step. A real server (SQLite), real Chromium, the fixture
 * sites, and the fake model answering instantly, so the time left is Wren's own.
 *
 *   npm run bench:step -- [runs per task, default 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { createWren } from '../src/app/index.js';
import { loadConfig } from '../src/config.js';
import { isTerminalStatus } from '../src/core/index.js';
import { createLogger } from '../src/log.js';
import { actorReply, idOf, pageOf, roleOf } from '../test/support/agent-harness.js';
import { startFakeModelServer } from '../test/support/fake-model-server.js';
import { startFixtureServer } from '../test/support/fixture-server.js';

const rounds = Number(process.argv[2] ?? 5);
const site = await startFixtureServer();
const fake = await startFakeModelServer();
const dataDir = mkdtempSync(join(tmpdir(), 'wren-bench-step-'));
// WREN_* settings of the shell reach the server (e.g. WREN_HAR=false, WREN_RECORDING=false to
// see what each costs).
const shellWren = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k.startsWith('WREN_') && k !== 'WREN_API_KEY'),
);
const env = {
  ...shellWren,
  ...fake.env('openai/gpt-5-mini'),
  WREN_API_KEY: 'wren_bench_key_0123456789',
  WREN_ALLOW_PRIVATE_NETWORKS: 'true',
};
const config = loadConfig({ dataDir, port: 0, logLevel: 'silent' }, env);
const wren = await createWren({
  config,
  logger: createLogger('silent'),
  worker: { pollIntervalMs: 10 },
});
const base = await wren.listen();

const promptTokens: number[] = [];
fake.setPolicy((req) => {
  const page = pageOf(req);
  const role = roleOf(req);
  if (role === 'verifier') return { json: { evidence: 'done', goal_achieved: true, missing: '' } };
  if (role === 'extractor') return { json: { data: { names: ['x'] } } };
  if (role !== 'actor') return undefined;
  promptTokens.push(countTokens(`${req.system}\n${req.lastUserText}`));
  if (page.includes('textbox "Full name"')) {
    return actorReply([
      {
        type: 'input_text',
        id: idOf(page, 'textbox "Full name"'),
        text: 'Ada',
        submit: false,
      },
      { type: 'input_text', id: idOf(page, 'textbox "Email"'), text: 'a@b.co', submit: false },
      { type: 'click', id: idOf(page, 'button "Next"') },
    ]);
  }
  if (page.includes('combobox "Plan"')) {
    return actorReply([
      { type: 'select_option', id: idOf(page, 'combobox "Plan"'), labels: ['Pro'] },
      { type: 'set_checked', id: idOf(page, 'checkbox "I accept the terms"'), checked: true },
      { type: 'click', id: idOf(page, 'button "Create account"') },
    ]);
  }
  if (page.includes('searchbox "Search products"') && !page.includes('results for')) {
    return actorReply([
      {
        type: 'input_text',
        id: idOf(page, 'searchbox "Search products"'),
        text: 'lamp',
        submit: true,
      },
    ]);
  }
  return actorReply([{ type: 'complete', answer: null }]);
});

const tasks = [
  { prompt: 'Sign up as Ada (a@b.co) on the Pro plan.', url: `${site.url}/agent/wizard.html` },
  { prompt: 'Search lamps and list them.', url: `${site.url}/agent/shop.html` },
];

async function runTask(body: Record<string, unknown>): Promise<string> {
  const r = await fetch(`${base}/v1/run/tasks`, {
    method: 'POST',
    headers: { 'x-api-key': env.WREN_API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ engine: 'skyvern-1.0', ...body }),
  });
  const { run_id } = (await r.json()) as { run_id: string };
  for (;;) {
    const run = (await (
      await fetch(`${base}/v1/runs/${run_id}`, { headers: { 'x-api-key': env.WREN_API_KEY } })
    ).json()) as { status: string };
    if (isTerminalStatus(run.status)) {
      if (run.status !== 'completed') throw new Error(`${run_id} ended ${run.status}`);
      return run_id;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const loadAtStart = loadavg()[0]!;
// Warm-up: launches Chromium, compiles the in-page scripts.
await runTask(tasks[0]!);
promptTokens.length = 0;

const overheads: number[] = [];
const observeMs: number[] = [];
const otherMs: number[] = [];
const actionMs: number[] = [];
const actionKinds = new Map<string, number[]>();
const runIds: string[] = [];
for (let i = 0; i < rounds; i++) for (const t of tasks) runIds.push(await runTask(t));
for (const runId of runIds) {
  const events = await wren.store.runs.steps(runId);
  const starts = new Map<number, number>();
  const modelMs = new Map<number, number>();
  const stepActionMs = new Map<number, number>();
  for (const e of events) {
    const at = Date.parse(e.createdAt);
    if (e.kind === 'step_started') starts.set(e.stepIndex, at);
    if (e.kind === 'action') {
      const d = Number(e.data?.['duration_ms'] ?? 0);
      actionMs.push(d);
      stepActionMs.set(e.stepIndex, (stepActionMs.get(e.stepIndex) ?? 0) + d);
      const kind = String(e.data?.['action'] ?? '').split(' ')[0] ?? '';
      actionKinds.set(kind, [...(actionKinds.get(kind) ?? []), d]);
    }
    if (e.kind === 'model_call') {
      const d = Number(e.data?.['duration_ms'] ?? 0);
      modelMs.set(e.stepIndex, (modelMs.get(e.stepIndex) ?? 0) + d);
    }
    if (e.kind === 'step_finished') {
      const observed = Number(e.data?.['observe_ms'] ?? 0);
      observeMs.push(observed);
      const started = starts.get(e.stepIndex);
      if (started !== undefined) {
        const overhead = at - started - (modelMs.get(e.stepIndex) ?? 0);
        overheads.push(overhead);
        otherMs.push(overhead - observed - (stepActionMs.get(e.stepIndex) ?? 0));
      }
    }
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
console.log(
  `runs: ${runIds.length}, steps: ${overheads.length}, actor calls: ${promptTokens.length}`,
);
// Other processes on the machine inflate every number here; say how busy it was.
console.log(
  `load average (1 min): ${loadAtStart.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end`,
);
console.log(
  `step overhead without model (ms): median ${pct(overheads, 50)}, p95 ${pct(overheads, 95)}, max ${Math.max(...overheads)}`,
);
console.log(
  `per step (ms): observing median ${pct(observeMs, 50)} (p95 ${pct(observeMs, 95)}), the rest besides actions median ${pct(otherMs, 50)} (p95 ${pct(otherMs, 95)})`,
);
console.log(
  `action time (ms): median ${pct(actionMs, 50)}, p95 ${pct(actionMs, 95)}; by kind: ${[
    ...actionKinds,
  ]
    .map(([k, v]) => `${k} ${pct(v, 50)}`)
    .join(', ')}`,
);
console.log(
  `actor prompt tokens per step (o200k, system + user): median ${pct(promptTokens, 50)}, p95 ${pct(promptTokens, 95)}, max ${Math.max(...promptTokens)}`,
);

await wren.close();
await Promise.all([fake.close(), site.close()]);
rmSync(dataDir, { recursive: true, force: true });
