import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../src/api/index.js';
import { newId } from '../../../src/core/index.js';
import { openCredential } from '../../../src/credentials/index.js';
import { signingKeyContext } from '../../../src/runs/index.js';
import { type OpenApiDoc, OpenApiValidator } from '../../support/openapi.js';
import { startTestWren, type TestWren } from '../../support/wren.js';

/**
 * The credential routes against a real server and SQLite: every answer is checked against the
 * server's own /openapi.json, organizations never see each other's codes or logins, bad input
 * names the field, and passwords and secrets are stored only sealed.
 */

let t: TestWren;
let api: OpenApiValidator;
let otherKey = '';
let otherOrg = '';

const PASSWORD = 'Tr0ub4dor&3-unique-password';
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ';
const URI_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

beforeAll(async () => {
  t = await startTestWren({ config: { workerEnabled: false } });
  api = new OpenApiValidator((await (await fetch(`${t.url}/openapi.json`)).json()) as OpenApiDoc);
  otherOrg = newId('o');
  await t.wren.store.apiKeys.createOrganization({
    id: otherOrg,
    name: 'other',
    createdAt: new Date().toISOString(),
  });
  otherKey = await createApiKey(t.wren.store, otherOrg, 'test');
});
afterAll(async () => t.close());

const asOther = { 'x-api-key': '' };
beforeAll(() => {
  asOther['x-api-key'] = otherKey;
});

async function newRun(headers: Record<string, string> = {}): Promise<string> {
  const res = await t.call('POST', '/v1/run/tasks', { prompt: 'log in' }, headers);
  expect(res.status).toBe(200);
  return String((res.body as Record<string, unknown>)['run_id']);
}

describe('/openapi.json', () => {
  it('documents the credential routes and their schemas', () => {
    expect(Object.keys(api.doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/credentials/totp',
        '/v1/credentials',
        '/v1/credentials/{credential_id}',
      ]),
    );
    expect(Object.keys(api.doc.paths['/v1/credentials/totp']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(api.doc.paths['/v1/credentials/{credential_id}']!).sort()).toEqual([
      'delete',
      'get',
    ]);
    expect(Object.keys(api.doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/credentials/{credential_id}/update',
        '/v1/credentials/{credential_id}/delete',
      ]),
    );
    const schemas = api.doc.components.schemas;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining([
        'TOTPCodeCreate',
        'TOTPCode',
        'CreateCredentialRequest',
        'CredentialResponse',
      ]),
    );
    // The response shapes have no field that could carry a password or a secret.
    const fields = (name: string) => Object.keys(schemas[name]!['properties'] as object).sort();
    expect(fields('PasswordCredentialResponse')).toEqual([
      'totp_identifier',
      'totp_type',
      'username',
    ]);
    expect(fields('CreditCardCredentialResponse')).toEqual(['brand', 'last_four']);
    expect(fields('SecretCredentialResponse')).toEqual(['secret_label']);
    api.assertRequest('/v1/credentials/totp', 'post', {
      totp_identifier: 'a@b.c',
      content: '123456',
    });
  });
});

describe('POST /v1/credentials/totp', () => {
  it('extracts the code from an SMS, normalizes the identifier, and lists it', async () => {
    const res = await t.call('POST', '/v1/credentials/totp', {
      totp_identifier: 'Jane.Doe@Example.com',
      content: 'Your Fixture Bank verification code is 482913. It expires in 10 minutes.',
      source: 'sms',
    });
    expect(res.status).toBe(200);
    api.assertResponse('/v1/credentials/totp', 'post', 200, res.body);
    const code = res.body as Record<string, unknown>;
    expect(code).toMatchObject({
      code: '482913',
      otp_type: 'totp',
      totp_identifier: 'jane.doe@example.com',
      source: 'sms',
      task_id: null,
      organization_id: t.wren.auth.organization.id,
    });
    expect(code['totp_code_id']).toMatch(/^totp_\d+$/);
    expect(code['created_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(code).not.toHaveProperty('status');

    const listed = await t.call('GET', '/v1/credentials/totp?totp_identifier=JANE.DOE@example.com');
    expect(listed.status).toBe(200);
    api.assertResponse('/v1/credentials/totp', 'get', 200, listed.body);
    expect(listed.body).toEqual([code]);
    // Other organizations see nothing.
    const other = await t.call('GET', '/v1/credentials/totp', undefined, asOther);
    expect(other.status).toBe(200);
    expect(other.body).toEqual([]);
  });

  it('keeps unparseable content raw, and lists newest first with filters and a limit', async () => {
    const raw = await t.call('POST', '/v1/credentials/totp', {
      totp_identifier: '+1 (555) 010-2030',
      content: 'Hello! Your parcel is on its way and will arrive tomorrow afternoon.',
    });
    expect(raw.status).toBe(200);
    api.assertResponse('/v1/credentials/totp', 'post', 200, raw.body);
    expect(raw.body).toMatchObject({
      status: 'raw_pending',
      code: '',
      otp_type: null,
      totp_identifier: '+15550102030',
    });
    const link = await t.call('POST', '/v1/credentials/totp', {
      totp_identifier: '+15550102030',
      content: 'https://bank.example/login/magic?token=Zm9vYmFyYmF6cXV4cXV1eA',
    });
    expect(link.body).toMatchObject({ otp_type: 'magic_link' });

    const all = await t.call('GET', '/v1/credentials/totp?totp_identifier=%2B15550102030');
    const ids = (all.body as Record<string, unknown>[]).map((r) => r['totp_code_id']);
    expect(ids).toEqual([
      (link.body as Record<string, unknown>)['totp_code_id'],
      (raw.body as Record<string, unknown>)['totp_code_id'],
    ]);
    const links = await t.call('GET', '/v1/credentials/totp?otp_type=magic_link');
    expect((links.body as unknown[]).length).toBe(1);
    const one = await t.call('GET', '/v1/credentials/totp?limit=1');
    expect((one.body as unknown[]).length).toBe(1);
  });

  it('scopes a code to a run of the caller, and refuses a run that is not theirs', async () => {
    const runId = await newRun();
    const scoped = await t.call('POST', '/v1/credentials/totp', {
      totp_identifier: 'scoped@example.com',
      content: '771204',
      task_id: runId,
    });
    expect(scoped.status).toBe(200);
    expect(scoped.body).toMatchObject({ task_id: runId, code: '771204' });

    const missing = await t.call('POST', '/v1/credentials/totp', {
      totp_identifier: 'scoped@example.com',
      content: '771204',
      task_id: 'tsk_404',
    });
    expect(missing.status).toBe(400);
    api.assertResponse('/v1/credentials/totp', 'post', 400, missing.body);
    expect(missing.body).toEqual({
      detail: 'Invalid task id: task_id "tsk_404" does not exist in this organization',
    });

    const foreign = await t.call(
      'POST',
      '/v1/credentials/totp',
      { totp_identifier: 'scoped@example.com', content: '771204', task_id: runId },
      asOther,
    );
    expect(foreign.status).toBe(400);
    expect((foreign.body as { detail: string }).detail).toMatch(/^Invalid task id: task_id/);

    const workflow = await t.call('POST', '/v1/credentials/totp', {
      totp_identifier: 'scoped@example.com',
      content: '771204',
      workflow_run_id: 'wr_1',
    });
    expect(workflow.status).toBe(400);
    expect((workflow.body as { detail: string }).detail).toMatch(
      /^Invalid workflow run id: workflow_run_id "wr_1"/,
    );
    // Nothing was stored for the refused pushes.
    const stored = await t.call('GET', '/v1/credentials/totp?totp_identifier=scoped@example.com');
    expect((stored.body as unknown[]).length).toBe(1);
  });

  it.each([
    [{ content: '123456' }, 'totp_identifier', 422, 'totp_identifier is required'],
    [{ totp_identifier: 'x@y.z' }, 'content', 422, 'content is required'],
    [{ totp_identifier: 7, content: '123456' }, 'totp_identifier', 422, 'must be a string'],
    [{ totp_identifier: 'x@y.z', content: '1', type: 'sms' }, 'type', 422, 'totp'],
    [{ totp_identifier: 'x@y.z', content: '1', expired_at: 'soon' }, 'expired_at', 422, 'ISO'],
    [{ totp_identifier: 'x'.repeat(256), content: '1' }, 'totp_identifier', 422, '255'],
    [{ totp_identifier: 'x@y.z', content: '\u0000\u0000' }, 'content', 422, 'empty'],
  ])('bad input %j names %s', async (body, field, status, words) => {
    const res = await t.call('POST', '/v1/credentials/totp', body);
    expect(res.status).toBe(status);
    api.assertResponse('/v1/credentials/totp', 'post', status, res.body);
    const detail = (res.body as { detail: { loc: unknown[]; msg: string }[] }).detail;
    expect(detail[0]!.loc).toEqual(['body', field]);
    expect(detail[0]!.msg).toContain(field);
    expect(detail[0]!.msg).toContain(words);
  });

  it('refuses long content without a code with 400 naming content', async () => {
    const res = await t.call('POST', '/v1/credentials/totp', {
      totp_identifier: 'x@y.z',
      content: 'lorem ipsum dolor sit amet '.repeat(2600),
    });
    expect(res.status).toBe(400);
    expect((res.body as { detail: string }).detail).toMatch(/^content: no code or link found/);
  });

  it('checks the GET limit', async () => {
    for (const limit of ['0', '201', 'many']) {
      const res = await t.call('GET', `/v1/credentials/totp?limit=${limit}`);
      expect(res.status).toBe(422);
      api.assertResponse('/v1/credentials/totp', 'get', 422, res.body);
      const detail = (res.body as { detail: { loc: unknown[]; msg: string }[] }).detail;
      expect(detail[0]!.loc).toEqual(['query', 'limit']);
      expect(detail[0]!.msg).toContain('limit');
    }
  });
});

describe('/v1/credentials', () => {
  let flatId = '';
  let nestedId = '';

  it('stores a login and answers without the password or the secret', async () => {
    const res = await t.call('POST', '/v1/credentials', {
      name: 'bank',
      username: 'jane',
      password: PASSWORD,
      totp: SECRET.toLowerCase().replace(/(.{4})/g, '$1 '),
    });
    expect(res.status).toBe(201);
    api.assertResponse('/v1/credentials', 'post', 201, res.body);
    const body = res.body as Record<string, unknown>;
    flatId = String(body['credential_id']);
    expect(flatId).toMatch(/^cred_\d+$/);
    const stamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(body).toEqual({
      credential_id: flatId,
      credential: { username: 'jane', totp_type: 'authenticator', totp_identifier: null },
      credential_type: 'password',
      name: 'bank',
      vault_type: 'skyvern',
      browser_profile_id: null,
      tested_url: null,
      user_context: null,
      save_browser_session_intent: null,
      folder_id: null,
      proxy_location: null,
      proxy_session_id: null,
      created_at: stamp,
      modified_at: stamp,
    });
    expect(res.text).not.toContain(PASSWORD);
    expect(res.text).not.toContain(SECRET);
  });

  it('accepts the nested form with an otpauth URI', async () => {
    const res = await t.call('POST', '/v1/credentials', {
      name: 'mail',
      credential_type: 'password',
      credential: {
        username: 'jane@example.com',
        password: `${PASSWORD}-2`,
        totp: `otpauth://totp/Fixture%20Mail:jane?secret=${URI_SECRET}&issuer=Fixture%20Mail`,
      },
    });
    expect(res.status).toBe(201);
    api.assertResponse('/v1/credentials', 'post', 201, res.body);
    nestedId = String((res.body as Record<string, unknown>)['credential_id']);
    expect(res.body).toMatchObject({
      name: 'mail',
      credential: { username: 'jane@example.com', totp_type: 'authenticator' },
    });
  });

  it('stores a credit card and a secret, answering last four, brand and label only', async () => {
    const card = await t.call('POST', '/v1/credentials', {
      name: 'Corporate card',
      credential_type: 'credit_card',
      credential: {
        card_number: '4111 1111 1111 4242',
        card_cvv: '9917',
        card_exp_month: '08',
        card_exp_year: '2031',
        card_brand: 'Visa',
        card_holder_name: 'Jane Doe',
        billing_address: { line1: '1 Main St', city: 'Springfield' },
      },
    });
    expect(card.status).toBe(201);
    api.assertResponse('/v1/credentials', 'post', 201, card.body);
    expect(card.body).toMatchObject({
      credential: { last_four: '4242', brand: 'Visa' },
      credential_type: 'credit_card',
      name: 'Corporate card',
    });
    expect(Object.keys((card.body as { credential: object }).credential).sort()).toEqual([
      'brand',
      'last_four',
    ]);
    for (const secret of ['4111111111114242', '9917', 'Jane Doe', '1 Main St'])
      expect(card.text).not.toContain(secret);

    const secret = await t.call('POST', '/v1/credentials', {
      name: 'API token',
      credential_type: 'secret',
      credential: { secret_value: 'sk-live-5f0c1e', secret_label: 'Partner API' },
    });
    expect(secret.status).toBe(201);
    api.assertResponse('/v1/credentials', 'post', 201, secret.body);
    expect(secret.body).toMatchObject({
      credential: { secret_label: 'Partner API' },
      credential_type: 'secret',
    });
    expect(secret.text).not.toContain('sk-live-5f0c1e');
    const secretId = (secret.body as { credential_id: string }).credential_id;

    const cards = await t.call('GET', '/v1/credentials?credential_type=credit_card');
    expect((cards.body as { credential_type: string }[]).map((c) => c.credential_type)).toEqual([
      'credit_card',
    ]);
    const found = await t.call('GET', '/v1/credentials?search=partner');
    expect((found.body as { credential_id: string }[]).map((c) => c.credential_id)).toEqual([
      secretId,
    ]);
    expect((await t.call('GET', '/v1/credentials?vault_type=bitwarden')).body).toEqual([]);
    const paged = await t.call('GET', '/v1/credentials?page=2&page_size=1');
    expect((paged.body as unknown[]).length).toBe(1);

    // Update keeps the id and replaces the data (here, a secret becomes a login).
    const updated = await t.call('POST', `/v1/credentials/${secretId}/update`, {
      name: 'Partner login',
      credential_type: 'password',
      credential: { username: 'partner', password: 'pw-after-update-1', totp_type: 'email' },
    });
    expect(updated.status).toBe(200);
    api.assertResponse('/v1/credentials/{credential_id}/update', 'post', 200, updated.body);
    expect(updated.body).toMatchObject({
      credential_id: secretId,
      credential: { username: 'partner', totp_type: 'email', totp_identifier: null },
      credential_type: 'password',
      name: 'Partner login',
    });
    const sealed = await t.wren.store.credentials.get(t.wren.auth.organization.id, secretId);
    const opened = openCredential(sealed!, t.wren.secretBox);
    expect(opened.type === 'password' && opened.password).toBe('pw-after-update-1');
    const foreign = await t.call(
      'POST',
      `/v1/credentials/${secretId}/update`,
      { credential_type: 'secret', credential: { secret_value: 'x' } },
      asOther,
    );
    expect(foreign.status).toBe(404);
    const bad = await t.call('POST', `/v1/credentials/${secretId}/update`, {
      credential_type: 'secret',
      credential: {},
    });
    expect(bad.status).toBe(422);
    await t.call('POST', `/v1/credentials/${secretId}/delete`);
    await t.call(
      'POST',
      `/v1/credentials/${(card.body as { credential_id: string }).credential_id}/delete`,
    );
  });

  it('lists and gets logins of the caller only', async () => {
    const list = await t.call('GET', '/v1/credentials');
    expect(list.status).toBe(200);
    api.assertResponse('/v1/credentials', 'get', 200, list.body);
    expect((list.body as Record<string, unknown>[]).map((c) => c['credential_id'])).toEqual([
      flatId,
      nestedId,
    ]);
    expect(list.text).not.toContain(PASSWORD);
    const one = await t.call('GET', `/v1/credentials/${flatId}`);
    expect(one.status).toBe(200);
    api.assertResponse('/v1/credentials/{credential_id}', 'get', 200, one.body);
    expect(one.body).toMatchObject({ credential_id: flatId, credential: { username: 'jane' } });

    expect((await t.call('GET', '/v1/credentials', undefined, asOther)).body).toEqual([]);
    const foreign = await t.call('GET', `/v1/credentials/${flatId}`, undefined, asOther);
    expect(foreign.status).toBe(404);
    api.assertResponse('/v1/credentials/{credential_id}', 'get', 404, foreign.body);
    expect(foreign.body).toEqual({ detail: `Credential not found ${flatId}` });
    const foreignDelete = await t.call('DELETE', `/v1/credentials/${flatId}`, undefined, asOther);
    expect(foreignDelete.status).toBe(404);
    expect((await t.call('GET', `/v1/credentials/${flatId}`)).status).toBe(200);
  });

  it('keeps passwords and secrets only sealed in the database', async () => {
    const files = ['wren.db', 'wren.db-wal'].map((f) => join(t.dataDir, f)).filter(existsSync);
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    for (const plain of [PASSWORD, `${PASSWORD}-2`, SECRET, URI_SECRET, 'otpauth://']) {
      expect(bytes.includes(Buffer.from(plain))).toBe(false);
    }
    const db = new BetterSqlite3(join(t.dataDir, 'wren.db'), { readonly: true });
    const row = db.prepare('select * from credentials where id = ?').get(flatId) as Record<
      string,
      unknown
    >;
    db.close();
    expect(Object.keys(row).sort()).toEqual([
      'created_at',
      'credential_type',
      'data_sealed',
      'details_json',
      'id',
      'modified_at',
      'name',
      'organization_id',
      'password_sealed',
      'totp_issuer',
      'totp_sealed',
      'username',
    ]);
    expect(row['password_sealed']).toMatch(/^wren1\.[0-9a-f]{12}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(row['totp_sealed']).toMatch(/^wren1\./);
    // The server's key opens them again.
    const sealed = await t.wren.store.credentials.get(t.wren.auth.organization.id, flatId);
    const opened = openCredential(sealed!, t.wren.secretBox);
    expect(opened.type === 'password' && opened.password).toBe(PASSWORD);
    expect(opened.type === 'password' && opened.totp?.base32).toBe(SECRET);
  });

  it.each([
    [{ username: 'jane' }, ['body', 'password'], 'password is required'],
    [{ password: 'x' }, ['body', 'username'], 'username is required'],
    [
      { credential: { username: 'jane', password: 'x', totp: 'not base32!' } },
      ['body', 'credential', 'totp'],
      'totp',
    ],
    [
      { username: 'jane', password: 'x', totp: 'otpauth://hotp/x?secret=JBSWY3DP&counter=1' },
      ['body', 'totp'],
      'hotp',
    ],
    [{ username: 'jane', password: 12345 }, ['body', 'password'], 'password must be a string'],
    [{ credential_type: 'oauth', username: 'j', password: 'x' }, ['body', 'credential_type'], ''],
    [
      {
        name: 'c',
        credential_type: 'credit_card',
        credential: { card_number: '4111111111111111' },
      },
      ['body', 'credential', 'card_cvv'],
      'card_cvv is required',
    ],
    [
      { name: 's', credential_type: 'secret', credential: { secret_label: 'token' } },
      ['body', 'credential', 'secret_value'],
      'secret_value is required',
    ],
    [{ credential: 'jane:x' }, ['body', 'credential'], 'credential must be an object'],
  ])('bad input %j names the field', async (body, loc, words) => {
    const res = await t.call('POST', '/v1/credentials', body);
    expect(res.status).toBe(422);
    api.assertResponse('/v1/credentials', 'post', 422, res.body);
    const detail = (res.body as { detail: { loc: unknown[]; msg: string; input?: unknown }[] })
      .detail;
    expect(detail[0]!.loc).toEqual(loc);
    expect(detail[0]!.msg).toContain(String(loc.at(-1)));
    expect(detail[0]!.msg).toContain(words);
    // A rejected secret is not echoed back.
    if (loc.at(-1) === 'totp') expect(detail[0]).not.toHaveProperty('input');
  });

  it('deletes a login (Skyvern route, and the DELETE alias)', async () => {
    const made = await t.call('POST', '/v1/credentials', {
      name: 'temp',
      credential_type: 'secret',
      credential: { secret_value: 'to-be-deleted-7731' },
    });
    const tempId = (made.body as { credential_id: string }).credential_id;
    const foreign = await t.call('POST', `/v1/credentials/${tempId}/delete`, undefined, asOther);
    expect(foreign.status).toBe(404);
    const viaPost = await t.call('POST', `/v1/credentials/${tempId}/delete`);
    expect(viaPost.status).toBe(204);
    expect(viaPost.text).toBe('');
    expect((await t.call('GET', `/v1/credentials/${tempId}`)).status).toBe(404);
    const res = await t.call('DELETE', `/v1/credentials/${nestedId}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await t.call('GET', `/v1/credentials/${nestedId}`)).status).toBe(404);
    const again = await t.call('DELETE', `/v1/credentials/${nestedId}`);
    expect(again.status).toBe(404);
    api.assertResponse('/v1/credentials/{credential_id}', 'delete', 404, again.body);
  });

  it('refuses requests without a valid key', async () => {
    for (const [method, path] of [
      ['GET', '/v1/credentials'],
      ['POST', '/v1/credentials'],
      ['GET', `/v1/credentials/${flatId}`],
      ['DELETE', `/v1/credentials/${flatId}`],
      ['GET', '/v1/credentials/totp'],
      ['POST', '/v1/credentials/totp'],
    ] as const) {
      const res = await t.call(method, path, method === 'POST' ? {} : undefined, {
        'x-api-key': 'wrong',
      });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body).toEqual({ detail: 'Invalid credentials' });
    }
  });

  describe('credential_id on POST /v1/run/tasks', () => {
    it('accepts a credential of the caller and echoes its id', async () => {
      const res = await t.call('POST', '/v1/run/tasks', {
        prompt: 'log in to the bank',
        credential_id: flatId,
      });
      expect(res.status).toBe(200);
      api.assertResponse('/v1/run/tasks', 'post', 200, res.body);
      const run = res.body as { run_id: string; run_request: Record<string, unknown> };
      expect(run.run_request['credential_id']).toBe(flatId);
      const stored = await t.wren.store.runs.get(t.wren.auth.organization.id, run.run_id);
      expect(stored?.request['credential_id']).toBe(flatId);
    });

    it('refuses an unknown or foreign credential, naming the field', async () => {
      for (const [id, headers] of [
        ['cred_404', {}],
        [flatId, asOther],
      ] as const) {
        const res = await t.call(
          'POST',
          '/v1/run/tasks',
          { prompt: 'log in', credential_id: id },
          headers,
        );
        expect(res.status).toBe(400);
        api.assertResponse('/v1/run/tasks', 'post', 400, res.body);
        expect((res.body as { detail: string }).detail).toBe(
          `credential_id: no credential ${id} in this organization (create one with POST /v1/credentials)`,
        );
      }
      const wrongType = await t.call('POST', '/v1/run/tasks', { prompt: 'x', credential_id: 5 });
      expect(wrongType.status).toBe(422);
      expect((wrongType.body as { detail: { loc: unknown[] }[] }).detail[0]!.loc).toEqual([
        'body',
        'credential_id',
      ]);
    });

    it('leaves the echo of requests without it exactly as before', async () => {
      const res = await t.call('POST', '/v1/run/tasks', { prompt: 'no login' });
      expect(res.body).toHaveProperty('run_request');
      expect((res.body as { run_request: object }).run_request).not.toHaveProperty('credential_id');
    });
  });
});

describe('run signing keys', () => {
  it('keeps the API key of a run with a totp_url or webhook_url sealed, for signing', async () => {
    const runId = await newRun();
    expect(await t.wren.store.runSigningKeys.get(t.wren.auth.organization.id, runId)).toBeNull();
    const res = await t.call('POST', '/v1/run/tasks', {
      prompt: 'log in',
      totp_url: 'http://127.0.0.1:9/totp',
    });
    expect(res.status).toBe(200);
    const id = (res.body as { run_id: string }).run_id;
    const sealed = await t.wren.store.runSigningKeys.get(t.wren.auth.organization.id, id);
    expect(sealed).toMatch(/^wren1\./);
    expect(t.wren.secretBox.open(sealed!, signingKeyContext(id))).toBe(t.apiKey);
    expect(await t.wren.store.runSigningKeys.get(otherOrg, id)).toBeNull();
    const files = ['wren.db', 'wren.db-wal'].map((f) => join(t.dataDir, f)).filter(existsSync);
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(bytes.includes(Buffer.from(t.apiKey))).toBe(false);

    const hooked = await t.call('POST', '/v1/run/tasks', {
      prompt: 'report back',
      webhook_url: 'http://127.0.0.1:9/hook',
    });
    const hookedId = (hooked.body as { run_id: string }).run_id;
    const hookKey = await t.wren.store.runSigningKeys.get(t.wren.auth.organization.id, hookedId);
    expect(t.wren.secretBox.open(hookKey!, signingKeyContext(hookedId))).toBe(t.apiKey);
  });
});
