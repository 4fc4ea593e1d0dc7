import { parse as parseOtpauthUri, URIParseError } from '@otplib/uri';
import { createGuardrails, generateSync } from 'otplib';
import { type Now, realSleep, type Sleep } from './clock.js';
import { CredentialInputError } from './errors.js';

/**
 * TOTP codes per RFC 6238, generated from a stored secret at the moment of entry.
 * Secrets come as base32 text (spaces, dashes and padding tolerated) or an `otpauth://totp/` URI.
 */

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface TotpSecret {
  /** Base32, upper case, no padding or separators. */
  base32: string;
  algorithm: TotpAlgorithm;
  digits: 6 | 7 | 8;
  /** Time step in seconds. */
  period: number;
  issuer: string | null;
  /** Account part of the otpauth label, e.g. the user's email. */
  account: string | null;
}

// Sites choose the secret, not us: accept what authenticator apps accept (80-bit secrets are common).
const GUARDRAILS = createGuardrails({ MIN_SECRET_BYTES: 1 });
const BASE32 = /^[A-Z2-7]+$/;

/** Parses a base32 secret or otpauth URI; throws CredentialInputError naming `field`. */
export function parseTotpSecret(input: string, field = 'totp'): TotpSecret {
  const text = input.trim();
  if (text === '') throw new CredentialInputError(field, 'is empty');
  if (/^otpauth:/i.test(text)) return parseUri(text, field);
  return {
    base32: normalizeBase32(text, field),
    algorithm: 'sha1',
    digits: 6,
    period: 30,
    issuer: null,
    account: null,
  };
}

function parseUri(text: string, field: string): TotpSecret {
  let parsed: ReturnType<typeof parseOtpauthUri>;
  try {
    parsed = parseOtpauthUri(text);
  } catch (err) {
    const why = err instanceof URIParseError ? err.message : 'is not a valid otpauth:// URI';
    throw new CredentialInputError(field, `otpauth URI rejected: ${why}`);
  }
  if (parsed.type !== 'totp') {
    throw new CredentialInputError(field, `otpauth URI is ${parsed.type}; only totp is supported`);
  }
  const { params } = parsed;
  const digits = params.digits ?? 6;
  if (digits !== 6 && digits !== 7 && digits !== 8) {
    throw new CredentialInputError(field, `digits must be 6, 7 or 8, got ${digits}`);
  }
  const period = params.period ?? 30;
  if (!Number.isInteger(period) || period < 1 || period > 3600) {
    throw new CredentialInputError(field, `period must be 1..3600 seconds, got ${period}`);
  }
  const label = parsed.label;
  const colon = label.indexOf(':');
  const labelIssuer = colon >= 0 ? label.slice(0, colon).trim() : null;
  const account = (colon >= 0 ? label.slice(colon + 1) : label).trim();
  return {
    base32: normalizeBase32(params.secret, field),
    algorithm: params.algorithm ?? 'sha1',
    digits,
    period,
    issuer: params.issuer ?? (labelIssuer || null),
    account: account || null,
  };
}

function normalizeBase32(raw: string, field: string): string {
  const cleaned = raw.replace(/[\s-]/g, '').replace(/=+$/, '').toUpperCase();
  if (!BASE32.test(cleaned)) {
    throw new CredentialInputError(field, 'secret must be base32 (letters A-Z and digits 2-7)');
  }
  // A base32 group of 8 chars carries 5 bytes; lengths 1, 3 and 6 mod 8 cannot end on a byte.
  if ([1, 3, 6].includes(cleaned.length % 8)) {
    throw new CredentialInputError(field, 'secret has an impossible base32 length (truncated?)');
  }
  return cleaned;
}

/** The code for the time step containing `epochMs`. */
export function generateTotp(secret: TotpSecret, epochMs: number): string {
  return generateSync({
    secret: secret.base32,
    algorithm: secret.algorithm,
    digits: secret.digits,
    period: secret.period,
    epoch: Math.floor(epochMs / 1000),
    guardrails: GUARDRAILS,
  });
}

export interface TotpEntryCode {
  code: string;
  /** Start of the window in which the code is valid (ms since epoch); may be in the future. */
  validFromMs: number;
  /** End of that window (exclusive). */
  validUntilMs: number;
  /** How long to wait before entering so the code is inside its window (0 when already valid). */
  waitMs: number;
}

export interface CodeForEntryOptions {
  /** Skip to the next window when fewer seconds than this remain (default 5). */
  minRemainingSeconds?: number;
}

export const DEFAULT_MIN_REMAINING_SECONDS = 5;

/**
 * The code to type now. When the current window is about to close, returns the next window's
 * code and when it becomes valid, so the code is not rejected as stale after typing.
 */
export function codeForEntry(
  secret: TotpSecret | string,
  nowMs: number = Date.now(),
  options: CodeForEntryOptions = {},
): TotpEntryCode {
  const parsed = typeof secret === 'string' ? parseTotpSecret(secret) : secret;
  const periodMs = parsed.period * 1000;
  const threshold = Math.min(
    options.minRemainingSeconds ?? DEFAULT_MIN_REMAINING_SECONDS,
    parsed.period - 1,
  );
  let windowStart = Math.floor(nowMs / periodMs) * periodMs;
  if (windowStart + periodMs - nowMs < threshold * 1000) windowStart += periodMs;
  return {
    code: generateTotp(parsed, windowStart),
    validFromMs: windowStart,
    validUntilMs: windowStart + periodMs,
    waitMs: Math.max(0, windowStart - nowMs),
  };
}

/** codeForEntry, resolving only once the returned code is inside its window. */
export async function awaitCodeForEntry(
  secret: TotpSecret | string,
  options: CodeForEntryOptions & { now?: Now; sleep?: Sleep; signal?: AbortSignal } = {},
): Promise<TotpEntryCode> {
  const now = options.now ?? Date.now;
  const entry = codeForEntry(secret, now(), options);
  if (entry.waitMs > 0) await (options.sleep ?? realSleep)(entry.waitMs, options.signal);
  return { ...entry, waitMs: 0 };
}
