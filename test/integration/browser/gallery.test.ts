/**
 * Every element of every gallery page, as the model reads it: the exact inventory of interactable
 * elements (role, label and state) per page, and an independent ground truth (native controls,
 * ARIA widgets, onclick/tabindex/contenteditable/draggable, in every frame and open shadow root)
 * that every such element must resolve from an observed id. Elements that only appear after an
 * interaction (menus, dialogs, suggestions, calendar days) are covered in observe/actions tests.
 */
import type { Frame } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Observation, RunBrowser } from '../../../src/browser/index.js';
import { useBrowserHarness } from '../../support/browser-harness.js';

const h = useBrowserHarness();

/** `role "name" states…` of each interactable element, in page order (`[id] ` left out). */
const INVENTORY: Record<string, string[]> = {
  'index.html': [
    'link "Signup form with validation" ->/form.html',
    'link "Custom dropdown" ->/custom-select.html',
    'link "Date picker" ->/datepicker.html',
    'link "Autocomplete" ->/autocomplete.html',
    'link "Nested iframes" ->/frames.html',
    'link "Shadow DOM" ->/shadow.html',
    'link "Modal, popup and new tab" ->/modal.html',
    'link "Upload and download" ->/files.html',
    'link "Infinite scroll" ->/infinite.html',
    'link "Hover menu" ->/hover.html',
    'link "Drag and drop" ->/dragdrop.html',
    'link "Rich text editor" ->/editor.html',
    'link "Paginated table" ->/table.html',
    'link "JS clickables and odd controls" ->/clickables.html',
    'link "15,000-node page" ->/generated/huge.html',
    'link "2,000-element form" ->/generated/big-form.html',
  ],
  'form.html': [
    'textbox "Full name *" type=text required',
    'textbox "Email *" type=email required placeholder="you@example.com"',
    'textbox "Password *" type=password required',
    'spinbutton "Age" type=number',
    'textbox "Birthday" type=date',
    'combobox "Country" value="Choose…" options=[Choose… | France | Germany | Japan | Brazil]',
    'radio "Free" checked',
    'radio "Pro" unchecked',
    'checkbox "Send me the newsletter" checked',
    'checkbox "I accept the terms *" unchecked',
    'textbox "About you" multiline',
    'textbox "Referral code" type=text disabled value="NONE"',
    'textbox "Account ID" type=text readonly value="ACC-1042"',
    'button "Create account"',
  ],
  'custom-select.html': ['combobox "Flavour" collapsed', 'button "Order"'],
  'datepicker.html': [
    'textbox "Delivery date" type=text readonly placeholder="Pick a date"',
    'button "Open calendar"',
    'button "Book"',
  ],
  'autocomplete.html': ['textbox "Destination city" type=text', 'button "Search trips"'],
  'frames.html': [
    'textbox "Street" type=text',
    'button "Save street"',
    'textbox "Card number"',
    'button "Pay now"',
    'textbox "Card number"',
    'button "Pay now"',
  ],
  'shadow.html': [
    'textbox "Nickname" type=text placeholder="Pick a nickname"',
    'button "Save nickname"',
    'button "1 stars"',
    'button "2 stars"',
    'button "3 stars"',
  ],
  'modal.html': [
    'button "Apply a coupon"',
    'button "Sign in with Popup"',
    'link "Open help in a new tab" ->/help.html',
    'button "Show alert"',
    'button "Delete draft"',
    'button "Rename"',
  ],
  'files.html': [
    'file "Document" type=file',
    'textbox "Description"',
    'button "Upload document"',
    'button "Choose avatar"',
    'link "Download report (CSV)" ->/api/download/report.csv',
    'button "Export data"',
  ],
  'infinite.html': [],
  'hover.html': ['hover "Products"', 'link "About" ->/hover.html?picked=about'],
  'dragdrop.html': [
    'dropzone "To do column"',
    'draggable "Write report"',
    'draggable "Call supplier"',
    'dropzone "Done column"',
  ],
  'editor.html': [
    'textbox "To" type=text value="team@example.test"',
    'textbox "Message body"',
    'editable "Signature" value="Kind regards"',
    'button "Send message"',
  ],
  'table.html': ['button "Previous page" disabled', 'button "Next page"'],
  'clickables.html': [
    'clickable "details"',
    'clickable "♥ Like"',
    'button "Archive"',
    'button "Covered action"',
    'checkbox "Remember me" unchecked',
    'switch "Dark mode" unchecked',
    'button "Double-click me"',
    'clickable "Right-click me"',
    'button "More options" collapsed',
    'button "Shipping info"',
    'button hint="icon-close btn"',
    'link "Search results" ->@u1',
    'link "Home" ->/index.html',
    'textbox "Shortcut field"',
    'button "Deep button"',
    'button "Far below"',
  ],
};

/** Text the page shows once its scripts have loaded data. */
const READY: Record<string, string> = {
  'infinite.html': 'Item 20',
  'table.html': 'Page 1 of 5',
};

/** Marks the frame's ground-truth interactables with data-gt="n"; returns how many. */
function markGroundTruth(frame: Frame): Promise<number> {
  return frame.evaluate(() => {
    const all: Element[] = [];
    const collect = (root: ParentNode) => {
      for (const e of Array.from(root.querySelectorAll('*'))) {
        all.push(e);
        if (e.shadowRoot) collect(e.shadowRoot);
      }
    };
    collect(document);
    const widget =
      'a[href],button,select,textarea,summary,input:not([type=hidden]),[onclick],[contenteditable=true],[draggable=true],[tabindex]:not([tabindex="-1"]),' +
      ['button', 'link', 'checkbox', 'radio', 'switch', 'tab', 'option', 'combobox', 'textbox']
        .map((r) => `[role=${r}]`)
        .join(',');
    const shown = (e: Element) => {
      if (!e.checkVisibility({ visibilityProperty: true })) return false;
      const r = e.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) return true;
      // A visually hidden input behind its label is still there for a person.
      return Array.from((e as HTMLInputElement).labels ?? []).some(
        (l) => l.getBoundingClientRect().width > 0,
      );
    };
    let n = 0;
    for (const e of all) {
      if (!e.matches(widget) || !shown(e)) continue;
      // Something inside a link or button (an image) is the same target.
      const up = e.parentElement ?? ((e.getRootNode() as ShadowRoot).host as Element | undefined);
      if (up?.closest('a[href],button')) continue;
      e.setAttribute('data-gt', String(++n));
    }
    return n;
  });
}

async function recall(
  run: RunBrowser,
  obs: Observation,
): Promise<{ found: Set<string>; total: number }> {
  let total = 0;
  for (const f of run.page().frames()) total += await markGroundTruth(f);
  const found = new Set<string>();
  for (const id of obs.elements.keys()) {
    const el = await run.element(id);
    const gt = await el.evaluate(
      (e) =>
        e.getAttribute('data-gt') ??
        (e as HTMLLabelElement).control?.getAttribute('data-gt') ??
        null,
    );
    const frame = await el.ownerFrame();
    if (gt !== null) found.add(`${frame?.url()}#${gt}`);
  }
  return { found, total };
}

const roleAndName = (token: string) => {
  const m = /^(\S+)(?: "((?:[^"\\]|\\.)*)")?/.exec(token)!;
  return `${m[1]} ${m[2] ?? ''}`;
};

describe('the fixture gallery as the model reads it', () => {
  it.each(Object.keys(INVENTORY))('%s: every element with its label and state', async (page) => {
    const run = await h.openAt(page);
    await Promise.all(
      run
        .page()
        .frames()
        .map((f) => f.waitForLoadState('load')),
    );
    if (READY[page]) await run.page().getByText(READY[page]).waitFor();
    const obs = await run.observe();
    const expected = INVENTORY[page]!;
    // Nothing missing, nothing extra.
    const seen = [...obs.elements.values()].map((e) => `${e.role} ${e.name}`);
    expect(seen.sort()).toEqual(expected.map(roleAndName).sort());
    // Each one printed with its state, in page order.
    const printed = [...obs.text.matchAll(/\*?\[(\d+)\] /g)].map((m) => Number(m[1]));
    expect(printed).toHaveLength(expected.length);
    printed.forEach((id, i) => {
      const e = obs.elements.get(id)!;
      expect(`${e.role} ${e.name}`).toBe(roleAndName(expected[i]!));
      expect(obs.text).toContain(`[${id}] ${expected[i]}`);
    });
    // An independent ground truth finds nothing the observation left out.
    const { found, total } = await recall(run, obs);
    // The ground truth knows no CSS :hover menus, drop zones or listener-only clickables (on
    // clickables.html "♥ Like" and "Right-click me"): everything else is in it.
    const extras =
      expected.filter((t) => /^(hover|dropzone) /.test(t)).length +
      (page === 'clickables.html' ? 2 : 0);
    expect(total).toBe(expected.length - extras);
    expect(found.size).toBe(total);
  });
});
