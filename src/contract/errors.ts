/** Turns zod issues into FastAPI-shaped validation details: {type, loc, msg, input}. */
import type { z } from 'zod';
import type { ValidationErrorItem } from './schemas.js';

type Issue = z.core.$ZodIssue;
export type ValidationLocation = 'body' | 'query' | 'path' | 'header';

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function typeOf(issue: Issue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined || (input === null && issue.path.length === 0)) return 'missing';
      return `${issue.expected}_type`;
    case 'too_small':
      return issue.origin === 'string' ? 'string_too_short' : 'greater_than_equal';
    case 'too_big':
      return issue.origin === 'string' ? 'string_too_long' : 'less_than_equal';
    case 'invalid_value':
      return 'enum';
    case 'invalid_union':
      return 'union';
    case 'invalid_format':
      return 'format';
    case 'custom': {
      const type = issue.params?.['type'];
      return typeof type === 'string' ? type : 'value_error';
    }
    default:
      return 'value_error';
  }
}

/** Field path as people write it: proxy_location.country, steps[0]. */
function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`))
    .join('');
}

function message(
  issue: Issue,
  field: string,
  input: unknown,
  location: ValidationLocation,
  required: readonly string[],
): string {
  if (!field && issue.code === 'invalid_type') {
    const needs = required.length
      ? ` with at least ${required.map((k) => `"${k}"`).join(', ')}`
      : '';
    return input === undefined || input === null
      ? `the request ${location} is required: send a JSON object${needs}`
      : `the request ${location} must be a JSON object`;
  }
  // Our own messages already start with the field name; zod's defaults get it prefixed.
  if (field && issue.message.startsWith(field.split(/[.[]/)[0] ?? field)) return issue.message;
  if (issue.code === 'invalid_type' && input === undefined) return `${field} is required`;
  const text = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  return field ? `${field}: ${text}` : text;
}

export function zodIssuesToDetail(
  issues: readonly Issue[],
  location: ValidationLocation,
  root: unknown,
  /** Top-level fields the schema requires, named when the whole body is missing. */
  required: readonly string[] = [],
): ValidationErrorItem[] {
  return issues.map((issue) => {
    const path = issue.path as PropertyKey[];
    const input = valueAt(root, path);
    const field = fieldName(path);
    const item: ValidationErrorItem = {
      type: typeOf(issue, input),
      loc: [location, ...path.map((p) => (typeof p === 'number' ? p : String(p)))],
      msg: message(issue, field, input, location, required),
    };
    if (input !== undefined) item.input = input;
    return item;
  });
}

/** A 422 raised by code after schema validation (e.g. a limit that depends on configuration). */
export class RequestValidationError extends Error {
  constructor(readonly detail: ValidationErrorItem[]) {
    super(detail.map((d) => d.msg).join('; '));
  }
}
