import { executeAction } from '../shared/actions.js';
import {
  addUsage,
  type CuaActionRecord,
  type CuaLoopOptions,
  type CuaLoopResult,
  type CuaUsage,
  failureFromError,
  invalidLoopOptions,
  invalidOptionsResult,
  ModelScreen,
  postOrThrow,
  ZERO_USAGE,
} from '../shared/loop.js';
import {
  buildOpenAiRequest,
  computerCallOutput,
  functionCallOutput,
  type OpenAiCuaVariant,
  openAiFirstInput,
  openAiVariantForModel,
  parseOpenAiResponse,
  type SafetyCheck,
  userNote,
} from './protocol.js';

/**
 * What to do when a `computer_call` carries `pending_safety_checks`:
 * `acknowledge` runs it and echoes the checks back as `acknowledged_safety_checks`;
 * `stop` ends the run with outcome `safety_stop` and the checks in the reason.
 */
export type SafetyCheckPolicy = 'acknowledge' | 'stop';

export interface OpenAiCuaLoopOptions extends CuaLoopOptions {
  /** Default: chosen from the model id (`computer-use-preview*` → preview, else GA). */
  variant?: OpenAiCuaVariant;
  /** Default `stop`: no safety check is acknowledged unless the operator opted in. */
  safetyCheckPolicy?: SafetyCheckPolicy;
  instructions?: string;
  reasoningSummary?: 'auto' | 'concise' | 'detailed' | null;
}

export async function runOpenAiCuaLoop(opts: OpenAiCuaLoopOptions): Promise<CuaLoopResult> {
  const invalid = invalidLoopOptions(opts);
  if (invalid) return invalidOptionsResult(invalid);
  const variant = opts.variant ?? openAiVariantForModel(opts.model);
  const policy = opts.safetyCheckPolicy ?? 'stop';
  const log = opts.onLog ?? (() => {});
  let usage: CuaUsage = ZERO_USAGE;
  let steps = 0;
  try {
    const screen = new ModelScreen(opts.computer, opts.displaySize);
    let input: unknown[] = openAiFirstInput(opts.task, await screen.capture(), variant);
    let previousResponseId: string | null = null;

    while (steps < opts.maxSteps) {
      if (opts.signal?.aborted) break;
      const req = buildOpenAiRequest({
        model: opts.model,
        variant,
        display: screen.size,
        input,
        previousResponseId,
        ...(opts.instructions !== undefined ? { instructions: opts.instructions } : {}),
        ...(opts.reasoningSummary !== undefined ? { reasoningSummary: opts.reasoningSummary } : {}),
      });
      const json = await postOrThrow(opts.postJson, req.path, req.body, req.headers, opts.signal);
      const res = parseOpenAiResponse(json);
      const stepIndex = steps++;
      usage = addUsage(usage, res.usage);
      const base = { stepIndex, reasoning: res.reasoning, message: res.message, usage: res.usage };

      if (res.calls.length === 0) {
        opts.onStep?.({ ...base, actions: [], screenshot: null });
        if (res.refusal !== null) {
          return fail(`the model refused: ${res.refusal}`, steps, usage);
        }
        const reply = opts.answerQuestion ? await opts.answerQuestion(res.message ?? '') : null;
        if (reply === null) {
          return { outcome: 'completed', answer: res.message ?? '', reason: null, steps, usage };
        }
        input = [userNote(reply)];
        previousResponseId = res.id;
        continue;
      }

      const checks = res.calls.flatMap((c) =>
        c.type === 'computer_call' ? c.pendingSafetyChecks : [],
      );
      if (checks.length > 0) {
        log({
          level: 'warn',
          message: `OpenAI pending safety checks: ${policy === 'stop' ? 'stopping' : 'acknowledging'}`,
          data: { checks, policy },
        });
        if (policy === 'stop') {
          opts.onStep?.({ ...base, actions: [], screenshot: null });
          return {
            outcome: 'safety_stop',
            answer: null,
            reason: `the model raised safety checks: ${describeChecks(checks)}`,
            steps,
            usage,
          };
        }
      }

      const records: CuaActionRecord[] = [];
      const outputs: unknown[] = [];
      const errors: string[] = [];
      let lastShot: Buffer | null = null;
      for (const call of res.calls) {
        if (call.type === 'function_call') {
          const msg = `Error: no function named "${call.name}" is available; use the computer tool.`;
          outputs.push(functionCallOutput(call.callId, msg));
          errors.push(msg);
          continue;
        }
        let failed = false;
        for (const action of call.actions) {
          if (opts.signal?.aborted) break;
          if (failed) {
            records.push({ action, callId: call.callId, status: 'not_executed' });
            continue;
          }
          const started = Date.now();
          const outcome = await executeAction(opts.computer, action, screen.scaler(), opts.signal);
          const durationMs = Date.now() - started;
          if (outcome.ok) {
            records.push({
              action,
              callId: call.callId,
              status: 'done',
              ...(outcome.text ? { output: outcome.text } : {}),
              durationMs,
            });
          } else {
            failed = true;
            records.push({
              action,
              callId: call.callId,
              status: 'failed',
              error: outcome.error,
              durationMs,
            });
            errors.push(outcome.error);
          }
        }
        if (opts.signal?.aborted) break;
        // Every call_id gets its own screenshot, even when its actions failed.
        lastShot = await screen.capture();
        outputs.push(computerCallOutput(call.callId, lastShot, variant, call.pendingSafetyChecks));
      }
      opts.onStep?.({ ...base, actions: records, screenshot: lastShot });
      if (opts.signal?.aborted) break;
      if (errors.length > 0) {
        outputs.push(userNote(`Some actions failed and were not completed:\n${errors.join('\n')}`));
      }
      input = outputs;
      previousResponseId = res.id;
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

function fail(reason: string, steps: number, usage: CuaUsage): CuaLoopResult {
  return { outcome: 'failed', answer: null, reason, steps, usage };
}

function describeChecks(checks: SafetyCheck[]): string {
  return checks
    .map((c) => [c.code ?? c.id, c.message].filter((s) => typeof s === 'string' && s).join(': '))
    .join('; ');
}
