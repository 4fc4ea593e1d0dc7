/**
 * The one JSON Schema validator of Wren: the API checks `data_extraction_schema` with it at
 * submit time, the extractor validates the model's data with it, and the LLM layer checks replies
 * with it. Three rules hold everywhere:
 *
 * - The schema's declared dialect (`$schema`: draft-07, 2019-09 or 2020-12; draft-07 when absent)
 *   picks the Ajv class, so a 2020-12 `prefixItems` means at run time what it meant at submit time.
 * - Every compiled schema gets its own Ajv instance: `$id`s live in that instance only, so one
 *   run's `$id` can neither collide with nor be `$ref`-ed by another run of any organization.
 * - `pattern`/`patternProperties` run on RE2 (linear time); see regexp.ts.
 *
 * A leaf folder: it imports nothing from src/.
 */
import { Ajv, type AnySchema, type Options, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { re2Engine, re2Problem } from './regexp.js';

export type { ErrorObject, ValidateFunction } from 'ajv';
export { compileSafeRegExp } from './regexp.js';

export const JSON_SCHEMA_DIALECTS = ['draft-07', '2019-09', '2020-12'] as const;
export type JsonSchemaDialect = (typeof JSON_SCHEMA_DIALECTS)[number];

/** The dialect a schema declares with `$schema` (draft-07 when it declares none). */
export function schemaDialect(
  schema: unknown,
): { dialect: JsonSchemaDialect } | { problem: string } {
  const declared =
    typeof schema === 'object' && schema !== null
      ? (schema as { $schema?: unknown }).$schema
      : undefined;
  if (declared === undefined) return { dialect: 'draft-07' };
  if (typeof declared === 'string') {
    if (/^https?:\/\/json-schema\.org\/draft-07\/schema#?$/.test(declared)) {
      return { dialect: 'draft-07' };
    }
    if (/^https:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/.test(declared)) {
      return { dialect: '2019-09' };
    }
    if (/^https:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/.test(declared)) {
      return { dialect: '2020-12' };
    }
  }
  return {
    problem:
      `schema/$schema ${JSON.stringify(declared)} is not a supported dialect: use ` +
      'http://json-schema.org/draft-07/schema#, https://json-schema.org/draft/2019-09/schema or ' +
      'https://json-schema.org/draft/2020-12/schema (or leave $schema out for draft-07)',
  };
}

function newAjv(dialect: JsonSchemaDialect, options: Options): Ajv {
  const all: Options = {
    strict: false,
    allErrors: true,
    validateFormats: true,
    logger: false,
    code: { regExp: re2Engine },
    ...options,
  };
  const ajv =
    dialect === '2020-12'
      ? new Ajv2020(all)
      : dialect === '2019-09'
        ? new Ajv2019(all)
        : new Ajv(all);
  addFormats.default(ajv);
  return ajv;
}

// Meta-schema checks only (validateSchema registers nothing), so one instance per dialect is safe.
const metaCheckers = new Map<JsonSchemaDialect, Ajv>();
function metaChecker(dialect: JsonSchemaDialect): Ajv {
  let ajv = metaCheckers.get(dialect);
  if (!ajv) {
    ajv = newAjv(dialect, {});
    metaCheckers.set(dialect, ajv);
  }
  return ajv;
}

/** Keywords whose values are data, not subschemas: a `pattern` inside them is not a pattern. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);

/** The first `pattern` or `patternProperties` key RE2 cannot run, with its place in the schema. */
function unsupportedPattern(node: unknown, path: string): string | null {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) {
      const found = unsupportedPattern(item, `${path}/${i}`);
      if (found) return found;
    }
    return null;
  }
  if (typeof node !== 'object' || node === null) return null;
  for (const [key, value] of Object.entries(node)) {
    if (DATA_KEYWORDS.has(key)) continue;
    const where = `${path}/${key}`;
    if (key === 'pattern' && typeof value === 'string') {
      const why = re2Problem(value);
      if (why) return patternMessage(where, value, why);
    }
    if (key === 'patternProperties' && typeof value === 'object' && value !== null) {
      for (const pattern of Object.keys(value)) {
        const why = re2Problem(pattern);
        if (why) return patternMessage(where, pattern, why);
      }
    }
    const found = unsupportedPattern(value, where);
    if (found) return found;
  }
  return null;
}

function patternMessage(where: string, pattern: string, why: string): string {
  return (
    `${where} ${JSON.stringify(pattern)} is not supported: Wren runs patterns with RE2 ` +
    `(linear time, no backreferences or lookaround) and RE2 says: ${why}`
  );
}

// Compiling costs a few milliseconds; clients send the same few schemas again and again.
const verdicts = new Map<string, string | null>();
const MAX_VERDICTS = 512;

/**
 * Null when `schema` is a JSON Schema Wren can run, else why not, with the place in the schema
 * (`schema/properties/a/type must be …`). Used at submit time and for model-written schemas.
 */
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
  const found = schemaDialect(schema);
  if ('problem' in found) return found.problem;
  const checker = metaChecker(found.dialect);
  try {
    if (!checker.validateSchema(schema as AnySchema)) {
      return checker.errorsText(checker.errors, { dataVar: 'schema' });
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const pattern = unsupportedPattern(schema, 'schema');
  if (pattern) return pattern;
  try {
    compileJsonSchema(schema as Record<string, unknown>);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const byObject = new WeakMap<object, ValidateFunction>();
const byText = new Map<string, ValidateFunction>();
const MAX_COMPILED = 200;

/**
 * A validator for `schema` in its declared dialect, compiled in an Ajv instance of its own.
 * Cached by object and by JSON text (engines rebuild identical reply schemas every step); equal
 * text means equal meaning, so sharing those is safe. Throws when the schema does not compile.
 */
export function compileJsonSchema(schema: Record<string, unknown> | boolean): ValidateFunction {
  const isObject = typeof schema === 'object';
  const cached = isObject ? byObject.get(schema) : undefined;
  if (cached) return cached;
  const text = JSON.stringify(schema);
  let validate = byText.get(text);
  if (validate) {
    byText.delete(text);
  } else {
    const found = schemaDialect(schema);
    if ('problem' in found) throw new Error(found.problem);
    // The meta-schema check is jsonSchemaProblem's job; here it would only cost milliseconds.
    validate = newAjv(found.dialect, { validateSchema: false }).compile(schema);
    if (byText.size >= MAX_COMPILED) byText.delete(byText.keys().next().value as string);
  }
  byText.set(text, validate);
  if (isObject) byObject.set(schema, validate);
  return validate;
}
