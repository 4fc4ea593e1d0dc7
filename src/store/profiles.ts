/**
 * Browser profiles (migration 0009_browser_profiles): a profile's cookies and storage are one
 * SecretBox envelope (they hold login cookies); name, proxy and timestamps are in clear. A
 * session's link to profiles (started from one, or asked to keep its state at close) lives in
 * `session_profiles`, beside the session row that src/store/sessions.ts owns.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from './schema.js';

export type BrowserProfilesTable = {
  id: string;
  organization_id: string;
  name: string;
  /** SecretBox envelope of the storage state JSON; null once deleted. */
  state_sealed: string | null;
  source_browser_type: string | null;
  proxy_location_json: string | null;
  proxy_session_id: string | null;
  created_at: string;
  modified_at: string;
  deleted_at: string | null;
};

export type SessionProfilesTable = {
  session_id: string;
  organization_id: string;
  /** The profile the session started from, if any. */
  browser_profile_id: string | null;
  /** 1: keep the session's state when it ends (generate_browser_profile). */
  generate_browser_profile: number;
  /** The state kept at close, sealed; a profile can be made from it afterwards. */
  state_sealed: string | null;
  saved_at: string | null;
};

export interface BrowserProfileRecord {
  id: string;
  organizationId: string;
  name: string;
  stateSealed: string | null;
  sourceBrowserType: string | null;
  proxyLocation: unknown;
  proxySessionId: string | null;
  createdAt: string;
  modifiedAt: string;
  deletedAt: string | null;
}

export interface SessionProfileLink {
  sessionId: string;
  organizationId: string;
  browserProfileId: string | null;
  generateBrowserProfile: boolean;
  stateSealed: string | null;
  savedAt: string | null;
}

export interface ProfileListFilter {
  includeDeleted: boolean;
  /** Case-insensitive substring of the name. */
  search?: string;
  limit: number;
  offset: number;
}

type Tables = { browser_profiles: BrowserProfilesTable; session_profiles: SessionProfilesTable };
type Db = Kysely<Database & Tables>;

function fromRow(r: Selectable<BrowserProfilesTable>): BrowserProfileRecord {
  return {
    id: r.id,
    organizationId: r.organization_id,
    name: r.name,
    stateSealed: r.state_sealed,
    sourceBrowserType: r.source_browser_type,
    proxyLocation: r.proxy_location_json === null ? null : JSON.parse(r.proxy_location_json),
    proxySessionId: r.proxy_session_id,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    deletedAt: r.deleted_at,
  };
}

/** Every query is scoped to one organization. */
export class BrowserProfileStore {
  private readonly db: Db;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<Tables>();
  }

  async insert(p: BrowserProfileRecord): Promise<void> {
    await this.db
      .insertInto('browser_profiles')
      .values({
        id: p.id,
        organization_id: p.organizationId,
        name: p.name,
        state_sealed: p.stateSealed,
        source_browser_type: p.sourceBrowserType,
        proxy_location_json: p.proxyLocation == null ? null : JSON.stringify(p.proxyLocation),
        proxy_session_id: p.proxySessionId,
        created_at: p.createdAt,
        modified_at: p.modifiedAt,
        deleted_at: p.deletedAt,
      })
      .execute();
  }

  /** A live (not deleted) profile, unless `includeDeleted`. */
  async get(
    organizationId: string,
    id: string,
    includeDeleted = false,
  ): Promise<BrowserProfileRecord | null> {
    let q = this.db
      .selectFrom('browser_profiles')
      .selectAll()
      .where('id', '=', id)
      .where('organization_id', '=', organizationId);
    if (!includeDeleted) q = q.where('deleted_at', 'is', null);
    const row = await q.executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** The live profile with this exact name, if any (names are unique among live profiles). */
  async byName(organizationId: string, name: string): Promise<BrowserProfileRecord | null> {
    const row = await this.db
      .selectFrom('browser_profiles')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('name', '=', name)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** Newest first. */
  async list(organizationId: string, filter: ProfileListFilter): Promise<BrowserProfileRecord[]> {
    let q = this.db
      .selectFrom('browser_profiles')
      .selectAll()
      .where('organization_id', '=', organizationId);
    if (!filter.includeDeleted) q = q.where('deleted_at', 'is', null);
    if (filter.search) {
      // LIKE wildcards typed by the caller match literally nowhere: they are dropped.
      const needle = `%${filter.search.toLowerCase().replace(/[%_]/g, '')}%`;
      q = q.where((eb) => eb(eb.fn('lower', ['name']), 'like', needle));
    }
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute();
    return rows.map(fromRow);
  }

  /** Changes a live profile; false when it is unknown or deleted. */
  async update(
    organizationId: string,
    id: string,
    patch: Partial<
      Pick<BrowserProfileRecord, 'name' | 'stateSealed' | 'proxyLocation' | 'proxySessionId'>
    > & { modifiedAt: string },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('browser_profiles')
      .set({
        modified_at: patch.modifiedAt,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.stateSealed !== undefined ? { state_sealed: patch.stateSealed } : {}),
        ...(patch.proxyLocation !== undefined
          ? {
              proxy_location_json:
                patch.proxyLocation === null ? null : JSON.stringify(patch.proxyLocation),
            }
          : {}),
        ...(patch.proxySessionId !== undefined ? { proxy_session_id: patch.proxySessionId } : {}),
      })
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Marks the profile deleted and drops its state; false when unknown or already deleted. */
  async softDelete(organizationId: string, id: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('browser_profiles')
      .set({ deleted_at: at, modified_at: at, state_sealed: null })
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  // ── sessions' links ─────────────────────────────────────────────────────────

  async linkSession(link: SessionProfileLink): Promise<void> {
    await this.db
      .insertInto('session_profiles')
      .values({
        session_id: link.sessionId,
        organization_id: link.organizationId,
        browser_profile_id: link.browserProfileId,
        generate_browser_profile: link.generateBrowserProfile ? 1 : 0,
        state_sealed: link.stateSealed,
        saved_at: link.savedAt,
      })
      .execute();
  }

  async sessionLink(organizationId: string, sessionId: string): Promise<SessionProfileLink | null> {
    const r = await this.db
      .selectFrom('session_profiles')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return r
      ? {
          sessionId: r.session_id,
          organizationId: r.organization_id,
          browserProfileId: r.browser_profile_id,
          generateBrowserProfile: r.generate_browser_profile === 1,
          stateSealed: r.state_sealed,
          savedAt: r.saved_at,
        }
      : null;
  }

  async updateSessionLink(
    organizationId: string,
    sessionId: string,
    patch: { generateBrowserProfile?: boolean; stateSealed?: string | null; savedAt?: string },
  ): Promise<void> {
    const existing = await this.sessionLink(organizationId, sessionId);
    if (!existing) {
      await this.linkSession({
        sessionId,
        organizationId,
        browserProfileId: null,
        generateBrowserProfile: patch.generateBrowserProfile ?? false,
        stateSealed: patch.stateSealed ?? null,
        savedAt: patch.savedAt ?? null,
      });
      return;
    }
    await this.db
      .updateTable('session_profiles')
      .set({
        ...(patch.generateBrowserProfile !== undefined
          ? { generate_browser_profile: patch.generateBrowserProfile ? 1 : 0 }
          : {}),
        ...(patch.stateSealed !== undefined ? { state_sealed: patch.stateSealed } : {}),
        ...(patch.savedAt !== undefined ? { saved_at: patch.savedAt } : {}),
      })
      .where('session_id', '=', sessionId)
      .where('organization_id', '=', organizationId)
      .execute();
  }
}
