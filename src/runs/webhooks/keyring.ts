/**
 * API keys are stored hashed, but a webhook must be signed with the key that created the run, so
 * that key is kept for the run sealed with the SecretBox (AES-256-GCM, bound to the run id) in the
 * run's signing-key row (shared with totp_url pulls). Never logged.
 */
import type { SecretBox } from '../../credentials/index.js';
import type { SqlRunSigningKeyStore } from '../../store/index.js';
import { signingKeyContext } from '../secrets.js';

export class WebhookKeyring {
  constructor(
    private readonly keys: SqlRunSigningKeyStore,
    private readonly box: SecretBox,
  ) {}

  /** The run's signing key, or null when none was recorded (or it cannot be opened). */
  async recall(organizationId: string, runId: string): Promise<string | null> {
    const sealed = await this.keys.get(organizationId, runId);
    if (!sealed) return null;
    try {
      return this.box.open(sealed, signingKeyContext(runId));
    } catch {
      return null;
    }
  }
}
