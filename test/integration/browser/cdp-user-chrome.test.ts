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
import { connectCdp } from '../../../src/browser/index.js';
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
