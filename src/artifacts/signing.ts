/**
 * Expiring signed links to artifact content: `?expiry=<unix s>&kid=<key id>&sig=<hex HMAC-SHA256
 * of "<artifact_id>:<expiry>">`. The key is 32 random bytes kept in `<dataDir>/artifact-url.key`
 * (mode 0600), shared by every process on the data directory.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const URL_KEY_FILE = 'artifact-url.key';

export type SignatureCheck = 'ok' | 'expired' | 'invalid';

export class ArtifactUrlSigner {
  readonly kid: string;

  constructor(private readonly key: Buffer) {
    this.kid = createHash('sha256')
      .update('wren-artifact-url')
      .update(key)
      .digest('hex')
      .slice(0, 8);
  }

  static fromDataDir(dataDir: string): ArtifactUrlSigner {
    const path = join(dataDir, URL_KEY_FILE);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
    }
    const text = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`${path} is not a 32-byte hex key`);
    return new ArtifactUrlSigner(Buffer.from(text, 'hex'));
  }

  private mac(artifactId: string, expiry: number): string {
    return createHmac('sha256', this.key).update(`${artifactId}:${expiry}`).digest('hex');
  }

  /** Query string (without `?`) granting access to one artifact until `expiry` (unix seconds). */
  query(artifactId: string, expiry: number): string {
    return new URLSearchParams({
      expiry: String(expiry),
      kid: this.kid,
      sig: this.mac(artifactId, expiry),
    }).toString();
  }

  check(
    artifactId: string,
    params: { expiry?: string; kid?: string; sig?: string },
    nowMs = Date.now(),
  ): SignatureCheck {
    const expiry = Number(params.expiry);
    if (!params.sig || !params.expiry || !Number.isInteger(expiry)) return 'invalid';
    if (params.kid !== undefined && params.kid !== this.kid) return 'invalid';
    const expected = Buffer.from(this.mac(artifactId, expiry), 'hex');
    const given = /^[0-9a-f]{64}$/i.test(params.sig) ? Buffer.from(params.sig, 'hex') : null;
    if (!given || !timingSafeEqual(given, expected)) return 'invalid';
    return expiry * 1000 < nowMs ? 'expired' : 'ok';
  }
}
