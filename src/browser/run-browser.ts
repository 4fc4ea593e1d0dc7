/**
 * One run's browser: an isolated context (or one it is attached to) and the entry points engines
 * use (observe, act, goto, computer primitives, screenshots, video, HAR). A thin front: each
 * concern is a class of its own under ./run/ — tabs, downloads, dialogs, network (requests, HAR,
 * refused connections), crash recovery, URL policy, the observer and the camera.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { APIResponse, Browser, BrowserContext, ElementHandle, Page } from 'playwright-core';
import type { BlockedRequest, EgressPolicy } from '../net/index.js';
import { type ActionResult, type ExecuteOptions, executeAction } from './act/executor.js';
import type { ComputerPrimitives, Point } from './computer.js';
import { PageComputer } from './computer-impl.js';
import { BrowserError } from './errors.js';
import type { Har, HarOptions } from './har.js';
import type { ElementRegistry } from './observe/capture.js';
import type { Observation, ObserveOptions } from './observe/observation.js';
import type { PageSession } from './page-session.js';
import type { RecorderOptions, Recording } from './recorder.js';
import { Activity, trackedCalls } from './run/activity.js';
import { type BrowserProxy, installPageShims, playwrightProxy } from './run/context.js';
import { CrashRecovery } from './run/crash-recovery.js';
import { type DialogPolicy, Dialogs } from './run/dialogs.js';
import { Downloads } from './run/downloads.js';
import { type RunBrowserEvent, RunEvents, type TabInfo } from './run/events.js';
import { Network } from './run/network.js';
import { type Located, Observer } from './run/observer.js';
import { Camera, PageSessions } from './run/recording.js';
import { Tabs } from './run/tabs.js';
import { UrlPolicy } from './run/url-policy.js';
import {
  focusedTarget,
  type StableSelector,
  type TargetResult,
  targetAtPoint,
} from './selectors/index.js';
import { captureBrowserState, type StoredBrowserState } from './storage-state.js';
import type { HostResolver } from './url-guard.js';

export { type BrowserProxy, installPageShims } from './run/context.js';
export type { DialogInfo, DownloadInfo, RunBrowserEvent, TabInfo } from './run/events.js';

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
  /** Default false: private and loopback addresses refused (the app passes config.egress). */
  allowPrivateNetworks?: boolean;
  /** The full egress policy for the agent's own URL checks (set by BrowserManager). */
  egress?: EgressPolicy;
  /** Resolver for the navigation policy's DNS check (tests replace it); the system's by default. */
  resolveHost?: HostResolver;
  /** What to do with alert/confirm/prompt dialogs. Default accept (prompts get their default). */
  dialogPolicy?: DialogPolicy;
  /** Per-attempt timeout of element actions, ms. Default 3000. */
  actionTimeoutMs?: number;
  /** Navigation timeout, ms. Default 30000. */
  navigationTimeoutMs?: number;
  /**
   * The longest an action waits for the page to load and the requests it started to finish,
   * ms (each of the executor's settle waits). Default 3000.
   */
  settleMaxMs?: number;
  /** Extra folders the agent may upload files from (the run folder is always allowed). */
  uploadDirs?: string[];
  /** Cookies and storage a fresh context starts from (a browser profile). */
  storageState?: StoredBrowserState | null;
  /**
   * The context is not behind Wren's egress proxy (a browser reached over CDP): downloads and
   * uploads by URL, which Playwright fetches from this process, go through an egress proxy of
   * their own (UrlPolicy.fetch) so each connection is pinned to a checked address.
   */
  pinFetches?: boolean;
}

/** A context made for a run before the run starts, with its first page (RunBrowser.prepare). */
export interface PreparedContext {
  context: BrowserContext;
  page: Page;
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

export class RunBrowser {
  readonly context: BrowserContext;
  readonly options: RunBrowserOptions;
  private readonly log = new RunEvents();
  private readonly health: CrashRecovery;
  private readonly network: Network;
  private readonly tabList: Tabs;
  private readonly observer: Observer;
  private readonly urls: UrlPolicy;
  private readonly downloads: Downloads;
  private readonly dialogs: Dialogs;
  private readonly sessions: PageSessions;
  private readonly camera: Camera;
  /** Whether the run is using the browser now (BrowserManager makes warm contexts when not). */
  readonly activity = new Activity();
  private computerImpl: ComputerPrimitives | null = null;
  private readonly closeHooks: (() => void)[] = [];
  private readonly beforeCloseHooks: (() => Promise<void>)[] = [];
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
    this.health = new CrashRecovery(this.log);
    this.network = new Network(context, this.log, Object.keys(options.extraHttpHeaders ?? {}));
    this.tabList = new Tabs(context, this.log, {
      closed: (page) => this.network.forgetPage(page),
      quiet: () => this.health.closed,
    });
    this.observer = new Observer(this);
    this.urls = new UrlPolicy(context, options, (text) => this.observer.expandUrl(text));
    this.downloads = new Downloads(path.join(options.runDir, 'downloads'), this.log, this.urls);
    this.dialogs = new Dialogs(this.log, options.dialogPolicy);
    this.sessions = new PageSessions(context);
    // The video's frames are taken while the run is idle: they do not count as use.
    this.camera = new Camera(
      this.sessions,
      () => this.workingTab(),
      () => this.health.closed,
    );
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
    if (last) run.tabList.setActive(last);
    else {
      const page = await context.newPage();
      run.adopt(page, false);
      run.tabList.setActive(page);
    }
    return run;
  }

  /**
   * A new context for a run with the page it starts on: what open() needs besides the run's
   * folder. Made ahead of time for a warm start (BrowserManager keeps one ready).
   */
  static async prepare(browser: Browser, options: RunBrowserOptions): Promise<PreparedContext> {
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
    try {
      context.setDefaultNavigationTimeout(options.navigationTimeoutMs ?? 30_000);
      await installPageShims(context);
      return { context, page: await context.newPage() };
    } catch (e) {
      await context.close().catch(() => {});
      throw e;
    }
  }

  /** A run in a new context (or in `prepared`, made by prepare() with the same options). */
  static async open(
    browser: Browser,
    options: RunBrowserOptions,
    prepared?: PreparedContext,
  ): Promise<RunBrowser> {
    if (!options.runDir) throw new BrowserError('invalid_action', 'runDir: required');
    await mkdir(path.join(options.runDir, 'downloads'), { recursive: true });
    const { context, page } = prepared ?? (await RunBrowser.prepare(browser, options));
    const run = new RunBrowser(browser, context, options);
    context.on('page', (p) => run.adopt(p, true));
    for (const p of context.pages()) run.adopt(p, false);
    run.tabList.setActive(page);
    return run;
  }

  /** Every watcher of a tab: its DevTools session, crashes, dialogs, downloads, closing. */
  private adopt(page: Page, fromContextEvent: boolean): void {
    if (this.tabList.has(page)) return;
    void this.sessions.get(page);
    this.detachers.push(
      this.health.watch(page),
      this.dialogs.watch(page),
      this.downloads.watch(page),
      this.tabList.adopt(page, fromContextEvent),
    );
  }

  // --- events and lifecycle

  /** Every event in order; actions report the slice that happened during them. */
  get events(): readonly RunBrowserEvent[] {
    return this.log.list;
  }

  /** Listen to side events (downloads, dialogs, tabs, crashes). Returns an unsubscribe. */
  on(listener: (e: RunBrowserEvent) => void): () => void {
    return this.log.on(listener);
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

  /** BrowserManager: the browser process `b` died; runs on it report it once. */
  browserDied(b: Browser): void {
    if (b === this.browser) this.health.browserDisconnected();
  }

  /** Fails with a typed error when the run can no longer drive its browser. */
  assertUsable(): void {
    this.health.assertUsable();
  }

  /** Replaces a crashed tab by a fresh one; returns the URL it showed, null when none crashed. */
  recoverFromCrash(): Promise<string | null> {
    return this.health.recover(this.tabList);
  }

  async close(): Promise<void> {
    if (this.health.closed) return;
    await this.downloads.settle().catch(() => {});
    for (const hook of this.beforeCloseHooks.splice(0)) await hook().catch(() => {});
    // Stops listening (an attached context outlives the run); the log itself is dropped.
    this.network.dropHar();
    this.health.markClosed();
    try {
      if (this.attached) {
        // The context outlives the run: let go of the screenshot sessions too.
        await this.sessions.detachAll();
        this.network.detach();
        for (const detach of this.detachers.splice(0)) detach();
        if (this.options.extraHttpHeaders)
          await this.context.setExtraHTTPHeaders({}).catch(() => {});
        await this.attached.release();
      } else {
        await this.context.close().catch(() => {});
      }
    } finally {
      await this.urls.close();
      for (const h of this.closeHooks) h();
    }
  }

  // --- network

  /** A point in the run's request sequence, for requestsSettled(). */
  requestMark(): number {
    return this.network.mark();
  }

  /** Whether a request started after `mark` is still in flight. */
  requestsPending(mark: number): boolean {
    return this.network.pending(mark);
  }

  /** Resolves once every request started after `mark` has finished, or after `timeoutMs`. */
  requestsSettled(mark: number, timeoutMs: number): Promise<void> {
    return this.network.settled(mark, timeoutMs);
  }

  /** A connection the egress proxy refused for this run: an event and a mark in the HAR. */
  noteBlocked(blocked: BlockedRequest): void {
    if (!this.health.closed) this.network.noteBlocked(blocked);
  }

  /** Starts the run's HAR (src/browser/har.ts); stopHar() returns the log (before close()). */
  startHar(options: HarOptions = {}): void {
    this.network.startHar(options);
  }

  /** The HAR recorded since startHar(), or null when none was started. */
  stopHar(): Promise<Har | null> {
    return this.network.stopHar();
  }

  // --- URL policy and downloads

  /** The URL an agent asked for (`@uN` aliases expanded), once it passes the navigation policy. */
  checkUrl(raw: string): Promise<string> {
    return this.urls.check(raw);
  }

  /** GET with the run's cookies, every redirect hop checked against the navigation policy. */
  fetchChecked(
    raw: string,
    options: { timeoutMs: number; maxRedirects: number },
  ): Promise<{ url: string; response: APIResponse }> {
    return this.urls.fetch(raw, options);
  }

  /** Fetches a URL with the run's cookies and records it as a download. */
  downloadUrl(raw: string): Promise<void> {
    return this.downloads.downloadUrl(raw);
  }

  /** Resolves when all downloads started so far are saved (or failed). */
  settleDownloads(): Promise<void> {
    return this.downloads.settle();
  }

  // --- tabs

  /** The tab the agent is working in. */
  page(): Page {
    this.activity.touch();
    return this.workingTab();
  }

  private workingTab(): Page {
    this.health.assertUsable();
    return this.tabList.page();
  }

  /** Open tabs; `activeTitle` spares a round trip when the caller already knows it. */
  tabs(activeTitle?: string): Promise<TabInfo[]> {
    return this.tabList.list(activeTitle);
  }

  /** Opens a tab the agent asked for and makes it the working tab. */
  newTab(): Promise<Page> {
    return this.tabList.newTab();
  }

  /** Only for actions: switch the working tab. */
  setActivePage(page: Page): void {
    this.tabList.setActive(page);
  }

  allPages(): Page[] {
    return this.tabList.all();
  }

  /** Wren's DevTools session on `page` (opened when the tab is adopted); null without CDP. */
  pageSession(page: Page): Promise<PageSession | null> {
    return this.sessions.get(page);
  }

  // --- observe and act

  goto(url: string): Promise<void> {
    return this.busyWith(async () => {
      const target = await this.urls.check(url);
      await this.page().goto(target, { waitUntil: 'domcontentloaded' });
    });
  }

  observe(options: ObserveOptions = {}): Promise<Observation> {
    return this.busyWith(() => this.observer.observe(options));
  }

  /** Runs one action; `options.settle` chooses how it waits for the page afterwards. */
  act(action: unknown, options: ExecuteOptions = {}): Promise<ActionResult> {
    return this.busyWith(() => executeAction(this, action, options));
  }

  /** Work on the page: no video frame is taken meanwhile, and the browser counts as in use. */
  private busyWith<T>(work: () => Promise<T>): Promise<T> {
    return this.activity.track(() => this.camera.busyWith(work));
  }

  /** The element registry behind observation ids. */
  get registry(): ElementRegistry {
    return this.observer.registry;
  }

  get latestObservation(): Observation | null {
    return this.observer.latest;
  }

  /** The live element behind an observation id, or a typed error. */
  element(id: number): Promise<ElementHandle<Element>> {
    return this.observer.element(id);
  }

  /** A stable selector (src/browser/selectors) for the element behind an observation id. */
  /**
   * The element `selector` names, as an observation id, found by Wren's in-page matcher
   * (Observer.locate): `{ id }` for exactly one match within `timeoutMs`, `{ count }` otherwise,
   * null for syntax only Playwright reads.
   */
  locate(selector: string, timeoutMs: number): Promise<Located> {
    return this.activity.track(() => this.observer.locate(selector, timeoutMs));
  }

  selectorFor(id: number): Promise<StableSelector> {
    return this.observer.selectorFor(id);
  }

  /**
   * The element a coordinate action at `point` (viewport CSS pixels) works on, with its stable
   * selector; why there is none (canvas, frame, nothing interactive) otherwise.
   */
  elementAt(point: Point): Promise<TargetResult> {
    return this.activity.track(() => targetAtPoint(this.page(), point));
  }

  /** The focused element (where typing goes), with its stable selector. */
  focusedElement(): Promise<TargetResult> {
    return this.activity.track(() => focusedTarget(this.page()));
  }

  /** Runs `fn(element, arg)` in the element's frame, found by observation id (no handle). */
  evaluateOn<R, A>(id: number, fn: (e: Element, arg: A) => R | Promise<R>, arg: A): Promise<R> {
    return this.observer.evaluateOn(id, fn, arg);
  }

  // --- pictures and computer use

  /** A JPEG of the working tab's viewport, for people (run timelines). */
  viewportJpeg(quality = 75, timeoutMs = 10_000): Promise<Buffer> {
    return this.activity.track(() => this.camera.viewportJpeg(quality, timeoutMs));
  }

  /** A PNG of the working tab's viewport (a run's final screenshot). */
  viewportPng(): Promise<Buffer> {
    return this.activity.track(() => this.camera.viewportPng());
  }

  /** The run's video; null when ffmpeg is missing (logged). */
  startRecording(options: RecorderOptions): Promise<Recording | null> {
    return this.camera.startRecording(options);
  }

  /** Coordinate-level primitives on the working tab (computer-use engines). */
  computer(): ComputerPrimitives {
    this.computerImpl ??= trackedCalls(this.activity, new PageComputer(this));
    return this.computerImpl;
  }
}
