/**
 * One signed webhook POST: checks the network policy at send time (the DNS answer may have
 * changed since the run was created), never follows redirects, reads at most 2 KB of the answer,
 * and classifies the outcome for the retry policy.
 */
import { retryAfterMs } from '../../core/index.js';
import { signedJsonHeaders } from '../../credentials/index.js';
import { checkUrl, NetworkPolicyError, pinnedRequest } from '../../net/index.js';
import { type EgressOptions, egressPolicy } from '../egress.js';

export const RESPONSE_SNIPPET_BYTES = 2048;

export interface SendOptions extends EgressOptions {
  timeoutMs: number;
  /** Aborts the attempt (shutdown). */
  signal?: AbortSignal;
}

export interface SendOutcome {
  headers: Record<string, string>;
  startedAt: string;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseBody: string | null;
  /** 2xx. */
  ok: boolean;
  /** 5xx, 408, 429 and network errors are worth another attempt. */
  retryable: boolean;
  /** From Retry-After (seconds or an HTTP date), when the receiver sent one. */
  retryAfterMs: number | null;
  /** True when `signal` aborted the attempt (not the receiver's fault; not counted). */
  aborted: boolean;
}

function describe(error: unknown, timedOut: boolean): string {
  if (timedOut) return 'timed out waiting for the receiver';
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code =
      typeof cause === 'object' && cause !== null && 'code' in cause
        ? String((cause as { code: unknown }).code)
        : null;
    if (error.name === 'TimeoutError') return 'timed out waiting for the receiver';
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

export async function sendWebhook(
  url: string,
  body: string,
  signingKey: string,
  options: SendOptions,
): Promise<SendOutcome> {
  const headers = signedJsonHeaders(body, signingKey);
  const startedAt = new Date();
  const started = performance.now();
  const base = {
    headers,
    startedAt: startedAt.toISOString(),
    statusCode: null,
    responseBody: null,
    retryAfterMs: null,
    ok: false,
    aborted: false,
  };
  const policy = egressPolicy(options);
  try {
    await checkUrl(url, policy);
  } catch (error) {
    if (!(error instanceof NetworkPolicyError)) throw error;
    return {
      ...base,
      latencyMs: 0,
      error: `webhook_url refused: ${error.message}`,
      retryable: false,
    };
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  try {
    // Connects only to the address the policy checked (no DNS rebinding); redirects not followed.
    const response = await pinnedRequest(policy, url, {
      method: 'POST',
      headers,
      body,
      signal,
      maxBytes: RESPONSE_SNIPPET_BYTES,
    });
    const responseBody = response.body.toString('utf8');
    const status = response.status;
    const ok = status >= 200 && status < 300;
    return {
      ...base,
      statusCode: status,
      latencyMs: Math.round(performance.now() - started),
      responseBody,
      ok,
      error: ok ? null : `receiver answered HTTP ${status}`,
      retryable: status >= 500 || status === 408 || status === 429,
      retryAfterMs: retryAfterMs(response.headers['retry-after']),
    };
  } catch (error) {
    return {
      ...base,
      latencyMs: Math.round(performance.now() - started),
      error: describe(error, timeout.aborted),
      retryable: true,
      aborted: options.signal?.aborted === true && !timeout.aborted,
    };
  }
}
