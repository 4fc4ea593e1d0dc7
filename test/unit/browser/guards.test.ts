import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  actionSchema,
  actionToolSchemas,
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
    ]) {
      expect(() => checkNavigationUrl(u, true), u).toThrow(/cloud metadata address/);
    }
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
  it('prefers WREN_BROWSER_PATH and rejects a missing one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wren-exe-'));
    try {
      const exe = path.join(dir, 'chrome');
      await writeFile(exe, '');
      expect(resolveExecutablePath({ WREN_BROWSER_PATH: exe })).toBe(exe);
      expect(() => resolveExecutablePath({ WREN_BROWSER_PATH: path.join(dir, 'nope') })).toThrow(
        /WREN_BROWSER_PATH: .* does not exist/,
      );
      expect(resolveExecutablePath({})).toBe('/usr/bin/chromium');
      // The first system candidate that exists wins; with none, Playwright's own build (undefined).
      const system = path.join(dir, 'system-chrome');
      await writeFile(system, '');
      expect(resolveExecutablePath({}, [path.join(dir, 'absent'), system, exe])).toBe(system);
      expect(resolveExecutablePath({}, [path.join(dir, 'absent')])).toBeUndefined();
      expect(resolveExecutablePath({ WREN_BROWSER_PATH: exe }, [system])).toBe(exe);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
