import type { Action, ActionResult, RunBrowser } from '../../browser/index.js';
import type {
  ActionOutcome,
  AgentAction,
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

const elementId = (id: string): number => Number.parseInt(id, 10);

/** The model-facing action (string ids, engine field names) as the browser layer's action. */
export function toBrowserAction(
  action: AgentAction,
  substitute: (text: string) => string,
  expandUrl: (url: string) => string,
): Action {
  switch (action.type) {
    case 'click':
      return action.double
        ? { type: 'double_click', id: elementId(action.element) }
        : {
            type: 'click',
            id: elementId(action.element),
            ...(action.button ? { button: action.button } : {}),
          };
    case 'input_text':
      return {
        type: 'input_text',
        id: elementId(action.element),
        text: substitute(action.text),
        ...(action.submit ? { submit: true } : {}),
        ...(action.typed ? { mode: 'type' as const } : {}),
      };
    case 'enter_code':
      return {
        type: 'enter_code',
        text: substitute(action.text),
        ...(action.element ? { id: elementId(action.element) } : {}),
      };
    case 'select_option': {
      // A card's expiry may be a placeholder too.
      const [one, ...more] = action.options;
      if (more.length === 0 && one) {
        return {
          type: 'select_option',
          id: elementId(action.element),
          ...(one.label !== undefined ? { label: substitute(one.label) } : {}),
          ...(one.value !== undefined ? { value: substitute(one.value) } : {}),
          ...(one.index !== undefined ? { index: one.index } : {}),
        };
      }
      // Several options of a multi-select: by value when every one names a value only.
      const byValue = action.options.every((o) => o.label === undefined && o.value !== undefined);
      return byValue
        ? {
            type: 'select_option',
            id: elementId(action.element),
            values: action.options.map((o) => substitute(o.value ?? '')),
          }
        : {
            type: 'select_option',
            id: elementId(action.element),
            labels: action.options.map((o) => substitute(o.label ?? o.value ?? String(o.index))),
          };
    }
    case 'set_checked':
      return { type: 'set_checked', id: elementId(action.element), checked: action.checked };
    case 'upload_file':
      return {
        type: 'upload_file',
        id: elementId(action.element),
        files: [expandUrl(action.fileUrl)],
      };
    case 'download':
      return { type: 'download', id: elementId(action.element) };
    case 'hover':
      return { type: 'hover', id: elementId(action.element) };
    case 'scroll':
      return {
        type: 'scroll',
        direction: action.direction,
        ...(action.element ? { id: elementId(action.element) } : {}),
      };
    case 'keypress':
      return {
        type: 'keypress',
        keys: action.keys,
        ...(action.element ? { id: elementId(action.element) } : {}),
      };
    case 'drag':
      return {
        type: 'drag_and_drop',
        from: elementId(action.element),
        to: elementId(action.toElement),
      };
    case 'goto':
      return { type: 'goto', url: expandUrl(action.url) };
    case 'new_tab':
      return { type: 'new_tab', url: expandUrl(action.url) };
    case 'switch_tab':
      return { type: 'switch_tab', tab: action.index };
    case 'close_tab':
      return { type: 'close_tab', tab: action.index };
    case 'wait':
      return { type: 'wait', ms: Math.round(action.seconds * 1000) };
    case 'back':
    case 'forward':
    case 'reload':
      return { type: action.type };
  }
}

export function toActionOutcome(result: ActionResult): ActionOutcome {
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
    async execute(action: AgentAction, signal: AbortSignal): Promise<ActionOutcome> {
      signal.throwIfAborted();
      const result = await run.act(toBrowserAction(action, substitute, expandUrl));
      return toActionOutcome(result);
    },
    async open(url: string): Promise<void> {
      await run.goto(url);
    },
  };
}
