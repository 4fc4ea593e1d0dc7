/**
 * Issue 17: `extra_http_headers` and `cdp_connect_headers` values and a proxy password are masked
 * in every response and sealed at rest like credentials (docs/security.md, "Requests, files and
 * the web UI"); the worker gets them back (test/e2e/har.test.ts and cdp.test.ts show the headers
 * reaching the site and the CDP endpoint).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSecretBox } from '../../../src/credentials/index.js';
import { isTaskRequest, openRequest } from '../../../src/runs/sealed-request.js';
import { startTestWren, type TestWren } from '../../support/wren.js';

let t: TestWren;
beforeAll(async () => {
  t = await startTestWren({ config: { workerEnabled: false } });
});
afterAll(async () => t?.close());

const SECRETS = ['hdr-secret-1', 'cdp-secret-2', 'proxy-pass-3'];

describe('secret request values', () => {
  it('are masked in every response and sealed in the database', async () => {
    const res = await t.call('POST', '/v1/run/tasks', {
      prompt: 'x',
      extra_http_headers: { authorization: 'Bearer hdr-secret-1', 'x-plain': 'plain' },
      cdp_connect_headers: { 'x-api-key': 'cdp-secret-2' },
      browser_address: 'http://127.0.0.1:9222',
      proxy_location: { url: 'http://user:proxy-pass-3@127.0.0.1:3128' },
    });
    expect(res.status, res.text).toBe(200);
    const runId = String((res.body as { run_id: string }).run_id);
    const expected = {
      extra_http_headers: { authorization: '****', 'x-plain': '****' },
      cdp_connect_headers: { 'x-api-key': '****' },
      proxy_location: { url: 'http://user:****@127.0.0.1:3128/' },
    };
    expect((res.body as { run_request: unknown }).run_request).toMatchObject(expected);
    const got = await t.call('GET', `/v1/runs/${runId}`);
    expect((got.body as { run_request: unknown }).run_request).toMatchObject(expected);
    const listed = await t.call('GET', '/v1/runs');
    for (const text of [res.text, got.text, listed.text]) {
      for (const secret of SECRETS) expect(text).not.toContain(secret);
      expect(text).not.toContain('_sealed');
    }
    // At rest: not in the stored request, but the worker's view has them back.
    const stored = await t.wren.store.runs.getById(runId);
    const raw = JSON.stringify(stored?.request);
    for (const secret of SECRETS) expect(raw).not.toContain(secret);
    const box = (await loadSecretBox({ dataDir: t.dataDir })).box;
    if (!stored || !isTaskRequest(stored.request)) throw new Error('no task request stored');
    const opened = openRequest(stored.request, runId, box);
    expect(opened.extra_http_headers).toEqual({
      authorization: 'Bearer hdr-secret-1',
      'x-plain': 'plain',
    });
    expect(opened.cdp_connect_headers).toEqual({ 'x-api-key': 'cdp-secret-2' });
    expect(opened.proxy_location).toEqual({ url: 'http://user:proxy-pass-3@127.0.0.1:3128' });
    // Bound to its run: another run id cannot open it.
    const { request } = stored;
    expect(() => openRequest(request, 'tsk_other', box)).toThrow();
  });

  it('a browser profile keeps its proxy password sealed and hands it to the runs it starts', async () => {
    const created = await t.call('POST', '/v1/browser_profiles', {
      name: 'with proxy',
      proxy_location: { url: 'http://user:profile-pass-4@127.0.0.1:3128' },
    });
    expect(created.status, created.text).toBe(200);
    const profileId = String((created.body as { browser_profile_id: string }).browser_profile_id);
    const shown = await t.call('GET', `/v1/browser_profiles/${profileId}`);
    for (const res of [created, shown]) {
      expect((res.body as { proxy_location: unknown }).proxy_location).toEqual({
        url: 'http://user:****@127.0.0.1:3128/',
      });
      expect(res.text).not.toContain('profile-pass-4');
      expect(res.text).not.toContain('_sealed');
    }
    const orgId = String((created.body as { organization_id: string }).organization_id);
    const row = await t.wren.store.browserProfiles.get(orgId, profileId);
    expect(JSON.stringify(row)).not.toContain('profile-pass-4');

    // A run started from the profile gets its proxy, sealed into the run's own request.
    const run = await t.call('POST', '/v1/run/tasks', {
      prompt: 'x',
      browser_profile_id: profileId,
    });
    expect(run.status, run.text).toBe(200);
    expect(run.text).not.toContain('profile-pass-4');
    const runId = String((run.body as { run_id: string }).run_id);
    const stored = await t.wren.store.runs.getById(runId);
    expect(JSON.stringify(stored?.request)).not.toContain('profile-pass-4');
    const box = (await loadSecretBox({ dataDir: t.dataDir })).box;
    if (!stored || !isTaskRequest(stored.request)) throw new Error('no task request stored');
    expect(openRequest(stored.request, runId, box).proxy_location).toEqual({
      url: 'http://user:profile-pass-4@127.0.0.1:3128',
    });
  });
});
