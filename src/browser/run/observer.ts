/**
 * What the agent last saw: the element registry behind observation ids, the previous
 * observation (for "new" marks and `@uN` link aliases) and element lookups by id.
 */
import type { ElementHandle, Page } from 'playwright-core';
import { BrowserError } from '../errors.js';
import { ElementRegistry, evaluateOnElement, resolveElement } from '../observe/capture.js';
import { installStateStatement } from '../observe/capture-script.js';
import { type Observation, type ObserveOptions, observePage } from '../observe/observation.js';
import {
  buildSelector,
  elementCandidates,
  matchExpression,
  matchInstallExpression,
  type StableSelector,
} from '../selectors/index.js';
import type { TabInfo } from './events.js';

export interface ObservedRun {
  /** The working tab (throws when there is none or the run is unusable). */
  page(): Page;
  assertUsable(): void;
  tabs(activeTitle?: string): Promise<TabInfo[]>;
}

/**
 * What Observer.locate found: `{ id }` for exactly one match (with the main frame's DOM mutation
 * count when it was found, which a replayed action takes as its before-snapshot), `{ count }` for
 * none or several, null for syntax only Playwright reads.
 */
export type Located = { id: number; mutations?: number } | { count: number } | null;

/** The page navigated while it was being read. */
const NAVIGATION_RACE = /Execution context was destroyed|navigat|Frame was detached/i;

export class Observer {
  readonly registry = new ElementRegistry();
  private previousIds: Set<number> | null = null;
  private previousDocument: { page: Page; doc: string } | null = null;
  private last: Observation | null = null;

  constructor(private readonly run: ObservedRun) {}

  get latest(): Observation | null {
    return this.last;
  }

  async observe(options: ObserveOptions): Promise<Observation> {
    for (let attempt = 1; ; attempt++) {
      const page = this.run.page();
      if (this.registry.size > 20_000) this.registry.pruneDetached();
      await page.waitForLoadState('domcontentloaded', { timeout: 5_000 }).catch(() => {});
      try {
        const obs = await observePage(page, this.registry, {
          ...options,
          previousIds: this.previousIds,
          previousDocument: this.previousDocument,
          tabs: (title) => this.run.tabs(title),
        });
        this.previousIds = obs.allIds;
        this.previousDocument = { page, doc: obs.documentId };
        this.last = obs;
        return obs;
      } catch (e) {
        this.run.assertUsable();
        // Read the new document.
        const racing = NAVIGATION_RACE.test(e instanceof Error ? e.message : String(e));
        if (!racing || attempt >= 3) throw e;
      }
    }
  }

  /** Replaces `@uN` link aliases from the last observation by their full URLs. */
  expandUrl(text: string): string {
    return this.last ? this.last.expandUrls(text) : text;
  }

  /** The live element behind an observation id, or a typed error. */
  async element(id: number): Promise<ElementHandle<Element>> {
    this.run.assertUsable();
    const handle = await resolveElement(this.ref(id)).catch(() => null);
    if (!handle) throw stale(id);
    return handle;
  }

  /** A stable selector (src/browser/selectors) for the element behind an observation id. */
  async selectorFor(id: number): Promise<StableSelector> {
    return buildSelector(await this.element(id));
  }

  /**
   * The element `selector` names, as an id the actions take, found in the page by Wren's own
   * matcher (selectors/match.ts: the role and name rules that wrote the selector, no Playwright
   * injected script) within `timeoutMs`, waiting on DOM mutations and across a navigation:
   * `{ id }` when exactly one element matches, `{ count }` when none or several do, null when
   * the selector is Playwright's syntax only (frame hops, XPath, other engines).
   */
  async locate(selector: string, timeoutMs: number): Promise<Located> {
    this.run.assertUsable();
    const deadline = Date.now() + Math.max(0, timeoutMs);
    const left = () => Math.max(0, deadline - Date.now());
    type Found =
      | { count: number; id: number | null; doc: string | null; mutations?: number }
      | 'install'
      | null;
    for (;;) {
      const page = this.run.page();
      await page.waitForLoadState('domcontentloaded', { timeout: left() || 1 }).catch(() => {});
      const frame = page.mainFrame();
      try {
        let found = (await frame.evaluate(matchExpression(selector, left()))) as Found;
        if (found === 'install') {
          await frame.evaluate(
            matchInstallExpression(elementCandidates.toString(), installStateStatement()),
          );
          found = (await frame.evaluate(matchExpression(selector, left()))) as Found;
        }
        // A page that keeps no globals: Playwright's turn.
        if (found === 'install' || found === null) return null;
        if (found.id === null || found.doc === null) return { count: found.count };
        const id = this.registry.globalId(frame, found.doc, found.id);
        return typeof found.mutations === 'number' ? { id, mutations: found.mutations } : { id };
      } catch (e) {
        this.run.assertUsable();
        // The page navigated while it was searched: search the new document.
        const racing = NAVIGATION_RACE.test(e instanceof Error ? e.message : String(e));
        if (!racing || left() === 0) return { count: 0 };
      }
    }
  }

  /**
   * Runs `fn(element, arg)` in the element's frame without an element handle: the element is
   * looked up by its observation id inside the page. Playwright's handles cost its injected
   * script (a 345 kB compile per document and world) on their first use in a document; this
   * does not. `fn` must be self-contained and `arg` JSON.
   */
  async evaluateOn<R, A>(
    id: number,
    fn: (e: Element, arg: A) => R | Promise<R>,
    arg: A,
  ): Promise<R> {
    this.run.assertUsable();
    const found = await evaluateOnElement(this.ref(id), fn, arg).catch(() => null);
    if (!found) throw stale(id);
    return found.value;
  }

  private ref(id: number) {
    const ref = this.registry.ref(id);
    if (!ref) throw new BrowserError('element_not_found', `id: no element [${id}] was observed`);
    return ref;
  }
}

function stale(id: number): BrowserError {
  return new BrowserError(
    'element_stale',
    `id: element [${id}] is no longer on the page; observe again`,
  );
}
