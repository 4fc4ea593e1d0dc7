import { type Llm, LlmOutputError } from '../../llm/index.js';
import { type AgentModel, ModelOutputError } from '../ports.js';

/** The DOM engines' model port over the LLM layer. */
export function agentModelFromLlm(llm: Llm): AgentModel {
  return {
    async complete(request) {
      try {
        const result = await llm.complete({
          role: request.role,
          system: request.system,
          cacheSystemPrompt: true,
          messages: [
            {
              role: 'user',
              content: request.content.map((part) =>
                part.type === 'image' && part.image
                  ? { type: 'image' as const, data: part.image, mediaType: 'image/png' as const }
                  : { type: 'text' as const, text: part.text ?? '' },
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
        if (err instanceof LlmOutputError) throw new ModelOutputError(err.feedback, err.text);
        throw err;
      }
    },
  };
}
