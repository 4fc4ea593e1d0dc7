/** Engines for exercising the worker: real Engine implementations with scripted behaviour. */
import type { Engine, EngineContext, EngineName, EngineResult } from '../../src/engines/types.js';

export function engineFrom(
  name: EngineName,
  run: (ctx: EngineContext) => Promise<EngineResult>,
): Engine {
  return { name, run };
}

/** Resolves when the signal aborts (used by engines that "work" until canceled). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Emits one step, then waits for abort; records which runs it saw start. */
export function blockingEngine(name: EngineName = 'skyvern-2.0') {
  const started: string[] = [];
  const waiters = new Map<string, () => void>();
  const engine = engineFrom(name, async (ctx) => {
    started.push(ctx.task.runId);
    ctx.emit({ type: 'step_started', stepIndex: 0 });
    ctx.emit({
      type: 'step_finished',
      stepIndex: 0,
      summary: 'opened the page',
      usage: { inputTokens: 100, outputTokens: 10, costUsd: 0.001 },
    });
    waiters.get(ctx.task.runId)?.();
    await untilAborted(ctx.signal);
    return {
      outcome: { status: 'failed', failureReason: 'aborted' },
      errors: [],
      stepCount: 1,
      usage: { inputTokens: 100, outputTokens: 10, costUsd: 0.001 },
    };
  });
  return {
    engine,
    started,
    /** Resolves once the engine has started `runId` and emitted its first step. */
    startedRun(runId: string): Promise<void> {
      if (started.includes(runId)) return Promise.resolve();
      return new Promise((resolve) => waiters.set(runId, resolve));
    },
  };
}
