/**
 * Issue 17, finding 2: whatever a page does by itself — a 302, a meta refresh, location.href,
 * window.open, fetch, a WebSocket, or a host name that resolves to a private address — the
 * browser never reaches a private address, and the run records each refusal with its reason
 * (events for the timeline, and the HAR). docs/configuration.md, "Network policy".
 *
 * Loopback only: 127.0.0.2 plays the public internet (WREN_TEST_PUBLIC_ADDRESSES' policy field)
 * and 127.0.0.1 the private network; host names come from an injected resolver. A control run
 * with private networks allowed reaches the same private server, so the test can fail.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { BrowserManager, type RunBrowser } from '../../../src/browser/index.js';
import { type BlockedRequest, type EgressPolicy, reserveOwnPort } from '../../../src/net/index.js';

const privateHits: string[] = [];
const publicHits: string[] = [];
const servers: Server[] = [];
let privatePort = 0;
let site = '';
let manager: BrowserManager;
const dirs: string[] = [];

const resolve = async (name: string) =>
  name === 'public.test' ? ['127.0.0.2'] : name === 'internal.test' ? ['127.0.0.1'] : [];
const policy: EgressPolicy = {
  allowPrivateNetworks: false,
  publicAddresses: ['127.0.0.2'],
  resolve,
};

async function listen(server: Server, host: string): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  const internal = createServer((req, res) => {
    privateHits.push(req.url ?? '');
    res.setHeader('content-type', 'text/html');
    res.end('<title>internal</title>INTERNAL-SECRET');
  });
  const sockets = new WebSocketServer({ server: internal });
  sockets.on('connection', (ws, req) => {
    privateHits.push(`ws ${req.url}`);
    ws.send('INTERNAL-SECRET');
  });
  privatePort = await listen(internal, '127.0.0.1');
  const inside = `http://127.0.0.1:${privatePort}`;
  const page = (body: string) => `<!doctype html><title>public</title>${body}`;
  const pages: Record<string, string> = {
    '/meta.html': page(`<meta http-equiv="refresh" content="0;url=${inside}/meta">`),
    '/location.html': page(`<script>location.href = '${inside}/location'</script>`),
    '/open.html': page(`<script>window.open('${inside}/open')</script>`),
    '/fetch.html': page(
      `<script>window.done = fetch('${inside}/fetch').then(r => r.text(), e => 'failed: ' + e)</script>`,
    ),
    '/ws.html': page(
      `<script>window.done = new Promise(r => { const ws = new WebSocket('ws://127.0.0.1:${privatePort}/ws'); ws.onmessage = (m) => r(m.data); ws.onerror = () => r('failed'); })</script>`,
    ),
    '/name.html': page(
      `<script>window.done = fetch('http://internal.test:${privatePort}/name').then(r => r.text(), e => 'failed: ' + e)</script>`,
    ),
    '/public-fetch.html': page(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a template literal in the page's own script
      '<script>window.done = fetch(`http://public.test:${location.port}/hello`).then(r => r.text())</script>',
    ),
  };
  const pub = createServer((req, res) => {
    publicHits.push(req.url ?? '');
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `${inside}/redirect` });
      return res.end();
    }
    if (req.url === '/hello') {
      res.setHeader('access-control-allow-origin', '*');
      return res.end('hello from the public site');
    }
    const html = pages[req.url ?? ''];
    res.statusCode = html ? 200 : 404;
    res.setHeader('content-type', 'text/html');
    res.end(html ?? '');
  });
  site = `http://127.0.0.2:${await listen(pub, '127.0.0.2')}`;
  manager = new BrowserManager({ egress: policy });
});

afterAll(async () => {
  await manager?.close();
  for (const s of servers) s.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function openRun(allowPrivateNetworks: boolean): Promise<RunBrowser> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wren-egress-'));
  dirs.push(dir);
  const run = await manager.openRunBrowser({
    runDir: dir,
    allowPrivateNetworks,
    resolveHost: resolve,
  });
  run.startHar();
  return run;
}

function blockedOf(run: RunBrowser): BlockedRequest[] {
  return run.events.flatMap((e) => (e.type === 'network_blocked' ? [e.blocked] : []));
}

/** Every way a page leaves for the private server by itself. */
async function everyWayOut(run: RunBrowser): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  await run.goto(`${site}/redirect`).catch(() => {});
  out['redirect'] = await run.page().content();
  for (const name of ['meta', 'location']) {
    const tab = await run.newTab();
    await tab.goto(`${site}/${name}.html`).catch(() => {});
    await tab.waitForURL(/127\.0\.0\.1/, { timeout: 10_000 }).catch(() => {});
    await tab.waitForLoadState('load').catch(() => {});
    out[name] = await tab.content();
  }
  const opener = await run.newTab();
  const popup = opener.waitForEvent('popup');
  await opener.goto(`${site}/open.html`);
  const opened = await popup;
  await opened.waitForLoadState('load').catch(() => {});
  out['open'] = await opened.content();
  for (const name of ['fetch', 'ws', 'name']) {
    const tab = await run.newTab();
    await tab.goto(`${site}/${name}.html`);
    out[name] = await tab.evaluate('window.done');
  }
  return out;
}

describe('egress proxy in front of the browser (issue 17, finding 2)', () => {
  it('stops every page-initiated way to a private address and records why', async () => {
    const run = await openRun(false);
    const seen = await everyWayOut(run);
    expect(privateHits).toEqual([]);
    expect(JSON.stringify(seen)).not.toContain('INTERNAL-SECRET');
    // A cross-origin fetch sees a network error (the proxy's 403 carries no CORS headers).
    expect(seen['fetch']).toMatch(/^failed/);
    expect(seen['redirect']).toContain("Blocked by Wren's network policy");
    expect(seen['ws']).toBe('failed');
    const blocked = blockedOf(run);
    const urls = blocked.map((b) => b.url);
    for (const p of ['redirect', 'meta', 'location', 'open', 'fetch', 'name']) {
      const host = p === 'name' ? 'internal.test' : '127.0.0.1';
      expect(urls, p).toContain(`http://${host}:${privatePort}/${p}`);
    }
    // The WebSocket goes through a CONNECT tunnel: the origin is what the proxy sees.
    expect(urls).toContain(`https://127.0.0.1:${privatePort}`);
    for (const b of blocked) {
      expect(b.reason).toMatch(
        /points at a private, loopback or link-local address \(127\.0\.0\.1\)/,
      );
    }
    expect(blocked.find((b) => b.host === 'internal.test')?.reason).toContain('internal.test');
    // The HAR marks the refused requests and lists every refusal.
    const har = await run.stopHar();
    expect(har?.log._blocked?.length).toBe(blocked.length);
    const fetchEntry = har?.log.entries.find(
      (e) => e.request.url === `http://127.0.0.1:${privatePort}/fetch`,
    );
    expect(fetchEntry?._blocked).toMatch(/private, loopback or link-local/);
    await run.close();
  });

  it('lets public hosts through, names resolved by the policy, and refuses the agent the private ones', async () => {
    const run = await openRun(false);
    await run.goto(`${site}/public-fetch.html`);
    expect(await run.page().evaluate('window.done')).toBe('hello from the public site');
    expect(publicHits).toContain('/hello');
    await expect(run.goto(`http://internal.test:${privatePort}/agent`)).rejects.toThrow(
      /resolves to a private network address \(127\.0\.0\.1\)/,
    );
    expect(blockedOf(run)).toEqual([]);
    await run.close();
  });

  it('reaches the same private server when private networks are allowed (control)', async () => {
    const run = await openRun(true);
    const seen = await everyWayOut(run);
    expect(JSON.stringify(seen)).toContain('INTERNAL-SECRET');
    expect(privateHits).toEqual(
      expect.arrayContaining([
        '/redirect',
        '/meta',
        '/location',
        '/open',
        '/fetch',
        '/name',
        'ws /ws',
      ]),
    );
    expect(blockedOf(run)).toEqual([]);
    await run.close();
  });

  it("never lets a page reach one of Wren's own browser endpoints, even with private networks allowed", async () => {
    // Stands in for a session's DevTools port (its /json/list names every tab of that browser).
    const devtoolsHits: string[] = [];
    const devtools = createServer((req, res) => {
      devtoolsHits.push(req.url ?? '');
      res.setHeader('access-control-allow-origin', '*');
      res.end('[{"url": "OTHER-ORG-TAB"}]');
    });
    const port = await listen(devtools, '127.0.0.1');
    const release = reserveOwnPort(port);
    try {
      const run = await openRun(true);
      await run
        .page()
        .goto(`http://127.0.0.1:${port}/json/list`)
        .catch(() => {});
      const shown = await run.page().content();
      await run.page().goto(`${site}/public-fetch.html`);
      const fetched = await run
        .page()
        .evaluate(
          `fetch('http://localhost:${port}/json/version').then(r => r.text(), e => 'failed: ' + e)`,
        );
      expect(devtoolsHits).toEqual([]);
      expect(shown).not.toContain('OTHER-ORG-TAB');
      expect(shown).toContain("Blocked by Wren's network policy");
      expect(String(fetched)).toMatch(/^failed/);
      const blocked = blockedOf(run);
      expect(blocked.map((b) => b.url)).toEqual(
        expect.arrayContaining([
          `http://127.0.0.1:${port}/json/list`,
          `http://localhost:${port}/json/version`,
        ]),
      );
      for (const b of blocked) expect(b.reason).toContain('is a browser endpoint Wren runs itself');
      await run.close();
      // Control: the same server once the port is no longer Wren's.
      release();
      const control = await openRun(true);
      await control.page().goto(`http://127.0.0.1:${port}/json/list`);
      expect(await control.page().content()).toContain('OTHER-ORG-TAB');
      await control.close();
    } finally {
      release();
    }
  });
});
