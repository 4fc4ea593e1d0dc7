/**
 * The server side of the web UI over real HTTP: static files and SPA fallback (never shadowing
 * the API), the Settings model status (never the key) and API key management (key shown once).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyAuthenticator, buildApi, KeyAdmin } from '../../src/api/index.js';
import { modelSettings } from '../../src/api/ui-routes.js';
import { CredentialService, loadSecretBox } from '../../src/credentials/index.js';
import { resolveModelConfig } from '../../src/llm/index.js';
import { startTestWren, TEST_API_KEY, type TestWren } from '../support/wren.js';

let t: TestWren;
let uiDir: string;
/** A second app on the same store serving a fixture UI folder, and one with no UI built. */
let withUi: { app: FastifyInstance; url: string };
let withoutUi: { app: FastifyInstance; url: string };

const INDEX = '<!doctype html><title>fixture ui</title><div id="root"></div>';
const ASSET = 'console.log("asset");';

async function serveApp(dir: string | null): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildApi({
    runs: t.wren.runs,
    auth: new ApiKeyAuthenticator(t.wren.store),
    keys: new KeyAdmin(t.wren.store, t.wren.config.quotas),
    logger: t.wren.logger,
    bodyLimitBytes: 1024 * 1024,
    version: 'test',
    ui: { model: t.wren.model, uiDir: dir },
    credentials: {
      credentials: new CredentialService({
        credentials: t.wren.store.credentials,
        totpCodes: t.wren.store.totpCodes,
        box: (await loadSecretBox({ dataDir: t.dataDir })).box,
        runExists: (org, id) => t.wren.runs.hasRun(org, id),
      }),
    },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

async function get(base: string, path: string, key?: string) {
  const response = await fetch(`${base}${path}`, { headers: key ? { 'x-api-key': key } : {} });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

beforeAll(async () => {
  t = await startTestWren();
  uiDir = mkdtempSync(join(tmpdir(), 'wren-ui-fixture-'));
  mkdirSync(join(uiDir, 'assets'));
  writeFileSync(join(uiDir, 'index.html'), INDEX);
  writeFileSync(join(uiDir, 'assets', 'app-abc123.js'), ASSET);
  withUi = await serveApp(uiDir);
  withoutUi = await serveApp(null);
});

afterAll(async () => {
  await withUi?.app.close();
  await withoutUi?.app.close();
  await t?.close();
  rmSync(uiDir, { recursive: true, force: true });
});

describe('static UI', () => {
  it('serves index.html at / and for app paths, and hashed assets with a long cache', async () => {
    for (const path of ['/', '/runs', '/runs/tsk_123', '/tasks/new', '/settings?x=1']) {
      const r = await get(withUi.url, path);
      expect(r.status, path).toBe(200);
      expect(r.text, path).toBe(INDEX);
      expect(r.headers.get('content-type')).toContain('text/html');
      expect(r.headers.get('cache-control')).toBe('no-cache');
      // docs/security.md: the UI's pages carry a CSP, no framing, no referrer, no sniffing.
      expect(r.headers.get('content-security-policy'), path).toContain("script-src 'self'");
      expect(r.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(r.headers.get('x-frame-options'), path).toBe('DENY');
      expect(r.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    const asset = await get(withUi.url, '/assets/app-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.text).toBe(ASSET);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await get(withoutUi.url, '/')).headers.get('x-frame-options')).toBe('DENY');
  });

  it('picks up a rebuild without a restart', async () => {
    const rebuilt = '<!doctype html><title>rebuilt</title>';
    writeFileSync(join(uiDir, 'assets', 'app-def456.js'), 'console.log("new");');
    writeFileSync(join(uiDir, 'index.html'), rebuilt);
    try {
      expect((await get(withUi.url, '/runs')).text).toBe(rebuilt);
      expect((await get(withUi.url, '/assets/app-def456.js')).text).toBe('console.log("new");');
    } finally {
      writeFileSync(join(uiDir, 'index.html'), INDEX);
    }
  });

  it('never shadows the API: unknown /v1 paths stay JSON 404s, openapi and health still answer', async () => {
    const unknown = await get(withUi.url, '/v1/does-not-exist', TEST_API_KEY);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toEqual({ detail: 'Not Found' });
    const missingAsset = await get(withUi.url, '/assets/missing.js');
    expect(missingAsset.status).toBe(404);
    const openapi = await get(withUi.url, '/openapi.json');
    expect(JSON.parse(openapi.text).openapi).toBe('3.1.0');
    expect(JSON.parse((await get(withUi.url, '/health')).text)).toEqual({ status: 'ok' });
    const runs = await get(withUi.url, '/v1/runs', TEST_API_KEY);
    expect(runs.status).toBe(200);
    expect(JSON.parse(runs.text)).toEqual([]);
  });

  it('says how to build the UI when ui/dist is missing', async () => {
    const r = await get(withoutUi.url, '/');
    expect(r.status).toBe(200);
    expect(r.text).toContain('npm run build:ui');
  });

  it('the real server serves the built UI from ui/dist', async () => {
    const r = await get(t.url, '/runs');
    expect(r.status).toBe(200);
    // Either the built app or the "not built" page: both are HTML, never the JSON 404.
    expect(r.headers.get('content-type')).toContain('text/html');
  });
});

describe('GET /v1/settings/model', () => {
  it('needs a key', async () => {
    expect((await get(t.url, '/v1/settings/model')).status).toBe(403);
  });

  it('reports a missing model with the reason runs would fail with', async () => {
    const r = await get(t.url, '/v1/settings/model', TEST_API_KEY);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(body).toMatchObject({ configured: false, provider: null, model: null, key_set: false });
    expect(body.reason).toContain('WREN_MODEL');
  });

  it('reports provider, model and that a key is set, but never the key', async () => {
    const secret = 'sk-ui-test-secret-0123456789';
    const env = { WREN_MODEL: 'openai/gpt-5-mini', OPENAI_API_KEY: secret };
    const configured = await startTestWren({ env });
    try {
      const r = await get(configured.url, '/v1/settings/model', TEST_API_KEY);
      expect(JSON.parse(r.text)).toMatchObject({
        configured: true,
        provider: 'openai',
        model: 'gpt-5-mini',
        key_set: true,
        reason: null,
      });
      expect(r.text).not.toContain(secret);
    } finally {
      await configured.close();
    }
    // Per-role detail from src/llm.
    const settings = modelSettings(resolveModelConfig(env));
    expect(settings.roles?.map((role) => `${role.role}:${role.provider}/${role.model}`)).toEqual([
      'actor:openai/gpt-5-mini',
      'verifier:openai/gpt-5-mini',
      'extractor:openai/gpt-5-mini',
      'planner:openai/gpt-5-mini',
      'classifier:openai/gpt-5-mini',
    ]);
    expect(settings.roles?.every((role) => role.key_set)).toBe(true);
    expect(JSON.stringify(settings)).not.toContain(secret);
  });
});

describe('/v1/api_keys', () => {
  it('creates a working key shown once, and lists keys by prefix and label only', async () => {
    const created = await t.call('POST', '/v1/api_keys', { label: 'ci' });
    expect(created.status).toBe(200);
    const { api_key: key, prefix, label } = created.body as Record<string, string>;
    expect(key).toMatch(/^wren_[A-Za-z0-9_-]{40,}$/);
    expect(prefix).toBe(key!.slice(0, 9));
    expect(label).toBe('ci');

    const withNewKey = await get(t.url, '/v1/runs', key);
    expect(withNewKey.status).toBe(200);

    const listed = await t.call('GET', '/v1/api_keys');
    expect(listed.status).toBe(200);
    const items = listed.body as Record<string, unknown>[];
    expect(items.map((k) => k['label'])).toEqual(['ci', 'WREN_API_KEY']);
    expect(items[0]).toMatchObject({ prefix, revoked_at: null });
    expect(listed.text).not.toContain(key);
    expect(listed.text).not.toContain(TEST_API_KEY);
  });

  it('rejects a bad label with the field named, and needs a key', async () => {
    const bad = await t.call('POST', '/v1/api_keys', { label: 'x'.repeat(101) });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain('label must be at most 100 characters');
    const anonymous = await t.call('POST', '/v1/api_keys', {}, { 'x-api-key': 'nope' });
    expect(anonymous.status).toBe(403);
  });
});
