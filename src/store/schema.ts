/** Table row types as Kysely sees them. Timestamps are ISO-8601 UTC strings with `Z`. */
import type { ColumnType, Generated } from 'kysely';
import type { EngineName, RunStatus, RunType } from '../core/index.js';

/** Nullable, and optional when inserting (the column defaults to null). */
type OptionalNullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: string;
  /** Quota overrides (null: the server's WREN_ORG_MAX_* default). */
  max_browser_sessions: OptionalNullable<number>;
  max_active_runs: OptionalNullable<number>;
  /** Unfinished runs (created, queued, running, paused), kept by triggers on runs (0013). */
  active_runs: Generated<number>;
}

export interface ApiKeysTable {
  id: string;
  organization_id: string;
  /** SHA-256 of the key, hex. The key itself is never stored. */
  key_hash: string;
  /** First characters of the key, to tell keys apart in listings. */
  key_prefix: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
  /** 1: may create organizations and mint or revoke keys (docs/security.md). */
  admin: ColumnType<number, number | undefined, number>;
  /** env (WREN_API_KEY) | generated (first start) | api | cli; null for older keys. */
  source: OptionalNullable<string>;
}

export interface RunsTable {
  id: string;
  organization_id: string;
  /** A task engine, or `sdk` for an SDK action run. */
  engine: EngineName | 'sdk';
  run_type: RunType;
  status: RunStatus;
  title: string | null;
  prompt: string;
  /** The request as stored (JSON of store/runs.ts RunRequest). */
  request_json: string;
  webhook_url: string | null;
  output_json: string | null;
  errors_json: string | null;
  failure_reason: string | null;
  step_count: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  /** How many times a worker has started this run (restart recovery uses it). */
  attempts: number;
  created_at: string;
  modified_at: string;
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  /** Worker holding the run while it is running (src/store/leases.ts). */
  lease_owner: OptionalNullable<string>;
  /** Until when that worker's heartbeat keeps the run; past it, the run is recovered. */
  lease_expires_at: OptionalNullable<string>;
  /** What a code-mode run replayed (ScriptRunResponse JSON, docs/code-mode.md). */
  script_run_json: OptionalNullable<string>;
}

export interface RunStepsTable {
  id: Generated<number>;
  run_id: string;
  step_index: number;
  /** Engine event type: step_started | step_finished | log. */
  kind: string;
  summary: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  data_json: string | null;
  created_at: string;
}

export interface Database {
  organizations: OrganizationsTable;
  api_keys: ApiKeysTable;
  runs: RunsTable;
  run_steps: RunStepsTable;
}
