/**
 * The in-page half of resolving a selector Wren wrote (candidates.ts) without Playwright's
 * selector engine: `role=R[name="N"]` and `text="T"` are matched with the same role and name rules
 * that wrote them (elementCandidates), anything else without Playwright-only syntax as CSS. The
 * first Playwright locator in a document costs its injected script (a 345 kB compile per document
 * and world); this costs one small evaluate. Selectors it cannot read (frame hops, XPath, other
 * engines) give null, and the caller asks Playwright.
 *
 * Differences from Playwright's engines, on purpose: an accessible name matches exactly (Playwright
 * also takes a name that contains it), so a replay never acts on "Next page" for "Next".
 *
 * `matchSelector` is serialised with Function#toString, so it is self-contained: no imports, no
 * outer variables; `candidatesOf` is elementCandidates, handed in as source.
 */
import type { Candidate } from './candidates.js';

export function matchSelector(
  selector: string,
  candidatesOf: (el: Element) => Candidate[],
): Element[] | null {
  const norm = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();
  // Every element of the document and of the open shadow roots inside it.
  const roots: (Document | ShadowRoot)[] = [document];
  const all: Element[] = [];
  for (let i = 0; i < roots.length; i++) {
    for (const el of Array.from(roots[i]!.querySelectorAll('*'))) {
      all.push(el);
      if (el.shadowRoot) roots.push(el.shadowRoot);
    }
  }
  // Hidden from assistive technology: Playwright's role engine leaves such elements out.
  const hiddenForAria = (el: Element): boolean => {
    const box = el.tagName === 'OPTION' ? el.closest('select') : el;
    if (box && !box.checkVisibility({ visibilityProperty: true } as CheckVisibilityOptions))
      return true;
    for (let e: Element | null = el; e; e = e.parentElement)
      if (e.getAttribute('aria-hidden') === 'true' || e.hasAttribute('inert')) return true;
    return false;
  };
  const quoted = (s: string): string | null => {
    try {
      const v: unknown = JSON.parse(s);
      return typeof v === 'string' ? v : null;
    } catch {
      return null;
    }
  };

  const role = /^role=([a-z-]+)\[name=("(?:[^"\\]|\\.)*")\]$/.exec(selector);
  if (role) {
    if (quoted(role[2]!) === null) return null;
    const wanted = `role=${role[1]}[name=${role[2]}]`;
    // Elements that can have the role at all, before the full rules run on them.
    const implicit: Record<string, string> = {
      link: 'a',
      button: 'button,input,summary',
      heading: 'h1,h2,h3,h4,h5,h6',
      img: 'img',
      option: 'option',
      listbox: 'select',
    };
    const tags = implicit[role[1]!] ?? 'input,textarea,select';
    const maybe = (el: Element) => {
      const explicit = norm(el.getAttribute('role')).split(' ')[0];
      return explicit ? explicit === role[1] : el.matches(tags);
    };
    return all.filter((el) => {
      if (!maybe(el)) return false;
      const first = candidatesOf(el)[0];
      return first?.strategy === 'role' && first.selector === wanted && !hiddenForAria(el);
    });
  }
  if (selector.startsWith('text=')) {
    const text = quoted(selector.slice(5));
    if (text === null) return null;
    const skip = new Set(['HTML', 'HEAD', 'SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'TITLE']);
    return all.filter((el) => !skip.has(el.tagName) && norm(el.textContent) === text);
  }
  // Playwright's own syntax (engines, frame hops, its pseudo-classes) is Playwright's to read.
  if (
    selector.includes('>>') ||
    /^[a-z][a-z0-9_-]*=/i.test(selector) ||
    selector.startsWith('/') ||
    selector.startsWith('(') ||
    /:(has-text|text|text-is|text-matches|visible|nth-match|right-of|left-of|above|below|near)\(/.test(
      selector,
    ) ||
    /:visible\b/.test(selector)
  )
    return null;
  const found = new Set<Element>();
  try {
    for (const root of roots)
      for (const el of Array.from(root.querySelectorAll(selector))) found.add(el);
  } catch {
    return null; // not CSS the page understands
  }
  return [...found];
}

/** Where the installed matcher lives on the frame's window. */
const MATCH_GLOBAL = '__wrenMatch';

/**
 * A call of the installed matcher: waits up to `timeoutMs` for `selector` to match, watching the
 * DOM's mutations (no polling), and answers `{ count, id, doc }` with the element's frame-local
 * observation id (window.__wrenObs) when it matches one element, null when the selector is not one
 * this code reads, or the string "install" when the document has no matcher yet
 * (matchInstallExpression).
 */
export function matchExpression(selector: string, timeoutMs: number): string {
  return `(typeof window.${MATCH_GLOBAL} === 'function' ? window.${MATCH_GLOBAL}(${JSON.stringify(selector)}, ${Math.max(0, Math.round(timeoutMs))}) : 'install')`;
}

/**
 * Installs the matcher in a document: `candidatesSource` is elementCandidates' source, `install`
 * a statement that sets up window.__wrenObs (ids and the mutation counter) when it is missing.
 */
export function matchInstallExpression(candidatesSource: string, install: string): string {
  return `(() => { var __name = (f) => f;
    const matchSelector = (${matchSelector.toString()});
    const candidatesOf = (${candidatesSource});
    const find = (selector, timeoutMs) => new Promise((resolve) => {
      let timer = 0;
      let observer = null;
      let queued = false;
      let done = false;
      const finish = (els) => {
        done = true;
        clearTimeout(timer);
        observer?.disconnect();
        if (els === null) return resolve(null);
        if (els.length !== 1) return resolve({ count: els.length, id: null, doc: null });
        if (!window.__wrenObs) { ${install}; }
        const s = window.__wrenObs;
        resolve({ count: 1, id: s.idOf(els[0]), doc: s.doc, mutations: s.mutations });
      };
      const check = (last) => {
        queued = false;
        if (done) return;
        const els = matchSelector(selector, candidatesOf);
        if (els === null || els.length > 0 || last) finish(els);
      };
      check(timeoutMs <= 0);
      if (done) return;
      observer = new MutationObserver(() => {
        if (queued) return;
        queued = true;
        setTimeout(() => check(false), 10);
      });
      observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
      timer = setTimeout(() => check(true), timeoutMs);
    });
    Object.defineProperty(window, '${MATCH_GLOBAL}', { value: find, configurable: true });
  })()`;
}
