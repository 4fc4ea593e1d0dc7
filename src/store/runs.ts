/**
 * Runs and their steps: the domain records, their row mapping, and `RunStore`, the one place a run
 * row is inserted, read or changed (RunLeases' fenced writes go through `updateWhere` too).
 */
import {
  type Kysely,
  type Selectable,
  sql,
  type Updateable,
  type UpdateQueryBuilder,
  type UpdateResult,
} from 'kysely';
import type { TaskRunRequestEcho } from '../contract/index.js';
import { isTerminalStatus, type RunStatus, type RunType, type Usage } from '../core/index.js';
import { insertWithinQuota, type QuotaRefusal } from './quotas.js';
import { enqueueWebhookForRun } from './results.js';
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

export interface StepRecord {
  runId: string;
  stepIndex: number;
  kind: string;
  summary: string | null;
  usage: RunUsage;
  data: Record<string, unknown> | null;
  createdAt: string;
}

export interface ListRunsFilter {
  statuses?: readonly RunStatus[];
  /** Case-insensitive substring of run id, title or prompt. */
  search?: string;
  limit: number;
  offset: number;
}

/**
 * An organization's unfinished runs (created, queued, running, paused): what max_active_runs
 * counts, kept on its row by triggers on runs (migration 0013).
 */
async function activeRuns(db: Kysely<Database>, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom('organizations')
    .select('active_runs')
    .where('id', '=', organizationId)
    .executeTakeFirst();
  return Number(row?.active_runs ?? 0);
}

/** A new run's row. */
function runRow(run: NewRun) {
  return {
    id: run.id,
    organization_id: run.organizationId,
    engine: run.engine,
    run_type: run.runType,
    status: run.status,
    title: run.title,
    prompt: run.prompt,
    request_json: JSON.stringify(run.request),
    webhook_url: run.webhookUrl,
    output_json: null,
    errors_json: null,
    failure_reason: null,
    step_count: 0,
    input_tokens: 0,
    output_tokens: 0,
    cost_usd: 0,
    attempts: 0,
    created_at: run.createdAt,
    modified_at: run.modifiedAt,
    queued_at: run.queuedAt,
    started_at: null,
    finished_at: null,
  };
}

export class RunStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly isPostgres: boolean,
    /** Wakes the webhook dispatcher after a terminal status enqueued a delivery. */
    private readonly deliveryEnqueued: () => void,
  ) {}

  async insert(run: NewRun): Promise<void> {
    await this.db.insertInto('runs').values(runRow(run)).execute();
  }

  /**
   * Inserts the run unless its organization already has `limit` active runs (created, queued,
   * running or paused); returns what it saw when it refused.
   */
  async insertWithinQuota(run: NewRun, limit: number): Promise<QuotaRefusal | null> {
    // organizations.active_runs is kept by triggers on runs (migration 0013): one row read,
    // whatever the limit and however many runs are queued.
    if (!this.isPostgres) {
      // SQLite: one `insert … select … where <count> < limit` statement is atomic by itself and
      // costs about what a plain insert does (no BEGIN/COMMIT round trips).
      const values = runRow(run);
      const columns = Object.keys(values) as (keyof typeof values)[];
      const result = await sql`insert into runs (${sql.join(columns.map((c) => sql.ref(c)))})
        select ${sql.join(columns.map((c) => values[c]))}
        where (select active_runs from organizations where id = ${run.organizationId}) < ${limit}`.execute(
        this.db,
      );
      if (Number(result.numAffectedRows ?? 0) > 0) return null;
      return { active: await activeRuns(this.db, run.organizationId), limit };
    }
    return insertWithinQuota(
      this.db,
      run.organizationId,
      limit,
      (trx) => activeRuns(trx, run.organizationId),
      async (trx) => {
        await trx.insertInto('runs').values(runRow(run)).execute();
      },
    );
  }

  /** A run of one organization; null when it does not exist or belongs to another. */
  async get(organizationId: string, runId: string): Promise<RunRecord | null> {
    const row = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('id', '=', runId)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return row ? toRun(row) : null;
  }

  /** A run of any organization (the worker, the webhook dispatcher). */
  async getById(runId: string): Promise<RunRecord | null> {
    const row = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirst();
    return row ? toRun(row) : null;
  }

  /** Newest first. */
  async list(organizationId: string, filter: ListRunsFilter): Promise<RunRecord[]> {
    let query = this.db
      .selectFrom('runs')
      .selectAll()
      .where('organization_id', '=', organizationId);
    if (filter.statuses && filter.statuses.length > 0)
      query = query.where('status', 'in', [...filter.statuses]);
    if (filter.search) {
      const pattern = `%${filter.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where((eb) =>
        eb.or([
          eb(sql`lower(id)`, 'like', sql`${pattern} escape '\\'`),
          eb(sql`lower(coalesce(title, ''))`, 'like', sql`${pattern} escape '\\'`),
          eb(sql`lower(prompt)`, 'like', sql`${pattern} escape '\\'`),
        ]),
      );
    }
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute();
    return rows.map(toRun);
  }

  /**
   * Compare-and-set: applies `patch` only while the run is in one of `expected` statuses.
   * Returns the updated run, or null when the run had already moved on.
   */
  async updateIf(
    runId: string,
    expected: readonly RunStatus[],
    patch: RunPatch,
  ): Promise<RunRecord | null> {
    return this.updateWhere(runId, (q) => q.where('status', 'in', [...expected]), patch);
  }

  /**
   * The one way a run row changes under a condition (status, lease owner, …). A terminal status
   * and its webhook delivery are written in one transaction (the outbox), whoever writes it.
   */
  async updateWhere(
    runId: string,
    condition: (q: RunUpdate) => RunUpdate,
    patch: RunPatch,
    extra: Partial<Updateable<RunsTable>> = {},
  ): Promise<RunRecord | null> {
    const update = (db: Kysely<Database>) =>
      condition(
        db
          .updateTable('runs')
          .set({ ...patchColumns(patch), ...extra })
          .where('id', '=', runId),
      )
        .returningAll()
        .executeTakeFirst();
    if (patch.status === undefined || !isTerminalStatus(patch.status)) {
      const row = await update(this.db);
      return row ? toRun(row) : null;
    }
    const row = await this.db.transaction().execute(async (trx) => {
      const updated = await update(trx);
      if (updated) await enqueueWebhookForRun(trx, updated, patch.modifiedAt);
      return updated;
    });
    if (row?.webhook_url) this.deliveryEnqueued();
    return row ? toRun(row) : null;
  }

  async insertStep(step: StepRecord): Promise<void> {
    await this.db
      .insertInto('run_steps')
      .values({
        run_id: step.runId,
        step_index: step.stepIndex,
        kind: step.kind,
        summary: step.summary,
        input_tokens: step.usage.inputTokens,
        output_tokens: step.usage.outputTokens,
        cost_usd: step.usage.costUsd,
        data_json: json(step.data),
        created_at: step.createdAt,
      })
      .execute();
  }

  /** A run's steps in the order they were recorded. */
  async steps(runId: string): Promise<StepRecord[]> {
    const rows = await this.db
      .selectFrom('run_steps')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      runId: r.run_id,
      stepIndex: r.step_index,
      kind: r.kind,
      summary: r.summary,
      usage: { inputTokens: r.input_tokens, outputTokens: r.output_tokens, costUsd: r.cost_usd },
      data: parse<Record<string, unknown>>(r.data_json),
      createdAt: r.created_at,
    }));
  }
}
