/**
 * Persistent browser sessions: each holds one dedicated Chromium (a persistent context reachable
 * over CDP) whose tabs, cookies and storage carry over between the runs that pass its id. One run
 * at a time: later runs queue behind the current one (FIFO). A timer per session (plus a sweep)
 * ends sessions at their timeout.
 *
 * On a database shared by several processes (PostgreSQL) the session row is the truth: it names
 * the owning process, which refreshes a heartbeat; the holder and the queue are rows too, so a
 * worker in another process takes its turn through the database and drives the browser over CDP
 * at the address the owner advertises. Nodes fail only sessions whose owner went quiet.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { BrowserContext } from 'playwright-core';
import {
  BrowserError,
  captureBrowserState,
  checkNavigationUrl,
  connectCdp,
  type LiveBrowsers,
  launchSessionBrowser,
  newestPage,
  type SessionBrowser,
  type StoredBrowserState,
} from '../browser/index.js';
import { normalizeHttpUrl } from '../contract/index.js';
import { maskProxyLocation, newId, ServiceError } from '../core/index.js';
import {
  type BlockedRequest,
  checkUrl,
  type EgressPolicy,
  NetworkPolicyError,
  reserveOwnPort,
} from '../net/index.js';
import type { BrowserSessionRecord, Store } from '../store/index.js';
import {
  type CdpGateway,
  GATEWAY_PREFIX,
  parseGatewayPath,
  startCdpGateway,
} from './cdp-gateway.js';
import { browserOptionsFor, type ProxyRouter } from './proxy.js';

export const SESSION_TIMEOUT_DEFAULT = 60;
export const SESSION_TIMEOUT_MIN = 5;
/** Default server maximum (WREN_SESSION_MAX_TIMEOUT_MINUTES); Skyvern accepts up to 1440. */
export const SESSION_TIMEOUT_MAX = 1440;
/** GET list shows sessions created within this window (as Skyvern does). */
const LIST_WINDOW_MS = 24 * 3600 * 1000;

export interface SessionManagerOptions {
  store: Store;
  logger: Logger;
  proxies: ProxyRouter;
  dataDir: string;
  allowPrivateNetworks: boolean;
  /** The server's egress policy (allow-list included); else allowPrivateNetworks only. */
  egress?: EgressPolicy;
  headless?: boolean;
  /** Length of one timeout "minute" in ms (tests shorten it). Default 60000. */
  minuteMs?: number;
  /** How often the sweep looks for expired sessions, ms. Default min(minuteMs, 30000). */
  sweepIntervalMs?: number;
  /** Where live sessions are made watchable (the API's live view). */
  liveView?: LiveBrowsers;
  /** Several processes share the database (PostgreSQL): ownership, heartbeat, queue in rows. */
  shared?: boolean;
  /** A session whose owner's heartbeat is older than this is failed by any node. Default 120000. */
  staleMs?: number;
  /**
   * Interface of the gateway (cdp-gateway.ts) that serves session browsers to CDP clients with
   * the session's token, on `gatewayPort` (default 0, a free port). Default 127.0.0.1; a private
   * interface lets other nodes reach it.
   */
  debugHost?: string;
  gatewayPort?: number;
  /** False in a process that never creates sessions (a worker): no gateway. Default true. */
  serveGateway?: boolean;
  /** Host in browser_address, how other nodes reach it. Default debugHost. */
  advertiseHost?: string;
  /** How often a run waiting for a session in the shared queue tries again, ms. Default 250. */
  leasePollMs?: number;
  /** Longest timeout, minutes (WREN_SESSION_MAX_TIMEOUT_MINUTES); above it capped. Default 1440. */
  maxTimeoutMinutes?: number;
  /**
   * Active sessions (created or running) an organization may have at once, unless it has its own
   * override (WREN_ORG_MAX_BROWSER_SESSIONS; docs/security.md, "Quotas"). Default 8.
   */
  maxSessionsPerOrg?: number;
  /**
   * Called when a local session ends, while its browser is still open (browser profiles keep
   * its state). `capture` reads the cookies and storage; errors are logged, never thrown.
   */
  onEnding?: (
    record: BrowserSessionRecord,
    capture: () => Promise<StoredBrowserState>,
  ) => Promise<void>;
}

export interface CreateSessionInput {
  timeout?: number | null;
  url?: string | null;
  proxy_location?: unknown;
  /** Cookies and storage to start from (a browser profile's). */
  storageState?: StoredBrowserState | null;
}

/** A run's hold on a session's browser; release() lets the next queued run in. */
export interface SessionLease {
  context: BrowserContext;
  release(): Promise<void>;
  /**
   * Connections the session's egress proxy refuses while the run holds the browser (only when
   * the browser lives in this process). Returns a function that stops listening.
   */
  watchBlocked?(listener: (blocked: BlockedRequest) => void): () => void;
}

interface Waiter {
  runId: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Live {
  record: BrowserSessionRecord;
  browser: SessionBrowser;
  holder: string | null;
  waiters: Waiter[];
  timer: NodeJS.Timeout;
  ending: boolean;
  endLiveView: () => void;
  /** The capability in browser_address: only with it does the gateway relay to this browser. */
  token: string;
}

/** Sessions a run cannot use: it fails with this reason. */
export class SessionUnavailableError extends Error {
  override readonly name = 'SessionUnavailableError';
}

const ENDED = new Set(['completed', 'failed', 'timeout']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SessionManager {
  /** Names this process in owner_id (host and pid, plus a random part: pids repeat). */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly live = new Map<string, Live>();
  private readonly minuteMs: number;
  private readonly staleMs: number;
  private sweep: NodeJS.Timeout | null = null;
  private watch: NodeJS.Timeout | null = null;
  private lastBeat = 0;
  private stopped = false;
  private gateway: CdpGateway | null = null;
  private unreserveGateway: () => void = () => {};

  constructor(private readonly options: SessionManagerOptions) {
    this.minuteMs = options.minuteMs ?? 60_000;
    this.staleMs = options.staleMs ?? 120_000;
  }

  private get shared(): boolean {
    return this.options.shared === true;
  }

  /** The egress policy of session browsers. */
  get policy(): EgressPolicy {
    return {
      ...(this.options.egress ?? {}),
      allowPrivateNetworks: this.options.allowPrivateNetworks,
    };
  }

  /** The server's proxy routing (sessions and runs share its rotation). */
  get proxies(): ProxyRouter {
    return this.options.proxies;
  }

  /**
   * Ends sessions whose browsers are gone and starts the sweep. Alone on its database (SQLite)
   * that is every session still marked active; shared, only those whose owner went quiet or was
   * an earlier process of this host and pid. Shared, it also starts the heartbeat.
   */
  async start(): Promise<void> {
    // Session browsers are reached only through the gateway, with the session's token; their
    // raw DevTools ports stay on loopback and are never handed out (issue 17).
    const host = this.options.debugHost ?? '127.0.0.1';
    const port = this.options.gatewayPort ?? 0;
    if (this.options.serveGateway !== false) await this.startGateway(host, port);
    if (this.shared) {
      await this.failOrphaned({ earlierSelf: true });
      const beatMs = Math.min(30_000, Math.max(50, Math.floor(this.staleMs / 4)));
      // Frequent cheap checks notice a close issued on another node; the heartbeat is rarer.
      this.watch = setInterval(() => void this.tick(beatMs), Math.min(2000, beatMs));
      this.watch.unref();
    } else {
      const n = await this.options.store.sessions.failOrphans(new Date().toISOString());
      if (n > 0)
        this.options.logger.warn({ count: n }, 'ended browser sessions of a previous process');
    }
    const every = this.options.sweepIntervalMs ?? Math.min(this.minuteMs, 30_000);
    this.sweep = setInterval(() => void this.reap(), every);
    this.sweep.unref();
  }

  private async startGateway(host: string, port: number): Promise<void> {
    try {
      this.gateway = await startCdpGateway({
        host,
        port,
        resolve: (id, token) => this.localDevtools(id, token),
        logger: this.options.logger,
      });
    } catch (e) {
      throw new Error(
        `session browser gateway could not listen on ${host}:${port} (WREN_SESSION_HOST/WREN_SESSION_PORT): ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    // No page and no run's browser_address may connect to it (only outside CDP clients).
    this.unreserveGateway = reserveOwnPort(this.gateway.port);
    this.options.logger.info(
      { host, port: this.gateway.port },
      'session browsers reachable through the gateway',
    );
  }

  /** Closes every live session (server shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweep) clearInterval(this.sweep);
    if (this.watch) clearInterval(this.watch);
    await Promise.all([...this.live.keys()].map((id) => this.end(id, 'completed')));
    await this.gateway?.close();
    this.unreserveGateway();
  }

  /** The loopback DevTools URL of local session `id` when `token` is its token, for the gateway. */
  private localDevtools(id: string, token: string): string | null {
    const l = this.live.get(id);
    if (!l || l.ending || !sameToken(l.token, token)) return null;
    return l.browser.cdpUrl;
  }

  /** browser_address: the gateway's URL of the session, with its token, under the advertised host. */
  private advertised(id: string, token: string): string {
    const host = this.options.advertiseHost ?? this.options.debugHost ?? '127.0.0.1';
    const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return `ws://${shown}:${this.gateway?.port ?? 0}${GATEWAY_PREFIX}${id}/${token}`;
  }

  /**
   * The id of this organization's running session whose browser_address `address` is (token
   * included), else null. A run that names it as browser_address is told to use the id instead.
   */
  async sessionOfAddress(organizationId: string, address: string): Promise<string | null> {
    let path: ReturnType<typeof parseGatewayPath>;
    try {
      path = parseGatewayPath(new URL(address).pathname.replace(/\/json\/version\/?$/, ''));
    } catch {
      return null;
    }
    if (!path) return null;
    const record = await this.options.store.sessions.get(organizationId, path.id);
    if (!record?.browserAddress || ENDED.has(record.status)) return null;
    const own = parseGatewayPath(new URL(record.browserAddress).pathname);
    return own && sameToken(own.token, path.token) ? record.id : null;
  }

  private ticking = false;

  /** Shared database: heartbeat, close sessions ended elsewhere, fail others' orphans. */
  private async tick(beatMs: number): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const sessions = this.options.store.sessions;
      const mine = [...this.live.entries()].filter(([, l]) => !l.ending).map(([id]) => id);
      let ended: string[];
      if (Date.now() - this.lastBeat >= beatMs) {
        this.lastBeat = Date.now();
        const alive = new Set(await sessions.heartbeat(this.owner, new Date().toISOString()));
        ended = mine.filter((id) => !alive.has(id));
        await this.failOrphaned();
      } else ended = await sessions.endedOf(this.owner, mine);
      for (const id of ended) await this.end(id, 'completed', { recorded: true });
    } catch (error) {
      this.options.logger.warn({ err: error }, 'browser session heartbeat failed');
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Fails sessions of processes that went quiet (compare-and-set: once, by one node). At start
   * also those of an earlier process with this host and pid; later only staleness counts, so a
   * second manager in the same process (tests, embedded use) never ends this one's sessions.
   */
  private async failOrphaned(options: { earlierSelf?: boolean } = {}): Promise<void> {
    const sessions = this.options.store.sessions;
    const found = await sessions.orphaned(
      new Date(Date.now() - this.staleMs).toISOString(),
      this.owner,
      options.earlierSelf ? `${hostname()}:${process.pid}:` : null,
    );
    const failed: string[] = [];
    for (const f of found) {
      if (await sessions.failOrphan(f, new Date().toISOString())) failed.push(f.id);
    }
    if (failed.length > 0)
      this.options.logger.warn(
        { count: failed.length, ids: failed },
        'ended browser sessions whose process stopped answering',
      );
  }

  async create(
    organizationId: string,
    input: CreateSessionInput,
  ): Promise<{ record: BrowserSessionRecord; warning: string | null }> {
    if (this.stopped) throw new ServiceError(503, 'the server is shutting down');
    let timeout = input.timeout ?? SESSION_TIMEOUT_DEFAULT;
    let warning: string | null = null;
    const max = this.maxTimeout;
    if (timeout > max) {
      warning = `timeout ${timeout} is above the maximum of ${max} minutes; capped to ${max}`;
      timeout = max;
    }
    const url = input.url == null ? null : normalizeHttpUrl(input.url);
    if (url) {
      try {
        checkNavigationUrl(url, this.policy);
      } catch (e) {
        if (e instanceof BrowserError) throw new ServiceError(400, `url refused: ${e.message}`);
        throw e;
      }
    }
    // A caller's own proxy is a connection Wren makes: the egress policy applies (issue 17).
    const proxyUrl = (input.proxy_location as { url?: unknown } | null)?.url;
    if (typeof proxyUrl === 'string') {
      try {
        await checkUrl(proxyUrl, this.policy, ['http:', 'https:', 'socks:', 'socks4:', 'socks5:']);
      } catch (e) {
        if (!(e instanceof NetworkPolicyError)) throw e;
        if (e.kind !== 'unresolvable')
          throw new ServiceError(400, `proxy_location refused: ${e.message}`);
      }
    }
    // Checked before launching: an unserved location is the caller's problem, not a 500.
    this.options.proxies.check(input.proxy_location ?? null);
    const route = this.options.proxies.route(input.proxy_location ?? null);
    const id = newId('pbs');
    const now = new Date();
    const record: BrowserSessionRecord = {
      id,
      organizationId,
      status: 'created',
      timeoutMinutes: timeout,
      url,
      // Shown, never used to start a browser again: no password at rest.
      proxyLocation: maskProxyLocation(input.proxy_location ?? null),
      browserAddress: null,
      runnableType: null,
      runnableId: null,
      expiresAt: new Date(now.getTime() + timeout * this.minuteMs).toISOString(),
      startedAt: null,
      completedAt: null,
      createdAt: now.toISOString(),
      modifiedAt: now.toISOString(),
      ownerId: this.owner,
      heartbeatAt: now.toISOString(),
    };
    const org = await this.options.store.apiKeys.organization(organizationId);
    const limit = org?.maxBrowserSessions ?? this.options.maxSessionsPerOrg ?? 8;
    const refused = await this.options.store.sessions.insertWithinQuota(record, limit);
    if (refused)
      throw new ServiceError(
        429,
        `Quota exceeded: max_browser_sessions is ${refused.limit} for this organization and it ` +
          `has ${refused.active} active browser sessions. Close one (POST ` +
          '/v1/browser_sessions/{browser_session_id}/close), or ask the operator to raise the ' +
          "limit (WREN_ORG_MAX_BROWSER_SESSIONS, or the organization's max_browser_sessions).",
      );
    let browser: SessionBrowser;
    try {
      browser = await launchSessionBrowser({
        userDataDir: path.join(this.options.dataDir, 'sessions', id),
        headless: this.options.headless ?? true,
        url: record.url,
        allowPrivateNetworks: this.options.allowPrivateNetworks,
        egress: this.policy,
        ...(input.storageState ? { storageState: input.storageState } : {}),
        ...browserOptionsFor(route),
      });
    } catch (e) {
      const at = new Date().toISOString();
      await this.options.store.sessions.update(id, {
        status: 'failed',
        completedAt: at,
        modifiedAt: at,
      });
      this.options.logger.error(
        { err: e, browser_session_id: id },
        'session browser launch failed',
      );
      throw new ServiceError(
        503,
        `could not start the browser for session ${id}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    const startedAt = new Date().toISOString();
    // The timeout counts from the moment the browser is up.
    record.expiresAt = new Date(Date.parse(startedAt) + timeout * this.minuteMs).toISOString();
    record.status = 'running';
    const token = randomBytes(24).toString('base64url');
    record.browserAddress = this.advertised(id, token);
    record.startedAt = startedAt;
    record.modifiedAt = startedAt;
    await this.options.store.sessions.update(id, {
      status: 'running',
      browserAddress: record.browserAddress,
      startedAt,
      expiresAt: record.expiresAt,
      modifiedAt: startedAt,
    });
    const delay = Math.max(0, Date.parse(record.expiresAt) - Date.now());
    const timer = setTimeout(() => void this.end(id, 'timeout'), delay);
    timer.unref();
    const endLiveView =
      this.options.liveView?.add('session', id, {
        organizationId: record.organizationId,
        page: () => newestPage(browser.context.pages()),
      }) ?? (() => {});
    this.live.set(id, {
      record,
      browser,
      holder: null,
      waiters: [],
      timer,
      ending: false,
      endLiveView,
      token,
    });
    // A browser that dies on its own (crash, killed) ends the session.
    void browser.closed.then(() => {
      if (this.live.get(id)?.ending === false) void this.end(id, 'failed');
    });
    this.options.logger.info(
      { browser_session_id: id, timeout, proxy: route.source },
      'browser session started',
    );
    return { record, warning };
  }

  /** The longest timeout a session may have, minutes. */
  get maxTimeout(): number {
    return this.options.maxTimeoutMinutes ?? SESSION_TIMEOUT_MAX;
  }

  /**
   * Sets a live session's timeout (minutes from its start, as at creation), moving its end.
   * 409 when the session has ended; 400 when the new end is already past.
   */
  async setTimeout(
    organizationId: string,
    id: string,
    minutes: number,
  ): Promise<{ record: BrowserSessionRecord; warning: string | null }> {
    const record = await this.get(organizationId, id);
    if (ENDED.has(record.status)) {
      throw new ServiceError(
        409,
        `Browser session ${id} has ended (status ${record.status}) and can no longer be updated`,
      );
    }
    let timeout = minutes;
    let warning: string | null = null;
    if (timeout > this.maxTimeout) {
      warning = `timeout ${timeout} is above the maximum of ${this.maxTimeout} minutes; capped to ${this.maxTimeout}`;
      timeout = this.maxTimeout;
    }
    const start = Date.parse(record.startedAt ?? record.createdAt);
    const expiresAt = new Date(start + timeout * this.minuteMs);
    if (expiresAt.getTime() <= Date.now()) {
      throw new ServiceError(
        400,
        `timeout: ${timeout} minutes from the session start is already past; give a longer timeout`,
      );
    }
    const at = new Date().toISOString();
    await this.options.store.sessions.update(id, {
      timeoutMinutes: timeout,
      expiresAt: expiresAt.toISOString(),
      modifiedAt: at,
    });
    const live = this.live.get(id);
    if (live && !live.ending) {
      clearTimeout(live.timer);
      live.record.timeoutMinutes = timeout;
      live.record.expiresAt = expiresAt.toISOString();
      live.timer = setTimeout(
        () => void this.end(id, 'timeout'),
        Math.max(0, expiresAt.getTime() - Date.now()),
      );
      live.timer.unref();
    }
    return { record: await this.get(organizationId, id), warning };
  }

  /**
   * The cookies and storage of a running session's browser: in process when this node holds
   * it, else over CDP at the address its owner advertises. 409 when the session has ended.
   */
  async captureState(organizationId: string, id: string): Promise<StoredBrowserState> {
    const record = await this.get(organizationId, id);
    const local = this.live.get(id);
    if (local && !local.ending) return captureBrowserState(local.browser.context);
    if (ENDED.has(record.status) || !record.browserAddress) {
      throw new ServiceError(409, `Browser session ${id} is not running`);
    }
    const connection = await connectCdp(record.browserAddress, { timeoutMs: 30_000 });
    try {
      return await captureBrowserState(connection.context);
    } finally {
      await connection.disconnect();
    }
  }

  async get(organizationId: string, id: string): Promise<BrowserSessionRecord> {
    const record = await this.options.store.sessions.get(organizationId, id);
    if (!record) throw new ServiceError(404, `Browser session ${id} not found`);
    return record;
  }

  list(organizationId: string): Promise<BrowserSessionRecord[]> {
    const since = new Date(Date.now() - LIST_WINDOW_MS).toISOString();
    return this.options.store.sessions.listActive(organizationId, since);
  }

  /**
   * Ends the session; closing an ended session is a no-op. A session another process owns is
   * marked ended here and its owner closes the browser when it notices (within 2 s).
   */
  async close(organizationId: string, id: string): Promise<void> {
    const record = await this.get(organizationId, id);
    if (this.live.has(id)) await this.end(id, 'completed');
    else if (!ENDED.has(record.status)) {
      await this.options.store.sessions.endIfActive(id, 'completed', new Date().toISOString());
    }
  }

  /** Request-time check for a run: the session exists for this org and has not ended. */
  async assertUsable(organizationId: string, id: string): Promise<void> {
    const record = await this.get(organizationId, id);
    // Shared, the browser may live in another process: the row's status is what counts.
    if (ENDED.has(record.status) || (!this.shared && !this.live.has(id))) {
      throw new ServiceError(
        409,
        `Browser session ${id} has ended (status ${record.status}); create a new session`,
      );
    }
  }

  /**
   * Waits until the session is free, then hands its browser to the run. Rejects when the session
   * does not exist for the organization or ends while the run waits.
   */
  async lease(
    organizationId: string,
    id: string,
    run: { runId: string; runType: string },
  ): Promise<SessionLease> {
    if (this.shared) return this.leaseShared(organizationId, id, run);
    const live = this.live.get(id);
    if (!live || live.record.organizationId !== organizationId || live.ending) {
      throw new SessionUnavailableError(
        `browser_session_id: session ${id} is not running (closed, timed out or unknown)`,
      );
    }
    if (live.holder !== null) {
      await new Promise<void>((resolve, reject) => {
        live.waiters.push({ runId: run.runId, resolve, reject });
      });
    } else live.holder = run.runId;
    await this.setRunnable(live, run.runType, run.runId);
    let released = false;
    return {
      context: live.browser.context,
      watchBlocked: (listener) => {
        live.browser.egress.setListener(listener);
        return () => live.browser.egress.setListener(null);
      },
      release: async () => {
        if (released) return;
        released = true;
        if (live.holder !== run.runId) return;
        const next = live.waiters.shift();
        live.holder = next?.runId ?? null;
        if (!live.ending) await this.setRunnable(live, null, null);
        next?.resolve();
      },
    };
  }

  /**
   * The shared queue: the run waits in browser_session_waiters and polls a compare-and-set on the
   * session row until it is first in line and the session is free. Then it drives the browser in
   * process when this node owns it, else over CDP at the address the owner advertised.
   */
  private async leaseShared(
    organizationId: string,
    id: string,
    run: { runId: string; runType: string },
  ): Promise<SessionLease> {
    const store = this.options.store;
    const record = await store.sessions.get(organizationId, id);
    if (!record || ENDED.has(record.status)) {
      throw new SessionUnavailableError(
        `browser_session_id: session ${id} is not running (closed, timed out or unknown)`,
      );
    }
    const since = await store.sessions.enqueue(id, run.runId, new Date().toISOString());
    try {
      for (;;) {
        const at = new Date().toISOString();
        if (await store.sessions.acquire(id, { ...run, since }, at)) break;
        const current = await store.sessions.getById(id);
        if (!current || ENDED.has(current.status)) {
          throw new SessionUnavailableError(
            `browser session ${id} ended (${current?.status ?? 'gone'}) before the run could start`,
          );
        }
        const self = await store.runs.getById(run.runId);
        if (self && self.status !== 'running') {
          throw new SessionUnavailableError(`run ${run.runId} stopped waiting for session ${id}`);
        }
        await sleep(this.options.leasePollMs ?? 250);
      }
    } finally {
      await store.sessions.dequeue(id, run.runId).catch(() => {});
    }
    let released = false;
    const letGo = async () => {
      if (released) return;
      released = true;
      await store.sessions.releaseHold(id, run.runId, new Date().toISOString());
    };
    const local = this.live.get(id);
    if (local && !local.ending) {
      return {
        context: local.browser.context,
        release: letGo,
        watchBlocked: (listener) => {
          local.browser.egress.setListener(listener);
          return () => local.browser.egress.setListener(null);
        },
      };
    }
    const address = (await store.sessions.getById(id))?.browserAddress ?? null;
    try {
      if (!address) throw new Error('the session has no browser address');
      const connection = await connectCdp(address, { timeoutMs: 30_000 });
      return {
        context: connection.context,
        release: async () => {
          await connection.disconnect();
          await letGo();
        },
      };
    } catch (e) {
      await letGo();
      throw new SessionUnavailableError(
        `browser_session_id: could not reach the browser of session ${id} at ${address ?? '(none)'} from this worker: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  private async setRunnable(live: Live, type: string | null, runId: string | null): Promise<void> {
    const at = new Date().toISOString();
    live.record.runnableType = type;
    live.record.runnableId = runId;
    await this.options.store.sessions.update(live.record.id, {
      runnableType: type,
      runnableId: runId,
      modifiedAt: at,
    });
  }

  /** Closes expired sessions (the per-session timers normally get there first). */
  async reap(): Promise<void> {
    const now = Date.now();
    for (const [id, live] of this.live) {
      if (Date.parse(live.record.expiresAt) <= now) await this.end(id, 'timeout');
    }
  }

  /** Closes a local session's browser; `recorded`: another node already ended its row. */
  private async end(
    id: string,
    status: 'completed' | 'timeout' | 'failed',
    how: { recorded?: boolean } = {},
  ): Promise<void> {
    const live = this.live.get(id);
    const at = new Date().toISOString();
    if (!live) return;
    if (live.ending) return;
    live.ending = true;
    clearTimeout(live.timer);
    live.endLiveView();
    for (const w of live.waiters.splice(0)) {
      w.reject(
        new SessionUnavailableError(
          `browser session ${id} ended (${status}) before the run could start`,
        ),
      );
    }
    // Compare-and-set: a close or failure recorded meanwhile by another node keeps its status.
    if (!how.recorded) await this.options.store.sessions.endIfActive(id, status, at);
    live.record.status = status;
    if (this.options.onEnding && status !== 'failed') {
      await this.options
        .onEnding(live.record, () => captureBrowserState(live.browser.context))
        .catch((error: unknown) =>
          this.options.logger.warn(
            { err: error, browser_session_id: id },
            'could not keep the browser state of an ending session',
          ),
        );
    }
    await live.browser.close();
    this.live.delete(id);
    this.options.logger.info({ browser_session_id: id, status }, 'browser session ended');
  }
}
