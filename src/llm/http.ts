/**
 * Low-level JSON-over-HTTP access to a model API, for engines that speak a provider protocol
 * directly (OpenAI Responses computer tool, Anthropic computer tool, UI-TARS chat). Handles base
 * URL + auth headers per provider, retries with backoff (honouring Retry-After), per-attempt
 * timeout, cancel, usage + cost extraction and a redacted request/response record.
 */
import type { ModelSpec } from './config.js';
import { failedCall, LlmError } from './errors.js';
import { costUsd, DEFAULT_PRICES, findPrice, type PriceTable } from './prices.js';
import { redactForRecord } from './records.js';
import { isRetryableStatus, kindForStatus, parseRetryAfter, withRetries } from './retry.js';
import {
  type ApiDialect,
  DEFAULT_RETRY_POLICY,
  type LlmCallRecord,
  type ModelRole,
  type RetryPolicy,
  type TokenUsage,
} from './types.js';

export const ANTHROPIC_VERSION = '2023-06-01';

export interface HttpCallOptions {
  signal?: AbortSignal;
  /** Per attempt. Default 120 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Extra headers for this call, e.g. `{'anthropic-beta': 'computer-use-2025-01-24'}`. */
  headers?: Record<string, string>;
  /** Role recorded in the call record. */
  role?: ModelRole;
  prices?: PriceTable;
  fetch?: typeof fetch;
}

export interface HttpCallResult<T = unknown> {
  status: number;
  headers: Record<string, string>;
  body: T;
  usage: TokenUsage;
  costUsd: number;
  priceKnown: boolean;
  durationMs: number;
  attempts: number;
  record: LlmCallRecord;
}

/** Full URL for an API path such as "/responses", "/messages", "/models/m:generateContent". */
export function endpointUrl(spec: ModelSpec, path: string): string {
  const p = path.startsWith('/') ? path : `/${path}`;
  if (spec.provider === 'azure' || spec.provider === 'azure-chat') {
    const url = new URL(spec.baseUrl);
    const isAzure =
      /\.(openai\.azure\.com|services\.ai\.azure\.com|cognitiveservices\.azure\.com)$/.test(
        url.hostname,
      );
    const versioned = url.pathname.replace(/\/+$/, '').toLowerCase().endsWith('/openai/v1');
    if (isAzure && !versioned) {
      const full = new URL(`${spec.baseUrl}/v1${p}`);
      full.searchParams.set('api-version', spec.azureApiVersion ?? 'v1');
      return full.toString();
    }
  }
  return `${spec.baseUrl}${p}`;
}

/** Auth and protocol headers for the spec's provider (includes the key: never log these). */
export function endpointHeaders(spec: ModelSpec): Record<string, string> {
  const key = spec.apiKey?.reveal();
  const headers: Record<string, string> = { 'content-type': 'application/json', ...spec.headers };
  switch (spec.provider) {
    case 'anthropic':
      if (key) headers['x-api-key'] = key;
      headers['anthropic-version'] = ANTHROPIC_VERSION;
      break;
    case 'google':
      if (key) headers['x-goog-api-key'] = key;
      break;
    case 'azure':
    case 'azure-chat':
      if (key) headers['api-key'] = key;
      break;
    default:
      if (key) headers['authorization'] = `Bearer ${key}`;
  }
  return headers;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function rec(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * OpenAI's two APIs report usage alike under other names: `input`/`output` (Responses) or
 * `prompt`/`completion` (Chat Completions), each with its `_tokens` and `_tokens_details`.
 */
function openAiUsage(
  u: Record<string, unknown>,
  input: 'input' | 'prompt',
  output: 'output' | 'completion',
): TokenUsage {
  return {
    inputTokens: num(u[`${input}_tokens`]),
    outputTokens: num(u[`${output}_tokens`]),
    cachedInputTokens: num(rec(u[`${input}_tokens_details`])['cached_tokens']),
    cacheWriteTokens: 0,
    reasoningTokens: num(rec(u[`${output}_tokens_details`])['reasoning_tokens']),
  };
}

/** Token usage from a provider response body (zeros when absent). */
export function extractUsage(dialect: ApiDialect, body: unknown): TokenUsage {
  const b = rec(body);
  switch (dialect) {
    case 'openai-responses':
      return openAiUsage(rec(b['usage']), 'input', 'output');
    case 'openai-chat':
      return openAiUsage(rec(b['usage']), 'prompt', 'completion');
    case 'anthropic-messages': {
      // Anthropic's input_tokens excludes cache reads and writes; ours includes them.
      const u = rec(b['usage']);
      const read = num(u['cache_read_input_tokens']);
      const write = num(u['cache_creation_input_tokens']);
      return {
        inputTokens: num(u['input_tokens']) + read + write,
        outputTokens: num(u['output_tokens']),
        cachedInputTokens: read,
        cacheWriteTokens: write,
        reasoningTokens: 0,
      };
    }
    case 'gemini': {
      const u = rec(b['usageMetadata']);
      const thoughts = num(u['thoughtsTokenCount']);
      return {
        inputTokens: num(u['promptTokenCount']),
        outputTokens: num(u['candidatesTokenCount']) + thoughts,
        cachedInputTokens: num(u['cachedContentTokenCount']),
        cacheWriteTokens: 0,
        reasoningTokens: thoughts,
      };
    }
  }
}

export function priceUsage(
  spec: ModelSpec,
  usage: TokenUsage,
  prices: PriceTable = DEFAULT_PRICES,
): { costUsd: number; priceKnown: boolean } {
  const found = findPrice(prices, spec.provider, spec.modelId);
  return found
    ? { costUsd: costUsd(usage, found.price), priceKnown: true }
    : { costUsd: 0, priceKnown: false };
}

function headersToRecord(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

function errorMessageFromBody(body: unknown, text: string): string {
  const b = rec(body);
  const err = rec(b['error']);
  if (typeof err['message'] === 'string') return err['message'];
  if (typeof b['message'] === 'string') return b['message'];
  return text.slice(0, 300);
}

/**
 * POSTs `body` as JSON to `path` of the spec's API and returns the parsed JSON reply. Non-2xx
 * replies become LlmError (kind by status); 429/5xx/network errors are retried.
 */
export async function postJson<T = unknown>(
  spec: ModelSpec,
  path: string,
  body: unknown,
  options: HttpCallOptions = {},
): Promise<HttpCallResult<T>> {
  const url = endpointUrl(spec, path);
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const timeoutMs = options.timeoutMs ?? 120_000;
  const doFetch = options.fetch ?? globalThis.fetch;
  const startedAt = new Date();
  const t0 = performance.now();
  const record: LlmCallRecord = {
    provider: spec.provider,
    model: spec.id,
    role: options.role ?? null,
    url,
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    attempts: 0,
    status: null,
    request: redactForRecord(body),
    response: null,
    error: null,
  };
  const payload = JSON.stringify(body);
  const headers = { ...endpointHeaders(spec), ...options.headers };

  type Reply = { status: number; headers: Record<string, string>; body: unknown };
  try {
    const { value, attempts } = await withRetries<Reply>(
      async (signal, attempt) => {
        record.attempts = attempt;
        const res = await doFetch(url, { method: 'POST', headers, body: payload, signal });
        const text = await res.text();
        const resHeaders = headersToRecord(res.headers);
        record.status = res.status;
        let parsed: unknown;
        try {
          parsed = text === '' ? null : JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        record.response = redactForRecord(parsed === undefined ? text.slice(0, 2000) : parsed);
        if (!res.ok) {
          const retryable = isRetryableStatus(res.status);
          throw new HttpStatusError(
            res.status,
            resHeaders,
            errorMessageFromBody(parsed, text),
            retryable,
          );
        }
        if (parsed === undefined || parsed === null) {
          throw new HttpStatusError(
            res.status,
            resHeaders,
            'the response body is not JSON',
            true,
            'server',
          );
        }
        return { status: res.status, headers: resHeaders, body: parsed };
      },
      (error, ctx) => classifyFetchError(error, ctx, spec),
      { policy, timeoutMs, ...(options.signal ? { signal: options.signal } : {}) },
    );
    record.durationMs = Math.round(performance.now() - t0);
    const usage = extractUsage(spec.dialect, value.body);
    const price = priceUsage(spec, usage, options.prices);
    return {
      status: value.status,
      headers: value.headers,
      body: value.body as T,
      usage,
      ...price,
      durationMs: record.durationMs,
      attempts,
      record,
    };
  } catch (error) {
    record.durationMs = Math.round(performance.now() - t0);
    throw failedCall(error, record, record.attempts);
  }
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    message: string,
    readonly retryable: boolean,
    readonly kind = kindForStatus(status),
  ) {
    super(message);
  }
}

function classifyFetchError(
  error: unknown,
  ctx: { timedOut: boolean; attempts: number },
  spec: ModelSpec,
): ClassifiedFailure {
  if (ctx.timedOut) return timeoutFailure(error, ctx, spec);
  if (error instanceof HttpStatusError) {
    return {
      error: new LlmError(error.kind, `${spec.id}: HTTP ${error.status}: ${error.message}`, {
        status: error.status,
        attempts: ctx.attempts,
        retryable: error.retryable,
      }),
      retryAfterMs: parseRetryAfter(error.headers),
    };
  }
  return networkFailure(error, ctx, spec);
}

export interface ClassifiedFailure {
  error: LlmError;
  retryAfterMs: number | null;
}

/** The call ran out of time: not retried, the caller's budget is spent. */
export function timeoutFailure(
  error: unknown,
  ctx: { attempts: number },
  spec: ModelSpec,
): ClassifiedFailure {
  const message = `${spec.id}: no response within the timeout`;
  return {
    error: new LlmError('timeout', message, { attempts: ctx.attempts, cause: error }),
    retryAfterMs: null,
  };
}

/** No HTTP answer at all (refused, reset, DNS): worth retrying. */
export function networkFailure(
  error: unknown,
  ctx: { attempts: number },
  spec: ModelSpec,
): ClassifiedFailure {
  const message = `${spec.id}: network error: ${describeCause(error)}`;
  return {
    error: new LlmError('network', message, {
      attempts: ctx.attempts,
      retryable: true,
      cause: error,
    }),
    retryAfterMs: null,
  };
}

export function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error && cause.message) return `${error.message} (${cause.message})`;
  return error.message;
}
