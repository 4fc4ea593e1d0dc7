/**
 * Tool schemas from the contract's zod schemas. MCP wants an object schema at the root
 * (`"type": "object"`), while zod puts schemas that carry an id in `$defs` behind a root `$ref`;
 * the references are inlined here (the contract has no recursive schemas).
 */
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

function inline(node: unknown, defs: Record<string, unknown>, depth: number): unknown {
  if (depth > 32) throw new Error('schema nests too deeply (a recursive $ref?)');
  if (Array.isArray(node)) return node.map((n) => inline(n, defs, depth + 1));
  if (!node || typeof node !== 'object') return node;
  const { $ref, ...rest } = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (typeof $ref === 'string') {
    const name = $ref.replace(/^#\/\$defs\//, '');
    const target = defs[name];
    if (target === undefined) throw new Error(`unresolved $ref ${$ref}`);
    Object.assign(out, inline(target, defs, depth + 1) as Record<string, unknown>);
  }
  for (const [key, value] of Object.entries(rest)) {
    if (key === '$defs' || key === '$schema' || key === 'id') continue;
    out[key] = inline(value, defs, depth + 1);
  }
  return out;
}

/** The JSON Schema of `schema` as a caller sends it (`input`) or receives it (`output`). */
export function toolSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const raw = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  const defs = (raw['$defs'] ?? {}) as Record<string, unknown>;
  const out = inline(raw, defs, 0) as JsonSchema;
  if (out['type'] !== 'object') throw new Error('a tool schema must describe an object');
  return out;
}
