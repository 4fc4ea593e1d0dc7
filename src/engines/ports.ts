/**
 * What the DOM-based engines need from the browser and model layers, kept deliberately small.
 * The worker builds adapters from src/browser and src/llm onto these ports; engine logic is
 * tested through the real adapters (real Chromium, fake model server over HTTP).
 */

/** One open tab as the agent sees it. */
export interface TabInfo {
  index: number;
  url: string;
  title: string;
  active: boolean;
}

export interface PageObservation {
  url: string;
  title: string;
  /** The compact element tree rendered for the model (element ids like `12`). */
  text: string;
  tabs: TabInfo[];
  /** Viewport screenshot (PNG) when requested and available. */
  screenshots: Buffer[];
  /** Ids the model may reference in this observation. */
  elementIds: ReadonlySet<string>;
  /** Token count of `text` (o200k), for budgeting and records. */
  tokens: number;
}

export interface ObserveOptions {
  screenshot: boolean;
  /** Extra screenshots scrolling down the page (max_screenshot_scrolls). */
  screenshotScrolls?: number;
  /** Element ids omitted (used by the verifier and extractor, which never act). */
  withoutIds?: boolean;
}

/** The actions the DOM engines can ask for; field names are the model-facing ones. */
export type AgentAction =
  | { type: 'click'; element: string; button?: 'left' | 'right'; double?: boolean }
  | {
      type: 'input_text';
      element: string;
      text: string;
      submit?: boolean;
      /** Press real keys (auto-advancing code boxes, autocompletes) instead of setting the value. */
      typed?: boolean;
    }
  /** A one-time code (a placeholder until it executes): one field, or one character per box. */
  | { type: 'enter_code'; element?: string; text: string }
  | {
      type: 'select_option';
      element: string;
      /** One option, or several of a multi-select (exactly these end up chosen). */
      options: { label?: string; value?: string; index?: number }[];
    }
  | { type: 'set_checked'; element: string; checked: boolean }
  | { type: 'upload_file'; element: string; fileUrl: string }
  | { type: 'download'; element: string }
  | { type: 'hover'; element: string }
  | { type: 'scroll'; element?: string; direction: 'up' | 'down' | 'left' | 'right' }
  | { type: 'keypress'; keys: string; element?: string }
  | { type: 'drag'; element: string; toElement: string }
  | { type: 'goto'; url: string }
  | { type: 'back' }
  | { type: 'forward' }
  | { type: 'reload' }
  | { type: 'new_tab'; url: string }
  | { type: 'switch_tab'; index: number }
  | { type: 'close_tab'; index: number }
  | { type: 'wait'; seconds: number };

export interface ActionOutcome {
  ok: boolean;
  /** Short machine kind of the failure, e.g. `element_not_found`, `timeout`, `not_interactable`. */
  errorKind?: string;
  /** Human-readable detail, safe to show to the model (no secrets). */
  message?: string;
  /** What the action changed; used to end a batch whose remaining element ids went stale. */
  effects: {
    navigated: boolean;
    newTab: boolean;
    /** New controls appeared (not attribute or class changes alone; docs/engines.md). */
    newElements: boolean;
    /** What the action started played out before the browser returned (false: bound hit). */
    settled?: boolean;
    dialog?: string;
    download?: { filename: string; size: number; sha256: string };
  };
}

export interface AgentBrowser {
  observe(options: ObserveOptions): Promise<PageObservation>;
  execute(action: AgentAction, signal: AbortSignal): Promise<ActionOutcome>;
  /** Navigate to the task's start URL. */
  open(url: string): Promise<void>;
}

export type ModelRole = 'actor' | 'verifier' | 'extractor' | 'classifier' | 'planner';

export interface ModelMessagePart {
  type: 'text' | 'image';
  text?: string;
  image?: Buffer;
}

export interface ModelRequest {
  role: ModelRole;
  system: string;
  content: ModelMessagePart[];
  /** JSON Schema the reply must follow; the reply's `json` is then the parsed object. */
  schema: Record<string, unknown>;
  schemaName: string;
  signal: AbortSignal;
}

export interface ModelReply {
  json: unknown;
  text: string;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  model: string;
  durationMs: number;
}

export interface AgentModel {
  /** Throws ModelOutputError when the reply is not valid JSON for the schema after repair. */
  complete(request: ModelRequest): Promise<ModelReply>;
}

/** Raised by AgentModel adapters when the model's reply cannot be used. */
export class ModelOutputError extends Error {
  override readonly name = 'ModelOutputError';
  constructor(
    message: string,
    readonly rawText: string,
    /** The unusable reply was still billed: count it like any other call. */
    readonly usage: ModelReply['usage'] = { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    readonly model = '',
    readonly durationMs = 0,
  ) {
    super(message);
  }

  /** The reply as a ModelReply, for usage sums and call records. */
  asReply(): ModelReply {
    return {
      json: undefined,
      text: this.rawText,
      usage: this.usage,
      model: this.model,
      durationMs: this.durationMs,
    };
  }
}
