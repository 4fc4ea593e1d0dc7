/**
 * Records what an engine reports while it runs one run: each event as a step row and a log line,
 * a model call's prompt and answer as llm_prompt / llm_response artifacts, and the run's step
 * count and usage as they grow. Events are masked first (nothing an engine reports may carry a
 * secret) and written in order; `flush` waits for the writes.
 */
import type { Logger } from 'pino';
import type { ArtifactSink } from '../artifacts/index.js';
import type { SecretVault } from '../credentials/index.js';
import type { EngineEvent } from '../engines/index.js';
import type { RunRecord, RunUsage, Store } from '../store/index.js';
import { now } from './service.js';

export const ZERO_USAGE: RunUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };

const addUsage = (a: RunUsage, b: RunUsage): RunUsage => ({
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
  costUsd: a.costUsd + b.costUsd,
});

export interface EventRecorderOptions {
  store: Store;
  logger: Logger;
  run: RunRecord;
  /** The lease owner: the counters are written only while it holds the run. */
  owner: string;
  /** Where llm_prompt / llm_response artifacts go; none without an artifact service. */
  sink?: ArtifactSink | undefined;
  /** Masks the run's secrets in every event; null when the run has none. */
  vault: Pick<SecretVault, 'maskDeep'> | null;
}

export class EventRecorder {
  private usage: RunUsage = ZERO_USAGE;
  private steps = 0;
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly options: EventRecorderOptions) {}

  /** The engine's `ctx.emit`. */
  readonly emit = (raw: EngineEvent): void => {
    const { vault, store, run, owner } = this.options;
    const event = vault ? vault.maskDeep(raw) : raw;
    // Usage accrues from model calls and from steps that carry it (engines report it once).
    if (event.type === 'model_call') this.usage = addUsage(this.usage, event.usage);
    this.record(event);
    if (event.type !== 'step_finished') return;
    this.steps = Math.max(this.steps, event.stepIndex + 1);
    if (event.usage) this.usage = addUsage(this.usage, event.usage);
    const snapshot = { stepCount: this.steps, usage: this.usage };
    this.writes = this.writes.then(async () => {
      await store.leases.updateOwned(run.id, owner, ['running'], {
        ...snapshot,
        modifiedAt: now(),
      });
    });
  };

  /** Waits for every queued write; the step count and usage reached. */
  async flush(): Promise<{ stepCount: number; usage: RunUsage }> {
    await this.writes;
    return { stepCount: this.steps, usage: this.usage };
  }

  private record(event: EngineEvent): void {
    const { logger, run, sink } = this.options;
    // Stamped when it happened, not when the queued write before it finished.
    const at = now();
    this.writes = this.writes
      .then(() => this.insertStep(event, at))
      .then(() => (sink ? recordModelCall(sink, event) : undefined))
      .catch((error) => {
        logger.warn({ err: error, run_id: run.id }, 'could not record an engine event');
      });
  }

  private async insertStep(event: EngineEvent, at: string): Promise<void> {
    const { logger, store, run } = this.options;
    if (event.type === 'log') {
      logger[event.level]({ run_id: run.id, ...event.data }, event.message);
      return;
    }
    const stepIndex =
      'stepIndex' in event
        ? event.stepIndex
        : event.type === 'subgoal_started'
          ? event.firstStep
          : -1;
    const usage =
      (event.type === 'step_finished' || event.type === 'model_call') && event.usage
        ? event.usage
        : ZERO_USAGE;
    const summary = eventSummary(event);
    logger.info(
      { run_id: run.id, step: stepIndex, event: event.type, summary: summary ?? undefined },
      'run step',
    );
    await store.runs.insertStep({
      runId: run.id,
      stepIndex,
      kind: event.type,
      summary,
      usage,
      data: eventData(event),
      createdAt: at,
    });
  }
}

/** Keeps a model call's prompt and answer as llm_prompt / llm_response artifacts. */
async function recordModelCall(sink: ArtifactSink, event: EngineEvent): Promise<void> {
  if (event.type !== 'model_call') return;
  const stepId = `step_${event.stepIndex}`;
  const { prompt, response } = event;
  const meta = { role: event.role, model: event.model };
  await sink.put({
    type: 'llm_prompt',
    stepId,
    contentType: 'application/json',
    bytes: JSON.stringify({ ...meta, prompt }),
  });
  await sink.put({
    type: 'llm_response',
    stepId,
    contentType: 'text/plain; charset=utf-8',
    bytes: response,
  });
}

/** One line for logs and the step list. */
function eventSummary(event: Exclude<EngineEvent, { type: 'log' }>): string | null {
  switch (event.type) {
    case 'step_finished':
      return event.summary;
    case 'action':
      return `${event.action}${event.ok ? '' : ' (failed)'}${event.note ? ` — ${event.note}` : ''}`;
    case 'model_call':
      return `${event.role} call to ${event.model} (${event.durationMs} ms)`;
    case 'subgoal_started':
      return `${event.kind}: ${event.goal}`;
    case 'subgoal_finished':
      return `${event.status}: ${event.outcome}`;
    case 'network_blocked':
      return `blocked ${event.url}: ${event.reason}`;
    default:
      return null;
  }
}

/** What the timeline needs of an event; prompts and responses are stored as artifacts instead. */
function eventData(event: Exclude<EngineEvent, { type: 'log' }>): Record<string, unknown> | null {
  switch (event.type) {
    case 'action':
      return {
        action_index: event.actionIndex,
        action: event.action,
        ok: event.ok,
        note: event.note ?? null,
        duration_ms: event.durationMs,
      };
    case 'model_call':
      return { role: event.role, model: event.model, duration_ms: event.durationMs };
    case 'step_finished':
      if (!event.reasoning && event.observeMs === undefined) return null;
      return {
        ...(event.reasoning ? { reasoning: event.reasoning } : {}),
        ...(event.observeMs !== undefined ? { observe_ms: event.observeMs } : {}),
      };
    case 'subgoal_started':
      return { subgoal_index: event.subgoalIndex, kind: event.kind, goal: event.goal };
    case 'subgoal_finished':
      return {
        subgoal_index: event.subgoalIndex,
        status: event.status,
        outcome: event.outcome,
        data: event.data ?? null,
      };
    case 'network_blocked':
      return { method: event.method, url: event.url, reason: event.reason };
    default:
      return null;
  }
}
