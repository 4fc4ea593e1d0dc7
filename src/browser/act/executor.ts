/**
 * Runs one action: validates it, snapshots the page, executes, lets the page settle (the requests
 * the action started, a rendered frame) and reports what changed.
 */
import type { Page } from 'playwright-core';
import { BrowserError, type BrowserErrorKind, errorMessage } from '../errors.js';
import { mutationCount } from '../observe/capture.js';
import type { NavigationMark, PageSession } from '../page-session.js';
import type { RunBrowser, RunBrowserEvent } from '../run-browser.js';
import { ACTIONS_BY_NAME, actionSchema } from './actions.js';
import type { ActionOutcome, ActionResult } from './types.js';

export type { ActionResult } from './types.js';

const SETTLE_MAX_MS = 3000;
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

/**
 * Lets the page settle after an action: a navigation the action started committed (raw mouse and
 * keyboard input do not wait for it themselves), its document loaded, the requests the action
 * started finished (3 s at most, including those a rendered frame started, e.g. an infinite list
 * loading more), downloads saved. Returns the active tab and its DOM mutation count, so the
 * effect check needs no extra round trip on single-frame pages. `waitForFrame: false` skips the
 * frame.
 */
async function settle(
  run: RunBrowser,
  requestMark: number,
  nav: NavigationWatch | null,
  waitForFrame = true,
): Promise<{ page: Page; mutations: number } | null> {
  let page: Page;
  try {
    page = run.page();
  } catch {
    return null;
  }
  const deadline = Date.now() + SETTLE_MAX_MS;
  await page.waitForLoadState('domcontentloaded', { timeout: SETTLE_MAX_MS }).catch(() => {});
  await run.requestsSettled(requestMark, deadline - Date.now());
  let main: number | null = null;
  if (waitForFrame) {
    // The frame wait is also the barrier after input: a navigation the input asked for has
    // been reported by the time the page answers. A reported request ends the wait early: the
    // new document is waited for below.
    const stopListening = new AbortController();
    const requested = nav?.session
      .navigationRequested(nav.mark, stopListening.signal)
      .then(() => null);
    main = await Promise.race(
      requested ? [afterNextFrame(page), requested] : [afterNextFrame(page)],
    );
    stopListening.abort();
  }
  if (nav && nav.page === page && nav.session.navigationPending(nav.mark)) {
    await nav.session.navigationSettled(
      nav.mark,
      run.options.navigationTimeoutMs ?? NAVIGATION_TIMEOUT_MS,
    );
    try {
      page = run.page();
    } catch {
      return null;
    }
    await page.waitForLoadState('domcontentloaded', { timeout: SETTLE_MAX_MS }).catch(() => {});
    await run.requestsSettled(requestMark, SETTLE_MAX_MS);
    // A new document: its scripts' first frame has run after one frame; the effect is the
    // navigation itself, so no second frame is needed to compare mutations.
    if (waitForFrame) main = await afterNextFrame(page, 1);
  } else if (waitForFrame) {
    if (run.requestsPending(requestMark)) {
      await run.requestsSettled(requestMark, deadline - Date.now());
      main = await afterNextFrame(page);
    }
  }
  await run.settleDownloads();
  if (main === null || page.frames().length > 1) {
    return { page, mutations: await mutationCount(page) };
  }
  return { page, mutations: main };
}

export async function executeAction(run: RunBrowser, input: unknown): Promise<ActionResult> {
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

  let page: ReturnType<RunBrowser['page']> | null = null;
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
  const [mutationsBefore, session] = page
    ? await Promise.all([mutationCount(page), run.pageSession(page)])
    : [0, null];
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
  let settled = await settle(run, requestMark, nav, !outcome.valueOnly);
  if (!error && outcome.expectEffect && run.events.length === eventsBefore) {
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
  const effects: ActionResult['effects'] = {
    urlBefore,
    urlAfter,
    navigated: urlAfter !== urlBefore,
    domChanged: mutationsAfter !== mutationsBefore,
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
