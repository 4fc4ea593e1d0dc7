/**
 * Organizations and API keys (docs/security.md): hashed keys, which ones are admin keys, their
 * revocation, and per-organization quota overrides. Listings show prefixes, never hashes.
 */
import type { Kysely, Selectable } from 'kysely';
import type {
  ApiKeyPort,
  ApiKeySummary,
  KeyIdentity,
  NewApiKey,
  OrganizationRecord,
} from '../credentials/index.js';
import type { ApiKeysTable, Database, OrganizationsTable } from './schema.js';

export type { ApiKeySummary, KeyIdentity, NewApiKey, OrganizationRecord };

function toSummary(r: Selectable<ApiKeysTable>): ApiKeySummary {
  return {
    id: r.id,
    organizationId: r.organization_id,
    prefix: r.key_prefix,
    label: r.label,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    admin: Number(r.admin) === 1,
    source: r.source ?? null,
  };
}

function toOrganization(r: Selectable<OrganizationsTable>): OrganizationRecord {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    maxBrowserSessions: r.max_browser_sessions ?? null,
    maxActiveRuns: r.max_active_runs ?? null,
  };
}

export class ApiKeyStore implements ApiKeyPort {
  constructor(private readonly db: Kysely<Database>) {}

  /** How many keys exist, revoked ones included (none: first start mints one). */
  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** An organization's keys, newest first. */
  async list(organizationId: string): Promise<ApiKeySummary[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toSummary);
  }

  async get(keyId: string): Promise<ApiKeySummary | null> {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', keyId)
      .executeTakeFirst();
    return row ? toSummary(row) : null;
  }

  /** Inserts a key; false when a key with this hash exists already (revoked or not). */
  async insert(key: NewApiKey): Promise<boolean> {
    const result = await this.db
      .insertInto('api_keys')
      .values({
        id: key.id,
        organization_id: key.organizationId,
        key_hash: key.keyHash,
        key_prefix: key.keyPrefix,
        label: key.label,
        created_at: key.createdAt,
        revoked_at: null,
        admin: key.admin ? 1 : 0,
        source: key.source ?? null,
      })
      .onConflict((oc) => oc.column('key_hash').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /**
   * The live (unrevoked) key with this hash. One indexed lookup per request, no cache, so a
   * revocation is seen by every process at once (docs/decisions.md).
   */
  async identityForHash(keyHash: string): Promise<KeyIdentity | null> {
    const row = await this.db
      .selectFrom('api_keys')
      .innerJoin('organizations', 'organizations.id', 'api_keys.organization_id')
      .select([
        'api_keys.id as key_id',
        'api_keys.admin',
        'organizations.id',
        'organizations.name',
        'organizations.created_at',
      ])
      .where('api_keys.key_hash', '=', keyHash)
      .where('api_keys.revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null;
    return {
      keyId: row.key_id,
      admin: Number(row.admin) === 1,
      organization: { id: row.id, name: row.name, createdAt: row.created_at },
    };
  }

  /** Revokes a key; false when it was revoked already or does not exist. */
  async revoke(keyId: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', keyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Revokes every live env key (WREN_API_KEY) except the one with this hash; their ids. */
  async retireEnvKeys(exceptHash: string, at: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .select('id')
      .where('source', '=', 'env')
      .where('key_hash', '<>', exceptHash)
      .where('revoked_at', 'is', null)
      .execute();
    for (const { id } of rows) await this.revoke(id, at);
    return rows.map((r) => r.id);
  }

  // ── organizations ───────────────────────────────────────────────────────────

  async createOrganization(
    org: Pick<OrganizationRecord, 'id' | 'name' | 'createdAt'> &
      Partial<Pick<OrganizationRecord, 'maxBrowserSessions' | 'maxActiveRuns'>>,
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

  /** Oldest first. */
  async organizations(): Promise<OrganizationRecord[]> {
    return (await this.oldestFirst().execute()).map(toOrganization);
  }

  /** The first organization created (the one first start makes). */
  async firstOrganization(): Promise<OrganizationRecord | null> {
    const row = await this.oldestFirst().limit(1).executeTakeFirst();
    return row ? toOrganization(row) : null;
  }

  private oldestFirst() {
    return this.db.selectFrom('organizations').selectAll().orderBy('created_at').orderBy('id');
  }

  async organization(id: string): Promise<OrganizationRecord | null> {
    const row = await this.db
      .selectFrom('organizations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toOrganization(row) : null;
  }

  async organizationByName(name: string): Promise<OrganizationRecord | null> {
    const row = await this.db
      .selectFrom('organizations')
      .selectAll()
      .where('name', '=', name)
      .orderBy('created_at')
      .executeTakeFirst();
    return row ? toOrganization(row) : null;
  }

  /** Sets quota overrides; a field left undefined keeps its value, null restores the default. */
  async setQuotas(
    id: string,
    quotas: { maxBrowserSessions?: number | null; maxActiveRuns?: number | null },
  ): Promise<void> {
    const set = {
      ...(quotas.maxBrowserSessions !== undefined
        ? { max_browser_sessions: quotas.maxBrowserSessions }
        : {}),
      ...(quotas.maxActiveRuns !== undefined ? { max_active_runs: quotas.maxActiveRuns } : {}),
    };
    if (Object.keys(set).length === 0) return;
    await this.db.updateTable('organizations').set(set).where('id', '=', id).execute();
  }
}
