/**
 * Raw DevTools ports of the browsers Wren's processes run, shared through the database (migration
 * 0012_own_endpoints) so that every process on a host refuses them, not only the one that started
 * the browser (src/net/own-endpoints.ts, docs/decisions.md). A row names the host, the port and
 * the owning process (host:pid:random); a process that died without removing its rows leaves them
 * until another process of the same host starts and finds its pid gone.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface OwnEndpointsTable {
  host: string;
  port: number;
  owner: string;
  created_at: string;
}

type Db = Kysely<Database & { own_endpoints: OwnEndpointsTable }>;

export class OwnEndpointStore {
  private readonly db: Db;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<{ own_endpoints: OwnEndpointsTable }>();
  }

  /** A registry (src/net/own-endpoints.ts) whose rows belong to `owner`. */
  registry(owner: string) {
    return {
      add: async (host: string, port: number): Promise<void> => {
        await this.db
          .insertInto('own_endpoints')
          .values({ host, port, owner, created_at: new Date().toISOString() })
          .onConflict((oc) => oc.columns(['host', 'port', 'owner']).doNothing())
          .execute();
      },
      remove: async (host: string, port: number): Promise<void> => {
        await this.db
          .deleteFrom('own_endpoints')
          .where('host', '=', host)
          .where('port', '=', port)
          .where('owner', '=', owner)
          .execute();
      },
      has: async (host: string, port: number): Promise<boolean> => {
        const row = await this.db
          .selectFrom('own_endpoints')
          .select('port')
          .where('host', '=', host)
          .where('port', '=', port)
          .limit(1)
          .executeTakeFirst();
        return row !== undefined;
      },
    };
  }

  /** Removes rows of `host` whose owner is not alive (`alive(owner)` false); returns how many. */
  async prune(host: string, alive: (owner: string) => boolean): Promise<number> {
    const rows = await this.db
      .selectFrom('own_endpoints')
      .select(['owner'])
      .where('host', '=', host)
      .execute();
    const dead = [...new Set(rows.map((r) => r.owner))].filter((o) => !alive(o));
    if (dead.length === 0) return 0;
    const result = await this.db
      .deleteFrom('own_endpoints')
      .where('host', '=', host)
      .where('owner', 'in', dead)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
