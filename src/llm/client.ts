import type { ModelMessage, OutputInterface as Output } from 'ai';
import type { LlmConfig, ModelSpec } from './config.js';
import { failedCall, LlmError, LlmOutputError } from './errors.js';
import {
  type ClassifiedFailure,
  describeCause,
  extractUsage,
  type HttpCallOptions,
  type HttpCallResult,
  networkFailure,
  postJson,
  priceUsage,
  timeoutFailure,
} from './http.js';
import { isStrictCompatible, parseJsonLoose, schemaInstruction, validateJson } from './json.js';
import { languageModelFor, providerOptionsKey } from './providers.js';
import { parseMaybeJson, redactForRecord } from './records.js';
import { isRetryableStatus, kindForStatus, parseRetryAfter, withRetries } from './retry.js';
import type {
  CompletionRequest,
  CompletionResult,
  LlmCallRecord,
  LlmMessage,
  ModelRole,
} from './types.js';

/** The interface engines use. */
export interface Llm {
  readonly config: LlmConfig;
  /** One model call for a role: text, or schema-validated JSON when `schema` is given. */
  complete<T = unknown>(request: CompletionRequest): Promise<CompletionResult<T>>;
  /** The model a role uses. */
  modelFor(role: ModelRole): ModelSpec;
  /**
   * Raw JSON POST to the role model's API (e.g. "/responses", "/messages") with the layer's
   * auth, retries, timeout, usage, cost and record. For protocols the AI SDK does not cover.
   */
  post<T = unknown>(
    role: ModelRole,
    path: string,
    body: unknown,
    options?: Omit<HttpCallOptions, 'role' | 'prices'>,
  ): Promise<HttpCallResult<T>>;
}

export interface CreateLlmOptions {
  /** Replaces global fetch (tests, proxies). */
  fetch?: typeof globalThis.fetch;
  /** Jitter source for backoff (tests). */
  random?: () => number;
}

export function createLlm(config: LlmConfig, options: CreateLlmOptions = {}): Llm {
  // The AI SDK prints provider warnings to the console; we return them in each result instead.
  const g = globalThis as { AI_SDK_LOG_WARNINGS?: unknown };
  if (g.AI_SDK_LOG_WARNINGS === undefined) g.AI_SDK_LOG_WARNINGS = false;
  return {
    config,
    modelFor: (role) => config.roles[role],
    complete: (request) => complete(config, options, request),
    post: (role, path, body, callOptions = {}) =>
      postJson(config.roles[role], path, body, {
        timeoutMs: config.timeoutMs,
        retry: config.retry,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...callOptions,
        role,
        prices: config.prices,
      }),
  };
}

function toModelMessages(messages: LlmMessage[]): ModelMessage[] {
  return messages.map((m): ModelMessage => {
    if (typeof m.content === 'string') {
      return m.role === 'user'
        ? { role: 'user', content: m.content }
        : { role: 'assistant', content: m.content };
    }
    if (m.role === 'assistant') {
      const text = m.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
      return { role: 'assistant', content: text };
    }
    return {
      role: 'user',
      content: m.content.map((p) =>
        p.type === 'text'
          ? { type: 'text' as const, text: p.text }
          : { type: 'image' as const, image: p.data, mediaType: p.mediaType ?? 'image/png' },
      ),
    };
  });
}

/** An AI SDK Output that asks for the provider's JSON mode but leaves parsing to us. */
function rawJsonOutput(
  schema: Record<string, unknown> | undefined,
  name: string,
  description?: string,
): Output<string, string> {
  return {
    name: 'wren-json',
    responseFormat: Promise.resolve(
      schema
        ? { type: 'json' as const, schema, name, ...(description ? { description } : {}) }
        : { type: 'json' as const },
    ),
    parseCompleteOutput: async ({ text }: { text: string }) => text,
    parsePartialOutput: async ({ text }: { text: string }) => ({ partial: text }),
    createElementStreamTransform: () => undefined,
  } as Output<string, string>;
}

interface WireCapture {
  url: string | null;
  status: number | null;
  requestBody: unknown;
  responseBody: unknown;
}

function capturingFetch(
  base: typeof globalThis.fetch,
  capture: WireCapture,
): typeof globalThis.fetch {
  return async (input, init) => {
    capture.url =
      typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    capture.requestBody = typeof init?.body === 'string' ? parseMaybeJson(init.body) : null;
    capture.status = null;
    capture.responseBody = null;
    const res = await base(input, init);
    capture.status = res.status;
    try {
      capture.responseBody = parseMaybeJson(await res.clone().text());
    } catch {
      capture.responseBody = null;
    }
    return res;
  };
}

async function complete<T>(
  config: LlmConfig,
  options: CreateLlmOptions,
  request: CompletionRequest,
): Promise<CompletionResult<T>> {
  const spec = config.roles[request.role];
  if (!spec) throw new LlmError('config', `Unknown model role "${String(request.role)}"`);
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    throw new LlmError('bad_request', 'complete(): messages must contain at least one message');
  }
  const schema = request.schema;
  const schemaName = (request.schemaName ?? 'response')
    .replace(/[^a-zA-Z0-9_-]/g, '_')
    .slice(0, 64);

  let system = request.system ?? '';
  let output: Output<string, string> | undefined;
  if (schema) {
    if (spec.structuredOutput === 'json-schema') {
      output = rawJsonOutput(schema, schemaName, request.schemaDescription);
    } else {
      system = `${system}${system ? '\n\n' : ''}${schemaInstruction(schema, schemaName)}`;
      if (spec.structuredOutput === 'json-object') output = rawJsonOutput(undefined, schemaName);
    }
  }
  const own: Record<string, string | boolean> = {};
  if (schema && spec.structuredOutput === 'json-schema')
    own['strictJsonSchema'] = isStrictCompatible(schema);
  const extraWarnings: string[] = [];
  if (request.reasoningEffort) {
    if (spec.dialect === 'openai-responses' || spec.dialect === 'openai-chat') {
      own['reasoningEffort'] = request.reasoningEffort;
    } else {
      extraWarnings.push(`unsupported: reasoningEffort (ignored for ${spec.provider})`);
    }
  }
  const providerOptions =
    Object.keys(own).length > 0 ? { [providerOptionsKey(spec)]: own } : undefined;

  const capture: WireCapture = { url: null, status: null, requestBody: null, responseBody: null };
  const { APICallError, generateText } = await import('ai');
  const model = await languageModelFor(
    spec,
    capturingFetch(options.fetch ?? globalThis.fetch, capture),
  );
  const messages = toModelMessages(request.messages);
  const startedAt = new Date();
  const t0 = performance.now();
  const record: LlmCallRecord = {
    provider: spec.provider,
    model: spec.id,
    role: request.role,
    url: null,
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    attempts: 0,
    status: null,
    request: null,
    response: null,
    error: null,
  };
  const fillRecord = (attempts: number) => {
    record.url = capture.url;
    record.status = capture.status;
    record.request = redactForRecord(capture.requestBody);
    record.response = redactForRecord(capture.responseBody);
    record.attempts = attempts;
    record.durationMs = Math.round(performance.now() - t0);
  };

  let result: Awaited<ReturnType<typeof import('ai').generateText>>;
  let attempts: number;
  try {
    const done = await withRetries(
      (signal) =>
        generateText({
          model,
          ...(system
            ? {
                system:
                  request.cacheSystemPrompt && spec.provider === 'anthropic'
                    ? {
                        role: 'system' as const,
                        content: system,
                        providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } },
                      }
                    : system,
              }
            : {}),
          allowSystemInMessages: false,
          messages,
          maxRetries: 0,
          abortSignal: signal,
          ...(output ? { output } : {}),
          ...(providerOptions ? { providerOptions } : {}),
          ...(request.maxOutputTokens !== undefined
            ? { maxOutputTokens: request.maxOutputTokens }
            : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        }),
      (error, ctx) => classifySdkError(error, ctx, spec, APICallError),
      {
        policy: config.retry,
        timeoutMs: request.timeoutMs ?? config.timeoutMs,
        ...(request.signal ? { signal: request.signal } : {}),
        ...(options.random ? { random: options.random } : {}),
      },
    );
    result = done.value;
    attempts = done.attempts;
  } catch (error) {
    fillRecord(error instanceof LlmError ? error.attempts : 0);
    throw failedCall(error, record, undefined, describeCause);
  }
  fillRecord(attempts);

  const text = result.text;
  const usage =
    capture.responseBody && typeof capture.responseBody === 'object'
      ? extractUsage(spec.dialect, capture.responseBody)
      : {
          inputTokens: result.usage.inputTokens ?? 0,
          outputTokens: result.usage.outputTokens ?? 0,
          cachedInputTokens: result.usage.inputTokenDetails?.cacheReadTokens ?? 0,
          cacheWriteTokens: result.usage.inputTokenDetails?.cacheWriteTokens ?? 0,
          reasoningTokens: result.usage.outputTokenDetails?.reasoningTokens ?? 0,
        };
  const price = priceUsage(spec, usage, config.prices);

  let json: T | undefined;
  if (schema) {
    const parsed = parseJsonLoose(text);
    const billed = { attempts, record, usage, costUsd: price.costUsd, model: spec.id };
    if (!parsed.ok) throw new LlmOutputError(text, [parsed.problem], billed);
    const check = validateJson(schema, parsed.value);
    if (!check.ok) throw new LlmOutputError(text, check.problems, billed);
    json = parsed.value as T;
  }

  return {
    text,
    json,
    usage,
    ...price,
    model: spec.id,
    role: request.role,
    finishReason: result.finishReason,
    warnings: [
      ...extraWarnings,
      ...(result.warnings ?? []).map((w) =>
        'feature' in w
          ? `${w.type}: ${w.feature}${w.details ? ` (${w.details})` : ''}`
          : `${w.type}: ${w.message}`,
      ),
    ],
    durationMs: record.durationMs,
    attempts,
    record,
  };
}

function classifySdkError(
  error: unknown,
  ctx: { timedOut: boolean; attempts: number },
  spec: ModelSpec,
  APICallError: typeof import('ai').APICallError,
): ClassifiedFailure {
  if (ctx.timedOut) return timeoutFailure(error, ctx, spec);
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    if (status === undefined) return networkFailure(error, ctx, spec);
    if (status >= 200 && status < 300) {
      // A 2xx body the SDK could not parse: a provider glitch worth retrying.
      return {
        error: new LlmError('server', `${spec.id}: malformed response: ${describeCause(error)}`, {
          status,
          attempts: ctx.attempts,
          retryable: true,
          cause: error,
        }),
        retryAfterMs: null,
      };
    }
    return {
      error: new LlmError(kindForStatus(status), `${spec.id}: HTTP ${status}: ${error.message}`, {
        status,
        attempts: ctx.attempts,
        retryable: isRetryableStatus(status),
        cause: error,
      }),
      retryAfterMs: parseRetryAfter(error.responseHeaders),
    };
  }
  const name = error instanceof Error ? error.name : '';
  // A 2xx body the SDK could not parse or that lacks required fields: a provider glitch.
  if (/JSONParseError|TypeValidationError|InvalidResponseDataError/.test(name)) {
    return {
      error: new LlmError('server', `${spec.id}: malformed response: ${describeCause(error)}`, {
        attempts: ctx.attempts,
        retryable: true,
        cause: error,
      }),
      retryAfterMs: null,
    };
  }
  return {
    error: new LlmError('network', `${spec.id}: ${describeCause(error)}`, {
      attempts: ctx.attempts,
      retryable:
        name === 'TypeError' || /ECONNRESET|ECONNREFUSED|ETIMEDOUT|socket/i.test(String(error)),
      cause: error,
    }),
    retryAfterMs: null,
  };
}
