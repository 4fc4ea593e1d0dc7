/**
 * What a run knows about its secrets, prepared before the engine starts: the SecretVault
 * (attached to the process log redactor so log lines are masked), what the model may see of the
 * referenced credential (the username and placeholders), and the resolver that obtains a
 * verification code — stored secret → totp_url → pushed codes — registering each code in the
 * vault as `{{totp}}`. The engines call `resolveTotp`, type `vault.substitute(...)`, and call
 * `release()` when the run's artifacts are written.
 */
import {
  type CredentialField,
  createTotpResolver,
  type Disambiguate,
  exposeCredentialToRun,
  type HttpPost,
  type Now,
  openCredential,
  pushedCodeSource,
  type SecretBox,
  SecretDecryptionError,
  SecretVault,
  type Sleep,
  storedSecretSource,
  type TotpCodeSource,
  type TotpRequest,
  type TotpResolution,
  type TotpResolverOptions,
  totpUrlSource,
} from '../credentials/index.js';
import { logRedactor, type SecretRedactor } from '../log.js';
import { type EgressPolicy, pinnedRequest } from '../net/index.js';
import type { RunRecord, Store } from '../store/index.js';
import { type EgressOptions, egressPolicy } from './egress.js';

const MAX_RESPONSE_BYTES = 1 << 20;

/** Vault context of a run's sealed signing key (RunService seals it, prepareRunSecrets opens it). */
export const signingKeyContext = (runId: string): string => `run:${runId}:api_key`;

/**
 * An HttpPost for requests the server makes on a caller's behalf (totp_url): the URL must pass
 * the network policy, and the connection is made only to addresses that pass it too, checked at
 * connect time (a DNS answer cannot change between the check and the connection). Redirects are
 * never followed; bodies over 1 MiB are refused.
 */
export function guardedHttpPost(policy: EgressPolicy): HttpPost {
  return async (url, request) => {
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    const res = await pinnedRequest(policy, url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal,
      maxBytes: MAX_RESPONSE_BYTES,
    });
    if (res.truncated) throw new Error('response larger than 1 MiB');
    return {
      status: res.status,
      contentType: res.headers['content-type'] ?? '',
      text: res.body.toString('utf8'),
    };
  };
}

/** A run ends `failed` with this reason before its engine starts (no secret in the message). */
export class RunSecretsError extends Error {
  override readonly name = 'RunSecretsError';
}

/** The network policy (EgressOptions) is for totp_url, the same as for webhook_url. */
export interface RunSecretsDeps extends EgressOptions {
  store: Store;
  box: SecretBox;
  /** Defaults to the redactor of every logger createLogger makes. */
  redactor?: SecretRedactor;
  /** WREN_TOTP_POLL_INTERVAL_MS (default 10 s). */
  totpPollIntervalMs?: number;
  /** WREN_TOTP_TIMEOUT_MS (default 15 min). */
  totpTimeoutMs?: number;
  /** Attempts and spacing of one totp_url poll when the request itself fails (3, 5 s). */
  totpUrlRetry?: { attempts: number; delayMs: number };
  disambiguate?: Disambiguate;
  /** Replaces the guarded poster (tests). */
  post?: HttpPost;
  now?: Now;
  sleep?: Sleep;
  onRound?: TotpResolverOptions['onRound'];
}

/** The run fields secrets depend on. */
export interface RunSecretsInput {
  organizationId: string;
  runId: string;
  /** Pushed codes received before this instant are never used. */
  startedAt: Date;
  credentialId: string | null;
  totpUrl: string | null;
  totpIdentifier: string | null;
}

export function runSecretsInput(run: RunRecord): RunSecretsInput {
  const { request } = run;
  return {
    organizationId: run.organizationId,
    runId: run.id,
    startedAt: new Date(run.startedAt ?? run.createdAt),
    credentialId: request.credential_id || null,
    totpUrl: request.totp_url || null,
    totpIdentifier: request.totp_identifier || null,
  };
}

export interface RunLogin {
  /** Shown as it is: usernames are not secret and the model must know which account it types. */
  username: string;
  /** `{{secret:password}}` */
  password: string;
  /** `{{totp}}` when the credential holds a TOTP secret. */
  totp: string | null;
}

export interface RunSecrets {
  vault: SecretVault;
  /** The referenced login as the model may see it; null without a password `credential_id`. */
  login: RunLogin | null;
  /** A referenced card or secret as the model may see it (secrets as placeholders). */
  credentialFields: CredentialField[];
  /** Which sources a code can come from, in the order they are asked. */
  totpSources: TotpCodeSource['kind'][];
  /**
   * Obtains a code (or magic link) when the page asks for one; on success the value is
   * registered in the vault as `{{totp}}` before it is returned. On failure end the run with
   * `errorCode` (OTP_TIMEOUT, OTP_ERROR, MISSING_TOTP_SOURCE) and `reason`.
   */
  resolveTotp(request?: Omit<TotpRequest, 'runId'>): Promise<TotpResolution>;
  /** Detaches the vault from the log redactor. Call once the run's artifacts are written. */
  release(): void;
}

/**
 * Builds a run's secrets. Throws RunSecretsError when the referenced credential is gone or
 * cannot be decrypted (the run should fail with that message as its reason).
 */
export async function prepareRunSecrets(
  deps: RunSecretsDeps,
  input: RunSecretsInput,
): Promise<RunSecrets> {
  const vault = new SecretVault();
  const detach = (deps.redactor ?? logRedactor).attach(vault);
  try {
    const clock = {
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    };
    const sources: TotpCodeSource[] = [];
    let login: RunLogin | null = null;
    let credentialFields: CredentialField[] = [];
    let totpIdentifier = input.totpIdentifier;

    if (input.credentialId) {
      const row = await deps.store.credentials.get(input.organizationId, input.credentialId);
      if (!row) {
        throw new RunSecretsError(
          `credential_id ${input.credentialId} no longer exists in this organization`,
        );
      }
      let opened: ReturnType<typeof openCredential>;
      try {
        opened = openCredential(row, deps.box);
      } catch (error) {
        if (error instanceof SecretDecryptionError) {
          throw new RunSecretsError(
            `credential ${input.credentialId} cannot be decrypted: ${error.message}`,
          );
        }
        throw error;
      }
      const view = exposeCredentialToRun(vault, opened);
      login = view.login;
      credentialFields = view.fields;
      if (opened.type === 'password' && opened.totp)
        sources.push(storedSecretSource(opened.totp, clock));
      // A login whose codes arrive by email or text names where they are pushed (Skyvern's
      // totp_identifier on a credential); the run's own totp_identifier wins.
      const details = row.details as { totp_identifier?: string | null };
      if (!totpIdentifier && details.totp_identifier) totpIdentifier = details.totp_identifier;
    }

    if (input.totpUrl) {
      const sealed = await deps.store.runSigningKeys.get(input.organizationId, input.runId);
      if (sealed) {
        let apiKey: string;
        try {
          apiKey = deps.box.open(sealed, signingKeyContext(input.runId));
        } catch (error) {
          if (error instanceof SecretDecryptionError) {
            throw new RunSecretsError(
              `the run's signing key cannot be decrypted: ${error.message}`,
            );
          }
          throw error;
        }
        sources.push(
          totpUrlSource({
            url: input.totpUrl,
            apiKey,
            post: deps.post ?? guardedHttpPost(egressPolicy(deps)),
            ...(deps.totpUrlRetry
              ? { attempts: deps.totpUrlRetry.attempts, retryDelayMs: deps.totpUrlRetry.delayMs }
              : {}),
            ...(deps.disambiguate ? { disambiguate: deps.disambiguate } : {}),
            ...clock,
          }),
        );
      } else {
        // Runs created before signing keys were kept, or through a path without an API key.
        sources.push({
          kind: 'totp_url',
          poll: async () => ({
            status: 'failed',
            detail: 'no API key is stored for this run to sign totp_url requests',
          }),
        });
      }
    }

    if (totpIdentifier) {
      sources.push(
        pushedCodeSource({
          store: deps.store.totpCodes,
          organizationId: input.organizationId,
          totpIdentifier,
          scope: { taskId: input.runId, startedAt: input.startedAt },
          ...(deps.now ? { now: deps.now } : {}),
        }),
      );
    }

    const resolver = createTotpResolver(sources, {
      ...(deps.totpPollIntervalMs !== undefined ? { pollIntervalMs: deps.totpPollIntervalMs } : {}),
      ...(deps.totpTimeoutMs !== undefined ? { timeoutMs: deps.totpTimeoutMs } : {}),
      ...(deps.onRound ? { onRound: deps.onRound } : {}),
      ...clock,
    });

    return {
      vault,
      login,
      credentialFields,
      totpSources: sources.map((s) => s.kind),
      async resolveTotp(request = {}) {
        const resolution = await resolver.resolve({ ...request, runId: input.runId });
        if (resolution.ok) vault.register('totp', resolution.value);
        return resolution;
      },
      release: detach,
    };
  } catch (error) {
    detach();
    throw error;
  }
}
