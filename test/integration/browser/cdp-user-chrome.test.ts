import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BrowserError, connectCdp, launchUserChrome } from '../../../src/browser/index.js';
import { ServerBrowserConfigError, serverBrowserFromEnv } from '../../../src/sessions/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'wren-userchrome-'));
afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('the server option that starts your installed Chrome', () => {
  it('copies the profile, opens remote debugging and serves CDP', async () => {
    const profile = path.join(dir, 'profile');
    mkdirSync(path.join(profile, 'Default'), { recursive: true });
    writeFileSync(path.join(profile, 'Default', 'Bookmarks'), '{"marker":"mine"}');
    symlinkSync('host-1234', path.join(profile, 'SingletonLock'));
    // The port file of the Chrome that last ran on the profile is stale for the copy.
    writeFileSync(path.join(profile, 'DevToolsActivePort'), '1\n/devtools/browser/stale');
    const copy = path.join(dir, 'user_data_dir');
    const port = await freePort();
    const browser = await serverBrowserFromEnv({
      WREN_CHROME_PATH: '/usr/bin/chromium',
      WREN_CHROME_PROFILE_DIR: profile,
      WREN_CHROME_USER_DATA_DIR: copy,
      WREN_CHROME_DEBUG_PORT: String(port),
      WREN_CHROME_HEADLESS: 'true',
    });
    try {
      expect(browser.address).toBe(`http://127.0.0.1:${port}`);
      expect(readFileSync(path.join(copy, 'Default', 'Bookmarks'), 'utf8')).toBe(
        '{"marker":"mine"}',
      );
      expect(existsSync(path.join(copy, 'SingletonLock'))).toBe(false);
      // The stale port file was not copied (Chrome may write its own, with the real port).
      const portFile = path.join(copy, 'DevToolsActivePort');
      expect(existsSync(portFile) ? readFileSync(portFile, 'utf8') : '').not.toContain('stale');
      // The first tab is a committed about:blank, not the New Tab page (a CDP client attaching
      // while that WebUI page commits in its own renderer never sees the navigation).
      const targets = (await (await fetch(`${browser.address}/json/list`)).json()) as {
        type: string;
        url: string;
      }[];
      expect(targets.filter((t) => t.type === 'page').map((t) => t.url)).toEqual(['about:blank']);
      const connection = await connectCdp(String(browser.address));
      const page = await connection.context.newPage();
      expect(await page.evaluate(() => 6 * 7)).toBe(42);
      await connection.disconnect();
      // Still up after the client went away.
      expect((await fetch(`${browser.address}/json/version`)).status).toBe(200);
      // A second start reuses the Chrome already listening on the port.
      const again = await serverBrowserFromEnv({
        WREN_CHROME_PATH: '/usr/bin/chromium',
        WREN_CHROME_USER_DATA_DIR: copy,
        WREN_CHROME_DEBUG_PORT: String(port),
      });
      expect(again.address).toBe(browser.address);
    } finally {
      await browser.stop();
    }
    expect(existsSync(path.join(profile, 'Default', 'Bookmarks'))).toBe(true);
  });

  it('reports a Chrome that exits at start with its exit code and the end of its stderr', async () => {
    const fake = path.join(dir, 'fake-chrome.sh');
    writeFileSync(
      fake,
      [
        '#!/bin/sh',
        'echo "[1:1:ERROR:dbus/bus.cc] Failed to connect to the bus" >&2',
        'echo "early line" >&2',
        'echo "[2:2:FATAL:zygote_host_impl_linux.cc] No usable sandbox!" >&2',
        'exit 3',
      ].join('\n'),
      { mode: 0o755 },
    );
    const error = await launchUserChrome({
      executablePath: fake,
      userDataDir: path.join(dir, 'fake-copy'),
      port: await freePort(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrowserError);
    const message = (error as Error).message;
    expect(message).toContain(`Chrome (${fake}) exited (code 3) before opening remote debugging`);
    expect(message).toContain('early line');
    expect(message).toContain('No usable sandbox!');
    // Container D-Bus noise is left out of the tail.
    expect(message).not.toContain('dbus');
  });

  it('reports a Chrome binary that cannot be started', async () => {
    const missing = path.join(dir, 'no-such-chrome');
    await expect(
      launchUserChrome({
        executablePath: missing,
        userDataDir: path.join(dir, 'missing-copy'),
        port: await freePort(),
      }),
    ).rejects.toThrow(new RegExp(`Chrome \\(${missing}\\) could not be started: .*ENOENT`));
  });

  it('rejects contradictory or malformed settings', async () => {
    await expect(
      serverBrowserFromEnv({ WREN_BROWSER_ADDRESS: 'http://x:1', WREN_CHROME_PATH: '/c' }),
    ).rejects.toThrow(ServerBrowserConfigError);
    await expect(serverBrowserFromEnv({ WREN_BROWSER_ADDRESS: 'localhost:9222' })).rejects.toThrow(
      /WREN_BROWSER_ADDRESS must be/,
    );
    expect((await serverBrowserFromEnv({})).address).toBeNull();
  });
});
