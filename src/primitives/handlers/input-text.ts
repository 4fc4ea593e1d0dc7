/** ai_input_text: type a value into the field a selector or an intention names. */
import type { PrimitiveContext } from '../types.js';
import { type ElementOutcome, type ElementRequest, onElement } from './target.js';

export function inputText(
  ctx: PrimitiveContext,
  request: ElementRequest & { value: string },
): Promise<ElementOutcome> {
  return onElement(
    ctx,
    {
      ...request,
      intention: request.intention ? `${request.intention} (to type a value into)` : null,
    },
    'fill',
    async (locator, timeout) => {
      await locator.fill(request.value, { timeout });
      return undefined;
    },
    (id) => ctx.browser.act({ type: 'input_text', id, text: request.value }),
  );
}
