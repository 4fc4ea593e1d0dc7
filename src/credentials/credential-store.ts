import { randomBytes } from 'node:crypto';
import { CredentialInputError } from './errors.js';
import type { SecretBox } from './secret-box.js';
import { parseTotpSecret, type TotpSecret } from './totp.js';
import { type SecretVault, TOTP_PLACEHOLDER } from './vault.js';

/**
 * Stored credentials (`/v1/credentials`), in Skyvern's three kinds: a login (username, password,
 * optional TOTP secret), a credit card, and a bare secret (API token, PIN). Every secret value is
 * sealed with the SecretBox before it reaches the store; responses carry only the public details
 * Skyvern's `CredentialResponse` shows (username and TOTP kind, card last four and brand, secret
 * label).
 */

export const CREDENTIAL_TYPES = ['password', 'credit_card', 'secret'] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];
export const TOTP_TYPES = ['authenticator', 'email', 'text', 'passkey', 'none'] as const;
export type TotpType = (typeof TOTP_TYPES)[number];

/** Skyvern's `NonEmptyCreditCardCredential` fields, all sealed together. */
export interface CardData {
  card_number: string;
  card_cvv: string;
  card_exp_month: string;
  card_exp_year: string;
  card_brand: string;
  card_holder_name: string;
  billing_address: Record<string, string | null> | null;
  billing_email: string | null;
  billing_phone: string | null;
  metadata: Record<string, string> | null;
}

export type CredentialInput =
  | {
      type: 'password';
      name: string;
      username: string;
      password: string;
      /** base32 secret or otpauth:// URI, as given (validated). */
      totp: string | null;
      totpType: TotpType;
      totpIdentifier: string | null;
    }
  | { type: 'credit_card'; name: string; card: CardData }
  | { type: 'secret'; name: string; secretValue: string; secretLabel: string | null };

/** What responses may show: never a secret. */
export type CredentialDetails =
  | { totp_type: TotpType; totp_identifier: string | null }
  | { last_four: string; brand: string }
  | { secret_label: string | null };

export interface SealedCredential {
  /** `cred_<digits>` */
  id: string;
  organizationId: string;
  name: string;
  type: CredentialType;
  /** The login's username ('' for cards and secrets). */
  username: string;
  /** Password rows only. */
  passwordSealed: string | null;
  totpSealed: string | null;
  /** From the otpauth URI, so users can tell secrets apart. */
  totpIssuer: string | null;
  /** Card and secret rows: the sealed JSON of every secret field. */
  dataSealed: string | null;
  details: CredentialDetails;
  createdAt: Date;
  modifiedAt: Date;
}

export type OpenedCredential =
  | {
      type: 'password';
      id: string;
      name: string;
      username: string;
      password: string;
      totp: TotpSecret | null;
    }
  | { type: 'credit_card'; id: string; name: string; card: CardData }
  | { type: 'secret'; id: string; name: string; secretValue: string; secretLabel: string | null };

export interface CredentialListQuery {
  type?: CredentialType;
  /** Case-insensitive substring of name, username, secret label, card brand or last four. */
  search?: string;
  limit?: number;
  offset?: number;
}

/** What store/ implements. Rows hold only sealed values. */
export interface CredentialStore {
  insert(row: SealedCredential): Promise<void>;
  get(organizationId: string, id: string): Promise<SealedCredential | null>;
  list(organizationId: string): Promise<SealedCredential[]>;
  /** Overwrites a row's data (same id); false when it does not exist in the organization. */
  replace(row: SealedCredential): Promise<boolean>;
  /** True if a row was deleted. */
  delete(organizationId: string, id: string): Promise<boolean>;
}

export class MemoryCredentialStore implements CredentialStore {
  private readonly rows = new Map<string, SealedCredential>();

  async insert(row: SealedCredential): Promise<void> {
    this.rows.set(`${row.organizationId}/${row.id}`, { ...row });
  }
  async get(organizationId: string, id: string): Promise<SealedCredential | null> {
    const row = this.rows.get(`${organizationId}/${id}`);
    return row ? { ...row } : null;
  }
  async list(organizationId: string): Promise<SealedCredential[]> {
    return [...this.rows.values()]
      .filter((r) => r.organizationId === organizationId)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((r) => ({ ...r }));
  }
  async replace(row: SealedCredential): Promise<boolean> {
    const key = `${row.organizationId}/${row.id}`;
    if (!this.rows.has(key)) return false;
    this.rows.set(key, { ...row });
    return true;
  }
  async delete(organizationId: string, id: string): Promise<boolean> {
    return this.rows.delete(`${organizationId}/${id}`);
  }
}

/** Filters and pages a listing (GET /v1/credentials). */
export function filterCredentials(
  rows: readonly SealedCredential[],
  query: CredentialListQuery,
): SealedCredential[] {
  const needle = query.search?.trim().toLowerCase() ?? '';
  const hits = rows.filter((r) => {
    if (query.type && r.type !== query.type) return false;
    if (!needle) return true;
    const d = r.details as Record<string, unknown>;
    return [r.name, r.username, d['secret_label'], d['brand'], d['last_four']].some(
      (v) => typeof v === 'string' && v.toLowerCase().includes(needle),
    );
  });
  const offset = query.offset ?? 0;
  return hits.slice(offset, query.limit === undefined ? undefined : offset + query.limit);
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Parses a create/update body: Skyvern's `{name, credential_type, credential: {...}}`, or the
 * older flat Wren form `{name?, username, password, totp?}` (a login). Errors name the field.
 */
export function parseCredentialInput(body: unknown): CredentialInput {
  if (!isObject(body)) throw new CredentialInputError('body', 'must be a JSON object');
  const outer = body;
  const nested = outer['credential'];
  if (nested !== undefined && !isObject(nested)) {
    throw new CredentialInputError('credential', 'must be an object');
  }
  const rawType = outer['credential_type'] ?? 'password';
  const type =
    typeof rawType === 'string' ? (rawType.toLowerCase() as CredentialType) : (rawType as never);
  if (!CREDENTIAL_TYPES.includes(type)) {
    throw new CredentialInputError(
      'credential_type',
      `must be one of ${CREDENTIAL_TYPES.join(', ')}; got ${JSON.stringify(rawType)}`,
    );
  }
  const vault = outer['vault_type'];
  if (vault !== undefined && vault !== null && vault !== 'skyvern') {
    throw new CredentialInputError(
      'vault_type',
      'only the built-in vault ("skyvern" or null) is supported by Wren',
    );
  }
  const name = str(outer, 'name', false, 255);
  if (type !== 'password' && !nested) throw new CredentialInputError('credential', 'is required');
  const b = nested ?? outer;
  if (type === 'credit_card') {
    const card: CardData = {
      card_number: str(b, 'card_number', true, 64, true)!.replace(/[\s-]/g, ''),
      card_cvv: str(b, 'card_cvv', true, 8)!,
      card_exp_month: str(b, 'card_exp_month', true, 16)!,
      card_exp_year: str(b, 'card_exp_year', true, 16)!,
      card_brand: str(b, 'card_brand', true, 64)!,
      card_holder_name: str(b, 'card_holder_name', true, 255)!,
      billing_address: billingAddress(b['billing_address']),
      billing_email: str(b, 'billing_email', false, 255),
      billing_phone: str(b, 'billing_phone', false, 64),
      metadata: stringMap(b['metadata'], 'metadata'),
    };
    if (!/^\d{8,19}$/.test(card.card_number)) {
      throw new CredentialInputError('card_number', 'must be 8 to 19 digits');
    }
    return { type, name: name ?? `${card.card_brand} ${card.card_number.slice(-4)}`, card };
  }
  if (type === 'secret') {
    const secretValue = str(b, 'secret_value', true, 4096, false)!;
    const secretLabel = str(b, 'secret_label', false, 255);
    return { type, name: name ?? secretLabel ?? 'secret', secretValue, secretLabel };
  }
  const username = str(b, 'username', true, 1024)!;
  const password = str(b, 'password', true, 4096, false)!;
  const totp = str(b, 'totp', false, 4096);
  if (totp) parseTotpSecret(totp, 'totp');
  const rawTotpType = b['totp_type'] ?? null;
  if (rawTotpType !== null && !TOTP_TYPES.includes(rawTotpType as TotpType)) {
    throw new CredentialInputError('totp_type', `must be one of ${TOTP_TYPES.join(', ')}`);
  }
  // A stored TOTP secret is an authenticator app's; say so when the caller did not.
  const totpType = (
    rawTotpType === null || (rawTotpType === 'none' && totp)
      ? totp
        ? 'authenticator'
        : 'none'
      : rawTotpType
  ) as TotpType;
  return {
    type,
    name: name ?? username,
    username,
    password,
    totp,
    totpType,
    totpIdentifier: str(b, 'totp_identifier', false, 255),
  };
}

function billingAddress(v: unknown): Record<string, string | null> | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw new CredentialInputError('billing_address', 'must be an object');
  const out: Record<string, string | null> = {};
  for (const key of [
    'line1',
    'line2',
    'city',
    'state',
    'state_code',
    'postal_code',
    'country',
    'country_code',
  ]) {
    out[key] = str(v, key, false, 255);
  }
  return out;
}

function stringMap(v: unknown, field: string): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw new CredentialInputError(field, 'must be an object of strings');
  }
  return v as Record<string, string>;
}

function str(b: Obj, field: string, required: boolean, max: number, trim = true): string | null {
  const v = b[field];
  if (v === undefined || v === null || v === '') {
    if (required) throw new CredentialInputError(field, 'is required');
    return null;
  }
  if (typeof v !== 'string') throw new CredentialInputError(field, 'must be a string');
  if (v.length > max) throw new CredentialInputError(field, `is longer than ${max} characters`);
  const out = trim ? v.trim() : v;
  if (out === '' && required) throw new CredentialInputError(field, 'is empty');
  return out === '' ? null : out;
}

function context(id: string, field: 'password' | 'totp' | 'data'): string {
  return `credential:${id}:${field}`;
}

/**
 * Seals an input into a row. `id` and `createdAt` keep an existing row's identity when an
 * update overwrites it.
 */
export function sealCredential(
  input: CredentialInput,
  deps: {
    box: SecretBox;
    organizationId: string;
    id?: string;
    now?: () => number;
    createdAt?: Date;
  },
): SealedCredential {
  const id = deps.id ?? newCredentialId();
  const at = new Date((deps.now ?? Date.now)());
  const base = {
    id,
    organizationId: deps.organizationId,
    name: input.name,
    type: input.type,
    createdAt: deps.createdAt ?? at,
    modifiedAt: at,
  };
  if (input.type === 'password') {
    return {
      ...base,
      username: input.username,
      passwordSealed: deps.box.seal(input.password, context(id, 'password')),
      totpSealed: input.totp ? deps.box.seal(input.totp, context(id, 'totp')) : null,
      totpIssuer: input.totp ? parseTotpSecret(input.totp).issuer : null,
      dataSealed: null,
      details: { totp_type: input.totpType, totp_identifier: input.totpIdentifier },
    };
  }
  const data =
    input.type === 'credit_card'
      ? input.card
      : { secret_value: input.secretValue, secret_label: input.secretLabel };
  return {
    ...base,
    username: '',
    passwordSealed: null,
    totpSealed: null,
    totpIssuer: null,
    dataSealed: deps.box.seal(JSON.stringify(data), context(id, 'data')),
    details:
      input.type === 'credit_card'
        ? { last_four: input.card.card_number.slice(-4), brand: input.card.card_brand }
        : { secret_label: input.secretLabel },
  };
}

/** Throws SecretDecryptionError when the key is wrong or the row was tampered with. */
export function openCredential(row: SealedCredential, box: SecretBox): OpenedCredential {
  if (row.type === 'password') {
    return {
      type: 'password',
      id: row.id,
      name: row.name,
      username: row.username,
      password: box.open(row.passwordSealed ?? '', context(row.id, 'password')),
      totp: row.totpSealed
        ? parseTotpSecret(box.open(row.totpSealed, context(row.id, 'totp')))
        : null,
    };
  }
  const data = JSON.parse(box.open(row.dataSealed ?? '', context(row.id, 'data'))) as Obj;
  if (row.type === 'credit_card') {
    return { type: 'credit_card', id: row.id, name: row.name, card: data as unknown as CardData };
  }
  return {
    type: 'secret',
    id: row.id,
    name: row.name,
    secretValue: String(data['secret_value']),
    secretLabel: typeof data['secret_label'] === 'string' ? data['secret_label'] : null,
  };
}

/** Re-seals a row sealed with an older key; returns null when it is already current. */
export function resealCredential(row: SealedCredential, box: SecretBox): SealedCredential | null {
  const sealed = [row.passwordSealed, row.totpSealed, row.dataSealed].filter(
    (s): s is string => s !== null,
  );
  if (!sealed.some((s) => box.needsReseal(s))) return null;
  const again = (s: string | null, field: 'password' | 'totp' | 'data') =>
    s === null ? null : box.reseal(s, context(row.id, field));
  return {
    ...row,
    passwordSealed: again(row.passwordSealed, 'password'),
    totpSealed: again(row.totpSealed, 'totp'),
    dataSealed: again(row.dataSealed, 'data'),
  };
}

/** Skyvern's naive-UTC timestamp style (microseconds, no offset). */
const naive = (d: Date) => `${d.toISOString().slice(0, 23)}000`;

/**
 * Skyvern's `CredentialResponse`: never a password, card number (beyond the last four), CVV or
 * secret value. `created_at`/`modified_at` are Wren extras (the schema allows extra fields).
 */
export function toCredentialResponse(row: SealedCredential): Record<string, unknown> {
  return {
    credential_id: row.id,
    credential:
      row.type === 'password' ? { username: row.username, ...row.details } : { ...row.details },
    credential_type: row.type,
    name: row.name,
    vault_type: 'skyvern',
    browser_profile_id: null,
    tested_url: null,
    user_context: null,
    save_browser_session_intent: null,
    folder_id: null,
    proxy_location: null,
    proxy_session_id: null,
    created_at: naive(row.createdAt),
    modified_at: naive(row.modifiedAt),
  };
}

export function newCredentialId(): string {
  return `cred_${randomBytes(8).readBigUInt64BE() >> 1n}`;
}

/** One line of what the model may know about a credential: clear text or a placeholder. */
export interface CredentialField {
  label: string;
  value: string;
  /** True when `value` is a placeholder the browser replaces with the secret as it types. */
  placeholder: boolean;
}

/** What the model may see of a run's credential. */
export interface RunCredentialView {
  type: CredentialType;
  /** Password credentials: the login in the form the engines already render. */
  login: { username: string; password: string; totp: string | null } | null;
  /** Card and secret credentials: labelled fields, secrets as placeholders. */
  fields: CredentialField[];
}

/**
 * Registers a credential's secrets in the run's vault and returns what the model may see:
 * usernames, card brand, holder name, expiry and secret labels in clear (a model must read and
 * choose them), passwords, card numbers, CVVs, TOTP secrets and secret values as placeholders.
 */
export function exposeCredentialToRun(
  vault: SecretVault,
  credential: OpenedCredential,
): RunCredentialView {
  if (credential.type === 'password') {
    const password = vault.register('password', credential.password);
    if (credential.totp) vault.register('totp_secret', credential.totp.base32);
    return {
      type: 'password',
      login: {
        username: credential.username,
        password,
        totp: credential.totp ? TOTP_PLACEHOLDER : null,
      },
      fields: [],
    };
  }
  const clear = (label: string, value: string | null): CredentialField[] =>
    value ? [{ label, value, placeholder: false }] : [];
  const secret = (label: string, name: string, value: string): CredentialField => ({
    label,
    value: vault.register(name, value),
    placeholder: true,
  });
  if (credential.type === 'credit_card') {
    const c = credential.card;
    return {
      type: 'credit_card',
      login: null,
      fields: [
        secret('Card number', 'card_number', c.card_number),
        secret('Card security code (CVV)', 'card_cvv', c.card_cvv),
        ...clear('Expiry month', c.card_exp_month),
        ...clear('Expiry year', c.card_exp_year),
        ...clear('Cardholder name', c.card_holder_name),
        ...clear('Card brand', c.card_brand),
      ],
    };
  }
  return {
    type: 'secret',
    login: null,
    fields: [
      ...clear('Secret label', credential.secretLabel),
      secret(credential.secretLabel ?? 'Secret', 'secret_value', credential.secretValue),
    ],
  };
}
