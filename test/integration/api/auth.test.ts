import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAuth, createApiKey, hashApiKey } from '../../../src/api/index.js';
import { newId } from '../../../src/core/index.js';
import { type OpenApiDoc, OpenApiValidator } from '../../support/openapi.js';
import { startTestWren, type TestWren } from '../../support/wren.js';

let t: TestWren;
let api: OpenApiValidator;
let otherKey = '';

beforeAll(async () => {
  t = await startTestWren({ config: { workerEnabled: false } });
  api = new OpenApiValidator((await (await fetch(`${t.url}/openapi.json`)).json()) as OpenApiDoc);
  const other = { id: newId('o'), name: 'other', createdAt: new Date().toISOString() };
  await t.wren.store.apiKeys.createOrganization(other);
  otherKey = await createApiKey(t.wren.store, other.id, 'test');
});
afterAll(async () => t.close());

describe('x-api-key', () => {
  const routes: [string, string][] = [
    ['POST', '/v1/run/tasks'],
    ['GET', '/v1/runs'],
    ['GET', '/v1/runs/tsk_1'],
    ['POST', '/v1/runs/tsk_1/cancel'],
  ];

  it.each(routes)('%s %s refuses a missing key with 403', async (method, path) => {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: method === 'POST' ? '{"prompt":"x"}' : undefined,
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ detail: 'Invalid credentials' });
  });

  it.each(routes)('%s %s refuses a wrong key with 403', async (method, path) => {
    const res = await t.call(method, path, method === 'POST' ? { prompt: 'x' } : undefined, {
      'x-api-key': `${t.apiKey}x`,
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ detail: 'Invalid credentials' });
  });

  it('every /v1 operation in /openapi.json refuses a missing or wrong key with 403', async () => {
    // GET /v1/version is public, as Skyvern's (its operation takes no x-api-key; docs/api.md).
    const operations = Object.entries(api.doc.paths)
      .flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => [method.toUpperCase(), path] as const),
      )
      .filter(([method, path]) => !(method === 'GET' && path === '/v1/version'));
    // The run task routes and the later features (sessions, artifacts, credentials, …).
    expect(operations.length).toBeGreaterThanOrEqual(20);
    for (const [method, template] of operations) {
      const path = template.replace(/\{[^}]+\}/g, 'x_1');
      for (const headers of [{}, { 'x-api-key': 'wren_wrong' }] as Record<string, string>[]) {
        const res = await fetch(`${t.url}${path}`, {
          method,
          headers: {
            ...headers,
            ...(method === 'GET' ? {} : { 'content-type': 'application/json' }),
          },
          body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
        });
        expect(res.status, `${method} ${template} ${JSON.stringify(headers)}`).toBe(403);
        expect(await res.json()).toEqual({ detail: 'Invalid credentials' });
      }
    }
  });

  it('checks auth before the body, and stores nothing for a refused request', async () => {
    const res = await t.call('POST', '/v1/run/tasks', { engine: 'nope' }, { 'x-api-key': '' });
    expect(res.status).toBe(403);
    api.assertResponse('/v1/run/tasks', 'post', 403, res.body);
    expect((await t.call('GET', '/v1/runs')).body).toEqual([]);
  });

  it('stores keys only as SHA-256 hashes', async () => {
    // WAL mode: recent writes live in the -wal file until a checkpoint.
    const files = ['wren.db', 'wren.db-wal'].map((f) => join(t.dataDir, f)).filter(existsSync);
    const db = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(db.includes(Buffer.from(otherKey))).toBe(false);
    expect(db.includes(Buffer.from(hashApiKey(otherKey)))).toBe(true);
  });

  it('generates a key on first start when none is seeded, in a 0600 file', async () => {
    const fresh = await startTestWren({
      env: { WREN_API_KEY: undefined },
      config: { workerEnabled: false, seedApiKey: null },
    });
    try {
      const { generatedKey, keyFile } = fresh.wren.auth;
      expect(generatedKey).toMatch(/^wren_[A-Za-z0-9_-]{43}$/);
      expect(keyFile).toBe(join(fresh.dataDir, 'api-key'));
      expect(readFileSync(keyFile!, 'utf8')).toBe(`${generatedKey}\n`);
      expect(statSync(keyFile!).mode & 0o777).toBe(0o600);
      const ok = await fresh.call('GET', '/v1/runs', undefined, { 'x-api-key': generatedKey! });
      expect(ok.status).toBe(200);
      // Only once: the next start on this data directory generates and shows nothing.
      const again = await bootstrapAuth(fresh.wren.store, {
        dataDir: fresh.dataDir,
        seedApiKey: null,
      });
      expect(again).toMatchObject({ generatedKey: null, keyFile: null });
      expect(again.organization.id).toBe(fresh.wren.auth.organization.id);
      expect(readFileSync(keyFile!, 'utf8')).toBe(`${generatedKey}\n`);
    } finally {
      await fresh.close();
    }
  });
});

describe('organization isolation', () => {
  it("makes another organization's run a 404 for get and cancel, and hides it from lists", async () => {
    const mine = await t.call('POST', '/v1/run/tasks', { prompt: 'mine' });
    const runId = String((mine.body as Record<string, unknown>)['run_id']);
    const theirs = { 'x-api-key': otherKey };

    const get = await t.call('GET', `/v1/runs/${runId}`, undefined, theirs);
    expect(get.status).toBe(404);
    expect(get.body).toEqual({ detail: `Task run not found ${runId}` });
    const cancel = await t.call('POST', `/v1/runs/${runId}/cancel`, undefined, theirs);
    expect(cancel.status).toBe(404);
    expect((await t.call('GET', '/v1/runs', undefined, theirs)).body).toEqual([]);

    // The owner still sees it, untouched by the other organization's cancel.
    expect((await t.call('GET', `/v1/runs/${runId}`)).body).toMatchObject({
      run_id: runId,
      status: 'queued',
    });
    const theirRun = await t.call('POST', '/v1/run/tasks', { prompt: 'theirs' }, theirs);
    const theirId = String((theirRun.body as Record<string, unknown>)['run_id']);
    expect(
      ((await t.call('GET', '/v1/runs')).body as Record<string, unknown>[]).map((r) => r['run_id']),
    ).toEqual([runId]);
    expect(
      ((await t.call('GET', '/v1/runs', undefined, theirs)).body as Record<string, unknown>[]).map(
        (r) => r['run_id'],
      ),
    ).toEqual([theirId]);
  });
});
