/**
 * Issue 17, finding 1: a session's browser is a capability of its organization. Its
 * browser_address is the CDP gateway with a per-session token (docs/security.md, "Session
 * browsers"); Chromium's own DevTools port stays on loopback, is never handed out and no run's
 * browser_address may reach it. Another organization's run gets the same failure for every
 * address it tries — the raw port, the gateway without or with a wrong token, even the owner's
 * exact address — and that failure is word for word the one a closed port or a server that is no
 * browser gives, so nothing tells which ports are open. The owner's Playwright and Puppeteer
 * connect with the address as handed out.
 *
 * Private networks are allowed here (the test suite's setting), the case where loopback
 * addresses pass the policy: the guard must hold on its own.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createApiKey } from '../../src/api/index.js';
import { cdpUnreachable } from '../../src/browser/index.js';
import { type AgentHarness, actorReply, startAgentHarness } from '../support/agent-harness.js';
import { isTerminalRun } from '../support/wren.js';

let h: AgentHarness;
let other: Record<string, string>;
let sessionId = '';
let address = '';
let rawWs = '';
let rawPort = 0;
const cleanup: (() => void)[] = [];

beforeAll(async () => {
  h = await startAgentHarness('openai/gpt-5-mini', { WREN_RECORDING: 'false', WREN_HAR: 'false' });
  await h.wren.wren.store.apiKeys.createOrganization({
    id: 'o_two',
    name: 'Org two',
    createdAt: new Date().toISOString(),
  });
  other = { 'x-api-key': await createApiKey(h.wren.wren.store, 'o_two', 'test') };
  const created = await h.wren.call('POST', '/v1/browser_sessions', {
    url: `${h.site.url}/help.html`,
  });
  expect(created.status, created.text).toBe(200);
  const session = created.body as Record<string, unknown>;
  sessionId = String(session['browser_session_id']);
  address = String(session['browser_address']);
  const [port, wsPath] = (
    await readFile(path.join(h.wren.dataDir, 'sessions', sessionId, 'DevToolsActivePort'), 'utf8')
  )
    .trim()
    .split('\n');
  rawPort = Number(port);
  rawWs = `ws://127.0.0.1:${port}${wsPath}`;
});

afterAll(async () => {
  for (const c of cleanup) c();
  await h?.close();
});

/** Submits a run of org two at `browserAddress` and returns its terminal state. */
async function foreignRun(browserAddress: string): Promise<Record<string, unknown>> {
  const submitted = await h.wren.call(
    'POST',
    '/v1/run/tasks',
    { engine: 'skyvern-1.0', prompt: 'Read the page.', browser_address: browserAddress },
    other,
  );
  expect(submitted.status, submitted.text).toBe(200);
  const runId = String((submitted.body as Record<string, unknown>)['run_id']);
  return vi.waitFor(
    async () => {
      const run = (await h.wren.call('GET', `/v1/runs/${runId}`, undefined, other)).body as Record<
        string,
        unknown
      >;
      if (!isTerminalRun(run)) throw new Error(`run ${runId} still ${String(run['status'])}`);
      return run;
    },
    { timeout: 90_000, interval: 50 },
  );
}

describe("a session's browser is reachable only with its token, by its organization", () => {
  it('hands out the gateway address with a token, never the raw DevTools port', () => {
    expect(address).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/browser_sessions/${sessionId}/[\\w-]{32}$`),
    );
    expect(address).not.toContain(`:${rawPort}/`);
  });

  it("refuses another organization's runs at every address, with the error a closed port gives", async () => {
    h.fake.setPolicy(() => actorReply([{ type: 'complete', answer: null }]));
    const gateway = new URL(address);
    const token = address.split('/').at(-1) as string;
    // Controls: a closed port, a server that is no browser, a socket that resets at once.
    const closed = createTcpServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const closedPort = (closed.address() as AddressInfo).port;
    closed.close();
    const notBrowser = createServer((_q, r) => r.end('hello'));
    notBrowser.listen(0, '127.0.0.1');
    await once(notBrowser, 'listening');
    const resetting = createTcpServer((s) => s.resetAndDestroy());
    resetting.listen(0, '127.0.0.1');
    await once(resetting, 'listening');
    cleanup.push(
      () => notBrowser.close(),
      () => resetting.close(),
    );
    const port = (s: { address(): unknown }) => (s.address() as AddressInfo).port;

    const attempts = [
      rawWs,
      `http://127.0.0.1:${rawPort}`,
      `http://localhost:${rawPort}`,
      `ws://[::ffff:127.0.0.1]:${rawPort}${new URL(rawWs).pathname}`,
      `ws://${gateway.host}/browser_sessions/${sessionId}`,
      `ws://${gateway.host}/browser_sessions/${sessionId}/${'x'.repeat(token.length)}`,
      `http://${gateway.host}/browser_sessions/${sessionId}/${token}`,
      address,
      `http://127.0.0.1:${closedPort}`,
      `http://127.0.0.1:${port(notBrowser)}`,
      `ws://127.0.0.1:${port(resetting)}/devtools/browser/x`,
    ];
    const runs = await Promise.all(attempts.map(foreignRun));
    runs.forEach((run, i) => {
      const attempt = attempts[i] as string;
      expect(run['status'], attempt).toBe('failed');
      // Word for word the same failure, up to the address it names.
      expect(run['failure_reason'], attempt).toBe(cdpUnreachable(attempt));
    });
    // Nothing of org one's page reached org two's model.
    expect(JSON.stringify(h.fake.requests)).not.toContain('help.html');
  });

  it('refuses a bare WebSocket at the gateway without the token', async () => {
    const gateway = new URL(address);
    const statusOf = (url: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('error', () => resolve(-1));
      });
    expect(await statusOf(`ws://${gateway.host}/browser_sessions/${sessionId}`)).toBe(404);
    expect(await statusOf(`ws://${gateway.host}/browser_sessions/${sessionId}/wrong`)).toBe(404);
    expect(await statusOf(`ws://${gateway.host}/devtools/browser/x`)).toBe(404);
    expect(await statusOf(address)).toBe(101);
  });

  it('tells the owner to run through the session id when it passes the address itself', async () => {
    const r = await h.wren.call('POST', '/v1/run/tasks', {
      prompt: 'x',
      browser_address: address,
    });
    expect(r.status).toBe(400);
    expect((r.body as { detail: string }).detail).toBe(
      `browser_address is the address of browser session ${sessionId}; pass "browser_session_id": "${sessionId}" to run in it`,
    );
  });

  it("serves the owner's Playwright and Puppeteer at the address as handed out", async () => {
    const viaPlaywright = await chromium.connectOverCDP(address);
    const urls =
      viaPlaywright
        .contexts()[0]
        ?.pages()
        .map((p) => p.url()) ?? [];
    expect(urls).toContain(`${h.site.url}/help.html`);
    await viaPlaywright.close();
    // The http:// form (DevTools discovery at <address>/json/version) works too.
    const http = address.replace(/^ws:/, 'http:');
    const viaHttp = await chromium.connectOverCDP(http);
    expect(
      viaHttp
        .contexts()[0]
        ?.pages()
        .map((p) => p.url()),
    ).toContain(`${h.site.url}/help.html`);
    await viaHttp.close();
    const viaPuppeteer = await puppeteer.connect({
      browserWSEndpoint: address,
      defaultViewport: null,
    });
    expect((await viaPuppeteer.pages()).map((p) => p.url())).toContain(`${h.site.url}/help.html`);
    await viaPuppeteer.disconnect();
  });
});
