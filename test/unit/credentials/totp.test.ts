import { describe, expect, it } from 'vitest';
import {
  awaitCodeForEntry,
  CredentialInputError,
  codeForEntry,
  generateTotp,
  parseTotpSecret,
  type TotpSecret,
} from '../../../src/credentials/index.js';

// RFC 6238 Appendix B: ASCII seeds "1234567890" repeated to 20/32/64 bytes, 8 digits, 30 s step.
const SEEDS = {
  sha1: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
  sha256: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA',
  sha512:
    'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA',
} as const;
const VECTORS: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

function secret(algorithm: TotpSecret['algorithm'], digits: TotpSecret['digits'] = 8): TotpSecret {
  return { base32: SEEDS[algorithm], algorithm, digits, period: 30, issuer: null, account: null };
}

describe('generateTotp — RFC 6238 test vectors', () => {
  it.each(VECTORS)('T=%i s', (t, sha1, sha256, sha512) => {
    expect(generateTotp(secret('sha1'), t * 1000)).toBe(sha1);
    expect(generateTotp(secret('sha256'), t * 1000)).toBe(sha256);
    expect(generateTotp(secret('sha512'), t * 1000)).toBe(sha512);
  });

  it('6 digits is the last six of the 8-digit value', () => {
    expect(generateTotp(secret('sha1', 6), 59_000)).toBe('287082');
  });
});

describe('parseTotpSecret', () => {
  it('accepts base32 with spaces, dashes, lower case and padding', () => {
    const s = parseTotpSecret(' jbsw y3dp-ehpk 3pxp== ');
    expect(s).toEqual({
      base32: 'JBSWY3DPEHPK3PXP',
      algorithm: 'sha1',
      digits: 6,
      period: 30,
      issuer: null,
      account: null,
    });
  });

  it('reads an otpauth URI with issuer, digits, period and algorithm', () => {
    const s = parseTotpSecret(
      `otpauth://totp/ACME%20Co:jane%40example.com?secret=${SEEDS.sha256}&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60`,
    );
    expect(s).toEqual({
      base32: SEEDS.sha256,
      algorithm: 'sha256',
      digits: 8,
      period: 60,
      issuer: 'ACME Co',
      account: 'jane@example.com',
    });
    // 60 s period: T=59 s and T=1 s share a window; T=60 s does not.
    expect(generateTotp(s, 59_000)).toBe(generateTotp(s, 1_000));
    expect(generateTotp(s, 60_000)).not.toBe(generateTotp(s, 59_000));
  });

  it('takes the issuer from the label when the parameter is missing', () => {
    const s = parseTotpSecret('otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP');
    expect(s.issuer).toBe('GitHub');
    expect(s.account).toBe('octocat');
    expect(s.digits).toBe(6);
  });

  it.each([
    ['', 'is empty'],
    ['not base32!', 'base32'],
    ['JBSWY3D0', 'base32'],
    ['JBSWY3DPE', 'impossible base32 length'],
    ['otpauth://hotp/X?secret=JBSWY3DPEHPK3PXP&counter=1', 'only totp'],
    ['otpauth://totp/X?issuer=Y', 'otpauth URI rejected'],
    ['otpauth://totp/X?secret=JBSWY3DPEHPK3PXP&digits=9', 'otpauth URI rejected'],
  ])('rejects %j naming the field', (input, why) => {
    let error: unknown;
    try {
      parseTotpSecret(input, 'credential.totp');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CredentialInputError);
    expect((error as CredentialInputError).field).toBe('credential.totp');
    expect((error as Error).message).toContain(why);
  });
});

describe('codeForEntry', () => {
  const s = secret('sha1', 6);

  it('uses the current window when enough time remains', () => {
    const now = 30_000 * 1000 + 10_000; // 20 s left in the window
    expect(codeForEntry(s, now)).toEqual({
      code: generateTotp(s, now),
      validFromMs: 30_000_000,
      validUntilMs: 30_030_000,
      waitMs: 0,
    });
  });

  it('skips to the next window when fewer seconds than the threshold remain', () => {
    const now = 30_000_000 + 27_000; // 3 s left
    const entry = codeForEntry(s, now);
    expect(entry.code).toBe(generateTotp(s, 30_030_000));
    expect(entry.code).not.toBe(generateTotp(s, now));
    expect(entry.validFromMs).toBe(30_030_000);
    expect(entry.waitMs).toBe(3_000);
  });

  it('threshold is configurable (Skyvern docs use 20 s)', () => {
    const now = 30_000_000 + 15_000; // 15 s left
    expect(codeForEntry(s, now).waitMs).toBe(0);
    expect(codeForEntry(s, now, { minRemainingSeconds: 20 }).waitMs).toBe(15_000);
  });

  it('accepts a secret string', () => {
    expect(codeForEntry('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59_000 - 20_000).code).toBe('287082');
  });

  it('awaitCodeForEntry resolves once the skipped-to code is valid', async () => {
    let clock = 30_000_000 + 28_500;
    const waits: number[] = [];
    const entry = await awaitCodeForEntry(s, {
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    expect(waits).toEqual([1_500]);
    expect(clock).toBe(entry.validFromMs);
    expect(entry.code).toBe(generateTotp(s, clock));
  });
});
