import { inspect } from 'node:util';
import { DEFAULT_PRICES, type PriceTable, parsePriceOverride } from './prices.js';
import {
  type ApiDialect,
  DEFAULT_RETRY_POLICY,
  MODEL_ROLES,
  type ModelRole,
  type RetryPolicy,
  type StructuredOutputMode,
} from './types.js';

export type Env = Record<string, string | undefined>;

/** An API key that never prints itself (logs, JSON, util.inspect). */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[secret]';
  }
  toJSON(): string {
    return '[secret]';
  }
  [inspect.custom](): string {
    return '[secret]';
  }
}

export const PROVIDER_IDS = [
  'openai',
  'openai-chat',
  'anthropic',
  'google',
  'azure',
  'azure-chat',
  'openai-compatible',
  'ollama',
  'vllm',
  'lmstudio',
  'openrouter',
  'doubao',
] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** Everything needed to call one model. */
export interface ModelSpec {
  provider: ProviderId;
  modelId: string;
  /** "provider/model" */
  id: string;
  dialect: ApiDialect;
  /**
   * API root without trailing slash, e.g. https://api.openai.com/v1,
   * https://api.anthropic.com/v1, https://generativelanguage.googleapis.com/v1beta.
   */
  baseUrl: string;
  apiKey: Secret | null;
  /** Extra headers sent with every request (never secrets; those go in apiKey). */
  headers: Record<string, string>;
  structuredOutput: StructuredOutputMode;
  /** Azure only: api-version query value (default "v1"). */
  azureApiVersion?: string;
}

export interface LlmConfig {
  roles: Record<ModelRole, ModelSpec>;
  prices: PriceTable;
  timeoutMs: number;
  retry: RetryPolicy;
}

export type ConfigResult = { ok: true; config: LlmConfig } | { ok: false; problem: string };

/** The request's `model` field (Skyvern contract: `{"model_name": "..."}`). */
export type ModelOverride = Record<string, unknown> | null | undefined;

interface ProviderInfo {
  dialect: ApiDialect;
  /** Env var holding the key; null = no key needed. */
  keyVars: string[];
  keyRequired: boolean;
  baseUrlVars: string[];
  defaultBaseUrl: string | null;
  structuredOutput: StructuredOutputMode;
  example: string;
  /** An OpenAI-compatible server (WREN_OPENAI_COMPATIBLE_STRUCTURED_OUTPUT applies). */
  compatible?: true;
}

const COMPAT_BASE = ['WREN_OPENAI_COMPATIBLE_BASE_URL'];
const COMPAT_KEY = ['WREN_OPENAI_COMPATIBLE_API_KEY'];

const OPENAI: ProviderInfo = {
  dialect: 'openai-responses',
  keyVars: ['OPENAI_API_KEY'],
  keyRequired: true,
  baseUrlVars: ['OPENAI_BASE_URL'],
  defaultBaseUrl: 'https://api.openai.com/v1',
  structuredOutput: 'json-schema',
  example: 'openai/gpt-5-mini',
};

const AZURE: ProviderInfo = {
  dialect: 'openai-responses',
  keyVars: ['AZURE_API_KEY', 'AZURE_OPENAI_API_KEY'],
  keyRequired: true,
  baseUrlVars: ['AZURE_BASE_URL', 'AZURE_OPENAI_ENDPOINT'],
  defaultBaseUrl: null,
  structuredOutput: 'json-schema',
  example: 'azure/<deployment>',
};

/**
 * A Chat Completions server: its own key and base-URL variables (if any) are read before the
 * generic WREN_OPENAI_COMPATIBLE_* ones.
 */
function chatServer(info: {
  keyVar?: string;
  baseUrlVar?: string;
  keyRequired?: boolean;
  defaultBaseUrl: string | null;
  structuredOutput?: StructuredOutputMode;
  example: string;
}): ProviderInfo {
  return {
    dialect: 'openai-chat',
    keyVars: info.keyVar ? [info.keyVar, ...COMPAT_KEY] : COMPAT_KEY,
    keyRequired: info.keyRequired ?? false,
    baseUrlVars: info.baseUrlVar ? [info.baseUrlVar, ...COMPAT_BASE] : COMPAT_BASE,
    defaultBaseUrl: info.defaultBaseUrl,
    structuredOutput: info.structuredOutput ?? 'json-schema',
    example: info.example,
    compatible: true,
  };
}

const PROVIDERS: Record<ProviderId, ProviderInfo> = {
  openai: OPENAI,
  'openai-chat': { ...OPENAI, dialect: 'openai-chat', example: 'openai-chat/gpt-4.1' },
  anthropic: {
    dialect: 'anthropic-messages',
    keyVars: ['ANTHROPIC_API_KEY'],
    keyRequired: true,
    baseUrlVars: ['ANTHROPIC_BASE_URL'],
    defaultBaseUrl: 'https://api.anthropic.com/v1',
    structuredOutput: 'json-schema',
    example: 'anthropic/claude-sonnet-4-5',
  },
  google: {
    dialect: 'gemini',
    keyVars: ['GOOGLE_GENERATIVE_AI_API_KEY', 'GEMINI_API_KEY'],
    keyRequired: true,
    baseUrlVars: ['GOOGLE_GENERATIVE_AI_BASE_URL'],
    defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta',
    structuredOutput: 'json-schema',
    example: 'google/gemini-2.5-flash',
  },
  azure: AZURE,
  'azure-chat': { ...AZURE, dialect: 'openai-chat', example: 'azure-chat/<deployment>' },
  'openai-compatible': chatServer({
    defaultBaseUrl: null,
    example: 'openai-compatible/<model>',
  }),
  ollama: chatServer({
    baseUrlVar: 'OLLAMA_BASE_URL',
    defaultBaseUrl: 'http://127.0.0.1:11434/v1',
    example: 'ollama/qwen2.5vl:7b',
  }),
  vllm: chatServer({
    keyVar: 'VLLM_API_KEY',
    baseUrlVar: 'VLLM_BASE_URL',
    defaultBaseUrl: 'http://127.0.0.1:8000/v1',
    example: 'vllm/<served-model-name>',
  }),
  lmstudio: chatServer({
    baseUrlVar: 'LMSTUDIO_BASE_URL',
    defaultBaseUrl: 'http://127.0.0.1:1234/v1',
    example: 'lmstudio/<model>',
  }),
  openrouter: chatServer({
    keyVar: 'OPENROUTER_API_KEY',
    baseUrlVar: 'OPENROUTER_BASE_URL',
    keyRequired: true,
    defaultBaseUrl: 'https://openrouter.ai/api/v1',
    example: 'openrouter/openai/gpt-5-mini',
  }),
  doubao: chatServer({
    keyVar: 'ARK_API_KEY',
    baseUrlVar: 'ARK_BASE_URL',
    keyRequired: true,
    defaultBaseUrl: 'https://ark.cn-beijing.volces.com/api/v3',
    structuredOutput: 'json-object',
    example: 'doubao/doubao-seed-1-6-250615',
  }),
};

const ROLE_ENV: Record<ModelRole, string> = {
  actor: 'WREN_MODEL_ACTOR',
  verifier: 'WREN_MODEL_VERIFIER',
  extractor: 'WREN_MODEL_EXTRACTOR',
  planner: 'WREN_MODEL_PLANNER',
  classifier: 'WREN_MODEL_CLASSIFIER',
};

const NOTHING_CONFIGURED =
  "No model is configured. Set WREN_MODEL=provider/model and that provider's key, e.g. " +
  'WREN_MODEL=openai/gpt-5-mini with OPENAI_API_KEY, WREN_MODEL=anthropic/claude-sonnet-4-5 with ' +
  'ANTHROPIC_API_KEY, WREN_MODEL=google/gemini-2.5-flash with GOOGLE_GENERATIVE_AI_API_KEY, or ' +
  'WREN_MODEL=ollama/<model> for a local Ollama (see docs/models.md).';

export function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}

function firstEnv(env: Env, names: string[]): { name: string; value: string } | null {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return null;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Resolves one "provider/model" string (from `source`, used in messages) into a ModelSpec. */
export function resolveModelSpec(
  value: string,
  env: Env,
  source = 'WREN_MODEL',
): { ok: true; spec: ModelSpec } | { ok: false; problem: string } {
  const text = value.trim();
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) {
    return {
      ok: false,
      problem: `${source}="${text}" must be provider/model, e.g. openai/gpt-5-mini; providers: ${PROVIDER_IDS.join(', ')}`,
    };
  }
  const provider = text.slice(0, slash);
  const modelId = text.slice(slash + 1);
  if (!isProviderId(provider)) {
    return {
      ok: false,
      problem: `${source}="${text}": unknown provider "${provider}"; use one of ${PROVIDER_IDS.join(', ')}`,
    };
  }
  const info = PROVIDERS[provider];
  const key = firstEnv(env, info.keyVars);
  if (info.keyRequired && !key) {
    return {
      ok: false,
      problem: `${source}=${text} needs ${info.keyVars.join(' or ')} to be set`,
    };
  }
  let baseUrl = firstEnv(env, info.baseUrlVars)?.value ?? info.defaultBaseUrl;
  if (provider === 'azure' || provider === 'azure-chat') {
    const resource = env['AZURE_RESOURCE_NAME']?.trim();
    if (!baseUrl && resource) baseUrl = `https://${resource}.openai.azure.com/openai`;
    if (!baseUrl) {
      return {
        ok: false,
        problem: `${source}=${text} needs AZURE_RESOURCE_NAME or AZURE_BASE_URL (e.g. https://<resource>.openai.azure.com/openai)`,
      };
    }
    // AZURE_OPENAI_ENDPOINT is usually the bare resource URL.
    if (/\.openai\.azure\.com\/?$/.test(baseUrl)) baseUrl = `${trimSlash(baseUrl)}/openai`;
  }
  if (!baseUrl) {
    return {
      ok: false,
      problem: `${source}=${text} needs ${info.baseUrlVars.join(' or ')} (the server's OpenAI-compatible /v1 URL, e.g. http://127.0.0.1:8000/v1)`,
    };
  }
  baseUrl = trimSlash(baseUrl);
  // The Anthropic SDKs' ANTHROPIC_BASE_URL convention omits /v1.
  if (provider === 'anthropic' && !baseUrl.endsWith('/v1')) baseUrl = `${baseUrl}/v1`;
  try {
    new URL(baseUrl);
  } catch {
    return { ok: false, problem: `${source}=${text}: base URL "${baseUrl}" is not a valid URL` };
  }

  let structuredOutput = info.structuredOutput;
  const soVar = env['WREN_OPENAI_COMPATIBLE_STRUCTURED_OUTPUT']?.trim();
  if (soVar && info.compatible) {
    if (soVar !== 'json-schema' && soVar !== 'json-object' && soVar !== 'prompt') {
      return {
        ok: false,
        problem: `WREN_OPENAI_COMPATIBLE_STRUCTURED_OUTPUT="${soVar}" must be json-schema, json-object or prompt`,
      };
    }
    structuredOutput = soVar;
  }

  const headers: Record<string, string> = {};
  if (provider === 'openrouter') {
    headers['HTTP-Referer'] = env['OPENROUTER_REFERER']?.trim() || 'https://github.com/wren';
    headers['X-Title'] = 'Wren';
  }
  if ((provider === 'openai' || provider === 'openai-chat') && env['OPENAI_ORGANIZATION']) {
    headers['OpenAI-Organization'] = env['OPENAI_ORGANIZATION'].trim();
  }
  if ((provider === 'openai' || provider === 'openai-chat') && env['OPENAI_PROJECT']) {
    headers['OpenAI-Project'] = env['OPENAI_PROJECT'].trim();
  }

  const spec: ModelSpec = {
    provider,
    modelId,
    id: `${provider}/${modelId}`,
    dialect: info.dialect,
    baseUrl,
    apiKey: key ? new Secret(key.value) : null,
    headers,
    structuredOutput,
  };
  if (provider === 'azure' || provider === 'azure-chat') {
    spec.azureApiVersion = env['AZURE_API_VERSION']?.trim() || 'v1';
  }
  return { ok: true, spec };
}

/** When WREN_MODEL is unset, pick a sensible default from the first provider key present. */
function defaultModel(env: Env): string | null {
  if (env['OPENAI_API_KEY']?.trim()) return 'openai/gpt-5-mini';
  if (env['ANTHROPIC_API_KEY']?.trim()) return 'anthropic/claude-sonnet-4-5';
  if (env['GOOGLE_GENERATIVE_AI_API_KEY']?.trim() || env['GEMINI_API_KEY']?.trim()) {
    return 'google/gemini-2.5-flash';
  }
  return null;
}

function positiveInt(env: Env, name: string, fallback: number): number | string {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) return `${name}="${raw}" must be a non-negative integer`;
  return n;
}

/**
 * Reads the model configuration from the environment. `override` is the run request's `model`
 * field: `{model_name: "provider/model"}` (or a bare model id, which keeps WREN_MODEL's
 * provider); it replaces the model of every role for that run.
 */
export function resolveModelConfig(env: Env, override?: ModelOverride): ConfigResult {
  const base = env['WREN_MODEL']?.trim() || defaultModel(env);
  let defaultSpec: ModelSpec | null = null;
  if (base) {
    const r = resolveModelSpec(
      base,
      env,
      env['WREN_MODEL']?.trim() ? 'WREN_MODEL' : 'default model',
    );
    if (!r.ok) return r;
    defaultSpec = r.spec;
  }

  let runSpec: ModelSpec | null = null;
  if (override !== null && override !== undefined) {
    const name = override['model_name'];
    if (name !== undefined && name !== null) {
      if (typeof name !== 'string' || name.trim() === '') {
        return {
          ok: false,
          problem: 'model.model_name must be a non-empty string such as "openai/gpt-5-mini"',
        };
      }
      let full = name.trim();
      const prefix = full.split('/')[0] ?? '';
      if (!full.includes('/') || !isProviderId(prefix)) {
        if (!defaultSpec) {
          return {
            ok: false,
            problem: `model.model_name="${full}" has no provider prefix and WREN_MODEL is not set; use provider/model, e.g. openai/${full}`,
          };
        }
        full = `${defaultSpec.provider}/${full}`;
      }
      const r = resolveModelSpec(full, env, 'model.model_name');
      if (!r.ok) return r;
      runSpec = r.spec;
    }
  }

  const roles = {} as Record<ModelRole, ModelSpec>;
  for (const role of MODEL_ROLES) {
    if (runSpec) {
      roles[role] = runSpec;
      continue;
    }
    const roleValue = env[ROLE_ENV[role]]?.trim();
    if (roleValue) {
      const r = resolveModelSpec(roleValue, env, ROLE_ENV[role]);
      if (!r.ok) return r;
      roles[role] = r.spec;
    } else if (defaultSpec) {
      roles[role] = defaultSpec;
    } else {
      return { ok: false, problem: NOTHING_CONFIGURED };
    }
  }

  let prices: PriceTable = { ...DEFAULT_PRICES };
  const priceVar = env['WREN_MODEL_PRICES']?.trim();
  if (priceVar) {
    const r = parsePriceOverride(priceVar);
    if (!r.ok) return r;
    prices = { ...prices, ...r.prices };
  }

  const timeoutMs = positiveInt(env, 'WREN_LLM_TIMEOUT_MS', 120_000);
  if (typeof timeoutMs === 'string') return { ok: false, problem: timeoutMs };
  const maxRetries = positiveInt(env, 'WREN_LLM_MAX_RETRIES', DEFAULT_RETRY_POLICY.maxRetries);
  if (typeof maxRetries === 'string') return { ok: false, problem: maxRetries };

  return {
    ok: true,
    config: { roles, prices, timeoutMs, retry: { ...DEFAULT_RETRY_POLICY, maxRetries } },
  };
}

export { ROLE_ENV };
