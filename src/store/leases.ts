/**
 * Leased claims: the run row is the queue. A worker claims the oldest queued run (respecting a
 * per-organization limit), holds it with a lease it renews by heartbeat, and writes results only
 * while it still holds the lease. A run whose lease ran out (its worker died or lost the database)
 * is recovered exactly once: the recovery write is a compare-and-set on the expired lease.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { RunStatus } from '../core/index.js';
import { type RunPatch, type RunRecord, type RunStore, toRun } from './runs.js';
import type { Database, RunsTable } from './schema.js';

/** Serializes limited claims on Postgres so the per-organization count cannot be raced. */
const CLAIM_LOCK_KEY = 7_246_310_521;

export interface ClaimOptions {
  owner: string;
  now: string;
  leaseUntil: string;
  /** At most this many running runs per organization; null for no limit. */
  orgLimit: number | null;
}

export interface LeasedRun {
  run: RunRecord;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
}

export class RunLeases {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly isPostgres: boolean,
    /** The one conditional run update (a terminal status and its webhook outbox together). */
    private readonly runs: Pick<RunStore, 'updateWhere'>,
  ) {}

  /** Moves the oldest eligible queued run to `running` under `owner`'s lease; null when none. */
  async claim(options: ClaimOptions): Promise<RunRecord | null> {
    // SQLite serializes writers itself; on Postgres without an organization limit, SKIP LOCKED
    // lets concurrent claimers take different rows without waiting on each other.
    if (!this.isPostgres || options.orgLimit === null) return this.claimWith(this.db, options);
    return this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${CLAIM_LOCK_KEY})`.execute(trx);
      return this.claimWith(trx, options);
    });
  }

  private async claimWith(db: Kysely<Database>, o: ClaimOptions): Promise<RunRecord | null> {
    const orgFilter =
      o.orgLimit === null
        ? sql``
        : sql`and (select count(*) from runs x where x.organization_id = r.organization_id and x.status = 'running') < ${o.orgLimit}`;
    const result = await sql<Selectable<RunsTable>>`
      update runs set status = 'running', started_at = ${o.now}, modified_at = ${o.now},
        attempts = attempts + 1, lease_owner = ${o.owner}, lease_expires_at = ${o.leaseUntil}
      where id = (
        select r.id from runs r where r.status = 'queued' ${orgFilter}
        order by r.queued_at, r.id limit 1 ${this.isPostgres ? sql`for update skip locked` : sql``}
      ) and status = 'queued'
      returning *`.execute(db);
    const row = result.rows[0];
    return row ? toRun(row) : null;
  }

  /** Extends every lease `owner` holds on a running run; returns those run ids. */
  async heartbeat(owner: string, leaseUntil: string): Promise<string[]> {
    const rows = await this.db
      .updateTable('runs')
      .set({ lease_expires_at: leaseUntil })
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Running runs whose lease ran out before `now` (or that never had one). */
  async expired(now: string): Promise<LeasedRun[]> {
    const rows = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('status', '=', 'running')
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .orderBy('started_at')
      .execute();
    return rows.map((row) => ({
      run: toRun(row),
      leaseOwner: row.lease_owner,
      leaseExpiresAt: row.lease_expires_at,
    }));
  }

  /**
   * Applies `patch` to a run found by `expired`, only if nobody touched its lease since: of many
   * workers sweeping at once, exactly one recovers it.
   */
  async recover(found: LeasedRun, patch: RunPatch): Promise<RunRecord | null> {
    return this.runs.updateWhere(
      found.run.id,
      (q) =>
        q
          .where('status', '=', 'running')
          .where((eb) =>
            found.leaseOwner === null
              ? eb('lease_owner', 'is', null)
              : eb('lease_owner', '=', found.leaseOwner),
          )
          .where((eb) =>
            found.leaseExpiresAt === null
              ? eb('lease_expires_at', 'is', null)
              : eb('lease_expires_at', '=', found.leaseExpiresAt),
          ),
      patch,
      { lease_owner: null, lease_expires_at: null },
    );
  }

  /** Compare-and-set that also requires `owner` to still hold the run (fences a stale worker). */
  async updateOwned(
    runId: string,
    owner: string,
    expected: readonly RunStatus[],
    patch: RunPatch,
  ): Promise<RunRecord | null> {
    return this.runs.updateWhere(
      runId,
      (q) => q.where('lease_owner', '=', owner).where('status', 'in', [...expected]),
      patch,
    );
  }

  /** Which worker holds (or last held) a run. */
  async owner(runId: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('runs')
      .select('lease_owner')
      .where('id', '=', runId)
      .executeTakeFirst();
    return row?.lease_owner ?? null;
  }
}
