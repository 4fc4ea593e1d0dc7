import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  scryptSync,
} from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CredentialInputError, SecretDecryptionError } from './errors.js';

/**
 * Encryption at rest for stored credentials: AES-256-GCM with a versioned, self-describing
 * envelope `wren1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts). The key id lets a box hold
 * the current key plus previous ones, so rotation is: set the new key, keep the old one in
 * WREN_SECRET_KEY_PREVIOUS, re-seal rows whose `needsReseal` is true, then drop the old key.
 * Each envelope is bound to a context string (e.g. `credential:cred_1:password`) as AAD, so a
 * ciphertext copied onto another row or field fails to open.
 */

const VERSION = 'wren1';
const IV_BYTES = 12;
const KEY_BYTES = 32;
const KEY_FILE = 'secret.key';
const MIN_PASSPHRASE = 12;
// Fixed salt: the key must be derivable from the env value alone; the passphrase is the secret.
const KDF_SALT = 'wren/secret-key/v1';

export interface SecretKey {
  /** Short fingerprint of the key, stored in each envelope; not secret. */
  id: string;
  key: Buffer;
}

export function secretKeyFromBytes(key: Buffer): SecretKey {
  if (key.length !== KEY_BYTES) throw new Error(`secret key must be ${KEY_BYTES} bytes`);
  const id = createHash('sha256').update('wren-key-id').update(key).digest('hex').slice(0, 12);
  return { id, key };
}

/**
 * Reads a key setting: 64 hex chars or base64 of 32 bytes (optionally prefixed `base64:`) is used
 * as the raw key; anything else of at least 12 characters is a passphrase stretched with scrypt.
 */
export function secretKeyFromSetting(value: string, field = 'WREN_SECRET_KEY'): SecretKey {
  const text = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return secretKeyFromBytes(Buffer.from(text, 'hex'));
  const b64 = text.startsWith('base64:') ? text.slice(7) : text;
  if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(b64)) {
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length === KEY_BYTES) return secretKeyFromBytes(bytes);
  }
  if (text.startsWith('base64:')) {
    throw new CredentialInputError(field, 'base64: value must decode to exactly 32 bytes');
  }
  if (text.length < MIN_PASSPHRASE) {
    throw new CredentialInputError(
      field,
      `give 32 bytes as 64 hex chars or base64, or a passphrase of at least ${MIN_PASSPHRASE} characters`,
    );
  }
  const key = scryptSync(text, KDF_SALT, KEY_BYTES, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 << 20 });
  return secretKeyFromBytes(key);
}

export class SecretBox {
  private readonly keys: Map<string, Buffer>;

  constructor(
    private readonly primary: SecretKey,
    private readonly previous: readonly SecretKey[] = [],
  ) {
    this.keys = new Map([...previous, primary].map((k) => [k.id, k.key]));
  }

  /**
   * Keys for another use of the same secret (e.g. signing requests between nodes), one per
   * configured key, the current one first: sign with the first, accept any during a rotation.
   * Derived one-way, so they reveal nothing about the encryption key.
   */
  derivedKeys(purpose: string): Buffer[] {
    return [this.primary, ...this.previous].map((k) =>
      createHmac('sha256', k.key).update(`wren/derived/${purpose}`).digest(),
    );
  }

  /** Id of the key new envelopes are sealed with. */
  get keyId(): string {
    return this.primary.id;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.primary.key, iv);
    cipher.setAAD(aad(this.primary.id, context));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.primary.id, b64(iv), b64(ct), b64(tag)].join('.');
  }

  open(envelope: string, context: string): string {
    const parts = envelope.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) {
      throw new SecretDecryptionError(`not a ${VERSION} envelope`);
    }
    const [, keyId, ivText, ctText, tagText] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) {
      throw new SecretDecryptionError(
        `sealed with key ${keyId}, which is not configured (set it in WREN_SECRET_KEY_PREVIOUS)`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
      decipher.setAAD(aad(keyId, context));
      decipher.setAuthTag(Buffer.from(tagText, 'base64url'));
      const out = Buffer.concat([
        decipher.update(Buffer.from(ctText, 'base64url')),
        decipher.final(),
      ]);
      return out.toString('utf8');
    } catch {
      throw new SecretDecryptionError('envelope failed authentication (tampered or wrong context)');
    }
  }

  /** True when the envelope was sealed with a key other than the current one. */
  needsReseal(envelope: string): boolean {
    return envelope.split('.')[1] !== this.primary.id;
  }

  reseal(envelope: string, context: string): string {
    return this.needsReseal(envelope) ? this.seal(this.open(envelope, context), context) : envelope;
  }
}

function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}|${keyId}|${context}`, 'utf8');
}

function b64(buf: Buffer): string {
  return buf.toString('base64url');
}

export interface LoadSecretBoxOptions {
  /** Where a generated key is kept when WREN_SECRET_KEY is not set. */
  dataDir: string;
  env?: Record<string, string | undefined>;
}

export interface LoadedSecretBox {
  box: SecretBox;
  keySource: 'env' | 'file' | 'generated';
  /** Problems worth a log line (never contains key material). */
  warnings: string[];
}

/**
 * The box for this process: WREN_SECRET_KEY if set, else `<dataDir>/secret.key` (created with
 * mode 0600 on first use). WREN_SECRET_KEY_PREVIOUS (comma separated) adds keys that only decrypt.
 */
export async function loadSecretBox(options: LoadSecretBoxOptions): Promise<LoadedSecretBox> {
  const env = options.env ?? process.env;
  const warnings: string[] = [];
  const previous = (env['WREN_SECRET_KEY_PREVIOUS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => secretKeyFromSetting(s, 'WREN_SECRET_KEY_PREVIOUS'));
  const fromEnv = env['WREN_SECRET_KEY']?.trim();
  if (fromEnv) {
    return {
      box: new SecretBox(secretKeyFromSetting(fromEnv), previous),
      keySource: 'env',
      warnings,
    };
  }
  const path = join(options.dataDir, KEY_FILE);
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  let keySource: LoadedSecretBox['keySource'] = 'file';
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!isCode(err, 'ENOENT')) throw err;
    const fresh = `${randomBytes(KEY_BYTES).toString('base64')}\n`;
    // Written whole under a name of its own, then linked into place: link() fails if another
    // process made the key file meanwhile (then we read theirs), and nobody ever reads a key
    // file half written (a plain 'wx' write let a second process read it empty).
    // File systems without hard links (FAT, some network mounts) get the plain exclusive write.
    const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(draft, fresh, { mode: 0o600, flag: 'wx' });
      await link(draft, path).catch(async (err: unknown) => {
        if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP'].some((code) => isCode(err, code)))
          throw err;
        await writeFile(path, fresh, { mode: 0o600, flag: 'wx' });
      });
      keySource = 'generated';
      text = fresh;
    } catch (linkErr) {
      if (!isCode(linkErr, 'EEXIST')) throw linkErr;
      text = await readFile(path, 'utf8');
    } finally {
      await unlink(draft).catch(() => {});
    }
  }
  const mode = (await stat(path)).mode & 0o777;
  if (mode & 0o077) {
    await chmod(path, 0o600);
    warnings.push(`${path} was readable by other users (mode ${mode.toString(8)}); set to 600`);
  }
  const key = secretKeyFromSetting(text, path);
  return { box: new SecretBox(key, previous), keySource, warnings };
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
