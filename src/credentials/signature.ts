import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The request signature Skyvern-compatible receivers verify (docs/webhooks.md, docs/credentials.md): hex HMAC-SHA256
 * of the raw body bytes keyed with the API key. The timestamp header is not signed. Shared by
 * totp_url pulls and webhooks.
 */
export const SIGNATURE_HEADER = 'x-skyvern-signature';
export const TIMESTAMP_HEADER = 'x-skyvern-timestamp';

export function signBody(body: string | Uint8Array, apiKey: string): string {
  return createHmac('sha256', Buffer.from(apiKey, 'utf8')).update(body).digest('hex');
}

/** Constant-time check of a received signature against the raw body. */
export function verifyBodySignature(
  body: string | Uint8Array,
  apiKey: string,
  signature: string,
): boolean {
  const expected = Buffer.from(signBody(body, apiKey), 'hex');
  const given = /^[0-9a-fA-F]+$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Headers for a signed JSON POST; `body` must be the exact string that will be sent. */
export function signedJsonHeaders(
  body: string,
  apiKey: string,
  now: Date = new Date(),
): Record<string, string> {
  return {
    'content-type': 'application/json',
    [SIGNATURE_HEADER]: signBody(body, apiKey),
    [TIMESTAMP_HEADER]: String(Math.floor(now.getTime() / 1000)),
  };
}
