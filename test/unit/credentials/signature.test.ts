import { describe, expect, it } from 'vitest';
import {
  SIGNATURE_HEADER,
  signBody,
  signedJsonHeaders,
  TIMESTAMP_HEADER,
  verifyBodySignature,
} from '../../../src/credentials/index.js';

// Computed once with: printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$KEY"
const BODY = '{"task_id":"tsk_490440844256003946"}';
const KEY = 'wren-test-api-key';
const EXPECTED = 'e3ed2068c01518aa964bf033d9b470353bfb720a216ea65706bfbeff7c07c9ec';

describe('request signature', () => {
  it('is hex HMAC-SHA256 of the raw body keyed by the API key', () => {
    expect(signBody(BODY, KEY)).toBe(EXPECTED);
    expect(signBody(new TextEncoder().encode(BODY), KEY)).toBe(EXPECTED);
  });

  it('verifies in constant time and rejects any change', () => {
    expect(verifyBodySignature(BODY, KEY, EXPECTED)).toBe(true);
    expect(verifyBodySignature(BODY, KEY, EXPECTED.toUpperCase())).toBe(true);
    expect(verifyBodySignature(`${BODY} `, KEY, EXPECTED)).toBe(false);
    expect(verifyBodySignature(BODY, `${KEY}x`, EXPECTED)).toBe(false);
    expect(verifyBodySignature(BODY, KEY, EXPECTED.slice(0, 62))).toBe(false);
    expect(verifyBodySignature(BODY, KEY, 'not-hex')).toBe(false);
  });

  it('headers carry the signature and unix seconds', () => {
    const h = signedJsonHeaders(BODY, KEY, new Date('2026-01-31T15:20:42.999Z'));
    expect(h).toEqual({
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: EXPECTED,
      [TIMESTAMP_HEADER]: '1769872842',
    });
  });
});
