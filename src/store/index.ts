/**
 * The only place that writes SQL. Callers get domain records (camelCase, parsed JSON) and never
 * see Kysely; a Postgres dialect can be added in `openStore` without touching them.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteStatement,
  sql,
  type Updateable,
} from 'kysely';
import { isTerminalStatus, type RunStatus } from '../core/index.js';
import { ApiKeyQueries } from './api-keys.js';
import { SqlCredentialStore, SqlRunSigningKeyStore, SqlTotpCodeStore } from './credentials.js';
import { RunLeases } from './leases.js';
import { migrationProvider } from './migrations.js';
import { OwnEndpointStore } from './own-endpoints.js';
import { openPostgres } from './postgres.js';
import { BrowserProfileStore } from './profiles.js';
import { insertWithinQuota, type QuotaRefusal } from './quotas.js';

export type { ScriptRecord, ScriptRevisionRecord, ScriptStore } from './scripts.js';

import { enqueueWebhookForRun, ResultsStore } from './results.js';
import {
  json,
  type NewRun,
  parse,
  patchColumns,
  type RunPatch,
  type RunRecord,
  type RunUpdate,
  type RunUsage,
  toRun,
} from './runs.js';
import type { Database, RunsTable } from './schema.js';
import { ScriptStore } from './scripts.js';
import { SessionStore } from './sessions.js';
import { WorkerDirectory } from './workers.js';

export type {
  ApiKeySummary,
  KeyIdentity,
  NewApiKey,
  OrganizationRecord,
} from './api-keys.js';
export { SqlCredentialStore, SqlRunSigningKeyStore, SqlTotpCodeStore } from './credentials.js';
export type { OwnEndpointStore } from './own-endpoints.js';
export type {
  BrowserProfileRecord,
  BrowserProfileStore,
  ProfileListFilter,
  SessionProfileLink,
} from './profiles.js';
export type { QuotaRefusal } from './quotas.js';
export * from './results.js';
export {
  type NewRun,
  patchColumns,
  type RunEngineName,
  type RunPatch,
  type RunRecord,
  type RunRequest,
  type RunUpdate,
  type RunUsage,
  type SdkActionRequest,
  type TaskRequest,
  toRun,
} from './runs.js';
export type { Database } from './schema.js';
export type { BrowserSessionRecord, SessionStore } from './sessions.js';
export type { WorkerDirectory } from './workers.js';

/** Unfinished runs: what the max_active_runs quota counts. */
const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['created', 'queued', 'running', 'paused'];

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

export interface Organization {
  id: string;
  name: string;
  createdAt: string;
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

export interface StoreOptions {
  /** Directory holding wren.db; created when missing. Ignored when `filename` is given. */
  dataDir?: string;
  /** Explicit SQLite file, or ':memory:'. */
  filename?: string;
  /** postgres://… selects PostgreSQL instead of SQLite (WREN_DATABASE_URL). */
  databaseUrl?: string | null;
}

export class Store {
  readonly results: ResultsStore;

  constructor(private readonly db: Kysely<Database>) {
    this.results = new ResultsStore(db);
  }

  /** Persistent browser sessions. */
  get sessions(): SessionStore {
    return new SessionStore(this.db);
  }

  /** Browser profiles and sessions' links to them (src/store/profiles.ts). */
  get browserProfiles(): BrowserProfileStore {
    return new BrowserProfileStore(this.db);
  }

  /** Compiled scripts and revisions for code mode (src/store/scripts.ts). */
  get scripts(): ScriptStore {
    return new ScriptStore(this.db);
  }

  /** API key listings (src/store/api-keys.ts). */
  apiKeys(): ApiKeyQueries {
    return new ApiKeyQueries(this.db);
  }

  get isPostgres(): boolean {
    return this.db.getExecutor().adapter instanceof PostgresAdapter;
  }

  /** Leased claims for workers in several processes (src/store/leases.ts). */
  get leases(): RunLeases {
    return new RunLeases(this.db, this.isPostgres, this);
  }

  /** Raw browser ports every process of a host refuses (src/store/own-endpoints.ts). */
  get ownEndpoints(): OwnEndpointStore {
    return new OwnEndpointStore(this.db);
  }

  /** Worker processes and where they serve live views (src/store/workers.ts). */
  get workers(): WorkerDirectory {
    return new WorkerDirectory(this.db);
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: migrationProvider });
    let { error, results } = await migrator.migrateToLatest();
    // Processes starting together race to create Kysely's bookkeeping tables on Postgres; the
    // loser sees a duplicate-object error and simply tries again under the migration lock.
    if (error && this.isPostgres) ({ error, results } = await migrator.migrateToLatest());
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new Error(
        `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Pushed one-time codes and stored logins (src/store/credentials.ts). */
  get totpCodes(): SqlTotpCodeStore {
    return new SqlTotpCodeStore(this.db);
  }
  get credentials(): SqlCredentialStore {
    return new SqlCredentialStore(this.db);
  }
  get runSigningKeys(): SqlRunSigningKeyStore {
    return new SqlRunSigningKeyStore(this.db);
  }

  // ── organizations and API keys ──────────────────────────────────────────────

  async createOrganization(
    org: Organization & { maxBrowserSessions?: number | null; maxActiveRuns?: number | null },
  ): Promise<void> {
    await this.db
      .insertInto('organizations')
      .values({
        id: org.id,
        name: org.name,
        created_at: org.createdAt,
        max_browser_sessions: org.maxBrowserSessions ?? null,
        max_active_runs: org.maxActiveRuns ?? null,
      })
      .execute();
  }

  /** The first organization created (the one first start makes). */
  async firstOrganization(): Promise<Organization | null> {
    const row = await this.db
      .selectFrom('organizations')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
  }

  async countApiKeys(): Promise<number> {
    const row = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertApiKey(key: {
    id: string;
    organizationId: string;
    keyHash: string;
    keyPrefix: string;
    label: string | null;
    createdAt: string;
    admin?: boolean;
    source?: string | null;
  }): Promise<boolean> {
    return this.apiKeys().insert(key);
  }

  async organizationForKeyHash(keyHash: string): Promise<Organization | null> {
    return (await this.apiKeys().identityForHash(keyHash))?.organization ?? null;
  }

  // ── runs ────────────────────────────────────────────────────────────────────

  async insertRun(run: NewRun): Promise<void> {
    await this.insertRunWith(this.db, run);
  }

  /**
   * Inserts the run unless its organization already has `limit` active runs (created, queued,
   * running or paused); returns what it saw when it refused.
   */
  async insertRunWithinQuota(run: NewRun, limit: number): Promise<QuotaRefusal | null> {
    if (!this.isPostgres) {
      // SQLite: one `insert … select … where <count> < limit` statement is atomic by itself and
      // costs about what a plain insert does (no BEGIN/COMMIT round trips).
      const values = runRow(run);
      const columns = Object.keys(values) as (keyof typeof values)[];
      const result = await sql`insert into runs (${sql.join(columns.map((c) => sql.ref(c)))})
        select ${sql.join(columns.map((c) => values[c]))}
        where (select count(*) from (select 1 from runs where organization_id = ${run.organizationId}
          and status in (${sql.join(ACTIVE_RUN_STATUSES)}) limit ${limit})) < ${limit}`.execute(
        this.db,
      );
      return Number(result.numAffectedRows ?? 0) > 0 ? null : { active: limit, limit };
    }
    return insertWithinQuota(
      this.db,
      run.organizationId,
      limit,
      async (trx) => {
        // Counted up to the limit only: the cost stays bounded however many there are.
        const row = await trx
          .selectFrom((q) =>
            q
              .selectFrom('runs')
              .select('id')
              .where('organization_id', '=', run.organizationId)
              .where('status', 'in', ACTIVE_RUN_STATUSES)
              .limit(limit)
              .as('active'),
          )
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        return Number(row.n);
      },
      (trx) => this.insertRunWith(trx, run),
    );
  }

  private async insertRunWith(db: Kysely<Database>, run: NewRun): Promise<void> {
    await db.insertInto('runs').values(runRow(run)).execute();
  }

  /** A run of one organization; null when it does not exist or belongs to another. */
  async getRun(organizationId: string, runId: string): Promise<RunRecord | null> {
    const row = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('id', '=', runId)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return row ? toRun(row) : null;
  }

  async getRunById(runId: string): Promise<RunRecord | null> {
    const row = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirst();
    return row ? toRun(row) : null;
  }

  /** Newest first. */
  async listRuns(organizationId: string, filter: ListRunsFilter): Promise<RunRecord[]> {
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

  async runsWithStatus(status: RunStatus): Promise<RunRecord[]> {
    const rows = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('status', '=', status)
      .orderBy('created_at')
      .execute();
    return rows.map(toRun);
  }

  /**
   * Atomically moves the oldest queued run to `running` and returns it (null when none is queued).
   * One UPDATE … WHERE id = (oldest queued) … AND status = 'queued', so two workers never get the
   * same run; on Postgres the subquery also skips rows another transaction holds.
   */
  async claimNextQueued(now: string): Promise<RunRecord | null> {
    const row = await this.db
      .updateTable('runs')
      .set((eb) => ({
        status: 'running',
        started_at: now,
        modified_at: now,
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', '=', (eb) => {
        const oldest = eb
          .selectFrom('runs')
          .select('id')
          .where('status', '=', 'queued')
          .orderBy('queued_at')
          .orderBy('id')
          .limit(1);
        return this.isPostgres ? oldest.forUpdate().skipLocked() : oldest;
      })
      .where('status', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    return row ? toRun(row) : null;
  }

  /**
   * Compare-and-set: applies `patch` only while the run is in one of `expected` statuses.
   * Returns the updated run, or null when the run had already moved on.
   */
  async updateRunIf(
    runId: string,
    expected: readonly RunStatus[],
    patch: RunPatch,
  ): Promise<RunRecord | null> {
    return this.updateRunWhere(runId, (q) => q.where('status', 'in', [...expected]), patch);
  }

  /**
   * The one way a run row changes under a condition (status, lease owner, …). A terminal status
   * and its webhook delivery are written in one transaction (the outbox), whoever writes it.
   */
  async updateRunWhere(
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
    if (row?.webhook_url) this.results.notifyDeliveryEnqueued();
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

  async listSteps(runId: string): Promise<StepRecord[]> {
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

/**
 * Kysely prepares every query anew; with better-sqlite3 a prepared statement can be reused, which
 * saves a good part of each request's database time. Kysely never streams here (no iterate), so a
 * cached statement is never busy when it is run again.
 */
function withStatementCache(sqlite: BetterSqlite3.Database, size = 256): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (!statement) {
        statement = sqlite.prepare(text) as unknown as SqliteStatement;
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

/**
 * Opens the database and migrates it to the latest version: PostgreSQL when `databaseUrl` is a
 * postgres:// URL, else the SQLite file (created if needed, WAL mode).
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    const store = new Store(
      new Kysely<Database>({
        dialect: new PostgresDialect({ pool: openPostgres(options.databaseUrl) }),
      }),
    );
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }
  let filename = options.filename;
  if (!filename) {
    if (!options.dataDir) throw new Error('openStore needs dataDir or filename');
    // The data dir holds the database, keys and artifacts: private to its user (credentials.md).
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    filename = join(options.dataDir, 'wren.db');
  }
  privateFile(filename);
  const sqlite = new BetterSqlite3(filename);
  sqlite.pragma('journal_mode = WAL');
  // WAL + NORMAL: a committed transaction survives a process crash (kill -9); only an OS crash can
  // lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const store = new Store(
    new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) }),
  );
  await store.migrate();
  // SQLite creates the -wal and -shm files with the database's mode; tighten older ones too.
  for (const extra of [`${filename}-wal`, `${filename}-shm`]) privateFile(extra, false);
  return store;
}

/**
 * Creates `file` with mode 0600 (SQLite then gives its -wal/-shm files the same mode), or
 * tightens an existing one that group or others could read.
 */
function privateFile(file: string, create = true): void {
  if (file === ':memory:' || file.startsWith('file:')) return;
  try {
    if (!existsSync(file)) {
      if (create) closeSync(openSync(file, 'a', 0o600));
      return;
    }
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    // A file we cannot chmod (not ours) is left to the operator.
  }
}
