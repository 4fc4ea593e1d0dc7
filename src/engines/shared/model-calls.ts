/** How the DOM engines count and report their model calls. */
import {
  type AgentModel,
  ModelOutputError,
  type ModelReply,
  type ModelRequest,
  type ModelRole,
} from '../ports.js';
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

/**
 * One model call counted into `usage` and recorded as a `model_call` event of step `stepIndex`.
 * An unusable reply (ModelOutputError) was still billed: it is counted and recorded too before the
 * error goes on to the caller.
 */
export async function countedCall(
  model: AgentModel,
  request: ModelRequest,
  book: { usage: Usage; emit: (event: EngineEvent) => void; stepIndex: number },
): Promise<ModelReply> {
  let reply: ModelReply;
  try {
    reply = await model.complete(request);
  } catch (err) {
    if (err instanceof ModelOutputError) {
      addUsage(book.usage, err.usage);
      book.emit(modelCallEvent(book.stepIndex, request, err.asReply()));
    }
    throw err;
  }
  addUsage(book.usage, reply.usage);
  book.emit(modelCallEvent(book.stepIndex, request, reply));
  return reply;
}

/**
 * The request of a rendered prompt: its user text, then its images (screenshots), and the JSON
 * Schema the reply must follow.
 */
export function promptRequest(
  role: ModelRole,
  prompt: { system: string; user: string },
  reply: { schema: object; name: string },
  signal: AbortSignal,
  images: readonly Buffer[] = [],
): ModelRequest {
  return {
    role,
    system: prompt.system,
    content: [
      { type: 'text', text: prompt.user },
      ...images.map((image) => ({ type: 'image' as const, image })),
    ],
    schema: reply.schema as Record<string, unknown>,
    schemaName: reply.name,
    signal,
  };
}
