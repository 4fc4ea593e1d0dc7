import type { EngineEvent, EngineResult, Usage } from '../types.js';
import type { CuaAction } from './shared/actions.js';
import type { CuaLoopResult, CuaStepRecord, CuaUsage } from './shared/loop.js';

/** Prices token usage; supplied by the LLM layer. Without it cost is reported as 0. */
export type CostOf = (usage: CuaUsage) => number;

function toUsage(usage: CuaUsage, costOf?: CostOf): Usage {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    costUsd: costOf ? costOf(usage) : 0,
  };
}

/**
 * A loop result in the run worker's terms. Only `completed` completes; stopping for a human
 * (safety check, call_user) or a cancel terminates; everything else fails with the loop's reason.
 */
export function cuaResultToEngineResult(result: CuaLoopResult, costOf?: CostOf): EngineResult {
  const usage = toUsage(result.usage, costOf);
  const base = { errors: [], stepCount: result.steps, usage };
  switch (result.outcome) {
    case 'completed':
      return { ...base, outcome: { status: 'completed', output: result.answer } };
    case 'canceled':
    case 'safety_stop':
    case 'needs_user':
      return {
        ...base,
        outcome: {
          status: 'terminated',
          failureReason: result.reason ?? result.outcome,
          ...(result.answer !== null ? { output: result.answer } : {}),
        },
      };
    case 'max_steps':
    case 'failed':
      return {
        ...base,
        outcome: { status: 'failed', failureReason: result.reason ?? result.outcome },
      };
  }
}

/** The worker-facing events for one recorded step (screenshots are stored separately). */
export function cuaStepToEvents(step: CuaStepRecord, costOf?: CostOf): EngineEvent[] {
  const actions = step.actions.map((a) => {
    const text = describeAction(a.action);
    return a.status === 'done' ? text : `${text} [${a.status}${a.error ? `: ${a.error}` : ''}]`;
  });
  const summary =
    step.error !== undefined
      ? `unusable model reply: ${step.error}`
      : actions.length > 0
        ? actions.join('; ')
        : step.message !== null
          ? `message: ${step.message}`
          : 'no action';
  return [
    { type: 'step_started', stepIndex: step.stepIndex },
    // One record per action the model asked for, with its outcome, for the run's steps and
    // timeline (typed text shows as its length only).
    ...step.actions.map(
      (a, actionIndex): EngineEvent => ({
        type: 'action',
        stepIndex: step.stepIndex,
        actionIndex,
        action: describeAction(a.action),
        ok: a.status === 'done',
        ...(a.status !== 'done'
          ? { note: a.error ? `${a.status}: ${a.error}` : a.status }
          : a.output
            ? { note: a.output }
            : {}),
        durationMs: a.durationMs ?? 0,
      }),
    ),
    {
      type: 'step_finished',
      stepIndex: step.stepIndex,
      summary,
      usage: toUsage(step.usage, costOf),
    },
  ];
}

/** A short human-readable form of an action, for step summaries and logs. */
export function describeAction(action: CuaAction): string {
  const pt = (p: { x: number; y: number } | null) =>
    p ? `(${Math.round(p.x)},${Math.round(p.y)})` : '(cursor)';
  switch (action.kind) {
    case 'click':
      return `${action.clickCount > 1 ? `${action.clickCount}x ` : ''}${action.button} click ${pt(action.at)}`;
    case 'move':
      return `move ${pt(action.to)}`;
    case 'drag':
      return `drag ${action.path.map(pt).join('→')}`;
    case 'mouse_down':
    case 'mouse_up':
      return `${action.kind.replace('_', ' ')} ${pt(action.at)}`;
    case 'scroll':
      return `scroll ${action.dx},${action.dy} at ${pt(action.at)}`;
    case 'type':
      return `type ${action.text.length} chars${action.pressEnterAfter ? ' + Enter' : ''}`;
    case 'keypress':
      return `press ${action.keys.join('+')}${action.repeat > 1 ? ` x${action.repeat}` : ''}`;
    case 'hold_key':
      return `hold ${action.keys.join('+')} ${action.durationMs} ms`;
    case 'wait':
      return `wait ${action.ms} ms`;
    case 'zoom':
      return `zoom (${action.region.x1},${action.region.y1})-(${action.region.x2},${action.region.y2})`;
    case 'invalid':
      return `invalid ${action.name}`;
    default:
      return action.kind.replace('_', ' ');
  }
}
