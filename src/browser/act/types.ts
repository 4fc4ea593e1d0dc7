import type { z } from 'zod';
import type { BrowserErrorKind } from '../errors.js';
import type { DialogInfo, DownloadInfo, RunBrowser, TabInfo } from '../run-browser.js';

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
  execute(run: RunBrowser, input: unknown): Promise<ActionOutcome>;
  /** One line, e.g. `click [12]`; never a resolved secret (it runs on the unresolved action). */
  log(action: unknown): string;
  /** Fields whose text may hold secret placeholders, resolved only as the action runs. */
  secretFields: readonly string[];
  /** Fields holding URLs an observation may have shortened to `@uN` aliases. */
  urlFields: readonly string[];
}
