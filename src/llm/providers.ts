/**
 * Maps a ModelSpec to an AI SDK language model. The only place that knows the AI SDK factories.
 * Each provider package is imported on its first use: a process loads only the providers it
 * calls, and a start (server, CLI, test file) pays for none of them (docs/decisions.md).
 */
import type { LanguageModel } from 'ai';
import type { ModelSpec } from './config.js';

/** The providerOptions key the AI SDK reads for each of our providers. */
export function providerOptionsKey(spec: ModelSpec): string {
  switch (spec.provider) {
    case 'openai':
    case 'openai-chat':
      return 'openai';
    case 'azure':
    case 'azure-chat':
      return 'azure';
    case 'anthropic':
      return 'anthropic';
    case 'google':
      return 'google';
    default:
      return 'compatible';
  }
}

export async function languageModelFor(
  spec: ModelSpec,
  fetch?: typeof globalThis.fetch,
): Promise<LanguageModel> {
  const apiKey = spec.apiKey?.reveal();
  const common = {
    baseURL: spec.baseUrl,
    headers: spec.headers,
    ...(fetch ? { fetch } : {}),
  };
  switch (spec.provider) {
    case 'openai': {
      const { createOpenAI } = await import('@ai-sdk/openai');
      return createOpenAI({ ...common, apiKey: apiKey ?? '' }).responses(spec.modelId);
    }
    case 'openai-chat': {
      const { createOpenAI } = await import('@ai-sdk/openai');
      return createOpenAI({ ...common, apiKey: apiKey ?? '' }).chat(spec.modelId);
    }
    case 'anthropic': {
      const { createAnthropic } = await import('@ai-sdk/anthropic');
      return createAnthropic({ ...common, apiKey: apiKey ?? '' })(spec.modelId);
    }
    case 'google': {
      const { createGoogleGenerativeAI } = await import('@ai-sdk/google');
      return createGoogleGenerativeAI({ ...common, apiKey: apiKey ?? '' })(spec.modelId);
    }
    case 'azure':
    case 'azure-chat': {
      const { createAzure } = await import('@ai-sdk/azure');
      const azure = createAzure({
        ...common,
        apiKey: apiKey ?? '',
        apiVersion: spec.azureApiVersion ?? 'v1',
      });
      return spec.provider === 'azure' ? azure.responses(spec.modelId) : azure.chat(spec.modelId);
    }
    default: {
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      return createOpenAICompatible({
        name: 'compatible',
        ...common,
        ...(apiKey ? { apiKey } : {}),
        includeUsage: true,
        supportsStructuredOutputs: spec.structuredOutput === 'json-schema',
      })(spec.modelId);
    }
  }
}
