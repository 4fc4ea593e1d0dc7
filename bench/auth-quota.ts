/**
 * Per-request cost of key lookup without a cache and of the max_active_runs check, on SQLite
 * (in-process, no HTTP): µs per operation, and how the quota check grows with the queue.
 *
 *   npm run bench:auth-quota
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyAuthenticator, createApiKey, hashApiKey } from '../src/api/index.js';
import { openStore } from '../src/store/index.js';

const dataDir = mkdtempSync(join(tmpdir(), 'wren-bench-auth-'));
const store = await openStore({ dataDir });
const key = await createApiKey(store);
const auth = new ApiKeyAuthenticator(store);
for (let i = 0; i < 2000; i++) await auth.identify(key);
let t = performance.now();
const N = 20000;
for (let i = 0; i < N; i++) await auth.identify(key);
console.log('identify µs/op', (((performance.now() - t) * 1000) / N).toFixed(1));
t = performance.now();
for (let i = 0; i < N; i++) hashApiKey(key);
console.log('sha256 µs/op', (((performance.now() - t) * 1000) / N).toFixed(1));
const org = (await store.apiKeys.firstOrganization())!.id;
const mk = (i: number) =>
  ({
    id: `tsk_${i}`,
    organizationId: org,
    engine: 'skyvern-1.0',
    runType: 'task_v1',
    status: 'queued',
    title: null,
    prompt: 'p',
    request: {},
    webhookUrl: null,
    createdAt: new Date().toISOString(),
    modifiedAt: new Date().toISOString(),
    queuedAt: new Date().toISOString(),
  }) as never;
let id = 0;
for (const [label, fn] of [
  ['insertRun', (r: never) => store.runs.insert(r)],
  ['insertRunWithinQuota(500)', (r: never) => store.runs.insertWithinQuota(r, 500)],
  [
    'insertRunWithinQuota(100000) with growing queue',
    (r: never) => store.runs.insertWithinQuota(r, 100000),
  ],
] as const) {
  t = performance.now();
  for (let i = 0; i < 400; i++) await (fn as (r: never) => Promise<unknown>)(mk(id++));
  console.log(
    label,
    'µs/op',
    (((performance.now() - t) * 1000) / 400).toFixed(1),
    'queued now',
    id,
  );
}
for (let i = 0; i < 8000; i++) await store.runs.insert(mk(id++));
for (const lim of [500, 100000]) {
  t = performance.now();
  let refused = 0;
  for (let i = 0; i < 400; i++) if (await store.runs.insertWithinQuota(mk(id++), lim)) refused++;
  console.log(
    `within quota ${lim} at ~${id} queued: µs/op`,
    (((performance.now() - t) * 1000) / 400).toFixed(1),
    'refused',
    refused,
  );
}
await store.close();
rmSync(dataDir, { recursive: true, force: true });
