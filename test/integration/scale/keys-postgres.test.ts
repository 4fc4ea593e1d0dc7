/**
 * Keys and quotas on PostgreSQL with two API servers on one database (docs/security.md):
 * a revocation through one is refused by the other on the next request, and simultaneous submits
 * spread over both never exceed an organization's max_active_runs (count and insert share a
 * transaction under a per-organization advisory lock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/pg-database.js';
import { startTestWren, type TestWren } from '../../support/wren.js';

let db: TestDatabase;
let a: TestWren;
let b: TestWren;
type Json = Record<string, unknown>;

beforeAll(async () => {
  db = await createTestDatabase();
  a = await startTestWren({ config: { databaseUrl: db.url, workerEnabled: false } });
  b = await startTestWren({ config: { databaseUrl: db.url, workerEnabled: false } });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
  await db?.drop();
});

async function createOrg(body: Json): Promise<{ key: string; keyId: string }> {
  const res = await a.call('POST', '/v1/organizations', body);
  expect(res.status, res.text).toBe(200);
  const apiKey = (res.body as { api_key: Json }).api_key;
  return { key: String(apiKey['api_key']), keyId: String(apiKey['id']) };
}

describe('keys and quotas on PostgreSQL, two servers', () => {
  it('a key revoked through one server is refused by the other at once', async () => {
    const { key, keyId } = await createOrg({ name: 'pg-revoke' });
    const headers = { 'x-api-key': key };
    expect((await b.call('GET', '/v1/runs', undefined, headers)).status).toBe(200);
    expect((await a.call('POST', `/v1/api_keys/${keyId}/revoke`)).status).toBe(200);
    expect((await b.call('GET', '/v1/runs', undefined, headers)).status).toBe(403);
  });

  it('simultaneous submits on both servers stop exactly at max_active_runs', async () => {
    const { key } = await createOrg({ name: 'pg-quota', max_active_runs: 3 });
    const headers = { 'x-api-key': key };
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).call('POST', '/v1/run/tasks', { prompt: `run ${i}` }, headers),
      ),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([
      200, 200, 200, 429, 429, 429, 429, 429, 429, 429,
    ]);
    expect(((await a.call('GET', '/v1/runs', undefined, headers)).body as Json[]).length).toBe(3);
  });
});
