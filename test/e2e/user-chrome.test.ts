/**
 * The server option of docs/sessions.md ("drive your installed Chrome with your logins"), step by
 * step: a Chrome profile that is signed in to the fixture site, WREN_CHROME_PATH and
 * WREN_CHROME_PROFILE_DIR set, Wren copies the profile and starts Chrome on the copy, a run that
 * names no browser is signed in by the copied cookie, the browser outlives the run, and stopping
 * Wren stops that Chrome. A run asking for a proxy location is routed instead.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorReply, pageOf, roleOf } from '../support/agent-harness.js';
import { type FakeModelServer, startFakeModelServer } from '../support/fake-model-server.js';
import { type FixtureServer, LOGIN, startFixtureServer } from '../support/fixture-server.js';
import { type ForwardProxy, startForwardProxy } from '../support/forward-proxy.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from '../support/wren.js';

const dir = mkdtempSync(path.join(tmpdir(), 'wren-user-chrome-e2e-'));
const profile = path.join(dir, 'chrome-profile');
const copy = path.join(dir, 'user_data_dir');
let site: FixtureServer;
let fake: FakeModelServer;
let jp: ForwardProxy;
let wren: TestWren | undefined;
let port = 0;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const debuggable = () =>
  fetch(`http://127.0.0.1:${port}/json/version`, { signal: AbortSignal.timeout(2000) })
    .then((r) => r.ok)
    .catch(() => false);

beforeAll(async () => {
  [site, fake, jp, port] = await Promise.all([
    startFixtureServer(),
    startFakeModelServer(),
    startForwardProxy('tokyo', 'pw-jp'),
    freePort(),
  ]);
  // "Your" Chrome profile: signed in to the site, then the browser quit (step 1 of the docs).
  const mine = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  const page = mine.pages()[0] ?? (await mine.newPage());
  await page.goto(`${site.url}/login.html`);
  await page.fill('#user', LOGIN.user);
  await page.fill('#pass', LOGIN.pass);
  await Promise.all([page.waitForURL(/\/account$/), page.click('button[type=submit]')]);
  expect(await page.textContent('h1')).toBe('Welcome back, ada');
  await mine.close();
  // A lock left by a Chrome that did not quit cleanly must not be copied.
  symlinkSync('otherhost-1234', path.join(profile, 'SingletonLock'));
  mkdirSync(path.join(dir, 'proxies'), { recursive: true });
  const proxies = path.join(dir, 'proxies', 'proxies.yaml');
  writeFileSync(proxies, `pools:\n  RESIDENTIAL_JP:\n    - ${jp.urlWithCredentials}\n`);
  site.clear();
  wren = await startTestWren({
    env: {
      ...fake.env('openai/gpt-5-mini'),
      WREN_CHROME_PATH: '/usr/bin/chromium',
      WREN_CHROME_PROFILE_DIR: profile,
      WREN_CHROME_USER_DATA_DIR: copy,
      WREN_CHROME_DEBUG_PORT: String(port),
      WREN_CHROME_HEADLESS: 'true',
      WREN_PROXY_CONFIG: proxies,
      // No video: encoding it dominates a run's end on a busy machine (recording has its own tests).
      WREN_RECORDING: 'false',
    },
    worker: { pollIntervalMs: 50 },
  });
});

afterAll(async () => {
  await wren?.close();
  await Promise.all([site?.close(), fake?.close(), jp?.close()]);
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

async function runToEnd(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const t = wren as TestWren;
  const submitted = await t.call('POST', '/v1/run/tasks', body);
  expect(submitted.status, submitted.text).toBe(200);
  const id = (submitted.body as { run_id: string }).run_id;
  return waitForRun(t, id, isTerminalRun, 150_000);
}

describe('WREN_CHROME_PATH: your installed Chrome with a copy of your profile', () => {
  it('signs runs in with the copied cookies, keeps Chrome up, routes proxied runs elsewhere, and stops it with Wren', {
    timeout: 400_000,
  }, async () => {
    // Wren started Chrome on the copy, with remote debugging on the configured port.
    expect(await debuggable()).toBe(true);
    expect(existsSync(path.join(copy, 'Default'))).toBe(true);
    expect(existsSync(path.join(copy, 'SingletonLock'))).toBe(false);
    expect(lstatSync(path.join(profile, 'SingletonLock')).isSymbolicLink()).toBe(true);

    const pages: string[] = [];
    fake.setPolicy((req) => {
      const page = pageOf(req);
      if (roleOf(req) === 'verifier')
        return { json: { evidence: 'account page', goal_achieved: true, missing: '' } };
      if (roleOf(req) !== 'actor') return undefined;
      pages.push(page);
      return actorReply([{ type: 'complete', answer: null }]);
    });

    // A run naming no browser works in that Chrome, signed in by the copied cookie.
    const signedIn = await runToEnd({
      engine: 'skyvern-1.0',
      prompt: 'Open my account.',
      url: `${site.url}/account`,
    });
    expect(signedIn['status'], String(signedIn['failure_reason'])).toBe('completed');
    expect(pages[0]).toContain('Welcome back, ada');
    const account = site.requests().find((r) => r.path === '/account');
    expect(account?.headers.cookie).toMatch(new RegExp(`${LOGIN.cookie}=\\w+`));
    expect(account?.headers['via']).toBeUndefined();
    // The Chrome outlives the run.
    expect(await debuggable()).toBe(true);

    // A run that asks for Japan does not silently leave through the user's Chrome: it gets a
    // fresh context routed through the JP pool (and so is not signed in).
    site.clear();
    pages.length = 0;
    const routed = await runToEnd({
      engine: 'skyvern-1.0',
      prompt: 'Open my account.',
      url: `${site.url}/account`,
      proxy_location: 'RESIDENTIAL_JP',
    });
    expect(routed['status'], String(routed['failure_reason'])).toBe('completed');
    expect(pages[0]).toContain('Please sign in');
    expect(jp.passed.map((r) => r.target)).toContain(`${site.url}/account`);
    expect(site.requests().find((r) => r.path === '/account')?.headers['via']).toBe(
      '1.1 test-proxy',
    );

    // Stopping Wren stops the Chrome it started.
    await wren?.close();
    wren = undefined;
    await expect.poll(debuggable, { timeout: 30_000, interval: 100 }).toBe(false);
  });
});
