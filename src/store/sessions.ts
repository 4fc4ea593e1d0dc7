/** Persistent browser sessions (migration 0004_sessions). */
import type { Kysely, Selectable } from 'kysely';
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
}

export const ACTIVE_SESSION_STATUSES = ['created', 'running'] as const;

type Db = Kysely<Database & { browser_sessions: BrowserSessionsTable }>;

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
  };
}

export class SessionStore {
  private readonly db: Db;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<{ browser_sessions: BrowserSessionsTable }>();
  }

  async insert(s: BrowserSessionRecord): Promise<void> {
    await this.db
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
      })
      .where('id', '=', id)
      .execute();
  }

  /** Ends every session still marked active (their browsers died with the previous process). */
  async failOrphans(at: string): Promise<number> {
    const result = await this.db
      .updateTable('browser_sessions')
      .set({
        status: 'failed',
        completed_at: at,
        modified_at: at,
        runnable_id: null,
        runnable_type: null,
      })
      .where('status', 'in', [...ACTIVE_SESSION_STATUSES])
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
