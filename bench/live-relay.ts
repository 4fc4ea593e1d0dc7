/**
 * What relaying a live view through an API node costs (in-process, loopback, real Chromium): a
 * run browser on a page that repaints every animation frame, registered like a worker's run and
 * served by a worker's internal live endpoint. Viewers watch it either directly from that
 * endpoint or through the relay an API node runs (live-relay.ts); both print first-frame time
 * and frame rate.
 *
 *   npm run bench:live-relay -- [--seconds 8]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';
import { startInternalLiveServer } from '../src/api/live-internal.js';
import { LIVE_AUTH_SCHEME, LiveRelayTokens, relayFromWorker } from '../src/api/live-relay.js';
import { BrowserManager, LiveBrowsers } from '../src/browser/index.js';
import { SecretBox, secretKeyFromBytes } from '../src/credentials/index.js';
import { createLogger } from '../src/log.js';
import { startAnimatedSite } from './support/animated-site.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' } } });
const seconds = Number(values.seconds);

const site = await startAnimatedSite('Live relay bench');
const siteUrl = site.url;

const logger = createLogger('silent');
const runDir = mkdtempSync(join(tmpdir(), 'wren-bench-relay-'));
const browsers = new BrowserManager({ egress: { allowPrivateNetworks: true } });
const run = await browsers.openRunBrowser({ runDir, allowPrivateNetworks: true });
await run.goto(siteUrl);
const live = new LiveBrowsers();
live.add('run', 'tsk_bench', { organizationId: 'o_bench', page: () => run.page() });
const tokens = LiveRelayTokens.fromSecretBox(
  new SecretBox(secretKeyFromBytes(Buffer.alloc(32, 3))),
);
const grant = { runId: 'tsk_bench', organizationId: 'o_bench' };
const worker = await startInternalLiveServer({
  host: '127.0.0.1',
  port: 0,
  tokens,
  logger,
  locate: async (_org, runId) => {
    const entry = live.get('run', runId);
    return entry ? { entry } : null;
  },
});
const api = new WebSocketServer({ port: 0, host: '127.0.0.1' });
api.on('connection', (socket) => {
  const closed = new AbortController();
  socket.once('close', () => closed.abort());
  void relayFromWorker(
    socket,
    { ...grant, worker: 'bench', liveUrl: worker.address },
    tokens,
    logger,
    closed.signal,
  );
});
await new Promise((r) => api.once('listening', r));
const apiUrl = `ws://127.0.0.1:${(api.address() as AddressInfo).port}`;

async function watch(url: string, headers: Record<string, string> = {}) {
  const times: number[] = [];
  const startedAt = Date.now();
  const socket = new WebSocket(url, { headers });
  socket.on('message', (_data, binary) => {
    if (binary) times.push(Date.now());
  });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  socket.close();
  const span = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000;
  return {
    first_frame_ms: (times[0] ?? Number.NaN) - startedAt,
    fps: Number((span > 0 ? (times.length - 1) / span : 0).toFixed(1)),
    frames: times.length,
  };
}

try {
  const direct = await watch(`${worker.address}/runs/tsk_bench`, {
    authorization: `${LIVE_AUTH_SCHEME} ${tokens.sign(grant)}`,
  });
  const relayed = await watch(apiUrl);
  console.log(JSON.stringify({ seconds, direct, relayed }, null, 2));
} finally {
  api.close();
  await worker.close();
  await run.close();
  await browsers.close();
  await site.close();
  rmSync(runDir, { recursive: true, force: true });
}
