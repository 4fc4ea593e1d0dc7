/**
 * Throwaway stores for the store tests, one of each kind: SQLite in a temp directory and
 * PostgreSQL in a database of its own. `close` closes every store opened and removes its data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/index.js';
import { createTestDatabase } from './pg-database.js';

export interface ThrowawayStores {
  sqlite(): Promise<Store>;
  postgres(): Promise<Store>;
  /** The two as `describe.each` rows: `['SQLite', sqlite]`, `['PostgreSQL', postgres]`. */
  kinds: [name: string, open: () => Promise<Store>][];
  close(): Promise<void>;
}

export function throwawayStores(dirPrefix: string): ThrowawayStores {
  const cleanups: (() => Promise<void>)[] = [];
  const sqlite = async () => {
    const dir = mkdtempSync(join(tmpdir(), dirPrefix));
    const store = await openStore({ dataDir: dir });
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return store;
  };
  const postgres = async () => {
    const db = await createTestDatabase();
    const store = await openStore({ databaseUrl: db.url });
    cleanups.push(async () => {
      await store.close();
      await db.drop();
    });
    return store;
  };
  return {
    sqlite,
    postgres,
    kinds: [
      ['SQLite', sqlite],
      ['PostgreSQL', postgres],
    ],
    close: async () => {
      for (const c of cleanups.reverse()) await c();
    },
  };
}
