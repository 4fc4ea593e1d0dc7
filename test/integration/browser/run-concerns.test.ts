/**
 * The concerns behind RunBrowser that no action test pins down by itself: which requests an
 * action's settle waits for (browser/run/network.ts) and how tabs come and go
 * (browser/run/tabs.ts). A server of the test's own holds responses until the test lets go.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunBrowser, RunBrowserEvent } from '../../../src/browser/index.js';
import { useBrowserHarness } from '../../support/browser-harness.js';
import { until } from '../../support/wait.js';

const PAGE = `<!doctype html><title>Concerns</title><h1>Concerns</h1>
<button id="popup" onclick="window.open('/page?popup', 'p', 'width=400,height=300')">Open popup</button>`;

describe('run browser concerns', () => {
  const h = useBrowserHarness();
  let base = '';
  /** Responses of /hold not sent yet; /stream connections kept open. */
  const held: ServerResponse[] = [];
  const streams: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/hold')) held.push(res);
    else if (url.startsWith('/stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: hello\n\n');
      streams.push(res);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE);
    }
  });
  const release = () => {
    for (const res of held.splice(0)) if (!res.writableEnded) res.end('done');
  };
  /** The working tab fetches /hold; resolves once the server holds it. */
  const holdOne = async (run: RunBrowser) => {
    await run.page().evaluate(() => {
      void fetch('/hold');
    });
    await until('the held request reaches the server', () => held.length === 1);
  };

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    release();
    for (const res of streams.splice(0)) res.end();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('waits for requests started after a mark, until they finish or the time is up', async () => {
    const run = await h.open();
    await run.goto(`${base}/page`);
    const before = run.requestMark();
    expect(run.requestsPending(before)).toBe(false);
    await holdOne(run);
    expect(run.requestsPending(before)).toBe(true);
    // A mark taken after it started does not wait for it.
    expect(run.requestsPending(run.requestMark())).toBe(false);

    const started = Date.now();
    await run.requestsSettled(before, 300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(run.requestsPending(before)).toBe(true);

    const settled = run.requestsSettled(before, 60_000);
    release();
    await settled;
    expect(run.requestsPending(before)).toBe(false);
  });

  it('never waits for a stream, nor for a request of a tab that closed', async () => {
    const run = await h.open();
    await run.goto(`${base}/page`);
    const mark = run.requestMark();
    await run.page().evaluate(() => {
      new EventSource('/stream');
    });
    await until('the stream is open', () => streams.length === 1);
    expect(run.requestsPending(mark)).toBe(false);

    await run.newTab();
    await run.goto(`${base}/page`);
    const second = run.requestMark();
    await holdOne(run);
    expect(run.requestsPending(second)).toBe(true);
    await run.page().close();
    expect(run.requestsPending(second)).toBe(false);
    release();
  });

  it('follows a popup, hands back to its opener when it closes, and goes quiet at close', async () => {
    const run = await h.open();
    const events: RunBrowserEvent[] = [];
    run.on((e) => events.push(e));
    await run.goto(`${base}/page`);
    const opener = run.page();

    const own = await run.newTab();
    expect(run.page()).toBe(own);
    run.setActivePage(opener);
    await run.page().click('#popup');
    const popup = await until('the popup is the working tab', () => {
      const p = run.page();
      return p !== opener && p !== own && p;
    });
    expect(events.filter((e) => e.type === 'tab_opened')).toMatchObject([
      { type: 'tab_opened', popup: false, tab: { index: 1, active: true } },
      { type: 'tab_opened', popup: true, tab: { index: 2, active: true } },
    ]);
    await popup.waitForLoadState('domcontentloaded');
    expect((await run.tabs()).map((t) => [t.title, t.active])).toEqual([
      ['Concerns', false],
      ['', false],
      ['Concerns', true],
    ]);

    // The popup's opener is tab 0, not the tab before it.
    await popup.close();
    expect(run.page()).toBe(opener);
    expect(events.at(-1)).toEqual({ type: 'tab_closed', url: `${base}/page?popup` });
    expect(run.allPages()).toEqual([opener, own]);

    const count = events.length;
    await run.close();
    expect(events).toHaveLength(count);
    expect(() => run.page()).toThrow(expect.objectContaining({ kind: 'closed' }));
    run.noteBlocked({
      at: new Date().toISOString(),
      method: 'GET',
      url: 'http://10.0.0.1/',
      host: '10.0.0.1',
      port: 80,
      reason: 'private address',
    });
    expect(events).toHaveLength(count);
  });

  it('records a refused connection as an event and in the HAR', async () => {
    const run = await h.open();
    run.startHar();
    await run.goto(`${base}/page`);
    const blocked = {
      at: new Date().toISOString(),
      method: 'GET',
      url: 'http://10.0.0.1/x',
      host: '10.0.0.1',
      port: 80,
      reason: '10.0.0.1 is a private network address',
    };
    run.noteBlocked(blocked);
    expect(run.events.at(-1)).toEqual({ type: 'network_blocked', blocked });
    const har = await run.stopHar();
    expect(har?.log._blocked).toEqual([blocked]);
    expect(har?.log.entries.map((e) => e.request.url)).toContain(`${base}/page`);
  });
});
