/**
 * buildSelector: a stable selector for an element on a live page, chosen so that, at this moment,
 * it matches exactly that element and nothing else. Candidates come most robust first
 * (candidates.ts); each is checked by counting its matches in the element's frame and comparing
 * the one match with the element. Elements inside iframes get the frame's own selector in front.
 */
import type { ElementHandle, Frame } from 'playwright-core';
import { BrowserError } from '../errors.js';
import { CANDIDATES_GLOBAL, type Candidate, installCandidatesExpression } from './candidates.js';
import { inFrame, type SelectorStrategy } from './syntax.js';

export interface StableSelector {
  /** Playwright selector syntax: `page.locator(selector)` finds the element. */
  selector: string;
  /** How the innermost part finds the element (role, text, testid, ..., css). */
  strategy: SelectorStrategy;
}

/** Whether `selector` matches exactly one element in `frame`, and that element is `handle`'s. */
async function matchesOnly(
  frame: Frame,
  selector: string,
  handle: ElementHandle<Element>,
): Promise<boolean> {
  try {
    return await frame
      .locator(selector)
      .evaluateAll((els, target) => els.length === 1 && els[0] === target, handle);
  } catch {
    return false; // a candidate the engine rejects is just not the one
  }
}

/** A stable selector and every candidate the element offered (read once from the page). */
export interface BuiltSelector {
  built: StableSelector;
  candidates: Candidate[];
}

/**
 * buildSelector, with the candidates it read for the element in its own frame: the role + name
 * one names the element, so a caller that needs both reads them once.
 */
export async function buildSelectorWithCandidates(
  handle: ElementHandle<Element>,
): Promise<BuiltSelector> {
  const frame = await handle.ownerFrame();
  if (!frame) throw new BrowserError('element_stale', 'element: it is no longer in a document');
  const read = (el: Element, key: string) => {
    const fn = (window as unknown as Record<string, unknown>)[key];
    return typeof fn === 'function' ? (fn as (e: Element) => Candidate[])(el) : null;
  };
  let candidates = await handle.evaluate(read, CANDIDATES_GLOBAL);
  if (!candidates) {
    await frame.evaluate(installCandidatesExpression());
    candidates = await handle.evaluate(read, CANDIDATES_GLOBAL);
  }
  if (!candidates) throw new BrowserError('element_stale', 'element: its frame did not answer');
  let inner: Candidate | null = null;
  for (const c of candidates) {
    if (await matchesOnly(frame, c.selector, handle)) {
      inner = c;
      break;
    }
  }
  if (!inner) {
    throw new BrowserError(
      'element_not_found',
      'element: no selector matches it alone (detached, or inside a closed shadow root)',
    );
  }
  const parent = frame.parentFrame();
  if (!parent) return { built: inner, candidates };
  const frameElement = (await frame.frameElement()) as ElementHandle<Element>;
  try {
    const { built: outer } = await buildSelectorWithCandidates(frameElement);
    return {
      built: { selector: inFrame(outer.selector, inner.selector), strategy: inner.strategy },
      candidates,
    };
  } finally {
    await frameElement.dispose().catch(() => {});
  }
}

/**
 * The most robust selector that finds `handle`'s element alone on its page right now; throws a
 * BrowserError (`element_not_found`/`element_stale`) when there is none.
 */
export async function buildSelector(handle: ElementHandle<Element>): Promise<StableSelector> {
  return (await buildSelectorWithCandidates(handle)).built;
}
