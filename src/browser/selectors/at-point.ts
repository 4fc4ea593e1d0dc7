/**
 * The element a coordinate action works on (code mode for computer-use runs, docs/code-mode.md):
 * the element under a point (`elementFromPoint`, through open shadow roots), or the focused
 * element, walked up to the nearest interactive ancestor (a `<label>` stands for its control),
 * then given the same stable selector the DOM engines' recorder builds (build.ts: role + name
 * first, CSS last, unique on the page at that moment). Canvases, frames and points on nothing
 * interactive have no element: the caller leaves such a run uncompiled.
 */
import type { ElementHandle, JSHandle, Page } from 'playwright-core';
import type { Point } from '../computer.js';
import { errorMessage } from '../errors.js';
import { buildSelectorWithCandidates } from './build.js';

/** One element of the chain from the hit element up to the root, as `pickTarget` needs it. */
export interface HitNode {
  /** Lower-case tag name. */
  tag: string;
  /** The explicit `role` attribute (first token), or ''. */
  role: string;
  /** `type` of an input, lower-case, or ''. */
  type: string;
  /** Has `contenteditable` (not "false"). */
  editable: boolean;
  /** `<a>` with an href. */
  href: boolean;
  /** tabindex ≥ 0 set on the element. */
  focusable: boolean;
  /** A `<label>` with a control (`label.control`). */
  labelControl: boolean;
}

export type TargetPick = { index: number; viaLabel: boolean } | { reason: string };

const INTERACTIVE_TAGS = new Set(['button', 'select', 'textarea', 'summary', 'option']);
const INTERACTIVE_ROLES = new Set([
  'button',
  'link',
  'checkbox',
  'radio',
  'switch',
  'tab',
  'menuitem',
  'menuitemcheckbox',
  'menuitemradio',
  'option',
  'textbox',
  'searchbox',
  'combobox',
  'slider',
  'spinbutton',
  'treeitem',
]);
const OPAQUE: Record<string, string> = {
  canvas: 'a canvas (its contents are no elements)',
  iframe: 'a frame',
  frame: 'a frame',
  embed: 'an embedded object',
  object: 'an embedded object',
};

/**
 * Which element of `chain` (the hit element first, then its ancestors) an action at the point
 * works on: the nearest interactive one (a `<label>` with a control stands for the control), or
 * why there is none.
 */
export function pickTarget(chain: readonly HitNode[]): TargetPick {
  const hit = chain[0];
  if (!hit || hit.tag === 'html' || hit.tag === 'body') return { reason: 'no element there' };
  const opaque = OPAQUE[hit.tag];
  if (opaque) return { reason: `the point is on ${opaque}` };
  for (const [index, n] of chain.entries()) {
    if (n.tag === 'body' || n.tag === 'html') break;
    if (n.tag === 'input' && n.type !== 'hidden') return { index, viaLabel: false };
    if (INTERACTIVE_TAGS.has(n.tag) || (n.tag === 'a' && n.href) || n.editable)
      return { index, viaLabel: false };
    if (n.role && INTERACTIVE_ROLES.has(n.role)) return { index, viaLabel: false };
    if (n.tag === 'label' && n.labelControl) return { index, viaLabel: true };
    if (n.focusable) return { index, viaLabel: false };
  }
  return { reason: 'the point is on no interactive element' };
}

/** The element an action works on, as a script step names it. */
export interface PointTarget {
  selector: string;
  role: string;
  name: string;
  tag: string;
  /** Typing goes into it (text input, textarea, contenteditable). */
  takesText: boolean;
  /** A `<select>`: typing chooses an option. */
  select: boolean;
  /** It holds text that typing would not replace (not all selected). */
  keepsText: boolean;
  /** A `<select>`'s chosen option label. */
  choice: string | null;
}

export type TargetResult = { ok: true; target: PointTarget } | { ok: false; reason: string };

/** In the page: the chain from the element at (x, y) — or the focused one — up to the root. */
function chainIn(at: { x: number; y: number } | null): Element[] {
  let el: Element | null;
  if (at) {
    el = document.elementFromPoint(at.x, at.y);
    while (el?.shadowRoot) {
      const inner = el.shadowRoot.elementFromPoint(at.x, at.y);
      if (!inner || inner === el) break;
      el = inner;
    }
  } else {
    el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    if (el === document.body || el === document.documentElement) el = null;
  }
  const out: Element[] = [];
  while (el) {
    out.push(el);
    const parent: Node | null = el.parentNode;
    el = parent instanceof ShadowRoot ? parent.host : (el.parentElement ?? null);
  }
  return out;
}

function describeChain(els: Element[]): HitNode[] {
  return els.map((e) => {
    const attr = (n: string) => e.getAttribute(n);
    const tabindex = Number(attr('tabindex'));
    return {
      tag: e.tagName.toLowerCase(),
      role: (attr('role') ?? '').trim().split(/\s+/)[0] ?? '',
      type: e.tagName === 'INPUT' ? (attr('type') ?? '').toLowerCase() : '',
      editable: e.hasAttribute('contenteditable') && attr('contenteditable') !== 'false',
      href: e.tagName === 'A' && e.hasAttribute('href'),
      focusable: attr('tabindex') !== null && Number.isFinite(tabindex) && tabindex >= 0,
      labelControl: e.tagName === 'LABEL' && (e as HTMLLabelElement).control !== null,
    };
  });
}

function facts(e: Element): Omit<PointTarget, 'selector' | 'role' | 'name'> {
  const tag = e.tagName.toLowerCase();
  const type = (e.getAttribute('type') ?? 'text').toLowerCase();
  const textInput =
    (tag === 'input' &&
      ![
        'button',
        'submit',
        'reset',
        'image',
        'checkbox',
        'radio',
        'file',
        'range',
        'color',
      ].includes(type)) ||
    tag === 'textarea';
  const editable = (e as HTMLElement).isContentEditable === true;
  let keepsText = false;
  if (textInput) {
    const f = e as HTMLInputElement;
    const len = f.value.length;
    let all = false;
    try {
      all = f.selectionStart === 0 && f.selectionEnd === len;
    } catch {
      all = false; // inputs without a selection API (email, number)
    }
    keepsText = len > 0 && !all;
  } else if (editable) {
    const selected = document.getSelection()?.toString() ?? '';
    const text = (e.textContent ?? '').trim();
    keepsText = text.length > 0 && selected.trim() !== text;
  }
  const select = tag === 'select';
  const chosen = select ? (e as HTMLSelectElement).selectedOptions[0] : undefined;
  return {
    tag,
    takesText: textInput || editable,
    select,
    keepsText,
    choice: chosen ? chosen.label || (chosen.textContent ?? '').trim() : null,
  };
}

async function targetOf(page: Page, at: Point | null): Promise<TargetResult> {
  let chain: JSHandle<Element[]> | null = null;
  let handle: ElementHandle<Element> | null = null;
  try {
    chain = await page.evaluateHandle(chainIn, at);
    const pick = pickTarget(await chain.evaluate(describeChain));
    if ('reason' in pick) return { ok: false, reason: pick.reason };
    handle = (
      await chain.evaluateHandle(
        (els, p) => (p.viaLabel ? (els[p.index] as HTMLLabelElement).control : els[p.index]),
        pick,
      )
    ).asElement() as ElementHandle<Element> | null;
    if (!handle) return { ok: false, reason: 'its element is gone' };
    const { built, candidates } = await buildSelectorWithCandidates(handle);
    const info = await handle.evaluate(facts);
    const named = candidates.find((c) => c.strategy === 'role');
    const m = named ? /^role=([\w-]+)\[name=(".*")\]$/.exec(named.selector) : null;
    return {
      ok: true,
      target: {
        selector: built.selector,
        role: m?.[1] ?? '',
        name: m?.[2] ? (JSON.parse(m[2]) as string) : '',
        ...info,
      },
    };
  } catch (e) {
    return { ok: false, reason: errorMessage(e) };
  } finally {
    await Promise.all([handle?.dispose().catch(() => {}), chain?.dispose().catch(() => {})]);
  }
}

/** The page navigated while it was read. */
const NAVIGATION_RACE = /Execution context was destroyed|navigat|Frame was detached/i;

/** `targetOf` on the document the page has once a navigation under way has committed. */
async function settledTarget(page: Page, at: Point | null): Promise<TargetResult> {
  for (let attempt = 1; ; attempt++) {
    await page.waitForLoadState('domcontentloaded', { timeout: 5_000 }).catch(() => {});
    const r = await targetOf(page, at);
    if (r.ok || attempt >= 3 || !NAVIGATION_RACE.test(r.reason)) return r;
  }
}

/** The element an action at `point` (viewport CSS pixels) works on, with its stable selector. */
export function targetAtPoint(page: Page, point: Point): Promise<TargetResult> {
  return settledTarget(page, { x: point.x, y: point.y });
}

/** The focused element (where typing goes), with its stable selector. */
export async function focusedTarget(page: Page): Promise<TargetResult> {
  const r = await settledTarget(page, null);
  if (r.ok || !['no element there', 'the point is on no interactive element'].includes(r.reason))
    return r;
  return { ok: false, reason: 'nothing is focused' };
}
