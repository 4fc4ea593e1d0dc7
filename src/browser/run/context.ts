/** Setting up a browser context for runs: the proxy it sends through and the in-page shims. */
import type { BrowserContext } from 'playwright-core';
import { PAGE_ACTIVITY_SCRIPT } from '../act/page-activity.js';
import { installStateStatement } from '../observe/capture-script.js';
import { LISTENER_TRACKER_SCRIPT } from '../observe/listener-tracker.js';
import { elementCandidates, matchInstallExpression } from '../selectors/index.js';

/** A proxy a browser context sends its traffic through (Playwright's shape, plus `trusted`). */
export interface BrowserProxy {
  server: string;
  username?: string;
  password?: string;
  bypass?: string;
  /** Operator-configured (WREN_PROXY_CONFIG): its own address skips the policy check. */
  trusted?: boolean;
}

/** A proxy as Playwright takes it (Wren's `trusted` mark removed). */
export function playwrightProxy(proxy: BrowserProxy): Omit<BrowserProxy, 'trusted'> {
  const { trusted: _trusted, ...rest } = proxy;
  return rest;
}

/**
 * Lets in-page helpers compiled by tsx/esbuild (keepNames) call `__name` in any page, and records
 * event listeners from the first script of every document (observe/listener-tracker.ts).
 */
export async function installPageShims(context: BrowserContext): Promise<void> {
  // Under tsx/esbuild (keepNames), functions passed to evaluate() call a `__name` helper that
  // pages do not have; a no-op keeps in-page helpers working however the source was compiled.
  await context.addInitScript({
    content:
      'if (typeof globalThis.__name !== "function") Object.defineProperty(globalThis, "__name", { value: (f) => f, configurable: true, writable: true });',
  });
  // What each action sets going (timers, requests, new controls): the executor's settle.
  await context.addInitScript({ content: PAGE_ACTIVITY_SCRIPT });
  // Before any page script: record event listeners so script-only controls get ids.
  await context.addInitScript({ content: LISTENER_TRACKER_SCRIPT });
  // Wren's selector matcher (Observer.locate) in every document from its start: a replayed
  // step's first lookup on a page then takes one round trip, not three (ask, install, ask
  // again). It only defines a function; the page state it needs is set up on first use.
  await context.addInitScript({
    content: matchInstallExpression(elementCandidates.toString(), installStateStatement()),
  });
}
