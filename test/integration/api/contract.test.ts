import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

let t: TestWren;
let api: OpenApiValidator;

beforeAll(async () => {
  const engines = new EngineRegistry().register(
    engineFrom('skyvern-1.0', async (ctx) => {
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
      app_url: `http://localhost:8000/runs/${runId}`,
    });
    expect(run['created_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(run['queued_at']).toBe(run['created_at']);
    // The echo keeps every field, with CDP auth header values masked.
    expect(run['run_request']).toEqual({
      ...fullRequest,
      cdp_connect_headers: { 'x-api-key': '****' },
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
});
