/**
 * Finds a Chromium and launches it once; every run gets its own isolated BrowserContext from the
 * shared process. Browser death is detected and fanned out to the open runs.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import {
  type EgressPolicy,
  type EgressProxy,
  hostSpellings,
  metadataHostSpellings,
  startEgressProxy,
} from '../net/index.js';
import { BrowserError, errorMessage } from './errors.js';
import { type PreparedContext, RunBrowser, type RunBrowserOptions } from './run-browser.js';

/** A proxy as Playwright takes it (Wren's `trusted` mark removed). */
export function withoutTrust<T extends { trusted?: boolean }>(proxy: T): Omit<T, 'trusted'> {
  const { trusted: _trusted, ...rest } = proxy;
  return rest;
}

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
 * The configured binary (WREN_BROWSER_PATH, config.browser.executablePath), else a system
 * Chromium/Chrome, else undefined (Playwright's own build). Throws when the configured path names
 * a missing file, so a typo is not silently ignored.
 */
export function resolveExecutablePath(
  configured: string | null = null,
  candidates: readonly string[] = SYSTEM_CANDIDATES,
): string | undefined {
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
  // Every connection goes through the egress proxy (--proxy-server, set at launch and per
  // context): no UDP around it for WebRTC, no DNS lookups of the browser's own.
  '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
  '--dns-prefetch-disable',
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
  /**
   * The egress policy the proxy in front of the browser enforces (src/net/egress-proxy.ts).
   * Default: the safe policy (private, loopback and metadata addresses refused); createWren passes
   * the configured one (config.egress). A run's allowPrivateNetworks/resolveHost override
   * those fields for its context.
   */
  egress?: EgressPolicy;
  /**
   * Keep one context ready for the next run (default on): a new context's first page costs a
   * renderer process, 150-600 ms, which a run then does not wait for. Only runs with the plain
   * options (no proxy, user agent, locale, headers, stored state…) take it. It is made once
   * every run has been idle for `idleMs` (waiting for a model, or closed), or after `maxWaitMs`
   * of runs that never pause (defaults 50 and 0: at once, as before, until the lost action
   * screenshot seen with idle-time spares is understood; docs/decisions.md).
   */
  warmContext?: boolean;
  spareTiming?: { idleMs?: number; maxWaitMs?: number };
}

/** A context made ahead for the next run with the same key, behind its own egress proxy. */
interface Spare {
  key: string;
  ready: Promise<(PreparedContext & { egress: EgressProxy; browser: Browser }) | null>;
}

/**
 * The options a warm context was made with, as a key; null for runs whose context depends on
 * more (a proxy, headers, stored state, identity settings, a resolver of their own).
 */
function spareKey(o: RunBrowserOptions): string | null {
  if (
    o.proxy ||
    o.userAgent ||
    o.locale ||
    o.timezoneId ||
    o.extraHttpHeaders ||
    o.storageState ||
    o.geolocation ||
    o.resolveHost
  )
    return null;
  return JSON.stringify([
    o.headless ?? true,
    o.viewport ?? null,
    o.allowPrivateNetworks ?? null,
    o.navigationTimeoutMs ?? null,
  ]);
}

export class BrowserManager {
  private readonly browsers = new Map<'headless' | 'headful', Promise<Browser>>();
  private readonly runs = new Set<RunBrowser>();
  private closed = false;
  /** The launch-level proxy: catches anything not made in a run's context. */
  private catchAll: Promise<EgressProxy> | null = null;
  private spare: Spare | null = null;
  /** The options the next warm context is made with (those of the last run that took one). */
  private refill: { key: string; options: RunBrowserOptions; since: number } | null = null;
  private refillTimer: NodeJS.Timeout | null = null;
  /** Runs between openRunBrowser's start and their registration in `runs`. */
  private opening = 0;

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
          : this.egressProxy().then((egress) =>
              chromium.launch({
                executablePath,
                headless,
                args: this.launchArgs(),
                // Playwright adds --proxy-bypass-list=<-loopback>: loopback goes through it too.
                proxy: { server: egress.url },
                timeout: this.options.timeoutMs ?? 30_000,
              }),
            )
      )
        .then((browser) => {
          browser.on('disconnected', () => {
            this.browsers.delete(key);
            for (const run of this.runs) run.browserDied(browser);
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

  /** The policy of the manager, with a run's own switches applied. */
  policyFor(
    run: Pick<RunBrowserOptions, 'allowPrivateNetworks' | 'resolveHost'> = {},
  ): EgressPolicy {
    const base = this.options.egress ?? { allowPrivateNetworks: false };
    return {
      ...base,
      allowPrivateNetworks: run.allowPrivateNetworks ?? base.allowPrivateNetworks,
      deny: [...(base.deny ?? []), ...(this.options.blockedHosts ?? [])],
      ...(run.resolveHost ? { resolve: run.resolveHost } : {}),
    };
  }

  private egressProxy(): Promise<EgressProxy> {
    this.catchAll ??= startEgressProxy({ policy: this.policyFor() });
    return this.catchAll;
  }

  /**
   * A fresh isolated context (cookies, storage, downloads) for one run, behind an egress proxy
   * of its own: refusals are recorded in the run, and the run's proxy_location proxy is chained
   * behind it. (A remote browser, WREN_BROWSER_CDP_URL, cannot reach this process's loopback:
   * it gets the run's proxy directly and the agent-level checks only.)
   */
  async openRunBrowser(options: RunBrowserOptions): Promise<RunBrowser> {
    const browser = await this.browser(options.headless ?? true);
    if (this.options.cdpUrl) {
      const proxy = options.proxy ? withoutTrust(options.proxy) : undefined;
      const run = await RunBrowser.open(browser, {
        ...options,
        proxy,
        egress: this.policyFor(options),
        // Fetches by URL come from this process: pinned, unless they go out through the run's proxy.
        pinFetches: !proxy,
      });
      this.track(run);
      return run;
    }
    const key = this.options.warmContext === false ? null : spareKey(options);
    // A run being opened counts as busy: no spare is started beside it.
    this.opening++;
    let run: RunBrowser;
    try {
      const warm = key ? await this.takeSpare(key) : null;
      // The next run with these options finds its context ready: made once the browser is idle.
      if (key) this.refill = { key, options, since: Date.now() };
      const policy = this.policyFor(options);
      const egress =
        warm?.egress ?? (await startEgressProxy({ policy, upstream: options.proxy ?? null }));
      try {
        run = await RunBrowser.open(
          browser,
          { ...options, egress: policy, proxy: { server: egress.url } },
          warm ?? undefined,
        );
      } catch (e) {
        await warm?.context.close().catch(() => {});
        await egress.close();
        throw e;
      }
      egress.setListener((blocked) => run.noteBlocked(blocked));
      run.onClose(() => void egress.close());
      this.track(run);
      const stopWatching = run.activity.onIdle(() => this.refillWhenIdle());
      run.onClose(() => {
        stopWatching();
        this.refillWhenIdle();
      });
    } finally {
      this.opening--;
      this.refillWhenIdle();
    }
    return run;
  }

  /**
   * Makes the warm context once every open run has been idle for a moment: its renderer process
   * then does not compete with a run's page loads and input (docs/decisions.md, "Warm contexts
   * are made while the browser is idle"). Runs that never pause get it after `maxWaitMs`, as
   * before. A run whose call ended, or that closed, asks again.
   */
  private refillWhenIdle(): void {
    if (this.refillTimer) clearTimeout(this.refillTimer);
    this.refillTimer = null;
    const refill = this.refill;
    if (this.closed || this.spare || !refill || this.opening > 0) return;
    // Not the reason to start a browser: after a crash the next run launches one.
    if (!this.browsers.has(refill.options.headless === false ? 'headful' : 'headless')) return;
    const idleMs = this.options.spareTiming?.idleMs ?? 50;
    const maxWaitMs = this.options.spareTiming?.maxWaitMs ?? 0;
    const now = Date.now();
    let idle = Number.POSITIVE_INFINITY;
    for (const run of this.runs) idle = Math.min(idle, run.activity.idleFor(now));
    const waited = now - refill.since;
    if (idle >= idleMs || waited >= maxWaitMs) {
      this.makeSpare(refill.key, refill.options);
      return;
    }
    // A busy run (idle 0) also asks again when its call ends (onIdle).
    const busy = [...this.runs].some((run) => run.activity.busy);
    const next = Math.min(maxWaitMs - waited, busy ? Number.POSITIVE_INFINITY : idleMs - idle);
    this.refillTimer = setTimeout(() => this.refillWhenIdle(), next);
    this.refillTimer.unref();
  }

  /** The warm context for `key`, if one is ready (or being made) and still usable. */
  private async takeSpare(key: string) {
    const spare = this.spare;
    if (!spare) return null;
    this.spare = null;
    if (spare.key !== key) {
      // Made for other options: closed in the background, not waited for.
      void spare.ready.then((warm) => warm && this.discard(warm));
      return null;
    }
    const warm = await spare.ready;
    if (!warm) return null;
    if (warm.browser.isConnected() && !warm.page.isClosed() && !this.closed) return warm;
    await this.discard(warm);
    return null;
  }

  private async discard(warm: PreparedContext & { egress: EgressProxy }): Promise<void> {
    await warm.context.close().catch(() => {});
    await warm.egress.close().catch(() => {});
  }

  private makeSpare(key: string, options: RunBrowserOptions): void {
    const ready = (async () => {
      const browser = await this.browser(options.headless ?? true);
      const egress = await startEgressProxy({ policy: this.policyFor(options), upstream: null });
      try {
        const prepared = await RunBrowser.prepare(browser, {
          ...options,
          proxy: { server: egress.url },
        });
        return { ...prepared, egress, browser };
      } catch {
        await egress.close();
        return null;
      }
    })().catch(() => null);
    this.spare = { key, ready };
  }

  private track(run: RunBrowser): void {
    this.runs.add(run);
    run.onClose(() => this.runs.delete(run));
  }

  get openRuns(): number {
    return this.runs.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.refillTimer) clearTimeout(this.refillTimer);
    const spare = this.spare;
    this.spare = null;
    const warm = await spare?.ready;
    if (warm) await this.discard(warm);
    await Promise.all([...this.runs].map((r) => r.close().catch(() => {})));
    const all = [...this.browsers.values()];
    this.browsers.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.close()));
    const catchAll = this.catchAll;
    this.catchAll = null;
    await (await catchAll?.catch(() => null))?.close();
  }
}
