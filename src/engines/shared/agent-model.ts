import { type Llm, LlmOutputError } from '../../llm/index.js';
import { type AgentModel, ModelOutputError } from '../ports.js';

/** The DOM engines' model port over the LLM layer. */
export function agentModelFromLlm(llm: Llm, mask: (text: string) => string = (t) => t): AgentModel {
  return {
    async complete(request) {
      const started = Date.now();
      try {
        const result = await llm.complete({
          role: request.role,
          system: mask(request.system),
          cacheSystemPrompt: true,
          messages: [
            {
              role: 'user',
              content: request.content.map((part) =>
                part.type === 'image' && part.image
                  ? { type: 'image' as const, data: part.image, mediaType: 'image/png' as const }
                  : { type: 'text' as const, text: mask(part.text ?? '') },
              ),
            },
          ],
          schema: request.schema,
          schemaName: request.schemaName,
          signal: request.signal,
        });
        return {
          json: result.json,
          text: result.text,
          usage: {
            inputTokens: result.usage.inputTokens,
            outputTokens: result.usage.outputTokens,
            costUsd: result.costUsd,
          },
          model: result.model,
          durationMs: result.durationMs,
        };
      } catch (err) {
        if (err instanceof LlmOutputError) {
          throw new ModelOutputError(
            err.feedback,
            err.text,
            {
              inputTokens: err.usage?.inputTokens ?? 0,
              outputTokens: err.usage?.outputTokens ?? 0,
              costUsd: err.costUsd,
            },
            err.model ?? '',
            Date.now() - started,
          );
        }
        throw err;
      }
    },
  };
}
