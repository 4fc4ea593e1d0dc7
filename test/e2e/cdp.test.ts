import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentHarness,
  actorReply,
  idOf,
  pageOf,
  roleOf,
  startAgentHarness,
} from '../support/agent-harness.js';
import { LOGIN } from '../support/fixture-server.js';
import { entriesFor, fetchRunHar, headerOf } from '../support/har.js';

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
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 200; i++) {
    try {
      const port = readFileSync(path.join(profile, 'DevToolsActivePort'), 'utf8').split('\n')[0];
      if (port) return `http://127.0.0.1:${port}`;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('chromium did not open its DevTools port');
}

beforeAll(async () => {
  [h, address] = await Promise.all([startAgentHarness(), startDebuggableChromium()]);
});
afterAll(async () => {
  await h?.close();
  if (chrome && chrome.exitCode === null) {
    const exited = new Promise((r) => chrome.once('exit', r));
    chrome.kill();
    await exited;
  }
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('driving your own browser over CDP', () => {
  it('runs in a separately started Chromium and leaves it running', async () => {
    h.fake.setPolicy((req) => {
      const page = pageOf(req);
      if (roleOf(req) === 'verifier') {
        const done = page.includes('Welcome back');
        return {
          json: { evidence: 'checked', goal_achieved: done, missing: done ? '' : 'not yet' },
        };
      }
      if (roleOf(req) !== 'actor') return undefined;
      if (page.includes('textbox "Username"')) {
        return actorReply([
          {
            type: 'input_text',
            element: idOf(page, 'textbox "Username"'),
            text: LOGIN.user,
            submit: false,
          },
          {
            type: 'input_text',
            element: idOf(page, 'textbox "Password"'),
            text: LOGIN.pass,
            submit: false,
          },
          { type: 'click', element: idOf(page, 'button "Sign in"') },
        ]);
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

  it('fails the run with a clear reason when nothing listens at browser_address', async () => {
    h.fake.setPolicy(() => undefined);
    const run = await h.waitForRun(
      await h.submit({ engine: 'skyvern-1.0', prompt: 'x', browser_address: 'http://127.0.0.1:9' }),
    );
    expect(run['status']).toBe('failed');
    expect(String(run['failure_reason'])).toContain('browser_address: could not connect over CDP');
  });
});
