import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CredentialInputError,
  SecretBox,
  SecretDecryptionError,
  secretKeyFromBytes,
  secretKeyFromSetting,
} from '../../../src/credentials/index.js';

const HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

describe('secretKeyFromSetting', () => {
  it('takes 64 hex chars and the same bytes in base64 as the same key', () => {
    const hex = secretKeyFromSetting(HEX);
    const b64 = secretKeyFromSetting(Buffer.from(HEX, 'hex').toString('base64'));
    const prefixed = secretKeyFromSetting(`base64:${Buffer.from(HEX, 'hex').toString('base64')}`);
    expect(hex.key.toString('hex')).toBe(HEX);
    expect(b64.id).toBe(hex.id);
    expect(prefixed.id).toBe(hex.id);
  });

  it('stretches a passphrase deterministically', () => {
    const a = secretKeyFromSetting('correct horse battery staple');
    const b = secretKeyFromSetting('correct horse battery staple');
    const c = secretKeyFromSetting('correct horse battery staplE');
    expect(a.key).toHaveLength(32);
    expect(a.key.equals(b.key)).toBe(true);
    expect(a.id).not.toBe(c.id);
  });

  it.each([
    ['short', 'at least 12 characters'],
    ['base64:AAAA', 'exactly 32 bytes'],
  ])('rejects %j', (value, why) => {
    expect(() => secretKeyFromSetting(value)).toThrow(CredentialInputError);
    expect(() => secretKeyFromSetting(value)).toThrow(why);
  });
});

describe('SecretBox', () => {
  const key = secretKeyFromSetting(HEX);
  const box = new SecretBox(key);

  it('round-trips text, and each seal is different', () => {
    const a = box.seal('hunter2 ✓', 'credential:c1:password');
    const b = box.seal('hunter2 ✓', 'credential:c1:password');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^wren1\.[0-9a-f]{12}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(a).not.toContain('hunter2');
    expect(box.open(a, 'credential:c1:password')).toBe('hunter2 ✓');
  });

  it('detects a flipped ciphertext bit, a changed tag and a changed iv', () => {
    const env = box.seal('s3cret-value', 'ctx');
    const parts = env.split('.');
    const flip = (i: number) => {
      const copy = [...parts];
      const bytes = Buffer.from(copy[i]!, 'base64url');
      bytes[0] = bytes[0]! ^ 1;
      copy[i] = bytes.toString('base64url');
      return copy.join('.');
    };
    for (const i of [2, 3, 4]) {
      expect(() => box.open(flip(i), 'ctx')).toThrow(SecretDecryptionError);
    }
  });

  it('refuses an envelope moved to another row or field (context is authenticated)', () => {
    const env = box.seal('pw', 'credential:c1:password');
    expect(() => box.open(env, 'credential:c2:password')).toThrow('failed authentication');
  });

  it('refuses a wrong key with a message naming the missing key id', () => {
    const env = box.seal('pw', 'ctx');
    const other = new SecretBox(secretKeyFromBytes(randomBytes(32)));
    expect(() => other.open(env, 'ctx')).toThrow(`sealed with key ${key.id}`);
  });

  it('refuses a forged key id holding another key’s ciphertext', () => {
    const other = secretKeyFromBytes(randomBytes(32));
    const both = new SecretBox(key, [other]);
    const env = both.seal('pw', 'ctx').replace(key.id, other.id);
    expect(() => both.open(env, 'ctx')).toThrow(SecretDecryptionError);
  });

  it('rejects malformed envelopes', () => {
    for (const bad of ['', 'plain', 'wren2.a.b.c.d', 'wren1.a.b.c']) {
      expect(() => box.open(bad, 'ctx')).toThrow(SecretDecryptionError);
    }
  });

  it('rotation: old envelopes open with the previous key and are resealed with the new one', () => {
    const oldKey = secretKeyFromBytes(randomBytes(32));
    const newKey = secretKeyFromBytes(randomBytes(32));
    const env = new SecretBox(oldKey).seal('pw-old', 'ctx');
    const rotated = new SecretBox(newKey, [oldKey]);
    expect(rotated.needsReseal(env)).toBe(true);
    expect(rotated.open(env, 'ctx')).toBe('pw-old');
    const fresh = rotated.reseal(env, 'ctx');
    expect(rotated.needsReseal(fresh)).toBe(false);
    expect(fresh.split('.')[1]).toBe(newKey.id);
    expect(new SecretBox(newKey).open(fresh, 'ctx')).toBe('pw-old');
    expect(rotated.reseal(fresh, 'ctx')).toBe(fresh);
  });
});
