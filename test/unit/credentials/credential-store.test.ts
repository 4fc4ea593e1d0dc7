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

const login = (username: string, password: string, totp: string | null) =>
  parseCredentialInput({ name: username, username, password, totp });

const CARD = {
  card_number: '4111 1111 1111 1234',
  card_cvv: '7351',
  card_exp_month: '09',
  card_exp_year: '2031',
  card_brand: 'Visa',
  card_holder_name: 'Ada Lovelace',
};

describe('credential store model', () => {
  it('validates input naming the field', () => {
    expect(() => parseCredentialInput({ password: 'x' })).toThrow('username: is required');
    expect(() => parseCredentialInput({ username: 'a' })).toThrow('password: is required');
    expect(() => parseCredentialInput({ username: 'a', password: 'b', totp: 'nope!' })).toThrow(
      CredentialInputError,
    );
    expect(parseCredentialInput({ username: ' jane ', password: ' pw ' })).toEqual({
      type: 'password',
      name: 'jane',
      username: 'jane',
      password: ' pw ',
      totp: null,
      totpType: 'none',
      totpIdentifier: null,
    });
  });

  it('accepts the nested credential form', () => {
    expect(
      parseCredentialInput({
        name: 'bank',
        credential_type: 'password',
        credential: { username: 'jane', password: 'pw', totp: 'JBSWY3DPEHPK3PXP' },
      }),
    ).toEqual({
      type: 'password',
      name: 'bank',
      username: 'jane',
      password: 'pw',
      totp: 'JBSWY3DPEHPK3PXP',
      totpType: 'authenticator',
      totpIdentifier: null,
    });
    expect(() => parseCredentialInput({ credential_type: 'credit_card', credential: {} })).toThrow(
      'card_number: is required',
    );
    expect(() => parseCredentialInput({ credential_type: 'oauth', credential: {} })).toThrow(
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
    expect(toCredentialResponse(row)).toMatchObject({
      credential_id: 'cred_1',
      credential: { username: 'jane', totp_type: 'authenticator', totp_identifier: null },
      credential_type: 'password',
      name: 'bank',
      vault_type: 'skyvern',
      created_at: '1970-01-01T00:00:00.000000',
    });
    const opened = openCredential((await store.get('o_1', 'cred_1'))!, box);
    expect(opened.type === 'password' && opened.password).toBe('Tr0ub4dor&3');
    expect(opened.type === 'password' && opened.totp?.base32).toBe(
      'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
    );
    expect(await store.get('o_2', 'cred_1')).toBeNull();
    expect(await store.delete('o_1', 'cred_1')).toBe(true);
    expect(await store.delete('o_1', 'cred_1')).toBe(false);
  });

  it('a password swapped in from another row does not open', () => {
    const a = sealCredential(login('a', 'pa', null), { box, organizationId: 'o', id: 'cred_a' });
    const b = sealCredential(login('b', 'pb', null), { box, organizationId: 'o', id: 'cred_b' });
    expect(() => openCredential({ ...b, passwordSealed: a.passwordSealed }, box)).toThrow(
      SecretDecryptionError,
    );
  });

  it('rows sealed with an old key are resealed under the new one', () => {
    const row = sealCredential(login('a', 'pa', URI), { box, organizationId: 'o' });
    const rotated = new SecretBox(secretKeyFromBytes(randomBytes(32)), [KEY]);
    const fresh = resealCredential(row, rotated)!;
    expect(fresh.passwordSealed).not.toBe(row.passwordSealed);
    expect(resealCredential(fresh, rotated)).toBeNull();
    const again = openCredential(fresh, rotated);
    expect(again.type === 'password' && again.password).toBe('pa');
  });

  it('exposes only placeholders to the run and masks the secrets', () => {
    const vault = new SecretVault();
    const row = sealCredential(login('jane', 'Tr0ub4dor&3', URI), { box, organizationId: 'o' });
    const view = exposeCredentialToRun(vault, openCredential(row, box));
    expect(view.login).toEqual({
      username: 'jane',
      password: '{{secret:password}}',
      totp: '{{totp}}',
    });
    expect(vault.mask('pw Tr0ub4dor&3 secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toBe(
      'pw {{secret:password}} secret {{secret:totp_secret}}',
    );
  });

  it('keeps a card and a secret sealed, answering only last four, brand and label', () => {
    const card = sealCredential(
      parseCredentialInput({ name: 'corp card', credential_type: 'credit_card', credential: CARD }),
      { box, organizationId: 'o', id: 'cred_card' },
    );
    const secret = sealCredential(
      parseCredentialInput({
        name: 'api',
        credential_type: 'SECRET',
        credential: { secret_value: 'tok-9f8e7d', secret_label: 'API token' },
      }),
      { box, organizationId: 'o', id: 'cred_secret' },
    );
    const stored = JSON.stringify([card, secret]);
    for (const plain of ['4111111111111234', '7351', 'Ada Lovelace', 'tok-9f8e7d', '2031'])
      expect(stored).not.toContain(plain);
    expect(toCredentialResponse(card)).toMatchObject({
      credential: { last_four: '1234', brand: 'Visa' },
      credential_type: 'credit_card',
    });
    expect(toCredentialResponse(secret)).toMatchObject({
      credential: { secret_label: 'API token' },
      credential_type: 'secret',
    });
    // A sealed blob moved onto another row does not open.
    expect(() => openCredential({ ...secret, dataSealed: card.dataSealed }, box)).toThrow(
      SecretDecryptionError,
    );

    const vault = new SecretVault();
    const cardView = exposeCredentialToRun(vault, openCredential(card, box));
    expect(cardView.fields).toEqual([
      { label: 'Card number', value: '{{secret:card_number}}', placeholder: true },
      { label: 'Card security code (CVV)', value: '{{secret:card_cvv}}', placeholder: true },
      { label: 'Expiry month', value: '09', placeholder: false },
      { label: 'Expiry year', value: '2031', placeholder: false },
      { label: 'Cardholder name', value: 'Ada Lovelace', placeholder: false },
      { label: 'Card brand', value: 'Visa', placeholder: false },
    ]);
    const secretView = exposeCredentialToRun(vault, openCredential(secret, box));
    expect(secretView.fields.at(-1)).toEqual({
      label: 'API token',
      value: '{{secret:secret_value}}',
      placeholder: true,
    });
    expect(vault.mask('typed 4111111111111234 / 7351 / tok-9f8e7d')).toBe(
      'typed {{secret:card_number}} / {{secret:card_cvv}} / {{secret:secret_value}}',
    );
    expect(vault.substitute('{{secret:card_number}} {{secret:secret_value}}')).toBe(
      '4111111111111234 tok-9f8e7d',
    );
  });

  it('names the nested field a card or secret is missing', () => {
    expect(() =>
      parseCredentialInput({
        credential_type: 'credit_card',
        credential: { ...CARD, card_cvv: '' },
      }),
    ).toThrow('card_cvv: is required');
    expect(() =>
      parseCredentialInput({
        credential_type: 'credit_card',
        credential: { ...CARD, card_number: '4111-abc' },
      }),
    ).toThrow('card_number: must be 8 to 19 digits');
    expect(() => parseCredentialInput({ credential_type: 'secret', credential: {} })).toThrow(
      'secret_value: is required',
    );
    expect(() => parseCredentialInput({ credential_type: 'secret' })).toThrow(
      'credential: is required',
    );
    expect(() =>
      parseCredentialInput({
        credential_type: 'password',
        credential: { username: 'a', password: 'b', totp_type: 'pigeon' },
      }),
    ).toThrow('totp_type');
  });
});
