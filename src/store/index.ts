/**
 * The store folder is the only place that writes SQL. Callers get domain records (camelCase,
 * parsed JSON) from typed sub-stores (`store.runs`, `store.leases`, `store.apiKeys`, …) and never
 * see Kysely; `openStore` picks SQLite or PostgreSQL without touching them.
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
} from 'kysely';
import { ApiKeyStore } from './api-keys.js';
import { SqlCredentialStore, SqlRunSigningKeyStore, SqlTotpCodeStore } from './credentials.js';
import { RunLeases } from './leases.js';
import { migrationProvider } from './migrations.js';
import { OwnEndpointStore } from './own-endpoints.js';
import { openPostgres } from './postgres.js';
import { BrowserProfileStore } from './profiles.js';
import { ResultsStore } from './results.js';
import { RunStore } from './runs.js';
import type { Database } from './schema.js';
import { ScriptStore } from './scripts.js';
import { SessionStore } from './sessions.js';
import { WorkerDirectory } from './workers.js';

export type { Organization } from '../credentials/index.js';
export type {
  ApiKeyStore,
  ApiKeySummary,
  KeyIdentity,
  NewApiKey,
  OrganizationRecord,
} from './api-keys.js';
export { SqlCredentialStore, SqlRunSigningKeyStore, SqlTotpCodeStore } from './credentials.js';
export type { ClaimOptions, LeasedRun, RunLeases } from './leases.js';
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
  type ListRunsFilter,
  type NewRun,
  patchColumns,
  type RunEngineName,
  type RunPatch,
  type RunRecord,
  type RunRequest,
  type RunStore,
  type RunUpdate,
  type RunUsage,
  type SdkActionRequest,
  type StepRecord,
  type TaskRequest,
  toRun,
} from './runs.js';
export type { Database } from './schema.js';
export type { ScriptRecord, ScriptRevisionRecord, ScriptStore } from './scripts.js';
export type { BrowserSessionRecord, SessionStore } from './sessions.js';
export type { WorkerDirectory } from './workers.js';

export interface StoreOptions {
  /** Directory holding wren.db; created when missing. Ignored when `filename` is given. */
  dataDir?: string;
  /** Explicit SQLite file, or ':memory:'. */
  filename?: string;
  /** postgres://… selects PostgreSQL instead of SQLite (WREN_DATABASE_URL). */
  databaseUrl?: string | null;
}

/**
 * The database, as one typed sub-store per concern; each is a readonly field built once over the
 * same connection.
 */
export class Store {
  readonly isPostgres: boolean;
  /** Runs and their steps (src/store/runs.ts). */
  readonly runs: RunStore;
  /** Leased claims for workers in several processes (src/store/leases.ts). */
  readonly leases: RunLeases;
  /** Worker processes and where they serve live views (src/store/workers.ts). */
  readonly workers: WorkerDirectory;
  /** Artifacts and the webhook outbox (src/store/results.ts). */
  readonly results: ResultsStore;
  /** Organizations and API keys (src/store/api-keys.ts). */
  readonly apiKeys: ApiKeyStore;
  /** Persistent browser sessions (src/store/sessions.ts). */
  readonly sessions: SessionStore;
  /** Browser profiles and sessions' links to them (src/store/profiles.ts). */
  readonly browserProfiles: BrowserProfileStore;
  /** Compiled scripts and revisions for code mode (src/store/scripts.ts). */
  readonly scripts: ScriptStore;
  /** Pushed one-time codes, stored logins and runs' signing keys (src/store/credentials.ts). */
  readonly totpCodes: SqlTotpCodeStore;
  readonly credentials: SqlCredentialStore;
  readonly runSigningKeys: SqlRunSigningKeyStore;
  /** Raw browser ports every process of a host refuses (src/store/own-endpoints.ts). */
  readonly ownEndpoints: OwnEndpointStore;

  constructor(private readonly db: Kysely<Database>) {
    this.isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
    this.results = new ResultsStore(db);
    this.runs = new RunStore(db, this.isPostgres, () => this.results.notifyDeliveryEnqueued());
    this.leases = new RunLeases(db, this.isPostgres, this.runs);
    this.workers = new WorkerDirectory(db);
    this.apiKeys = new ApiKeyStore(db);
    this.sessions = new SessionStore(db);
    this.browserProfiles = new BrowserProfileStore(db);
    this.scripts = new ScriptStore(db);
    this.totpCodes = new SqlTotpCodeStore(db);
    this.credentials = new SqlCredentialStore(db);
    this.runSigningKeys = new SqlRunSigningKeyStore(db);
    this.ownEndpoints = new OwnEndpointStore(db);
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
