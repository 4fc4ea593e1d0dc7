import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  actionSchema,
  actionSchemas,
  actionToolSchemas,
  blockedHostsFlag,
  CHROMIUM_ARGS,
  checkNavigationTarget,
  checkNavigationUrl,
  normalizeKeys,
  resolveExecutablePath,
} from '../../../src/browser/index.js';

describe('checkNavigationUrl', () => {
  it('blocks metadata endpoints in every spelling, even when private networks are allowed', () => {
    for (const u of [
      'http://169.254.169.254/latest/meta-data/',
      'http://2852039166/',
      'http://0xa9fea9fe/',
      'http://metadata.google.internal./computeMetadata/v1/',
      'http://[fd00:ec2::254]/',
      // IPv4-mapped IPv6: Chromium connects to it as 169.254.169.254.
      'http://[::ffff:169.254.169.254]/',
      'http://[::ffff:a9fe:a9fe]/latest/meta-data/',
      'http://[64:ff9b::169.254.169.254]/',
      'http://169.254.170.2/v2/credentials',
      'http://[::ffff:100.100.100.200]/',
    ]) {
      expect(() => checkNavigationUrl(u, true), u).toThrow(/cloud metadata address/);
    }
  });

  it('blocks private addresses in every IPv6 spelling unless allowed', () => {
    for (const u of [
      'http://[::ffff:127.0.0.1]:3000/',
      'http://[::ffff:10.0.0.1]/',
      'http://[::ffff:c0a8:101]/',
      'http://[fd12:3456::1]/',
      'http://[fe80::1]/',
      'http://0x7f000001/',
      'http://2130706433/',
      'http://0.0.0.0/',
      'http://app.localhost/',
    ]) {
      expect(() => checkNavigationUrl(u, false), u).toThrow(/is a private network address/);
      expect(checkNavigationUrl(u, true).protocol, u).toBe('http:');
    }
  });

  it('checks what a host name resolves to', async () => {
    const dns: Record<string, string[]> = {
      'imds.example': ['169.254.169.254'],
      'mapped.example': ['::ffff:169.254.169.254'],
      'intranet.example': ['93.184.216.34', '10.0.0.7'],
      'shop.example': ['93.184.216.34'],
    };
    const resolve = async (host: string) => {
      const found = dns[host];
      if (!found) throw new Error(`ENOTFOUND ${host}`);
      return found;
    };
    for (const host of ['imds.example', 'mapped.example']) {
      await expect(
        checkNavigationTarget(`http://${host}/latest/meta-data/`, true, resolve),
      ).rejects.toThrow(new RegExp(`url: ${host} resolves to a cloud metadata address`));
    }
    await expect(
      checkNavigationTarget('https://intranet.example/', false, resolve),
    ).rejects.toThrow('url: intranet.example resolves to a private network address (10.0.0.7)');
    expect((await checkNavigationTarget('https://intranet.example/', true, resolve)).host).toBe(
      'intranet.example',
    );
    expect((await checkNavigationTarget('https://shop.example/a', false, resolve)).href).toBe(
      'https://shop.example/a',
    );
    // Not resolvable here (e.g. only through the run's proxy): the browser gets to try.
    expect((await checkNavigationTarget('https://elsewhere.example/', false, resolve)).href).toBe(
      'https://elsewhere.example/',
    );
  });

  it('launches Chromium with every metadata spelling unresolvable', () => {
    const flag = CHROMIUM_ARGS.find((a) => a.startsWith('--host-resolver-rules='));
    for (const host of [
      '169.254.169.254',
      '::ffff:a9fe:a9fe',
      '64:ff9b::a9fe:a9fe',
      'fd00:ec2::254',
      'metadata.google.internal',
    ]) {
      expect(flag).toContain(`MAP ${host} ~NOTFOUND`);
    }
    expect(blockedHostsFlag(['a.example', '10.0.0.1'])).toBe(
      '--host-resolver-rules=MAP a.example ~NOTFOUND, MAP 10.0.0.1 ~NOTFOUND',
    );
  });

  it('blocks private networks unless allowed, and non-web schemes', () => {
    expect(() => checkNavigationUrl('http://10.1.2.3/', false)).toThrow(
      'url: 10.1.2.3 is a private network address',
    );
    expect(() => checkNavigationUrl('http://localhost:3000/', false)).toThrow(/private network/);
    expect(() => checkNavigationUrl('http://[::1]/', false)).toThrow(/private network/);
    expect(checkNavigationUrl('http://10.1.2.3/', true).href).toBe('http://10.1.2.3/');
    expect(checkNavigationUrl('https://example.com/a', false).hostname).toBe('example.com');
    expect(() => checkNavigationUrl('javascript:alert(1)', true)).toThrow(
      'url: scheme javascript: is not allowed',
    );
    expect(() => checkNavigationUrl('not a url', true)).toThrow(
      'url: "not a url" is not an absolute URL',
    );
  });
});

describe('action catalogue', () => {
  it('lists every action with a schema and validates by type', () => {
    expect(ACTIONS.map((a) => a.name)).toEqual([
      'click',
      'double_click',
      'right_click',
      'input_text',
      'enter_code',
      'select_option',
      'set_checked',
      'upload_file',
      'download',
      'hover',
      'scroll',
      'keypress',
      'wait',
      'goto',
      'back',
      'forward',
      'reload',
      'new_tab',
      'switch_tab',
      'close_tab',
      'drag_and_drop',
    ]);
    expect(actionSchema.safeParse({ type: 'input_text', id: 3, text: 'hi' }).success).toBe(true);
    const bad = actionSchema.safeParse({ type: 'input_text', id: 3 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['text']);
  });

  it("keys each family's record by its schema's type", () => {
    for (const [name, schema] of Object.entries(actionSchemas)) {
      expect(schema.shape.type.value).toBe(name);
    }
    expect(Object.keys(actionSchemas)).toEqual(ACTIONS.map((a) => a.name));
  });

  it('exports JSON Schema tool definitions without the type discriminator', () => {
    const tools = actionToolSchemas();
    const input = tools.find((t) => t.name === 'input_text')!;
    expect(input.parameters).toMatchObject({
      type: 'object',
      required: ['id', 'text'],
      properties: { id: { type: 'integer' }, text: { type: 'string' } },
    });
    expect(JSON.stringify(tools)).not.toContain('"type":{"type":"string","const"');
  });

  it('normalises key combinations', () => {
    expect(normalizeKeys('ctrl+shift+t')).toBe('Control+Shift+t');
    expect(normalizeKeys('Enter')).toBe('Enter');
    expect(normalizeKeys('cmd + a')).toBe('Meta+a');
    expect(normalizeKeys('esc')).toBe('Escape');
  });
});

describe('resolveExecutablePath', () => {
  it('prefers the configured path (WREN_BROWSER_PATH) and rejects a missing one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wren-exe-'));
    try {
      const exe = path.join(dir, 'chrome');
      await writeFile(exe, '');
      expect(resolveExecutablePath(exe)).toBe(exe);
      expect(() => resolveExecutablePath(path.join(dir, 'nope'))).toThrow(
        /WREN_BROWSER_PATH: .* does not exist/,
      );
      expect(resolveExecutablePath(null)).toBe('/usr/bin/chromium');
      // The first system candidate that exists wins; with none, Playwright's own build (undefined).
      const system = path.join(dir, 'system-chrome');
      await writeFile(system, '');
      expect(resolveExecutablePath(null, [path.join(dir, 'absent'), system, exe])).toBe(system);
      expect(resolveExecutablePath(null, [path.join(dir, 'absent')])).toBeUndefined();
      expect(resolveExecutablePath(exe, [system])).toBe(exe);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
