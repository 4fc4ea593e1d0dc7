/** ai_click: click the element a selector or an intention names. */
import type { PrimitiveContext } from '../types.js';
import { type ElementOutcome, type ElementRequest, onElement } from './target.js';

export function click(ctx: PrimitiveContext, request: ElementRequest): Promise<ElementOutcome> {
  return onElement(
    ctx,
    request,
    'click',
    async (locator, timeout) => {
      await locator.click({ timeout });
      return undefined;
    },
    (id) => ctx.browser.act({ type: 'click', id }),
  );
}
