/**
 * Public types of the LLM layer. Engines code against these; provider wire formats stay inside
 * src/llm.
 */

/** What a model is used for in a run. Each role can point at a different model. */
export const MODEL_ROLES = ['actor', 'verifier', 'extractor', 'planner', 'classifier'] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

/** The wire protocol a model is reached with. */
export type ApiDialect = 'openai-responses' | 'openai-chat' | 'anthropic-messages' | 'gemini';

/**
 * How a JSON Schema is enforced for this model:
 * - `json-schema`: sent natively (OpenAI json_schema, Anthropic output format / json tool,
 *   Gemini responseSchema, compatible servers' json_schema);
 * - `json-object`: JSON mode only; the schema goes into the system prompt;
 * - `prompt`: nothing native; the schema goes into the system prompt.
 * In every mode the reply is parsed tolerantly, repaired and validated with ajv.
 */
export type StructuredOutputMode = 'json-schema' | 'json-object' | 'prompt';

export interface TokenUsage {
  /** All input tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache (subset of inputTokens). */
  cachedInputTokens: number;
  /** Input tokens written to the prompt cache (Anthropic), subset of inputTokens. */
  cacheWriteTokens: number;
  /** Reasoning tokens (subset of outputTokens) when the provider reports them. */
  reasoningTokens: number;
}

/** A text or image piece of a message. Images are bytes or base64 (no data: prefix). */
export type LlmContentPart =
  | { type: 'text'; text: string }
  | {
      type: 'image';
      data: Uint8Array | string;
      mediaType?: 'image/png' | 'image/jpeg' | 'image/webp';
    };

export interface LlmMessage {
  role: 'user' | 'assistant';
  content: string | LlmContentPart[];
}

/** A JSON Schema object (draft-07 / 2020-12 subset as providers accept it). */
export type JsonSchema = Record<string, unknown>;

export interface CompletionRequest {
  role: ModelRole;
  system?: string;
  messages: LlmMessage[];
  /** When given, the reply must be JSON valid against it; `json` holds the parsed value. */
  schema?: JsonSchema;
  /** Name of the schema for providers that want one ([a-zA-Z0-9_-], default "response"). */
  schemaName?: string;
  schemaDescription?: string;
  maxOutputTokens?: number;
  temperature?: number;
  /**
   * Reasoning effort for OpenAI-family reasoning models (gpt-5*, o*), also sent to compatible
   * servers as reasoning_effort. Other providers ignore it (with a warning in the result).
   */
  reasoningEffort?: 'minimal' | 'low' | 'medium' | 'high';
  /**
   * Mark the system prompt as a cache breakpoint (Anthropic `cache_control`), so repeated calls
   * with the same system prompt pay the cached input price. OpenAI and Gemini cache long prompt
   * prefixes on their own; for them this is a no-op.
   */
  cacheSystemPrompt?: boolean;
  /** Cancels the call (and any backoff wait). */
  signal?: AbortSignal;
  /** Per-attempt timeout; defaults to the configured one (WREN_LLM_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** What was sent and received, for artifacts. Images are replaced by short placeholders. */
export interface LlmCallRecord {
  provider: string;
  model: string;
  role: ModelRole | null;
  url: string | null;
  startedAt: string;
  durationMs: number;
  attempts: number;
  status: number | null;
  request: unknown;
  response: unknown;
  error: string | null;
}

export interface CompletionResult<T = unknown> {
  text: string;
  /** Parsed, repaired and schema-validated value when `schema` was given; else undefined. */
  json: T | undefined;
  usage: TokenUsage;
  /** 0 when no price is known for the model (see `priceKnown`). */
  costUsd: number;
  priceKnown: boolean;
  /** "provider/model" actually used. */
  model: string;
  role: ModelRole;
  finishReason: string;
  /** Provider/SDK warnings, e.g. a setting the model ignores. */
  warnings: string[];
  durationMs: number;
  attempts: number;
  record: LlmCallRecord;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails as rate limited. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 60_000,
};

export function emptyUsage(): TokenUsage {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  };
}

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
  };
}
