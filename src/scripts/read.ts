/**
 * Reading a script's output off the final page with its rules (no model): the in-page half is
 * self-contained (serialised into the page), the rest is pure. Used by the server's replay and by
 * `wren script run`.
 */
import type { ExtractionRule, ListRule } from './types.js';

/** In the page: the values the rules read (null where an element is missing). */
function readInPage(
  rules: {
    selector: string;
    kind: string;
    before?: string;
    after?: string;
    numberIndex?: number;
    list?: ListRule;
  }[],
): unknown[] {
  const norm = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();
  const missing = Symbol('missing');
  const fromText = (
    text: string,
    r: { kind: string; before?: string; after?: string; numberIndex?: number },
  ): unknown => {
    if (r.kind === 'number') {
      const ns = [...text.matchAll(/-?\d[\d,]*(?:\.\d+)?/g)].map((m) =>
        Number(m[0].replace(/,/g, '')),
      );
      const n = ns[r.numberIndex ?? 0];
      return n === undefined ? missing : n;
    }
    let v = text;
    if (r.before && v.startsWith(r.before)) v = v.slice(r.before.length);
    if (r.after && v.endsWith(r.after)) v = v.slice(0, v.length - r.after.length);
    return v.trim();
  };
  // A list: every item under the container, each field by its selector relative to the item
  // (src/scripts/list.ts reads the run's snapshot the same way).
  const readList = (container: Element, list: ListRule): unknown[] | typeof missing => {
    const items = [...container.querySelectorAll(list.item)];
    if (items.length === 0) return missing;
    const out: unknown[] = [];
    for (const item of items) {
      let value: unknown = {};
      for (const f of list.fields) {
        let v: unknown;
        const el =
          f.selector === null
            ? null
            : f.selector === ':scope'
              ? item
              : item.querySelector(f.selector);
        if (f.selector === null) v = f.constant;
        else if (!el) v = missing;
        else if (f.attribute === 'href') {
          const raw = el.getAttribute('href');
          if (raw === null) v = missing;
          else if (!f.absolute) v = raw;
          else {
            try {
              v = new URL(raw, document.baseURI).href;
            } catch {
              v = raw;
            }
          }
        } else if (f.attribute === 'value')
          v = 'value' in el && typeof el.value === 'string' ? el.value : missing;
        else v = fromText(norm(el.textContent), f);
        if (v === missing) {
          if (!f.nullable) return missing;
          v = null;
        }
        if (f.key.length === 0) value = v;
        else {
          let node = value as Record<string, unknown>;
          for (const [i, k] of f.key.entries()) {
            if (i === f.key.length - 1) node[k] = v;
            else {
              node[k] ??= {};
              node = node[k] as Record<string, unknown>;
            }
          }
        }
      }
      out.push(value);
    }
    return out;
  };
  return rules.map((r) => {
    const els = document.querySelectorAll(r.selector);
    if (els.length !== 1) return { missing: true };
    if (r.kind === 'list' && r.list) {
      const list = readList(els[0]!, r.list);
      return list === missing ? { missing: true } : { value: list };
    }
    const v = fromText(norm(els[0]!.textContent), r);
    return v === missing ? { missing: true } : { value: v };
  });
}

/** Runs a self-contained function in the page (Playwright's `page.evaluate`). */
export type PageEvaluate = <A, R>(fn: (arg: A) => R, arg: A) => Promise<R>;

/** The output built from `rules` on the page, or null when an element is missing. */
export async function readOutput(
  evaluate: PageEvaluate,
  rules: readonly ExtractionRule[],
): Promise<unknown> {
  const dynamic = rules.filter((r) => r.selector !== null);
  const read = (await evaluate(
    readInPage,
    dynamic.map((r) => ({
      selector: r.selector as string,
      kind: r.kind,
      ...(r.before !== undefined ? { before: r.before } : {}),
      ...(r.after !== undefined ? { after: r.after } : {}),
      ...(r.numberIndex !== undefined ? { numberIndex: r.numberIndex } : {}),
      ...(r.list !== undefined ? { list: r.list } : {}),
    })),
  )) as ({ missing: true } | { value: unknown })[];
  if (read.some((r) => 'missing' in r)) return null;
  let out: unknown = rules.length === 1 && rules[0]!.path.length === 0 ? undefined : {};
  let k = 0;
  for (const r of rules) {
    const v = r.selector === null ? r.constant : (read[k++] as { value: unknown }).value;
    if (r.path.length === 0) {
      out = v;
      continue;
    }
    let node = out as Record<string | number, unknown>;
    for (const [i, key] of r.path.entries()) {
      if (i === r.path.length - 1) node[key] = v;
      else {
        if (node[key] === undefined) node[key] = {};
        node = node[key] as Record<string | number, unknown>;
      }
    }
  }
  return out;
}
