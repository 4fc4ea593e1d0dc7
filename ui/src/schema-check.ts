/** In-browser JSON Schema check for the task form (the server checks again with the same rules). */
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020';

const draft07 = new Ajv({ strict: false, validateFormats: false });
const draft2020 = new Ajv2020({ strict: false, validateFormats: false });

export type SchemaVerdict =
  | { kind: 'empty' }
  | { kind: 'schema'; value: Record<string, unknown> }
  | { kind: 'text'; value: string }
  | { kind: 'invalid'; message: string };

/**
 * Text that parses as a JSON object must be a JSON Schema a validator compiles. Any other text is
 * a plain-words description of the wanted data, which the API also accepts.
 */
export function checkExtractionSchema(text: string): SchemaVerdict {
  const trimmed = text.trim();
  if (!trimmed) return { kind: 'empty' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (error) {
    if (/^[[{]/.test(trimmed))
      return { kind: 'invalid', message: `Not valid JSON: ${(error as Error).message}` };
    return { kind: 'text', value: trimmed };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { kind: 'invalid', message: 'A JSON Schema must be an object' };
  const declared = (parsed as { $schema?: unknown }).$schema;
  const ajv =
    typeof declared === 'string' && /2019-09|2020-12/.test(declared) ? draft2020 : draft07;
  try {
    if (!ajv.validateSchema(parsed))
      return { kind: 'invalid', message: ajv.errorsText(ajv.errors, { dataVar: 'schema' }) };
    const copy = structuredClone(parsed) as Record<string, unknown>;
    ajv.compile(copy);
    ajv.removeSchema(copy);
  } catch (error) {
    return { kind: 'invalid', message: (error as Error).message };
  }
  return { kind: 'schema', value: parsed as Record<string, unknown> };
}

export const EXAMPLE_SCHEMA = {
  type: 'object',
  properties: {
    product_name: { type: 'string', description: 'Name of the product as shown on the page' },
    price: { type: 'number', description: 'Price in the page currency' },
    in_stock: { type: 'boolean' },
    reviews: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          rating: { type: 'integer', minimum: 1, maximum: 5 },
          text: { type: 'string' },
        },
      },
    },
  },
  required: ['product_name', 'price'],
};
