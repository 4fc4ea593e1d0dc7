import { jsonrepair } from 'jsonrepair';
import {
  compileJsonSchema,
  type ErrorObject,
  type ValidateFunction,
} from '../json-schema/index.js';
import type { JsonSchema } from './types.js';

export type JsonParseResult =
  | { ok: true; value: unknown; repaired: boolean }
  | { ok: false; problem: string };

/** Text inside the first ``` fence (```json or bare), if any. */
function fencedBlock(text: string): string | null {
  const m = /```[a-zA-Z0-9_-]*[ \t]*\r?\n?([\s\S]*?)(?:```|$)/.exec(text);
  return m?.[1] !== undefined && m[1].trim() !== '' ? m[1] : null;
}

/**
 * The first JSON object or array embedded in prose: from the first `{`/`[` to its matching
 * bracket (strings respected), or to the end of the text when it never closes.
 */
export function findJsonSpan(text: string): string | null {
  const start = text.search(/[{[]/);
  if (start < 0) return null;
  const stack: string[] = [];
  let inString: string | null = null;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === inString) inString = null;
      continue;
    }
    if (ch === '"') inString = ch;
    else if (ch === '{') stack.push('}');
    else if (ch === '[') stack.push(']');
    else if ((ch === '}' || ch === ']') && stack.length > 0) {
      if (stack[stack.length - 1] === ch) stack.pop();
      if (stack.length === 0) return text.slice(start, i + 1);
    }
  }
  return text.slice(start);
}

/**
 * Parses model output as JSON, tolerating what models commonly do: code fences, prose around the
 * value, trailing commas, single quotes, unquoted keys, truncated endings (via jsonrepair).
 */
export function parseJsonLoose(text: string): JsonParseResult {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, problem: 'the reply is empty' };
  try {
    return { ok: true, value: JSON.parse(trimmed), repaired: false };
  } catch {
    // fall through to the tolerant path
  }
  const candidates: string[] = [];
  const fenced = fencedBlock(trimmed);
  if (fenced) candidates.push(fenced.trim());
  const span = findJsonSpan(fenced ?? trimmed);
  if (span) candidates.push(span);
  if (fenced) {
    const outer = findJsonSpan(trimmed);
    if (outer) candidates.push(outer);
  }
  candidates.push(trimmed);
  for (const candidate of candidates) {
    try {
      return { ok: true, value: JSON.parse(candidate), repaired: true };
    } catch {
      // try repair next
    }
    // Repair only what looks like an object/array: jsonrepair would turn plain prose into a string.
    if (!/^[{[]/.test(candidate)) continue;
    try {
      return { ok: true, value: JSON.parse(jsonrepair(candidate)), repaired: true };
    } catch {
      // next candidate
    }
  }
  return { ok: false, problem: 'the reply does not contain a JSON value' };
}

export type SchemaCheck = { ok: true } | { ok: false; problems: string[] };

/** Compiles (cached per schema) and validates. An uncompilable schema is a problem too. */
export function validateJson(schema: JsonSchema, value: unknown): SchemaCheck {
  let validate: ValidateFunction;
  try {
    validate = compileJsonSchema(schema);
  } catch (error) {
    return { ok: false, problems: [`the schema itself is invalid: ${(error as Error).message}`] };
  }
  if (validate(value)) return { ok: true };
  return { ok: false, problems: summariseErrors(validate.errors ?? []).map(describeError) };
}

/**
 * Ajv reports every branch of a failed `anyOf`: for the action union that is ~60 lines about
 * branches the model never meant. When branches are told apart by a constant (`type`), keep only
 * the errors of the branch whose constant matched; when none matched, say which constants exist.
 */
export function summariseErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  if (unions.length === 0) return [...errors];
  const unionOf = (e: ErrorObject): ErrorObject | undefined => {
    let best: ErrorObject | undefined;
    for (const u of unions) {
      if (u === e || !e.schemaPath.startsWith(`${u.schemaPath}/`)) continue;
      if (!e.instancePath.startsWith(u.instancePath)) continue;
      // The outermost one: inner unions are summarised with their branch, recursively.
      if (!best || u.schemaPath.length < best.schemaPath.length) best = u;
    }
    return best;
  };
  const kept: ErrorObject[] = [];
  const byUnion = new Map<ErrorObject, Map<string, ErrorObject[]>>();
  for (const e of errors) {
    const u = unionOf(e);
    if (!u) {
      if (!unions.includes(e)) kept.push(e);
      continue;
    }
    const branch = e.schemaPath.slice(u.schemaPath.length + 1).split('/')[0] ?? '';
    const branches = byUnion.get(u) ?? new Map<string, ErrorObject[]>();
    branches.set(branch, [...(branches.get(branch) ?? []), e]);
    byUnion.set(u, branches);
  }
  for (const u of unions) {
    if (unionOf(u)) continue; // inside another union's branch
    const branches = byUnion.get(u);
    if (!branches) {
      kept.push(u);
      continue;
    }
    const isTag = (e: ErrorObject) =>
      (e.keyword === 'const' || e.keyword === 'enum') &&
      e.instancePath.slice(u.instancePath.length).split('/').length === 2;
    const tagged = [...branches.values()].filter((list) => list.some(isTag));
    if (tagged.length === 0) {
      kept.push(...[...branches.values()].flat(), u);
      continue;
    }
    const matching = [...branches.values()].filter((list) => !list.some(isTag));
    if (matching.length > 0) {
      kept.push(...summariseErrors(matching.flat()));
      continue;
    }
    const tags = [...branches.values()].flat().filter(isTag);
    const allowed = tags.flatMap((e) =>
      e.keyword === 'const' ? [e.params['allowedValue']] : (e.params['allowedValues'] as unknown[]),
    );
    kept.push({ ...tags[0]!, keyword: 'enum', params: { allowedValues: [...new Set(allowed)] } });
  }
  return kept;
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath === '' ? 'the value' : e.instancePath;
  if (e.keyword === 'additionalProperties') {
    return `${where} has unexpected property "${String(e.params['additionalProperty'])}"`;
  }
  if (e.keyword === 'enum') {
    return `${where} must be one of ${JSON.stringify(e.params['allowedValues'])}`;
  }
  return `${where} ${e.message ?? 'is invalid'}`;
}

/**
 * OpenAI strict mode needs every object closed (`additionalProperties: false`) with all its
 * properties required. Caller schemas often are not; those are sent non-strict.
 */
export function isStrictCompatible(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return true;
  if (Array.isArray(schema)) return schema.every(isStrictCompatible);
  const s = schema as Record<string, unknown>;
  const props = s['properties'];
  if (props && typeof props === 'object') {
    if (s['additionalProperties'] !== false) return false;
    const required = Array.isArray(s['required']) ? (s['required'] as unknown[]) : [];
    if (Object.keys(props).some((k) => !required.includes(k))) return false;
  } else if (s['type'] === 'object') {
    return false;
  }
  return Object.entries(s).every(([k, v]) =>
    k === 'enum' || k === 'const' || k === 'default' || k === 'examples'
      ? true
      : isStrictCompatible(v),
  );
}

/** Instruction text for models without native schema support. */
export function schemaInstruction(schema: JsonSchema, name: string): string {
  return (
    `Reply with only a JSON value (no prose, no code fences) named "${name}" that is valid ` +
    `against this JSON Schema:\n${JSON.stringify(schema)}`
  );
}
