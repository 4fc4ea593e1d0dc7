import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_SUPPORTED } from '../../../src/api/not-supported.js';
import { EngineRegistry } from '../../../src/engines/registry.js';
import {
  FULL_TASK_REQUEST,
  PROXY_LOCATION_VALUES,
  RUN_STATUS_VALUES,
  TASK_RUN_LIST_ITEM_FIELDS,
  TASK_RUN_LIST_ITEM_REQUIRED,
  TASK_RUN_REQUEST_FIELDS,
  TASK_RUN_REQUEST_REQUIRED,
  TASK_RUN_RESPONSE_FIELDS,
  TASK_RUN_RESPONSE_REQUIRED,
} from '../../fixtures/skyvern/contract.js';
import { engineFrom } from '../../support/engines.js';
import { type OpenApiDoc, OpenApiValidator } from '../../support/openapi.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from '../../support/wren.js';
import { type Receiver, startReceiver } from '../webhooks/receiver.js';

let t: TestWren;
let api: OpenApiValidator;

beforeAll(async () => {
  const engines = new EngineRegistry().register(
    engineFrom('skyvern-1.0', async (ctx) => {
      await ctx.artifacts?.put({
        type: 'screenshot_action',
        stepId: 'step_0',
        contentType: 'image/png',
        bytes: Buffer.from('not really a png'),
      });
      ctx.emit({ type: 'step_finished', stepIndex: 0, summary: 'read the price' });
      return {
        outcome: { status: 'completed', output: { price: '19.99' } },
        errors: [],
        stepCount: 1,
        usage: { inputTokens: 5, outputTokens: 1, costUsd: 0.01 },
      };
    }),
    { requiresModel: false },
  );
  t = await startTestWren({ engines });
  const res = await fetch(`${t.url}/openapi.json`);
  expect(res.status).toBe(200);
  api = new OpenApiValidator((await res.json()) as OpenApiDoc);
});
afterAll(async () => t.close());

function properties(schema: Record<string, unknown>): Record<string, Record<string, unknown>> {
  return schema['properties'] as Record<string, Record<string, unknown>>;
}

describe('/openapi.json', () => {
  it('is an OpenAPI 3.1 document with the run task routes', () => {
    expect(api.doc.openapi).toBe('3.1.0');
    // Other routes (UI settings, credentials, …) are documented too; these must be.
    expect(Object.keys(api.doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/artifacts/{artifact_id}/content',
        '/v1/browser_sessions',
        '/v1/browser_sessions/{browser_session_id}',
        '/v1/browser_sessions/{browser_session_id}/close',
        '/v1/credentials',
        '/v1/credentials/totp',
        '/v1/credentials/{credential_id}',
        '/v1/run/tasks',
        '/v1/runs',
        '/v1/runs/{run_id}',
        '/v1/runs/{run_id}/artifacts',
        '/v1/runs/{run_id}/cancel',
        '/v1/runs/{run_id}/timeline',
        '/v1/runs/{run_id}/retry_webhook',
        '/v1/runs/{run_id}/webhook_deliveries',
      ]),
    );
    expect(Object.keys(api.doc.paths).every((path) => path.startsWith('/v1/'))).toBe(true);
  });

  it('documents the TaskRunRequest fields and defaults Skyvern clients send', () => {
    const body = api.doc.paths['/v1/run/tasks']!['post']!['requestBody'] as {
      content: Record<string, { schema: Record<string, unknown> }>;
    };
    const schema = api.schema(body.content['application/json']!.schema);
    // Skyvern's fields plus Wren's credential_id extension (docs/credentials.md).
    expect(Object.keys(properties(schema)).sort()).toEqual(
      [...TASK_RUN_REQUEST_FIELDS, 'credential_id'].sort(),
    );
    expect(schema['required']).toEqual(TASK_RUN_REQUEST_REQUIRED);
    expect(properties(schema)['engine']?.['default']).toBe('skyvern-2.0');
    api.assertRequest('/v1/run/tasks', 'post', FULL_TASK_REQUEST);
    api.assertRequest('/v1/run/tasks', 'post', { prompt: 'only the prompt' });
  });

  it('documents TaskRunResponse, RunStatus, ProxyLocation and TaskRunListItem with Skyvern names', () => {
    const schemas = api.doc.components.schemas;
    const response = schemas['TaskRunResponse']!;
    expect(Object.keys(properties(response))).toEqual(
      expect.arrayContaining([...TASK_RUN_RESPONSE_FIELDS]),
    );
    expect(response['required']).toEqual(expect.arrayContaining(TASK_RUN_RESPONSE_REQUIRED));
    expect(
      Object.values(schemas).some(
        (s) => JSON.stringify(s['enum']) === JSON.stringify(RUN_STATUS_VALUES),
      ),
    ).toBe(true);
    expect(
      Object.values(schemas).some(
        (s) => JSON.stringify(s['enum']) === JSON.stringify(PROXY_LOCATION_VALUES),
      ),
    ).toBe(true);
    const item = schemas['TaskRunListItem']!;
    expect(Object.keys(properties(item))).toEqual(
      expect.arrayContaining([...TASK_RUN_LIST_ITEM_FIELDS]),
    );
    expect(item['required']).toEqual(expect.arrayContaining(TASK_RUN_LIST_ITEM_REQUIRED));
  });
});

describe('every endpoint answers as documented', () => {
  let runId = '';

  it('POST /v1/run/tasks', async () => {
    // browser_session_id must name a live session of the organization (else 404).
    const session = await t.call('POST', '/v1/browser_sessions', {});
    const fullRequest = {
      ...FULL_TASK_REQUEST,
      browser_session_id: (session.body as { browser_session_id: string }).browser_session_id,
    };
    const res = await t.call('POST', '/v1/run/tasks', fullRequest, {
      'x-user-agent': 'skyvern-sdk',
      'x-fern-language': 'JavaScript',
    });
    expect(res.status).toBe(200);
    api.assertResponse('/v1/run/tasks', 'post', 200, res.body);
    const run = res.body as Record<string, unknown>;
    runId = String(run['run_id']);
    expect(runId).toMatch(/^tsk_\d+$/);
    expect(run).toMatchObject({
      status: 'queued',
      run_type: 'task_v1',
      output: null,
      failure_reason: null,
      // WREN_APP_URL is unset: app_url follows the address the server listens on.
      app_url: `${t.url}/runs/${runId}`,
    });
    expect(run['created_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(run['queued_at']).toBe(run['created_at']);
    // The echo keeps every field, with CDP auth and extra header values masked (docs/api.md).
    expect(run['run_request']).toEqual({
      ...fullRequest,
      cdp_connect_headers: { 'x-api-key': '****' },
      extra_http_headers: { 'accept-language': '****' },
    });
  });

  it('GET /v1/runs/{run_id}', async () => {
    const done = await waitForRun(t, runId, isTerminalRun);
    api.assertResponse('/v1/runs/{run_id}', 'get', 200, done);
    expect(done).toMatchObject({ status: 'completed', output: { price: '19.99' }, step_count: 1 });
    const missing = await t.call('GET', '/v1/runs/tsk_404');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: 'Task run not found tsk_404' });
    api.assertResponse('/v1/runs/{run_id}', 'get', 404, missing.body);
  });

  it('GET /v1/runs with paging, status filter and search', async () => {
    const v2 = await t.call('POST', '/v1/run/tasks', {
      prompt: 'A unique zebra task',
      title: 'Zebra',
    });
    const v2Id = String((v2.body as Record<string, unknown>)['run_id']);
    expect(v2Id).toMatch(/^tsk_v2_\d+$/);
    const all = await t.call('GET', '/v1/runs');
    expect(all.status).toBe(200);
    api.assertResponse('/v1/runs', 'get', 200, all.body);
    const ids = (all.body as Record<string, unknown>[]).map((r) => r['run_id']);
    expect(ids).toEqual([v2Id, runId]);
    expect((all.body as Record<string, unknown>[])[1]).toMatchObject({
      task_run_id: runId,
      task_run_type: 'task_v1',
      status: 'completed',
      title: 'Kettle price',
      workflow_deleted: false,
      script_run: false,
    });

    expect(
      ((await t.call('GET', '/v1/runs?page_size=1&page=2')).body as Record<string, unknown>[]).map(
        (r) => r['run_id'],
      ),
    ).toEqual([runId]);
    expect(
      ((await t.call('GET', '/v1/runs?status=completed')).body as Record<string, unknown>[]).map(
        (r) => r['run_id'],
      ),
    ).toEqual([runId]);
    expect(
      (
        (
          await t.call(
            'GET',
            '/v1/runs?status=completed&status=failed&status=queued&status=running&status=canceled',
          )
        ).body as unknown[]
      ).length,
    ).toBe(2);
    expect(
      ((await t.call('GET', '/v1/runs?search_key=ZEBRA')).body as Record<string, unknown>[]).map(
        (r) => r['run_id'],
      ),
    ).toEqual([v2Id]);
    const badPage = await t.call('GET', '/v1/runs?page_size=500');
    expect(badPage.status).toBe(422);
    api.assertResponse('/v1/runs', 'get', 422, badPage.body);
    expect(badPage.body).toMatchObject({ detail: [{ loc: ['query', 'page_size'], input: '500' }] });
    await t.call('POST', `/v1/runs/${v2Id}/cancel`);
  });

  it('POST /v1/runs/{run_id}/cancel', async () => {
    const created = await t.call('POST', '/v1/run/tasks', {
      prompt: 'to cancel',
      engine: 'ui-tars',
    });
    const id = String((created.body as Record<string, unknown>)['run_id']);
    // With no ui-tars engine the run fails quickly; cancel either wins or meets a finished run.
    const res = await t.call('POST', `/v1/runs/${id}/cancel`);
    if (res.status === 200) {
      api.assertResponse('/v1/runs/{run_id}/cancel', 'post', 200, res.body);
      expect(res.body).toBeNull();
    } else {
      expect(res.status).toBe(400);
      api.assertResponse('/v1/runs/{run_id}/cancel', 'post', 400, res.body);
    }
    const finished = await t.call('POST', `/v1/runs/${runId}/cancel`);
    expect(finished.status).toBe(400);
    expect(finished.body).toEqual({
      detail: `Invalid task status transition from completed to canceled for ${runId}`,
    });
    api.assertResponse('/v1/runs/{run_id}/cancel', 'post', 400, finished.body);
    const missing = await t.call('POST', '/v1/runs/tsk_1/cancel');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: 'Run not found tsk_1' });
    api.assertResponse('/v1/runs/{run_id}/cancel', 'post', 404, missing.body);
  });

  it('gives each engine its Skyvern run_type and run id shape', async () => {
    for (const [engine, runType, id] of [
      ['skyvern-1.0', 'task_v1', /^tsk_\d+$/],
      ['skyvern-2.0', 'task_v2', /^tsk_v2_\d+$/],
      ['openai-cua', 'openai_cua', /^tsk_\d+$/],
      ['anthropic-cua', 'anthropic_cua', /^tsk_\d+$/],
      ['ui-tars', 'ui_tars', /^tsk_\d+$/],
    ] as const) {
      const res = await t.call('POST', '/v1/run/tasks', { prompt: `as ${engine}`, engine });
      expect(res.status).toBe(200);
      api.assertResponse('/v1/run/tasks', 'post', 200, res.body);
      const run = res.body as Record<string, unknown>;
      expect([run['run_id'], run['run_type']], engine).toEqual([
        expect.stringMatching(id),
        runType,
      ]);
      expect((run['run_request'] as Record<string, unknown>)['engine']).toBe(engine);
      const got = await t.call('GET', `/v1/runs/${String(run['run_id'])}`);
      api.assertResponse('/v1/runs/{run_id}', 'get', 200, got.body);
      expect((got.body as Record<string, unknown>)['run_type']).toBe(runType);
    }
  });

  it('accepts trailing-slash variants of every route', async () => {
    expect((await t.call('GET', `/v1/runs/${runId}/`)).status).toBe(200);
    expect((await t.call('GET', '/v1/runs/')).status).toBe(200);
    const created = await t.call('POST', '/v1/run/tasks/', { prompt: 'slash' });
    expect(created.status).toBe(200);
    const id = String((created.body as Record<string, unknown>)['run_id']);
    expect([200, 400]).toContain((await t.call('POST', `/v1/runs/${id}/cancel/`)).status);
  });

  it('answers unknown routes with {"detail": "Not Found"}', async () => {
    const res = await t.call('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Not Found' });
  });

  it('says when a Skyvern route is one Wren does not serve (docs/api.md#not-supported)', async () => {
    for (const [method, path] of [
      ['POST', '/v1/run/workflows'],
      ['GET', '/v1/workflows'],
      ['POST', '/v1/run/tasks/login'],
      ['POST', '/v1/schedules'],
      ['GET', '/v1/folders/'],
    ] as const) {
      const res = await t.call(method, path, method === 'POST' ? {} : undefined);
      expect(res.status, path).toBe(404);
      expect(res.body).toEqual({
        detail: `${method} ${path.replace(/\/$/, '')} is not supported by Wren (see docs/api.md#not-supported)`,
      });
    }
  });
});

/**
 * Skyvern's own SDKs against Wren: every response is validated against Skyvern's reference
 * schemas (test/fixtures/skyvern/openapi-shapes.json, prose stripped from
 * /work/shared/reference/skyvern-openapi-subset.json by scripts/skyvern-openapi-shapes.mjs) with
 * the strictness its pydantic models imply: required fields, enums, types and nullability;
 * extra fields allowed (pydantic ignores them); timestamps as pydantic parses them. Every
 * operation of the reference file is either exercised here or answered as not supported
 * (docs/api.md#not-supported).
 */
describe("Skyvern's reference schemas (what Skyvern's SDKs accept)", () => {
  const skyvern = new OpenApiValidator(
    JSON.parse(
      readFileSync(new URL('../../fixtures/skyvern/openapi-shapes.json', import.meta.url), 'utf8'),
    ) as OpenApiDoc,
    { pydanticDateTime: true },
  );
  /** Contract-tested elsewhere (test/e2e/sdk-actions.test.ts: needs a browser and a model). */
  const ELSEWHERE = new Set(['POST /v1/sdk/run_action']);
  const covered = new Set<string>();
  let hook: Receiver;

  beforeAll(async () => {
    hook = await startReceiver();
  });
  afterAll(async () => hook?.close());

  /** Calls Wren; checks the status is one Skyvern documents and the body matches its schema. */
  async function call(
    method: string,
    template: string,
    path: string,
    body?: unknown,
    expected = 200,
  ): Promise<{ status: number; body: unknown; text: string }> {
    const m = method.toLowerCase();
    // What Wren is sent is what Skyvern's SDK would send (bad-input cases aside).
    if (body !== undefined && expected < 400) skyvern.assertRequest(template, m, body);
    const res = await t.call(method, path, body);
    expect(res.status, `${method} ${path}: ${res.text}`).toBe(expected);
    expect(skyvern.statuses(template, m), `${method} ${template}`).toContain(String(expected));
    if (skyvern.hasResponseSchema(template, m, expected))
      skyvern.assertResponse(template, m, expected, res.status === 204 ? null : res.body);
    covered.add(`${method} ${template}`);
    return res;
  }

  it('runs: run, get, list, timeline, artifacts, content, retry webhook, cancel, bulk cancel', async () => {
    const created = await call('POST', '/v1/run/tasks', '/v1/run/tasks', {
      prompt: 'Read the kettle price',
      url: 'https://example.com/kettle',
      engine: 'skyvern-1.0',
      webhook_url: hook.url,
      data_extraction_schema: { type: 'object', properties: { price: { type: 'string' } } },
    });
    const runId = (created.body as { run_id: string }).run_id;
    await waitForRun(t, runId, isTerminalRun);
    await call('GET', '/v1/runs/{run_id}', `/v1/runs/${runId}`);
    await call('GET', '/v1/runs', '/v1/runs?page=1&page_size=5');
    await call('GET', '/v1/runs/{run_id}/timeline', `/v1/runs/${runId}/timeline`);
    const artifacts = await call(
      'GET',
      '/v1/runs/{run_id}/artifacts',
      `/v1/runs/${runId}/artifacts`,
    );
    const artifactId = (artifacts.body as { artifact_id: string }[])[0]!.artifact_id;
    const content = await t.call('GET', `/v1/artifacts/${artifactId}/content`);
    expect(content.text).toBe('not really a png');
    expect(skyvern.statuses('/v1/artifacts/{artifact_id}/content', 'get')).toContain('200');
    covered.add('GET /v1/artifacts/{artifact_id}/content');
    await hook.waitFor(1);
    await call('POST', '/v1/runs/{run_id}/retry_webhook', `/v1/runs/${runId}/retry_webhook`, {});

    const queued = await t.call('POST', '/v1/run/tasks', {
      prompt: 'never runs',
      engine: 'ui-tars',
    });
    const queuedId = (queued.body as { run_id: string }).run_id;
    const bulk = await call('POST', '/v1/runs/cancel', '/v1/runs/cancel', {
      run_ids: [queuedId, runId, 'tsk_404'],
    });
    // The finished and the unknown run cannot be cancelled; the other one may have failed first.
    expect((bulk.body as { failed: string[] }).failed).toEqual(
      expect.arrayContaining([runId, 'tsk_404']),
    );
    const tooMany = await call(
      'POST',
      '/v1/runs/cancel',
      '/v1/runs/cancel',
      { run_ids: Array.from({ length: 101 }, (_, i) => `tsk_${i}`) },
      422,
    );
    expect((tooMany.body as { detail: { loc: unknown[] }[] }).detail[0]!.loc).toEqual([
      'body',
      'run_ids',
    ]);

    const another = await t.call('POST', '/v1/run/tasks', {
      prompt: 'cancel me',
      engine: 'ui-tars',
    });
    const anotherId = (another.body as { run_id: string }).run_id;
    const one = await t.call('POST', `/v1/runs/${anotherId}/cancel`);
    if (one.status === 200) {
      skyvern.assertResponse('/v1/runs/{run_id}/cancel', 'post', 200, one.body);
      covered.add('POST /v1/runs/{run_id}/cancel');
    } else {
      // Lost the race with the run failing on its own: cancel a fresh queued one instead.
      expect(one.status).toBe(400);
      covered.add('POST /v1/runs/{run_id}/cancel');
    }
  });

  it('credentials of all three types: create, list, get, update, delete; TOTP push', async () => {
    const password = await call(
      'POST',
      '/v1/credentials',
      '/v1/credentials',
      {
        name: 'Shop login',
        credential_type: 'password',
        credential: {
          username: 'jane@example.com',
          password: 'contract-pass-1',
          totp_type: 'email',
          totp_identifier: 'jane@example.com',
        },
      },
      201,
    );
    const card = await call(
      'POST',
      '/v1/credentials',
      '/v1/credentials',
      {
        name: 'Company card',
        credential_type: 'credit_card',
        credential: {
          card_number: '4242424242424242',
          card_cvv: '123',
          card_exp_month: '12',
          card_exp_year: '2030',
          card_brand: 'Visa',
          card_holder_name: 'Jane Doe',
        },
      },
      201,
    );
    const secret = await call(
      'POST',
      '/v1/credentials',
      '/v1/credentials',
      {
        name: 'Partner token',
        credential_type: 'secret',
        credential: { secret_value: 'sk-contract-77', secret_label: 'API token' },
      },
      201,
    );
    for (const res of [password, card, secret]) {
      for (const value of ['contract-pass-1', '4242424242424242', 'sk-contract-77'])
        expect(res.text).not.toContain(value);
    }
    const ids = [password, card, secret].map(
      (r) => (r.body as { credential_id: string }).credential_id,
    );
    await call('GET', '/v1/credentials', '/v1/credentials');
    await call(
      'GET',
      '/v1/credentials',
      '/v1/credentials?credential_type=secret&page=1&page_size=10',
    );
    for (const id of ids)
      await call('GET', '/v1/credentials/{credential_id}', `/v1/credentials/${id}`);
    await call(
      'POST',
      '/v1/credentials/{credential_id}/update',
      `/v1/credentials/${ids[2]}/update`,
      {
        name: 'Partner token (rotated)',
        credential_type: 'secret',
        credential: { secret_value: 'sk-contract-78', secret_label: 'API token' },
      },
    );
    const bad = await call(
      'POST',
      '/v1/credentials',
      '/v1/credentials',
      { name: 'x', credential_type: 'secret', credential: { secret_value: '' } },
      422,
    );
    expect(JSON.stringify(bad.body)).toContain('secret_value');
    for (const id of ids)
      await call(
        'POST',
        '/v1/credentials/{credential_id}/delete',
        `/v1/credentials/${id}/delete`,
        undefined,
        204,
      );

    await call('POST', '/v1/credentials/totp', '/v1/credentials/totp', {
      totp_identifier: 'jane@example.com',
      content: 'Your code is 551234',
    });
  });

  it('browser sessions and browser profiles', async () => {
    const session = await call('POST', '/v1/browser_sessions', '/v1/browser_sessions', {
      timeout: 1440,
    });
    const sessionId = (session.body as { browser_session_id: string }).browser_session_id;
    expect(session.body).toMatchObject({ timeout: 1440 });
    expect(session.body).not.toHaveProperty('warning');
    await call('GET', '/v1/browser_sessions', '/v1/browser_sessions');
    await call(
      'GET',
      '/v1/browser_sessions/{browser_session_id}',
      `/v1/browser_sessions/${sessionId}`,
    );
    const patched = await call(
      'PATCH',
      '/v1/browser_sessions/{browser_session_id}',
      `/v1/browser_sessions/${sessionId}`,
      { generate_browser_profile: true },
    );
    expect(patched.body).toMatchObject({ generate_browser_profile: true });

    const blank = await call('POST', '/v1/browser_profiles', '/v1/browser_profiles', {
      name: 'Blank profile',
    });
    const fromSession = await call('POST', '/v1/browser_profiles', '/v1/browser_profiles', {
      name: 'From a session',
      browser_session_id: sessionId,
    });
    const dup = await t.call('POST', '/v1/browser_profiles', { name: 'Blank profile' });
    expect(dup.status).toBe(409);
    expect(skyvern.statuses('/v1/browser_profiles', 'post')).toContain('409');
    const blankId = (blank.body as { browser_profile_id: string }).browser_profile_id;
    const sessionProfileId = (fromSession.body as { browser_profile_id: string })
      .browser_profile_id;
    expect(blankId).toMatch(/^bp_\d+$/);
    await call('GET', '/v1/browser_profiles', '/v1/browser_profiles?page=1&page_size=10');
    await call('GET', '/v1/browser_profiles/{profile_id}', `/v1/browser_profiles/${blankId}`);
    await call('PATCH', '/v1/browser_profiles/{profile_id}', `/v1/browser_profiles/${blankId}`, {
      name: 'Renamed profile',
    });
    await call(
      'DELETE',
      '/v1/browser_profiles/{profile_id}',
      `/v1/browser_profiles/${blankId}`,
      undefined,
      204,
    );
    const gone = await t.call('GET', `/v1/browser_profiles/${blankId}`);
    expect(gone.status).toBe(404);
    const withDeleted = await call(
      'GET',
      '/v1/browser_profiles',
      '/v1/browser_profiles?include_deleted=true',
    );
    expect(
      (withDeleted.body as { browser_profile_id: string; deleted_at: string | null }[]).find(
        (p) => p.browser_profile_id === blankId,
      )?.deleted_at,
    ).toEqual(expect.any(String));

    const fromProfile = await call('POST', '/v1/browser_sessions', '/v1/browser_sessions', {
      browser_profile_id: sessionProfileId,
    });
    expect(fromProfile.body).toMatchObject({ browser_profile_id: sessionProfileId });
    for (const id of [
      sessionId,
      (fromProfile.body as { browser_session_id: string }).browser_session_id,
    ])
      await call(
        'POST',
        '/v1/browser_sessions/{browser_session_id}/close',
        `/v1/browser_sessions/${id}/close`,
      );
    const ended = await call(
      'PATCH',
      '/v1/browser_sessions/{browser_session_id}',
      `/v1/browser_sessions/${sessionId}`,
      { generate_browser_profile: false },
      409,
    );
    expect((ended.body as { detail: string }).detail).toMatch(/has ended/);
  });

  it('version', async () => {
    const res = await fetch(`${t.url}/v1/version`);
    expect(res.status).toBe(200);
    const body = await res.json();
    skyvern.assertResponse('/v1/version', 'get', 200, body);
    expect(body).toMatchObject({ server: 'wren', version: expect.any(String) });
    covered.add('GET /v1/version');
  });

  it('covers every operation of the reference file, or says it is not supported', async () => {
    const notCovered = skyvern.operations().filter((op) => !covered.has(op) && !ELSEWHERE.has(op));
    expect(notCovered).toEqual([]);
    for (const op of ELSEWHERE) {
      const [method, path] = op.split(' ') as [string, string];
      const res = await t.call(method, path, {});
      // Served (test/e2e/sdk-actions.test.ts checks its shapes): an empty body is a 422.
      expect(res.status).toBe(422);
    }
    expect(NOT_SUPPORTED.some((f) => f.pattern.test('/v1/sdk/run_action'))).toBe(false);
  });
});
