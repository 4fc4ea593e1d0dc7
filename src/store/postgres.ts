/** PostgreSQL connection pool for the store (WREN_DATABASE_URL=postgres://…). */
import pg from 'pg';

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export function openPostgres(url: string, max = 10): pg.Pool {
  if (!isPostgresUrl(url)) {
    throw new Error(
      'WREN_DATABASE_URL must be a postgres:// or postgresql:// URL (unset it to use SQLite)',
    );
  }
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client that loses its connection emits here; without a listener Node would crash.
  pool.on('error', () => {});
  return pool;
}
