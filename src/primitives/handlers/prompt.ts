/** prompt: a plain model call (no page), JSON when a response schema is given. */
import type { JsonSchema } from '../../llm/index.js';
import { logged, type PrimitiveContext, PrimitiveError } from '../types.js';

export async function prompt(
  ctx: PrimitiveContext,
  request: { prompt: string; schema: JsonSchema | null },
): Promise<unknown> {
  const llm = ctx.llm;
  if (!llm) throw new PrimitiveError('no model is configured (set WREN_MODEL)', null, 'no_model');
  if (!request.prompt.trim()) throw new PrimitiveError('prompt: is empty', 'prompt', 'invalid');
  return logged(ctx, 'prompt (model)', async () => {
    const result = await llm.complete({
      role: 'actor',
      messages: [{ role: 'user', content: request.prompt }],
      ...(request.schema ? { schema: request.schema, schemaName: 'response' } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    ctx.calls.push(result);
    return request.schema ? result.json : result.text;
  });
}
