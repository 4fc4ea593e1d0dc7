import { describe, expect, it } from 'vitest';
import {
  jsonSchemaProblem,
  normalizeHttpUrl,
  TaskRunRequestSchema,
} from '../../../src/contract/index.js';

describe('normalizeHttpUrl', () => {
  it.each([
    ['https://example.com/a?b=1', 'https://example.com/a?b=1'],
    ['http://example.com', 'http://example.com'],
    ['example.com', 'https://example.com'],
    ['localhost:3000/path', 'https://localhost:3000/path'],
    ['  https://example.com  ', 'https://example.com'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeHttpUrl(input)).toBe(expected);
  });

  it.each([
    'ftp://example.com',
    'javascript:alert(1)',
    'mailto:a@example.com',
    'file:///etc/passwd',
    '',
    'https://',
  ])('refuses %s', (input) => {
    expect(normalizeHttpUrl(input)).toBeNull();
  });
});

describe('jsonSchemaProblem', () => {
  it('accepts draft-07 and 2020-12 schemas', () => {
    expect(
      jsonSchemaProblem({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }),
    ).toBeNull();
    expect(
      jsonSchemaProblem({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'array',
        prefixItems: [{ type: 'number' }],
      }),
    ).toBeNull();
  });

  it("returns the validator's message for an invalid schema", () => {
    expect(jsonSchemaProblem({ type: 'object', properties: 5 })).toBe(
      'schema/properties must be object',
    );
    expect(jsonSchemaProblem({ type: 'object', required: 'a' })).toBe(
      'schema/required must be array',
    );
    expect(jsonSchemaProblem({ $ref: '#/definitions/missing' })).toMatch(
      /can't resolve reference #\/definitions\/missing/,
    );
  });

  it('compiles the same $id twice without clashing', () => {
    const schema = { $id: 'https://example.com/s.json', type: 'object' };
    expect(jsonSchemaProblem(schema)).toBeNull();
    expect(jsonSchemaProblem(schema)).toBeNull();
  });
});

describe('TaskRunRequestSchema', () => {
  it('defaults the engine to skyvern-2.0 and drops unknown fields', () => {
    const parsed = TaskRunRequestSchema.parse({ prompt: 'hi', surprise: true });
    expect(parsed).toEqual({ prompt: 'hi', engine: 'skyvern-2.0' });
  });

  it('accepts every proxy_location form', () => {
    for (const proxy_location of [
      'RESIDENTIAL_GB',
      'NONE',
      { country: 'US', subdivision: 'CA', city: 'San Francisco' },
      { url: 'http://u:p@proxy.example:8080' },
      null,
    ]) {
      expect(
        TaskRunRequestSchema.safeParse({ prompt: 'x', proxy_location }).success,
        JSON.stringify(proxy_location),
      ).toBe(true);
    }
  });

  it('accepts a data_extraction_schema given as a JSON string or free text', () => {
    expect(
      TaskRunRequestSchema.safeParse({ prompt: 'x', data_extraction_schema: '{"type":"object"}' })
        .success,
    ).toBe(true);
    expect(
      TaskRunRequestSchema.safeParse({
        prompt: 'x',
        data_extraction_schema: 'the price and the title',
      }).success,
    ).toBe(true);
    expect(
      TaskRunRequestSchema.safeParse({ prompt: 'x', data_extraction_schema: '{"type": 7}' })
        .success,
    ).toBe(false);
  });
});
