/**
 * What every primitive handler gets and gives. A handler works on one live browser (RunBrowser)
 * and, only when it must, asks the model; every model call is kept so the caller can record
 * usage and artifacts.
 */
import type { RunBrowser } from '../browser/index.js';
import type { CompletionResult, Llm } from '../llm/index.js';

export interface PrimitiveContext {
  browser: RunBrowser;
  /** The model; null when none is configured (a primitive that needs one fails saying so). */
  llm: Llm | null;
  signal?: AbortSignal;
  /** Model calls made so far, in order. */
  calls: CompletionResult[];
  /** What the handler did, one line each (recorded as the run's actions). */
  log: PrimitiveLogEntry[];
}

export interface PrimitiveLogEntry {
  /** e.g. `click role=button[name="Save"]`, `locate (model)`. */
  action: string;
  ok: boolean;
  note?: string;
  durationMs: number;
}

/** Why a primitive failed, in words a caller can act on; `field` names the request field. */
export class PrimitiveError extends Error {
  override readonly name = 'PrimitiveError';
  constructor(
    message: string,
    readonly field: string | null = null,
    readonly kind:
      | 'no_model'
      | 'not_found'
      | 'action_failed'
      | 'bad_output'
      | 'invalid' = 'action_failed',
  ) {
    super(message);
  }
}

export function newContext(
  browser: RunBrowser,
  llm: Llm | null,
  signal?: AbortSignal,
): PrimitiveContext {
  return { browser, llm, calls: [], log: [], ...(signal ? { signal } : {}) };
}

/** Runs `work`, logging it as one action line. */
export async function logged<T>(
  ctx: PrimitiveContext,
  action: string,
  work: () => Promise<T>,
  note?: (value: T) => string | undefined,
): Promise<T> {
  const started = performance.now();
  try {
    const value = await work();
    const n = note?.(value);
    ctx.log.push({
      action,
      ok: true,
      durationMs: performance.now() - started,
      ...(n ? { note: n } : {}),
    });
    return value;
  } catch (e) {
    ctx.log.push({
      action,
      ok: false,
      note: e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e),
      durationMs: performance.now() - started,
    });
    throw e;
  }
}
