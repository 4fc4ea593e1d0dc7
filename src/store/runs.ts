/** The runs table's domain records and their row mapping, shared by the Store and RunLeases. */
import type { Selectable, Updateable, UpdateQueryBuilder, UpdateResult } from 'kysely';
import type { TaskRunRequestEcho } from '../contract/index.js';
import type { RunStatus, RunType, Usage } from '../core/index.js';
import type { Database, RunsTable } from './schema.js';

export type RunUsage = Usage;

/**
 * A task run's request as accepted (POST /v1/run/tasks): normalized, defaults applied, header
 * values and a proxy password masked and sealed into `_sealed` (src/runs/sealed-request.ts).
 */
export type TaskRequest = TaskRunRequestEcho & { _sealed?: string; sdk_action?: never };

/**
 * An SDK action run's request (POST /v1/sdk/run_action): its target and the action. The task
 * fields it lacks are typed absent, so a field read on either kind of request type-checks.
 */
export type SdkActionRequest = Pick<
  TaskRunRequestEcho,
  'prompt' | 'url' | 'browser_session_id' | 'browser_address'
> & { sdk_action: { type: string } } & {
  [K in Exclude<
    keyof TaskRequest,
    'prompt' | 'url' | 'browser_session_id' | 'browser_address' | 'sdk_action'
  >]?: never;
};

/** What a run was asked to do, as stored. */
export type RunRequest = TaskRequest | SdkActionRequest;

/** The engine column: a task engine, or `sdk` for an SDK action run. */
export type RunEngineName = RunsTable['engine'];

/** An UPDATE of the runs table being built (conditions are added with `where`). */
export type RunUpdate = UpdateQueryBuilder<Database, 'runs', 'runs', UpdateResult>;

export interface RunRecord {
  id: string;
  organizationId: string;
  engine: RunEngineName;
  runType: RunType;
  status: RunStatus;
  title: string | null;
  prompt: string;
  request: RunRequest;
  webhookUrl: string | null;
  output: unknown;
  errors: Record<string, unknown>[] | null;
  failureReason: string | null;
  stepCount: number;
  usage: RunUsage;
  attempts: number;
  createdAt: string;
  modifiedAt: string;
  queuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** The script a code-mode run replayed (Skyvern's ScriptRunResponse), else null. */
  scriptRun: {
    script_id: string | null;
    script_revision_id: string | null;
    ai_fallback_triggered: boolean;
  } | null;
}

export type NewRun = Omit<
  RunRecord,
  | 'scriptRun'
  | 'output'
  | 'errors'
  | 'failureReason'
  | 'stepCount'
  | 'usage'
  | 'attempts'
  | 'startedAt'
  | 'finishedAt'
>;

/** Fields a status change may set. `undefined` leaves a column unchanged. */
export interface RunPatch {
  status?: RunStatus;
  output?: unknown;
  /** Stored as JSON; read back as RunRecord['errors']. */
  errors?: readonly object[] | null;
  failureReason?: string | null;
  stepCount?: number;
  usage?: RunUsage;
  attempts?: number;
  queuedAt?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
  scriptRun?: RunRecord['scriptRun'];
  modifiedAt: string;
}

export const json = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);
export const parse = <T>(text: string | null): T | null =>
  text === null ? null : (JSON.parse(text) as T);

export function toRun(row: Selectable<RunsTable>): RunRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    engine: row.engine,
    runType: row.run_type,
    status: row.status,
    title: row.title,
    prompt: row.prompt,
    request: JSON.parse(row.request_json) as RunRequest,
    webhookUrl: row.webhook_url,
    output: parse<unknown>(row.output_json),
    errors: parse<Record<string, unknown>[]>(row.errors_json),
    failureReason: row.failure_reason,
    stepCount: row.step_count,
    usage: {
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      costUsd: row.cost_usd,
    },
    attempts: row.attempts,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    scriptRun: parse<RunRecord['scriptRun']>(row.script_run_json ?? null),
  };
}

export function patchColumns(patch: RunPatch): Updateable<RunsTable> {
  const cols: Updateable<RunsTable> = { modified_at: patch.modifiedAt };
  if (patch.status !== undefined) cols.status = patch.status;
  if (patch.output !== undefined) cols.output_json = json(patch.output);
  if (patch.errors !== undefined) cols.errors_json = json(patch.errors);
  if (patch.failureReason !== undefined) cols.failure_reason = patch.failureReason;
  if (patch.stepCount !== undefined) cols.step_count = patch.stepCount;
  if (patch.usage !== undefined) {
    cols.input_tokens = patch.usage.inputTokens;
    cols.output_tokens = patch.usage.outputTokens;
    cols.cost_usd = patch.usage.costUsd;
  }
  if (patch.attempts !== undefined) cols.attempts = patch.attempts;
  if (patch.queuedAt !== undefined) cols.queued_at = patch.queuedAt;
  if (patch.startedAt !== undefined) cols.started_at = patch.startedAt;
  if (patch.finishedAt !== undefined) cols.finished_at = patch.finishedAt;
  if (patch.scriptRun !== undefined) cols.script_run_json = json(patch.scriptRun);
  return cols;
}
