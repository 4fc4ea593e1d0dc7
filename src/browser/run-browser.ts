/**
 * One run's browser: an isolated context, its tabs, watchers for downloads, dialogs, popups and
 * crashes, plus observe/act/computer entry points for engines.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  APIResponse,
  Browser,
  BrowserContext,
  Dialog,
  Download,
  ElementHandle,
  Page,
  Request,
  Response,
} from 'playwright-core';
import type { BlockedRequest, EgressPolicy } from '../net/index.js';
import { type ActionResult, executeAction } from './act/executor.js';
import { PAGE_ACTIVITY_SCRIPT } from './act/page-activity.js';
import type { ComputerPrimitives } from './computer.js';
import { PageComputer } from './computer-impl.js';
import { BrowserError } from './errors.js';
import { type Har, type HarOptions, HarRecorder } from './har.js';
import { ElementRegistry, evaluateOnElement, resolveElement } from './observe/capture.js';
import { LISTENER_TRACKER_SCRIPT } from './observe/listener-tracker.js';
import { type Observation, type ObserveOptions, observePage } from './observe/observation.js';
import { PageSession } from './page-session.js';
import { type RecorderOptions, type Recording, startRecording } from './recorder.js';
import { buildSelector, type StableSelector } from './selectors/index.js';
import { captureBrowserState, type StoredBrowserState } from './storage-state.js';
import {
  allowPrivateNetworksFromEnv,
  checkNavigationTarget,
  type HostResolver,
} from './url-guard.js';

/** A proxy a browser context sends its traffic through (Playwright's shape, plus `trusted`). */
export interface BrowserProxy {
  server: string;
  username?: string;
  password?: string;
  bypass?: string;
  /** Operator-configured (WREN_PROXY_CONFIG): its own address skips the policy check. */
  trusted?: boolean;
}

export interface RunBrowserOptions {
  /** Folder of this run; downloads go to `<runDir>/downloads`, fetched uploads to `<runDir>/uploads`. */
  runDir: string;
  headless?: boolean;
  viewport?: { width: number; height: number };
  userAgent?: string;
  locale?: string;
  timezoneId?: string;
  /** Position reported to pages (the geolocation permission is granted with it). */
  geolocation?: { latitude: number; longitude: number; accuracy?: number };
  extraHttpHeaders?: Record<string, string>;
  /**
   * The run's proxy_location proxy. Behind BrowserManager it is chained behind the egress proxy;
   * `trusted` (operator-configured pools) skips the policy check of the proxy's own address.
   */
  proxy?: BrowserProxy;
  /** Defaults to WREN_ALLOW_PRIVATE_NETWORKS=true. */
  allowPrivateNetworks?: boolean;
  /** The full egress policy for the agent's own URL checks (set by BrowserManager). */
  egress?: EgressPolicy;
  /** Resolver for the navigation policy's DNS check (tests replace it); the system's by default. */
  resolveHost?: HostResolver;
  /** What to do with alert/confirm/prompt dialogs. Default accept (prompts get their default). */
  dialogPolicy?: 'accept' | 'dismiss';
  /** Per-attempt timeout of element actions, ms. Default 3000. */
  actionTimeoutMs?: number;
  /** Navigation timeout, ms. Default 30000. */
  navigationTimeoutMs?: number;
  /** Extra folders the agent may upload files from (the run folder is always allowed). */
  uploadDirs?: string[];
  /** Cookies and storage a fresh context starts from (a browser profile). */
  storageState?: StoredBrowserState | null;
}

export interface TabInfo {
  index: number;
  url: string;
  title: string;
  active: boolean;
}

export interface DownloadInfo {
  filename: string;
  path: string;
  size: number;
  sha256: string;
  url: string;
}

export interface DialogInfo {
  type: string;
  message: string;
  defaultValue: string;
  handled: 'accepted' | 'dismissed';
}

export type RunBrowserEvent =
  | { type: 'download'; download: DownloadInfo }
  | { type: 'download_failed'; url: string; error: string }
  | { type: 'dialog'; dialog: DialogInfo }
  | { type: 'tab_opened'; tab: TabInfo; popup: boolean }
  | { type: 'tab_closed'; url: string }
  | { type: 'crash'; url: string }
  | { type: 'browser_disconnected' }
  /** The egress policy refused a connection the page (or the agent) started. */
  | { type: 'network_blocked'; blocked: BlockedRequest };

/** A proxy as Playwright takes it (Wren's `trusted` mark removed). */
function playwrightProxy(proxy: NonNullable<RunBrowserOptions['proxy']>) {
  const { trusted: _trusted, ...rest } = proxy;
  return rest;
}

/**
 * Lets in-page helpers compiled by tsx/esbuild (keepNames) call `__name` in any page, and records
 * event listeners from the first script of every document (observe/listener-tracker.ts).
 */
export async function installPageShims(context: BrowserContext): Promise<void> {
  // Under tsx/esbuild (keepNames), functions passed to evaluate() call a `__name` helper that
  // pages do not have; a no-op keeps in-page helpers working however the source was compiled.
  await context.addInitScript({
    content:
      'if (typeof globalThis.__name !== "function") Object.defineProperty(globalThis, "__name", { value: (f) => f, configurable: true, writable: true });',
  });
  // What each action sets going (timers, requests, new controls): the executor's settle.
  await context.addInitScript({ content: PAGE_ACTIVITY_SCRIPT });
  // Before any page script: record event listeners so script-only controls get ids.
  await context.addInitScript({ content: LISTENER_TRACKER_SCRIPT });
}

/**
 * How a run holds a context it did not create (a browser session's, or a user's browser over
 * CDP): close() then detaches the run and calls `release` instead of closing the context.
 */
export interface AttachOptions {
  /** Called once by close(); the context stays open. */
  release: () => Promise<void> | void;
  /** The Browser to watch for disconnects, when there is one. */
  browser?: Browser | null;
}

const LONG_LIVED = new Set(['eventsource', 'websocket', 'media']);

function safeFilename(name: string): string {
  const base = path
    .basename(name)
    .replace(/[^\w.\- ()]+/g, '_')
    .slice(0, 150);
  return base && base !== '.' && base !== '..' ? base : 'download';
}

export class RunBrowser {
  readonly context: BrowserContext;
  readonly options: RunBrowserOptions;
  readonly registry = new ElementRegistry();
  /** Every event in order; actions report the slice that happened during them. */
  readonly events: RunBrowserEvent[] = [];
  private readonly emitter = new EventEmitter();
  private readonly pages: Page[] = [];
  private active: Page | null = null;
  private crashed: string | null = null;
  private disconnected = false;
  private closed = false;
  private readonly closeHooks: (() => void)[] = [];
  private readonly beforeCloseHooks: (() => Promise<void>)[] = [];
  private readonly pendingDownloads = new Set<Promise<unknown>>();
  private downloadNames = new Set<string>();
  private previousIds: Set<number> | null = null;
  private previousDocument: { page: Page; doc: string } | null = null;
  private lastObservation: Observation | null = null;
  private computerImpl: PageComputer | null = null;
  private readonly pageSessions = new WeakMap<Page, Promise<PageSession | null>>();
  private readonly openSessions = new Set<PageSession>();
  /** Requests in flight in any tab, numbered in the order they started. */
  private readonly inflight = new Map<Request, number>();
  private requestSeq = 0;
  private readonly requestWaiters = new Set<() => void>();
  private openingOwnTab = false;
  private har: HarRecorder | null = null;
  /** Listener removals, run when an attached run lets go of a context it does not own. */
  private readonly detachers: (() => void)[] = [];

  private constructor(
    private readonly browser: Browser | null,
    context: BrowserContext,
    options: RunBrowserOptions,
    private readonly attached: AttachOptions | null = null,
  ) {
    this.context = context;
    this.options = options;
    this.trackRequests();
  }

  /**
   * One subscription for the run's lifetime (actions used to subscribe and unsubscribe per page,
   * eight Playwright calls per action).
   */
  private trackRequests(): void {
    const onRequest = (r: Request) => {
      // Long-lived streams never finish; they must not hold a settle.
      if (!LONG_LIVED.has(r.resourceType())) this.inflight.set(r, ++this.requestSeq);
    };
    const onDone = (r: Request) => {
      if (!this.inflight.delete(r)) return;
      for (const wake of this.requestWaiters) wake();
    };
    // Out-of-process frames may never report requestfinished; a response is enough to move on.
    const onResponse = (r: Response) => onDone(r.request());
    this.context.on('request', onRequest);
    this.context.on('requestfinished', onDone);
    this.context.on('requestfailed', onDone);
    this.context.on('response', onResponse);
    this.detachers.push(() => {
      this.context.off('request', onRequest);
      this.context.off('requestfinished', onDone);
      this.context.off('requestfailed', onDone);
      this.context.off('response', onResponse);
    });
  }

  /** A closed tab's requests never finish. */
  private forgetRequestsOf(page: Page): void {
    for (const r of this.inflight.keys()) {
      let owner: Page | null = null;
      try {
        owner = r.frame().page();
      } catch {
        // service worker requests have no frame
      }
      if (owner === page || owner === null) this.inflight.delete(r);
    }
    for (const wake of this.requestWaiters) wake();
  }

  /** A point in the run's request sequence, for requestsSettled(). */
  requestMark(): number {
    return this.requestSeq;
  }

  /** Whether a request started after `mark` is still in flight. */
  requestsPending(mark: number): boolean {
    for (const seq of this.inflight.values()) if (seq > mark) return true;
    return false;
  }

  /** Resolves once every request started after `mark` has finished, or after `timeoutMs`. */
  async requestsSettled(mark: number, timeoutMs: number): Promise<void> {
    const busy = () => this.requestsPending(mark);
    if (!busy() || timeoutMs <= 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.requestWaiters.delete(check);
        resolve();
      };
      const check = () => {
        if (!busy()) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.requestWaiters.add(check);
    });
  }

  /**
   * A run inside an existing context (a browser session, or the user's own browser over CDP).
   * The run starts on the context's newest page (or a new blank one); its close() detaches and
   * releases instead of closing anything.
   */
  static async attach(
    context: BrowserContext,
    options: RunBrowserOptions,
    attach: AttachOptions,
  ): Promise<RunBrowser> {
    if (!options.runDir) throw new BrowserError('invalid_action', 'runDir: required');
    await mkdir(path.join(options.runDir, 'downloads'), { recursive: true });
    if (options.extraHttpHeaders) await context.setExtraHTTPHeaders(options.extraHttpHeaders);
    context.setDefaultNavigationTimeout(options.navigationTimeoutMs ?? 30_000);
    const run = new RunBrowser(attach.browser ?? context.browser(), context, options, attach);
    const existing = context.pages().filter((p) => !p.isClosed());
    for (const p of existing) run.adopt(p, false);
    const onPage = (p: Page) => run.adopt(p, true);
    context.on('page', onPage);
    run.detachers.push(() => context.off('page', onPage));
    const last = existing.at(-1);
    if (last) run.active = last;
    else {
      const page = await context.newPage();
      if (!run.pages.includes(page)) run.adopt(page, false);
      run.active = page;
    }
    return run;
  }

  static async open(browser: Browser, options: RunBrowserOptions): Promise<RunBrowser> {
    if (!options.runDir) throw new BrowserError('invalid_action', 'runDir: required');
    await mkdir(path.join(options.runDir, 'downloads'), { recursive: true });
    const context = await browser.newContext({
      viewport: options.viewport ?? { width: 1280, height: 720 },
      acceptDownloads: true,
      userAgent: options.userAgent,
      locale: options.locale,
      timezoneId: options.timezoneId,
      extraHTTPHeaders: options.extraHttpHeaders,
      ...(options.proxy ? { proxy: playwrightProxy(options.proxy) } : {}),
      ...(options.storageState ? { storageState: options.storageState } : {}),
      ...(options.geolocation
        ? { geolocation: options.geolocation, permissions: ['geolocation'] }
        : {}),
    });
    context.setDefaultNavigationTimeout(options.navigationTimeoutMs ?? 30_000);
    await installPageShims(context);
    const run = new RunBrowser(browser, context, options);
    context.on('page', (p) => run.adopt(p, true));
    const page = await context.newPage();
    if (!run.pages.includes(page)) run.adopt(page, false);
    run.active = page;
    return run;
  }

  /**
   * A connection the egress proxy refused for this run: a `network_blocked` event (the run's
   * timeline) and a mark in the HAR, both with the reason.
   */
  noteBlocked(blocked: BlockedRequest): void {
    if (this.closed) return;
    this.har?.noteBlocked(blocked);
    this.emit({ type: 'network_blocked', blocked });
  }

  /** Listen to side events (downloads, dialogs, tabs, crashes). Returns an unsubscribe. */
  on(listener: (e: RunBrowserEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  onClose(hook: () => void): void {
    this.closeHooks.push(hook);
  }

  /** Runs (awaited, errors ignored) while the context is still open, at close(). */
  beforeClose(hook: () => Promise<void>): void {
    this.beforeCloseHooks.push(hook);
  }

  /** The context's cookies and storage now (for saving into a browser profile). */
  captureState(): Promise<StoredBrowserState> {
    return captureBrowserState(this.context);
  }

  /** True when close() releases a context owned by someone else (session, user's browser). */
  get isAttached(): boolean {
    return this.attached !== null;
  }

  usesBrowser(b: Browser): boolean {
    return b === this.browser;
  }

  markBrowserDisconnected(): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.emit({ type: 'browser_disconnected' });
  }

  private emit(e: RunBrowserEvent): void {
    this.events.push(e);
    this.emitter.emit('event', e);
  }

  private adopt(page: Page, fromContextEvent: boolean): void {
    if (this.pages.includes(page)) return;
    this.pages.push(page);
    void this.pageSession(page);
    const onCrash = () => {
      this.crashed = page.url();
      this.emit({ type: 'crash', url: page.url() });
    };
    const onDialog = (d: Dialog) => void this.handleDialog(d);
    const onDownload = (d: Download) => {
      const p = this.saveDownload(d).finally(() => this.pendingDownloads.delete(p));
      this.pendingDownloads.add(p);
    };
    page.on('crash', onCrash);
    page.on('dialog', onDialog);
    page.on('download', onDownload);
    let opener: Page | null = null;
    void page
      .opener()
      .then((o) => {
        opener = o;
      })
      .catch(() => {});
    const onClose = () => {
      this.forgetRequestsOf(page);
      const i = this.pages.indexOf(page);
      if (i >= 0) this.pages.splice(i, 1);
      if (!this.closed) this.emit({ type: 'tab_closed', url: page.url() });
      if (this.active === page) {
        // A closed popup hands control back to the tab that opened it.
        this.active =
          opener && this.pages.includes(opener) ? opener : (this.pages[Math.max(0, i - 1)] ?? null);
      }
    };
    page.on('close', onClose);
    this.detachers.push(() => {
      page.off('crash', onCrash);
      page.off('dialog', onDialog);
      page.off('download', onDownload);
      page.off('close', onClose);
    });
    if (fromContextEvent && this.active !== null) {
      // Popups and target=_blank tabs are followed: the agent continues in the new tab.
      this.active = page;
      this.emit({ type: 'tab_opened', tab: this.tabInfo(page), popup: !this.openingOwnTab });
    }
  }

  private async handleDialog(d: Dialog): Promise<void> {
    const policy = this.options.dialogPolicy ?? 'accept';
    const info: DialogInfo = {
      type: d.type(),
      message: d.message(),
      defaultValue: d.defaultValue(),
      handled: policy === 'dismiss' && d.type() !== 'alert' ? 'dismissed' : 'accepted',
    };
    try {
      if (info.handled === 'dismissed') await d.dismiss();
      else await d.accept(d.type() === 'prompt' ? d.defaultValue() : undefined);
    } catch {
      // The page may already be gone; the dialog is still reported.
    }
    this.emit({ type: 'dialog', dialog: info });
  }

  private uniqueDownloadPath(suggested: string): { name: string; target: string } {
    let name = safeFilename(suggested);
    const ext = path.extname(name);
    const stem = name.slice(0, name.length - ext.length);
    for (let i = 2; this.downloadNames.has(name); i++) name = `${stem} (${i})${ext}`;
    this.downloadNames.add(name);
    return { name, target: path.join(this.options.runDir, 'downloads', name) };
  }

  /** Fetches a URL with the run's cookies and records it as a download. */
  async downloadUrl(raw: string): Promise<void> {
    let url = await this.checkUrl(raw);
    const work = (async () => {
      try {
        const fetched = await this.fetchChecked(url, { timeoutMs: 60_000, maxRedirects: 20 });
        url = fetched.url;
        const res = fetched.response;
        if (!res.ok()) throw new Error(`HTTP ${res.status()}`);
        const cd = res.headers()['content-disposition'] ?? '';
        const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
        const suggested = m?.[1]
          ? decodeURIComponent(m[1])
          : path.basename(new URL(url).pathname) || 'download';
        const { name, target } = this.uniqueDownloadPath(suggested);
        const bytes = await res.body();
        await writeFile(target, bytes);
        this.emit({
          type: 'download',
          download: {
            filename: name,
            path: target,
            size: bytes.length,
            sha256: createHash('sha256').update(bytes).digest('hex'),
            url,
          },
        });
      } catch (e) {
        this.emit({
          type: 'download_failed',
          url,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    })();
    const p = work.finally(() => this.pendingDownloads.delete(p));
    this.pendingDownloads.add(p);
    await p;
  }

  /** Opens a tab the agent asked for and makes it the working tab. */
  async newTab(): Promise<Page> {
    this.openingOwnTab = true;
    try {
      const page = await this.context.newPage();
      this.active = page;
      return page;
    } finally {
      this.openingOwnTab = false;
    }
  }

  private async saveDownload(d: Download): Promise<void> {
    const { name, target } = this.uniqueDownloadPath(d.suggestedFilename());
    try {
      await d.saveAs(target);
      const bytes = await readFile(target);
      const info: DownloadInfo = {
        filename: name,
        path: target,
        size: (await stat(target)).size,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        url: d.url(),
      };
      this.emit({ type: 'download', download: info });
    } catch (e) {
      this.emit({
        type: 'download_failed',
        url: d.url(),
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** Resolves when all downloads started so far are saved (or failed). */
  async settleDownloads(): Promise<void> {
    await Promise.all([...this.pendingDownloads]);
  }

  private tabInfo(page: Page): TabInfo {
    return {
      index: this.pages.indexOf(page),
      url: page.url(),
      title: '',
      active: page === this.active,
    };
  }

  /** Open tabs; `activeTitle` spares a round trip when the caller already knows it. */
  async tabs(activeTitle?: string): Promise<TabInfo[]> {
    return Promise.all(
      this.pages.map(async (p, index) => ({
        index,
        url: p.url(),
        title:
          p === this.active && activeTitle !== undefined
            ? activeTitle
            : await p.title().catch(() => ''),
        active: p === this.active,
      })),
    );
  }

  /** Fails with a typed error when the run can no longer drive its browser. */
  assertUsable(): void {
    if (this.closed) throw new BrowserError('closed', 'the run browser is closed');
    if (this.disconnected)
      throw new BrowserError('browser_disconnected', 'the browser process died');
    if (this.crashed !== null) {
      throw new BrowserError('page_crashed', `the page crashed (${this.crashed}); reload or goto`);
    }
  }

  /** The tab the agent is working in. */
  page(): Page {
    this.assertUsable();
    if (!this.active || this.active.isClosed()) {
      throw new BrowserError('tab_not_found', 'no open tab; open one with new_tab');
    }
    return this.active;
  }

  /** Only for actions: switch the working tab. */
  setActivePage(page: Page): void {
    this.active = page;
  }

  allPages(): Page[] {
    return [...this.pages];
  }

  /**
   * A crashed tab cannot navigate again: replace it by a fresh tab in the same context (cookies
   * survive) and return the URL it showed. No-op when nothing crashed.
   */
  async recoverFromCrash(): Promise<string | null> {
    if (this.crashed === null) return null;
    const url = this.crashed;
    const old = this.active;
    this.crashed = null;
    const page = await this.newTab();
    if (old) {
      await old.close().catch(() => {});
      this.active = page;
    }
    return url;
  }

  get allowPrivateNetworks(): boolean {
    return this.options.allowPrivateNetworks ?? allowPrivateNetworksFromEnv();
  }

  /**
   * The URL an agent asked for, once it passes the navigation policy (scheme, metadata and
   * private addresses, and what its host name resolves to).
   */
  async checkUrl(raw: string): Promise<string> {
    return (
      await checkNavigationTarget(
        this.expandUrl(raw),
        this.options.egress ?? this.allowPrivateNetworks,
        this.options.resolveHost,
      )
    ).href;
  }

  /**
   * GET through the context's request API (the run's cookies) with every redirect hop checked
   * against the navigation policy: that request is made by Playwright, not by Chromium, so the
   * browser's resolver rules do not cover it.
   */
  async fetchChecked(
    raw: string,
    options: { timeoutMs: number; maxRedirects: number },
  ): Promise<{ url: string; response: APIResponse }> {
    let url = await this.checkUrl(raw);
    for (let hop = 0; ; hop++) {
      const response = await this.context.request.get(url, {
        timeout: options.timeoutMs,
        maxRedirects: 0,
      });
      const location = response.headers()['location'];
      if (response.status() < 300 || response.status() >= 400 || !location) {
        return { url, response };
      }
      if (hop >= options.maxRedirects) throw new Error(`too many redirects (${url})`);
      await response.dispose();
      url = await this.checkUrl(new URL(location, url).href);
    }
  }

  /** Replaces `@uN` link aliases from the last observation by their full URLs. */
  expandUrl(text: string): string {
    const map = this.lastObservation?.urlMap;
    if (!map) return text;
    return text.replace(/@u\d+/g, (m) => map[m] ?? m);
  }

  /** Actions, observations and navigations in flight (the recorder takes no frame then). */
  private busy = 0;
  private screenshotsInFlight = 0;

  private async busyWith<T>(work: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await work();
    } finally {
      this.busy--;
    }
  }

  goto(url: string): Promise<void> {
    return this.busyWith(async () => {
      const target = await this.checkUrl(url);
      await this.page().goto(target, { waitUntil: 'domcontentloaded' });
    });
  }

  observe(options: ObserveOptions = {}): Promise<Observation> {
    return this.busyWith(() => this.observeNow(options));
  }

  private async observeNow(options: ObserveOptions): Promise<Observation> {
    for (let attempt = 1; ; attempt++) {
      const page = this.page();
      if (this.registry.size > 20_000) this.registry.pruneDetached();
      await page.waitForLoadState('domcontentloaded', { timeout: 5_000 }).catch(() => {});
      try {
        const obs = await observePage(page, this.registry, {
          ...options,
          previousIds: this.previousIds,
          previousDocument: this.previousDocument,
          tabs: (title) => this.tabs(title),
        });
        this.previousIds = obs.allIds;
        this.previousDocument = { page, doc: obs.documentId };
        this.lastObservation = obs;
        return obs;
      } catch (e) {
        this.assertUsable();
        // The page navigated while it was being read: read the new document.
        const racing = /Execution context was destroyed|navigat|Frame was detached/i.test(
          e instanceof Error ? e.message : String(e),
        );
        if (!racing || attempt >= 3) throw e;
      }
    }
  }

  get latestObservation(): Observation | null {
    return this.lastObservation;
  }

  /** The live element behind an observation id, or a typed error. */
  async element(id: number): Promise<ElementHandle<Element>> {
    this.assertUsable();
    const ref = this.registry.ref(id);
    if (!ref) throw new BrowserError('element_not_found', `id: no element [${id}] was observed`);
    const handle = await resolveElement(ref).catch(() => null);
    if (!handle) {
      throw new BrowserError(
        'element_stale',
        `id: element [${id}] is no longer on the page; observe again`,
      );
    }
    return handle;
  }

  /** A stable selector (src/browser/selectors) for the element behind an observation id. */
  async selectorFor(id: number): Promise<StableSelector> {
    const handle = await this.element(id);
    return buildSelector(handle);
  }

  /**
   * Runs `fn(element, arg)` in the element's frame without an element handle: the element is
   * looked up by its observation id inside the page. Playwright's handles cost its injected
   * script (a 345 kB compile per document and world) on their first use in a document; this
   * does not. `fn` must be self-contained and `arg` JSON.
   */
  async evaluateOn<R, A>(
    id: number,
    fn: (e: Element, arg: A) => R | Promise<R>,
    arg: A,
  ): Promise<R> {
    this.assertUsable();
    const ref = this.registry.ref(id);
    if (!ref) throw new BrowserError('element_not_found', `id: no element [${id}] was observed`);
    const found = await evaluateOnElement(ref, fn, arg).catch(() => null);
    if (!found) {
      throw new BrowserError(
        'element_stale',
        `id: element [${id}] is no longer on the page; observe again`,
      );
    }
    return found.value;
  }

  /** Wren's DevTools session on `page` (opened when the tab is adopted); null without CDP. */
  pageSession(page: Page): Promise<PageSession | null> {
    let session = this.pageSessions.get(page);
    if (!session) {
      session = PageSession.open(this.context, page).then((s) => {
        if (s) this.openSessions.add(s);
        return s;
      });
      this.pageSessions.set(page, session);
    }
    return session;
  }

  act(action: unknown): Promise<ActionResult> {
    return this.busyWith(() => executeAction(this, action));
  }

  /**
   * The run's video (src/browser/recorder.ts): frames of the active tab while the browser is
   * idle, plus those passed to addFrame; null when ffmpeg is missing (logged).
   */
  startRecording(options: RecorderOptions): Promise<Recording | null> {
    return startRecording(
      {
        capture: () => this.viewportJpeg(70, 5_000),
        // Not while another screenshot (an action's) is being taken either.
        idle: () => this.busy === 0 && this.screenshotsInFlight === 0 && !this.closed,
      },
      options,
    );
  }

  /**
   * Starts the run's HAR (src/browser/har.ts) on this context, whoever owns it; the values of
   * the run's extra HTTP headers are redacted with the credential headers. stopHar() returns
   * the log; call it before close().
   */
  startHar(options: HarOptions = {}): void {
    if (this.har) return;
    this.har = HarRecorder.start(this.context, {
      ...options,
      redactHeaders: [
        ...Object.keys(this.options.extraHttpHeaders ?? {}),
        ...(options.redactHeaders ?? []),
      ],
    });
  }

  /** The HAR recorded since startHar(), or null when none was started. */
  async stopHar(): Promise<Har | null> {
    return this.har ? this.har.stop() : null;
  }

  /**
   * A JPEG of the active tab's viewport, for people (run timelines). Taken over the DevTools
   * protocol: unlike page.screenshot() it runs no script in the page (Playwright hides the caret
   * with an injected style, which effect checks would count as a DOM change) and needs fewer
   * round trips. Falls back to page.screenshot() where there is no CDP.
   */
  async viewportJpeg(quality = 75, timeoutMs = 10_000): Promise<Buffer> {
    const page = this.page();
    this.screenshotsInFlight++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the screenshot took longer than ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.captureJpeg(page, quality), timeout]);
    } finally {
      clearTimeout(timer);
      this.screenshotsInFlight--;
    }
  }

  private async captureJpeg(page: Page, quality: number): Promise<Buffer> {
    const session = await this.pageSession(page);
    if (!session) return page.screenshot({ type: 'jpeg', quality });
    return session.jpeg(quality);
  }

  computer(): ComputerPrimitives {
    if (!this.computerImpl) this.computerImpl = new PageComputer(this);
    return this.computerImpl;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.settleDownloads().catch(() => {});
    for (const hook of this.beforeCloseHooks.splice(0)) await hook().catch(() => {});
    // Stops listening (an attached context outlives the run); the log itself is dropped.
    if (this.har) void this.har.stop().catch(() => {});
    this.closed = true;
    try {
      if (this.attached) {
        // The context outlives the run: let go of the screenshot sessions too.
        for (const s of this.openSessions) await s.detach().catch(() => {});
        for (const detach of this.detachers.splice(0)) detach();
        if (this.options.extraHttpHeaders)
          await this.context.setExtraHTTPHeaders({}).catch(() => {});
        await this.attached.release();
      } else {
        await this.context.close().catch(() => {});
      }
    } finally {
      for (const h of this.closeHooks) h();
    }
  }
}
