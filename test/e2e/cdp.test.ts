import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentHarness,
  actorReply,
  pageOf,
  roleOf,
  signInActions,
  startAgentHarness,
  verifierReply,
} from '../support/agent-harness.js';
import { LOGIN } from '../support/fixture-server.js';
import { entriesFor, fetchRunHar, headerOf } from '../support/har.js';
import { until } from '../support/wait.js';

let h: AgentHarness;
let chrome: ChildProcess;
let profile: string;
let address: string;

/** A Chromium the test starts itself, as a user would, with remote debugging on loopback. */
async function startDebuggableChromium(): Promise<string> {
  profile = mkdtempSync(path.join(tmpdir(), 'wren-cdp-'));
  chrome = spawn(
    '/usr/bin/chromium',
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    // Its own process group, so the renderers and helpers go with it at the end.
    { stdio: 'ignore', detached: true },
  );
  const port = await until(
    'chromium to open its DevTools port',
    () => {
      try {
        const port = readFileSync(path.join(profile, 'DevToolsActivePort'), 'utf8').split('\n')[0];
        return port || null;
      } catch {
        return null; // not written yet
      }
    },
    { timeoutMs: 30_000 },
  );
  return `http://127.0.0.1:${port}`;
}

/**
 * A loopback relay in front of the Chromium's DevTools port that only lets a WebSocket handshake
 * through when it carries `authorization: Bearer cdp-secret` (like a hosted browser provider),
 * recording each handshake's headers.
 */
async function startAuthRelay(target: string): Promise<{
  port: number;
  handshakes: Record<string, string>[];
  refused: () => number;
  close: () => Promise<void>;
}> {
  const targetPort = Number(new URL(target).port);
  const handshakes: Record<string, string>[] = [];
  let refused = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      handshakes.push(headers);
      if (headers['authorization'] !== 'Bearer cdp-secret') {
        refused++;
        client.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        return;
      }
      const upstream = connect(targetPort, '127.0.0.1', () => {
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    handshakes,
    refused: () => refused,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

beforeAll(async () => {
  [h, address] = await Promise.all([
    startAgentHarness('openai/gpt-5-mini'),
    startDebuggableChromium(),
  ]);
});
afterAll(async () => {
  await h?.close();
  if (chrome && chrome.exitCode === null) {
    const exited = new Promise((r) => chrome.once('exit', r));
    try {
      if (chrome.pid) process.kill(-chrome.pid, 'SIGKILL');
    } catch {
      chrome.kill('SIGKILL'); // the group is already gone
    }
    await exited;
  }
  // Helpers that outlive the browser by a moment may still write into the profile.
  if (profile) rmSync(profile, { recursive: true, force: true, maxRetries: 50, retryDelay: 200 });
});

describe('driving your own browser over CDP', () => {
  it('runs in a separately started Chromium and leaves it running', async () => {
    h.fake.setPolicy((req) => {
      const page = pageOf(req);
      if (roleOf(req) === 'verifier') {
        return verifierReply(page.includes('Welcome back'));
      }
      if (roleOf(req) !== 'actor') return undefined;
      if (page.includes('textbox "Username"')) {
        return actorReply(signInActions(page));
      }
      return actorReply([{ type: 'complete', answer: null }]);
    });
    const runId = await h.submit({
      engine: 'skyvern-1.0',
      prompt: 'Sign in as ada.',
      url: `${h.site.url}/login.html`,
      browser_address: address,
      cdp_connect_headers: { authorization: 'Bearer cdp-secret' },
      extra_http_headers: { 'x-from-run': 'cdp-run' },
    });
    const run = await h.waitForRun(runId);
    expect(run['status'], String(run['failure_reason'])).toBe('completed');
    expect(JSON.stringify(run)).not.toContain('cdp-secret');
    expect(h.site.requests().find((r) => r.path === '/login.html')?.headers['x-from-run']).toBe(
      'cdp-run',
    );

    // The run's HAR comes from the user's browser too (over CDP, no context of Wren's own).
    const { har, text } = await fetchRunHar(h.wren, runId);
    const [login] = entriesFor(har, '/login.html');
    expect(login?.response.status).toBe(200);
    expect(login?.response.bodySize).toBeGreaterThan(100);
    expect(headerOf(login!.request.headers, 'x-from-run')).toBe('[redacted]');
    expect(entriesFor(har, '/api/login', 'POST')[0]?.response.status).toBe(303);
    expect(entriesFor(har, '/account')[0]?.request.cookies).toEqual([
      { name: LOGIN.cookie, value: '[redacted]' },
    ]);
    for (const secret of [LOGIN.pass, 'correct+horse', 'cdp-run', 'cdp-secret'])
      expect(text).not.toContain(secret);

    // A video of a run in the user's browser too (frames over Wren's DevTools session).
    const video = await fetch(run['recording_url'] as string);
    expect(video.headers.get('content-type')).toBe('video/webm');
    expect((await video.arrayBuffer()).byteLength).toBeGreaterThan(1000);

    // The browser is still up, on the page the run left, signed in.
    expect(chrome.exitCode).toBeNull();
    const version = await fetch(`${address}/json/version`);
    expect(version.status).toBe(200);
    const mine = await chromium.connectOverCDP(address);
    const page = mine
      .contexts()[0]
      ?.pages()
      .find((p) => p.url().endsWith('/account'));
    expect(await page?.textContent('h1')).toBe('Welcome back, ada');
    // The run's extra headers do not stick to the user's browser.
    h.site.clear();
    await page?.reload();
    expect(
      h.site.requests().find((r) => r.path === '/account')?.headers['x-from-run'],
    ).toBeUndefined();
    await mine.close();
  });

  it('connects to a ws://…/devtools/browser/… address with cdp_connect_headers on the handshake', async () => {
    const version = (await (await fetch(`${address}/json/version`)).json()) as {
      webSocketDebuggerUrl: string;
    };
    const relay = await startAuthRelay(address);
    try {
      const wsAddress = version.webSocketDebuggerUrl.replace(/:\d+\//, `:${relay.port}/`);
      expect(wsAddress).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/devtools\/browser\/[\w-]+$/);
      h.fake.setPolicy((req) => {
        if (roleOf(req) === 'verifier')
          return { json: { evidence: 'help shown', goal_achieved: true, missing: '' } };
        if (roleOf(req) === 'actor') return actorReply([{ type: 'complete', answer: null }]);
        return undefined;
      });
      h.site.clear();
      const run = await h.waitForRun(
        await h.submit({
          engine: 'skyvern-1.0',
          prompt: 'Open the help page.',
          url: `${h.site.url}/help.html`,
          browser_address: wsAddress,
          cdp_connect_headers: { authorization: 'Bearer cdp-secret' },
        }),
      );
      expect(run['status'], String(run['failure_reason'])).toBe('completed');
      // The header went on the WebSocket handshake to the address, and the run drove that browser.
      expect(relay.handshakes[0]?.['authorization']).toBe('Bearer cdp-secret');
      expect(relay.handshakes[0]?.['upgrade']?.toLowerCase()).toBe('websocket');
      expect(h.site.requests().map((r) => r.path)).toContain('/help.html');
      // Without the header the relay refuses, and the run says why without echoing anything secret.
      const refused = await h.waitForRun(
        await h.submit({
          engine: 'skyvern-1.0',
          prompt: 'Open the help page.',
          url: `${h.site.url}/help.html`,
          browser_address: wsAddress,
          cdp_connect_headers: { authorization: 'Bearer wrong-one' },
        }),
      );
      expect(refused['status']).toBe('failed');
      expect(String(refused['failure_reason'])).toContain(
        'browser_address: could not connect over CDP',
      );
      expect(JSON.stringify(refused)).not.toContain('wrong-one');
      expect(relay.refused()).toBeGreaterThanOrEqual(1);
      // The browser outlived both runs.
      expect(chrome.exitCode).toBeNull();
      expect((await fetch(`${address}/json/version`)).status).toBe(200);
    } finally {
      await relay.close();
    }
  });

  it('fails the run with a clear reason when nothing listens at browser_address', async () => {
    h.fake.setPolicy(() => undefined);
    const run = await h.waitForRun(
      await h.submit({ engine: 'skyvern-1.0', prompt: 'x', browser_address: 'http://127.0.0.1:9' }),
    );
    expect(run['status']).toBe('failed');
    expect(String(run['failure_reason'])).toContain('browser_address: could not connect over CDP');
  });
});
