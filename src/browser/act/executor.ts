/**
 * Runs one action: validates it, snapshots the page, executes, lets the page settle (the requests
 * the action started, a rendered frame) and reports what changed.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { BrowserError, type BrowserErrorKind, errorMessage } from '../errors.js';
import { mutationCount } from '../observe/capture.js';
import type { NavigationMark, PageSession } from '../page-session.js';
import type { RunBrowserEvent } from '../run/events.js';
import { ACTIONS_BY_NAME, actionSchema } from './actions/index.js';
import { markActivity, type SettleReport, waitForQuiet } from './page-activity.js';
import type { ActionHost, ActionOutcome, ActionResult } from './types.js';

export type { ActionResult } from './types.js';

/**
 * What running an action needs from the run's browser besides what the action itself uses: the
 * event log, request tracking and downloads. RunBrowser is one; the executor does not import it,
 * so run-browser.ts imports the executor without a cycle.
 */
export interface ExecutorHost extends ActionHost {
  readonly options: ActionHost['options'] & {
    readonly navigationTimeoutMs?: number;
    readonly settleMaxMs?: number;
  };
  readonly context: BrowserContext;
  /** What happened in the run's browser (downloads, dialogs, tabs …), in order. */
  readonly events: readonly RunBrowserEvent[];
  /** A mark for the requests started from now on. */
  requestMark(): number;
  requestsPending(mark: number): boolean;
  /** Until the requests started since `mark` finished, `timeoutMs` at most. */
  requestsSettled(mark: number, timeoutMs: number): Promise<void>;
  /** Until the downloads in progress are saved. */
  settleDownloads(): Promise<void>;
}

/**
 * How an action waits for the page afterwards. `quiet` (the agent's): until what the action
 * started has played out (settle below). `navigation` (a replayed script, which waits for the
 * page state its next step expects itself): one rendered frame as the barrier after input, and a
 * navigation the input asked for committed and its document loaded; no quiet-DOM wait, no
 * request wait, no new-tab grace.
 */
export type SettleMode = 'quiet' | 'navigation';

export interface ExecuteOptions {
  settle?: SettleMode;
  /**
   * The main frame's DOM mutation count the caller read right before (a replay's locate): on a
   * page with one frame it is the action's before-snapshot, and the round trip of reading it
   * again is saved.
   */
  mutationsBefore?: number;
}

const SETTLE_MAX_MS = 3000;
const settleMax = (run: ExecutorHost) => run.options.settleMaxMs ?? SETTLE_MAX_MS;
/** The wait for what an action's handlers scheduled (timers, requests, a quiet DOM). */
const QUIET_MAX_MS = 1500;
const POPUP_GRACE_MS = 400;
const POPUP_OPEN_MS = 5_000;
const NAVIGATION_TIMEOUT_MS = 30_000;

function kindOf(e: unknown): BrowserErrorKind {
  if (e instanceof BrowserError) return e.kind;
  const msg = errorMessage(e);
  if (e instanceof Error && e.name === 'TimeoutError') {
    return /not visible|not enabled|not stable|outside of the viewport|intercepts/.test(e.message)
      ? 'element_not_interactable'
      : 'timeout';
  }
  if (/not attached to the DOM|Element is detached|stale/i.test(msg)) return 'element_stale';
  if (/net::ERR_|NS_ERROR|navigation/i.test(msg)) return 'navigation_failed';
  if (/Target page, context or browser has been closed|Target closed/i.test(msg)) return 'closed';
  return 'action_failed';
}

/**
 * Mutation counter of the page's main frame after `frames` rendered frames (null: page gone).
 * Two frames: everything the first frame ran (timers, intersection observers that start loading
 * more) has happened.
 */
async function afterNextFrame(page: Page, frames: 1 | 2 = 2): Promise<number | null> {
  return page
    .evaluate(
      (frames) =>
        new Promise<number>((resolve) => {
          const done = () =>
            resolve(
              (window as unknown as { __wrenObs?: { mutations: number } }).__wrenObs?.mutations ??
                0,
            );
          // Hidden tabs get no frames; the timer ends the wait there.
          const fallback = setTimeout(done, 100);
          const last = () => {
            clearTimeout(fallback);
            done();
          };
          requestAnimationFrame(() => (frames === 2 ? requestAnimationFrame(last) : last()));
        }),
      frames,
    )
    .catch(() => null);
}

/** The tab an action started in, with its navigation counters then. */
interface NavigationWatch {
  page: Page;
  session: PageSession;
  mark: NavigationMark;
}

interface Settled {
  page: Page;
  /** DOM mutation count over the tab's frames. */
  mutations: number;
  /** Main-frame mutation count (null when unknown). */
  mainMutations: number | null;
  /** New visible controls appeared in the main frame (null when unknown: no tracker). */
  fresh: boolean | null;
  /** Nothing the action started was still pending when the wait ended. */
  quiet: boolean;
}

/** The run's active tab, or null when it is gone. */
function activePage(run: ExecutorHost): Page | null {
  try {
    return run.page();
  } catch {
    return null;
  }
}

/** `wait`, ended early (null) when the tab reports a navigation request since the action began. */
async function untilNavigationRequested<T>(
  nav: NavigationWatch | null,
  wait: Promise<T>,
): Promise<T | null> {
  const stopListening = new AbortController();
  const requested = nav?.session
    .navigationRequested(nav.mark, stopListening.signal)
    .then(() => null);
  try {
    return await Promise.race(requested ? [wait, requested] : [wait]);
  } finally {
    stopListening.abort();
  }
}

/**
 * Until the navigation the action started in `page` has committed and its document loaded: the
 * active tab then, or null when it is gone. `undefined` when no navigation is pending there.
 */
async function followNavigation(
  run: ExecutorHost,
  nav: NavigationWatch | null,
  page: Page,
): Promise<Page | null | undefined> {
  if (!nav || nav.page !== page || !nav.session.navigationPending(nav.mark)) return undefined;
  await nav.session.navigationSettled(
    nav.mark,
    run.options.navigationTimeoutMs ?? NAVIGATION_TIMEOUT_MS,
  );
  const next = activePage(run);
  if (!next) return null;
  await next.waitForLoadState('domcontentloaded', { timeout: settleMax(run) }).catch(() => {});
  return next;
}

/**
 * Lets the page settle after an action: a navigation the action started committed (raw mouse and
 * keyboard input do not wait for it themselves), its document loaded, the requests the action
 * started finished (3 s at most, including those a rendered frame started, e.g. an infinite list
 * loading more), downloads saved, and what the action's handlers scheduled played out
 * (page-activity.ts: timers due within 500 ms, fetch/XHR, a quiet DOM; 1.5 s at most). Returns
 * the active tab with its DOM mutation count and whether new controls appeared, so the effect
 * check needs no extra round trip on single-frame pages. `valueOnly` (a filled value read back)
 * skips the frames and the quiet DOM: only timers and requests the input scheduled are awaited.
 */
async function settle(
  run: ExecutorHost,
  requestMark: number,
  nav: NavigationWatch | null,
  valueOnly = false,
): Promise<Settled | null> {
  let page = activePage(run);
  if (!page) return null;
  const deadline = Date.now() + settleMax(run);
  const quietDeadline = Date.now() + QUIET_MAX_MS;
  await page.waitForLoadState('domcontentloaded', { timeout: settleMax(run) }).catch(() => {});
  await run.requestsSettled(requestMark, deadline - Date.now());
  let report: SettleReport | null = null;
  let main: number | null = null;
  let navigated = false;
  // The quiet wait is also the barrier after input: a navigation the input asked for has been
  // reported by the time the page answers. A reported request ends the wait early: the new
  // document is waited for below.
  const before = page;
  const quiet = waitForQuiet(before, QUIET_MAX_MS, !valueOnly, !valueOnly).then((r) =>
    r === null && !valueOnly ? afterNextFrame(before).then(() => null) : r,
  );
  report = await untilNavigationRequested(nav, quiet);
  const followed = await followNavigation(run, nav, page);
  if (followed === null) return null;
  if (followed) {
    navigated = true;
    report = null;
    page = followed;
    await run.requestsSettled(requestMark, settleMax(run));
    // A new document: its scripts' first frame has run after one frame; the effect is the
    // navigation itself, so no second frame is needed to compare mutations.
    if (!valueOnly) main = await afterNextFrame(page, 1);
  } else {
    // Requests the page started (also from a timer that fired meanwhile) and what their
    // answers render.
    while (run.requestsPending(requestMark) && Date.now() < quietDeadline) {
      await run.requestsSettled(requestMark, Math.min(deadline, quietDeadline) - Date.now());
      report =
        (await waitForQuiet(page, Math.max(0, quietDeadline - Date.now()), true, true)) ?? report;
    }
    main = report?.mutations ?? null;
  }
  await run.settleDownloads();
  const done = { page, mainMutations: main, quiet: navigated || (report?.pending ?? 0) === 0 };
  const fresh = report ? report.fresh > 0 : null;
  if (main === null || page.frames().length > 1) {
    return { ...done, fresh, mutations: await mutationCount(page) };
  }
  return { ...done, fresh, mutations: main };
}

/** The main frame's DOM mutation count, read without waiting for a frame; null on failure. */
function mainFrameMutations(page: Page): Promise<number | null> {
  return page
    .evaluate(
      () => (window as unknown as { __wrenObs?: { mutations: number } }).__wrenObs?.mutations ?? 0,
    )
    .catch(() => null);
}

/**
 * The `navigation` settle mode: one rendered frame (a navigation the input asked for has been
 * reported by then), and when one was, its commit and loaded document. Nothing else is waited
 * for; `quiet` says so unless the action navigated. A value set in place (`valueOnly`: a fill, a
 * native select) has no frame to wait for, as in the quiet mode: one round trip is the barrier
 * (a change handler that navigates asked for it before the page answers).
 */
async function settleNavigation(
  run: ExecutorHost,
  nav: NavigationWatch | null,
  valueOnly: boolean,
): Promise<Settled | null> {
  let page = activePage(run);
  if (!page) return null;
  const main = await untilNavigationRequested(
    nav,
    valueOnly ? mainFrameMutations(page) : afterNextFrame(page, 1),
  );
  const followed = await followNavigation(run, nav, page);
  if (followed === null) return null;
  const navigated = followed !== undefined;
  if (followed) page = followed;
  await run.settleDownloads();
  return {
    page,
    mainMutations: null,
    fresh: null,
    quiet: navigated,
    // The frame's answer carries the main frame's count: on a one-frame page that did not
    // navigate it is the total, and the round trip of counting again is saved.
    mutations:
      !navigated && main !== null && page.frames().length === 1 ? main : await mutationCount(page),
  };
}

/**
 * Whether the action made new controls appear (docs/engines.md, batch rules): a visible control
 * no observation has listed, in what the action added or changed; or any change inside a child
 * frame (not inspected); or, without the page tracker, any DOM change.
 */
function newElementsAppeared(
  settled: Settled | null,
  totalBefore: number,
  mainBefore: number | null,
): boolean {
  if (!settled || settled.fresh === null || mainBefore === null) return true;
  if (settled.fresh) return true;
  const main = settled.mainMutations;
  if (main === null) return true;
  return settled.mutations - main !== totalBefore - mainBefore;
}

export async function executeAction(
  run: ExecutorHost,
  input: unknown,
  options: ExecuteOptions = {},
): Promise<ActionResult> {
  const navigationOnly = options.settle === 'navigation';
  const started = performance.now();
  const name =
    typeof input === 'object' && input !== null && 'type' in input
      ? String((input as { type: unknown }).type)
      : '';
  const emptyEffects = (url: string): ActionResult['effects'] => ({
    urlBefore: url,
    urlAfter: url,
    navigated: false,
    domChanged: false,
    newElements: false,
    settled: true,
    newTabs: [],
    tabChanged: false,
    dialogs: [],
    downloads: [],
  });
  const parsed = actionSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'type';
    return {
      ok: false,
      action: name,
      error: {
        kind: 'invalid_action',
        message: `${where}: ${issue?.message ?? 'invalid action'}${
          ACTIONS_BY_NAME.has(name)
            ? ''
            : ` (known actions: ${[...ACTIONS_BY_NAME.keys()].join(', ')})`
        }`,
      },
      effects: emptyEffects(''),
      durationMs: performance.now() - started,
    };
  }
  const action = parsed.data;
  const def = ACTIONS_BY_NAME.get(action.type)!;

  let page: Page | null = null;
  try {
    page = run.page();
  } catch (e) {
    if (!(action.type === 'goto' || action.type === 'reload' || action.type === 'new_tab')) {
      return {
        ok: false,
        action: action.type,
        error: { kind: kindOf(e), message: errorMessage(e) },
        effects: emptyEffects(''),
        durationMs: performance.now() - started,
      };
    }
  }
  const urlBefore = page?.url() ?? '';
  const knownBefore =
    page && options.mutationsBefore !== undefined && page.frames().length === 1
      ? options.mutationsBefore
      : null;
  const [mutationsBefore, session, mainBefore] = page
    ? await Promise.all([
        knownBefore ?? mutationCount(page),
        run.pageSession(page),
        navigationOnly ? null : markActivity(page),
      ])
    : [0, null, null];
  const nav = page && session ? { page, session, mark: session.mark() } : null;
  const eventsBefore = run.events.length;
  const requestMark = run.requestMark();
  const pagesBefore = run.allPages().length;

  let outcome: ActionOutcome = {};
  let error: ActionResult['error'];
  try {
    outcome = await def.execute(run, action);
  } catch (e) {
    error = { kind: kindOf(e), message: errorMessage(e) };
  }
  let settled = navigationOnly
    ? await settleNavigation(run, nav, outcome.valueOnly === true)
    : await settle(run, requestMark, nav, outcome.valueOnly === true);
  if (!error && !navigationOnly && outcome.expectEffect && run.events.length === eventsBefore) {
    // New tabs attach a moment after the click that opened them; give quiet clicks a short grace.
    const stillQuiet =
      run.allPages().length === pagesBefore &&
      page !== null &&
      settled?.page === page &&
      page.url() === urlBefore &&
      settled.mutations === mutationsBefore;
    if (stillQuiet) {
      // A link that asked for a new tab gets the time the tab needs to open; any other quiet
      // click a short grace (window.open from a handler is not announced beforehand).
      const asked = nav?.session.popupRequested(nav.mark) ?? false;
      await run.context
        .waitForEvent('page', { timeout: asked ? POPUP_OPEN_MS : POPUP_GRACE_MS })
        .catch(() => {});
      settled = await settle(run, requestMark, nav);
    }
  }

  const events = run.events.slice(eventsBefore);
  const of = <T extends RunBrowserEvent['type']>(t: T) =>
    events.filter((e): e is Extract<RunBrowserEvent, { type: T }> => e.type === t);
  let pageAfter: typeof page = null;
  try {
    pageAfter = run.page();
  } catch {
    pageAfter = null;
  }
  const urlAfter = pageAfter?.url() ?? '';
  const samePage = pageAfter === page;
  let mutationsAfter = mutationsBefore;
  if (pageAfter && samePage) {
    mutationsAfter =
      settled?.page === pageAfter ? settled.mutations : await mutationCount(pageAfter);
  }
  const crash = of('crash')[0];
  if (!error && crash) error = { kind: 'page_crashed', message: `the page crashed (${crash.url})` };
  const domChanged = mutationsAfter !== mutationsBefore;
  const effects: ActionResult['effects'] = {
    urlBefore,
    urlAfter,
    navigated: urlAfter !== urlBefore,
    domChanged,
    newElements:
      domChanged && samePage && newElementsAppeared(settled, mutationsBefore, mainBefore),
    settled: settled?.quiet ?? true,
    newTabs: of('tab_opened').map((e) => e.tab),
    tabChanged: !samePage,
    dialogs: of('dialog').map((e) => e.dialog),
    downloads: of('download').map((e) => e.download),
  };
  const result: ActionResult = {
    ok: !error,
    action: action.type,
    effects,
    durationMs: performance.now() - started,
  };
  if (error) result.error = error;
  if (outcome.detail) result.detail = outcome.detail;
  if (outcome.value !== undefined) result.value = outcome.value;
  let warning = outcome.warning;
  const anyEffect =
    effects.navigated ||
    effects.domChanged ||
    effects.tabChanged ||
    effects.newTabs.length > 0 ||
    effects.dialogs.length > 0 ||
    effects.downloads.length > 0;
  if (!error && outcome.expectEffect && !anyEffect) {
    warning = warning ?? 'no visible effect: the page did not change';
  }
  if (warning) result.warning = warning;
  return result;
}
