/**
 * Compiled scripts and their revisions (migration 0011_scripts, docs/code-mode.md). A script is
 * found by its signature parts; each revision keeps the script's steps (JSON) and its TypeScript
 * source. Counters: replays, hits (replays with no model call), heals, failures.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from './schema.js';

export type ScriptsTable = {
  id: string;
  organization_id: string;
  signature: string;
  engine: string;
  prompt_template: string;
  url_pattern: string;
  schema_hash: string;
  latest_revision: number;
  pinned_revision: number | null;
  replays: number;
  hits: number;
  heals: number;
  failures: number;
  created_at: string;
  modified_at: string;
  deleted_at: string | null;
};

export type ScriptRevisionsTable = {
  id: string;
  script_id: string;
  organization_id: string;
  revision: number;
  body_json: string;
  source: string;
  run_id: string | null;
  created_at: string;
};

export interface ScriptRecord {
  id: string;
  organizationId: string;
  signature: string;
  engine: string;
  promptTemplate: string;
  urlPattern: string;
  schemaHash: string;
  latestRevision: number;
  pinnedRevision: number | null;
  replays: number;
  hits: number;
  heals: number;
  failures: number;
  createdAt: string;
  modifiedAt: string;
  deletedAt: string | null;
}

export interface ScriptRevisionRecord {
  id: string;
  scriptId: string;
  organizationId: string;
  revision: number;
  body: unknown;
  source: string;
  /** The run it was compiled or healed from. */
  runId: string | null;
  createdAt: string;
}

type Tables = { scripts: ScriptsTable; script_revisions: ScriptRevisionsTable };
type Db = Kysely<Database & Tables>;

function fromRow(r: Selectable<ScriptsTable>): ScriptRecord {
  return {
    id: r.id,
    organizationId: r.organization_id,
    signature: r.signature,
    engine: r.engine,
    promptTemplate: r.prompt_template,
    urlPattern: r.url_pattern,
    schemaHash: r.schema_hash,
    latestRevision: Number(r.latest_revision),
    pinnedRevision: r.pinned_revision === null ? null : Number(r.pinned_revision),
    replays: Number(r.replays),
    hits: Number(r.hits),
    heals: Number(r.heals),
    failures: Number(r.failures),
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    deletedAt: r.deleted_at,
  };
}

function revisionFromRow(r: Selectable<ScriptRevisionsTable>): ScriptRevisionRecord {
  return {
    id: r.id,
    scriptId: r.script_id,
    organizationId: r.organization_id,
    revision: Number(r.revision),
    body: JSON.parse(r.body_json),
    source: r.source,
    runId: r.run_id,
    createdAt: r.created_at,
  };
}

/** Every query is scoped to one organization. */
export class ScriptStore {
  private readonly db: Db;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<Tables>();
  }

  /** Live scripts that may fit a task: same engine, start URL pattern and schema. */
  async candidates(
    organizationId: string,
    key: { engine: string; urlPattern: string; schemaHash: string },
  ): Promise<ScriptRecord[]> {
    const rows = await this.db
      .selectFrom('scripts')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('engine', '=', key.engine)
      .where('url_pattern', '=', key.urlPattern)
      .where('schema_hash', '=', key.schemaHash)
      .where('deleted_at', 'is', null)
      .orderBy('modified_at', 'desc')
      .execute();
    return rows.map(fromRow);
  }

  async bySignature(organizationId: string, signature: string): Promise<ScriptRecord | null> {
    const row = await this.db
      .selectFrom('scripts')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('signature', '=', signature)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async get(organizationId: string, id: string): Promise<ScriptRecord | null> {
    const row = await this.db
      .selectFrom('scripts')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** Newest first. */
  async list(organizationId: string, limit: number, offset: number): Promise<ScriptRecord[]> {
    const rows = await this.db
      .selectFrom('scripts')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map(fromRow);
  }

  /** A new script with its first revision. */
  async insert(script: ScriptRecord, revision: ScriptRevisionRecord): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('scripts')
        .values({
          id: script.id,
          organization_id: script.organizationId,
          signature: script.signature,
          engine: script.engine,
          prompt_template: script.promptTemplate,
          url_pattern: script.urlPattern,
          schema_hash: script.schemaHash,
          latest_revision: script.latestRevision,
          pinned_revision: script.pinnedRevision,
          replays: script.replays,
          hits: script.hits,
          heals: script.heals,
          failures: script.failures,
          created_at: script.createdAt,
          modified_at: script.modifiedAt,
          deleted_at: null,
        })
        .execute();
      await insertRevision(tx, revision);
    });
  }

  /** The next revision of a script (number = latest + 1, assigned here). */
  async addRevision(
    organizationId: string,
    scriptId: string,
    make: (revision: number) => Omit<ScriptRevisionRecord, 'revision'>,
    at: string,
  ): Promise<ScriptRevisionRecord | null> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('scripts')
        .select(['latest_revision'])
        .where('id', '=', scriptId)
        .where('organization_id', '=', organizationId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (!row) return null;
      const revision = Number(row.latest_revision) + 1;
      const record: ScriptRevisionRecord = { ...make(revision), revision };
      await insertRevision(tx, record);
      await tx
        .updateTable('scripts')
        .set({ latest_revision: revision, modified_at: at })
        .where('id', '=', scriptId)
        .execute();
      return record;
    });
  }

  async revisions(organizationId: string, scriptId: string): Promise<ScriptRevisionRecord[]> {
    const rows = await this.db
      .selectFrom('script_revisions')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('script_id', '=', scriptId)
      .orderBy('revision', 'desc')
      .execute();
    return rows.map(revisionFromRow);
  }

  async revision(
    organizationId: string,
    scriptId: string,
    revision: number,
  ): Promise<ScriptRevisionRecord | null> {
    const row = await this.db
      .selectFrom('script_revisions')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('script_id', '=', scriptId)
      .where('revision', '=', revision)
      .executeTakeFirst();
    return row ? revisionFromRow(row) : null;
  }

  async revisionById(organizationId: string, id: string): Promise<ScriptRevisionRecord | null> {
    const row = await this.db
      .selectFrom('script_revisions')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? revisionFromRow(row) : null;
  }

  /** The revision a run compiled or healed, newest first. */
  async revisionOfRun(organizationId: string, runId: string): Promise<ScriptRevisionRecord | null> {
    const row = await this.db
      .selectFrom('script_revisions')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('run_id', '=', runId)
      .orderBy('revision', 'desc')
      .executeTakeFirst();
    return row ? revisionFromRow(row) : null;
  }

  async pin(
    organizationId: string,
    id: string,
    revision: number | null,
    at: string,
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('scripts')
      .set({ pinned_revision: revision, modified_at: at })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async delete(organizationId: string, id: string, at: string): Promise<boolean> {
    const r = await this.db
      .updateTable('scripts')
      .set({ deleted_at: at, modified_at: at })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Counts one replay: a hit (no model), a heal, or a failure. */
  async countReplay(
    id: string,
    outcome: { hit: boolean; healed: boolean; failed: boolean },
  ): Promise<void> {
    const { sql } = await import('kysely');
    await this.db
      .updateTable('scripts')
      .set({
        replays: sql<number>`replays + 1`,
        hits: sql<number>`hits + ${outcome.hit ? 1 : 0}`,
        heals: sql<number>`heals + ${outcome.healed ? 1 : 0}`,
        failures: sql<number>`failures + ${outcome.failed ? 1 : 0}`,
      })
      .where('id', '=', id)
      .execute();
  }
}

async function insertRevision(
  db: Kysely<Database & Tables>,
  r: ScriptRevisionRecord,
): Promise<void> {
  await db
    .insertInto('script_revisions')
    .values({
      id: r.id,
      script_id: r.scriptId,
      organization_id: r.organizationId,
      revision: r.revision,
      body_json: JSON.stringify(r.body),
      source: r.source,
      run_id: r.runId,
      created_at: r.createdAt,
    })
    .execute();
}
