/**
 * The in-page half of selector building: for one element, the selectors that could find it, most
 * robust first (role + accessible name, placeholder, text, test ids, name, id, other attributes,
 * a CSS path last). Nothing here is verified; build.ts counts each candidate's matches.
 *
 * `elementCandidates` is serialised with Function#toString, so it is self-contained: no imports,
 * no outer variables.
 */
import type { SelectorStrategy } from './syntax.js';

export interface Candidate {
  strategy: SelectorStrategy;
  selector: string;
}

export function elementCandidates(el: Element): Candidate[] {
  const out: Candidate[] = [];
  const MAX = 80;
  const q = (s: string) => JSON.stringify(s);
  const norm = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();
  const ok = (s: string) =>
    s.length > 0 && s.length <= MAX && ![...s].some((c) => c.charCodeAt(0) < 32);
  const generated = (id: string) =>
    id.length > 60 ||
    /^:.*:$/.test(id) ||
    /^«.*»$/.test(id) ||
    /^(ember|ext-gen|ext-comp|yui_|gwt-uid-|mui-|radix-|headlessui-|react-select-)/i.test(id) ||
    /[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}/i.test(id) ||
    /\d{3,}/.test(id) ||
    (/[0-9a-f]{6,}/i.test(id) && /\d/.test(id) && /[a-f]/i.test(id)) ||
    /^[a-z]{1,2}\d+$/i.test(id);
  const plainIdent = (s: string) => /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s);
  const tag = el.tagName.toLowerCase();
  const attr = (n: string) => el.getAttribute(n);
  const type = (attr('type') ?? '').toLowerCase();

  // Role: explicit first, else the implicit role Playwright's role engine also uses.
  let role = norm(attr('role')).split(' ')[0] ?? '';
  if (!role) {
    if (tag === 'a' && el.hasAttribute('href')) role = 'link';
    else if (tag === 'button') role = 'button';
    else if (tag === 'input') {
      if (['button', 'submit', 'reset', 'image'].includes(type)) role = 'button';
      else if (type === 'checkbox') role = 'checkbox';
      else if (type === 'radio') role = 'radio';
      else if (type === 'range') role = 'slider';
      else if (type === 'number') role = 'spinbutton';
      else if (type === 'search') role = el.hasAttribute('list') ? 'combobox' : 'searchbox';
      else if (['', 'text', 'email', 'tel', 'url'].includes(type))
        role = el.hasAttribute('list') ? 'combobox' : 'textbox';
    } else if (tag === 'textarea') role = 'textbox';
    else if (tag === 'select')
      role =
        (el as HTMLSelectElement).multiple || (el as HTMLSelectElement).size > 1
          ? 'listbox'
          : 'combobox';
    else if (/^h[1-6]$/.test(tag)) role = 'heading';
    else if (tag === 'img' && norm(attr('alt'))) role = 'img';
    else if (tag === 'option') role = 'option';
    else if (tag === 'summary') role = 'button';
  }

  // Accessible name (the common cases of the spec; build.ts verifies the engine agrees).
  let name = '';
  const labelledBy = norm(attr('aria-labelledby'));
  if (labelledBy) {
    name = norm(
      labelledBy
        .split(' ')
        .map((id) => el.ownerDocument.getElementById(id)?.textContent ?? '')
        .join(' '),
    );
  }
  if (!name) name = norm(attr('aria-label'));
  const isField = tag === 'input' || tag === 'textarea' || tag === 'select';
  if (!name && isField) {
    const labels = (el as HTMLInputElement).labels;
    if (labels && labels.length > 0) {
      name = norm(
        [...labels]
          .map((l) => {
            // A label wrapping its control: the control's own value is not part of the name.
            const c = l.cloneNode(true) as HTMLElement;
            for (const f of c.querySelectorAll('input,select,textarea')) f.remove();
            return c.textContent ?? '';
          })
          .join(' '),
      );
    }
    if (!name && tag === 'input' && ['button', 'submit', 'reset'].includes(type))
      name = norm((el as HTMLInputElement).value) || (type === 'submit' ? 'Submit' : '');
    if (!name && tag === 'input' && type === 'image') name = norm(attr('alt'));
    if (!name) name = norm(attr('title')) || norm(attr('placeholder'));
  }
  if (!name && tag === 'img') name = norm(attr('alt'));
  if (!name && !isField && role && role !== 'img') name = norm(el.textContent);
  if (!name) name = norm(attr('title'));

  if (role && name && ok(name))
    out.push({ strategy: 'role', selector: `role=${role}[name=${q(name)}]` });

  const placeholder = norm(attr('placeholder'));
  if (isField && placeholder && ok(placeholder))
    out.push({ strategy: 'placeholder', selector: `${tag}[placeholder=${q(placeholder)}]` });

  if (!isField) {
    const text = norm(el.textContent);
    if (text && ok(text)) out.push({ strategy: 'text', selector: `text=${q(text)}` });
  }

  for (const a of ['data-testid', 'data-test-id', 'data-test', 'data-qa', 'data-cy']) {
    const v = attr(a);
    if (v && ok(v) && !generated(v)) out.push({ strategy: 'testid', selector: `[${a}=${q(v)}]` });
  }

  const nameAttr = attr('name');
  if (nameAttr && ok(nameAttr) && !generated(nameAttr)) {
    out.push({ strategy: 'name', selector: `${tag}[name=${q(nameAttr)}]` });
    const value = attr('value');
    if ((type === 'radio' || type === 'checkbox') && value && ok(value))
      out.push({ strategy: 'name', selector: `${tag}[name=${q(nameAttr)}][value=${q(value)}]` });
  }

  const id = el.id;
  if (id && ok(id) && !generated(id))
    out.push({ strategy: 'id', selector: plainIdent(id) ? `#${id}` : `[id=${q(id)}]` });

  for (const a of ['aria-label', 'title', 'alt', 'href', 'for']) {
    const v = attr(a);
    if (v && ok(v) && !(a === 'href' && /^(javascript:|#$)/.test(v)))
      out.push({ strategy: 'attribute', selector: `${tag}[${a}=${q(v)}]` });
  }

  // CSS path: nth-of-type steps up to the nearest ancestor with a stable id (or the root).
  const steps: string[] = [];
  let cur: Element | null = el;
  while (cur && cur.nodeType === 1) {
    const t = cur.tagName.toLowerCase();
    if (cur !== el && cur.id && plainIdent(cur.id) && !generated(cur.id)) {
      steps.unshift(`#${cur.id}`);
      break;
    }
    if (t === 'html' || t === 'body') {
      steps.unshift(t);
      break;
    }
    const parent: Element | null = cur.parentElement;
    if (!parent) {
      steps.unshift(t);
      break;
    }
    const same = [...parent.children].filter((c) => c.tagName === cur!.tagName);
    steps.unshift(same.length > 1 ? `${t}:nth-of-type(${same.indexOf(cur) + 1})` : t);
    cur = parent;
  }
  out.push({ strategy: 'css', selector: steps.join(' > ') });
  return out;
}

/** Where the installed function lives on the frame's window. */
export const CANDIDATES_GLOBAL = '__wrenSelectorCandidates';

/**
 * An expression that installs `elementCandidates` on the frame's window (evaluated as a string,
 * which a page's Content-Security-Policy does not block, unlike `eval` in the page).
 */
export function installCandidatesExpression(): string {
  // Bundlers may wrap named functions in a `__name` helper; give the page a no-op one.
  return `(() => { var __name = (f) => f; window.${CANDIDATES_GLOBAL} = (${elementCandidates.toString()}); })()`;
}
