/**
 * One signed webhook POST: checks the network policy at send time (the DNS answer may have
 * changed since the run was created), never follows redirects, reads at most 2 KB of the answer,
 * and classifies the outcome for the retry policy.
 */
import { signedJsonHeaders } from '../../credentials/signature.js';
import { assertPublicUrl, NetworkPolicyError } from '../../net/index.js';

export const RESPONSE_SNIPPET_BYTES = 2048;

export interface SendOptions {
  timeoutMs: number;
  allowPrivateNetworks: boolean;
  resolveHost?: (hostname: string) => Promise<string[]>;
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

export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | null {
  if (!value) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

async function readSnippet(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_SNIPPET_BYTES).toString('utf8');
}

function describe(error: unknown): string {
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
  try {
    await assertPublicUrl(url, {
      allowPrivateNetworks: options.allowPrivateNetworks,
      resolve: options.resolveHost,
    });
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
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal,
    });
    const responseBody = await readSnippet(response);
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
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    };
  } catch (error) {
    return {
      ...base,
      latencyMs: Math.round(performance.now() - started),
      error: describe(error),
      retryable: true,
      aborted: options.signal?.aborted === true && !timeout.aborted,
    };
  }
}
