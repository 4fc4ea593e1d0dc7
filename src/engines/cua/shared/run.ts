/**
 * The computer-use run loop the three vendors share: ask the model, count the turn, let the
 * vendor's adapter act on the reply, until it ends the run, the step budget runs out, or the
 * signal aborts. The adapters (anthropic/, openai/, ui-tars/) only speak their wire format.
 */
import type { ComputerPrimitives } from '../../../browser/index.js';
import { type CuaAction, type CuaActionOutcome, executeAction } from './actions.js';
import {
  addUsage,
  type CuaActionRecord,
  type CuaLoopOptions,
  type CuaLoopResult,
  type CuaUsage,
  failureFromError,
  invalidLoopOptions,
  invalidOptionsResult,
  type ModelScreen,
  postOrThrow,
  ZERO_USAGE,
} from './loop.js';

/** How a run ends, as an adapter decides it (the loop adds steps and usage). */
export type CuaEnd = Pick<CuaLoopResult, 'outcome' | 'answer' | 'reason'>;

/** One vendor's side of a turn. */
export interface CuaAdapter<Reply extends { usage: CuaUsage }> {
  /** The next model request (the conversation so far). */
  request(): { path: string; body: unknown; headers: Record<string, string> };
  /** The vendor's reply read into its parts; throws CuaProtocolError when it is malformed. */
  parse(json: unknown): Reply;
  /**
   * Acts on the reply (runs its actions, reports the step, extends the conversation): null to ask
   * the model again, or how the run ends. A thrown error ends the run as failed.
   */
  answer(reply: Reply, stepIndex: number): Promise<CuaEnd | null>;
}

/**
 * Runs the loop: `start` sets the conversation up (first screenshot included) and returns the
 * vendor's adapter. Options are checked first; nothing throws out of here.
 */
export async function runCuaLoop<Reply extends { usage: CuaUsage }>(
  opts: CuaLoopOptions,
  start: () => Promise<CuaAdapter<Reply>>,
): Promise<CuaLoopResult> {
  const invalid = invalidLoopOptions(opts);
  if (invalid) return invalidOptionsResult(invalid);
  let usage: CuaUsage = ZERO_USAGE;
  let steps = 0;
  try {
    const adapter = await start();
    while (steps < opts.maxSteps) {
      if (opts.signal?.aborted) break;
      const req = adapter.request();
      const json = await postOrThrow(opts.postJson, req.path, req.body, req.headers, opts.signal);
      const reply = adapter.parse(json);
      const stepIndex = steps++;
      usage = addUsage(usage, reply.usage);
      const end = await adapter.answer(reply, stepIndex);
      if (end) return { ...end, steps, usage };
    }
    if (opts.signal?.aborted)
      return { outcome: 'canceled', answer: null, reason: 'canceled', steps, usage };
    return {
      outcome: 'max_steps',
      answer: null,
      reason: `reached max_steps (${opts.maxSteps}) before the model finished`,
      steps,
      usage,
    };
  } catch (error) {
    return failureFromError(error, opts.signal, steps, usage);
  }
}

export function completedWith(answer: string): CuaEnd {
  return { outcome: 'completed', answer, reason: null };
}

export function failedWith(reason: string): CuaEnd {
  return { outcome: 'failed', answer: null, reason };
}

/**
 * The model talked instead of acting: its text goes to `answerQuestion`. The reply to send back,
 * or null when nobody answers (the run ends on that text).
 */
export function askUser(opts: CuaLoopOptions, text: string): Promise<string | null> {
  return opts.answerQuestion ? opts.answerQuestion(text) : Promise.resolve(null);
}

/** One action of a turn and the vendor call it answers to. */
export interface TurnAction {
  action: CuaAction;
  callId: string | null;
}

/**
 * Runs a turn's actions in order, in model coordinates. Once one fails, the rest are recorded as
 * not executed; when the signal aborts, the rest are left out. `after` sees each record (and the
 * outcome, null when not executed) before the next action runs.
 */
export async function executeTurn(
  computer: ComputerPrimitives,
  screen: ModelScreen,
  signal: AbortSignal | undefined,
  actions: readonly TurnAction[],
  after?: (record: CuaActionRecord, outcome: CuaActionOutcome | null, index: number) => unknown,
): Promise<CuaActionRecord[]> {
  const records: CuaActionRecord[] = [];
  let failed = false;
  for (const [index, { action, callId }] of actions.entries()) {
    if (signal?.aborted) break;
    let record: CuaActionRecord;
    let outcome: CuaActionOutcome | null = null;
    if (failed) record = { action, callId, status: 'not_executed' };
    else {
      const started = Date.now();
      outcome = await executeAction(computer, action, screen.scaler(), signal);
      const durationMs = Date.now() - started;
      if (outcome.ok) {
        const output = outcome.text ? { output: outcome.text } : {};
        record = { action, callId, status: 'done', ...output, durationMs };
      } else {
        failed = true;
        record = { action, callId, status: 'failed', error: outcome.error, durationMs };
      }
    }
    records.push(record);
    await after?.(record, outcome, index);
  }
  return records;
}
