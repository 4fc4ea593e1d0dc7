/**
 * The shared shape of the element primitives (click, input text, select, upload): a given
 * selector is tried first; the model locates the element from the intention only when the
 * selector is absent or fails. Either way the answer names the selector that was used.
 */
import type { Locator } from 'playwright-core';
import { errorMessage, resolveSelector } from '../../browser/index.js';
import { logged, type PrimitiveContext, PrimitiveError } from '../types.js';
import { locateElement } from './locate.js';

export interface ElementRequest {
  selector?: string | null;
  intention?: string | null;
  /** Extra context for the model (Skyvern's `data`). */
  data?: unknown;
  /** Skyvern's `timeout`, ms. */
  timeoutMs?: number;
}

export interface ElementOutcome {
  /** The selector that found the element: the given one, or the one built after the model's pick. */
  selector: string;
  /** The model was asked (the selector was absent or failed). */
  usedModel: boolean;
  /** Why the given selector was not used, when it was given and failed. */
  selectorError?: string;
  /** Read-back value or detail from the action. */
  detail?: string;
}

/** How long a given selector may take to appear before the model is asked instead. */
export const SELECTOR_WAIT_MS = 2_000;

export async function onElement(
  ctx: PrimitiveContext,
  request: ElementRequest,
  verb: string,
  bySelector: (locator: Locator, timeoutMs: number) => Promise<string | undefined>,
  byId: (id: number) => Promise<{ ok: boolean; error?: { message: string }; value?: string }>,
): Promise<ElementOutcome> {
  const timeoutMs = request.timeoutMs ?? 10_000;
  const selector = request.selector?.trim() ?? '';
  let selectorError: string | undefined;
  if (selector) {
    const started = performance.now();
    try {
      const locator = await resolveSelector(ctx.browser.page(), selector, {
        timeoutMs: Math.min(timeoutMs, SELECTOR_WAIT_MS),
      });
      const detail = await bySelector(locator, timeoutMs);
      ctx.log.push({
        action: `${verb} ${selector}`,
        ok: true,
        durationMs: performance.now() - started,
      });
      return { selector, usedModel: false, ...(detail ? { detail } : {}) };
    } catch (e) {
      selectorError = errorMessage(e);
      // A missed selector is the designed path to the model, not a failed action; when there
      // is no intention to fall back on, the error below fails the call.
      ctx.log.push({
        action: `try selector ${selector}`,
        ok: true,
        note: `missed: ${selectorError}`,
        durationMs: performance.now() - started,
      });
    }
  }
  const intention = request.intention?.trim() ?? '';
  if (!intention) {
    throw new PrimitiveError(
      selectorError
        ? `selector: ${selectorError}; give an intention so the model can find the element instead`
        : 'intention: give a selector or an intention (what to act on)',
      selectorError ? 'selector' : 'intention',
      selectorError ? 'not_found' : 'invalid',
    );
  }
  const context =
    request.data === undefined || request.data === null
      ? ''
      : ` (context: ${typeof request.data === 'string' ? request.data : JSON.stringify(request.data)})`;
  const located = await locateElement(
    ctx,
    `the element to ${verb}: ${intention}${context}`,
    'intention',
  );
  const result = await logged(ctx, `${verb} ${located.selector}`, () => byId(located.elementId));
  if (!result.ok) {
    throw new PrimitiveError(
      `intention: could not ${verb} ${located.description}: ${result.error?.message ?? 'failed'}`,
      'intention',
      'action_failed',
    );
  }
  return {
    selector: located.selector,
    usedModel: true,
    ...(selectorError ? { selectorError } : {}),
    ...(result.value ? { detail: result.value } : {}),
  };
}
