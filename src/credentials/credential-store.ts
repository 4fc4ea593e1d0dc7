import { randomBytes } from 'node:crypto';
import { CredentialInputError } from './errors.js';
import type { SecretBox } from './secret-box.js';
import { parseTotpSecret, type TotpSecret } from './totp.js';
import { type SecretVault, TOTP_PLACEHOLDER } from './vault.js';

/**
 * Stored logins (`POST/GET/DELETE /v1/credentials`): username + password + optional TOTP secret.
 * Password and secret are sealed with the SecretBox before they reach the store, and no response
 * shape ever carries them back.
 */

export interface CredentialInput {
  name: string;
  username: string;
  password: string;
  /** base32 secret or otpauth:// URI, as given (validated). */
  totp: string | null;
}

export interface SealedCredential {
  /** `cred_<digits>` */
  id: string;
  organizationId: string;
  name: string;
  username: string;
  passwordSealed: string;
  totpSealed: string | null;
  /** From the otpauth URI, shown in listings so users can tell secrets apart. */
  totpIssuer: string | null;
  createdAt: Date;
}

export interface OpenedCredential {
  id: string;
  name: string;
  username: string;
  password: string;
  totp: TotpSecret | null;
}

/** What store/ implements. Rows hold only sealed values. */
export interface CredentialStore {
  insert(row: SealedCredential): Promise<void>;
  get(organizationId: string, id: string): Promise<SealedCredential | null>;
  list(organizationId: string): Promise<SealedCredential[]>;
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
  async delete(organizationId: string, id: string): Promise<boolean> {
    return this.rows.delete(`${organizationId}/${id}`);
  }
}

export function parseCredentialInput(body: unknown): CredentialInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new CredentialInputError('body', 'must be a JSON object');
  }
  const outer = body as Record<string, unknown>;
  // Also accept the nested form `{name, credential_type: "password", credential: {username, …}}`.
  const nested = outer['credential'];
  if (
    nested !== undefined &&
    (nested === null || typeof nested !== 'object' || Array.isArray(nested))
  ) {
    throw new CredentialInputError('credential', 'must be an object');
  }
  if (outer['credential_type'] !== undefined && outer['credential_type'] !== 'password') {
    throw new CredentialInputError('credential_type', 'only "password" credentials are supported');
  }
  const b = nested ? { name: outer['name'], ...(nested as Record<string, unknown>) } : outer;
  const username = str(b, 'username', true, 1024)!;
  const password = str(b, 'password', true, 4096, false)!;
  const totp = str(b, 'totp', false, 4096);
  if (totp) parseTotpSecret(totp, 'totp');
  return { name: str(b, 'name', false, 255) ?? username, username, password, totp };
}

function str(
  b: Record<string, unknown>,
  field: string,
  required: boolean,
  max: number,
  trim = true,
): string | null {
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

function context(id: string, field: 'password' | 'totp'): string {
  return `credential:${id}:${field}`;
}

export function sealCredential(
  input: CredentialInput,
  deps: { box: SecretBox; organizationId: string; id?: string; now?: () => number },
): SealedCredential {
  const id = deps.id ?? newCredentialId();
  return {
    id,
    organizationId: deps.organizationId,
    name: input.name,
    username: input.username,
    passwordSealed: deps.box.seal(input.password, context(id, 'password')),
    totpSealed: input.totp ? deps.box.seal(input.totp, context(id, 'totp')) : null,
    totpIssuer: input.totp ? parseTotpSecret(input.totp).issuer : null,
    createdAt: new Date((deps.now ?? Date.now)()),
  };
}

/** Throws SecretDecryptionError when the key is wrong or the row was tampered with. */
export function openCredential(row: SealedCredential, box: SecretBox): OpenedCredential {
  return {
    id: row.id,
    name: row.name,
    username: row.username,
    password: box.open(row.passwordSealed, context(row.id, 'password')),
    totp: row.totpSealed
      ? parseTotpSecret(box.open(row.totpSealed, context(row.id, 'totp')))
      : null,
  };
}

/** Re-seals a row sealed with an older key; returns null when it is already current. */
export function resealCredential(row: SealedCredential, box: SecretBox): SealedCredential | null {
  const stale =
    box.needsReseal(row.passwordSealed) ||
    (row.totpSealed ? box.needsReseal(row.totpSealed) : false);
  if (!stale) return null;
  return {
    ...row,
    passwordSealed: box.reseal(row.passwordSealed, context(row.id, 'password')),
    totpSealed: row.totpSealed ? box.reseal(row.totpSealed, context(row.id, 'totp')) : null,
  };
}

/** The API shape: never the password or the secret. */
export function toCredentialResponse(row: SealedCredential): Record<string, unknown> {
  return {
    credential_id: row.id,
    name: row.name,
    username: row.username,
    has_totp: row.totpSealed !== null,
    totp_issuer: row.totpIssuer,
    created_at: `${row.createdAt.toISOString().slice(0, 23)}000`,
  };
}

export function newCredentialId(): string {
  return `cred_${randomBytes(8).readBigUInt64BE() >> 1n}`;
}

/**
 * Registers a credential's secrets in the run's vault and returns what the model may see:
 * the username, and placeholders for the password and the code.
 */
export function exposeCredentialToRun(
  vault: SecretVault,
  credential: OpenedCredential,
): { username: string; password: string; totp: string | null } {
  const password = vault.register('password', credential.password);
  if (credential.totp) vault.register('totp_secret', credential.totp.base32);
  return {
    username: credential.username,
    password,
    totp: credential.totp ? TOTP_PLACEHOLDER : null,
  };
}
