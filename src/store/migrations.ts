/**
 * Versioned schema migrations, kept in code so the compiled package needs no SQL files.
 * Column types are portable between SQLite and Postgres (text, integer, double precision).
 * Never edit a released migration; add a new one.
 */
import { type Kysely, type Migration, type MigrationProvider, PostgresAdapter, sql } from 'kysely';
import { resultsMigration } from './results-migration.js';

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('organizations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('key_prefix', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createTable('runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('engine', 'text', (c) => c.notNull())
        .addColumn('run_type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('title', 'text')
        .addColumn('prompt', 'text', (c) => c.notNull())
        .addColumn('request_json', 'text', (c) => c.notNull())
        .addColumn('webhook_url', 'text')
        .addColumn('output_json', 'text')
        .addColumn('errors_json', 'text')
        .addColumn('failure_reason', 'text')
        .addColumn('step_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('input_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('output_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cost_usd', 'double precision', (c) => c.notNull().defaultTo(0))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .addColumn('queued_at', 'text')
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema
        .createIndex('runs_org_created')
        .on('runs')
        .columns(['organization_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('runs_status_queued')
        .on('runs')
        .columns(['status', 'queued_at'])
        .execute();
      await db.schema
        .createTable('run_steps')
        .addColumn('id', 'integer', (c) =>
          isPostgres(db)
            ? c.primaryKey().generatedByDefaultAsIdentity()
            : c.primaryKey().autoIncrement(),
        )
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
        .addColumn('step_index', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('summary', 'text')
        .addColumn('input_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('output_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cost_usd', 'double precision', (c) => c.notNull().defaultTo(0))
        .addColumn('data_json', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('run_steps_run')
        .on('run_steps')
        .columns(['run_id', 'id'])
        .execute();
    },
  },
  '0002_results': resultsMigration,
  // '0002_…' belongs to another branch; Kysely sorts by name, so numbers may land out of order.
  '0003_credentials': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('totp_codes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('totp_identifier', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('otp_type', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('task_id', 'text')
        .addColumn('workflow_id', 'text')
        .addColumn('workflow_run_id', 'text')
        .addColumn('source', 'text')
        .addColumn('expired_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('totp_codes_org_identifier_created')
        .on('totp_codes')
        .columns(['organization_id', 'totp_identifier', 'created_at desc'])
        .execute();
      // Only sealed (encrypted) values: see src/credentials/secret-box.ts.
      await db.schema
        .createTable('credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('password_sealed', 'text', (c) => c.notNull())
        .addColumn('totp_sealed', 'text')
        .addColumn('totp_issuer', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('credentials_org_created')
        .on('credentials')
        .columns(['organization_id', 'created_at'])
        .execute();
      await db.schema
        .createTable('run_signing_keys')
        .addColumn('run_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('key_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0004_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('browser_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('timeout_minutes', 'integer', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('proxy_location_json', 'text')
        .addColumn('browser_address', 'text')
        .addColumn('runnable_type', 'text')
        .addColumn('runnable_id', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('completed_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('browser_sessions_org_status')
        .on('browser_sessions')
        .columns(['organization_id', 'status', 'created_at'])
        .execute();
    },
  },
  // 0002–0004 belong to other areas (outbox/artifacts, credentials, sessions).
  '0005_run_leases': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('runs').addColumn('lease_owner', 'text').execute();
      await db.schema.alterTable('runs').addColumn('lease_expires_at', 'text').execute();
      await db.schema
        .createIndex('runs_status_lease')
        .on('runs')
        .columns(['status', 'lease_expires_at'])
        .execute();
    },
  },
  // Worker processes and their internal live view endpoints (src/store/workers.ts).
  '0006_workers': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('workers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('live_url', 'text')
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('heartbeat_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  // Sessions shared by several processes (src/store/sessions.ts): the process holding a session's
  // browser and its heartbeat, and the runs waiting for a session in order.
  '0007_session_owners': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('browser_sessions').addColumn('owner_id', 'text').execute();
      await db.schema.alterTable('browser_sessions').addColumn('heartbeat_at', 'text').execute();
      await db.schema
        .createTable('browser_session_waiters')
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('since', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('browser_session_waiters_pk', ['session_id', 'run_id'])
        .execute();
    },
  },
  // Skyvern's credential kinds (src/credentials/credential-store.ts): cards and secrets are one
  // sealed JSON blob; the details a response may show are kept apart, in clear.
  '0008_credential_kinds': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('credentials')
        .addColumn('credential_type', 'text', (c) => c.notNull().defaultTo('password'))
        .execute();
      await db.schema.alterTable('credentials').addColumn('data_sealed', 'text').execute();
      await db.schema.alterTable('credentials').addColumn('details_json', 'text').execute();
      await db.schema.alterTable('credentials').addColumn('modified_at', 'text').execute();
    },
  },
  // Browser profiles (src/store/profiles.ts): state sealed like credentials; a session's link
  // to the profile it started from or will save into.
  '0009_browser_profiles': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('browser_profiles')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('state_sealed', 'text')
        .addColumn('source_browser_type', 'text')
        .addColumn('proxy_location_json', 'text')
        .addColumn('proxy_session_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'text')
        .execute();
      await db.schema
        .createIndex('browser_profiles_org_created')
        .on('browser_profiles')
        .columns(['organization_id', 'created_at'])
        .execute();
      await db.schema
        .createTable('session_profiles')
        .addColumn('session_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('browser_profile_id', 'text')
        .addColumn('generate_browser_profile', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('state_sealed', 'text')
        .addColumn('saved_at', 'text')
        .execute();
    },
  },
  // Organizations and keys (issue 17, docs/security.md): admin keys, where a key came from (the
  // env key is retired when WREN_API_KEY changes), and per-organization quota overrides.
  '0010_keys_orgs_quotas': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('api_keys')
        .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('api_keys').addColumn('source', 'text').execute();
      await db.schema
        .alterTable('organizations')
        .addColumn('max_browser_sessions', 'integer')
        .execute();
      await db.schema.alterTable('organizations').addColumn('max_active_runs', 'integer').execute();
      // Keys from before: the env key and the generated first key were the operator's.
      await sql`update api_keys set source = 'env', admin = 1 where label = 'WREN_API_KEY'`.execute(
        db,
      );
      await sql`update api_keys set source = 'generated', admin = 1 where label = 'generated on first start'`.execute(
        db,
      );
      // The active-runs quota counts an organization's unfinished runs on every submit.
      await db.schema
        .createIndex('runs_org_status')
        .on('runs')
        .columns(['organization_id', 'status'])
        .execute();
      await db.schema
        .createIndex('organizations_name')
        .on('organizations')
        .column('name')
        .execute();
    },
  },
  '0011_scripts': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('runs').addColumn('script_run_json', 'text').execute();
      await db.schema
        .createTable('scripts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('engine', 'text', (c) => c.notNull())
        .addColumn('prompt_template', 'text', (c) => c.notNull())
        .addColumn('url_pattern', 'text', (c) => c.notNull())
        .addColumn('schema_hash', 'text', (c) => c.notNull())
        .addColumn('latest_revision', 'integer', (c) => c.notNull())
        .addColumn('pinned_revision', 'integer')
        .addColumn('replays', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('hits', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('heals', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'text')
        .execute();
      await db.schema
        .createIndex('scripts_org_lookup')
        .on('scripts')
        .columns(['organization_id', 'engine', 'url_pattern', 'schema_hash'])
        .execute();
      await db.schema
        .createTable('script_revisions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('script_id', 'text', (c) => c.notNull().references('scripts.id'))
        .addColumn('organization_id', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('body_json', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('script_revisions_script')
        .on('script_revisions')
        .columns(['script_id', 'revision'])
        .unique()
        .execute();
      await db.schema
        .createIndex('script_revisions_run')
        .on('script_revisions')
        .columns(['run_id'])
        .execute();
    },
  },
  '0012_own_endpoints': {
    async up(db: Kysely<unknown>) {
      // Raw DevTools ports of session browsers, refused by every process of the host.
      await db.schema
        .createTable('own_endpoints')
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('own_endpoints_pk', ['host', 'port', 'owner'])
        .execute();
    },
  },
  '0013_active_runs_counter': {
    async up(db: Kysely<unknown>) {
      // max_active_runs read a count of the organization's unfinished runs on every submit (up to
      // the limit: thousands of index entries for a high limit). Triggers keep the count on the
      // organization's row instead, whichever statement inserts, updates or deletes a run.
      await db.schema
        .alterTable('organizations')
        .addColumn('active_runs', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      const active = sql.raw(ACTIVE_SQL);
      await sql`update organizations set active_runs = (select count(*) from runs
        where runs.organization_id = organizations.id and runs.status in (${active}))`.execute(db);
      if (isPostgres(db)) {
        await sql`create or replace function wren_runs_active_count() returns trigger
          language plpgsql as $$
          declare
            was boolean := tg_op <> 'INSERT' and old.status in (${active});
            now_active boolean := tg_op <> 'DELETE' and new.status in (${active});
          begin
            if was is distinct from now_active then
              update organizations set active_runs = active_runs + (case when now_active then 1 else -1 end)
                where id = (case when tg_op = 'DELETE' then old.organization_id else new.organization_id end);
            end if;
            return null;
          end $$`.execute(db);
        await sql`create trigger runs_active_count after insert or delete or update of status on runs
          for each row execute function wren_runs_active_count()`.execute(db);
        return;
      }
      await sql`create trigger runs_active_insert after insert on runs
        when new.status in (${active})
        begin update organizations set active_runs = active_runs + 1 where id = new.organization_id; end`.execute(
        db,
      );
      await sql`create trigger runs_active_delete after delete on runs
        when old.status in (${active})
        begin update organizations set active_runs = active_runs - 1 where id = old.organization_id; end`.execute(
        db,
      );
      await sql`create trigger runs_active_update after update of status on runs
        when (old.status in (${active})) <> (new.status in (${active}))
        begin update organizations set active_runs = active_runs
          + (case when new.status in (${active}) then 1 else -1 end) where id = new.organization_id; end`.execute(
        db,
      );
    },
  },
};

/** What max_active_runs counts (as in the store): a SQL list of literals for triggers. */
const ACTIVE_SQL = "'created', 'queued', 'running', 'paused'";

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
