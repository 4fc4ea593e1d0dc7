import {
  compileJsonSchema,
  type ErrorObject,
  jsonSchemaProblem,
  type ValidateFunction,
} from '../../json-schema/index.js';
import type { AgentModel } from '../ports.js';
import type { Usage } from '../types.js';
import { promptRequest } from './model-calls.js';

/**
 * Extraction against the caller's data_extraction_schema: the model answers `{"data": …}`, ajv
 * validates `data` in the schema's declared dialect, and violations go back to the model (at most
 * `attempts` calls in all).
 */

/** A caller schema may arrive as an object or as JSON text; plain prose is a description only. */
export function normalizeExtractionSchema(schema: unknown): Record<string, unknown> | null {
  if (schema === null || schema === undefined) return null;
  if (typeof schema === 'string') {
    try {
      return normalizeExtractionSchema(JSON.parse(schema));
    } catch {
      return { description: schema };
    }
  }
  if (Array.isArray(schema)) return { type: 'array', items: schema[0] ?? {} };
  if (typeof schema === 'object') return schema as Record<string, unknown>;
  return null;
}

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  return compileJsonSchema(schema);
}

export function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 10).map((e) => {
    const where = e.instancePath ? `data${e.instancePath.replace(/\//g, '.')}` : 'data';
    return `${where} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${JSON.stringify(e.params.allowedValues)})` : ''}`;
  });
}

/**
 * The reply envelope `{data, …extra}`. The caller's `$schema` moves to the envelope's root so the
 * LLM layer checks the reply in the same dialect as the extractor (a 2020-12 `items: false` after
 * `prefixItems` means something else in draft-07).
 */
function replySchema(
  schema: Record<string, unknown>,
  extraProps: Record<string, unknown>,
): Record<string, unknown> {
  const { $schema, ...data } = schema;
  // Without an `$id` of its own, the caller's `#/$defs/…` refs resolve against the envelope's
  // root, so its definitions move there too (where OpenAI's structured outputs want them).
  const hoisted: Record<string, unknown> = {};
  if (data['$id'] === undefined) {
    for (const key of ['$defs', 'definitions']) {
      if (data[key] !== undefined) {
        hoisted[key] = data[key];
        delete data[key];
      }
    }
  }
  return {
    ...($schema === undefined ? {} : { $schema }),
    type: 'object',
    additionalProperties: false,
    required: [...Object.keys(extraProps), 'data'],
    properties: { ...extraProps, data },
    ...hoisted,
  };
}

export type ExtractionResult =
  | { ok: true; data: unknown; reply: Record<string, unknown>; usage: Usage }
  | { ok: false; errors: string[]; usage: Usage };

export async function extractWithSchema(input: {
  model: AgentModel;
  schema: Record<string, unknown>;
  render: (previousErrors: readonly string[]) => { system: string; user: string };
  /** Screenshots to attach (the page text is part of the rendered prompt). */
  images: readonly Buffer[];
  /** Further required string fields of the reply besides `data`, e.g. `answer`. */
  extraFields?: Record<string, string>;
  role?: 'extractor' | 'planner';
  signal: AbortSignal;
  attempts?: number;
  onCall?: (reply: { json: unknown; text: string }) => void;
}): Promise<ExtractionResult> {
  const validate = validatorFor(input.schema);
  const usage: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  let errors: string[] = [];
  const attempts = input.attempts ?? 3;
  const extra = input.extraFields ?? {};
  const extraProps = Object.fromEntries(
    Object.entries(extra).map(([k, description]) => [k, { type: 'string', description }]),
  );
  for (let attempt = 0; attempt < attempts; attempt++) {
    const prompt = input.render(errors);
    let json: unknown;
    try {
      const reply = await input.model.complete(
        promptRequest(
          input.role ?? 'extractor',
          prompt,
          { schema: replySchema(input.schema, extraProps), name: 'extraction' },
          input.signal,
          input.images,
        ),
      );
      usage.inputTokens += reply.usage.inputTokens;
      usage.outputTokens += reply.usage.outputTokens;
      usage.costUsd += reply.usage.costUsd;
      input.onCall?.(reply);
      json = reply.json;
    } catch (err) {
      if (input.signal.aborted) throw err;
      errors = [`the reply was not usable JSON: ${(err as Error).message}`];
      continue;
    }
    const reply = (typeof json === 'object' && json !== null ? json : {}) as Record<
      string,
      unknown
    >;
    const data = 'data' in reply ? reply.data : json;
    if (validate(data)) return { ok: true, data, reply, usage };
    errors = describeSchemaErrors(validate.errors);
  }
  return { ok: false, errors, usage };
}

/** How `data` violates `schema` (empty when it conforms, or when the schema does not compile). */
export function schemaViolations(schema: Record<string, unknown>, data: unknown): string[] {
  let validate: ValidateFunction;
  try {
    validate = validatorFor(schema);
  } catch {
    return [];
  }
  return validate(data) ? [] : describeSchemaErrors(validate.errors);
}

/** Checks a (model-written) schema is one Wren can run; the message names the place. */
export function schemaProblem(schema: Record<string, unknown>): string | null {
  return jsonSchemaProblem(schema);
}

/** The prompt block that shows the model why its last answer was rejected (empty at first). */
export function previousErrorsBlock(errors: readonly string[]): string {
  return errors.length > 0
    ? `\n\n# Your previous answer was invalid\n${errors.map((e) => `- ${e}`).join('\n')}`
    : '';
}
