/** How the DOM engines count and report their model calls. */
import type { ModelReply, ModelRequest } from '../ports.js';
import type { EngineEvent, Usage } from '../types.js';

export function addUsage(total: Usage, more: Usage): void {
  total.inputTokens += more.inputTokens;
  total.outputTokens += more.outputTokens;
  total.costUsd += more.costUsd;
}

/** The `model_call` event of one call: text parts of the prompt only (images are screenshots). */
export function modelCallEvent(
  stepIndex: number,
  request: Pick<ModelRequest, 'role' | 'system' | 'content'>,
  reply: ModelReply,
): EngineEvent {
  return {
    type: 'model_call',
    stepIndex,
    role: request.role,
    model: reply.model,
    durationMs: reply.durationMs,
    usage: reply.usage,
    prompt: {
      system: request.system,
      text: request.content
        .filter((p) => p.type === 'text')
        .map((p) => p.text ?? '')
        .join('\n'),
    },
    response: reply.text,
  };
}
