/**
 * resolveSelector: the element a selector names, required to be exactly one. Accepts any
 * Playwright selector (what buildSelector writes, plain CSS, XPath, `text=`, `role=`).
 */
import type { Locator, Page } from 'playwright-core';
import { BrowserError, errorMessage } from '../errors.js';

export interface ResolveOptions {
  /** How long to wait for the element to be attached. Default 5000 ms; 0 checks once. */
  timeoutMs?: number;
}

/** Counts `selector`'s matches on the page now; throws `invalid_action` for a bad selector. */
export async function countMatches(page: Page, selector: string): Promise<number> {
  try {
    return await page.locator(selector).count();
  } catch (e) {
    throw new BrowserError('invalid_action', `selector: ${errorMessage(e)}`, { cause: e });
  }
}

/**
 * A strict locator for the single element `selector` matches. Throws BrowserError:
 * `invalid_action` (the selector does not parse), `element_not_found` (no match within the
 * timeout, or several matches — the message says how many).
 */
export async function resolveSelector(
  page: Page,
  selector: string,
  options: ResolveOptions = {},
): Promise<Locator> {
  const timeout = options.timeoutMs ?? 5_000;
  let count = await countMatches(page, selector);
  if (count === 0 && timeout > 0) {
    await page
      .locator(selector)
      .first()
      .waitFor({ state: 'attached', timeout })
      .catch(() => {});
    count = await countMatches(page, selector);
  }
  if (count === 0) {
    throw new BrowserError('element_not_found', `selector: ${selector} matches no element`);
  }
  if (count > 1) {
    throw new BrowserError(
      'element_not_found',
      `selector: ${selector} matches ${count} elements, expected exactly one`,
    );
  }
  return page.locator(selector);
}
