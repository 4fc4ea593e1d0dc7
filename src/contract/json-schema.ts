/** Checks that `data_extraction_schema` is a JSON Schema a validator can compile. */
import { Ajv, type AnySchema } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

const draft07 = new Ajv({ strict: false, allErrors: false, validateFormats: false });
const draft2020 = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });

// Compiling a schema costs about a millisecond; clients tend to send the same few schemas again
// and again, so remember recent verdicts by the schema's JSON text.
const verdicts = new Map<string, string | null>();
const MAX_VERDICTS = 512;

/** Returns null when `schema` is a usable JSON Schema, else the validator's message. */
export function jsonSchemaProblem(schema: unknown): string | null {
  const key = JSON.stringify(schema);
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const verdict = checkSchema(schema);
  if (verdicts.size >= MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(key, verdict);
  return verdict;
}

function checkSchema(schema: unknown): string | null {
  if (typeof schema === 'boolean') return null;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return 'a JSON Schema must be an object';
  }
  const declared = (schema as { $schema?: unknown }).$schema;
  const ajv =
    typeof declared === 'string' && /2019-09|2020-12/.test(declared) ? draft2020 : draft07;
  const copy = structuredClone(schema) as AnySchema;
  try {
    if (!ajv.validateSchema(copy)) {
      return ajv.errorsText(ajv.errors, { dataVar: 'schema' });
    }
    ajv.compile(copy);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    // Compiled schemas are cached per object; drop this one so the cache does not grow.
    ajv.removeSchema(copy);
  }
}
