/**
 * The page as the run saw it when its output was extracted: element tree, text nodes, the few
 * attributes list selectors are built from. The in-page half is self-contained (serialised into
 * the page); inference over it is pure (src/scripts/list.ts).
 */

/** One element; `children` are elements and text nodes in document order. */
export interface SnapElement {
  tag: string;
  id?: string;
  classes?: string[];
  /** Attributes selectors may use, and `href`. */
  attrs?: Record<string, string>;
  /** The `value` property of form controls. */
  value?: string;
  children: (SnapElement | string)[];
}

export interface PageSnapshot {
  /** The document's base URL (hrefs resolve against it). */
  baseUrl: string;
  /** The `<html>` element. */
  root: SnapElement;
  /** The page had more elements than a snapshot keeps: lists are not inferred. */
  truncated: boolean;
}

/** Attributes kept: stable hooks for item and field selectors, and href for links. */
export const SNAPSHOT_ATTRS = ['href', 'data-testid', 'itemprop', 'role', 'name', 'aria-label'];

/** In the page: the snapshot (script and style text left out: lists are not read from it). */
export function snapshotInPage(arg: { attrs: string[]; maxElements: number }): PageSnapshot {
  let count = 0;
  let truncated = false;
  const walk = (el: Element): SnapElement => {
    count++;
    const node: SnapElement = { tag: el.tagName.toLowerCase(), children: [] };
    if (el.id) node.id = el.id;
    if (el.classList.length > 0) node.classes = [...el.classList];
    for (const a of arg.attrs) {
      const v = el.getAttribute(a);
      if (v !== null) node.attrs = { ...node.attrs, [a]: v };
    }
    if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) node.value = el.value;
    if (el instanceof HTMLSelectElement) node.value = el.value;
    const opaque = ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName);
    for (const c of el.childNodes) {
      if (c.nodeType === Node.TEXT_NODE) {
        if (!opaque && c.textContent) node.children.push(c.textContent);
      } else if (c.nodeType === Node.ELEMENT_NODE) {
        if (count >= arg.maxElements) {
          truncated = true;
          break;
        }
        node.children.push(walk(c as Element));
      }
    }
    return node;
  };
  const root = walk(document.documentElement);
  return { baseUrl: document.baseURI, root, truncated };
}
