/**
 * Pure shaping of a stitched raw tree into the text the model reads. No I/O: unit-tested on
 * plain data. Layout rules: block elements start lines, inline content (text, links, inline
 * controls) flows on one line, wrappers add nothing, only semantic containers indent (dialogs,
 * menus, listboxes, iframes, shadow hosts with content, interactive containers, nested lists).
 */
import type { Box, RawElement, RawNode } from './types.js';

export interface ElementInfo {
  id: number;
  role: string;
  name: string;
  tag: string;
  /** Main-viewport CSS pixels at observation time. */
  box: { x: number; y: number; width: number; height: number } | null;
  inViewport: boolean;
  href?: string;
  value?: string;
  /** URL of the frame the element lives in when it is not the main frame. */
  frameUrl?: string;
  /** Appeared since the previous observation. */
  isNew: boolean;
  /** Printed in the text (false when elided by the token budget). */
  shown: boolean;
}

export interface RenderOptions {
  viewport: { width: number; height: number };
  /** Page URL, used to shorten same-origin links. */
  pageUrl: string;
  /** Ids seen in the previous observation of this run; null on the first one (nothing is new). */
  previousIds: ReadonlySet<number> | null;
  /** Token budget; content far from the viewport is summarised until the text fits. */
  maxTokens?: number;
  /** Token counter (o200k); required with maxTokens. */
  countTokens?: (text: string) => number;
  /** Links longer than this are printed as an alias (`@u3`) mapped back by `urlMap`. */
  maxUrlLength?: number;
}

export interface RenderResult {
  text: string;
  elements: Map<number, ElementInfo>;
  newIds: number[];
  urlMap: Record<string, string>;
  /** Lines summarised away by the budget (0 when everything is shown). */
  elidedLines: number;
}

interface Line {
  indent: number;
  text: string;
  /** Vertical extent in main-viewport coordinates, when known. */
  top: number | null;
  bottom: number | null;
  ids: number[];
}

const CHECKABLE = new Set(['checkbox', 'radio', 'switch', 'menuitemcheckbox', 'menuitemradio']);

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function shortenUrl(
  href: string,
  pageUrl: string,
  maxLen: number,
  urlMap: Record<string, string>,
  aliases: Map<string, string>,
): string | null {
  if (/^javascript:/i.test(href)) return null;
  let shown = href;
  try {
    const u = new URL(href);
    const p = new URL(pageUrl);
    if (u.origin === p.origin) {
      if (u.pathname === p.pathname && u.search === p.search && href.endsWith('#')) return null;
      if (u.pathname === p.pathname && u.search === p.search && u.hash !== '') {
        return u.hash.length > 1 ? u.hash : null;
      }
      shown = u.pathname + u.search + u.hash;
    } else if (u.pathname === '/' && !u.search && !u.hash) {
      shown = u.origin;
    }
  } catch {
    // Unparseable hrefs are printed as they are (and aliased when long).
  }
  if (shown.length <= maxLen) return shown;
  let alias = aliases.get(href);
  if (!alias) {
    alias = `@u${aliases.size + 1}`;
    aliases.set(href, alias);
    urlMap[alias] = href;
  }
  return alias;
}

export function formatElement(node: RawElement, isNew: boolean, href: string | null): string {
  const kind = node.role === 'graphic' ? `graphic ${node.tag}` : (node.role ?? node.tag);
  const parts: string[] = [`${isNew ? '*' : ''}[${node.id}]`, kind];
  if (node.name) parts.push(quote(node.name));
  else if (node.hint) parts.push(`hint=${quote(node.hint)}`);
  if (node.type) parts.push(`type=${node.type}`);
  if (node.multiline) parts.push('multiline');
  if (node.checked !== undefined && CHECKABLE.has(node.role ?? '')) {
    parts.push(node.checked === 'mixed' ? 'mixed' : node.checked ? 'checked' : 'unchecked');
  } else if (node.checked === true) parts.push('checked');
  if (node.selected) parts.push('selected');
  if (node.expanded !== undefined) parts.push(node.expanded ? 'expanded' : 'collapsed');
  if (node.pressed) parts.push('pressed');
  if (node.disabled) parts.push('disabled');
  if (node.readonly) parts.push('readonly');
  if (node.required) parts.push('required');
  if (node.focused) parts.push('focused');
  if (node.value !== undefined && node.value !== node.name)
    parts.push(`value=${quote(node.value)}`);
  if (node.placeholder) parts.push(`placeholder=${quote(node.placeholder)}`);
  if (node.options && node.options.length > 0) {
    const more =
      node.optionCount !== undefined ? ` +${node.optionCount - node.options.length} more` : '';
    parts.push(`options=[${node.options.map((o) => o.label || o.value).join(' | ')}${more}]`);
  }
  if (node.invalid) parts.push(node.error ? `invalid=${quote(node.error)}` : 'invalid');
  if (href) parts.push(`->${href}`);
  return parts.join(' ');
}

function toBox(b: Box | undefined): ElementInfo['box'] {
  return b ? { x: b[0], y: b[1], width: b[2], height: b[3] } : null;
}

function frameLabel(node: RawElement, pageUrl: string): string {
  let where = '';
  if (node.frameUrl) {
    try {
      const u = new URL(node.frameUrl);
      const p = new URL(pageUrl);
      where = u.origin === p.origin ? u.pathname : u.origin + u.pathname;
    } catch {
      where = node.frameUrl;
    }
  }
  const name = node.name ? ` ${quote(node.name)}` : '';
  const src = where ? ` (${where})` : '';
  const err = node.frameError ? ' [not readable]' : '';
  return `iframe${name}${src}${err}:`;
}

export function renderTree(root: RawElement, opts: RenderOptions): RenderResult {
  const vh = opts.viewport.height;
  const vw = opts.viewport.width;
  const maxUrl = opts.maxUrlLength ?? 60;
  const urlMap: Record<string, string> = {};
  const aliases = new Map<string, string>();
  const elements = new Map<number, ElementInfo>();
  const newIds: number[] = [];
  const lines: Line[] = [];
  let cur: Line | null = null;
  /** A list item's `-`, put before its first line (block content prints no lone `-`). */
  let bullet: string | null = null;

  const isNew = (id: number) => opts.previousIds !== null && !opts.previousIds.has(id);

  const flush = () => {
    if (cur && cur.text.trim() !== '') lines.push(cur);
    cur = null;
  };
  const add = (
    text: string,
    indent: number,
    box: Box | undefined,
    ids: number[] = [],
    attach = false,
  ) => {
    if (!cur) {
      if (bullet !== null) {
        text = `${bullet} ${text}`;
        bullet = null;
      }
      cur = {
        indent,
        text,
        top: box ? box[1] : null,
        bottom: box ? box[1] + box[3] : null,
        ids: [...ids],
      };
      return;
    }
    const line: Line = cur;
    const sep = attach || line.text === '' || line.text.endsWith(' ') ? '' : ' ';
    line.text += sep + text;
    line.ids.push(...ids);
    if (line.top === null && box) {
      line.top = box[1];
      line.bottom = box[1] + box[3];
    }
  };
  const addLine = (text: string, indent: number, box: Box | undefined, ids: number[] = []) => {
    flush();
    add(text, indent, box, ids);
    flush();
  };

  const record = (node: RawElement, frameUrl: string | undefined, href: string | undefined) => {
    if (node.id === undefined) return;
    const box = toBox(node.box);
    const inViewport =
      !!box && box.y + box.height > 0 && box.y < vh && box.x + box.width > 0 && box.x < vw;
    const fresh = isNew(node.id);
    if (fresh) newIds.push(node.id);
    const info: ElementInfo = {
      id: node.id,
      role: node.role ?? node.tag,
      name: node.name ?? '',
      tag: node.tag,
      box,
      inViewport,
      isNew: fresh,
      shown: true,
    };
    if (href) info.href = href;
    if (node.value !== undefined) info.value = node.value;
    if (frameUrl) info.frameUrl = frameUrl;
    elements.set(node.id, info);
  };

  const visit = (
    n: RawNode,
    indent: number,
    ctxBox: Box | undefined,
    frameUrl: string | undefined,
    inCell: boolean,
  ): void => {
    if (typeof n === 'string') {
      if (n === '\n') {
        if (!inCell) flush();
        return;
      }
      const text = n.trim();
      if (!text) return;
      // Punctuation written right after a control stays attached (`[3] link "here".`).
      add(text, indent, ctxBox, [], !/^\s/.test(n) && /^[.,;:!?)\]}]/.test(text));
      return;
    }
    const box = n.box ?? ctxBox;
    const block = !!n.b && !inCell;
    const kids = (i: number, cell = inCell, fu = frameUrl) => {
      for (const c of n.children) visit(c, i, box, fu, cell);
    };

    if (n.tag === 'iframe' || n.tag === 'frame') {
      addLine(frameLabel(n, opts.pageUrl), indent, n.box);
      kids(indent + 1, false, n.frameUrl ?? frameUrl);
      flush();
      return;
    }
    if (n.id !== undefined) {
      const href = n.href ? shortenUrl(n.href, opts.pageUrl, maxUrl, urlMap, aliases) : null;
      record(n, frameUrl, n.href);
      const token = formatElement(n, isNew(n.id), href);
      if (n.children.length > 0) {
        // An interactive container (clickable card, listbox, menu with items).
        addLine(token, indent, n.box, [n.id]);
        kids(indent + 1, false);
        flush();
        return;
      }
      if (block) flush();
      add(token, indent, n.box, [n.id]);
      if (block) flush();
      return;
    }
    if (n.role === 'dialog' || n.role === 'menu' || n.role === 'listbox' || n.role === 'grid') {
      addLine(`${n.role}${n.name ? ` ${quote(n.name)}` : ''}:`, indent, n.box);
      kids(indent + 1, false);
      flush();
      return;
    }
    if (n.lvl !== undefined && !inCell) {
      flush();
      add('#'.repeat(n.lvl), indent, box);
      kids(indent);
      flush();
      return;
    }
    if (n.tag === 'li' && !inCell) {
      flush();
      bullet = '-';
      for (const c of n.children) {
        if (typeof c !== 'string' && (c.tag === 'ul' || c.tag === 'ol')) {
          flush();
          visit(c, indent + 1, box, frameUrl, false);
        } else visit(c, indent, box, frameUrl, false);
      }
      flush();
      bullet = null;
      return;
    }
    if (n.tag === 'tr' && !inCell) {
      flush();
      let first = true;
      for (const c of n.children) {
        if (!first) add('|', indent, box);
        first = false;
        visit(c, indent, box, frameUrl, true);
      }
      flush();
      return;
    }
    if (block) flush();
    kids(indent);
    if (block) flush();
  };

  for (const c of root.children) visit(c, 0, root.box, undefined, false);
  flush();

  let kept = lines;
  let elidedLines = 0;
  if (opts.maxTokens !== undefined && opts.countTokens) {
    const budgeted = applyBudget(lines, vh, opts.maxTokens, opts.countTokens);
    kept = budgeted.lines;
    elidedLines = budgeted.elided;
    if (elidedLines > 0) {
      const shownIds = new Set<number>();
      for (const l of kept) for (const id of l.ids) shownIds.add(id);
      for (const info of elements.values()) info.shown = shownIds.has(info.id);
    }
  }
  return { text: toText(kept, vh), elements, newIds, urlMap, elidedLines };
}

type Zone = 'above' | 'in' | 'below';

function zoneOf(l: Line, vh: number): Zone | null {
  if (l.top === null || l.bottom === null) return null;
  if (l.bottom <= 0 && l.top < 0) return 'above';
  if (l.top >= vh) return 'below';
  return 'in';
}

const ZONE_MARK: Record<Zone, string> = {
  above: '--- above the viewport ---',
  in: '--- in the viewport ---',
  below: '--- below the viewport ---',
};

function toText(lines: Line[], vh: number): string {
  const out: string[] = [];
  let zone: Zone | null = null;
  for (const l of lines) {
    const z = zoneOf(l, vh);
    if (z !== null && z !== zone) {
      // No marker before the first in-viewport line when nothing precedes it.
      if (!(zone === null && z === 'in')) out.push(ZONE_MARK[z]);
      zone = z;
    }
    out.push('  '.repeat(l.indent) + l.text);
  }
  return out.join('\n');
}

/** Distance in pixels between a line and the viewport (0 inside), inheriting unknown positions. */
function distances(lines: Line[], vh: number): number[] {
  const d: number[] = [];
  let prev = 0;
  for (const l of lines) {
    if (l.top !== null && l.bottom !== null) {
      prev = l.bottom <= 0 ? -l.bottom : l.top >= vh ? l.top - vh : 0;
    }
    d.push(prev);
  }
  return d;
}

function summarise(run: Line[], where: 'above' | 'below'): Line {
  const ids = run.flatMap((l) => l.ids);
  const range = ids.length > 0 ? `, ids ${Math.min(...ids)}-${Math.max(...ids)}` : '';
  return {
    indent: 0,
    text: `… ${run.length} lines ${where} the viewport omitted (${ids.length} elements${range}); scroll to see them`,
    top: null,
    bottom: null,
    ids: [],
  };
}

export function applyBudget(
  lines: Line[],
  vh: number,
  maxTokens: number,
  count: (t: string) => number,
): { lines: Line[]; elided: number } {
  const per = lines.map((l) => count(l.text) + 1 + l.indent);
  const total = per.reduce((a, b) => a + b, 0);
  if (total <= maxTokens) return { lines, elided: 0 };
  const dist = distances(lines, vh);
  const build = (limit: number) => {
    const out: Line[] = [];
    let run: Line[] = [];
    let runWhere: 'above' | 'below' = 'below';
    let tokens = 0;
    let elided = 0;
    const closeRun = () => {
      if (run.length === 0) return;
      const s = summarise(run, runWhere);
      out.push(s);
      tokens += 30;
      elided += run.length;
      run = [];
    };
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (dist[i]! <= limit) {
        closeRun();
        out.push(l);
        tokens += per[i]!;
      } else {
        const where = l.bottom !== null && l.bottom <= 0 ? 'above' : 'below';
        if (run.length > 0 && where !== runWhere) closeRun();
        runWhere = where;
        run.push(l);
      }
    }
    closeRun();
    return { lines: out, tokens, elided };
  };
  let lo = 0;
  let hi = Math.max(...dist);
  let best = build(0);
  if (best.tokens > maxTokens) return { lines: best.lines, elided: best.elided };
  while (hi - lo > 50) {
    const mid = Math.floor((lo + hi) / 2);
    const r = build(mid);
    if (r.tokens <= maxTokens) {
      best = r;
      lo = mid;
    } else hi = mid;
  }
  return { lines: best.lines, elided: best.elided };
}
