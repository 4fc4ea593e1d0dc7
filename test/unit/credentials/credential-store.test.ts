import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CredentialInputError,
  exposeCredentialToRun,
  MemoryCredentialStore,
  openCredential,
  parseCredentialInput,
  resealCredential,
  SecretBox,
  SecretDecryptionError,
  SecretVault,
  sealCredential,
  secretKeyFromBytes,
  toCredentialResponse,
} from '../../../src/credentials/index.js';

const KEY = secretKeyFromBytes(randomBytes(32));
const box = new SecretBox(KEY);
const URI =
  'otpauth://totp/Fixture%20Bank:jane?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Fixture%20Bank';

describe('credential store model', () => {
  it('validates input naming the field', () => {
    expect(() => parseCredentialInput({ password: 'x' })).toThrow('username: is required');
    expect(() => parseCredentialInput({ username: 'a' })).toThrow('password: is required');
    expect(() => parseCredentialInput({ username: 'a', password: 'b', totp: 'nope!' })).toThrow(
      CredentialInputError,
    );
    expect(parseCredentialInput({ username: ' jane ', password: ' pw ' })).toEqual({
      name: 'jane',
      username: 'jane',
      password: ' pw ',
      totp: null,
    });
  });

  it('accepts the nested credential form', () => {
    expect(
      parseCredentialInput({
        name: 'bank',
        credential_type: 'password',
        credential: { username: 'jane', password: 'pw', totp: 'JBSWY3DPEHPK3PXP' },
      }),
    ).toEqual({ name: 'bank', username: 'jane', password: 'pw', totp: 'JBSWY3DPEHPK3PXP' });
    expect(() => parseCredentialInput({ credential_type: 'credit_card', credential: {} })).toThrow(
      'credential_type',
    );
    expect(() => parseCredentialInput({ credential: 'x' })).toThrow(
      'credential: must be an object',
    );
  });

  it('seals password and secret, stores no plaintext, and answers without them', async () => {
    const input = parseCredentialInput({
      name: 'bank',
      username: 'jane',
      password: 'Tr0ub4dor&3',
      totp: URI,
    });
    const row = sealCredential(input, { box, organizationId: 'o_1', id: 'cred_1', now: () => 0 });
    const store = new MemoryCredentialStore();
    await store.insert(row);
    const stored = JSON.stringify(await store.list('o_1'));
    expect(stored).not.toContain('Tr0ub4dor');
    expect(stored).not.toContain('GEZDGNBV');
    expect(toCredentialResponse(row)).toEqual({
      credential_id: 'cred_1',
      name: 'bank',
      username: 'jane',
      has_totp: true,
      totp_issuer: 'Fixture Bank',
      created_at: '1970-01-01T00:00:00.000000',
    });
    const opened = openCredential((await store.get('o_1', 'cred_1'))!, box);
    expect(opened.password).toBe('Tr0ub4dor&3');
    expect(opened.totp?.base32).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(await store.get('o_2', 'cred_1')).toBeNull();
    expect(await store.delete('o_1', 'cred_1')).toBe(true);
    expect(await store.delete('o_1', 'cred_1')).toBe(false);
  });

  it('a password swapped in from another row does not open', () => {
    const a = sealCredential(
      { name: 'a', username: 'a', password: 'pa', totp: null },
      { box, organizationId: 'o', id: 'cred_a' },
    );
    const b = sealCredential(
      { name: 'b', username: 'b', password: 'pb', totp: null },
      { box, organizationId: 'o', id: 'cred_b' },
    );
    expect(() => openCredential({ ...b, passwordSealed: a.passwordSealed }, box)).toThrow(
      SecretDecryptionError,
    );
  });

  it('rows sealed with an old key are resealed under the new one', () => {
    const row = sealCredential(
      { name: 'a', username: 'a', password: 'pa', totp: URI },
      { box, organizationId: 'o' },
    );
    const rotated = new SecretBox(secretKeyFromBytes(randomBytes(32)), [KEY]);
    const fresh = resealCredential(row, rotated)!;
    expect(fresh.passwordSealed).not.toBe(row.passwordSealed);
    expect(resealCredential(fresh, rotated)).toBeNull();
    expect(openCredential(fresh, rotated).password).toBe('pa');
  });

  it('exposes only placeholders to the run and masks the secrets', () => {
    const vault = new SecretVault();
    const row = sealCredential(
      { name: 'a', username: 'jane', password: 'Tr0ub4dor&3', totp: URI },
      { box, organizationId: 'o' },
    );
    const view = exposeCredentialToRun(vault, openCredential(row, box));
    expect(view).toEqual({ username: 'jane', password: '{{secret:password}}', totp: '{{totp}}' });
    expect(vault.mask('pw Tr0ub4dor&3 secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toBe(
      'pw {{secret:password}} secret {{secret:totp_secret}}',
    );
  });
});
