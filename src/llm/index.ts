export { type CreateLlmOptions, createLlm, type Llm } from './client.js';
export {
  type ConfigResult,
  type Env,
  type LlmConfig,
  type ModelOverride,
  type ModelSpec,
  PROVIDER_IDS,
  type ProviderId,
  ROLE_ENV,
  resolveModelConfig,
  resolveModelSpec,
  Secret,
} from './config.js';
export { isLlmError, LlmError, type LlmErrorKind, LlmOutputError } from './errors.js';
export {
  ANTHROPIC_VERSION,
  endpointHeaders,
  endpointUrl,
  extractUsage,
  type HttpCallOptions,
  type HttpCallResult,
  postJson,
  priceUsage,
} from './http.js';
export { findJsonSpan, parseJsonLoose, validateJson } from './json.js';
export {
  costUsd,
  DEFAULT_PRICES,
  findPrice,
  type ModelPrice,
  type PriceTable,
  parsePriceOverride,
} from './prices.js';
export { redactForRecord } from './records.js';
export { parseRetryAfter } from './retry.js';
export * from './types.js';
