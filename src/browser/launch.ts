/**
 * Finds a Chromium and launches it once; every run gets its own isolated BrowserContext from the
 * shared process. Browser death is detected and fanned out to the open runs.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { hostSpellings, metadataHostSpellings } from '../net/index.js';
import { BrowserError, errorMessage } from './errors.js';
import { RunBrowser, type RunBrowserOptions } from './run-browser.js';

export const SYSTEM_CANDIDATES: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/**
 * WREN_BROWSER_PATH, else a system Chromium/Chrome, else undefined (Playwright's own build).
 * Throws when WREN_BROWSER_PATH names a missing file, so a typo is not silently ignored.
 */
export function resolveExecutablePath(
  env: NodeJS.ProcessEnv = process.env,
  candidates: readonly string[] = SYSTEM_CANDIDATES,
): string | undefined {
  const configured = env['WREN_BROWSER_PATH'];
  if (configured) {
    if (!existsSync(configured)) {
      throw new BrowserError(
        'launch_failed',
        `WREN_BROWSER_PATH: ${configured} does not exist; point it at a Chromium or Chrome binary`,
      );
    }
    return configured;
  }
  return candidates.find((p) => existsSync(p));
}

/**
 * A Chromium flag that makes these hosts unresolvable for everything the browser does: agent
 * navigations, but also links, redirects, frames, fetches and workers a page starts by itself.
 * Chromium matches the canonical host (decimal and hex IPv4 are dotted quads by then; IPv6
 * without brackets), so the list carries every spelling (metadataHostSpellings).
 */
export function blockedHostsFlag(hosts: readonly string[]): string {
  return `--host-resolver-rules=${hosts.map((h) => `MAP ${h} ~NOTFOUND`).join(', ')}`;
}

/** Flags that work as root, in containers and without network access. */
export const CHROMIUM_ARGS = [
  // Cloud metadata endpoints hand out credentials: the browser never reaches them.
  blockedHostsFlag(metadataHostSpellings()),
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // No --disable-features here: Chromium reads only the last one, and it would switch back on
  // what Playwright's own list turns off (PaintHolding, HttpsUpgrades, storage partitioning…).
  '--metrics-recording-only',
  '--mute-audio',
];

export interface BrowserManagerOptions {
  executablePath?: string;
  /** Extra Chromium flags appended to CHROMIUM_ARGS. */
  args?: string[];
  /** Hosts the browser must never reach besides the cloud metadata ones (same rule, every spelling). */
  blockedHosts?: string[];
  /** Launch timeout in ms. */
  timeoutMs?: number;
  /** Connect to a running Chromium over CDP (WREN_BROWSER_CDP_URL) instead of launching one. */
  cdpUrl?: string;
}

export class BrowserManager {
  private readonly browsers = new Map<'headless' | 'headful', Promise<Browser>>();
  private readonly runs = new Set<RunBrowser>();
  private closed = false;

  constructor(private readonly options: BrowserManagerOptions = {}) {}

  private launchArgs(): string[] {
    const extra = this.options.blockedHosts ?? [];
    const args = extra.length
      ? CHROMIUM_ARGS.map((a) =>
          a.startsWith('--host-resolver-rules=')
            ? blockedHostsFlag([...metadataHostSpellings(), ...hostSpellings(extra)])
            : a,
        )
      : CHROMIUM_ARGS;
    return [...args, ...(this.options.args ?? [])];
  }

  private launch(headless: boolean): Promise<Browser> {
    const key = headless ? 'headless' : 'headful';
    let p = this.browsers.get(key);
    if (!p) {
      const { cdpUrl } = this.options;
      const executablePath = cdpUrl
        ? `remote ${cdpUrl.replace(/\/\/[^@/]*@/, '//')}`
        : (this.options.executablePath ?? resolveExecutablePath());
      p = (
        cdpUrl
          ? chromium.connectOverCDP(cdpUrl, { timeout: this.options.timeoutMs ?? 30_000 })
          : chromium.launch({
              executablePath,
              headless,
              args: this.launchArgs(),
              timeout: this.options.timeoutMs ?? 30_000,
            })
      )
        .then((browser) => {
          browser.on('disconnected', () => {
            this.browsers.delete(key);
            for (const run of this.runs) {
              if (run.usesBrowser(browser)) run.markBrowserDisconnected();
            }
          });
          return browser;
        })
        .catch((e: unknown) => {
          this.browsers.delete(key);
          throw new BrowserError(
            'launch_failed',
            `could not launch Chromium (${executablePath ?? 'Playwright default'}): ${errorMessage(e)}`,
            { cause: e },
          );
        });
      this.browsers.set(key, p);
    }
    return p;
  }

  /** The shared browser process (launched on first use). */
  async browser(headless = true): Promise<Browser> {
    if (this.closed) throw new BrowserError('closed', 'the browser manager is closed');
    return this.launch(headless);
  }

  /** A fresh isolated context (cookies, storage, downloads) for one run. */
  async openRunBrowser(options: RunBrowserOptions): Promise<RunBrowser> {
    const browser = await this.browser(options.headless ?? true);
    const run = await RunBrowser.open(browser, options);
    this.runs.add(run);
    run.onClose(() => this.runs.delete(run));
    return run;
  }

  get openRuns(): number {
    return this.runs.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.runs].map((r) => r.close().catch(() => {})));
    const all = [...this.browsers.values()];
    this.browsers.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.close()));
  }
}
