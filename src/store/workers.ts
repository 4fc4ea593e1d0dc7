/**
 * Where each worker process can be reached (migration 0006_workers). A run's lease owner names
 * the worker executing it; this row tells an API node where that worker serves the run's live
 * view. Rows are refreshed with the lease heartbeat and removed when the worker stops.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface WorkersTable {
  /** The worker's lease owner id (host:pid:random), as in runs.lease_owner. */
  id: string;
  /** ws:// or wss:// base URL of the worker's internal live endpoint; null when it serves none. */
  live_url: string | null;
  started_at: string;
  heartbeat_at: string;
}

type Db = Kysely<Database & { workers: WorkersTable }>;

export class WorkerDirectory {
  private readonly db: Db;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<{ workers: WorkersTable }>();
  }

  /** Records (or refreshes) a worker and its live endpoint. */
  async announce(id: string, liveUrl: string | null, now: string): Promise<void> {
    await this.db
      .insertInto('workers')
      .values({ id, live_url: liveUrl, started_at: now, heartbeat_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ live_url: liveUrl, heartbeat_at: now }))
      .execute();
  }

  /** The worker's live endpoint; null when it is unknown or serves none. */
  async liveUrl(id: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('workers')
      .select('live_url')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.live_url ?? null;
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('workers').where('id', '=', id).execute();
  }

  /** Forgets workers not heard from since `before` (killed processes leave their row behind). */
  async prune(before: string): Promise<number> {
    const result = await this.db
      .deleteFrom('workers')
      .where('heartbeat_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
