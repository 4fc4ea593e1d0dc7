/**
 * WREN_BROWSER_CDP_URL: a worker connects to a Chromium that runs elsewhere (here: a process this
 * test starts with a DevTools port) instead of launching its own, and runs get their own contexts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BrowserManager,
  CHROMIUM_ARGS,
  resolveExecutablePath,
} from '../../../src/browser/index.js';
import { FIXTURES } from '../../support/browser-harness.js';
import { type FixtureServer, startFixtureServer } from '../../support/fixture-server.js';

let chromium: ChildProcess;
let endpoint: string;
let site: FixtureServer;
const dir = mkdtempSync(join(tmpdir(), 'wren-cdp-'));

beforeAll(async () => {
  site = await startFixtureServer();
  chromium = spawn(
    resolveExecutablePath() ?? '/usr/bin/chromium',
    [
      ...CHROMIUM_ARGS,
      '--headless=new',
      '--remote-debugging-port=0',
      `--user-data-dir=${join(dir, 'profile')}`,
      'about:blank',
    ],
    // Its own process group, so the cleanup also ends the helpers (zygote, GPU, renderers).
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  endpoint = await new Promise<string>((resolve, reject) => {
    let err = '';
    chromium.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (match?.[1]) resolve(match[1]);
    });
    chromium.once('exit', (code) => reject(new Error(`chromium exited ${code}: ${err}`)));
  });
});
afterAll(async () => {
  if (chromium && chromium.exitCode === null) {
    const exited = once(chromium, 'exit');
    if (chromium.pid) process.kill(-chromium.pid, 'SIGKILL');
    await exited;
  }
  await site?.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('remote browser over CDP', () => {
  it('opens run contexts in the remote Chromium and leaves it running on close', async () => {
    const manager = new BrowserManager({ cdpUrl: endpoint, ...FIXTURES });
    const run = await manager.openRunBrowser({ runDir: join(dir, 'run1') });
    await run.goto(`${site.url}/help.html`);
    expect(await run.page().title()).not.toBe('');
    expect(run.page().url()).toBe(`${site.url}/help.html`);
    const browser = await manager.browser();
    expect(browser.contexts().length).toBeGreaterThanOrEqual(1);
    await manager.close();
    // Closing Wren's side disconnects; the remote Chromium keeps running for other workers.
    expect(chromium.exitCode).toBeNull();
    const again = new BrowserManager({ cdpUrl: endpoint, ...FIXTURES });
    const second = await again.openRunBrowser({ runDir: join(dir, 'run2') });
    await second.goto(`${site.url}/help.html`);
    expect(second.page().url()).toBe(`${site.url}/help.html`);
    await again.close();
  });
});
