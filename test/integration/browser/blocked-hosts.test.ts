/**
 * The browser never reaches cloud metadata addresses, also when a page (not the agent) starts
 * the request: links, redirects, frames, fetches. A stand-in "metadata" server on 127.0.0.2 is
 * blocked the same way the real addresses are (BrowserManager.blockedHosts, enforced by the
 * egress proxy in front of Chromium), and the same page in a browser without the rule does reach
 * it, so the test can tell the two apart. Each refusal is recorded in the run with its reason.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserManager, type RunBrowser } from '../../../src/browser/index.js';
import { FIXTURES } from '../../support/browser-harness.js';

let secret: Server;
let site: Server;
let secretPort = 0;
let siteUrl = '';
const secretHits: string[] = [];
const managers: BrowserManager[] = [];
const dirs: string[] = [];

async function listen(server: Server, host: string): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  secret = createServer((req, res) => {
    secretHits.push(req.url ?? '');
    res.end('AccessKeyId=SECRET');
  });
  secretPort = await listen(secret, '127.0.0.2');
  const base = `http://127.0.0.2:${secretPort}`;
  site = createServer((req, res) => {
    const page = (body: string) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><title>t</title>${body}`);
    };
    switch (req.url) {
      case '/link.html':
        return page(`<a id="go" href="${base}/link">creds</a>`);
      case '/redirect':
        res.statusCode = 302;
        res.setHeader('location', `http://[::ffff:127.0.0.2]:${secretPort}/redirect`);
        return res.end();
      case '/redirect-metadata':
        res.statusCode = 302;
        res.setHeader('location', 'http://169.254.169.254/latest/meta-data/');
        return res.end();
      case '/frame.html':
        // 2130706434 is 127.0.0.2 as one decimal number.
        return page(`<iframe src="http://2130706434:${secretPort}/frame"></iframe>`);
      case '/fetch.html':
        return page(
          `<script>window.done = fetch('http://0x7f000002:${secretPort}/fetch', {mode: 'no-cors'}).then(() => 'ok', () => 'failed')</script>`,
        );
      case '/metadata.html':
        return page(
          `<script>window.done = fetch('http://[::ffff:169.254.169.254]/latest/meta-data/', {mode: 'no-cors'}).then(() => 'ok', (e) => 'failed')</script>`,
        );
      default:
        res.statusCode = 404;
        return res.end();
    }
  });
  siteUrl = `http://127.0.0.1:${await listen(site, '127.0.0.1')}`;
});

afterAll(async () => {
  for (const m of managers) await m.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  secret?.close();
  site?.close();
});

/** One browser with the extra rule, one without (the control); a fresh context per test. */
const managerFor = new Map<boolean, BrowserManager>();
async function openRun(blockStandIn: boolean): Promise<RunBrowser> {
  let manager = managerFor.get(blockStandIn);
  if (!manager) {
    manager = new BrowserManager({ ...FIXTURES, blockedHosts: blockStandIn ? ['127.0.0.2'] : [] });
    managerFor.set(blockStandIn, manager);
    managers.push(manager);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'wren-blocked-'));
  dirs.push(dir);
  return manager.openRunBrowser({ runDir: dir, allowPrivateNetworks: true });
}

/** What a page does by itself: follow a link, a redirect, load a frame, fetch. */
async function pageInitiatedRequests(run: RunBrowser): Promise<string[]> {
  const failures: string[] = [];
  const toSecret = (r: Request) =>
    /^\/(link|redirect|frame|fetch)$/.test(new URL(r.url()).pathname) &&
    !r.url().startsWith(siteUrl);
  // Resolves once the request a step started towards the secret server has ended either way.
  const ended = () =>
    new Promise<void>((resolve) => {
      const done = (r: Request, failed: boolean) => {
        if (!toSecret(r)) return;
        if (failed) failures.push(r.failure()?.errorText ?? '');
        run.context.off('requestfinished', ok);
        run.context.off('requestfailed', ko);
        resolve();
      };
      const ok = (r: Request) => done(r, false);
      const ko = (r: Request) => done(r, true);
      run.context.on('requestfinished', ok);
      run.context.on('requestfailed', ko);
    });
  // A tab per case, so a failed navigation's error page cannot interrupt the next one.
  const tab = async () => run.context.newPage();
  await run.goto(`${siteUrl}/link.html`);
  let step = ended();
  await run.page().click('#go', { noWaitAfter: true });
  await step;
  step = ended();
  await (await tab()).goto(`${siteUrl}/redirect`).catch(() => {});
  await step;
  step = ended();
  await (await tab()).goto(`${siteUrl}/frame.html`, { waitUntil: 'commit' });
  await step;
  step = ended();
  await (await tab()).goto(`${siteUrl}/fetch.html`, { waitUntil: 'commit' });
  await step;
  return failures;
}

describe('page-initiated requests to blocked hosts', () => {
  it('never leave the browser, in any spelling of the address', async () => {
    const run = await openRun(true);
    await pageInitiatedRequests(run);
    expect(secretHits).toEqual([]);
    const blocked = run.events.flatMap((e) => (e.type === 'network_blocked' ? [e.blocked] : []));
    const paths = blocked.map((b) => new URL(b.url).pathname).filter((p) => p !== '/favicon.ico');
    expect(paths.sort()).toEqual(['/fetch', '/frame', '/link', '/redirect']);
    for (const b of blocked) expect(b.reason).toMatch(/cloud metadata or blocked address/);
  });

  it('do reach the same server from a browser without the rule (control)', async () => {
    const run = await openRun(false);
    expect(await pageInitiatedRequests(run)).toEqual([]);
    expect(secretHits.filter((p) => p !== '/favicon.ico').sort()).toEqual([
      '/fetch',
      '/frame',
      '/link',
      '/redirect',
    ]);
  });

  it('stop at the egress proxy for the real metadata addresses', async () => {
    const run = await openRun(false);
    await run.page().goto(`${siteUrl}/metadata.html`);
    await run.page().evaluate('window.done');
    await expect
      .poll(() => run.events.filter((e) => e.type === 'network_blocked'))
      .toEqual([
        {
          type: 'network_blocked',
          blocked: expect.objectContaining({
            url: 'http://[::ffff:a9fe:a9fe]/latest/meta-data/',
            reason: expect.stringMatching(/cloud metadata or blocked address/),
          }),
        },
      ]);
  });

  it('a download the agent asks for is refused when it redirects to a metadata address', async () => {
    const run = await openRun(false);
    await run.goto(`${siteUrl}/link.html`);
    const result = await run.act({ type: 'download', url: `${siteUrl}/redirect-metadata` });
    expect(result.error?.kind).toBe('download_failed');
    expect(result.error?.message).toBe('url: 169.254.169.254 is a cloud metadata address');
  });
});
