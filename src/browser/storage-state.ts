/**
 * A browser context's saved state (Playwright storage state: cookies, localStorage per origin,
 * and IndexedDB where the origin has any), the contents of a browser profile. Captured from and
 * applied to contexts here, so nothing outside src/browser touches Playwright for it.
 */
import type { BrowserContext } from 'playwright-core';

/** Playwright's storage state, kept as opaque JSON by everything outside this folder. */
export type StoredBrowserState = Awaited<ReturnType<BrowserContext['storageState']>>;

export const EMPTY_BROWSER_STATE: StoredBrowserState = { cookies: [], origins: [] };

/** Cookies, localStorage and IndexedDB of every origin the context has visited. */
export function captureBrowserState(context: BrowserContext): Promise<StoredBrowserState> {
  return context.storageState({ indexedDB: true });
}

/** Replaces the context's cookies and storage with `state` (pages already open keep theirs). */
export async function applyBrowserState(
  context: BrowserContext,
  state: StoredBrowserState,
): Promise<void> {
  await context.setStorageState(state);
}

/** Whether a value read back from storage has the shape of a storage state. */
export function isStoredBrowserState(value: unknown): value is StoredBrowserState {
  const v = value as { cookies?: unknown; origins?: unknown } | null;
  return !!v && Array.isArray(v.cookies) && Array.isArray(v.origins);
}
