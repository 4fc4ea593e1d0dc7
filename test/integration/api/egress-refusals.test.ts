/**
 * Issue 17, findings 3 and 4: a caller's proxy (`proxy_location: {url}`) and browser
 * (`browser_address`) are connections Wren makes, so they pass the egress policy when the request
 * arrives: private and metadata hosts are refused with a 400 naming the field, in every spelling
 * and through DNS (a run's and an SDK action's). docs/configuration.md, "Network policy". Nothing
 * here connects anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWren, type TestWren } from '../../support/wren.js';

let t: TestWren;

beforeAll(async () => {
  t = await startTestWren({
    config: { workerEnabled: false, allowPrivateNetworks: false },
    resolveHost: async (host) =>
      host === 'internal.example'
        ? ['127.0.0.1']
        : host === 'meta.example'
          ? ['169.254.169.254']
          : ['93.184.216.34'],
  });
});
afterAll(async () => t?.close());

async function detail(path: string, body: Record<string, unknown>) {
  const res = await t.call('POST', path, body);
  return { status: res.status, detail: (res.body as { detail?: unknown }).detail };
}

describe('proxy_location url under the egress policy', () => {
  it.each([
    ['http://user:pw@127.0.0.1:3128', /127\.0\.0\.1/],
    ['socks5://[::127.0.0.1]:1080', /::7f00:1/],
    ['http://internal.example:3128', /internal\.example.*127\.0\.0\.1/],
    ['http://meta.example:80', /cloud metadata/],
  ])('a run through %s is refused', async (url, why) => {
    const r = await detail('/v1/run/tasks', { prompt: 'x', proxy_location: { url } });
    expect(r.status).toBe(400);
    expect(String(r.detail)).toMatch(/^proxy_location refused: /);
    expect(String(r.detail)).toMatch(why);
    // The password never comes back.
    expect(String(r.detail)).not.toContain('pw@');
  });

  it('a session through a private proxy is refused before its browser starts', async () => {
    const r = await detail('/v1/browser_sessions', {
      proxy_location: { url: 'http://10.0.0.1:3128' },
    });
    expect(r).toMatchObject({ status: 400 });
    expect(String(r.detail)).toMatch(/^proxy_location refused: .*10\.0\.0\.1/);
  });
});

describe('browser_address under the egress policy', () => {
  it.each([
    ['http://127.0.0.1:9222', /127\.0\.0\.1/],
    ['ws://[::127.0.0.1]:9222/devtools/browser/x', /::7f00:1/],
    ['http://localhost:9222', /localhost/],
    ['http://internal.example:9222', /internal\.example/],
    ['http://169.254.169.254/computeMetadata/v1/', /cloud metadata/],
    ['http://metadata.google.internal/', /cloud metadata/],
  ])('%s is refused with a 400 naming the field', async (address, why) => {
    const r = await detail('/v1/run/tasks', {
      prompt: 'x',
      browser_address: address,
      cdp_connect_headers: { 'Metadata-Flavor': 'Google' },
    });
    expect(r.status).toBe(400);
    expect(String(r.detail)).toMatch(/^browser_address refused: /);
    expect(String(r.detail)).toMatch(why);
  });
});

describe('browser_address of an SDK action under the egress policy', () => {
  it('is refused with a 400 naming the field, as for a run', async () => {
    const r = await detail('/v1/sdk/run_action', {
      url: 'https://example.com/',
      browser_address: 'http://internal.example:9222',
      action: { type: 'ai_click', selector: '#buy', intention: 'buy' },
    });
    expect(r.status).toBe(400);
    expect(String(r.detail)).toMatch(/^browser_address refused: .*internal\.example/);
  });
});
