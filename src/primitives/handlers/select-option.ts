/** ai_select_option: choose an option (by label or value) in the list a selector or intention names. */
import type { PrimitiveContext } from '../types.js';
import { type ElementOutcome, type ElementRequest, onElement } from './target.js';

export function selectOption(
  ctx: PrimitiveContext,
  request: ElementRequest & { value: string },
): Promise<ElementOutcome> {
  return onElement(
    ctx,
    request,
    'select',
    async (locator, timeout) => {
      // Playwright matches a plain string against option values and labels.
      const chosen = await locator.selectOption(request.value, { timeout });
      return chosen.join(', ');
    },
    async (id) => {
      const byLabel = await ctx.browser.act({ type: 'select_option', id, label: request.value });
      if (byLabel.ok) return byLabel;
      return ctx.browser.act({ type: 'select_option', id, value: request.value });
    },
  );
}
