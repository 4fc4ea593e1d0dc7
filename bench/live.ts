/**
 * Live view numbers on this machine (in-process server, loopback, real Chromium): a browser
 * session on a page that repaints every animation frame, watched over the WebSocket.
 * - first frame: auth message sent → first JPEG received;
 * - frame rate and JPEG size while the page animates (the server caps the rate at 10 fps).
 *
 *   npm run bench:live -- [--seconds 10] [--viewers 1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { createWren } from '../src/api/server.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';

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

const PAGE = `<!doctype html><title>Animated</title>
<body style="font: 32px sans-serif"><h1>Live view bench</h1><p id="n"></p>
<div id="box" style="width:200px;height:120px;background:#4f46e5;position:relative"></div>
<script>
  let i = 0;
  (function tick() {
    i++;
    document.getElementById('n').textContent = 'frame ' + i;
    document.getElementById('box').style.left = (i * 4) % 800 + 'px';
    requestAnimationFrame(tick);
  })();
</script></body>`;
const site = createServer((_req, res) =>
  res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE),
);
await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;

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
  await new Promise((r) => site.close(r));
  rmSync(dataDir, { recursive: true, force: true });
}
