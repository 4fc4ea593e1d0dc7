import { describe, expect, it } from 'vitest';
import { UserErrorCodes } from '../../../src/engines/shared/error-codes.js';
import {
  describeSchemaErrors,
  normalizeExtractionSchema,
  schemaProblem,
} from '../../../src/engines/shared/extraction.js';

describe('normalizeExtractionSchema', () => {
  it('accepts objects, JSON text and plain descriptions', () => {
    expect(normalizeExtractionSchema(null)).toBeNull();
    expect(normalizeExtractionSchema({ type: 'object' })).toEqual({ type: 'object' });
    expect(normalizeExtractionSchema('{"type":"array"}')).toEqual({ type: 'array' });
    expect(normalizeExtractionSchema('the price and title')).toEqual({
      description: 'the price and title',
    });
  });

  it('reports a schema that does not compile', () => {
    expect(schemaProblem({ type: 'object' })).toBeNull();
    expect(schemaProblem({ type: 'nonsense' })).toMatch(/type/);
  });

  it('describes ajv errors with the data path', () => {
    expect(
      describeSchemaErrors([
        {
          instancePath: '/items/0/price',
          schemaPath: '#/x',
          keyword: 'type',
          params: {},
          message: 'must be number',
        },
      ]),
    ).toEqual(['data.items.0.price must be number']);
  });
});

describe('UserErrorCodes', () => {
  it('keeps only mapped codes, first report wins, and fills output.error', () => {
    const codes = new UserErrorCodes({ SOLD_OUT: 'item sold out' });
    codes.record([
      { code: 'SOLD_OUT', reasoning: 'page says sold out', confidence: 1.4 },
      { code: 'INVENTED', reasoning: 'x', confidence: 1 },
      { code: 'SOLD_OUT', reasoning: 'again', confidence: 0.1 },
    ]);
    expect(codes.list()).toEqual([
      {
        error_code: 'SOLD_OUT',
        reasoning: 'page says sold out',
        confidence_float: 1,
        error_type: 'USER_DEFINED_ERROR',
      },
    ]);
    expect(codes.outputFor(undefined)).toEqual({ error: 'SOLD_OUT' });
    expect(codes.outputFor({ partial: true })).toEqual({ partial: true });
  });
});
