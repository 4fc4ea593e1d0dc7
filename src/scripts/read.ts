/**
 * Reading a script's output off the final page with its rules (no model): the in-page half is
 * self-contained (serialised into the page), the rest is pure. Used by the server's replay and by
 * `wren script run`.
 */
import type { ExtractionRule } from './types.js';

/** In the page: the values the rules read (null where an element is missing). */
function readInPage(
  rules: {
    selector: string;
    kind: string;
    before?: string;
    after?: string;
    numberIndex?: number;
  }[],
): unknown[] {
  const norm = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();
  return rules.map((r) => {
    const els = document.querySelectorAll(r.selector);
    if (els.length !== 1) return { missing: true };
    const text = norm(els[0]!.textContent);
    if (r.kind === 'number') {
      const ns = [...text.matchAll(/-?\d[\d,]*(?:\.\d+)?/g)].map((m) =>
        Number(m[0].replace(/,/g, '')),
      );
      const n = ns[r.numberIndex ?? 0];
      return n === undefined ? { missing: true } : { value: n };
    }
    let v = text;
    if (r.before && v.startsWith(r.before)) v = v.slice(r.before.length);
    if (r.after && v.endsWith(r.after)) v = v.slice(0, v.length - r.after.length);
    return { value: v.trim() };
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
