import type { Page } from 'playwright-core';

/**
 * `take()`, and once more if it fails, after the tab's new document has loaded: a key or click
 * that submitted a form may still be navigating. A second failure is a real one and is thrown.
 * `tab` is asked again for the retry (the working tab may have changed meanwhile).
 */
export async function retryAfterLoad<T>(tab: () => Page, take: () => Promise<T>): Promise<T> {
  try {
    return await take();
  } catch {
    await tab()
      .waitForLoadState('domcontentloaded', { timeout: 10_000 })
      .catch(() => {});
    return take();
  }
}
