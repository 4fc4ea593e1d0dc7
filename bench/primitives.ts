/**
 * bench/primitives: what an SDK AI primitive costs besides the model — `page.act` and
 * `page.locate` answered from the selector cache (replayed with Playwright in this process)
 * versus uncached (run_action on the server: lease the session, observe, model, build a selector,
 * act, record the run). A real server (SQLite), real Chromium, the fixture site, and the fake model
 * answering instantly, so the time left is Wren's own.
 *
 *   npm run bench:primitives -- [rounds, default 30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWren } from '../src/app/index.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { Wren } from '../src/sdk/index.js';
import { startFakeModelServer } from '../test/support/fake-model-server.js';
import { startFixtureServer } from '../test/support/fixture-server.js';
import { primitivesModel } from '../test/support/primitives-model.js';

const rounds = Number(process.argv[2] ?? 30);
const site = await startFixtureServer();
const fake = await startFakeModelServer();
fake.setPolicy(primitivesModel);
const dataDir = mkdtempSync(join(tmpdir(), 'wren-bench-primitives-'));
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
const wren = new Wren({ baseUrl, apiKey });
const { browser_session_id: id } = await wren.createBrowserSession();
const page = await wren.sessions.page(id);
await page.goto(`${site.url}/selectors.html`);

async function time(label: string, n: number, work: () => Promise<unknown>, before?: () => void) {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    before?.();
    const t = performance.now();
    await work();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(1);
  return `| ${label.padEnd(34)} | ${String(n).padStart(6)} | ${q(0.5).padStart(6)} | ${q(0.9).padStart(6)} |`;
}

const act = () => page.act('click the Save button');
const locate = () => page.locate("Bob's Delete button");
const clear = () => wren.selectorCache.clear();
await act(); // warm up: Playwright's injected script, the server's first observation
const rows = [
  await time('act, uncached (model + server)', Math.max(5, Math.floor(rounds / 3)), act, clear),
  await time('act, cached (no model, no server)', rounds, act),
  await time('locate, uncached', Math.max(5, Math.floor(rounds / 3)), locate, clear),
  await time('locate, cached', rounds, locate),
];
const modelMs = fake.requests.length;
console.log(
  `rounds ${rounds}; fake model requests ${modelMs}; load avg ${loadavg()[0]!.toFixed(1)}`,
);
console.log('| primitive                          | calls  | p50 ms | p90 ms |');
console.log('| ---------------------------------- | -----: | -----: | -----: |');
for (const r of rows) console.log(r);

await wren.closeBrowserSession(id);
await wren.close();
await server.close();
await Promise.all([site.close(), fake.close()]);
rmSync(dataDir, { recursive: true, force: true });
