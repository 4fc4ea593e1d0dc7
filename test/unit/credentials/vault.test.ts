import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  encodedForms,
  SecretVault,
  TOTP_PLACEHOLDER,
  UnknownPlaceholderError,
} from '../../../src/credentials/index.js';
import { SecretRedactor } from '../../../src/log.js';

const PASSWORD = 'p@ss "wörd"/&+ 100%';

function vaultWithPassword(): SecretVault {
  const v = new SecretVault();
  v.register('password', PASSWORD);
  return v;
}

describe('SecretVault.mask', () => {
  const v = vaultWithPassword();
  const P = '{{secret:password}}';

  it.each([
    ['raw text', `typed ${PASSWORD} into #pw`],
    ['inside a JSON document', JSON.stringify({ action: 'type', text: PASSWORD })],
    [
      'JSON inside JSON (tool-call arguments in a chat request)',
      JSON.stringify({ arguments: JSON.stringify({ text: PASSWORD }) }),
    ],
    ['ASCII-escaped JSON', JSON.stringify({ t: PASSWORD }).replace('ö', '\\u00f6')],
    ['URL query (encodeURIComponent)', `https://x.test/login?pw=${encodeURIComponent(PASSWORD)}`],
    [
      'URL query with lower-case percent escapes',
      `https://x.test/?pw=${encodeURIComponent(PASSWORD).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`,
    ],
    ['form encoding (+ for spaces)', `pw=${encodeURIComponent(PASSWORD).replace(/%20/g, '+')}`],
    ['HTML text', `<input value="${PASSWORD.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">`],
  ])('%s', (_name, text) => {
    const masked = v.mask(text);
    expect(masked).toContain(P);
    expect(v.leaks(masked)).toBe(false);
    for (const form of encodedForms(PASSWORD)) expect(masked).not.toContain(form);
    expect(masked).not.toContain('wörd');
    expect(masked).not.toContain('w%C3%B6rd');
    expect(masked.toLowerCase()).not.toContain('w%c3%b6rd');
  });

  it('masks every occurrence and leaves other text intact', () => {
    expect(v.mask(`a ${PASSWORD} b ${PASSWORD} c`)).toBe(`a ${P} b ${P} c`);
    expect(v.mask('nothing secret here')).toBe('nothing secret here');
  });

  it('masks the longer of two overlapping values first', () => {
    const w = new SecretVault();
    w.register('short', 'abcd');
    w.register('long', 'abcdefgh');
    expect(w.mask('x abcdefgh y abcd')).toBe('x {{secret:long}} y {{secret:short}}');
  });

  it('keeps masking a TOTP code after a newer one replaced it', () => {
    const w = new SecretVault();
    expect(w.register('totp', '111222')).toBe(TOTP_PLACEHOLDER);
    w.register('totp', '333444');
    expect(w.mask('old 111222 new 333444')).toBe('old {{totp}} new {{totp}}');
    expect(w.substitute('{{totp}}')).toBe('333444');
  });

  it('maskDeep masks strings and keys in nested values without touching the input', () => {
    const input = { messages: [{ content: `pw is ${PASSWORD}` }], [PASSWORD]: 1, n: 5 };
    const out = vaultWithPassword().maskDeep(input);
    expect(out).toEqual({
      messages: [{ content: 'pw is {{secret:password}}' }],
      '{{secret:password}}': 1,
      n: 5,
    });
    expect(input.messages[0]!.content).toContain(PASSWORD);
  });

  it('a password that is a word of the placeholder leaves placeholders intact', () => {
    const w = new SecretVault();
    w.register('password', 'password');
    w.register('totp', 'totp');
    const once = w.mask('typed {{secret:password}} then password and {{totp}}');
    expect(once).toBe('typed {{secret:password}} then {{secret:password}} and {{totp}}');
    expect(w.mask(once)).toBe(once);
    expect(w.leaks(once)).toBe(false);
    expect(w.leaks('my password')).toBe(true);
    expect(w.substitute(once)).toBe('typed password then password and totp');
    const s = w.createStreamMasker();
    expect(s.push('x {{secret:pass') + s.push('word}} y') + s.flush()).toBe(
      'x {{secret:password}} y',
    );
  });

  it('masking is idempotent', () => {
    const text = `a ${PASSWORD} ${JSON.stringify(PASSWORD)}`;
    expect(v.mask(v.mask(text))).toBe(v.mask(text));
  });

  it('maskDeep masks Error messages and stacks', () => {
    const out = vaultWithPassword().maskDeep({ err: new Error(`bad ${PASSWORD}`) }) as {
      err: { message: string; stack: string };
    };
    expect(out.err.message).toBe('bad {{secret:password}}');
    expect(out.err.stack).not.toContain('wörd');
  });

  it('an empty vault returns text unchanged', () => {
    expect(new SecretVault().mask('abc')).toBe('abc');
  });

  it('refuses empty values and odd names', () => {
    expect(() => new SecretVault().register('pw', '')).toThrow('empty');
    expect(() => new SecretVault().register('a b', 'x')).toThrow('not allowed');
  });
});

describe('SecretVault stream masking (value split across chunks)', () => {
  it('masks a value split at every possible boundary', () => {
    const v = vaultWithPassword();
    const text = `log: ${JSON.stringify({ pw: PASSWORD })} end ${PASSWORD}`;
    for (let cut = 1; cut < text.length; cut++) {
      const s = v.createStreamMasker();
      const out = s.push(text.slice(0, cut)) + s.push(text.slice(cut)) + s.flush();
      expect(out).toBe(v.mask(text));
    }
  });

  it('masks a value arriving one character at a time', () => {
    const v = vaultWithPassword();
    const s = v.createStreamMasker();
    let out = '';
    for (const ch of `>>${PASSWORD}<<`) out += s.push(ch);
    out += s.flush();
    expect(out).toBe('>>{{secret:password}}<<');
  });
});

describe('SecretVault.substitute', () => {
  it('resolves placeholders, tolerating spaces the model adds', () => {
    const v = vaultWithPassword();
    v.register('totp', '482913');
    expect(v.substitute('{{secret:password}}|{{ secret: password }}|{{totp}}')).toBe(
      `${PASSWORD}|${PASSWORD}|482913`,
    );
  });

  it('fails on an unknown placeholder, naming it', () => {
    expect(() => vaultWithPassword().substitute('{{secret:pin}}')).toThrow(UnknownPlaceholderError);
    expect(() => vaultWithPassword().substitute('{{totp}}')).toThrow('{{totp}}');
  });

  it('mask(substitute(x)) gives back the placeholder text', () => {
    const v = vaultWithPassword();
    expect(v.mask(v.substitute('type {{secret:password}}'))).toBe('type {{secret:password}}');
    expect(SecretVault.hasPlaceholder('type {{secret:password}}')).toBe(true);
    expect(SecretVault.hasPlaceholder('type hello')).toBe(false);
  });
});

describe('SecretRedactor with pino', () => {
  it('masks registered values in every field of every log line', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const redactor = new SecretRedactor();
    const logger = pino({ hooks: redactor.pinoHooks() }, sink);
    const vault = vaultWithPassword();
    vault.register('totp', '482913');
    const detach = redactor.attach(vault);

    const child = logger.child({ runId: 'tsk_1' });
    child.info({ action: { type: 'input_text', text: PASSWORD } }, `typing ${PASSWORD}`);
    child.warn(
      { url: `https://x.test/?pw=${encodeURIComponent(PASSWORD)}` },
      'code 482913 entered',
    );
    child.error(new Error(`login failed for ${PASSWORD}`));
    detach();
    child.info('after detach 482913');

    expect(lines).toHaveLength(4);
    for (const line of lines.slice(0, 3)) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(vault.leaks(line)).toBe(false);
      expect(line).not.toContain('wörd');
    }
    const first = JSON.parse(lines[0]!);
    expect(first.msg).toBe('typing {{secret:password}}');
    expect(first.action.text).toBe('{{secret:password}}');
    expect(JSON.parse(lines[1]!).msg).toBe('code {{totp}} entered');
    expect(JSON.parse(lines[2]!).err.message).toBe('login failed for {{secret:password}}');
    expect(lines[3]).toContain('482913');
  });
});
