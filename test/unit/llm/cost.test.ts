import { describe, expect, it } from 'vitest';
import {
  costUsd,
  DEFAULT_PRICES,
  DEFAULT_RETRY_POLICY,
  emptyUsage,
  extractUsage,
  findPrice,
  parseRetryAfter,
  redactForRecord,
} from '../../../src/llm/index.js';
import { backoffDelay } from '../../../src/llm/retry.js';

describe('findPrice', () => {
  it('matches the longest prefix at a token boundary', () => {
    expect(findPrice(DEFAULT_PRICES, 'openai', 'gpt-5-mini')?.key).toBe('gpt-5-mini');
    expect(findPrice(DEFAULT_PRICES, 'openai', 'gpt-5-2025-08-07')?.key).toBe('gpt-5');
    expect(findPrice(DEFAULT_PRICES, 'anthropic', 'claude-sonnet-4-5-20250929')?.key).toBe(
      'claude-sonnet-4',
    );
    expect(findPrice(DEFAULT_PRICES, 'google', 'gemini-2.5-flash-lite')?.key).toBe(
      'gemini-2.5-flash-lite',
    );
    expect(findPrice(DEFAULT_PRICES, 'openai', 'gpt-5x')).toBeNull();
    expect(findPrice(DEFAULT_PRICES, 'ollama', 'llava')).toBeNull();
  });

  it('prefers a provider-qualified key', () => {
    const table = {
      'gpt-4.1': { input: 2, output: 8 },
      'azure/gpt-4.1': { input: 2.2, output: 8.8 },
    };
    expect(findPrice(table, 'azure', 'gpt-4.1')?.price.input).toBe(2.2);
    expect(findPrice(table, 'openai', 'gpt-4.1')?.price.input).toBe(2);
  });
});

describe('costUsd', () => {
  it('prices plain, cached, cache-write and output tokens per 1M', () => {
    const usage = {
      ...emptyUsage(),
      inputTokens: 1_000_000,
      cachedInputTokens: 400_000,
      cacheWriteTokens: 100_000,
      outputTokens: 10_000,
    };
    // 500k plain * 3 + 400k cached * 0.3 + 100k written * 3.75 + 10k out * 15
    expect(
      costUsd(usage, { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 }),
    ).toBeCloseTo(1.5 + 0.12 + 0.375 + 0.15, 10);
    // Without cache prices, cached tokens cost like input.
    expect(
      costUsd(
        { ...emptyUsage(), inputTokens: 2000, cachedInputTokens: 1000, outputTokens: 500 },
        { input: 1, output: 2 },
      ),
    ).toBeCloseTo(0.003, 10);
  });
});

describe('extractUsage', () => {
  it('reads each dialect, counting Anthropic cache tokens as input', () => {
    expect(
      extractUsage('openai-responses', {
        usage: {
          input_tokens: 100,
          output_tokens: 20,
          input_tokens_details: { cached_tokens: 60 },
          output_tokens_details: { reasoning_tokens: 5 },
        },
      }),
    ).toEqual({
      inputTokens: 100,
      outputTokens: 20,
      cachedInputTokens: 60,
      cacheWriteTokens: 0,
      reasoningTokens: 5,
    });
    expect(
      extractUsage('openai-chat', {
        usage: {
          prompt_tokens: 50,
          completion_tokens: 7,
          prompt_tokens_details: { cached_tokens: 10 },
        },
      }),
    ).toMatchObject({ inputTokens: 50, outputTokens: 7, cachedInputTokens: 10 });
    expect(
      extractUsage('anthropic-messages', {
        usage: {
          input_tokens: 30,
          cache_read_input_tokens: 200,
          cache_creation_input_tokens: 70,
          output_tokens: 9,
        },
      }),
    ).toEqual({
      inputTokens: 300,
      outputTokens: 9,
      cachedInputTokens: 200,
      cacheWriteTokens: 70,
      reasoningTokens: 0,
    });
    expect(
      extractUsage('gemini', {
        usageMetadata: {
          promptTokenCount: 40,
          candidatesTokenCount: 8,
          thoughtsTokenCount: 12,
          cachedContentTokenCount: 4,
        },
      }),
    ).toEqual({
      inputTokens: 40,
      outputTokens: 20,
      cachedInputTokens: 4,
      cacheWriteTokens: 0,
      reasoningTokens: 12,
    });
    expect(extractUsage('openai-chat', { nothing: true })).toEqual(emptyUsage());
  });
});

describe('retry helpers', () => {
  it('parses Retry-After seconds, HTTP dates and retry-after-ms', () => {
    expect(parseRetryAfter({ 'Retry-After': '2' })).toBe(2000);
    expect(parseRetryAfter({ 'retry-after-ms': '150', 'retry-after': '9' })).toBe(150);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now)).toBe(5000);
    expect(parseRetryAfter({ 'retry-after': 'soon' })).toBeNull();
    expect(parseRetryAfter({})).toBeNull();
  });

  it('grows the backoff exponentially with jitter between 50% and 100%, capped', () => {
    expect(backoffDelay(0, DEFAULT_RETRY_POLICY, () => 0)).toBe(250);
    expect(backoffDelay(0, DEFAULT_RETRY_POLICY, () => 1)).toBe(500);
    expect(backoffDelay(3, DEFAULT_RETRY_POLICY, () => 1)).toBe(4000);
    expect(backoffDelay(20, DEFAULT_RETRY_POLICY, () => 1)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
  });
});

describe('redactForRecord', () => {
  it('replaces image payloads with placeholders and keeps the rest', () => {
    const b64 = 'A'.repeat(2000);
    expect(
      redactForRecord({
        model: 'm',
        input: [
          { type: 'input_image', image_url: `data:image/png;base64,${b64}` },
          { source: { data: b64 } },
          'short text',
        ],
      }),
    ).toEqual({
      model: 'm',
      input: [
        { type: 'input_image', image_url: '[image/png base64, 2000 chars]' },
        { source: { data: '[base64, 2000 chars]' } },
        'short text',
      ],
    });
  });

  it('replaces short bare base64 next to a media type (Anthropic, Gemini)', () => {
    expect(
      redactForRecord([
        { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
        { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } },
      ]),
    ).toEqual([
      { type: 'base64', media_type: 'image/png', data: '[image/png base64, 12 chars]' },
      { inlineData: { mimeType: 'image/jpeg', data: '[image/jpeg base64, 8 chars]' } },
    ]);
  });
});
