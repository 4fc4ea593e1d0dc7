/**
 * Per-organization quotas (docs/security.md, "Quotas"): an insert that happens only while the
 * organization has fewer than `limit` active rows. Count and insert share one transaction; on
 * PostgreSQL an advisory lock on the organization serializes them across processes, on SQLite the
 * single writer does.
 */
import { type Kysely, PostgresAdapter, sql, type Transaction } from 'kysely';

/** What a refused insert saw: the organization's active count at the time. */
export interface QuotaRefusal {
  active: number;
  limit: number;
}

export async function insertWithinQuota<DB>(
  db: Kysely<DB>,
  organizationId: string,
  limit: number,
  count: (trx: Transaction<DB>) => Promise<number>,
  insert: (trx: Transaction<DB>) => Promise<void>,
): Promise<QuotaRefusal | null> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return db.transaction().execute(async (trx) => {
    if (postgres)
      await sql`select pg_advisory_xact_lock(hashtext(${`wren-quota:${organizationId}`}))`.execute(
        trx,
      );
    const active = await count(trx);
    if (active >= limit) return { active, limit };
    await insert(trx);
    return null;
  });
}
