/**
 * The in-page half of observation. `installAndCapture` is serialised with Function#toString and
 * evaluated in every frame, so it must be self-contained: no imports, no outer variables.
 * It keeps per-document state on `window.__wrenObs` (element ids in a WeakMap so they stay the same
 * across observations, a mutation counter for effect checks) and returns a compact raw tree.
 */
import type { ListenerRecord } from './listener-tracker.js';
import type {
  Box,
  CaptureOptions,
  FrameCapture,
  RawElement,
  RawNode,
  RawOption,
  SeenBox,
} from './types.js';

interface ObsState {
  doc: string;
  /** Hover rules parsed from the stylesheets, keyed by a cheap stylesheet fingerprint. */
  hover?: {
    key: string;
    selector: string | null;
    pairs: [string, string][];
    /** Elements whose pointer cursor appears only on hover (`.icon:hover { cursor: pointer }`). */
    pointer: string | null;
  };
  next: number;
  ids: WeakMap<Element, number>;
  els: Map<number, WeakRef<Element>>;
  mutations: number;
  /** Where each interactive element was at its last capture, and when (see readyForQuickClick). */
  seen?: WeakMap<Element, SeenBox>;
  get(id: number): Element | null;
  idOf(el: Element): number;
}

export function installAndCapture(opts: CaptureOptions): FrameCapture {
  const w = window as unknown as { __wrenObs?: ObsState };
  let st = w.__wrenObs;
  if (!st) {
    const s: ObsState = {
      doc: Math.random().toString(36).slice(2, 10),
      next: 1,
      ids: new WeakMap(),
      els: new Map(),
      mutations: 0,
      get(id: number): Element | null {
        const el = s.els.get(id)?.deref() ?? null;
        return el?.isConnected ? el : null;
      },
      idOf(el: Element): number {
        let id = s.ids.get(el);
        if (id === undefined) {
          id = s.next++;
          s.ids.set(el, id);
          s.els.set(id, new WeakRef(el));
        }
        return id;
      },
    };
    Object.defineProperty(window, '__wrenObs', { value: s, enumerable: false });
    try {
      new MutationObserver((records) => {
        s.mutations += records.length;
      }).observe(document, {
        subtree: true,
        childList: true,
        attributes: true,
        characterData: true,
      });
    } catch {
      // Documents without a root element yet; effect checks fall back to other signals.
    }
    st = s;
  }
  // Only the per-document state (ids, mutation counter), for code that finds elements itself.
  if (opts.installOnly) return null as unknown as FrameCapture;
  const state = st;
  if (!state.seen) state.seen = new WeakMap();
  const seen = state.seen;
  const capturedAt = performance.now();

  // Roles that are both widgets and named from their content.
  const CONTROL_ROLES = [
    'button',
    'link',
    'checkbox',
    'radio',
    'switch',
    'tab',
    'menuitem',
    'menuitemcheckbox',
    'menuitemradio',
    'option',
  ];
  const WIDGET_ROLES = new Set([
    ...CONTROL_ROLES,
    'combobox',
    'textbox',
    'searchbox',
    'slider',
    'spinbutton',
    'treeitem',
    'gridcell',
    'listbox',
    'scrollbar',
  ]);
  const NAME_FROM_CONTENT = new Set([
    ...CONTROL_ROLES,
    'treeitem',
    'gridcell',
    'clickable',
    'heading',
    'summary',
    'draggable',
  ]);
  const SKIP = new Set([
    'script',
    'style',
    'noscript',
    'template',
    'head',
    'meta',
    'link',
    'title',
    'base',
    'param',
    'source',
    'track',
    'datalist',
  ]);
  const INLINE_DISPLAYS = new Set([
    'inline',
    'inline-block',
    'inline-flex',
    'inline-grid',
    'contents',
  ]);
  // Elements that reveal something on hover (`.menu li:hover .sub`): selectors before `:hover`
  // in rules whose subject is another element. Menus opened by CSS alone get an id this way.
  const sheets = Array.from(document.styleSheets);
  const sheetKey = sheets
    .map((sh) => {
      try {
        return `${sh.href ?? 'inline'}:${sh.cssRules.length}`;
      } catch {
        return 'x';
      }
    })
    .join('|');
  if (state.hover?.key !== sheetKey) {
    const hoverParts: string[] = [];
    const hoverPairs: [string, string][] = [];
    const pointerParts: string[] = [];
    const scanRules = (rules: CSSRuleList) => {
      for (const rule of Array.from(rules)) {
        if (hoverParts.length > 300) return;
        const sel = (rule as CSSStyleRule).selectorText;
        if (sel?.includes(':hover') && (rule as CSSStyleRule).style?.cursor === 'pointer') {
          for (const part of sel.split(',')) {
            if (!part.includes(':hover') || pointerParts.length > 100) continue;
            const plain = part.replace(/:hover/g, '').trim();
            try {
              if (plain) document.querySelector(plain);
              if (plain) pointerParts.push(plain);
            } catch {
              // Not matchable without the pseudo-class; skip.
            }
          }
        }
        if (sel?.includes(':hover')) {
          for (const part of sel.split(',')) {
            const i = part.indexOf(':hover');
            if (i < 0) continue;
            const after = part.slice(i + 6).trim();
            const before = part.slice(0, i).trim();
            if (!after || !before || /[:]$/.test(before)) continue;
            try {
              const target = after.replace(/^[>+~]\s*/, '').replace(/::?[\w-]+(\(.*?\))?/g, '');
              document.querySelector(before);
              if (target) document.querySelector(target);
              hoverParts.push(before);
              hoverPairs.push([before, target]);
            } catch {
              // Selector the engine cannot match alone; skip.
            }
          }
        }
        const inner = (rule as CSSGroupingRule).cssRules;
        if (inner) scanRules(inner);
      }
    };
    for (const sheet of sheets) {
      try {
        scanRules(sheet.cssRules);
      } catch {
        // Cross-origin stylesheet: rules are not readable.
      }
    }
    state.hover = {
      key: sheetKey,
      selector: hoverParts.length > 0 ? [...new Set(hoverParts)].join(',') : null,
      pairs: hoverPairs,
      pointer: pointerParts.length > 0 ? [...new Set(pointerParts)].join(',') : null,
    };
  }
  const hoverPointer = state.hover.pointer;
  const hoverSelector = state.hover.selector;
  const hoverPairs = state.hover.pairs;
  const vw = window.innerWidth;
  const vh = window.innerHeight;
  const maxText = opts.maxTextLength;

  // Event handlers however attached (docs/browser.md "Which elements get an id"): listeners the
  // init script recorded (listener-tracker.ts), on* properties, and the places UI libraries keep
  // handlers they dispatch from one root listener: React props on the node, Vue invokers,
  // Svelte 5 delegated handlers, jQuery's delegated selectors.
  const LISTEN_TYPES = [
    'click',
    'dblclick',
    'mousedown',
    'mouseup',
    'pointerdown',
    'pointerup',
    'touchstart',
    'touchend',
    'keydown',
    'contextmenu',
  ];
  const REACT_PROPS = [
    'onClick',
    'onDoubleClick',
    'onMouseDown',
    'onMouseUp',
    'onPointerDown',
    'onPointerUp',
    'onTouchStart',
    'onTouchEnd',
    'onKeyDown',
    'onContextMenu',
  ];
  const VUE_KEYS = new Set([
    'onClick',
    'onDblclick',
    'onMousedown',
    'onMouseup',
    'onPointerdown',
    'onPointerup',
    'onTouchstart',
    'onTouchend',
    'onKeydown',
    'onContextmenu',
  ]);
  type Handlers = { selector?: string }[] & { delegateCount?: number };
  type JQ = ((el: unknown) => { find(sel: string): { toArray(): Element[] } }) & {
    _data?: (el: unknown, name: string) => Record<string, Handlers> | undefined;
  };
  const win = window as unknown as Record<string | symbol, unknown>;
  const rec = win[Symbol.for('wren.listeners')] as ListenerRecord | undefined;
  const jqCandidate = (win['jQuery'] ?? win['$']) as JQ | undefined;
  const jq = typeof jqCandidate?._data === 'function' ? jqCandidate : undefined;
  const svelteOn = !!win['__svelte'];
  let reactKey: string | null = null;
  /** Targets of delegated handlers (jQuery `.on(type, selector, fn)`), resolved per capture. */
  const delegatedTargets = new Set<Element>();
  /** Nodes whose listeners serve descendants (framework roots): not clickable themselves. */
  const roots = new Set<object>();
  const reactRoot = (el: Element) => {
    for (const k of Object.keys(el)) {
      if (k.startsWith('__reactContainer$')) {
        reactKey = `__reactProps$${k.slice('__reactContainer$'.length)}`;
        roots.add(el);
        return;
      }
    }
  };
  const resolveDelegation = (t: object) => {
    if (!jq?._data) return;
    const events = jq._data(t, 'events');
    if (!events) return;
    for (const type of LISTEN_TYPES) {
      for (const h of events[type] ?? []) {
        if (!h.selector || delegatedTargets.size > 5000) continue;
        let found: Element[] = [];
        try {
          found = Array.from((t as ParentNode).querySelectorAll(h.selector));
        } catch {
          try {
            found = jq(t).find(h.selector).toArray();
          } catch {
            // A selector neither engine understands.
          }
        }
        for (const d of found) delegatedTargets.add(d);
      }
    }
  };
  const candidates: object[] = rec
    ? rec.targets()
    : [document, ...(document.body ? [document.body, ...Array.from(document.body.children)] : [])];
  for (const t of candidates) {
    if (t instanceof Element) {
      reactRoot(t);
      const types = rec?.types(t);
      // A node listening to a dozen event types at once is a framework's delegation root.
      if (types && types.size >= 12) roots.add(t);
    }
    if (t instanceof Node) resolveDelegation(t);
  }

  /** Handlers found through React props or Svelte's delegation records so far in this walk. */
  let delegatedHits = 0;
  /** Whether the last positive hasHandler() rested on recorded listeners alone. */
  let listenerOnly = false;
  const hasHandler = (el: Element): boolean => {
    listenerOnly = false;
    if (delegatedTargets.has(el)) return true;
    // React sets a no-op `onclick` on its root (a Safari workaround): roots are never targets.
    if (roots.has(el)) return false;
    const he = el as unknown as Record<string | symbol, unknown>;
    if (
      typeof he['onclick'] === 'function' ||
      typeof he['onmousedown'] === 'function' ||
      typeof he['onmouseup'] === 'function' ||
      typeof he['onpointerdown'] === 'function'
    ) {
      return true;
    }
    if (reactKey) {
      const props = he[reactKey] as Record<string, unknown> | undefined;
      if (props) {
        for (const k of REACT_PROPS) {
          if (typeof props[k] === 'function') {
            delegatedHits++;
            return true;
          }
        }
      }
    }
    const vei = he['_vei'] as Record<string, { value?: unknown } | undefined> | undefined;
    if (vei) for (const k in vei) if (VUE_KEYS.has(k) && vei[k]?.value) return true;
    if (svelteOn) {
      let found = typeof he['__click'] === 'function';
      for (const sym of found ? [] : Object.getOwnPropertySymbols(el)) {
        const v = he[sym] as Record<string, unknown> | null;
        if (v && typeof v === 'object' && typeof v['click'] === 'function') found = true;
      }
      if (found) {
        delegatedHits++;
        return true;
      }
    }
    if (rec) {
      const types = rec.types(el);
      if (!types) return false;
      const events = jq?._data ? jq._data(el, 'events') : undefined;
      for (const t of LISTEN_TYPES) {
        const n = types.get(t);
        if (!n) continue;
        const hs = events?.[t];
        // jQuery's one native listener per type: direct handlers count, delegated ones do not.
        if (hs && n === 1 && hs.length - (hs.delegateCount ?? 0) <= 0) continue;
        listenerOnly = !hs;
        return true;
      }
    }
    return false;
  };

  const clean = (s: string | null | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();
  const cut = (s: string, n: number): string => (s.length > n ? s.slice(0, n - 1) + '…' : s);
  const textOf = (el: Element): string => clean(el.textContent);

  const byIds = (el: Element, attr: string): string => {
    const ref = el.getAttribute(attr);
    if (!ref) return '';
    const root = el.getRootNode() as Document | ShadowRoot;
    return clean(
      ref
        .split(/\s+/)
        .map((i) => root.getElementById?.(i)?.textContent ?? '')
        .join(' '),
    );
  };

  const labelText = (el: Element): string => {
    const labels = (el as HTMLInputElement).labels;
    if (!labels || labels.length === 0) return '';
    const parts: string[] = [];
    for (const label of Array.from(labels)) {
      // Text of the label without the control's own text (a select inside a label).
      let t = '';
      const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const p = n.parentElement;
        if (p && (p === el || el.contains(p) || p.closest('select,textarea,option'))) continue;
        t += ` ${n.nodeValue}`;
      }
      parts.push(clean(t));
    }
    return clean(parts.join(' '));
  };

  const roleOf = (el: Element, tag: string, cs: CSSStyleDeclaration, parentPointer: boolean) => {
    const explicit = el.getAttribute('role')?.split(' ')[0];
    if (explicit && WIDGET_ROLES.has(explicit)) return explicit;
    switch (tag) {
      case 'a':
        if (el.hasAttribute('href')) return 'link';
        break;
      case 'button':
        return 'button';
      case 'select':
        return (el as HTMLSelectElement).multiple ? 'listbox' : 'combobox';
      case 'textarea':
        return 'textbox';
      case 'summary':
        return 'button';
      case 'input': {
        const t = (el as HTMLInputElement).type;
        if (t === 'hidden') return undefined;
        if (t === 'checkbox') return 'checkbox';
        if (t === 'radio') return 'radio';
        if (t === 'button' || t === 'submit' || t === 'reset' || t === 'image') return 'button';
        if (t === 'range') return 'slider';
        if (t === 'number') return 'spinbutton';
        if (t === 'search') return 'searchbox';
        if (t === 'file') return 'file';
        return 'textbox';
      }
    }
    const he = el as HTMLElement;
    if (he.isContentEditable && !(el.parentElement?.isContentEditable ?? false)) return 'editable';
    if (el.getAttribute('draggable') === 'true') return 'draggable';
    // An <a> without href that acts (handler, tabindex, pointer) is still a link to the model.
    const acting = tag === 'a' ? 'link' : 'clickable';
    if (el.hasAttribute('onclick')) return acting;
    if (el.hasAttribute('jsaction') || el.hasAttribute('ng-click')) return acting;
    if (tag === 'label' && (el as HTMLLabelElement).control) return undefined;
    if (tag === 'body' || tag === 'html') return undefined;
    if (hasHandler(el)) return acting;
    const ti = el.getAttribute('tabindex');
    if (ti !== null && Number(ti) >= 0) return acting;
    if (cs.cursor === 'pointer' && !parentPointer) return acting;
    if (hoverPointer && !parentPointer && el.matches(hoverPointer)) return acting;
    if (
      hoverSelector &&
      el.childElementCount > 0 &&
      el.matches(hoverSelector) &&
      hoverPairs.some(([b, t]) => el.matches(b) && (!t || el.querySelector(t) !== null))
    ) {
      return 'hover';
    }
    if (
      el.hasAttribute('aria-dropeffect') ||
      /(^|[-_\s])drop(zone|-zone|target)?($|[-_\s])/i.test(el.className?.toString?.() ?? '')
    ) {
      return 'dropzone';
    }
    return undefined;
  };

  const nameOf = (el: Element, tag: string, role: string): string => {
    const byLabelledby = byIds(el, 'aria-labelledby');
    if (byLabelledby) return byLabelledby;
    const aria = clean(el.getAttribute('aria-label'));
    if (aria) return aria;
    if (tag === 'input' || tag === 'select' || tag === 'textarea') {
      const t = (el as HTMLInputElement).type;
      if (tag === 'input' && (t === 'submit' || t === 'button' || t === 'reset')) {
        return clean((el as HTMLInputElement).value) || (t === 'submit' ? 'Submit' : '');
      }
      if (tag === 'input' && t === 'image') return clean(el.getAttribute('alt'));
      const lbl = labelText(el);
      if (lbl) return lbl;
      return clean(el.getAttribute('title'));
    }
    if (tag === 'img') return clean(el.getAttribute('alt') || el.getAttribute('title'));
    if (NAME_FROM_CONTENT.has(role) || role === 'dropzone') {
      let t = textOf(el);
      if (!t) {
        const img = el.querySelector('img[alt],svg[aria-label],[title]');
        t = clean(
          img?.getAttribute('alt') ?? img?.getAttribute('aria-label') ?? img?.getAttribute('title'),
        );
      }
      return t || clean(el.getAttribute('title'));
    }
    return clean(el.getAttribute('title'));
  };

  const boxOf = (el: Element): Box => {
    const r = el.getBoundingClientRect();
    return [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];
  };

  // Text that names a control through aria-labelledby is printed once, as the control's name.
  const nameSources = new Set<Element>();
  for (const c of Array.from(document.querySelectorAll('[aria-labelledby]')).slice(0, 500)) {
    if (
      !WIDGET_ROLES.has(c.getAttribute('role') ?? '') &&
      !/^(input|select|textarea|button)$/.test(c.localName)
    )
      continue;
    for (const ref of (c.getAttribute('aria-labelledby') ?? '').split(/\s+/)) {
      const src = ref ? document.getElementById(ref) : null;
      if (src && src !== c && !src.contains(c)) nameSources.add(src);
    }
  }

  // Labels whose text is already the accessible name of a visible control are not printed.
  const consumedLabel = (label: HTMLLabelElement): boolean => {
    const c = label.control;
    if (!c) return false;
    const ccs = getComputedStyle(c);
    return ccs.display !== 'none' && ccs.visibility !== 'hidden';
  };

  /** The only element child chain of `node` down to a control, if that is all it holds. */
  const soleControl = (node: RawElement): RawElement | null => {
    let n: RawElement = node;
    for (let depth = 0; depth < 6; depth++) {
      if (n.children.length !== 1) return null;
      const c = n.children[0]!;
      if (typeof c === 'string') return null;
      if (c.id !== undefined) return c;
      if (c.role || c.lvl !== undefined) return null;
      n = c;
    }
    return null;
  };

  // How many elements carry each class (computed lazily per capture) for hints.
  const classCounts = new Map<string, number>();
  const classCount = (c: string): number => {
    let n = classCounts.get(c);
    if (n === undefined) {
      n = document.getElementsByClassName(c).length;
      classCounts.set(c, n);
    }
    return n;
  };
  const HINT_ATTRS = ['data-action', 'data-testid', 'data-test', 'data-icon', 'data-id'];
  /** The most distinguishing id, name, data attribute or class of an unnamed control or its icon. */
  const hintOf = (el: Element): string => {
    const own = (e: Element): string => {
      if (e.id) return e.id;
      const nm = e.getAttribute('name');
      if (nm) return nm;
      for (const a of HINT_ATTRS) {
        const v = e.getAttribute(a);
        if (v) return v;
      }
      const href =
        e.localName === 'use' ? e.getAttribute('href') || e.getAttribute('xlink:href') : null;
      if (href) return href.replace(/^.*#/, '');
      const cls = (e.getAttribute('class') ?? '').trim();
      if (!cls) {
        const fill = e instanceof SVGElement ? e.getAttribute('fill') : null;
        return fill && fill !== 'none' && fill !== 'currentColor' ? `fill ${fill}` : '';
      }
      const list = [...new Set(cls.split(/\s+/))];
      if (list.length <= 2) return list.join(' ');
      // The rarest classes on the page tell controls apart (`ui-spinner-up` over `ui-button`).
      return list
        .map((c, i) => ({ c, i, n: classCount(c) }))
        .sort((a, b) => a.n - b.n || b.i - a.i)
        .slice(0, 2)
        .sort((a, b) => a.i - b.i)
        .map((x) => x.c)
        .join(' ');
    };
    const mine = own(el);
    if (mine) return mine;
    const icon = el.querySelector('[class],use,[data-icon]');
    return icon ? own(icon) : '';
  };

  const SHAPES = new Set([
    'circle',
    'ellipse',
    'rect',
    'polygon',
    'polyline',
    'path',
    'line',
    'image',
    'use',
  ]);
  /** Walking inside an SVG element that has a handler. */
  let svgActive = false;
  /** Text of an SVG element's own <title> child. */
  const titleOf = (el: Element): string => {
    for (const c of Array.from(el.children))
      if (c.localName === 'title') return clean(c.textContent);
    return '';
  };

  interface Walked {
    node: RawNode | null;
    interactive: boolean;
  }

  const walkChildren = (
    parent: Node,
    out: RawNode[],
    pointer: boolean,
    hidden: boolean,
    skipText: boolean,
  ): boolean => {
    let interactive = false;
    let kids: ArrayLike<Node> = parent.childNodes;
    if (parent instanceof HTMLSlotElement) {
      const assigned = parent.assignedNodes({ flatten: true });
      if (assigned.length > 0) kids = assigned;
    }
    // Text keeps the page's own spacing: `Enter "<b>Keli</b>" into` reads `Enter "Keli" into`.
    // A string starting or ending with a space had whitespace there in the page.
    let space = false;
    for (let i = 0; i < kids.length; i++) {
      const r = walk(kids[i]!, pointer, hidden, skipText);
      if (r.interactive) interactive = true;
      if (r.node === null) continue;
      const last = out[out.length - 1];
      if (r.node === ' ') {
        if (typeof last === 'string' && last !== '\n') {
          if (!last.endsWith(' ')) out[out.length - 1] = `${last} `;
        } else space = true;
        continue;
      }
      if (typeof r.node === 'string' && r.node !== '\n') {
        const text = space && !r.node.startsWith(' ') ? ` ${r.node}` : r.node;
        if (typeof last === 'string' && last !== '\n') {
          out[out.length - 1] =
            last.endsWith(' ') && text.startsWith(' ') ? last + text.slice(1) : last + text;
        } else out.push(text);
      } else out.push(r.node);
      space = false;
    }
    return interactive;
  };

  const walk = (
    n: Node,
    parentPointer: boolean,
    parentHidden: boolean,
    skipText: boolean,
  ): Walked => {
    if (n.nodeType === 3) {
      if (parentHidden || skipText) return { node: null, interactive: false };
      const raw = n.nodeValue ?? '';
      const t = clean(raw);
      if (!t) return { node: raw ? ' ' : null, interactive: false };
      const lead = /^\s/.test(raw) ? ' ' : '';
      const trail = /\s$/.test(raw) ? ' ' : '';
      return { node: lead + cut(t, maxText) + trail, interactive: false };
    }
    if (n.nodeType !== 1) return { node: null, interactive: false };
    const el = n as Element;
    const tag = el.localName;
    if (SKIP.has(tag)) return { node: null, interactive: false };
    const cs = getComputedStyle(el);
    if (cs.display === 'none') return { node: null, interactive: false };
    const hidden = cs.visibility === 'hidden' || cs.visibility === 'collapse';
    const he = el as HTMLElement;

    if (tag === 'iframe' || tag === 'frame') {
      if (hidden) return { node: null, interactive: false };
      const box = boxOf(el);
      if (box[2] === 0 || box[3] === 0) return { node: null, interactive: false };
      // Content-box offset so child-frame coordinates can be translated to this viewport.
      box[0] += he.clientLeft;
      box[1] += he.clientTop;
      return {
        node: {
          tag,
          fid: state.idOf(el),
          b: 1,
          box,
          name: clean(el.getAttribute('title') || el.getAttribute('name')),
          children: [],
        },
        interactive: true,
      };
    }
    const inSvg = el instanceof SVGElement;
    if (tag === 'svg') {
      const label = clean(el.getAttribute('aria-label')) || titleOf(el);
      const r = el.getBoundingClientRect();
      // Icons stay one entry; drawings and charts are walked (shapes, <text>).
      if (r.width <= 48 && r.height <= 48) {
        const role = hidden ? undefined : roleOf(el, tag, cs, parentPointer);
        if (!role && !label) return { node: null, interactive: false };
        const node: RawElement = { tag, children: [] };
        if (role) {
          node.role = role;
          node.id = state.idOf(el);
          node.box = boxOf(el);
          if (label) node.name = label;
        } else node.children.push(`[${label}]`);
        return { node, interactive: !!role };
      }
    }

    let role = hidden ? undefined : roleOf(el, tag, cs, parentPointer);
    if (inSvg && tag !== 'svg' && !hidden) {
      // Shapes with a handler, or inside a drawing that has one (the <svg> listens and reads
      // event.target), are targets of their own: `graphic circle`.
      if (role === 'clickable' || (svgActive && SHAPES.has(tag))) role = 'graphic';
    }
    // A node clickable only through a recorded listener may be the root that dispatches to
    // React/Svelte handlers below it; decided once its children are walked.
    const rootCandidate = role === 'clickable' && listenerOnly;
    const hitsBefore = delegatedHits;
    if (role) {
      const r = el.getBoundingClientRect();
      const tiny = r.width === 0 || r.height === 0;
      // Hidden-by-size controls still count when a visible label stands in for them.
      if (tiny && cs.display !== 'contents') {
        const labels = (el as HTMLInputElement).labels;
        if (!labels || labels.length === 0) {
          if (el.childElementCount === 0) return { node: null, interactive: false };
          role = undefined;
        }
      }
    }
    const pointer = cs.cursor === 'pointer';
    const editableRoot =
      !!role && he.isContentEditable && !(el.parentElement?.isContentEditable ?? false);
    const node: RawElement = { tag, children: [] };
    // Inside a drawing only groups start lines (a chart's `Jan 80` stays together).
    if (inSvg && tag !== 'svg' ? tag === 'g' : !INLINE_DISPLAYS.has(cs.display)) node.b = 1;
    if (tag === 'br') return { node: '\n', interactive: false };
    if (/^h[1-6]$/.test(tag)) node.lvl = Number(tag[1]);
    if (
      tag === 'dialog' ||
      el.getAttribute('role') === 'dialog' ||
      el.getAttribute('role') === 'alertdialog'
    ) {
      node.role = 'dialog';
      node.name = nameOf(el, tag, 'dialog') || byIds(el, 'aria-describedby').slice(0, 60);
    }
    if (tag === 'form' || tag === 'nav' || tag === 'table' || tag === 'ul' || tag === 'ol') {
      node.box = boxOf(el);
    }
    const explicitRole = el.getAttribute('role');
    if (
      !role &&
      (explicitRole === 'menu' || explicitRole === 'listbox' || explicitRole === 'grid')
    ) {
      node.role = explicitRole;
    }

    let interactive = false;
    let contentName = false;
    if (role) {
      interactive = true;
      node.role = role;
      node.id = state.idOf(el);
      const r = el.getBoundingClientRect();
      seen.set(el, { x: r.x, y: r.y, w: r.width, h: r.height, at: capturedAt });
      node.box = [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];
      const name =
        role === 'hover'
          ? clean(el.getAttribute('aria-label'))
          : inSvg
            ? clean(el.getAttribute('aria-label')) || titleOf(el)
            : nameOf(el, tag, role);
      if (name) node.name = cut(name, 150);
      contentName =
        !!name &&
        NAME_FROM_CONTENT.has(role) &&
        !el.hasAttribute('aria-label') &&
        !el.hasAttribute('aria-labelledby') &&
        name === textOf(el);
      if (role === 'link') {
        const href = (el as HTMLAnchorElement).href;
        if (href) node.href = href;
      }
      if (tag === 'input' || tag === 'textarea') {
        const inp = el as HTMLInputElement;
        const t = inp.type;
        // The input's type (also `text`) and `multiline` for a textarea tell the two apart.
        if (tag === 'textarea') node.multiline = 1;
        else if (
          t !== 'checkbox' &&
          t !== 'radio' &&
          t !== 'submit' &&
          t !== 'button' &&
          !(t === 'text' && role !== 'textbox')
        ) {
          node.type = t;
        }
        if (t === 'checkbox' || t === 'radio') {
          node.checked = t === 'checkbox' && inp.indeterminate ? 'mixed' : inp.checked;
        } else if (t === 'file') {
          const files = inp.files ? Array.from(inp.files).map((f) => f.name) : [];
          if (files.length) node.value = files.join(', ');
        } else if (t !== 'submit' && t !== 'button' && t !== 'reset' && t !== 'image') {
          // Fields an action typed a secret into (enter_code) read as dots, like passwords.
          const heldSecret =
            (inp as unknown as Record<symbol, unknown>)[Symbol.for('wren.secret-input')] === true;
          if (inp.value) {
            node.value =
              t === 'password'
                ? '•'.repeat(Math.min(inp.value.length, 64))
                : heldSecret
                  ? '•'.repeat(Math.min(inp.value.length, 8))
                  : cut(inp.value, 300);
          }
          const ph = clean(inp.placeholder);
          if (ph && ph !== node.name) node.placeholder = cut(ph, 80);
        }
        if (inp.readOnly) node.readonly = 1;
        if (inp.required) node.required = 1;
        if (inp.validationMessage && inp.matches(':user-invalid')) {
          node.invalid = 1;
          node.error = cut(inp.validationMessage, 120);
        }
      }
      if (tag === 'select') {
        const sel = el as HTMLSelectElement;
        const opts2: RawOption[] = [];
        const all = Array.from(sel.options);
        for (const o of all.slice(0, opts.maxOptions)) {
          opts2.push({ label: clean(o.label || o.text), value: o.value, selected: o.selected });
        }
        node.options = opts2;
        if (all.length > opts.maxOptions) node.optionCount = all.length;
        const chosen = all.filter((o) => o.selected).map((o) => clean(o.label || o.text));
        if (chosen.length) node.value = chosen.join(', ');
        if (sel.multiple) node.multiple = 1;
        if (sel.required) node.required = 1;
      }
      if (editableRoot) {
        const text = clean(he.textContent);
        if (text) node.value = cut(text, 500);
      }
      const ac = el.getAttribute('aria-checked');
      if (ac !== null && node.checked === undefined)
        node.checked = ac === 'mixed' ? 'mixed' : ac === 'true';
      const as = el.getAttribute('aria-selected');
      if (as !== null) node.selected = as === 'true';
      const ae = el.getAttribute('aria-expanded');
      if (ae !== null) node.expanded = ae === 'true';
      const ap = el.getAttribute('aria-pressed');
      if (ap !== null) node.pressed = ap === 'true';
      if ((el as HTMLButtonElement).disabled || el.getAttribute('aria-disabled') === 'true') {
        node.disabled = 1;
      }
      if (el.getAttribute('aria-readonly') === 'true') node.readonly = 1;
      if (el.getAttribute('aria-required') === 'true') node.required = 1;
      if (el.getAttribute('aria-invalid') === 'true') {
        node.invalid = 1;
        const msg = byIds(el, 'aria-errormessage');
        if (msg) node.error = cut(msg, 120);
      }
      if (role === 'combobox' && tag !== 'select' && !node.value) {
        const v = clean((el as HTMLInputElement).value ?? '');
        if (v) node.value = v;
      }
      if (document.activeElement === el || (el.getRootNode() as ShadowRoot).activeElement === el) {
        node.focused = 1;
      }
    }

    // Children: interactable elements named from their content, with no interactable inside,
    // print their name instead of their text.
    const isLabelConsumed = tag === 'label' && consumedLabel(el as HTMLLabelElement);
    const noText = tag === 'select' || tag === 'textarea' || editableRoot || isLabelConsumed;
    let childInteractive = false;
    const svgBefore = svgActive;
    if (inSvg && role) svgActive = true;
    if (tag !== 'select' && tag !== 'textarea') {
      if (he.shadowRoot) {
        node.shadow = 1;
        childInteractive = walkChildren(he.shadowRoot, node.children, pointer, hidden, noText);
      } else if (tag === 'details' && !(el as HTMLDetailsElement).open) {
        // A closed <details> renders only its summary.
        const summary = Array.from(el.children).find((c) => c.localName === 'summary');
        if (summary) {
          const r = walk(summary, pointer, hidden, noText);
          if (r.node !== null) node.children.push(r.node);
          childInteractive = r.interactive;
        }
      } else {
        childInteractive = walkChildren(el, node.children, pointer, hidden, noText);
      }
    }
    svgActive = svgBefore;
    if (childInteractive) interactive = true;
    if (!role && !interactive && nameSources.has(el)) return { node: null, interactive: false };
    if (rootCandidate && delegatedHits > hitsBefore) {
      // The delegation root of a UI library (Svelte's mount target): its targets have ids.
      role = undefined;
      node.role = undefined;
      node.id = undefined;
      node.name = undefined;
      node.focused = undefined;
      interactive = childInteractive;
    }
    if (role && !node.name && node.children.length === 0) {
      // Icon-only controls: give the model something to go on.
      const hint = hintOf(el);
      if (hint) node.hint = cut(hint, 40);
    }
    if (role === 'hover' && node.children.every((c) => typeof c === 'string')) {
      node.name = cut(clean(node.children.join(' ')), 150);
      node.children = [];
    }
    if (role && !childInteractive && node.name !== undefined && !editableRoot) {
      // The name already holds the text (also text in block wrappers: an icon span).
      const onlyText = node.children.every((c) => typeof c === 'string');
      if (onlyText || contentName) node.children = [];
    }
    if (role && childInteractive && contentName && node.children.length > 0) {
      // A clickable container's children print its text; a name would repeat it.
      node.name = undefined;
    }
    if (role === 'clickable' && childInteractive && !node.name) {
      // A generic clickable wrapping exactly one control (a cell around its link): the inner
      // control is the target, and clicking it reaches the wrapper's handler too.
      const inner = soleControl(node);
      if (inner) return { node: inner, interactive: true };
    }

    if (!role && !node.role && node.lvl === undefined && node.children.length === 0) {
      if (tag === 'img') {
        const alt = clean(el.getAttribute('alt'));
        return { node: alt ? `[img: ${cut(alt, 80)}]` : null, interactive: false };
      }
      if (tag === 'hr') return { node: { tag, b: 1, children: ['---'] }, interactive: false };
      return { node: null, interactive: false };
    }
    // Plain inline wrappers around text collapse into their text.
    if (!role && !node.role && !node.b && node.lvl === undefined && !node.shadow) {
      if (node.children.length === 1 && typeof node.children[0] === 'string') {
        const text = node.children[0];
        // Boxes laid out apart (inline-block, SVG <text>) read apart.
        const apart = cs.display !== 'inline' || inSvg;
        return { node: apart ? ` ${text.trim()} ` : text, interactive };
      }
    }
    if (node.b && !node.box && !role) {
      const r = el.getBoundingClientRect();
      node.box = [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];
    }
    return { node, interactive };
  };

  const rootEl = document.body ?? document.documentElement;
  const root: RawElement = { tag: 'body', b: 1, children: [] };
  if (rootEl) {
    const r = walk(rootEl, false, false, false);
    if (r.node && typeof r.node !== 'string') root.children = r.node.children;
    else if (typeof r.node === 'string') root.children = [r.node];
  }
  const se = document.scrollingElement ?? document.documentElement;
  return {
    doc: state.doc,
    url: location.href,
    title: document.title,
    scrollX: Math.round(window.scrollX),
    scrollY: Math.round(window.scrollY),
    scrollWidth: se ? se.scrollWidth : vw,
    scrollHeight: se ? se.scrollHeight : vh,
    viewportWidth: vw,
    viewportHeight: vh,
    root,
    mutations: state.mutations,
  };
}

/** A statement that sets up `window.__wrenObs` (element ids, the mutation counter) if needed. */
export function installStateStatement(): string {
  return `(${installAndCapture.toString()})({ maxTextLength: 0, maxOptions: 0, installOnly: true })`;
}

/** Source evaluated in a frame: installs the helpers if needed, then captures. */
export function captureExpression(opts: CaptureOptions): string {
  // Bundlers may wrap named functions in a `__name` helper; give the page a no-op one.
  // The result travels as one JSON string: Playwright's structured serialisation of a large
  // object tree is an order of magnitude slower than JSON.
  return `(() => { var __name = (f) => f; return JSON.stringify((${installAndCapture.toString()})(${JSON.stringify(opts)})); })()`;
}
