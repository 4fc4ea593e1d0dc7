/**
 * Compiling a list in a run's output (an array of items whose values were on the page) into a
 * repeated-structure read: the items' common container, a selector for its item children, and
 * per field a selector relative to the item with the attribute it is read from. Inferred from the
 * page snapshot taken when the run extracted its output, and accepted only when reading the
 * snapshot with it gives back every item exactly (docs/code-mode.md).
 */
import type { PageSnapshot, SnapElement } from './snapshot.js';
import type { ListField, ListRule } from './types.js';

/** An element of the snapshot with its place in the tree. */
export interface TreeNode {
  el: SnapElement;
  tag: string;
  parent: TreeNode | null;
  children: TreeNode[];
  /** Document order. */
  order: number;
  /** Normalised text content (whitespace collapsed, trimmed). */
  text: string;
}

export interface Tree {
  /** A node above `<html>`, as the document is for `querySelectorAll`. */
  doc: TreeNode;
  baseUrl: string;
}

export const norm = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();
export const numbersIn = (s: string) =>
  [...s.matchAll(/-?\d[\d,]*(?:\.\d+)?/g)].map((m) => Number(m[0].replace(/,/g, '')));

export function buildTree(snapshot: PageSnapshot): Tree {
  let order = 0;
  const make = (el: SnapElement, parent: TreeNode | null): [TreeNode, string] => {
    const node: TreeNode = { el, tag: el.tag, parent, children: [], order: order++, text: '' };
    let raw = '';
    for (const c of el.children) {
      if (typeof c === 'string') raw += c;
      else {
        const [child, childRaw] = make(c, node);
        node.children.push(child);
        raw += childRaw;
      }
    }
    node.text = norm(raw);
    return [node, raw];
  };
  const doc: TreeNode = {
    el: { tag: '#document', children: [] },
    tag: '#document',
    parent: null,
    children: [],
    order: -1,
    text: '',
  };
  const [root] = make(snapshot.root, doc);
  doc.children.push(root);
  doc.text = root.text;
  return { doc, baseUrl: snapshot.baseUrl };
}

// --- the selector subset the compiler writes, matched on the snapshot ---

interface Compound {
  scope: boolean;
  tag: string | null;
  id: string | null;
  classes: string[];
  attrs: [string, string][];
  nth: number | null;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const SAFE_VALUE = /^[\w .,:/-]{1,60}$/;
const COMPOUND_PART = /#([\w-]+)|\.([\w-]+)|\[([\w-]+)="([^"]*)"\]|:nth-of-type\((\d+)\)/y;

function parseCompound(text: string): Compound {
  const c: Compound = { scope: false, tag: null, id: null, classes: [], attrs: [], nth: null };
  if (text === ':scope') return { ...c, scope: true };
  const tag = /^[a-z][a-z0-9-]*/.exec(text);
  let at = 0;
  if (tag) {
    c.tag = tag[0];
    at = tag[0].length;
  }
  while (at < text.length) {
    COMPOUND_PART.lastIndex = at;
    const m = COMPOUND_PART.exec(text);
    if (!m) throw new Error(`unsupported selector part in ${text}`);
    if (m[1]) c.id = m[1];
    else if (m[2]) c.classes.push(m[2]);
    else if (m[3]) c.attrs.push([m[3], m[4] ?? '']);
    else c.nth = Number(m[5]);
    at = COMPOUND_PART.lastIndex;
  }
  return c;
}

function parseSelector(selector: string): { comb: ' ' | '>'; c: Compound }[] {
  const tokens = selector.trim().split(/\s+/);
  const out: { comb: ' ' | '>'; c: Compound }[] = [];
  let comb: ' ' | '>' = ' ';
  for (const t of tokens) {
    if (t === '>') comb = '>';
    else {
      out.push({ comb, c: parseCompound(t) });
      comb = ' ';
    }
  }
  return out;
}

function matchesCompound(n: TreeNode, c: Compound, scope: TreeNode): boolean {
  if (n.tag === '#document') return false;
  if (c.scope) return n === scope;
  if (c.tag !== null && n.tag !== c.tag) return false;
  if (c.id !== null && n.el.id !== c.id) return false;
  for (const cls of c.classes) if (!n.el.classes?.includes(cls)) return false;
  for (const [k, v] of c.attrs) if (n.el.attrs?.[k] !== v) return false;
  if (c.nth !== null) {
    const same = n.parent ? n.parent.children.filter((s) => s.tag === n.tag) : [n];
    if (same.indexOf(n) + 1 !== c.nth) return false;
  }
  return true;
}

function matchesChain(
  n: TreeNode,
  steps: { comb: ' ' | '>'; c: Compound }[],
  k: number,
  scope: TreeNode,
): boolean {
  const step = steps[k]!;
  if (!matchesCompound(n, step.c, scope)) return false;
  if (k === 0) return true;
  if (step.comb === '>') return n.parent !== null && matchesChain(n.parent, steps, k - 1, scope);
  for (let a = n.parent; a; a = a.parent) if (matchesChain(a, steps, k - 1, scope)) return true;
  return false;
}

function* descendants(n: TreeNode): Generator<TreeNode> {
  for (const c of n.children) {
    yield c;
    yield* descendants(c);
  }
}

/** `scope.querySelectorAll(selector)` on the snapshot (the compiler's selector subset). */
export function selectAll(scope: TreeNode, selector: string): TreeNode[] {
  const steps = parseSelector(selector);
  const out: TreeNode[] = [];
  for (const n of descendants(scope))
    if (matchesChain(n, steps, steps.length - 1, scope)) out.push(n);
  return out;
}

function selectFirst(scope: TreeNode, selector: string): TreeNode | null {
  if (selector === ':scope') return scope;
  const steps = parseSelector(selector);
  for (const n of descendants(scope)) if (matchesChain(n, steps, steps.length - 1, scope)) return n;
  return null;
}

/** Compound selectors for an element, most specific hook first, the bare tag last. */
function compoundsOf(n: TreeNode): string[] {
  const out: string[] = [];
  for (const a of ['data-testid', 'itemprop']) {
    const v = n.el.attrs?.[a];
    if (v && SAFE_VALUE.test(v)) out.push(`${n.tag}[${a}="${v}"]`);
  }
  for (const c of n.el.classes ?? []) if (IDENT.test(c)) out.push(`${n.tag}.${c}`);
  for (const a of ['aria-label', 'role', 'name']) {
    const v = n.el.attrs?.[a];
    if (v && SAFE_VALUE.test(v)) out.push(`${n.tag}[${a}="${v}"]`);
  }
  out.push(n.tag);
  return out;
}

const nthStep = (n: TreeNode) => {
  const same = n.parent ? n.parent.children.filter((s) => s.tag === n.tag) : [n];
  return same.length > 1 ? `${n.tag}:nth-of-type(${same.indexOf(n) + 1})` : n.tag;
};

/** A selector matching `n` alone in the document. */
function uniqueSelector(tree: Tree, n: TreeNode): string {
  const unique = (s: string) => {
    const all = selectAll(tree.doc, s);
    return all.length === 1 && all[0] === n;
  };
  if (n.el.id && IDENT.test(n.el.id) && unique(`#${n.el.id}`)) return `#${n.el.id}`;
  for (const s of compoundsOf(n)) if (unique(s)) return s;
  // A path from the nearest ancestor with a unique selector of its own.
  const path: string[] = [];
  for (let cur: TreeNode | null = n; cur && cur.tag !== '#document'; cur = cur.parent) {
    path.unshift(nthStep(cur));
    const up = cur.parent;
    if (!up || up.tag === '#document') break;
    const anchor =
      up.el.id && IDENT.test(up.el.id) && selectAll(tree.doc, `#${up.el.id}`).length === 1
        ? `#${up.el.id}`
        : compoundsOf(up).find((s) => {
            const all = selectAll(tree.doc, s);
            return all.length === 1 && all[0] === up;
          });
    if (anchor) {
      const s = `${anchor} > ${path.join(' > ')}`;
      if (unique(s)) return s;
    }
  }
  return path.join(' > ');
}

// --- reading a list (the same semantics as the in-page reader in read.ts) ---

function resolveHref(raw: string, base: string): string {
  try {
    return new URL(raw, base).href;
  } catch {
    return raw;
  }
}

const MISSING = Symbol('missing');

/** One field of one item; MISSING when it cannot be read. */
function readField(tree: Tree, item: TreeNode, f: ListField): unknown {
  if (f.selector === null) return f.constant;
  const el = selectFirst(item, f.selector);
  if (!el) return f.nullable ? null : MISSING;
  if (f.attribute === 'href') {
    const raw = el.el.attrs?.['href'];
    if (raw === undefined) return f.nullable ? null : MISSING;
    return f.absolute ? resolveHref(raw, tree.baseUrl) : raw;
  }
  if (f.attribute === 'value') return el.el.value ?? (f.nullable ? null : MISSING);
  const text = el.text;
  if (f.kind === 'number') {
    const n = numbersIn(text)[f.numberIndex ?? 0];
    return n === undefined ? (f.nullable ? null : MISSING) : n;
  }
  let v = text;
  if (f.before && v.startsWith(f.before)) v = v.slice(f.before.length);
  if (f.after && v.endsWith(f.after)) v = v.slice(0, v.length - f.after.length);
  return v.trim();
}

function setAt(target: Record<string, unknown>, key: string[], v: unknown): unknown {
  if (key.length === 0) return v;
  let node = target;
  for (const [i, k] of key.entries()) {
    if (i === key.length - 1) node[k] = v;
    else {
      node[k] ??= {};
      node = node[k] as Record<string, unknown>;
    }
  }
  return target;
}

/** The list `rule` reads under `container` on the snapshot; null when a value is missing. */
export function readListOnSnapshot(
  tree: Tree,
  container: TreeNode,
  rule: ListRule,
): unknown[] | null {
  const items = selectAll(container, rule.item);
  if (items.length === 0) return null;
  const out: unknown[] = [];
  for (const item of items) {
    let value: unknown = {};
    for (const f of rule.fields) {
      const v = readField(tree, item, f);
      if (v === MISSING) return null;
      value = setAt(value as Record<string, unknown>, f.key, v);
    }
    out.push(value);
  }
  return out;
}

// --- inference ---

type Leaf = { key: string[]; value: unknown };

function itemLeaves(value: unknown, key: string[] = []): Leaf[] | null {
  if (Array.isArray(value)) return null;
  if (value !== null && typeof value === 'object') {
    const out: Leaf[] = [];
    for (const [k, v] of Object.entries(value)) {
      const sub = itemLeaves(v, [...key, k]);
      if (!sub) return null;
      out.push(...sub);
    }
    return out;
  }
  return [{ key, value }];
}

const fitsText = (text: string, v: string | number) =>
  typeof v === 'string' ? text.includes(v) : numbersIn(text).includes(v);

/** The deepest elements under `from` (itself included) whose text holds `v`. */
function textHolders(from: TreeNode, v: string | number): TreeNode[] {
  if (!fitsText(from.text, v)) return [];
  const inner = from.children.filter((c) => fitsText(c.text, v));
  if (inner.length === 0) return from.tag === '#document' ? [] : [from];
  return inner.flatMap((c) => textHolders(c, v));
}

/** Elements under `from` (itself included) with an href or a value equal to `v`. */
function attributeHolders(
  tree: Tree,
  from: TreeNode,
  v: string,
): { node: TreeNode; attribute: 'href' | 'value'; absolute: boolean }[] {
  const out: { node: TreeNode; attribute: 'href' | 'value'; absolute: boolean }[] = [];
  for (const n of [from, ...descendants(from)]) {
    const href = n.el.attrs?.['href'];
    if (href === v) out.push({ node: n, attribute: 'href', absolute: false });
    else if (href !== undefined && resolveHref(href, tree.baseUrl) === v)
      out.push({ node: n, attribute: 'href', absolute: true });
    if (n.el.value === v) out.push({ node: n, attribute: 'value', absolute: false });
  }
  return out;
}

/** Relative selectors for `el` inside `item` that find it as their first match. */
function relativeSelectors(item: TreeNode, el: TreeNode): string[] {
  if (el === item) return [':scope'];
  const path: string[] = [];
  for (let cur: TreeNode | null = el; cur && cur !== item; cur = cur.parent)
    path.unshift(nthStep(cur));
  return [...compoundsOf(el), `:scope > ${path.join(' > ')}`].filter(
    (s) => selectFirst(item, s) === el,
  );
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A field read the same way in every item, giving each item's recorded value. */
function inferField(
  tree: Tree,
  roots: TreeNode[],
  key: string[],
  values: unknown[],
): ListField | null {
  const present = values.filter((v) => v !== null);
  if (present.length === 0)
    return { key, selector: null, attribute: 'text', kind: 'string', constant: null };
  if (present.every((v) => typeof v === 'boolean' || v === '')) {
    return values.every((v) => same(v, values[0]))
      ? { key, selector: null, attribute: 'text', kind: 'string', constant: values[0] }
      : null;
  }
  const kind = present.every((v) => typeof v === 'number')
    ? 'number'
    : present.every((v) => typeof v === 'string')
      ? 'string'
      : null;
  if (!kind) return null;
  const nullable = present.length < values.length;
  const j = values.findIndex((v) => v !== null);
  const root = roots[j]!;
  const v = values[j] as string | number;
  const works = (f: ListField) =>
    roots.every((r, i) => {
      const got = readField(tree, r, f);
      return got !== MISSING && same(got, values[i]);
    });
  for (const el of textHolders(root, v)) {
    const base: Omit<ListField, 'selector'> =
      kind === 'number'
        ? { key, attribute: 'text', kind, numberIndex: numbersIn(el.text).indexOf(v as number) }
        : (() => {
            const at = el.text.indexOf(v as string);
            const before = el.text.slice(0, at);
            const after = el.text.slice(at + (v as string).length);
            return {
              key,
              attribute: 'text' as const,
              kind,
              ...(before ? { before } : {}),
              ...(after ? { after } : {}),
            };
          })();
    for (const selector of relativeSelectors(root, el)) {
      const f: ListField = { ...base, selector, ...(nullable ? { nullable: true } : {}) };
      if (works(f)) return f;
    }
  }
  if (kind === 'string') {
    for (const h of attributeHolders(tree, root, v as string)) {
      for (const selector of relativeSelectors(root, h.node)) {
        const f: ListField = {
          key,
          selector,
          attribute: h.attribute,
          kind,
          ...(h.absolute ? { absolute: true } : {}),
          ...(nullable ? { nullable: true } : {}),
        };
        if (works(f)) return f;
      }
    }
  }
  return null;
}

/** The item selector that finds exactly `roots` (in order) among the container's children. */
function itemSelector(container: TreeNode, roots: TreeNode[]): string | null {
  const tag = roots[0]!.tag;
  if (roots.some((r) => r.tag !== tag)) return null;
  const common = (roots[0]!.el.classes ?? []).filter(
    (c) => IDENT.test(c) && roots.every((r) => r.el.classes?.includes(c)),
  );
  const attrs = ['data-testid', 'itemprop', 'role'].flatMap((a) => {
    const v = roots[0]!.el.attrs?.[a];
    return v && SAFE_VALUE.test(v) && roots.every((r) => r.el.attrs?.[a] === v)
      ? [`[${a}="${v}"]`]
      : [];
  });
  const candidates = [
    tag,
    ...common.map((c) => `${tag}.${c}`),
    ...attrs.map((a) => `${tag}${a}`),
    `${tag}${common.map((c) => `.${c}`).join('')}`,
  ].map((c) => `:scope > ${c}`);
  return (
    candidates.find((s) => {
      const got = selectAll(container, s);
      return got.length === roots.length && got.every((g, i) => g === roots[i]);
    }) ?? null
  );
}

export type ListInference =
  | { ok: true; container: string; rule: ListRule }
  | { ok: false; reason: string };

const MAX_CONTAINERS = 6;

/** A repeated-structure read giving back `items` exactly from the snapshot, or why there is none. */
export function inferList(snapshot: PageSnapshot, items: readonly unknown[]): ListInference {
  if (snapshot.truncated)
    return { ok: false, reason: 'the page is too large to compile a list from' };
  if (items.length < 2)
    return { ok: false, reason: 'a list of fewer than two items shows no repeated structure' };
  const perItem = items.map((it) => itemLeaves(it));
  if (perItem.some((l) => l === null))
    return { ok: false, reason: 'the list has items with nested lists' };
  const keys = perItem[0]!.map((l) => l.key);
  const keyId = (k: string[]) => JSON.stringify(k);
  const ids = new Set(keys.map(keyId));
  if (perItem.some((ls) => ls!.length !== keys.length || ls!.some((l) => !ids.has(keyId(l.key)))))
    return { ok: false, reason: 'the list items do not all have the same fields' };
  const valuesOf = (k: string[]) =>
    perItem.map((ls) => ls!.find((l) => keyId(l.key) === keyId(k))!.value);
  const tree = buildTree(snapshot);
  const body = tree.doc.children[0]?.children.find((c) => c.tag === 'body') ?? tree.doc;
  // Anchors: fields every item has as text or a link (strings first, then numbers).
  const anchors = keys
    .filter((k) =>
      valuesOf(k).every((v) => (typeof v === 'string' && v.trim()) || typeof v === 'number'),
    )
    .sort(
      (a, b) =>
        Number(typeof valuesOf(a)[0] === 'number') - Number(typeof valuesOf(b)[0] === 'number'),
    );
  if (anchors.length === 0)
    return { ok: false, reason: 'no field of the list items has a value shown on the page' };
  const tried = new Set<TreeNode>();
  for (const anchor of anchors) {
    const holders = valuesOf(anchor).map((v) => {
      const byText = textHolders(body, v as string | number);
      return byText.length > 0 || typeof v !== 'string'
        ? byText
        : attributeHolders(tree, body, v).map((h) => h.node);
    });
    if (holders.some((h) => h.length === 0)) continue;
    // Containers: elements holding an anchor of every item, deepest first.
    const cover = new Map<TreeNode, Set<number>>();
    holders.forEach((hs, i) => {
      for (const h of hs)
        for (let a = h.parent; a && a.tag !== '#document'; a = a.parent) {
          const s = cover.get(a) ?? new Set<number>();
          s.add(i);
          cover.set(a, s);
        }
    });
    const depth = (n: TreeNode) => {
      let d = 0;
      for (let a = n.parent; a; a = a.parent) d++;
      return d;
    };
    const containers = [...cover.entries()]
      .filter(([n, s]) => s.size === items.length && !tried.has(n))
      .map(([n]) => n)
      .sort((a, b) => depth(b) - depth(a));
    for (const container of containers.slice(0, MAX_CONTAINERS)) {
      tried.add(container);
      // Each item's child of the container; where an anchor's value shows in several children
      // (a banner naming a product), the one shaped like the unambiguous items, in order.
      const options = holders.map((hs) =>
        container.children.filter((c) =>
          hs.some((h) => {
            for (let a: TreeNode | null = h; a; a = a.parent) if (a === c) return true;
            return false;
          }),
        ),
      );
      const shape = options.find((o) => o.length === 1)?.[0]?.tag ?? null;
      const roots: TreeNode[] = [];
      for (const o of options) {
        const after = roots.length > 0 ? roots[roots.length - 1]!.order : -1;
        const pick = o.find((c) => c.order > after && (shape === null || c.tag === shape));
        if (!pick) break;
        roots.push(pick);
      }
      if (roots.length !== items.length) continue;
      const item = itemSelector(container, roots);
      if (!item) continue;
      const fields: ListField[] = [];
      for (const k of keys) {
        const f = inferField(tree, roots, k, valuesOf(k));
        if (!f) break;
        fields.push(f);
      }
      if (fields.length !== keys.length) continue;
      const rule: ListRule = { item, fields };
      if (!same(readListOnSnapshot(tree, container, rule), items)) continue;
      return { ok: true, container: uniqueSelector(tree, container), rule };
    }
  }
  return {
    ok: false,
    reason: `no container and selectors read back the ${items.length} items exactly (the page has other items, or their fields sit outside one element each)`,
  };
}
