import type { ComputerPrimitives } from '../../../browser/index.js';
import type { Usage } from '../../../core/index.js';
import type { CuaAction } from './actions.js';
import { CuaHttpError, CuaProtocolError, providerErrorMessage } from './errors.js';
import { CoordinateScaler, type Size } from './geometry.js';
import { pngSize, resizePng } from './image.js';
import type { PostJson } from './transport.js';

/** Tokens of a vendor call (its cost is priced later from the model's price). */
export type CuaUsage = Omit<Usage, 'costUsd'>;

export interface CuaActionRecord {
  action: CuaAction;
  /** The vendor's call id this action answers to (OpenAI call_id, Anthropic tool_use id). */
  callId: string | null;
  status: 'done' | 'failed' | 'not_executed';
  error?: string;
  /** Text result, e.g. the cursor position. */
  output?: string;
  /** How long the browser took to run it (absent when it did not run). */
  durationMs?: number;
}

/** What happened in one model turn; emitted through `onStep` as soon as the turn is answered. */
export interface CuaStepRecord {
  stepIndex: number;
  /** The model's reasoning summary, thinking or `Thought:` text, if it gave one. */
  reasoning: string | null;
  /** Assistant text of this turn (the final answer on the last step). */
  message: string | null;
  actions: CuaActionRecord[];
  /** PNG in model space taken after this turn's actions: what the model sees next. */
  screenshot: Buffer | null;
  usage: CuaUsage;
  /** Set when the turn itself went wrong (unparseable reply that we re-asked about). */
  error?: string;
}

export type CuaOutcome =
  | 'completed'
  | 'max_steps'
  | 'canceled'
  | 'safety_stop'
  | 'needs_user'
  | 'failed';

export interface CuaLoopResult {
  outcome: CuaOutcome;
  /** The model's final message (`completed`), or its question (`needs_user`). */
  answer: string | null;
  /** Why the loop stopped when it did not complete. */
  reason: string | null;
  /** Model turns taken. */
  steps: number;
  usage: CuaUsage;
}

export interface CuaLogEntry {
  level: 'debug' | 'info' | 'warn';
  message: string;
  data?: Record<string, unknown>;
}

/** Options every CUA loop takes. */
export interface CuaLoopOptions {
  computer: ComputerPrimitives;
  postJson: PostJson;
  model: string;
  /** The user's goal in plain words. */
  task: string;
  maxSteps: number;
  signal?: AbortSignal;
  /**
   * Size of the screenshots the model sees and of its coordinate space. Default: the viewport, or
   * for Anthropic a standard size no bigger than 1366 px wide. Screenshots are resampled to it and
   * coordinates scaled back to the viewport.
   */
  displaySize?: Size;
  onStep?: (record: CuaStepRecord) => void;
  onLog?: (entry: CuaLogEntry) => void;
  /**
   * Called when the model stops acting and talks instead (OpenAI/Anthropic: a turn with text and
   * no action; UI-TARS: `call_user()`), e.g. to confirm a step or ask for a verification code.
   * Return a reply to send it to the model and carry on, or null to end the run with that text
   * (`completed`, or `needs_user` for UI-TARS).
   */
  answerQuestion?: (text: string) => Promise<string | null>;
}

/** Checks the options every loop shares; returns a reason naming the field, or null. */
export function invalidLoopOptions(opts: CuaLoopOptions): string | null {
  if (!Number.isInteger(opts.maxSteps) || opts.maxSteps < 1) {
    return `maxSteps must be a positive integer (got ${String(opts.maxSteps)})`;
  }
  if (typeof opts.task !== 'string' || opts.task.trim() === '')
    return 'task must be a non-empty string';
  if (typeof opts.model !== 'string' || opts.model.trim() === '')
    return 'model must be a non-empty string';
  const d = opts.displaySize;
  if (
    d &&
    !(Number.isInteger(d.width) && Number.isInteger(d.height) && d.width > 0 && d.height > 0)
  ) {
    return `displaySize must be positive integer width and height (got ${d.width}x${d.height})`;
  }
  return null;
}

export function invalidOptionsResult(reason: string): CuaLoopResult {
  return {
    outcome: 'failed',
    answer: null,
    reason: `invalid options: ${reason}`,
    steps: 0,
    usage: ZERO_USAGE,
  };
}

/**
 * The screen as the model sees it: a fixed model-space size, screenshots resampled to it, and the
 * scaler from model coordinates to the live viewport.
 */
export class ModelScreen {
  readonly size: Size;

  constructor(
    private readonly computer: ComputerPrimitives,
    size?: Size,
  ) {
    this.size = size ? { ...size } : computer.viewport();
    if (!(this.size.width > 0 && this.size.height > 0)) {
      throw new Error(`display size ${this.size.width}x${this.size.height} is not positive`);
    }
  }

  scaler(): CoordinateScaler {
    return new CoordinateScaler(this.size, this.computer.viewport());
  }

  /** A PNG of the viewport, exactly `size` pixels. */
  async capture(): Promise<Buffer> {
    const png = await this.computer.screenshot();
    const actual = pngSize(png);
    if (actual.width === this.size.width && actual.height === this.size.height) return png;
    return resizePng(png, this.size);
  }
}

export function addUsage(a: CuaUsage, b: CuaUsage): CuaUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
  };
}

export const ZERO_USAGE: CuaUsage = { inputTokens: 0, outputTokens: 0 };

export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** POSTs and returns the JSON body, turning a non-2xx status into CuaHttpError. */
export async function postOrThrow(
  postJson: PostJson,
  path: string,
  body: unknown,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<unknown> {
  const res = await postJson(path, body, headers, signal);
  if (res.status < 200 || res.status >= 300) {
    throw new CuaHttpError(res.status, `HTTP ${res.status}: ${providerErrorMessage(res.json)}`);
  }
  return res.json;
}

/** Turns an exception from one turn into the loop's failure result. */
export function failureFromError(
  error: unknown,
  signal: AbortSignal | undefined,
  steps: number,
  usage: CuaUsage,
): CuaLoopResult {
  if (signal?.aborted)
    return { outcome: 'canceled', answer: null, reason: 'canceled', steps, usage };
  const prefix =
    error instanceof CuaProtocolError
      ? 'malformed model reply'
      : error instanceof CuaHttpError
        ? 'model request failed'
        : 'computer-use step failed';
  const message = error instanceof Error ? error.message : String(error);
  return { outcome: 'failed', answer: null, reason: `${prefix}: ${message}`, steps, usage };
}
