/**
 * Live view numbers on this machine (in-process server, loopback, real Chromium): a browser
 * session on a page that repaints every animation frame, watched over the WebSocket.
 * - first frame: auth message sent → first JPEG received;
 * - frame rate and JPEG size while the page animates (the server caps the rate at 10 fps).
 *
 *   npm run bench:live -- [--seconds 10] [--viewers 1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { createWren } from '../src/app/index.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startAnimatedSite } from './support/animated-site.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    viewers: { type: 'string', default: '1' },
  },
});
const seconds = Number(values.seconds);
const viewerCount = Number(values.viewers);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

const site = await startAnimatedSite('Live view bench');
const siteUrl = site.url;

const dataDir = mkdtempSync(join(tmpdir(), 'wren-bench-live-'));
const apiKey = 'wren_bench_live_key_0123456789';
const config = loadConfig(
  { dataDir, port: 0, logLevel: 'silent' },
  { WREN_API_KEY: apiKey, WREN_ALLOW_PRIVATE_NETWORKS: 'true' },
);
const wren = await createWren({ config, logger: createLogger('silent') });
const url = await wren.listen();

try {
  const created = await fetch(`${url}/v1/browser_sessions`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ url: siteUrl }),
  });
  const { browser_session_id: id } = (await created.json()) as { browser_session_id: string };

  const results = await Promise.all(
    Array.from({ length: viewerCount }, async () => {
      const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/browser_sessions/${id}/live`);
      await new Promise((r) => socket.once('open', r));
      const sizes: number[] = [];
      const times: number[] = [];
      const sentAt = Date.now();
      socket.on('message', (data: Buffer, binary) => {
        if (!binary) return;
        sizes.push(data.length);
        times.push(Date.now());
      });
      socket.send(JSON.stringify({ type: 'auth', api_key: apiKey }));
      await new Promise((r) => setTimeout(r, seconds * 1000));
      socket.close();
      const firstMs = (times[0] ?? Number.NaN) - sentAt;
      const span = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000;
      return { firstMs, fps: span > 0 ? (times.length - 1) / span : 0, sizes };
    }),
  );
  await fetch(`${url}/v1/browser_sessions/${id}/close`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey },
  });
  const sizes = results.flatMap((r) => r.sizes);
  console.log(
    JSON.stringify(
      {
        viewers: viewerCount,
        seconds,
        first_frame_ms: results.map((r) => r.firstMs),
        fps: results.map((r) => Number(r.fps.toFixed(1))),
        frames: sizes.length,
        jpeg_kb_p50: Number((pct(sizes, 50) / 1024).toFixed(1)),
        jpeg_kb_p95: Number((pct(sizes, 95) / 1024).toFixed(1)),
      },
      null,
      2,
    ),
  );
} finally {
  await wren.close();
  await site.close();
  rmSync(dataDir, { recursive: true, force: true });
}
