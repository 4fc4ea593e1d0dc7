/**
 * Persistent browser sessions (migrations 0004_sessions, 0007_session_owners). On a database
 * shared by several processes, a session row names the process holding its browser (owner_id)
 * and that process refreshes heartbeat_at; which run holds the session (runnable_id) and who
 * waits for it (browser_session_waiters) live here too, so every node sees one queue.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import { insertWithinQuota, type QuotaRefusal } from './quotas.js';
import type { Database } from './schema.js';

export interface BrowserSessionsTable {
  id: string;
  organization_id: string;
  /** created | running | completed | failed | timeout */
  status: string;
  timeout_minutes: number;
  url: string | null;
  proxy_location_json: string | null;
  browser_address: string | null;
  runnable_type: string | null;
  runnable_id: string | null;
  expires_at: string;
  started_at: string | null;
  completed_at: string | null;
  created_at: string;
  modified_at: string;
  /** The process holding the browser (host:pid:random); null on rows from before 0007. */
  owner_id: string | null;
  heartbeat_at: string | null;
}

interface BrowserSessionWaitersTable {
  session_id: string;
  run_id: string;
  since: string;
}

/** An active session whose owner looks gone, as found; failed only if still unchanged. */
export interface OrphanedSession {
  id: string;
  ownerId: string | null;
  heartbeatAt: string | null;
}

export interface BrowserSessionRecord {
  id: string;
  organizationId: string;
  status: string;
  timeoutMinutes: number;
  url: string | null;
  proxyLocation: unknown;
  browserAddress: string | null;
  runnableType: string | null;
  runnableId: string | null;
  expiresAt: string;
  startedAt: string | null;
  completedAt: string | null;
  createdAt: string;
  modifiedAt: string;
  ownerId: string | null;
  heartbeatAt: string | null;
}

export const ACTIVE_SESSION_STATUSES = ['created', 'running'] as const;

type Db = Kysely<
  Database & {
    browser_sessions: BrowserSessionsTable;
    browser_session_waiters: BrowserSessionWaitersTable;
  }
>;

function fromRow(r: Selectable<BrowserSessionsTable>): BrowserSessionRecord {
  return {
    id: r.id,
    organizationId: r.organization_id,
    status: r.status,
    timeoutMinutes: r.timeout_minutes,
    url: r.url,
    proxyLocation: r.proxy_location_json === null ? null : JSON.parse(r.proxy_location_json),
    browserAddress: r.browser_address,
    runnableType: r.runnable_type,
    runnableId: r.runnable_id,
    expiresAt: r.expires_at,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    ownerId: r.owner_id,
    heartbeatAt: r.heartbeat_at,
  };
}

/** The columns of a session ended as failed at `at` (its browser is gone). */
function failedAt(at: string) {
  return {
    status: 'failed' as const,
    completed_at: at,
    modified_at: at,
    runnable_id: null,
    runnable_type: null,
  };
}

export class SessionStore {
  private readonly db: Db;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<{
      browser_sessions: BrowserSessionsTable;
      browser_session_waiters: BrowserSessionWaitersTable;
    }>();
  }

  async insert(s: BrowserSessionRecord): Promise<void> {
    await this.insertWith(this.db, s);
  }

  /**
   * Inserts the session unless its organization already has `limit` active sessions
   * (created or running); returns what it saw when it refused.
   */
  async insertWithinQuota(s: BrowserSessionRecord, limit: number): Promise<QuotaRefusal | null> {
    return insertWithinQuota(
      this.db,
      s.organizationId,
      limit,
      async (trx) => {
        // Counted up to the limit only: the cost stays bounded however many there are.
        const row = await trx
          .selectFrom((q) =>
            q
              .selectFrom('browser_sessions')
              .select('id')
              .where('organization_id', '=', s.organizationId)
              .where('status', 'in', [...ACTIVE_SESSION_STATUSES])
              .limit(limit)
              .as('active'),
          )
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        return Number(row.n);
      },
      (trx) => this.insertWith(trx, s),
    );
  }

  private async insertWith(db: Db, s: BrowserSessionRecord): Promise<void> {
    await db
      .insertInto('browser_sessions')
      .values({
        id: s.id,
        organization_id: s.organizationId,
        status: s.status,
        timeout_minutes: s.timeoutMinutes,
        url: s.url,
        proxy_location_json: s.proxyLocation == null ? null : JSON.stringify(s.proxyLocation),
        browser_address: s.browserAddress,
        runnable_type: s.runnableType,
        runnable_id: s.runnableId,
        expires_at: s.expiresAt,
        started_at: s.startedAt,
        completed_at: s.completedAt,
        created_at: s.createdAt,
        modified_at: s.modifiedAt,
        owner_id: s.ownerId,
        heartbeat_at: s.heartbeatAt,
      })
      .execute();
  }

  async get(organizationId: string, id: string): Promise<BrowserSessionRecord | null> {
    const row = await this.db
      .selectFrom('browser_sessions')
      .selectAll()
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** Sessions not ended, created since `since`, newest first. */
  async listActive(organizationId: string, since: string): Promise<BrowserSessionRecord[]> {
    const rows = await this.db
      .selectFrom('browser_sessions')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('status', 'in', [...ACTIVE_SESSION_STATUSES])
      .where('created_at', '>=', since)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(fromRow);
  }

  async update(
    id: string,
    patch: Partial<
      Pick<
        BrowserSessionRecord,
        | 'status'
        | 'browserAddress'
        | 'runnableType'
        | 'runnableId'
        | 'startedAt'
        | 'completedAt'
        | 'expiresAt'
        | 'timeoutMinutes'
      >
    > & { modifiedAt: string },
  ): Promise<void> {
    await this.db
      .updateTable('browser_sessions')
      .set({
        modified_at: patch.modifiedAt,
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(patch.browserAddress !== undefined ? { browser_address: patch.browserAddress } : {}),
        ...(patch.runnableType !== undefined ? { runnable_type: patch.runnableType } : {}),
        ...(patch.runnableId !== undefined ? { runnable_id: patch.runnableId } : {}),
        ...(patch.startedAt !== undefined ? { started_at: patch.startedAt } : {}),
        ...(patch.completedAt !== undefined ? { completed_at: patch.completedAt } : {}),
        ...(patch.expiresAt !== undefined ? { expires_at: patch.expiresAt } : {}),
        ...(patch.timeoutMinutes !== undefined ? { timeout_minutes: patch.timeoutMinutes } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Gets a session by id alone (the owner acting on a row another node changed). */
  async getById(id: string): Promise<BrowserSessionRecord | null> {
    const row = await this.db
      .selectFrom('browser_sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** Ends an active session (closed from any node); false when it had already ended. */
  async endIfActive(id: string, status: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('browser_sessions')
      .set({ status, completed_at: at, modified_at: at, runnable_id: null, runnable_type: null })
      .where('id', '=', id)
      .where('status', 'in', [...ACTIVE_SESSION_STATUSES])
      .executeTakeFirst();
    await this.db.deleteFrom('browser_session_waiters').where('session_id', '=', id).execute();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Refreshes the heartbeat of the active sessions `owner` holds; returns their ids (a live
   * session missing from them was ended by another node).
   */
  async heartbeat(owner: string, at: string): Promise<string[]> {
    const rows = await this.db
      .updateTable('browser_sessions')
      .set({ heartbeat_at: at })
      .where('owner_id', '=', owner)
      .where('status', 'in', [...ACTIVE_SESSION_STATUSES])
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Active sessions of `owner` that ended (closed on another node). */
  async endedOf(owner: string, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('browser_sessions')
      .select('id')
      .where('owner_id', '=', owner)
      .where('id', 'in', [...ids])
      .where('status', 'not in', [...ACTIVE_SESSION_STATUSES])
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Active sessions whose owner is gone: no heartbeat since `before`, or (with `selfPrefix`, at
   * start) owned by an earlier process of this host and pid (a restarted container reuses both).
   * `self` is never orphaned.
   */
  async orphaned(
    before: string,
    self: string,
    selfPrefix: string | null,
  ): Promise<OrphanedSession[]> {
    const rows = await this.db
      .selectFrom('browser_sessions')
      .select(['id', 'owner_id', 'heartbeat_at'])
      .where('status', 'in', [...ACTIVE_SESSION_STATUSES])
      .where((eb) =>
        eb.or([
          eb('heartbeat_at', 'is', null),
          eb('heartbeat_at', '<', before),
          ...(selfPrefix === null ? [] : [eb('owner_id', 'like', `${selfPrefix}%`)]),
        ]),
      )
      .where((eb) => eb.or([eb('owner_id', 'is', null), eb('owner_id', '!=', self)]))
      .execute();
    return rows.map((r) => ({ id: r.id, ownerId: r.owner_id, heartbeatAt: r.heartbeat_at }));
  }

  /**
   * Fails an orphaned session only if its owner and heartbeat are still what was found: of many
   * nodes sweeping at once exactly one fails it, and a heartbeat that came back in between wins.
   */
  async failOrphan(found: OrphanedSession, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('browser_sessions')
      .set(failedAt(at))
      .where('id', '=', found.id)
      .where('status', 'in', [...ACTIVE_SESSION_STATUSES])
      .where((eb) =>
        found.ownerId === null ? eb('owner_id', 'is', null) : eb('owner_id', '=', found.ownerId),
      )
      .where((eb) =>
        found.heartbeatAt === null
          ? eb('heartbeat_at', 'is', null)
          : eb('heartbeat_at', '=', found.heartbeatAt),
      )
      .executeTakeFirst();
    const failed = Number(result.numUpdatedRows) > 0;
    if (failed)
      await this.db
        .deleteFrom('browser_session_waiters')
        .where('session_id', '=', found.id)
        .execute();
    return failed;
  }

  /** Puts a run in the session's queue (keeps its place when it was already there). */
  async enqueue(sessionId: string, runId: string, since: string): Promise<string> {
    await this.db
      .insertInto('browser_session_waiters')
      .values({ session_id: sessionId, run_id: runId, since })
      .onConflict((oc) => oc.columns(['session_id', 'run_id']).doNothing())
      .execute();
    const row = await this.db
      .selectFrom('browser_session_waiters')
      .select('since')
      .where('session_id', '=', sessionId)
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return row?.since ?? since;
  }

  async dequeue(sessionId: string, runId: string): Promise<void> {
    await this.db
      .deleteFrom('browser_session_waiters')
      .where('session_id', '=', sessionId)
      .where('run_id', '=', runId)
      .execute();
  }

  /**
   * Compare-and-set: the run takes the session when it is running, nobody holds it (or the holder
   * is a run no longer running: its worker died or it ended without letting go), and no running
   * run queued before this one still waits. True when the run now holds the session.
   */
  async acquire(
    sessionId: string,
    run: { runId: string; runType: string; since: string },
    at: string,
  ): Promise<boolean> {
    const result = await sql`
      update browser_sessions set runnable_id = ${run.runId}, runnable_type = ${run.runType},
        modified_at = ${at}
      where id = ${sessionId} and status = 'running'
        and (runnable_id is null or runnable_id = ${run.runId}
          or not exists (select 1 from runs h where h.id = browser_sessions.runnable_id
            and h.status = 'running'))
        and not exists (select 1 from browser_session_waiters w join runs r on r.id = w.run_id
          where w.session_id = ${sessionId} and w.run_id <> ${run.runId} and r.status = 'running'
            and (w.since < ${run.since} or (w.since = ${run.since} and w.run_id < ${run.runId})))
    `.execute(this.db);
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  /** Lets go of the session if `runId` still holds it. */
  async releaseHold(sessionId: string, runId: string, at: string): Promise<void> {
    await this.db
      .updateTable('browser_sessions')
      .set({ runnable_id: null, runnable_type: null, modified_at: at })
      .where('id', '=', sessionId)
      .where('runnable_id', '=', runId)
      .execute();
  }

  /** Ends every session still marked active (their browsers died with the previous process). */
  async failOrphans(at: string): Promise<number> {
    const result = await this.db
      .updateTable('browser_sessions')
      .set(failedAt(at))
      .where('status', 'in', [...ACTIVE_SESSION_STATUSES])
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
