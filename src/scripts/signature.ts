/**
 * The signature a script is stored under: (engine, prompt with parameters abstracted, start URL
 * pattern, schema hash). A new task finds its script when its engine, URL pattern and schema hash
 * are equal and its prompt fits the template; the parts that fill the template's holes are the
 * replay's parameter values.
 */
import { createHash } from 'node:crypto';
import { urlPattern } from '../core/index.js';
import type { ScriptSignatureParts } from './types.js';

export { urlPattern };

/** Whether `url` is on the page `pattern` names. */
export function urlMatches(pattern: string, url: string): boolean {
  return urlPattern(url) === pattern;
}

/** JSON with object keys sorted, so equal schemas hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** sha256 of the canonical schema, or `none`. */
export function schemaHash(schema: unknown): string {
  if (schema === null || schema === undefined) return 'none';
  return createHash('sha256').update(canonical(schema)).digest('hex').slice(0, 32);
}

export function signatureOf(parts: ScriptSignatureParts): string {
  return createHash('sha256')
    .update(canonical([parts.engine, parts.promptTemplate, parts.urlPattern, parts.schemaHash]))
    .digest('hex')
    .slice(0, 40);
}

const escapeBraces = (s: string) => s.replace(/[{}]/g, (c) => c + c);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether `value` occurs in `text` as whole words (not inside a longer word). */
function wordRegExp(value: string): RegExp {
  const start = /^\w/.test(value) ? '(?<![\\w])' : '';
  const end = /\w$/.test(value) ? '(?![\\w])' : '';
  return new RegExp(`${start}${escapeRegExp(value)}${end}`, 'g');
}

export function occursIn(text: string, value: string): boolean {
  return value.trim().length > 0 && wordRegExp(value).test(text);
}

/**
 * The prompt with each parameter's value replaced by `{name}` (longest values first; literal
 * braces doubled).
 */
export function promptTemplate(prompt: string, params: { name: string; value: string }[]): string {
  const sorted = [...params].filter((p) => p.value).sort((a, b) => b.value.length - a.value.length);
  if (sorted.length === 0) return escapeBraces(prompt);
  // One alternation, longest value first: at each position the longest value wins.
  const re = new RegExp(sorted.map((p) => wordRegExp(p.value).source).join('|'), 'g');
  let out = '';
  let last = 0;
  for (const m of prompt.matchAll(re)) {
    const name = sorted.find((p) => p.value === m[0])?.name;
    if (!name) continue;
    out += `${escapeBraces(prompt.slice(last, m.index))}{${name}}`;
    last = m.index + m[0].length;
  }
  return out + escapeBraces(prompt.slice(last));
}

type Part = { text: string } | { param: string };

function parts(template: string): Part[] {
  const out: Part[] = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      text += c;
      i++;
    } else if (c === '{') {
      const end = template.indexOf('}', i);
      if (end < 0) {
        text += template.slice(i);
        break;
      }
      if (text) out.push({ text });
      text = '';
      out.push({ param: template.slice(i + 1, end) });
      i = end;
    } else text += c;
  }
  if (text) out.push({ text });
  return out;
}

/** The parameter names of a template, in order of first appearance. */
export function templateParams(template: string): string[] {
  const names: string[] = [];
  for (const p of parts(template))
    if ('param' in p && !names.includes(p.param)) names.push(p.param);
  return names;
}

/**
 * The parameter values when `prompt` fits `template`, else null. A name used twice must get the
 * same value both times.
 */
export function matchTemplate(template: string, prompt: string): Record<string, string> | null {
  const ps = parts(template);
  const order: string[] = [];
  const source = ps
    .map((p) => {
      if ('text' in p) return escapeRegExp(p.text);
      order.push(p.param);
      return '([\\s\\S]+?)';
    })
    .join('');
  const m = new RegExp(`^${source}$`).exec(prompt);
  if (!m) return null;
  const values: Record<string, string> = {};
  for (const [i, name] of order.entries()) {
    const v = m[i + 1] ?? '';
    if (name in values && values[name] !== v) return null;
    values[name] = v;
  }
  return values;
}
