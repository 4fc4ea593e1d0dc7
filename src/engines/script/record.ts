/**
 * Recording a DOM engine's run for code mode (docs/code-mode.md): before each action the element's
 * stable selector is built (src/browser/selectors: role + name first, CSS last, unique on the page
 * at that moment), after it the URL it led to; when the run completes with a schema, the rules
 * that read each output value off the final page.
 */
import type { Page } from 'playwright-core';
import type { Action, RunBrowser } from '../../browser/index.js';
import {
  type ExtractionRule,
  inferList,
  readOutput,
  SNAPSHOT_ATTRS,
  snapshotInPage,
  type TrajectoryEntry,
} from '../../scripts/index.js';
import type { AgentActionOutcome } from '../ports.js';

/** What a recorded run hands the worker for compiling. */
export interface RecordedRun {
  trajectory: TrajectoryEntry[];
  finalUrl: string;
  /** null when some output value could not be tied to an element (the extractor is used). */
  extraction: ExtractionRule[] | null;
  /** Why `extraction` is null, for the script's comment. */
  extractionNote?: string;
}

interface Pending {
  selector: string | null;
  element: { role: string; name: string } | null;
  /** The active tab before the action (an action that opened one leaves the run in it). */
  tab?: unknown;
  /** The tabs open before the action (a tab not among them after it was opened by it). */
  pages?: readonly unknown[];
  /**
   * goto, new_tab, download of a URL: the URL as it ran (`@uN` link aliases of the observation
   * expanded: a script replays without that observation).
   */
  url?: string;
  /** upload_file: the files as they ran (link aliases expanded the same way). */
  files?: string[];
  /** drag_and_drop: the drop target. */
  target?: { selector: string | null; element: { role: string; name: string } | null };
}

/** `work`'s value, or null when it fails or takes longer than `ms`. */
export const within = <T>(work: Promise<T>, ms: number): Promise<T | null> =>
  Promise.race([
    work.catch(() => null),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), ms).unref()),
  ]);

function entryFields(
  action: Action,
): Omit<TrajectoryEntry, 'selector' | 'element' | 'ok' | 'navigated' | 'urlAfter'> {
  switch (action.type) {
    case 'click':
      return {
        type: 'click',
        ...(action.button === 'left' || action.button === 'right' ? { button: action.button } : {}),
        ...(action.count === 2 ? { double: true } : {}),
      };
    case 'double_click':
      return { type: 'click', double: true };
    case 'right_click':
      return { type: 'click', button: 'right' };
    case 'input_text':
      return {
        type: 'input_text',
        text: action.text,
        ...(action.submit ? { submit: true } : {}),
        ...(action.mode === 'type' ? { typed: true } : {}),
      };
    case 'select_option':
      return {
        type: 'select_option',
        labels: [
          action.label ??
            action.value ??
            (action.index === undefined ? undefined : String(action.index)),
          ...(action.labels ?? []),
          ...(action.values ?? []),
        ].filter((l): l is string => l !== undefined),
      };
    case 'set_checked':
      return { type: 'set_checked', checked: action.checked };
    case 'hover':
      return { type: 'hover' };
    case 'keypress':
      return { type: 'keypress', keys: action.keys };
    case 'enter_code':
      return { type: 'enter_code' };
    case 'goto':
      return { type: 'goto', url: action.url };
    case 'upload_file':
      return { type: 'upload', files: [...action.files] };
    case 'drag_and_drop':
      return { type: 'drag' };
    case 'download':
      // A download by its link or button replays as a click that waits for the file; one of a
      // URL as a step of its own (before() expands the observation's link aliases).
      return action.id === undefined
        ? { type: 'download', url: action.url ?? '' }
        : { type: 'click', download: true };
    case 'new_tab':
      return { type: 'new_tab', ...(action.url ? { url: action.url } : {}) };
    case 'back':
      return { type: 'back' };
    case 'reload':
      return { type: 'reload' };
    case 'switch_tab':
      return { type: 'switch_tab' };
    case 'close_tab':
      // Closing another tab than the current one has no script form (tabs are found by URL);
      // after() tells an index that is the current tab.
      return action.tab === undefined ? { type: 'close_tab' } : { type: 'other' };
    case 'scroll':
    case 'wait':
      // Playwright scrolls to elements and the script waits for page states itself.
      return { type: 'other', text: 'skip' };
    default:
      return { type: 'other' };
  }
}

export class TrajectoryRecorder {
  readonly entries: TrajectoryEntry[] = [];

  constructor(private readonly browser: RunBrowser) {}

  /** Call right before executing `action` (a click may navigate away from its element). */
  async before(action: Action): Promise<Pending> {
    const obs = this.browser.latestObservation;
    const expand = (url: string) => (obs ? obs.expandUrls(url) : url);
    const url =
      (action.type === 'goto' || action.type === 'new_tab' || action.type === 'download') &&
      action.url !== undefined
        ? expand(action.url)
        : undefined;
    return {
      ...(await this.targetsOf(action)),
      ...(url !== undefined ? { url } : {}),
      ...(action.type === 'upload_file' ? { files: action.files.map(expand) } : {}),
      tab: this.activeTab(),
      pages: this.browser.allPages(),
    };
  }

  /** The page the run works in, if any (compared after the action: a click may open a tab). */
  private activeTab(): unknown {
    try {
      return this.browser.page();
    } catch {
      return null;
    }
  }

  private async targetsOf(action: Action): Promise<Pending> {
    if (action.type === 'drag_and_drop') {
      const [from, to] = await Promise.all([
        this.elementAt(action.from),
        this.elementAt(action.to),
      ]);
      return { ...from, target: to };
    }
    const id = 'id' in action && action.id !== undefined ? action.id : Number.NaN;
    return this.elementAt(id);
  }

  private async elementAt(id: number): Promise<Pending> {
    if (!Number.isFinite(id)) return { selector: null, element: null };
    const info = this.browser.latestObservation?.elements.get(id);
    const built = await within(this.browser.selectorFor(id), 5_000);
    return {
      selector: built?.selector ?? null,
      element: info ? { role: info.role, name: info.name } : null,
    };
  }

  async after(action: Action, pending: Pending, outcome: AgentActionOutcome): Promise<void> {
    let fields = entryFields(action);
    if (fields.type === 'other' && fields.text === 'skip') return;
    // Closing a tab by its index is closing the current one when that index was the active tab.
    if (
      action.type === 'close_tab' &&
      action.tab !== undefined &&
      pending.tab &&
      pending.pages?.[action.tab] === pending.tab
    )
      fields = { type: 'close_tab' };
    let urlAfter = '';
    let title: string | null = null;
    let tabChanged = false;
    let tabOpened = false;
    try {
      const page = this.browser.page();
      urlAfter = page.url();
      tabChanged = pending.tab !== undefined && pending.tab !== null && pending.tab !== page;
      tabOpened = tabChanged && pending.pages !== undefined && !pending.pages.includes(page);
      if (fields.type === 'switch_tab' || tabChanged) title = await within(page.title(), 2_000);
    } catch {
      // no page: the next action fails anyway
    }
    this.entries.push({
      ...fields,
      ...(pending.url !== undefined ? { url: pending.url } : {}),
      ...(pending.files !== undefined ? { files: pending.files } : {}),
      ...(title ? { title } : {}),
      ...(tabChanged ? { tabChanged: true } : {}),
      ...(tabOpened ? { tabOpened: true } : {}),
      ...(outcome.effects.download ? { download: true } : {}),
      ...(pending.target
        ? { target: pending.target.selector, targetElement: pending.target.element }
        : {}),
      selector: pending.selector,
      element: pending.element,
      ok: outcome.ok,
      navigated: outcome.effects.navigated,
      urlAfter,
    });
  }

  /** Called once the run completed, on the final page, before the browser closes. */
  async finish(output: unknown, schema: unknown): Promise<RecordedRun> {
    let page: Page | null = null;
    try {
      page = this.browser.page();
    } catch {
      // no page: the script falls back to the extractor
    }
    return recordedRun(this.entries, page?.url() ?? '', output, schema, page);
  }
}

/**
 * What a recorder hands over at the end (both the DOM and the computer-use one): its trajectory,
 * and, when the run has a schema, the rules that read each output value off the final page.
 */
export async function recordedRun(
  trajectory: TrajectoryEntry[],
  finalUrl: string,
  output: unknown,
  schema: unknown,
  page: Page | null,
): Promise<RecordedRun> {
  if (schema === null || schema === undefined) return { trajectory, finalUrl, extraction: null };
  if (!page) return { trajectory, finalUrl, extraction: null, extractionNote: 'no page was open' };
  const found = await within(extractionRules(page, output), 10_000);
  if (!found)
    return {
      trajectory,
      finalUrl,
      extraction: null,
      extractionNote: 'the page could not be read in time',
    };
  return 'rules' in found
    ? { trajectory, finalUrl, extraction: found.rules }
    : { trajectory, finalUrl, extraction: null, extractionNote: found.reason };
}

/** A leaf of the output, or a list (an array: read as one repeated structure). */
type Leaf = { path: (string | number)[]; value: unknown; list?: true };

function leaves(value: unknown, path: (string | number)[] = []): Leaf[] {
  if (Array.isArray(value)) return [{ path, value, list: true }];
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [{ path, value }];
}

interface Found {
  selector: string;
  before?: string;
  after?: string;
  numberIndex?: number;
}

/** In the page: for each wanted text or number, a structural selector and where it sits. */
function findInPage(wanted: { text?: string; number?: number }[]): (Found | null)[] {
  const norm = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();
  const numbers = (s: string) =>
    [...s.matchAll(/-?\d[\d,]*(?:\.\d+)?/g)].map((m) => Number(m[0].replace(/,/g, '')));
  const all = [...document.body.querySelectorAll('*')].filter(
    (e) => !['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(e.tagName),
  );
  const unique = (sel: string) => {
    try {
      return document.querySelectorAll(sel).length === 1;
    } catch {
      return false;
    }
  };
  const ident = /^[A-Za-z_][A-Za-z0-9_-]*$/;
  const selectorOf = (el: Element): string => {
    const tag = el.tagName.toLowerCase();
    if (unique(tag)) return tag;
    for (const c of el.classList) if (ident.test(c) && unique(`${tag}.${c}`)) return `${tag}.${c}`;
    if (el.id && ident.test(el.id) && unique(`#${el.id}`)) return `#${el.id}`;
    const steps: string[] = [];
    let cur: Element | null = el;
    while (cur && cur !== document.body) {
      const parent: Element | null = cur.parentElement;
      if (!parent) break;
      const t = cur.tagName.toLowerCase();
      const same = [...parent.children].filter((c) => c.tagName === cur!.tagName);
      steps.unshift(same.length > 1 ? `${t}:nth-of-type(${same.indexOf(cur) + 1})` : t);
      cur = parent;
    }
    return `body > ${steps.join(' > ')}`;
  };
  return wanted.map((w) => {
    let best: { el: Element; text: string } | null = null;
    for (const el of all) {
      const text = norm(el.textContent);
      if (!text) continue;
      const fits =
        w.text !== undefined
          ? text.includes(w.text)
          : w.number !== undefined && numbers(text).includes(w.number);
      if (fits && (!best || text.length < best.text.length)) best = { el, text };
    }
    if (!best) return null;
    const selector = selectorOf(best.el);
    if (w.text !== undefined) {
      const at = best.text.indexOf(w.text);
      return {
        selector,
        before: best.text.slice(0, at),
        after: best.text.slice(at + w.text.length),
      };
    }
    return { selector, numberIndex: numbers(best.text).indexOf(w.number as number) };
  });
}

/** The output built from `rules` on `page`, or null when an element is missing. */
export function readWithRules(page: Page, rules: readonly ExtractionRule[]): Promise<unknown> {
  return readOutput((fn, arg) => page.evaluate(fn as never, arg) as never, rules);
}

export type Extraction = { rules: ExtractionRule[] } | { reason: string };

const SNAPSHOT_MAX_ELEMENTS = 30_000;

/**
 * Rules that read `output` off the page now, checked by reading it back (else why not): a leaf
 * from the element holding its text, a list from its items' repeated structure
 * (src/scripts/list.ts, inferred from a snapshot of the page).
 */
export async function extractionRules(page: Page, output: unknown): Promise<Extraction> {
  const ls = leaves(output);
  if (ls.length === 0) return { reason: 'the output has no value to read off the page' };
  const wanted = ls.map((l) =>
    l.list
      ? {}
      : typeof l.value === 'string' && l.value.trim()
        ? { text: l.value.trim() }
        : typeof l.value === 'number'
          ? { number: l.value }
          : {},
  );
  // The leaf search reads every element's text: only when some leaf has a value to look for.
  const [found, snapshot] = await Promise.all([
    wanted.some((w) => w.text !== undefined || w.number !== undefined)
      ? page.evaluate(findInPage, wanted)
      : [],
    ls.some((l) => l.list)
      ? page.evaluate(snapshotInPage, {
          attrs: SNAPSHOT_ATTRS,
          maxElements: SNAPSHOT_MAX_ELEMENTS,
        })
      : null,
  ]);
  const rules: ExtractionRule[] = [];
  for (const [i, l] of ls.entries()) {
    const f = found[i];
    const w = wanted[i]!;
    if (l.list && snapshot) {
      const label = l.path.length > 0 ? `the list ${l.path.join('.')}` : 'the list';
      const inferred = inferList(snapshot, l.value as unknown[]);
      if (!inferred.ok) return { reason: `${label}: ${inferred.reason}` };
      rules.push({
        path: l.path,
        selector: inferred.container,
        kind: 'list',
        list: inferred.rule,
      });
      continue;
    }
    if (w.text === undefined && w.number === undefined) {
      rules.push({
        path: l.path,
        selector: null,
        kind: l.value === null ? 'null' : typeof l.value === 'boolean' ? 'boolean' : 'string',
        constant: l.value,
      });
      continue;
    }
    if (!f) return { reason: `${JSON.stringify(l.value)} is not shown on the page as text` };
    rules.push(
      w.number !== undefined
        ? { path: l.path, selector: f.selector, kind: 'number', numberIndex: f.numberIndex ?? 0 }
        : {
            path: l.path,
            selector: f.selector,
            kind: 'string',
            ...(f.before ? { before: f.before } : {}),
            ...(f.after ? { after: f.after } : {}),
          },
    );
  }
  const back = await readWithRules(page, rules);
  return JSON.stringify(back) === JSON.stringify(output)
    ? { rules }
    : { reason: 'reading the page with the rules did not give back the output exactly' };
}
