/**
 * The DOM engines' browser port over a run's RunBrowser. Engines speak the browser's own action
 * records (src/browser/act); this port only resolves secret placeholders and `@uN` URL aliases in
 * the fields each record marks, as the action runs, and summarises the result.
 */
import {
  type Action,
  type ActionResult,
  type ExecuteOptions,
  prepareAction,
  type RunBrowser,
} from '../../browser/index.js';
import type {
  AgentActionOutcome,
  AgentBrowser,
  ObserveOptions,
  PageObservation,
} from '../ports.js';

export interface BrowserAdapterOptions {
  /** Observation token budget (far-away content is summarised above it). */
  maxTokens?: number;
  /** Resolves secret placeholders in typed text at the moment the action runs. */
  substitute?: (text: string) => string;
}

export function toActionOutcome(result: ActionResult): AgentActionOutcome {
  const e = result.effects;
  const message = [result.error?.message, result.warning].filter(Boolean).join(' — ');
  const download = e.downloads[0];
  const dialog = e.dialogs[0];
  return {
    ok: result.ok,
    ...(result.error ? { errorKind: result.error.kind } : {}),
    ...(message ? { message } : {}),
    effects: {
      navigated: e.navigated,
      newTab: e.newTabs.length > 0 || e.tabChanged,
      newElements: e.newElements,
      settled: e.settled,
      ...(dialog ? { dialog: `${dialog.type}: ${dialog.message}` } : {}),
      ...(download
        ? {
            download: { filename: download.filename, size: download.size, sha256: download.sha256 },
          }
        : {}),
    },
  };
}

/** The DOM engines' browser port over a run's RunBrowser. */
export function agentBrowserFromRun(
  run: RunBrowser,
  options: BrowserAdapterOptions = {},
): AgentBrowser {
  const substitute = options.substitute ?? ((t: string) => t);
  let expandUrl = (url: string) => url;
  return {
    async observe(o: ObserveOptions): Promise<PageObservation> {
      const obs = await run.observe({
        screenshot: o.screenshot,
        ...(o.screenshot && o.screenshotScrolls
          ? { maxScreenshotScrolls: o.screenshotScrolls }
          : {}),
        ...(options.maxTokens ? { maxTokens: options.maxTokens } : {}),
      });
      expandUrl = (url) => obs.expandUrls(url);
      return {
        url: obs.url,
        title: obs.title,
        text: obs.text,
        tabs: obs.tabs,
        screenshots: [...(obs.screenshot ? [obs.screenshot] : []), ...obs.scrolledScreenshots],
        elementIds: new Set([...obs.elements.keys()].map(String)),
        tokens: obs.tokens,
      };
    },
    async execute(
      action: Action,
      signal: AbortSignal,
      actOptions: ExecuteOptions = {},
    ): Promise<AgentActionOutcome> {
      signal.throwIfAborted();
      const result = await run.act(prepareAction(action, { substitute, expandUrl }), actOptions);
      return toActionOutcome(result);
    },
    async open(url: string): Promise<void> {
      await run.goto(url);
    },
  };
}
