/** Maps a ModelSpec to an AI SDK language model. The only place that knows the AI SDK factories. */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createAzure } from '@ai-sdk/azure';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
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

export function languageModelFor(spec: ModelSpec, fetch?: typeof globalThis.fetch): LanguageModel {
  const apiKey = spec.apiKey?.reveal();
  const common = {
    baseURL: spec.baseUrl,
    headers: spec.headers,
    ...(fetch ? { fetch } : {}),
  };
  switch (spec.provider) {
    case 'openai':
      return createOpenAI({ ...common, apiKey: apiKey ?? '' }).responses(spec.modelId);
    case 'openai-chat':
      return createOpenAI({ ...common, apiKey: apiKey ?? '' }).chat(spec.modelId);
    case 'anthropic':
      return createAnthropic({ ...common, apiKey: apiKey ?? '' })(spec.modelId);
    case 'google':
      return createGoogleGenerativeAI({ ...common, apiKey: apiKey ?? '' })(spec.modelId);
    case 'azure':
    case 'azure-chat': {
      const azure = createAzure({
        ...common,
        apiKey: apiKey ?? '',
        apiVersion: spec.azureApiVersion ?? 'v1',
      });
      return spec.provider === 'azure' ? azure.responses(spec.modelId) : azure.chat(spec.modelId);
    }
    default:
      return createOpenAICompatible({
        name: 'compatible',
        ...common,
        ...(apiKey ? { apiKey } : {}),
        includeUsage: true,
        supportsStructuredOutputs: spec.structuredOutput === 'json-schema',
      })(spec.modelId);
  }
}
