import type { APIResponse, ElementHandle, Page } from 'playwright-core';
import type { z } from 'zod';
import type { BrowserErrorKind } from '../errors.js';
import type { ElementRegistry } from '../observe/capture.js';
import type { PageSession } from '../page-session.js';
import type { DialogInfo, DownloadInfo, RunBrowserEvent, TabInfo } from '../run/events.js';

/**
 * What an action needs from the run's browser; RunBrowser is one. Actions see only this, so the
 * action records do not import run-browser.ts, which runs them (no import cycle).
 */
export interface ActionHost {
  readonly options: {
    /** Folder of the run: uploads are fetched into it, relative upload paths resolve in it. */
    readonly runDir: string;
    /** Further folders files may be uploaded from. */
    readonly uploadDirs?: string[];
    readonly actionTimeoutMs?: number;
  };
  /** The elements of the latest observation, by id. */
  readonly registry: ElementRegistry;
  /** The tab the agent works in. */
  page(): Page;
  allPages(): Page[];
  setActivePage(page: Page): void;
  newTab(): Promise<Page>;
  goto(url: string): Promise<void>;
  /** The URL as the navigation policy allows it, or a BrowserError. */
  checkUrl(raw: string): Promise<string>;
  /** After a renderer crash, a fresh tab; the URL the crashed one showed (null: no crash). */
  recoverFromCrash(): Promise<string | null>;
  fetchChecked(
    raw: string,
    options: { timeoutMs: number; maxRedirects: number },
  ): Promise<{ url: string; response: APIResponse }>;
  downloadUrl(raw: string): Promise<void>;
  on(listener: (e: RunBrowserEvent) => void): () => void;
  /** Playwright's handle of an observed element. */
  element(id: number): Promise<ElementHandle<Element>>;
  /** Runs a self-contained function on an observed element, without a Playwright handle. */
  evaluateOn<R, A>(id: number, fn: (e: Element, arg: A) => R | Promise<R>, arg: A): Promise<R>;
  /** Wren's DevTools session on the tab; null without one. */
  pageSession(page: Page): Promise<PageSession | null>;
}

/** What an action handler reports besides success. */
export interface ActionOutcome {
  /** How it was done, e.g. "clicked its label", "typed (autocomplete)". */
  detail?: string;
  warning?: string;
  /** Read-back value after input/select/check (passwords masked). */
  value?: string;
  /** Expect a visible effect; the executor warns when none is seen. */
  expectEffect?: boolean;
  /**
   * Only a form value changed and the handler read it back: the executor does not wait for a
   * rendered frame afterwards (navigations and requests the action started are still awaited).
   */
  valueOnly?: boolean;
  download?: DownloadInfo;
}

export interface ActionEffects {
  urlBefore: string;
  urlAfter: string;
  navigated: boolean;
  /** DOM mutations were observed in the active tab during the action. */
  domChanged: boolean;
  /**
   * The action made new controls appear in the active tab (a visible interactable element no
   * observation has listed), or changed a child frame; attribute and class changes alone do not.
   */
  newElements: boolean;
  /** What the action started (timers, requests, DOM changes) played out within the bound. */
  settled: boolean;
  newTabs: TabInfo[];
  /** The agent now works in another tab (popup followed, tab switched or closed). */
  tabChanged: boolean;
  dialogs: DialogInfo[];
  downloads: DownloadInfo[];
}

export interface ActionResult {
  ok: boolean;
  action: string;
  error?: { kind: BrowserErrorKind; message: string };
  detail?: string;
  warning?: string;
  value?: string;
  effects: ActionEffects;
  durationMs: number;
}

/**
 * One action kind, the only definition of it: engines pick records (and fields) to offer their
 * model, whose JSON Schema is generated from `schema` (model-schema.ts); `execute` parses its own
 * input; `log` is the one line history, logs and loop detection show.
 */
export interface ActionDef {
  name: string;
  description: string;
  schema: z.ZodObject;
  execute(run: ActionHost, input: unknown): Promise<ActionOutcome>;
  /** One line, e.g. `click [12]`; never a resolved secret (it runs on the unresolved action). */
  log(action: unknown): string;
  /** Fields whose text may hold secret placeholders, resolved only as the action runs. */
  secretFields: readonly string[];
  /** Fields holding URLs an observation may have shortened to `@uN` aliases. */
  urlFields: readonly string[];
}
