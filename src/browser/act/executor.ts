/**
 * Runs one action: validates it, snapshots the page, executes, lets the page settle (in-flight
 * requests, two animation frames) and reports what changed.
 */
import type { Request, Response } from 'playwright-core';
import { BrowserError, type BrowserErrorKind, errorMessage } from '../errors.js';
import { mutationCount } from '../observe/capture.js';
import type { RunBrowser, RunBrowserEvent } from '../run-browser.js';
import { ACTIONS_BY_NAME, actionSchema } from './actions.js';
import type { ActionOutcome, ActionResult } from './types.js';

export type { ActionResult } from './types.js';

const SETTLE_MAX_MS = 3000;
const POPUP_GRACE_MS = 400;
const LONG_LIVED = new Set(['eventsource', 'websocket', 'media']);

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

async function settle(run: RunBrowser, inflight: Set<Request>): Promise<void> {
  let page: ReturnType<RunBrowser['page']>;
  try {
    page = run.page();
  } catch {
    return;
  }
  const deadline = Date.now() + SETTLE_MAX_MS;
  await page.waitForLoadState('domcontentloaded', { timeout: SETTLE_MAX_MS }).catch(() => {});
  while (inflight.size > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  await page
    .evaluate(
      () => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
    )
    .catch(() => {});
  await run.settleDownloads();
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
  const mutationsBefore = page ? await mutationCount(page) : 0;
  const eventsBefore = run.events.length;
  const inflight = new Set<Request>();
  const watched = run.allPages();
  const onReq = (r: Request) => {
    // Long-lived streams never finish; they must not hold the settle.
    if (!LONG_LIVED.has(r.resourceType())) inflight.add(r);
  };
  const onDone = (r: Request) => inflight.delete(r);
  // Out-of-process frames may never report requestfinished; a response is enough to move on.
  const onResponse = (r: Response) => inflight.delete(r.request());
  for (const p of watched) {
    p.on('request', onReq);
    p.on('requestfinished', onDone);
    p.on('requestfailed', onDone);
    p.on('response', onResponse);
  }

  let outcome: ActionOutcome = {};
  let error: ActionResult['error'];
  try {
    outcome = await def.execute(run, action);
  } catch (e) {
    error = { kind: kindOf(e), message: errorMessage(e) };
  }
  await settle(run, inflight);
  if (!error && outcome.expectEffect && run.events.length === eventsBefore) {
    // New tabs attach a moment after the click that opened them; give quiet clicks a short grace.
    const stillQuiet =
      run.allPages().length === watched.length &&
      page !== null &&
      page.url() === urlBefore &&
      (await mutationCount(page)) === mutationsBefore;
    if (stillQuiet) {
      await run.context.waitForEvent('page', { timeout: POPUP_GRACE_MS }).catch(() => {});
      await settle(run, inflight);
    }
  }
  for (const p of watched) {
    p.off('request', onReq);
    p.off('requestfinished', onDone);
    p.off('requestfailed', onDone);
    p.off('response', onResponse);
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
  const mutationsAfter = pageAfter && samePage ? await mutationCount(pageAfter) : mutationsBefore;
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
