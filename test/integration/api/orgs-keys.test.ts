/**
 * Organizations, admin keys, revocation and the active-runs quota (issue 17; docs/security.md).
 * A second `wren server` process on the same data directory proves revocation needs no cache
 * expiry anywhere (docs/security.md, "Keys": "refused at once by every process").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenApiDoc, OpenApiValidator } from '../../support/openapi.js';
import { killHard, type ServerProcess, startServerProcess } from '../../support/process.js';
import { startTestWren, TEST_API_KEY, type TestWren } from '../../support/wren.js';

let t: TestWren;
let second: ServerProcess | null = null;

type Json = Record<string, unknown>;

beforeAll(async () => {
  t = await startTestWren({ config: { workerEnabled: false } });
});
afterAll(async () => {
  if (second) await killHard(second);
  await t?.close();
});

async function createOrg(body: Json): Promise<{ orgId: string; key: string; keyId: string }> {
  const res = await t.call('POST', '/v1/organizations', body);
  expect(res.status, res.text).toBe(200);
  const { organization, api_key } = res.body as { organization: Json; api_key: Json };
  return {
    orgId: String(organization['organization_id']),
    key: String(api_key['api_key']),
    keyId: String(api_key['id']),
  };
}

const as = (key: string) => ({ 'x-api-key': key });

describe('organizations and admin keys', () => {
  it('an admin key creates an organization whose first key works and is an ordinary key', async () => {
    const { orgId, key } = await createOrg({ name: 'acme' });
    const me = await t.call('GET', '/v1/organizations/current', undefined, as(key));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      organization_id: orgId,
      name: 'acme',
      admin: false,
      max_browser_sessions: 8,
    });
    expect((await t.call('GET', '/v1/runs', undefined, as(key))).status).toBe(200);
    // Names are unique: the second "acme" is refused, naming the field.
    const again = await t.call('POST', '/v1/organizations', { name: 'acme' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ detail: 'name: an organization named "acme" exists already' });
  });

  it('an ordinary key cannot mint, rotate or revoke keys, nor create or list organizations', async () => {
    const { key, keyId } = await createOrg({ name: 'ordinary' });
    const refused: [string, string, unknown][] = [
      ['POST', '/v1/api_keys', { label: 'more' }],
      ['POST', '/v1/api_keys', { label: 'admin', admin: true }],
      ['POST', `/v1/api_keys/${keyId}/rotate`, undefined],
      ['POST', `/v1/api_keys/${keyId}/revoke`, undefined],
      ['POST', '/v1/organizations', { name: 'mine' }],
      ['GET', '/v1/organizations', undefined],
    ];
    for (const [method, path, body] of refused) {
      const res = await t.call(method, path, body, as(key));
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(String((res.body as Json)['detail'])).toMatch(
        /^x-api-key: only an admin key may .+; this key is not one$/,
      );
    }
    // Nothing was minted or revoked: still one key, live.
    const listed = await t.call('GET', '/v1/api_keys', undefined, as(key));
    expect(listed.body).toEqual([
      expect.objectContaining({ id: keyId, admin: false, revoked_at: null }),
    ]);
  });

  it("one organization's key cannot see another organization's keys", async () => {
    const one = await createOrg({ name: 'org-one' });
    const two = await createOrg({ name: 'org-two' });
    const listed = await t.call('GET', '/v1/api_keys', undefined, as(two.key));
    expect(listed.status).toBe(200);
    const items = listed.body as Json[];
    expect(items.map((k) => k['organization_id'])).toEqual([two.orgId]);
    expect(listed.text).not.toContain(one.keyId);
    // Keys are shown by prefix only.
    expect(listed.text).not.toContain(two.key);
    const other = await t.call(
      'GET',
      `/v1/api_keys?organization_id=${one.orgId}`,
      undefined,
      as(two.key),
    );
    expect(other.status).toBe(403);
    expect(other.text).not.toContain(one.keyId);
    // An admin key may look at any organization's keys.
    const byAdmin = await t.call('GET', `/v1/api_keys?organization_id=${one.orgId}`);
    expect((byAdmin.body as Json[]).map((k) => k['id'])).toEqual([one.keyId]);
  });

  it('a revoked key is refused at once, here and by a second server process on the database', async () => {
    const { key, keyId } = await createOrg({ name: 'revoked' });
    second = await startServerProcess(['--data-dir', t.dataDir, '--no-worker'], {
      WREN_API_KEY: TEST_API_KEY,
      WREN_MODEL: '',
      WREN_DATABASE_URL: undefined,
      WREN_DATA_DIR: undefined,
    });
    const secondGet = async () =>
      (await fetch(`${second!.url}/v1/runs`, { headers: as(key) })).status;
    // Both processes have accepted the key (an authentication cache would now hold it).
    expect((await t.call('GET', '/v1/runs', undefined, as(key))).status).toBe(200);
    expect(await secondGet()).toBe(200);

    const revoked = await t.call('POST', `/v1/api_keys/${keyId}/revoke`);
    expect(revoked.status).toBe(200);
    expect((revoked.body as Json)['revoked_at']).toEqual(expect.any(String));

    const here = await t.call('GET', '/v1/runs', undefined, as(key));
    expect(here.status).toBe(403);
    expect(here.body).toEqual({ detail: 'Invalid credentials' });
    expect(await secondGet()).toBe(403);
    // Revoking again changes nothing; an unknown key id is a 404 naming it.
    const twice = await t.call('POST', `/v1/api_keys/${keyId}/revoke`);
    expect((twice.body as Json)['revoked_at']).toBe((revoked.body as Json)['revoked_at']);
    const unknown = await t.call('POST', '/v1/api_keys/key_nope/revoke');
    expect(unknown).toMatchObject({ status: 404, body: { detail: 'API key key_nope not found' } });
  });

  it('rotating a key gives a working key with the same label and role and revokes the old one', async () => {
    const { orgId, key, keyId } = await createOrg({ name: 'rotating' });
    const rotated = await t.call('POST', `/v1/api_keys/${keyId}/rotate`);
    expect(rotated.status).toBe(200);
    const fresh = rotated.body as Json;
    expect(fresh).toMatchObject({ organization_id: orgId, label: 'first key', admin: false });
    expect((await t.call('GET', '/v1/runs', undefined, as(String(fresh['api_key'])))).status).toBe(
      200,
    );
    expect((await t.call('GET', '/v1/runs', undefined, as(key))).status).toBe(403);
    const again = await t.call('POST', `/v1/api_keys/${keyId}/rotate`);
    expect(again.status).toBe(409);
  });

  it('an admin key mints keys for another organization, ordinary unless asked', async () => {
    const { orgId } = await createOrg({ name: 'minted' });
    const minted = await t.call('POST', '/v1/api_keys', { label: 'ci', organization_id: orgId });
    expect(minted.status).toBe(200);
    expect(minted.body).toMatchObject({ organization_id: orgId, label: 'ci', admin: false });
    const missing = await t.call('POST', '/v1/api_keys', { organization_id: 'o_nope' });
    expect(missing).toMatchObject({
      status: 404,
      body: { detail: 'organization_id: organization o_nope not found' },
    });
  });
});

describe('/openapi.json', () => {
  it('lists the organization and key routes with the statuses they answer', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const statuses = (path: string, method: string) =>
      Object.keys(doc.paths[path]?.[method]?.responses ?? {}).sort();
    expect(statuses('/v1/api_keys', 'get')).toEqual(['200', '403', '404', '422']);
    expect(statuses('/v1/api_keys', 'post')).toEqual(['200', '403', '404', '422']);
    expect(statuses('/v1/api_keys/{key_id}/revoke', 'post')).toEqual(['200', '403', '404', '422']);
    expect(statuses('/v1/api_keys/{key_id}/rotate', 'post')).toEqual([
      '200',
      '403',
      '404',
      '409',
      '422',
    ]);
    expect(statuses('/v1/organizations', 'post')).toEqual(['200', '403', '409', '422']);
    expect(statuses('/v1/organizations/{organization_id}', 'patch')).toEqual([
      '200',
      '403',
      '404',
      '422',
    ]);
    expect(statuses('/v1/organizations/current', 'get')).toEqual(['200', '403']);
    expect(statuses('/v1/run/tasks', 'post')).toContain('429');
    expect(statuses('/v1/browser_sessions', 'post')).toContain('429');
  });
});

describe('WREN_API_KEY', () => {
  it('a changed WREN_API_KEY retires the previous one at start; an unset one retires nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wren-env-key-'));
    const start = (key: string | undefined) =>
      startTestWren({ env: { WREN_API_KEY: key }, config: { dataDir, workerEnabled: false } });
    const runsWith = async (w: TestWren, key: string) =>
      (await w.call('GET', '/v1/runs', undefined, as(key))).status;
    try {
      const first = await start('wren_env_key_one_0123456789');
      expect(await runsWith(first, 'wren_env_key_one_0123456789')).toBe(200);
      await first.close();

      const second = await start('wren_env_key_two_0123456789');
      expect(await runsWith(second, 'wren_env_key_two_0123456789')).toBe(200);
      expect(await runsWith(second, 'wren_env_key_one_0123456789')).toBe(403);
      expect(second.wren.auth.retiredKeyIds).toHaveLength(1);
      await second.close();

      // Unset (e.g. a CLI on the same data directory): the current env key stays valid.
      const third = await start(undefined);
      expect(await runsWith(third, 'wren_env_key_two_0123456789')).toBe(200);
      expect(await runsWith(third, 'wren_env_key_one_0123456789')).toBe(403);
      await third.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('active runs quota', () => {
  it('answers 429 naming max_active_runs once the organization has that many unfinished runs', async () => {
    const { orgId, key } = await createOrg({ name: 'busy', max_active_runs: 2 });
    const submit = () => t.call('POST', '/v1/run/tasks', { prompt: 'queued' }, as(key));
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await submit();
      expect(res.status).toBe(200);
      ids.push(String((res.body as Json)['run_id']));
    }
    const third = await submit();
    expect(third.status).toBe(429);
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as OpenApiDoc;
    new OpenApiValidator(doc).assertResponse('/v1/run/tasks', 'post', 429, third.body);
    expect(String((third.body as Json)['detail'])).toMatch(
      /^Quota exceeded: max_active_runs is 2 for this organization and it has 2 runs/,
    );
    // Nothing was stored for the refused run.
    expect(((await t.call('GET', '/v1/runs', undefined, as(key))).body as Json[]).length).toBe(2);
    // Another organization is not affected by this one's quota.
    expect((await t.call('POST', '/v1/run/tasks', { prompt: 'default org' })).status).toBe(200);

    // A finished run frees its place; raising the override frees more.
    await t.call('POST', `/v1/runs/${ids[0]}/cancel`, undefined, as(key));
    expect((await submit()).status).toBe(200);
    expect((await submit()).status).toBe(429);
    const raised = await t.call('PATCH', `/v1/organizations/${orgId}`, { max_active_runs: 3 });
    expect(raised.body).toMatchObject({ max_active_runs: 3, overrides: { max_active_runs: 3 } });
    expect((await submit()).status).toBe(200);
  });
});
