import { describe, expect, it } from 'vitest';
import { findJsonSpan, parseJsonLoose, validateJson } from '../../../src/llm/index.js';
import { isStrictCompatible } from '../../../src/llm/json.js';

function value(text: string): unknown {
  const r = parseJsonLoose(text);
  if (!r.ok) throw new Error(r.problem);
  return r.value;
}

describe('parseJsonLoose', () => {
  it('parses clean JSON without marking it repaired', () => {
    expect(parseJsonLoose('  {"a": [1, 2]}\n')).toEqual({
      ok: true,
      value: { a: [1, 2] },
      repaired: false,
    });
  });

  it('strips code fences', () => {
    expect(value('```json\n{"action": "click", "id": 12}\n```')).toEqual({
      action: 'click',
      id: 12,
    });
    expect(value('Here:\n```\n[1, 2, 3]\n```\nDone.')).toEqual([1, 2, 3]);
  });

  it('finds the JSON object inside prose', () => {
    expect(
      value('Sure! The result is {"total": "$42", "items": ["a}b"]} — hope that helps.'),
    ).toEqual({
      total: '$42',
      items: ['a}b'],
    });
  });

  it('repairs trailing commas, single quotes, unquoted keys and truncation', () => {
    expect(value('{"a": 1, "b": [1, 2,],}')).toEqual({ a: 1, b: [1, 2] });
    expect(value("{'name': 'Ada', ok: true}")).toEqual({ name: 'Ada', ok: true });
    expect(value('The answer: {"items": [{"n": 1}, {"n": 2')).toEqual({
      items: [{ n: 1 }, { n: 2 }],
    });
  });

  it('reports replies without JSON', () => {
    expect(parseJsonLoose('')).toEqual({ ok: false, problem: 'the reply is empty' });
    expect(parseJsonLoose('I cannot help with that.')).toEqual({
      ok: false,
      problem: 'the reply does not contain a JSON value',
    });
  });

  it('findJsonSpan respects strings and nesting', () => {
    expect(findJsonSpan('x {"a": "}", "b": {"c": 1}} y')).toBe('{"a": "}", "b": {"c": 1}}');
    expect(findJsonSpan('no json')).toBeNull();
  });
});

describe('validateJson', () => {
  const schema = {
    type: 'object',
    properties: {
      price: { type: 'number' },
      status: { enum: ['in_stock', 'sold_out'] },
      email: { type: 'string', format: 'email' },
    },
    required: ['price', 'status'],
    additionalProperties: false,
  };

  it('accepts valid values', () => {
    expect(validateJson(schema, { price: 3.5, status: 'in_stock', email: 'a@b.co' })).toEqual({
      ok: true,
    });
  });

  it('lists every problem with its path', () => {
    const r = validateJson(schema, { price: '3', extra: 1, email: 'nope' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual(
      expect.arrayContaining([
        "the value must have required property 'status'",
        'the value has unexpected property "extra"',
        '/price must be number',
        '/email must match format "email"',
      ]),
    );
  });

  it('validates against a schema rebuilt for every call, $id included', () => {
    // Engines build reply schemas afresh per call; the same schema text must keep working.
    const fresh = () => ({ $id: 'https://example.test/reply', ...structuredClone(schema) });
    for (let i = 0; i < 3; i++) {
      expect(validateJson(fresh(), { price: 1, status: 'sold_out' })).toEqual({ ok: true });
      expect(validateJson(fresh(), { price: 1 }).ok).toBe(false);
    }
  });

  describe("a union told apart by a constant (the actor's action list)", () => {
    const branch = (type: string, fields: Record<string, unknown>) => ({
      type: 'object',
      additionalProperties: false,
      required: ['type', ...Object.keys(fields)],
      properties: { type: { type: 'string', const: type }, ...fields },
    });
    const actions = {
      type: 'object',
      properties: {
        actions: {
          type: 'array',
          items: {
            anyOf: [
              branch('click', { element: { type: 'string' } }),
              branch('input_text', {
                element: { type: 'string' },
                text: { type: 'string' },
                submit: { type: 'boolean' },
              }),
              branch('scroll', { direction: { enum: ['up', 'down'] } }),
            ],
          },
        },
      },
    };

    it('reports only the branch whose type matched', () => {
      const r = validateJson(actions, {
        actions: [
          { type: 'click', element: '3' },
          { type: 'input_text', element: '4', text: 'x' },
        ],
      });
      expect(r).toEqual({
        ok: false,
        problems: ["/actions/1 must have required property 'submit'"],
      });
    });

    it('names the types there are when none matched', () => {
      const r = validateJson(actions, { actions: [{ type: 'tap', element: '3' }] });
      expect(r).toEqual({
        ok: false,
        problems: ['/actions/0/type must be one of ["click","input_text","scroll"]'],
      });
    });
  });

  it('reports a schema that does not compile', () => {
    const r = validateJson({ type: 'nonsense' }, {});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toContain('the schema itself is invalid');
  });
});

describe('isStrictCompatible', () => {
  it('requires closed objects with every property required', () => {
    expect(
      isStrictCompatible({
        type: 'object',
        properties: {
          a: {
            type: 'array',
            items: {
              type: 'object',
              properties: { b: { type: 'string' } },
              required: ['b'],
              additionalProperties: false,
            },
          },
        },
        required: ['a'],
        additionalProperties: false,
      }),
    ).toBe(true);
    expect(isStrictCompatible({ type: 'object', properties: { a: { type: 'string' } } })).toBe(
      false,
    );
    expect(
      isStrictCompatible({
        type: 'object',
        properties: { a: { type: 'string' } },
        required: [],
        additionalProperties: false,
      }),
    ).toBe(false);
    expect(isStrictCompatible({ type: 'object' })).toBe(false);
  });
});
