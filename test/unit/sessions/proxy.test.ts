import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  asksForProxyRoute,
  geoProfileFor,
  loadProxyConfig,
  ProxyConfigError,
  ProxyRouter,
  ProxyUnavailableError,
  parseProxyConfig,
  parseProxyUrl,
  redactProxyUrl,
} from '../../../src/sessions/index.js';

describe('proxy URLs', () => {
  it('splits credentials out of the URL, decoding them', () => {
    expect(parseProxyUrl('http://us%40er:p%3Ass@10.0.0.1:8080')).toEqual({
      server: 'http://10.0.0.1:8080',
      username: 'us@er',
      password: 'p:ss',
    });
    expect(parseProxyUrl('socks5://h:1080')).toEqual({ server: 'socks5://h:1080' });
  });

  it('refuses other schemes without echoing the password', () => {
    expect(() => parseProxyUrl('ftp://u:secret@h:21')).toThrow(ProxyConfigError);
    expect(() => parseProxyUrl('ftp://u:secret@h:21')).toThrow(/u:\*\*\*\*@h/);
    expect(redactProxyUrl('http://u:secret@h:1/')).toBe('http://u:****@h:1/');
  });
});

describe('proxy configuration', () => {
  it('reads YAML and JSON files and names the bad entry', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wren-pc-'));
    try {
      const yaml = path.join(dir, 'p.yaml');
      writeFileSync(yaml, 'pools:\n  residential_jp:\n    - http://a:b@127.0.0.1:1\n');
      expect(loadProxyConfig({ WREN_PROXY_CONFIG: yaml })?.pools['RESIDENTIAL_JP']).toEqual([
        // Operator pools are trusted: their own address may be private (docs/proxies.md).
        { server: 'http://127.0.0.1:1', username: 'a', password: 'b', trusted: true },
      ]);
      const json = path.join(dir, 'p.json');
      writeFileSync(json, JSON.stringify({ DE: [{ server: 'http://h:2', username: 'x' }] }));
      expect(loadProxyConfig({ WREN_PROXY_CONFIG: json })?.pools['DE']).toEqual([
        { server: 'http://h:2', username: 'x', trusted: true },
      ]);
      writeFileSync(json, '{"pools": ');
      expect(() => loadProxyConfig({ WREN_PROXY_CONFIG: json })).toThrow(/is not valid JSON/);
      expect(loadProxyConfig({})).toBeNull();
      expect(() => loadProxyConfig({ WREN_PROXY_CONFIG: path.join(dir, 'nope.yaml') })).toThrow(
        /cannot read/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => parseProxyConfig({ pools: { JP: [42] } })).toThrow(/pools\.JP\[0\]/);
    expect(() => parseProxyConfig({ pools: { JP: [] } })).toThrow(/pools\.JP is empty/);
  });
});

describe('routing', () => {
  const router = () =>
    new ProxyRouter(
      parseProxyConfig({
        pools: {
          RESIDENTIAL_JP: ['http://jp1:1', 'http://jp2:1'],
          'US-CA': ['http://ca:1'],
          RESIDENTIAL: ['http://us:1'],
          FR: ['http://fr:1'],
        },
      }),
    );

  it('rotates through a pool run by run', () => {
    const r = router();
    const servers = [1, 2, 3].map(() => r.route('RESIDENTIAL_JP').proxy?.server);
    expect(servers).toEqual(['http://jp1:1', 'http://jp2:1', 'http://jp1:1']);
    expect(r.route('RESIDENTIAL_JP').geo?.timezoneId).toBe('Asia/Tokyo');
  });

  it('maps GeoTargets to subdivision, country and residential pools', () => {
    const r = router();
    const ca = r.route({ country: 'us', subdivision: 'US-CA', city: 'San Francisco' });
    expect(ca.proxy?.server).toBe('http://ca:1');
    expect(ca.geo).toMatchObject({ timezoneId: 'America/Los_Angeles', locale: 'en-US' });
    const tx = r.route({ country: 'US', subdivision: 'TX' });
    expect(tx.proxy?.server).toBe('http://us:1');
    expect(tx.geo?.timezoneId).toBe('America/Chicago');
    const fr = r.route('RESIDENTIAL_FR');
    expect(fr.proxy?.server).toBe('http://fr:1');
    expect(fr.geo).toMatchObject({ timezoneId: 'Europe/Paris', locale: 'fr-FR' });
    expect(r.route('US-CA').proxy?.server).toBe('http://ca:1');
  });

  it('NONE and an omitted location without a RESIDENTIAL pool go direct', () => {
    expect(router().route('NONE')).toMatchObject({ proxy: null, geo: null });
    const bare = new ProxyRouter(null);
    expect(bare.route(null)).toMatchObject({ proxy: null, geo: null });
    expect(bare.route('RESIDENTIAL')).toMatchObject({ proxy: null, geo: null });
    expect(router().route(null).proxy?.server).toBe('http://us:1');
  });

  it('refuses a location nobody serves, naming the pools it looked for', () => {
    expect(() => router().check('RESIDENTIAL_DE')).toThrow(ProxyUnavailableError);
    expect(() => new ProxyRouter(null).route({ country: 'KR' })).toThrow(
      /proxy_location KR: no proxy is configured .*RESIDENTIAL_KR, KR/,
    );
  });

  it('tells which locations ask for a route (and so skip the server-wide browser)', () => {
    for (const loc of [null, undefined, 'RESIDENTIAL', 'residential', 'NONE'])
      expect(asksForProxyRoute(loc), String(loc)).toBe(false);
    for (const loc of [
      'RESIDENTIAL_JP',
      'RESIDENTIAL_ISP',
      'US-CA',
      { country: 'US' },
      { url: 'http://h:1' },
    ])
      expect(asksForProxyRoute(loc), JSON.stringify(loc)).toBe(true);
  });

  it('uses a custom proxy url as given', () => {
    expect(new ProxyRouter(null).route({ url: 'http://me:pw@127.0.0.1:3128' })).toMatchObject({
      proxy: { server: 'http://127.0.0.1:3128', username: 'me', password: 'pw' },
      geo: null,
    });
  });
});

describe('geo profiles', () => {
  it('covers every supported country', () => {
    for (const cc of 'US AR AU BR CA DE ES FR GB IE IN IT JP MX NL NZ PH KR SA TR ZA'.split(' ')) {
      const g = geoProfileFor(cc);
      expect(g, cc).not.toBeNull();
      expect(() => new Intl.DateTimeFormat('en', { timeZone: g?.timezoneId })).not.toThrow();
    }
    expect(geoProfileFor('XX')).toBeNull();
  });
});
