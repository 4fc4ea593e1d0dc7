import { sleep as coreSleep, retryAfterMs } from '../core/index.js';
import { LlmError, type LlmErrorKind } from './errors.js';
import type { RetryPolicy } from './types.js';

/** Milliseconds asked for by Retry-After / retry-after-ms (seconds, or an HTTP date). */
export function parseRetryAfter(
  headers: Record<string, string | undefined> | undefined,
  now = Date.now(),
): number | null {
  if (!headers) return null;
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) lower[k.toLowerCase()] = v;
  const ms = lower['retry-after-ms'];
  if (ms !== undefined && Number.isFinite(Number.parseFloat(ms)))
    return Math.max(0, Number.parseFloat(ms));
  return retryAfterMs(lower['retry-after'], now);
}

export function kindForStatus(status: number): LlmErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limit';
  if (status >= 500) return 'server';
  if (status === 408) return 'timeout';
  return 'bad_request';
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/** Exponential backoff with jitter in [50%, 100%] of the capped exponential delay. */
export function backoffDelay(
  retryIndex: number,
  policy: RetryPolicy,
  random = Math.random,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return Math.round(exp * (0.5 + random() * 0.5));
}

/** core's sleep, failing as an aborted model call when the caller cancels. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw abortedError(signal);
  try {
    await coreSleep(ms, signal);
  } catch {
    throw abortedError(signal);
  }
}

export function abortedError(signal?: AbortSignal, attempts = 0): LlmError {
  const reason = signal?.reason;
  const why =
    reason instanceof Error
      ? reason.message
      : typeof reason === 'string'
        ? reason
        : 'the caller canceled';
  return new LlmError('aborted', `Model call aborted: ${why}`, { attempts, cause: reason });
}

/** Thrown inside an attempt to describe its failure; the loop decides whether to retry. */
export interface AttemptFailure {
  error: LlmError;
  /** Wait hint from Retry-After, if any. */
  retryAfterMs: number | null;
}

/**
 * Runs `attempt` until it succeeds, a non-retryable failure happens, the retries are used up or
 * `signal` aborts. Each attempt gets its own signal that also fires after `timeoutMs`.
 * `attempt` must turn its failures into AttemptFailure via `classify`.
 */
export async function withRetries<T>(
  attempt: (signal: AbortSignal, attemptNumber: number) => Promise<T>,
  classify: (error: unknown, ctx: { timedOut: boolean; attempts: number }) => AttemptFailure,
  options: { policy: RetryPolicy; timeoutMs: number; signal?: AbortSignal; random?: () => number },
): Promise<{ value: T; attempts: number }> {
  const { policy, timeoutMs, signal } = options;
  for (let n = 0; ; n++) {
    if (signal?.aborted) throw abortedError(signal, n);
    const controller = new AbortController();
    let timedOut = false;
    // timeoutMs 0 means no per-attempt timeout.
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort(new Error(`timed out after ${timeoutMs} ms`));
          }, timeoutMs)
        : undefined;
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const value = await attempt(controller.signal, n + 1);
      return { value, attempts: n + 1 };
    } catch (error) {
      if (signal?.aborted) throw abortedError(signal, n + 1);
      const failure = classify(error, { timedOut, attempts: n + 1 });
      const { error: llmError } = failure;
      if (!llmError.retryable || n >= policy.maxRetries) throw llmError;
      let wait = backoffDelay(n, policy, options.random);
      if (failure.retryAfterMs !== null) {
        if (failure.retryAfterMs > policy.maxRetryAfterMs) {
          throw new LlmError(
            llmError.kind,
            `${llmError.message} (provider asked to retry after ${Math.round(failure.retryAfterMs / 1000)} s, more than the ${Math.round(policy.maxRetryAfterMs / 1000)} s limit)`,
            { status: llmError.status, attempts: n + 1, retryable: true, record: llmError.record },
          );
        }
        wait = Math.max(failure.retryAfterMs, 0);
      }
      await sleep(wait, signal);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
