/**
 * API keys are stored hashed, but a webhook must be signed with the key that created the run, so
 * that key is kept for the run sealed with the SecretBox (AES-256-GCM, bound to the run id).
 * Never logged.
 */
import type { SecretBox } from '../../credentials/secret-box.js';
import type { ResultsStore } from '../../store/results.js';

const context = (runId: string) => `webhook-signing-key:${runId}`;

export class WebhookKeyring {
  constructor(
    private readonly results: ResultsStore,
    private readonly box: SecretBox,
  ) {}

  async remember(runId: string, apiKey: string): Promise<void> {
    await this.results.saveWebhookKey(
      runId,
      this.box.seal(apiKey, context(runId)),
      new Date().toISOString(),
    );
  }

  /** The run's signing key, or null when none was recorded (or it cannot be opened). */
  async recall(runId: string): Promise<string | null> {
    const sealed = await this.results.webhookKey(runId);
    if (!sealed) return null;
    try {
      return this.box.open(sealed, context(runId));
    } catch {
      return null;
    }
  }
}
