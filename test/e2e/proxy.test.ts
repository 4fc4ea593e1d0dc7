import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AgentHarness,
  actorReply,
  idOf,
  pageOf,
  roleOf,
  startAgentHarness,
} from '../support/agent-harness.js';
import { type ForwardProxy, startForwardProxy } from '../support/forward-proxy.js';

let h: AgentHarness;
let jpA: ForwardProxy;
let jpB: ForwardProxy;
let de: ForwardProxy;
let custom: ForwardProxy;
let dir: string;

beforeAll(async () => {
  [jpA, jpB, de, custom] = await Promise.all([
    startForwardProxy('tokyo-a', 'pw-a'),
    startForwardProxy('tokyo-b', 'pw:b@1'),
    startForwardProxy('berlin', 'pw-de'),
    startForwardProxy('mine', 'pw-mine'),
  ]);
  dir = mkdtempSync(path.join(tmpdir(), 'wren-proxy-'));
  const file = path.join(dir, 'proxies.yaml');
  writeFileSync(
    file,
    [
      'pools:',
      '  RESIDENTIAL_JP:',
      `    - ${jpA.urlWithCredentials}`,
      `    - server: ${jpB.url}`,
      '      username: tokyo-b',
      "      password: 'pw:b@1'",
      '  DE:',
      `    - ${de.urlWithCredentials}`,
      '',
    ].join('\n'),
  );
  // No video: encoding it dominates a run's end on a busy machine, and recording has its own tests.
  h = await startAgentHarness('openai/gpt-5-mini', {
    WREN_PROXY_CONFIG: file,
    WREN_RECORDING: 'false',
  });
});
afterAll(async () => {
  await h?.close();
  await Promise.all([jpA, jpB, de, custom].map((p) => p?.close()));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  h.fake.reset();
  h.site.clear();
  h.fake.setPolicy((req) => {
    if (roleOf(req) === 'verifier')
      return { json: { evidence: 'the page is open', goal_achieved: true, missing: '' } };
    if (roleOf(req) === 'actor') return actorReply([{ type: 'complete', answer: null }]);
    return undefined;
  });
});

async function runOn(page: string, extra: Record<string, unknown>) {
  const run = await h.waitForRun(
    await h.submit({
      engine: 'skyvern-1.0',
      prompt: 'Open the page.',
      url: `${h.site.url}/${page}`,
      ...extra,
    }),
  );
  expect(run['status'], String(run['failure_reason'])).toBe('completed');
  return run;
}

const throughProxy = (p: ForwardProxy, site: string) =>
  p.passed.filter((r) => r.target.startsWith(site)).map((r) => new URL(r.target).pathname);

describe('proxy and geo routing', () => {
  it('routes a RESIDENTIAL_JP run through the JP pool with the Tokyo timezone, rotating per run', async () => {
    await runOn('geo.html', { proxy_location: 'RESIDENTIAL_JP' });
    expect(throughProxy(jpA, h.site.url)).toEqual(
      expect.arrayContaining(['/geo.html', '/api/submit/geo']),
    );
    expect(throughProxy(jpB, h.site.url)).toEqual([]);
    expect(throughProxy(de, h.site.url)).toEqual([]);
    const geo = await h.site.waitForSubmission('geo');
    expect(geo.fields).toMatchObject({
      timezone: 'Asia/Tokyo',
      language: 'ja-JP',
      offset: '-540',
      position: '35.6762,139.6503',
    });
    const page = h.site.requests().find((r) => r.path === '/geo.html');
    expect(String(page?.headers['accept-language'])).toMatch(/^ja-JP/);
    // What reached the site came through the proxy (it adds a Via header).
    expect(page?.headers['via']).toBe('1.1 test-proxy');
    // Credentials went to the proxy, never to the site.
    expect(page?.headers['proxy-authorization']).toBeUndefined();

    h.site.clear();
    await runOn('geo.html', { proxy_location: 'RESIDENTIAL_JP' });
    expect(throughProxy(jpB, h.site.url)).toEqual(expect.arrayContaining(['/geo.html']));
  });

  it('routes a GeoTarget to the country pool and a custom proxy url as given', async () => {
    await runOn('geo.html', { proxy_location: { country: 'DE', city: 'Berlin' } });
    expect(throughProxy(de, h.site.url)).toContain('/geo.html');
    expect((await h.site.waitForSubmission('geo')).fields).toMatchObject({
      timezone: 'Europe/Berlin',
      language: 'de-DE',
      position: '52.5200,13.4050',
    });

    h.site.clear();
    await runOn('geo.html', { proxy_location: { url: custom.urlWithCredentials } });
    expect(throughProxy(custom, h.site.url)).toContain('/geo.html');
    const run = (await h.wren.call('GET', '/v1/runs?page_size=1')).text;
    expect(run).not.toContain('pw-mine');
  });

  it('goes direct for NONE and for an omitted location; refuses an unconfigured one', async () => {
    const before = [jpA, jpB, de, custom].map((p) => p.passed.length);
    await runOn('geo.html', { proxy_location: 'NONE' });
    await runOn('geo.html', {});
    expect([jpA, jpB, de, custom].map((p) => p.passed.length)).toEqual(before);
    expect(h.site.submissions('geo')).toHaveLength(2);
    // Direct runs claim no place: the page is not granted a position.
    for (const s of h.site.submissions('geo')) expect(s.fields['position']).toBe('not granted');
    expect(h.site.requests().find((r) => r.path === '/geo.html')?.headers['via']).toBeUndefined();

    const refused = await h.wren.call('POST', '/v1/run/tasks', {
      prompt: 'x',
      url: `${h.site.url}/geo.html`,
      proxy_location: 'RESIDENTIAL_FR',
    });
    expect(refused.status).toBe(400);
    expect((refused.body as { detail: string }).detail).toContain(
      'proxy_location RESIDENTIAL_FR: no proxy is configured',
    );
    const session = await h.wren.call('POST', '/v1/browser_sessions', {
      proxy_location: { country: 'FR' },
    });
    expect(session.status).toBe(400);
  });

  it('routes a whole session through the proxy of its location, whatever its runs ask', async () => {
    const created = await h.wren.call('POST', '/v1/browser_sessions', {
      url: `${h.site.url}/geo.html`,
      proxy_location: 'RESIDENTIAL_JP',
    });
    expect(created.status, created.text).toBe(200);
    const id = String((created.body as Record<string, unknown>)['browser_session_id']);
    const viaJp = () => [...throughProxy(jpA, h.site.url), ...throughProxy(jpB, h.site.url)];
    try {
      // The session's own start page went through a JP proxy and saw Tokyo.
      expect(viaJp()).toContain('/geo.html');
      expect((await h.site.waitForSubmission('geo')).fields).toMatchObject({
        timezone: 'Asia/Tokyo',
        language: 'ja-JP',
        position: '35.6762,139.6503',
      });
      const pool = throughProxy(jpA, h.site.url).includes('/geo.html') ? jpA : jpB;
      // A run in the session that asks for NONE still goes out through the session's proxy.
      h.site.clear();
      const before = throughProxy(pool, h.site.url).length;
      await runOn('geo.html', { browser_session_id: id, proxy_location: 'NONE' });
      expect(throughProxy(pool, h.site.url).length).toBeGreaterThan(before);
      expect((await h.site.waitForSubmission('geo')).fields['timezone']).toBe('Asia/Tokyo');
      expect(h.site.requests().find((r) => r.path === '/geo.html')?.headers['via']).toBe(
        '1.1 test-proxy',
      );
    } finally {
      await h.wren.call('POST', `/v1/browser_sessions/${id}/close`);
    }
  });

  it('sends extra_http_headers with subresources, frames of both origins and new tabs', async () => {
    h.fake.setPolicy((req) => {
      if (roleOf(req) === 'verifier')
        return { json: { evidence: 'help is open', goal_achieved: true, missing: '' } };
      if (roleOf(req) !== 'actor') return undefined;
      const page = pageOf(req);
      if (page.includes('Help center')) return actorReply([{ type: 'complete', answer: null }]);
      return actorReply([{ type: 'click', id: idOf(page, 'link "Open help in a new tab"') }]);
    });
    await runOn('assets.html', { extra_http_headers: { 'x-wren-test': 'hello-43' } });
    await h.site.waitForSubmission('assets');
    const seen = h.site.requests();
    const other = new URL(h.site.otherUrl).host;
    const key = (r: (typeof seen)[number]) =>
      `${r.headers['host'] === other ? 'other' : 'main'} ${r.path}`;
    expect(seen.map(key)).toEqual(
      expect.arrayContaining([
        'main /assets.html',
        'main /assets/style.css',
        'main /assets/app.js',
        'main /assets/banner.svg', // requested by the stylesheet
        'main /assets/pixel.svg',
        'other /assets/pixel.svg',
        'main /frame-inner.html',
        'other /frame-cross.html', // nested in the same-origin frame, and a direct frame
        'main /api/submit/assets', // fetch() from the script
        'main /help.html', // the tab the run opened
      ]),
    );
    expect(seen.filter((r) => key(r) === 'other /frame-cross.html')).toHaveLength(2);
    for (const r of seen) expect(r.headers['x-wren-test'], key(r)).toBe('hello-43');
  });

  it('sends extra_http_headers with every request of the run', async () => {
    await runOn('geo.html', { extra_http_headers: { 'x-wren-test': 'hello-42' } });
    await h.site.waitForSubmission('geo');
    const seen = h.site
      .requests()
      .filter((r) => r.path === '/geo.html' || r.path === '/api/submit/geo');
    expect(seen.map((r) => r.path)).toEqual(
      expect.arrayContaining(['/geo.html', '/api/submit/geo']),
    );
    for (const r of seen) expect(r.headers['x-wren-test']).toBe('hello-42');
  });
});
