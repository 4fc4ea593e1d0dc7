/**
 * A server-wide browser for runs that name neither a session nor a browser_address:
 * WREN_BROWSER_ADDRESS (a browser you already run), or WREN_CHROME_PATH (Wren starts your
 * installed Chrome with a copy of your profile). See docs/sessions.md.
 */
import { launchUserChrome } from '../browser/index.js';

export interface ServerBrowser {
  /** CDP address runs connect to, or null when runs get their own context in Wren's Chromium. */
  address: string | null;
  stop(): Promise<void>;
}

export class ServerBrowserConfigError extends Error {
  override readonly name = 'ServerBrowserConfigError';
}

export async function serverBrowserFromEnv(
  env: Record<string, string | undefined>,
): Promise<ServerBrowser> {
  const address = env['WREN_BROWSER_ADDRESS']?.trim();
  const chrome = env['WREN_CHROME_PATH']?.trim();
  if (address && chrome) {
    throw new ServerBrowserConfigError(
      'set WREN_BROWSER_ADDRESS (a browser you run) or WREN_CHROME_PATH (Wren starts your Chrome), not both',
    );
  }
  if (address) {
    if (!/^(https?|wss?):\/\/[^/]+/.test(address)) {
      throw new ServerBrowserConfigError(
        `WREN_BROWSER_ADDRESS must be an http(s):// or ws(s):// CDP address, got "${address}"`,
      );
    }
    return { address, stop: async () => {} };
  }
  if (!chrome) return { address: null, stop: async () => {} };
  const rawPort = env['WREN_CHROME_DEBUG_PORT']?.trim();
  const port = rawPort ? Number(rawPort) : 9222;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ServerBrowserConfigError(
      `WREN_CHROME_DEBUG_PORT must be a port number, got "${rawPort}"`,
    );
  }
  const started = await launchUserChrome({
    executablePath: chrome,
    profileDir: env['WREN_CHROME_PROFILE_DIR']?.trim() || null,
    userDataDir: env['WREN_CHROME_USER_DATA_DIR']?.trim() || undefined,
    port,
    headless: ['1', 'true', 'yes'].includes((env['WREN_CHROME_HEADLESS'] ?? '').toLowerCase()),
  });
  return { address: started.address, stop: started.stop };
}
