import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type LlmConfig, resolveModelConfig } from '../../../src/llm/index.js';

function ok(result: ReturnType<typeof resolveModelConfig>): LlmConfig {
  if (!result.ok) throw new Error(`expected ok, got: ${result.problem}`);
  return result.config;
}

function problem(result: ReturnType<typeof resolveModelConfig>): string {
  if (result.ok) throw new Error('expected a problem');
  return result.problem;
}

describe('resolveModelConfig', () => {
  it('explains what to set when nothing is configured', () => {
    const p = problem(resolveModelConfig({}));
    expect(p).toContain('WREN_MODEL=openai/gpt-5-mini');
    expect(p).toContain('OPENAI_API_KEY');
    expect(p).toContain('ANTHROPIC_API_KEY');
  });

  it('names the missing key for the chosen provider', () => {
    expect(problem(resolveModelConfig({ WREN_MODEL: 'anthropic/claude-sonnet-4-5' }))).toBe(
      'WREN_MODEL=anthropic/claude-sonnet-4-5 needs ANTHROPIC_API_KEY to be set',
    );
    expect(problem(resolveModelConfig({ WREN_MODEL: 'google/gemini-2.5-flash' }))).toContain(
      'GOOGLE_GENERATIVE_AI_API_KEY or GEMINI_API_KEY',
    );
  });

  it('rejects malformed and unknown model strings', () => {
    expect(problem(resolveModelConfig({ WREN_MODEL: 'gpt-5' }))).toContain(
      'must be provider/model',
    );
    expect(
      problem(resolveModelConfig({ WREN_MODEL: 'mistral/large', OPENAI_API_KEY: 'k' })),
    ).toContain('unknown provider "mistral"');
  });

  it('resolves each provider to its dialect, base URL and structured-output mode', () => {
    const env = { OPENAI_API_KEY: 'k1', ANTHROPIC_API_KEY: 'k2', GEMINI_API_KEY: 'k3' };
    const openai = ok(resolveModelConfig({ ...env, WREN_MODEL: 'openai/gpt-5-mini' })).roles.actor;
    expect(openai).toMatchObject({
      provider: 'openai',
      modelId: 'gpt-5-mini',
      dialect: 'openai-responses',
      baseUrl: 'https://api.openai.com/v1',
      structuredOutput: 'json-schema',
    });
    expect(openai.apiKey?.reveal()).toBe('k1');
    expect(
      ok(resolveModelConfig({ ...env, WREN_MODEL: 'openai-chat/gpt-4.1' })).roles.actor.dialect,
    ).toBe('openai-chat');
    const claude = ok(
      resolveModelConfig({
        ...env,
        WREN_MODEL: 'anthropic/claude-haiku-4-5',
        ANTHROPIC_BASE_URL: 'http://proxy:8080',
      }),
    ).roles.actor;
    // The Anthropic SDKs' base URL has no /v1; ours does.
    expect(claude.baseUrl).toBe('http://proxy:8080/v1');
    const gemini = ok(resolveModelConfig({ ...env, WREN_MODEL: 'google/gemini-2.5-flash' })).roles
      .actor;
    expect(gemini).toMatchObject({
      dialect: 'gemini',
      baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
    });
    expect(gemini.apiKey?.reveal()).toBe('k3');
  });

  it('builds Azure URLs from the resource name or endpoint', () => {
    const byName = ok(
      resolveModelConfig({
        WREN_MODEL: 'azure/prod-gpt',
        AZURE_API_KEY: 'a',
        AZURE_RESOURCE_NAME: 'acme',
      }),
    ).roles.actor;
    expect(byName.baseUrl).toBe('https://acme.openai.azure.com/openai');
    expect(byName.azureApiVersion).toBe('v1');
    const byEndpoint = ok(
      resolveModelConfig({
        WREN_MODEL: 'azure-chat/prod-gpt',
        AZURE_OPENAI_API_KEY: 'a',
        AZURE_OPENAI_ENDPOINT: 'https://acme.openai.azure.com/',
      }),
    ).roles.actor;
    expect(byEndpoint).toMatchObject({
      baseUrl: 'https://acme.openai.azure.com/openai',
      dialect: 'openai-chat',
    });
    expect(problem(resolveModelConfig({ WREN_MODEL: 'azure/x', AZURE_API_KEY: 'a' }))).toContain(
      'AZURE_RESOURCE_NAME or AZURE_BASE_URL',
    );
  });

  it('handles OpenAI-compatible servers and their presets', () => {
    expect(problem(resolveModelConfig({ WREN_MODEL: 'openai-compatible/llama3' }))).toContain(
      'WREN_OPENAI_COMPATIBLE_BASE_URL',
    );
    const vllm = ok(
      resolveModelConfig({
        WREN_MODEL: 'openai-compatible/qwen',
        WREN_OPENAI_COMPATIBLE_BASE_URL: 'http://10.0.0.5:8000/v1/',
      }),
    ).roles.actor;
    expect(vllm).toMatchObject({
      baseUrl: 'http://10.0.0.5:8000/v1',
      apiKey: null,
      dialect: 'openai-chat',
    });
    const ollama = ok(resolveModelConfig({ WREN_MODEL: 'ollama/qwen2.5vl:7b' })).roles.actor;
    expect(ollama).toMatchObject({ baseUrl: 'http://127.0.0.1:11434/v1', modelId: 'qwen2.5vl:7b' });
    const router = ok(
      resolveModelConfig({
        WREN_MODEL: 'openrouter/meta-llama/llama-3.3-70b',
        OPENROUTER_API_KEY: 'or',
      }),
    ).roles.actor;
    expect(router).toMatchObject({
      modelId: 'meta-llama/llama-3.3-70b',
      baseUrl: 'https://openrouter.ai/api/v1',
    });
    const ark = ok(resolveModelConfig({ WREN_MODEL: 'doubao/doubao-seed-1-6', ARK_API_KEY: 'ark' }))
      .roles.actor;
    expect(ark).toMatchObject({
      baseUrl: 'https://ark.cn-beijing.volces.com/api/v3',
      structuredOutput: 'json-object',
    });
    const prompted = ok(
      resolveModelConfig({
        WREN_MODEL: 'lmstudio/m',
        WREN_OPENAI_COMPATIBLE_STRUCTURED_OUTPUT: 'prompt',
      }),
    ).roles.actor;
    expect(prompted.structuredOutput).toBe('prompt');
    expect(
      problem(
        resolveModelConfig({
          WREN_MODEL: 'lmstudio/m',
          WREN_OPENAI_COMPATIBLE_STRUCTURED_OUTPUT: 'yes',
        }),
      ),
    ).toContain('json-schema, json-object or prompt');
  });

  it('picks a default model from the first key present when WREN_MODEL is unset', () => {
    expect(ok(resolveModelConfig({ ANTHROPIC_API_KEY: 'k' })).roles.actor.id).toBe(
      'anthropic/claude-sonnet-4-5',
    );
    expect(
      ok(resolveModelConfig({ OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'k' })).roles.actor.id,
    ).toBe('openai/gpt-5-mini');
  });

  it('gives every role WREN_MODEL unless a role variable overrides it', () => {
    const config = ok(
      resolveModelConfig({
        OPENAI_API_KEY: 'k',
        ANTHROPIC_API_KEY: 'a',
        WREN_MODEL: 'openai/gpt-5-mini',
        WREN_MODEL_VERIFIER: 'anthropic/claude-haiku-4-5',
        WREN_MODEL_EXTRACTOR: 'openai/gpt-5',
      }),
    );
    expect(Object.fromEntries(Object.entries(config.roles).map(([r, s]) => [r, s.id]))).toEqual({
      actor: 'openai/gpt-5-mini',
      verifier: 'anthropic/claude-haiku-4-5',
      extractor: 'openai/gpt-5',
      planner: 'openai/gpt-5-mini',
      classifier: 'openai/gpt-5-mini',
    });
    expect(
      problem(
        resolveModelConfig({
          OPENAI_API_KEY: 'k',
          WREN_MODEL: 'openai/gpt-5',
          WREN_MODEL_PLANNER: 'anthropic/x',
        }),
      ),
    ).toBe('WREN_MODEL_PLANNER=anthropic/x needs ANTHROPIC_API_KEY to be set');
  });

  it('applies the run request model override to every role', () => {
    const env = {
      OPENAI_API_KEY: 'k',
      WREN_MODEL: 'openai/gpt-5-mini',
      WREN_MODEL_VERIFIER: 'openai/gpt-5',
    };
    const bare = ok(resolveModelConfig(env, { model_name: 'gpt-4.1' }));
    expect(new Set(Object.values(bare.roles).map((s) => s.id))).toEqual(
      new Set(['openai/gpt-4.1']),
    );
    const prefixed = ok(resolveModelConfig(env, { model_name: 'openai-chat/gpt-4o' }));
    expect(prefixed.roles.verifier.id).toBe('openai-chat/gpt-4o');
    expect(problem(resolveModelConfig(env, { model_name: 42 }))).toContain(
      'model.model_name must be a non-empty string',
    );
    expect(problem(resolveModelConfig(env, { model_name: 'anthropic/claude-sonnet-4-5' }))).toBe(
      'model.model_name=anthropic/claude-sonnet-4-5 needs ANTHROPIC_API_KEY to be set',
    );
    // An override object without model_name changes nothing.
    expect(ok(resolveModelConfig(env, {})).roles.verifier.id).toBe('openai/gpt-5');
  });

  it('merges price overrides from inline JSON or a file and rejects bad ones', () => {
    const env = { OPENAI_API_KEY: 'k', WREN_MODEL: 'openai/gpt-5-mini' };
    const inline = ok(
      resolveModelConfig({
        ...env,
        WREN_MODEL_PRICES: '{"gpt-5-mini": {"input": 9, "output": 99}}',
      }),
    );
    expect(inline.prices['gpt-5-mini']).toEqual({ input: 9, output: 99 });
    expect(inline.prices['gpt-4.1']).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'wren-prices-'));
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ 'ollama/llava': { input: 0, output: 0 } }));
    expect(
      ok(resolveModelConfig({ ...env, WREN_MODEL_PRICES: file })).prices['ollama/llava'],
    ).toEqual({
      input: 0,
      output: 0,
    });
    expect(
      problem(resolveModelConfig({ ...env, WREN_MODEL_PRICES: '/nope/prices.json' })),
    ).toContain('file not found');
    expect(
      problem(
        resolveModelConfig({ ...env, WREN_MODEL_PRICES: '{"x": {"input": -1, "output": 1}}' }),
      ),
    ).toBe('WREN_MODEL_PRICES["x"].input: expected a non-negative number (USD per 1M tokens)');
    expect(problem(resolveModelConfig({ ...env, WREN_MODEL_PRICES: '{nope' }))).toContain(
      'not valid JSON',
    );
  });

  it('reads timeout and retry settings', () => {
    const env = { OPENAI_API_KEY: 'k', WREN_MODEL: 'openai/gpt-5-mini' };
    const config = ok(
      resolveModelConfig({ ...env, WREN_LLM_TIMEOUT_MS: '5000', WREN_LLM_MAX_RETRIES: '1' }),
    );
    expect(config.timeoutMs).toBe(5000);
    expect(config.retry.maxRetries).toBe(1);
    expect(problem(resolveModelConfig({ ...env, WREN_LLM_TIMEOUT_MS: 'soon' }))).toBe(
      'WREN_LLM_TIMEOUT_MS="soon" must be a non-negative integer',
    );
  });

  it('never prints API keys', () => {
    const config = ok(
      resolveModelConfig({ OPENAI_API_KEY: 'sk-very-secret', WREN_MODEL: 'openai/gpt-5-mini' }),
    );
    expect(JSON.stringify(config)).not.toContain('sk-very-secret');
    expect(inspect(config, { depth: 10 })).not.toContain('sk-very-secret');
    expect(String(config.roles.actor.apiKey)).toBe('[secret]');
  });
});
