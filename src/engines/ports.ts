import type { Action, ExecuteOptions, TabInfo } from '../browser/index.js';
import type { Usage } from '../core/index.js';

/**
 * What the DOM-based engines need from the browser and model layers, kept deliberately small.
 * src/engines/shared/agent-browser.ts and agent-model.ts implement them over src/browser and
 * src/llm; actions are the browser's own records (src/browser/act). Engine logic is
 * tested through the real adapters (real Chromium, fake model server over HTTP).
 */

/** One open tab as the agent sees it (the browser's own type). */
export type { TabInfo };

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

export interface AgentActionOutcome {
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
  /** Runs one of the browser's action records (src/browser/act) as the model planned it. */
  execute(
    action: Action,
    signal: AbortSignal,
    /**
     * How the action waits for the page afterwards (the browser's default: until it is quiet),
     * and a before-snapshot the caller already has (ExecuteOptions).
     */
    options?: ExecuteOptions,
  ): Promise<AgentActionOutcome>;
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
  usage: Usage;
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
