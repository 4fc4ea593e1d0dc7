/** Read side of API keys for the Settings page: prefixes and labels only, never hashes. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface ApiKeySummary {
  id: string;
  /** The first characters of the key (e.g. `wren_AbCd`), enough to tell keys apart. */
  prefix: string;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export class ApiKeyQueries {
  constructor(private readonly db: Kysely<Database>) {}

  /** An organization's keys, newest first. */
  async list(organizationId: string): Promise<ApiKeySummary[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .select(['id', 'key_prefix', 'label', 'created_at', 'revoked_at'])
      .where('organization_id', '=', organizationId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      prefix: r.key_prefix,
      label: r.label,
      createdAt: r.created_at,
      revokedAt: r.revoked_at,
    }));
  }
}
