/**
 * The one JSON Schema validator (src/json-schema): RE2 patterns, the declared dialect, and an Ajv
 * instance per schema so `$id`s cannot collide. docs/security.md "Extraction schemas".
 */
import { describe, expect, it } from 'vitest';
import type { AgentModel, ModelRequest } from '../../../src/engines/ports.js';
import { extractWithSchema } from '../../../src/engines/shared/extraction.js';
import { compileJsonSchema, jsonSchemaProblem } from '../../../src/json-schema/index.js';
import { validateJson } from '../../../src/llm/index.js';

/** A model that always answers `json`, and records the schemas it was asked for. */
function fixedModel(json: unknown): AgentModel & { schemas: unknown[] } {
  const schemas: unknown[] = [];
  return {
    schemas,
    async complete(request: ModelRequest) {
      schemas.push(request.schema);
      return {
        json,
        text: JSON.stringify(json),
        usage: { inputTokens: 1, outputTokens: 1, costUsd: 0 },
        model: 'fake',
        durationMs: 0,
      };
    },
  } as AgentModel & { schemas: unknown[] };
}

const REDOS = { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } };
// ECMAScript's backtracking engine needs ~2^30 steps for this answer (minutes); RE2 is linear.
const HOSTILE = { name: `${'a'.repeat(30)}!` };

describe('regex safety (issue #17 finding 5)', () => {
  it('a catastrophic pattern rejects a hostile answer without backtracking', () => {
    const validate = compileJsonSchema(REDOS);
    expect(validate(HOSTILE)).toBe(false);
    expect(validate({ name: `${'a'.repeat(100_000)}!` })).toBe(false);
    expect(validate({ name: 'aaaa' })).toBe(true);
  });

  it('the LLM layer checks replies with the same engine', () => {
    expect(validateJson(REDOS, HOSTILE)).toEqual({
      ok: false,
      problems: ['/name must match pattern "^(a+)+$"'],
    });
  });

  it('the extractor finishes and hands the violation back to the model', async () => {
    const model = fixedModel({ data: HOSTILE });
    const result = await extractWithSchema({
      model,
      schema: REDOS,
      render: () => ({ system: 's', user: 'u' }),
      images: [],
      signal: new AbortController().signal,
      attempts: 2,
    });
    expect(result).toMatchObject({ ok: false, errors: ['data.name must match pattern "^(a+)+$"'] });
    expect(model.schemas).toHaveLength(2);
  });

  it('patterns are unanchored and keep their flags and ECMAScript escapes', () => {
    const validate = compileJsonSchema({
      type: 'object',
      properties: { a: { pattern: '\\d{3}' }, b: { pattern: '^\\p{Lu}' } },
      patternProperties: { '^x-': { type: 'number' } },
    });
    expect(validate({ a: 'id 123 here', b: 'Émile' })).toBe(true);
    expect(validate({ a: 'id 12' })).toBe(false);
    expect(validate({ b: 'émile' })).toBe(false);
    expect(validate({ 'x-count': 'many' })).toBe(false);
  });

  it('two patterns in one schema each keep their own expression', () => {
    const validate = compileJsonSchema({
      type: 'object',
      properties: { a: { pattern: '^a$' }, b: { pattern: '^b$' } },
    });
    expect(validate({ a: 'a', b: 'b' })).toBe(true);
    expect(validate({ a: 'a', b: 'a' })).toBe(false);
  });

  it('a pattern RE2 cannot run is refused with its place in the schema', () => {
    expect(
      jsonSchemaProblem({
        type: 'object',
        properties: { code: { type: 'string', pattern: '^(a)\\1$' } },
      }),
    ).toMatch(
      /^schema\/properties\/code\/pattern "\^\(a\)\\\\1\$" is not supported: Wren runs patterns with RE2 .*invalid escape sequence/,
    );
    expect(jsonSchemaProblem({ patternProperties: { '(?=x)': {} } })).toMatch(
      /^schema\/patternProperties "\(\?=x\)" is not supported/,
    );
    // A `pattern` that is data (an enum value, a property named "pattern") is not a pattern.
    expect(
      jsonSchemaProblem({
        type: 'object',
        properties: { pattern: { enum: [{ pattern: '(?=x)' }] } },
      }),
    ).toBeNull();
  });

  it('every format finishes on long hostile strings', () => {
    const formats = [
      'date',
      'time',
      'date-time',
      'duration',
      'uri',
      'uri-reference',
      'uri-template',
      'url',
      'email',
      'hostname',
      'ipv4',
      'ipv6',
      'regex',
      'uuid',
      'json-pointer',
      'relative-json-pointer',
      'byte',
    ];
    const hostile = [
      'a',
      '0',
      '/',
      ':',
      '%',
      '.',
      '-',
      '@',
      'a.',
      '0.',
      'a-',
      '%a',
      '1:',
      '::',
    ].map((unit) => `${unit.repeat(20_000)}!`);
    const accepted = Object.fromEntries(
      formats.map((format) => {
        const validate = compileJsonSchema({ type: 'string', format });
        return [format, hostile.filter((s) => validate(s)).length];
      }),
    );
    // Free-form formats accept some of them; the rest reject all, and every check finished.
    expect(accepted).toEqual({
      ...Object.fromEntries(formats.map((f) => [f, 0])),
      'uri-reference': 12,
      'uri-template': 12,
      regex: 14,
      'json-pointer': 1,
    });
  });
});

describe('one dialect and one registry per schema (issue #17 finding 8, issue #18)', () => {
  const TUPLE_2020 = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'array',
    prefixItems: [{ type: 'number' }],
    items: false,
  };

  it('a 2020-12 schema means at extraction what it meant at submit time', async () => {
    expect(jsonSchemaProblem(TUPLE_2020)).toBeNull();
    const validate = compileJsonSchema(TUPLE_2020);
    expect(validate([1])).toBe(true);
    expect(validate(['one'])).toBe(false);
    expect(validate([1, 2])).toBe(false);

    const good = await extractWithSchema({
      model: fixedModel({ data: [7] }),
      schema: TUPLE_2020,
      render: () => ({ system: 's', user: 'u' }),
      images: [],
      signal: new AbortController().signal,
      attempts: 1,
    });
    expect(good).toMatchObject({ ok: true, data: [7] });
    const bad = await extractWithSchema({
      model: fixedModel({ data: ['seven'] }),
      schema: TUPLE_2020,
      render: () => ({ system: 's', user: 'u' }),
      images: [],
      signal: new AbortController().signal,
      attempts: 1,
    });
    expect(bad).toMatchObject({ ok: false });
  });

  it('2019-09 is its own dialect and unknown dialects are named', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2019-09/schema',
      type: 'object',
      dependentRequired: { card: ['expiry'] },
    };
    expect(jsonSchemaProblem(schema)).toBeNull();
    expect(compileJsonSchema(schema)({ card: '4242' })).toBe(false);
    expect(jsonSchemaProblem({ $schema: 'http://json-schema.org/draft-04/schema#' })).toMatch(
      /^schema\/\$schema "http:\/\/json-schema.org\/draft-04\/schema#" is not a supported dialect/,
    );
  });

  it("one run's $id neither breaks nor leaks into another run's schema", async () => {
    const id = 'https://schemas.example/price.json';
    const first = { $id: id, type: 'object', properties: { price: { type: 'string' } } };
    const second = { $id: id, type: 'object', properties: { price: { type: 'number' } } };
    expect(jsonSchemaProblem(first)).toBeNull();
    expect(jsonSchemaProblem(second)).toBeNull();
    for (const [schema, price] of [
      [first, '9.99'],
      [second, 9.99],
    ] as const) {
      const result = await extractWithSchema({
        model: fixedModel({ data: { price } }),
        schema,
        render: () => ({ system: 's', user: 'u' }),
        images: [],
        signal: new AbortController().signal,
        attempts: 1,
      });
      expect(result).toMatchObject({ ok: true, data: { price } });
    }
    // A schema cannot reach another run's $id either.
    expect(jsonSchemaProblem({ $ref: id })).toMatch(/can't resolve reference/);
  });

  it("the caller's $defs still resolve inside the reply envelope", async () => {
    const schema = {
      type: 'object',
      properties: { item: { $ref: '#/$defs/item' } },
      $defs: { item: { type: 'object', properties: { sku: { type: 'string' } } } },
    };
    const model = fixedModel({ data: { item: { sku: 'A-1' } } });
    const result = await extractWithSchema({
      model,
      schema,
      render: () => ({ system: 's', user: 'u' }),
      images: [],
      signal: new AbortController().signal,
      attempts: 1,
    });
    expect(result).toMatchObject({ ok: true });
    // The envelope the LLM layer checks compiles too.
    expect(
      validateJson(model.schemas[0] as Record<string, unknown>, { data: { item: {} } }),
    ).toEqual({
      ok: true,
    });
  });
});
