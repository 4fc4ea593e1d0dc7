import {
  type CuaActionRecord,
  type CuaLoopOptions,
  type CuaLoopResult,
  ModelScreen,
} from '../shared/loop.js';
import { askUser, completedWith, executeTurn, failedWith, runCuaLoop } from '../shared/run.js';
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

export function runOpenAiCuaLoop(opts: OpenAiCuaLoopOptions): Promise<CuaLoopResult> {
  return runCuaLoop(opts, async () => {
    const variant = opts.variant ?? openAiVariantForModel(opts.model);
    const policy = opts.safetyCheckPolicy ?? 'stop';
    const log = opts.onLog ?? (() => {});
    const screen = new ModelScreen(opts.computer, opts.displaySize);
    let input: unknown[] = openAiFirstInput(opts.task, await screen.capture(), variant);
    let previousResponseId: string | null = null;
    return {
      request: () =>
        buildOpenAiRequest({
          model: opts.model,
          variant,
          display: screen.size,
          input,
          previousResponseId,
          ...(opts.instructions !== undefined ? { instructions: opts.instructions } : {}),
          ...(opts.reasoningSummary !== undefined
            ? { reasoningSummary: opts.reasoningSummary }
            : {}),
        }),
      parse: parseOpenAiResponse,
      async answer(res, stepIndex) {
        const base = {
          stepIndex,
          reasoning: res.reasoning,
          message: res.message,
          usage: res.usage,
        };

        if (res.calls.length === 0) {
          opts.onStep?.({ ...base, actions: [], screenshot: null });
          if (res.refusal !== null) return failedWith(`the model refused: ${res.refusal}`);
          const reply = await askUser(opts, res.message ?? '');
          if (reply === null) return completedWith(res.message ?? '');
          input = [userNote(reply)];
          previousResponseId = res.id;
          return null;
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
          const actions = call.actions.map((action) => ({ action, callId: call.callId }));
          for (const record of await executeTurn(opts.computer, screen, opts.signal, actions)) {
            records.push(record);
            if (record.error !== undefined) errors.push(record.error);
          }
          if (opts.signal?.aborted) break;
          // Every call_id gets its own screenshot, even when its actions failed.
          lastShot = await screen.capture();
          outputs.push(
            computerCallOutput(call.callId, lastShot, variant, call.pendingSafetyChecks),
          );
        }
        opts.onStep?.({ ...base, actions: records, screenshot: lastShot });
        if (opts.signal?.aborted) return null;
        if (errors.length > 0) {
          outputs.push(
            userNote(`Some actions failed and were not completed:\n${errors.join('\n')}`),
          );
        }
        input = outputs;
        previousResponseId = res.id;
        return null;
      },
    };
  });
}

function describeChecks(checks: SafetyCheck[]): string {
  return checks
    .map((c) => [c.code ?? c.id, c.message].filter((s) => typeof s === 'string' && s).join(': '))
    .join('; ');
}
