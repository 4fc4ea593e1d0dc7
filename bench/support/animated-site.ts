/** A loopback page that repaints every animation frame: what the live-view benches watch. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AnimatedSite {
  url: string;
  close(): Promise<void>;
}

export async function startAnimatedSite(heading: string): Promise<AnimatedSite> {
  const page = `<!doctype html><title>Animated</title>
<body style="font: 32px sans-serif"><h1>${heading}</h1><p id="n"></p>
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
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end(page),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
