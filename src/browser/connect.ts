/**
 * Browsers that outlive a run: a session's dedicated Chromium (one persistent context, reachable
 * over CDP on loopback) and a browser someone else runs, reached with connectOverCDP.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import {
  anyOwnEndpoint,
  checkUrl,
  type EgressPolicy,
  type EgressProxy,
  pinnedRequest,
  publishOwnPort,
  reserveOwnPort,
  resolveTarget,
  startEgressProxy,
} from '../net/index.js';
import { type CdpRelay, openCdpRelay } from './cdp-relay.js';
import { BrowserError, errorMessage } from './errors.js';
import { CHROMIUM_ARGS, resolveExecutablePath } from './launch.js';
import { type BrowserProxy, installPageShims } from './run/context.js';
import { applyBrowserState, type StoredBrowserState } from './storage-state.js';
import { checkNavigationTarget } from './url-guard.js';

export interface BrowserProfile {
  proxy?: BrowserProxy;
  timezoneId?: string;
  locale?: string;
  geolocation?: { latitude: number; longitude: number; accuracy?: number };
  viewport?: { width: number; height: number };
  extraHttpHeaders?: Record<string, string>;
}

export interface SessionBrowserOptions extends BrowserProfile {
  /** Profile folder of the session; removed on close. */
  userDataDir: string;
  headless?: boolean;
  executablePath?: string;
  /** Page to open first (checked against the network policy). */
  url?: string | null;
  allowPrivateNetworks: boolean;
  timeoutMs?: number;
  /** Cookies and storage to start from (a browser profile). */
  storageState?: StoredBrowserState | null;
  /**
   * The egress policy of the proxy in front of this browser (src/net/egress-proxy.ts); the
   * session's proxy is chained behind it. Default: allowPrivateNetworks only.
   */
  egress?: EgressPolicy;
}

/** A live Chromium owned by a browser session. */
export interface SessionBrowser {
  readonly context: BrowserContext;
  /** ws://127.0.0.1:<port>/devtools/browser/<id>: Playwright/Puppeteer connect here. */
  readonly cdpUrl: string;
  /** Resolves when the browser went away (closed or crashed). */
  readonly closed: Promise<void>;
  /** The egress proxy in front of it: whoever drives the session listens for refusals. */
  readonly egress: EgressProxy;
  close(): Promise<void>;
}

async function readDevToolsPort(userDataDir: string, timeoutMs: number): Promise<string> {
  const file = path.join(userDataDir, 'DevToolsActivePort');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const [port, wsPath] = text.trim().split('\n');
    if (port && wsPath) return `ws://127.0.0.1:${port}${wsPath}`;
    if (Date.now() > deadline) {
      throw new BrowserError('launch_failed', 'Chromium did not report its DevTools port');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function contextOptions(o: BrowserProfile, proxyServer: string) {
  return {
    viewport: o.viewport ?? { width: 1280, height: 720 },
    acceptDownloads: true,
    // Playwright adds --proxy-bypass-list=<-loopback>: loopback goes through the proxy too.
    proxy: { server: proxyServer },
    ...(o.timezoneId ? { timezoneId: o.timezoneId } : {}),
    ...(o.locale ? { locale: o.locale } : {}),
    ...(o.geolocation ? { geolocation: o.geolocation, permissions: ['geolocation'] } : {}),
    ...(o.extraHttpHeaders ? { extraHTTPHeaders: o.extraHttpHeaders } : {}),
  };
}

/**
 * Launches a dedicated Chromium with one persistent context and a DevTools endpoint on
 * 127.0.0.1 (a free port picked by Chromium), so runs and outside CDP clients share its state.
 */
export async function launchSessionBrowser(
  options: SessionBrowserOptions,
): Promise<SessionBrowser> {
  await mkdir(options.userDataDir, { recursive: true });
  const executablePath = options.executablePath ?? resolveExecutablePath();
  const policy = options.egress ?? { allowPrivateNetworks: options.allowPrivateNetworks };
  const egress = await startEgressProxy({ policy, upstream: options.proxy ?? null });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(options.userDataDir, {
      executablePath,
      headless: options.headless ?? true,
      args: [...CHROMIUM_ARGS, '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0'],
      timeout: options.timeoutMs ?? 30_000,
      ...contextOptions(options, egress.url),
    });
  } catch (e) {
    await egress.close();
    throw new BrowserError(
      'launch_failed',
      `could not launch the session browser: ${errorMessage(e)}`,
      {
        cause: e,
      },
    );
  }
  const closed = new Promise<void>((resolve) => context.once('close', () => resolve()));
  let unreserve: () => Promise<void> = async () => {};
  void closed.then(() => unreserve());
  const close = async () => {
    await context.close().catch(() => {});
    await unreserve();
    await egress.close();
    await rm(options.userDataDir, { recursive: true, force: true }).catch(() => {});
  };
  try {
    const cdpUrl = await readDevToolsPort(options.userDataDir, options.timeoutMs ?? 30_000);
    // The raw DevTools port is never handed out and no page or run may connect to it, in this
    // process or any other sharing the registries (the database): published before the browser
    // holds anything (state, pages) and before its session is handed out.
    unreserve = await publishOwnPort(Number(new URL(cdpUrl).port));
    await installPageShims(context);
    // A browser profile's cookies and storage, in place before the first page loads.
    if (options.storageState) await applyBrowserState(context, options.storageState);
    const page = context.pages()[0] ?? (await context.newPage());
    if (options.url) {
      const target = (await checkNavigationTarget(options.url, policy)).href;
      await page.goto(target, { waitUntil: 'domcontentloaded' }).catch(() => {
        // An unreachable start page leaves the session usable; the next run navigates.
      });
    }
    return { context, cdpUrl, closed, egress, close };
  } catch (e) {
    await close();
    throw e;
  }
}

export interface CdpConnection {
  browser: Browser;
  /** The browser's first (default) context, where the user's tabs and cookies live. */
  context: BrowserContext;
  /** Drops the connection; the browser keeps running. */
  disconnect(): Promise<void>;
}

/** Connects to a browser someone else runs (http://host:9222 or ws://…/devtools/browser/…). */
export async function connectCdp(
  address: string,
  options: { headers?: Record<string, string> | null; timeoutMs?: number } = {},
): Promise<CdpConnection> {
  let browser: Browser;
  try {
    browser = await chromium.connectOverCDP(address, {
      timeout: options.timeoutMs ?? 120_000,
      ...(options.headers ? { headers: options.headers } : {}),
    });
  } catch (e) {
    // Playwright's message can echo the headers; keep only the first line.
    const reason = errorMessage(e).split('\n')[0] ?? 'unknown error';
    throw new BrowserError(
      'launch_failed',
      `browser_address: could not connect over CDP: ${reason}`,
      {
        cause: e,
      },
    );
  }
  const context = browser.contexts()[0] ?? (await browser.newContext());
  await installPageShims(context);
  // For a connectOverCDP browser, close() only disconnects: the user's browser stays up.
  return { browser, context, disconnect: () => browser.close().catch(() => {}) };
}

/**
 * The one failure a run's browser_address gets, whatever went wrong (nothing listening, refused,
 * reset, not a CDP endpoint, one of Wren's own browsers, or the network policy): distinct errors
 * would let a caller map which ports are open (issue 17).
 */
export function cdpUnreachable(address: string): string {
  return `browser_address: could not connect over CDP to ${redactAddress(address)}: no browser answered there (check that it is running with remote debugging, reachable from the Wren server, and that cdp_connect_headers are right)`;
}

function redactAddress(address: string): string {
  try {
    const url = new URL(address);
    if (url.username || url.password) {
      url.username = '';
      url.password = '';
    }
    url.search = '';
    return url.href;
  } catch {
    return '(invalid address)';
  }
}

/**
 * The ws:// endpoint behind a caller's browser_address, checked and pinned: every address the
 * host resolves to passes the egress policy and is none of Wren's own browser endpoints, and a
 * plain ws:// URL names the checked IP (no second lookup). An http(s):// address is asked for
 * `/json/version` over a pinned connection, and the webSocketDebuggerUrl it names is checked in
 * turn, so a server cannot point Wren's CDP client at a loopback browser.
 */
export async function resolveCdpEndpoint(
  address: string,
  policy: EgressPolicy,
  headers?: Record<string, string> | null,
): Promise<string> {
  return (await resolveCdpTarget(address, policy, headers)).url;
}

/** resolveCdpEndpoint, with the checked addresses the ws(s):// host is to be reached at. */
async function resolveCdpTarget(
  address: string,
  policy: EgressPolicy,
  headers?: Record<string, string> | null,
  hops = 0,
): Promise<{ url: string; addresses: string[] }> {
  const url = new URL(address);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const port = Number(url.port) || (secure ? 443 : 80);
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    if (hops > 0) throw new Error('a CDP endpoint named another http endpoint');
    const { addresses } = await checkUrl(url.href, policy);
    if (await anyOwnEndpoint(addresses, port)) throw new Error('own endpoint');
    const base = url.href.endsWith('/') ? url.href : `${url.href}/`;
    const reply = await pinnedRequest(policy, `${base}json/version/`, {
      method: 'GET',
      headers: { ...(headers ?? {}) },
      signal: AbortSignal.timeout(30_000),
      maxBytes: 65_536,
    });
    if (reply.status !== 200) throw new Error(`json/version answered ${reply.status}`);
    const ws = (JSON.parse(reply.body.toString('utf8')) as { webSocketDebuggerUrl?: unknown })
      .webSocketDebuggerUrl;
    if (typeof ws !== 'string') throw new Error('json/version names no webSocketDebuggerUrl');
    return resolveCdpTarget(ws, policy, headers, hops + 1);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error('not a CDP URL');
  const target = await resolveTarget(policy, url.hostname);
  if (await anyOwnEndpoint(target.addresses, port)) throw new Error('own endpoint');
  if (!secure) {
    const pinned = target.addresses[0] as string;
    url.hostname = pinned.includes(':') ? `[${pinned}]` : pinned;
  }
  return { url: url.href, addresses: target.addresses };
}

/**
 * Connects a run to the caller's browser at browser_address under the egress policy
 * (resolveCdpEndpoint). Wren opens the WebSocket itself, to the checked addresses and without
 * following redirects, and Playwright attaches through a one-use loopback relay (cdp-relay.ts).
 * Every failure is the same cdpUnreachable message; the real cause is kept as the error's cause
 * for the server log.
 */
export async function connectCallerCdp(
  address: string,
  options: { policy: EgressPolicy; headers?: Record<string, string> | null; timeoutMs?: number },
): Promise<CdpConnection> {
  let relay: CdpRelay | null = null;
  try {
    const target = await resolveCdpTarget(address, options.policy, options.headers);
    relay = await openCdpRelay(target.url, target.addresses, options);
    const connection = await connectCdp(relay.url, {
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    const opened = relay;
    return {
      ...connection,
      disconnect: async () => {
        await connection.disconnect();
        opened.close();
      },
    };
  } catch (e) {
    relay?.close();
    throw new BrowserError('launch_failed', cdpUnreachable(address), { cause: e });
  }
}

export interface UserChromeOptions {
  /** The installed Chrome binary. */
  executablePath: string;
  /** The user's Chrome profile folder to copy (e.g. ~/.config/google-chrome). */
  profileDir?: string | null;
  /** Where the copy lives; default ./tmp/user_data_dir. */
  userDataDir?: string;
  port?: number;
  headless?: boolean;
  /** More Chrome flags. */
  args?: string[];
  /** How long Chrome gets to open remote debugging (default 30 s). */
  timeoutMs?: number;
}

/**
 * Files of the source profile that belong to the Chrome that ran on it, not to the profile: its
 * process lock and socket (a copy holding them refuses to start, or hands over to that Chrome) and
 * the DevTools port file it wrote (stale for the copy).
 */
const RUNTIME_FILES = /(^|[\\/])(Singleton(Lock|Socket|Cookie)|DevToolsActivePort)$/;

/** Keeps the last lines Chrome wrote to stderr (read all along, so the pipe never fills up). */
function stderrTail(stream: NodeJS.ReadableStream | null, maxLines = 15): () => string {
  const lines: string[] = [];
  let partial = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      // D-Bus complaints fill Chrome's stderr in containers and say nothing about the failure.
      if (!line.trim() || line.includes('dbus/')) continue;
      lines.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
      if (lines.length > maxLines) lines.shift();
    }
  });
  return () => [...lines, ...(partial.trim() ? [partial] : [])].slice(-maxLines).join('\n');
}

/**
 * Starts the user's installed Chrome with a copy of their profile and remote debugging on
 * 127.0.0.1 (Chrome 136+ refuses remote debugging on its default profile folder). Returns the
 * http address to pass as browser_address. Reuses a Chrome already listening on the port.
 *
 * Chrome starts on about:blank, not its New Tab page: the New Tab page is a WebUI page that
 * commits in a renderer of its own, and a CDP client attaching during that commit sees the tab
 * on its initial empty document and never gets the navigation event, so Playwright's
 * connectOverCDP waited for it until its timeout (docs/decisions.md).
 */
export async function launchUserChrome(
  options: UserChromeOptions,
): Promise<{ address: string; reused: boolean; stop: () => Promise<void> }> {
  const port = options.port ?? 9222;
  const address = `http://127.0.0.1:${port}`;
  const alive = async () =>
    fetch(`${address}/json/version`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.ok)
      .catch(() => false);
  if (await alive()) {
    const unreserve = reserveOwnPort(port);
    return { address, reused: true, stop: async () => unreserve() };
  }
  const userDataDir = path.resolve(options.userDataDir ?? path.join('tmp', 'user_data_dir'));
  await mkdir(userDataDir, { recursive: true });
  if (options.profileDir) {
    await cp(options.profileDir, userDataDir, {
      recursive: true,
      force: false,
      errorOnExist: false,
      filter: (src) => !RUNTIME_FILES.test(src),
    });
  }
  const args = [
    `--remote-debugging-port=${port}`,
    '--remote-debugging-address=127.0.0.1',
    `--user-data-dir=${userDataDir}`,
    '--no-first-run',
    '--no-default-browser-check',
    ...(options.headless ? ['--headless=new'] : []),
    // Chrome refuses to start as root without this (containers).
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ...(options.args ?? []),
    // The first tab: a document that is committed before anyone attaches (see above).
    'about:blank',
  ];
  const child = spawn(options.executablePath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: false,
  });
  const tail = stderrTail(child.stderr);
  let spawnError: Error | null = null;
  child.once('error', (e) => {
    spawnError = e;
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  while (!(await alive())) {
    const exited = child.exitCode !== null || child.signalCode !== null;
    if (spawnError || exited || Date.now() > deadline) {
      child.kill();
      const why = spawnError
        ? `could not be started: ${errorMessage(spawnError)}`
        : exited
          ? `exited (${child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode}) before opening remote debugging on ${address}`
          : `did not open remote debugging on ${address} within ${Math.round(timeoutMs / 1000)} s`;
      const output = tail();
      throw new BrowserError(
        'launch_failed',
        `Chrome (${options.executablePath}) ${why}; close every Chrome window using ${userDataDir} and check that port ${port} is free. ${
          output ? `Chrome's last output:\n${output}` : 'Chrome wrote nothing to stderr.'
        }`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const unreserve = reserveOwnPort(port);
  const stop = () =>
    new Promise<void>((resolve) => {
      unreserve();
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill();
    });
  return { address, reused: false, stop };
}
