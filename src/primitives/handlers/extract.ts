/**
 * extract: data from the page, as JSON valid against the caller's schema (the LLM layer validates
 * with ajv and repairs; an invalid answer fails the call with the reason).
 */
import type { JsonSchema } from '../../llm/index.js';
import { askModel, pageForModel } from '../model.js';
import { logged, type PrimitiveContext, PrimitiveError } from '../types.js';

const SYSTEM =
  'You extract data from a web page for a user. Answer only with JSON matching the schema, ' +
  'using what the page shows; use null for what is not on the page. Never invent values.';

/** A JSON Schema from Skyvern's `extract_schema` (object, JSON text, or null). */
export function extractSchemaOf(raw: unknown, field = 'extract_schema'): JsonSchema | null {
  if (raw === undefined || raw === null || raw === '') return null;
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new PrimitiveError(`${field}: not valid JSON text of a JSON Schema`, field, 'invalid');
    }
  }
  if (Array.isArray(value)) return { type: 'array', items: value[0] ?? {} };
  if (typeof value !== 'object' || value === null) {
    throw new PrimitiveError(`${field}: must be a JSON Schema object`, field, 'invalid');
  }
  return value as JsonSchema;
}

export async function extract(
  ctx: PrimitiveContext,
  request: { prompt: string; schema: JsonSchema | null; data?: unknown },
): Promise<unknown> {
  const schema = request.schema ?? { type: 'object', additionalProperties: true };
  const page = await pageForModel(ctx, false);
  const context =
    request.data === undefined || request.data === null
      ? ''
      : `\nContext data: ${typeof request.data === 'string' ? request.data : JSON.stringify(request.data)}`;
  return logged(ctx, `extract ${JSON.stringify(request.prompt || 'page data')} (model)`, () =>
    askModel<unknown>(ctx, {
      role: 'extractor',
      system: SYSTEM,
      user: `${page}\n\nExtract: ${request.prompt || 'the data the schema describes'}${context}\nSchema: ${JSON.stringify(schema)}`,
      schema,
      schemaName: 'extraction',
    }),
  );
}
