import type { Now, Sleep } from './clock.js';
import type { Disambiguate } from './extract.js';
import type { TotpCodeStore } from './pushed-codes.js';
import type { TotpSecret } from './totp.js';
import { pushedCodeSource, storedSecretSource, type TotpCodeSource } from './totp-sources.js';
import { type HttpPost, totpUrlSource } from './totp-url.js';

/** Everything a run knows about its code sources. */
export interface RunTotpConfig {
  organizationId: string;
  runId: string;
  startedAt: Date;
  workflowRunId?: string | null;
  workflowId?: string | null;
  /** From the credential the task references. */
  totpSecret?: TotpSecret | string | null;
  totpUrl?: string | null;
  /** Signs totp_url requests; the key that created the run. */
  apiKey?: string | null;
  totpIdentifier?: string | null;
  codeStore?: TotpCodeStore | null;
  post?: HttpPost;
  disambiguate?: Disambiguate;
  now?: Now;
  sleep?: Sleep;
}

/** The run's sources in resolution order: stored secret → totp_url → pushed codes. */
export function totpSourcesForRun(config: RunTotpConfig): TotpCodeSource[] {
  const clock = {
    ...(config.now ? { now: config.now } : {}),
    ...(config.sleep ? { sleep: config.sleep } : {}),
  };
  const sources: TotpCodeSource[] = [];
  if (config.totpSecret) sources.push(storedSecretSource(config.totpSecret, clock));
  if (config.totpUrl) {
    if (!config.apiKey)
      throw new Error('totp_url is set but no API key is available to sign requests');
    sources.push(
      totpUrlSource({
        url: config.totpUrl,
        apiKey: config.apiKey,
        ...clock,
        ...(config.post ? { post: config.post } : {}),
        ...(config.disambiguate ? { disambiguate: config.disambiguate } : {}),
      }),
    );
  }
  if (config.totpIdentifier && config.codeStore) {
    sources.push(
      pushedCodeSource({
        store: config.codeStore,
        organizationId: config.organizationId,
        totpIdentifier: config.totpIdentifier,
        scope: {
          taskId: config.runId,
          workflowRunId: config.workflowRunId ?? null,
          workflowId: config.workflowId ?? null,
          startedAt: config.startedAt,
        },
        ...(config.now ? { now: config.now } : {}),
      }),
    );
  }
  return sources;
}
