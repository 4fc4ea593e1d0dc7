/**
 * The action catalogue. Each record is {name, description, schema, execute}; ids refer to
 * elements of the latest observation.
 */
import { mkdir, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ElementHandle, Page } from 'playwright-core';
import { z } from 'zod';
import {
  detectOtpFields,
  type InputFieldInfo,
  planOtpEntry,
} from '../../credentials/otp-fields.js';
import { BrowserError, errorMessage } from '../errors.js';
import { mutationCount } from '../observe/capture.js';
import type { SeenBox } from '../observe/types.js';
import type { RunBrowser } from '../run-browser.js';
import { normalizeKeys } from './keys.js';
import { ElementTarget } from './target.js';
import type { ActionDef, ActionOutcome } from './types.js';

const id = z
  .number()
  .int()
  .positive()
  .describe('element id from the observation, e.g. 12 for [12]');

export const actionSchemas = {
  click: z.object({
    type: z.literal('click'),
    id,
    button: z.enum(['left', 'right', 'middle']).optional(),
    count: z.union([z.literal(1), z.literal(2)]).optional(),
    modifiers: z.array(z.enum(['Alt', 'Control', 'Meta', 'Shift'])).optional(),
  }),
  double_click: z.object({ type: z.literal('double_click'), id }),
  right_click: z.object({ type: z.literal('right_click'), id }),
  input_text: z.object({
    type: z.literal('input_text'),
    id,
    text: z.string(),
    clear: z.boolean().optional().describe('replace the current value (default true)'),
    mode: z
      .enum(['auto', 'fill', 'type'])
      .optional()
      .describe('fill sets the value at once; type presses keys (autocompletes). Default auto'),
    submit: z.boolean().optional().describe('press Enter afterwards'),
  }),
  enter_code: z.object({
    type: z.literal('enter_code'),
    id: id
      .optional()
      .describe('the code field, or the first of its one-character boxes; else found on the page'),
    text: z.string().min(1),
  }),
  select_option: z.object({
    type: z.literal('select_option'),
    id,
    label: z.string().optional(),
    value: z.string().optional(),
    index: z.number().int().nonnegative().optional(),
    labels: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('several options of a multi-select, by label (exactly these end up chosen)'),
    values: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('several options of a multi-select, by value'),
  }),
  set_checked: z.object({ type: z.literal('set_checked'), id, checked: z.boolean() }),
  upload_file: z.object({
    type: z.literal('upload_file'),
    id,
    files: z
      .array(z.string().min(1))
      .min(1)
      .describe('http(s) URLs or files provided with the task (relative to the run folder)'),
  }),
  download: z.object({
    type: z.literal('download'),
    id: id.optional().describe('link or button that starts the download'),
    url: z.string().optional().describe('or a URL to download directly'),
  }),
  hover: z.object({ type: z.literal('hover'), id }),
  scroll: z.object({
    type: z.literal('scroll'),
    id: id.optional().describe('scroll the scrollable container of this element; else the page'),
    direction: z.enum(['up', 'down', 'left', 'right']).optional(),
    amount: z
      .union([z.enum(['page', 'half']), z.number().positive()])
      .optional()
      .describe('page (default), half, or pixels'),
    to: z.enum(['top', 'bottom']).optional(),
  }),
  keypress: z.object({
    type: z.literal('keypress'),
    keys: z.string().min(1).describe('e.g. "Enter", "Control+A", "Shift+Tab"'),
    id: id.optional().describe('focus this element first'),
  }),
  wait: z.object({
    type: z.literal('wait'),
    ms: z.number().int().positive().max(30_000).optional(),
    text: z.string().optional().describe('wait until this text is visible'),
  }),
  goto: z.object({ type: z.literal('goto'), url: z.string().min(1) }),
  back: z.object({ type: z.literal('back') }),
  forward: z.object({ type: z.literal('forward') }),
  reload: z.object({ type: z.literal('reload') }),
  new_tab: z.object({ type: z.literal('new_tab'), url: z.string().optional() }),
  switch_tab: z.object({ type: z.literal('switch_tab'), tab: z.number().int().nonnegative() }),
  close_tab: z.object({
    type: z.literal('close_tab'),
    tab: z.number().int().nonnegative().optional(),
  }),
  drag_and_drop: z.object({ type: z.literal('drag_and_drop'), from: id, to: id }),
} as const;

type Schemas = typeof actionSchemas;
export type ActionName = keyof Schemas;

/** Any action an engine can send, discriminated by `type`. */
export const actionSchema = z.discriminatedUnion('type', [
  actionSchemas.click,
  actionSchemas.double_click,
  actionSchemas.right_click,
  actionSchemas.input_text,
  actionSchemas.enter_code,
  actionSchemas.select_option,
  actionSchemas.set_checked,
  actionSchemas.upload_file,
  actionSchemas.download,
  actionSchemas.hover,
  actionSchemas.scroll,
  actionSchemas.keypress,
  actionSchemas.wait,
  actionSchemas.goto,
  actionSchemas.back,
  actionSchemas.forward,
  actionSchemas.reload,
  actionSchemas.new_tab,
  actionSchemas.switch_tab,
  actionSchemas.close_tab,
  actionSchemas.drag_and_drop,
]);
export type Action = z.infer<typeof actionSchema>;

/** What a record adds to its executor: its log line and which fields hold secrets or URLs. */
interface RecordExtras<N extends ActionName> {
  log: (action: z.infer<Schemas[N]>) => string;
  secretFields?: readonly (keyof z.infer<Schemas[N]> & string)[];
  urlFields?: readonly (keyof z.infer<Schemas[N]> & string)[];
}

function define<N extends ActionName>(
  name: N,
  description: string,
  execute: (run: RunBrowser, args: z.infer<Schemas[N]>) => Promise<ActionOutcome>,
  extras: RecordExtras<N>,
): ActionDef {
  const schema = actionSchemas[name];
  return {
    name,
    description,
    schema,
    execute: (run, input) => execute(run, schema.parse(input) as z.infer<Schemas[N]>),
    log: (action) => extras.log(action as z.infer<Schemas[N]>),
    secretFields: extras.secretFields ?? [],
    urlFields: extras.urlFields ?? [],
  };
}

const timeout = (run: RunBrowser) => run.options.actionTimeoutMs ?? 3000;

async function frameOf(el: ElementHandle<Element>): Promise<Page | null> {
  const f = await el.ownerFrame();
  return f ? f.page() : null;
}

const nextFrame = (page: Page) =>
  page
    .evaluate(
      () => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
    )
    .catch(() => {});

async function changedSince(run: RunBrowser, url: string, mutations: number): Promise<boolean> {
  const page = run.page();
  await nextFrame(page);
  return page.url() !== url || (await mutationCount(page)) !== mutations;
}

/** JS-level click that still reaches handlers when the element is covered or off-layout. */
async function jsClick(el: ElementHandle<Element>, button: string, count: number): Promise<void> {
  await el.evaluate(
    (e, [b, c]) => {
      const h = e as HTMLElement;
      if (b === 'right') {
        h.dispatchEvent(
          new MouseEvent('contextmenu', { bubbles: true, cancelable: true, button: 2 }),
        );
      } else if (c === 2) {
        h.click();
        h.click();
        h.dispatchEvent(new MouseEvent('dblclick', { bubbles: true, cancelable: true }));
      } else h.click();
    },
    [button, count] as const,
  );
}

/**
 * One round trip that answers whether a real click can skip Playwright's actionability waits: the
 * element is in the main frame, connected, enabled, visible, scrolled into view, kept its box over
 * one animation frame, and is what the pointer would hit at its centre (returned, in viewport
 * pixels). Anything else (null) goes the careful way (Playwright's click waits and retries, then
 * the ladder).
 */
async function readyForQuickClick(target: ElementTarget): Promise<{ x: number; y: number } | null> {
  return target
    .evaluate(
      (e: Element) =>
        new Promise<{ x: number; y: number } | null>((settle) => {
          const resolve = (point: { x: number; y: number } | false) => settle(point || null);
          if (!e.isConnected || window.parent !== window) return resolve(false);
          if (
            (e as HTMLButtonElement).disabled === true ||
            e.getAttribute('aria-disabled') === 'true' ||
            e.closest('[inert]')
          ) {
            return resolve(false);
          }
          const style = getComputedStyle(e);
          if (style.visibility !== 'visible' || style.pointerEvents === 'none') {
            return resolve(false);
          }
          const box = () => {
            const r = e.getClientRects()[0];
            return r && r.width > 0 && r.height > 0 ? r : null;
          };
          let before = box();
          if (!before) return resolve(false);
          let scrolled = false;
          if (
            before.top < 0 ||
            before.left < 0 ||
            before.bottom > innerHeight ||
            before.right > innerWidth
          ) {
            e.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
            scrolled = true;
            before = box();
            if (!before) return resolve(false);
          }
          const start = before;
          const hitTest = (now: DOMRect) => {
            const x = now.left + now.width / 2;
            const y = now.top + now.height / 2;
            let hit = document.elementFromPoint(x, y);
            while (hit?.shadowRoot) {
              const inner = hit.shadowRoot.elementFromPoint(x, y);
              if (!inner || inner === hit) break;
              hit = inner;
            }
            for (let n: Node | null = hit; n; n = n instanceof ShadowRoot ? n.host : n.parentNode) {
              if (n === e) return resolve({ x, y });
            }
            resolve(false);
          };
          // Stable: where the last observation saw it, at least 50 ms ago (no need to watch it
          // for a frame), or in the same place one frame later.
          const seen = (
            window as unknown as {
              __wrenObs?: { seen?: WeakMap<Element, SeenBox> };
            }
          ).__wrenObs?.seen?.get(e);
          const r = e.getBoundingClientRect();
          if (
            seen &&
            !scrolled &&
            performance.now() - seen.at >= 50 &&
            seen.x === r.x &&
            seen.y === r.y &&
            seen.w === r.width &&
            seen.h === r.height
          ) {
            return hitTest(start);
          }
          // Hidden tabs get no frames.
          const fallback = setTimeout(() => resolve(false), 100);
          requestAnimationFrame(() => {
            clearTimeout(fallback);
            const now = box();
            if (
              !now ||
              now.x !== start.x ||
              now.y !== start.y ||
              now.width !== start.width ||
              now.height !== start.height
            ) {
              return resolve(false);
            }
            hitTest(now);
          });
        }),
      null,
    )
    .catch(() => null);
}

/**
 * Click ladder: a real click; when that cannot happen, the element's label (hidden custom
 * checkboxes), then a forced click at the element's position, then a JS click. Covered elements
 * skip the forced click, which would land on the cover. An element that is plainly clickable
 * (readyForQuickClick) in a tab with Wren's DevTools session gets the real click straight from
 * the mouse, without Playwright's element click; the executor then waits for any navigation the
 * click started (PageSession), as Playwright's click would.
 */
export async function clickWithLadder(
  run: RunBrowser,
  target: ElementTarget,
  opts: {
    button?: 'left' | 'right' | 'middle';
    count?: 1 | 2;
    modifiers?: ('Alt' | 'Control' | 'Meta' | 'Shift')[];
  } = {},
): Promise<string> {
  const button = opts.button ?? 'left';
  const count = opts.count ?? 1;
  const point = await readyForQuickClick(target);
  const tab = target.tab();
  if (point && tab && !opts.modifiers?.length && (await run.pageSession(tab))) {
    await tab.mouse.click(point.x, point.y, { button, clickCount: count });
    return 'clicked';
  }
  const el = await target.element();
  try {
    await el.click({
      timeout: timeout(run),
      button,
      clickCount: count,
      modifiers: opts.modifiers,
      force: point !== null,
    });
    return 'clicked';
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (
      /Target (page|closed)|detached|crash/i.test(msg) &&
      !(await el.evaluate(() => true).catch(() => false))
    ) {
      // The click navigated or closed the page; it happened.
      return 'clicked';
    }
    const covered = /intercepts pointer events/.test(msg);
    if (button === 'left' && count === 1) {
      const label = (
        await el.evaluateHandle((e) => {
          const ls = (e as HTMLInputElement).labels;
          return ls && ls.length > 0 ? ls[0]! : null;
        })
      ).asElement();
      if (label) {
        try {
          await label.click({ timeout: timeout(run) });
          return 'clicked its label';
        } catch {
          // fall through
        }
      }
    }
    const page = run.page();
    if (!covered) {
      const url = page.url();
      const before = await mutationCount(page);
      try {
        await el.click({
          force: true,
          timeout: timeout(run),
          button,
          clickCount: count,
          modifiers: opts.modifiers,
        });
        if (await changedSince(run, url, before)) return 'forced click at its position';
      } catch {
        // fall through to the JS click
      }
    }
    await jsClick(el, button, count);
    return covered ? 'JS click (the element was covered by another element)' : 'JS click';
  }
}

/** The field's value; with `focus`, also focuses it and says whether it took the focus. */
async function readValue(
  target: ElementTarget,
  focus = false,
): Promise<{ value: string; password: boolean; focused: boolean }> {
  return target.evaluate((e: Element, focusIt: boolean) => {
    const h = e as HTMLInputElement;
    let focused = false;
    if (focusIt) {
      h.focus();
      focused = e.ownerDocument.activeElement === e;
    }
    // innerText keeps the editor's line breaks, which the read-back compares.
    // biome-ignore lint/performance/useDomNodeTextContent: line breaks matter here
    if (h.isContentEditable) return { value: h.innerText, password: false, focused };
    return {
      value: typeof h.value === 'string' ? h.value : (h.textContent ?? ''),
      password: h.type === 'password',
      focused,
    };
  }, focus);
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * What kind of field this is. With `prepareFill`, a field the action will fill (mode `fill`, or
 * `auto` on a field without suggestions) that is a plain text field in the main frame (enabled,
 * visible, text-like type) is also focused with its text selected, in the same round trip; the
 * caller's keyboard.insertText then replaces it, which is what Playwright's fill does, minus its
 * waits. `readyToFill` is false for anything else: use el.fill().
 */
async function fieldInfo(
  target: ElementTarget,
  prepareFill: 'auto' | 'fill' | 'type' | null = null,
) {
  return target.evaluate((e: Element, mode: 'auto' | 'fill' | 'type' | null) => {
    const h = e as HTMLInputElement;
    const info = {
      tag: e.localName,
      type: h.type ?? '',
      editable: h.isContentEditable,
      typeahead:
        e.getAttribute('role') === 'combobox' ||
        e.hasAttribute('aria-autocomplete') ||
        e.hasAttribute('list') ||
        e.getAttribute('aria-haspopup') === 'listbox' ||
        e.getAttribute('autocomplete') === 'off',
      disabled: !!h.disabled || e.getAttribute('aria-disabled') === 'true',
      readonly: !!h.readOnly || e.getAttribute('aria-readonly') === 'true',
      readyToFill: false,
    };
    const fills = mode === 'fill' || (mode === 'auto' && !info.typeahead && !info.editable);
    if (!fills || info.disabled || info.readonly) return info;
    if (window.parent !== window || !e.isConnected) return info;
    const textTypes = ['text', 'search', 'email', 'url', 'tel', 'password'];
    const field =
      e instanceof HTMLTextAreaElement ||
      (e instanceof HTMLInputElement && textTypes.includes(e.type))
        ? (e as HTMLInputElement | HTMLTextAreaElement)
        : null;
    if (!field) return info;
    const box = field.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || getComputedStyle(field).visibility !== 'visible') {
      return info;
    }
    field.focus();
    if (field.ownerDocument.activeElement !== field) return info;
    field.select();
    info.readyToFill = true;
    return info;
  }, prepareFill);
}

async function typeInto(run: RunBrowser, el: ElementHandle<Element>, text: string, clear: boolean) {
  if (clear) await el.fill('', { timeout: timeout(run) });
  await el.focus();
  if (!clear) {
    await el.evaluate((e) => {
      const h = e as HTMLInputElement;
      if (typeof h.setSelectionRange === 'function' && typeof h.value === 'string') {
        try {
          h.setSelectionRange(h.value.length, h.value.length);
        } catch {
          // Inputs like email do not support selection ranges.
        }
      }
    });
  }
  const page = (await frameOf(el)) ?? run.page();
  await page.keyboard.type(text, { delay: 5 });
}

async function inputText(
  run: RunBrowser,
  a: z.infer<Schemas['input_text']>,
): Promise<ActionOutcome> {
  const target = ElementTarget.byId(run, a.id);
  const info = await fieldInfo(target, a.mode ?? 'auto');
  // The field is focused in a tab of its own page: keyboard input reaches it without a handle.
  const tab = info.readyToFill ? target.tab() : null;
  if (info.tag === 'select') {
    throw new BrowserError('invalid_action', `id: [${a.id}] is a select; use select_option`);
  }
  if (info.disabled || info.readonly) {
    throw new BrowserError(
      'element_not_interactable',
      `id: [${a.id}] is ${info.disabled ? 'disabled' : 'read-only'}`,
    );
  }
  const clear = a.clear ?? true;
  const previous = clear ? '' : (await readValue(target)).value;
  const expected = previous + a.text;
  let mode = a.mode ?? 'auto';
  if (mode === 'auto') mode = info.typeahead || info.editable ? 'type' : 'fill';
  let detail: string;
  if (mode === 'fill') {
    if (expected !== '' && tab) {
      await tab.keyboard.insertText(expected);
    } else {
      await (await target.element()).fill(expected, { timeout: timeout(run) });
    }
    detail = 'filled';
  } else {
    await typeInto(run, await target.element(), a.text, clear);
    detail = 'typed';
  }
  let got = await readValue(target, !!a.submit && tab !== null);
  if (norm(got.value) !== norm(expected) && mode === 'fill') {
    await typeInto(run, await target.element(), a.text, clear);
    detail = 'typed after fill did not stick';
    got = await readValue(target);
  }
  const out: ActionOutcome = { detail, value: got.password ? '••••••••' : got.value };
  if (norm(got.value) !== norm(expected)) {
    if (norm(got.value) === '' && expected !== '') {
      throw new BrowserError('value_mismatch', `id: [${a.id}] stayed empty after typing`);
    }
    out.warning = got.password
      ? 'the field reads back differently than typed'
      : `the field reads back as "${got.value.slice(0, 200)}" (formatted or rejected by the page)`;
  }
  if (a.submit) {
    if (tab && got.focused && (await run.pageSession(tab))) {
      // The executor waits for the navigation the Enter starts (PageSession).
      await tab.keyboard.press('Enter');
    } else {
      await (await target.element()).press('Enter', { timeout: timeout(run) });
    }
    out.expectEffect = true;
  } else if (mode === 'fill' && detail === 'filled') {
    // Typed text may open suggestions, which need the frame; a filled value does not.
    out.valueOnly = true;
  }
  return out;
}

/** Symbol.for() key set on inputs that hold a secret typed by an action (see capture-script). */
export const SECRET_INPUT_MARK = 'wren.secret-input';

/**
 * A one-time code, typed like a person would: into the one code field, or one character per box
 * when the page splits the code into one-character inputs. The layout comes from the page's
 * inputs (detectOtpFields); a target element decides which field when it is given. Nothing read
 * back is returned: the value is the code.
 */
async function enterCode(
  run: RunBrowser,
  a: z.infer<Schemas['enter_code']>,
): Promise<ActionOutcome> {
  const target = a.id === undefined ? null : await run.element(a.id);
  const frame = target ? await target.ownerFrame() : run.page().mainFrame();
  if (!frame) throw new BrowserError('element_stale', 'enter_code: the field left the page');
  const handles = await frame.$$('input');
  // Without an id, the focused input is the target (computer-use models click, then type).
  const targetIndex = target
    ? await target.evaluate((el) =>
        [...document.querySelectorAll('input')].indexOf(el as HTMLInputElement),
      )
    : await frame.evaluate(() =>
        [...document.querySelectorAll('input')].indexOf(document.activeElement as HTMLInputElement),
      );
  const fields: InputFieldInfo[] = await frame.evaluate(() =>
    [...document.querySelectorAll('input')].map((el, i) => {
      const rect = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      const label = el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent?.trim() ?? '';
      return {
        ref: String(i),
        type: el.type === 'text' ? '' : el.type,
        name: el.name,
        id: el.id,
        autocomplete: el.autocomplete,
        placeholder: el.placeholder,
        label,
        inputMode: el.inputMode,
        maxLength: el.maxLength > 0 ? el.maxLength : null,
        visible:
          el.type !== 'hidden' &&
          rect.width > 0 &&
          rect.height > 0 &&
          style.visibility !== 'hidden' &&
          style.display !== 'none',
        disabled: el.disabled || el.readOnly,
      };
    }),
  );
  let layout = detectOtpFields(fields);
  if (targetIndex >= 0) {
    const ref = String(targetIndex);
    const covers = layout?.kind === 'split' ? layout.fields.includes(ref) : layout?.field === ref;
    if (layout?.kind === 'split' && covers) {
      // Start at the box the model pointed at (a page may show a prefix box before it).
      layout = { kind: 'split', fields: layout.fields.slice(layout.fields.indexOf(ref)) };
    } else if (!covers) {
      layout = { kind: 'single', field: ref, maxLength: fields[targetIndex]?.maxLength ?? null };
    }
  }
  if (!layout) {
    throw new BrowserError(
      'element_not_found',
      'enter_code: no code field on the page; give its id',
    );
  }
  let plan: ReturnType<typeof planOtpEntry>;
  try {
    plan = planOtpEntry(a.text, layout);
  } catch (e) {
    throw new BrowserError('invalid_action', `enter_code: ${errorMessage(e)}`);
  }
  const page = frame.page();
  for (const step of plan) {
    const box = handles[Number(step.field)];
    if (!box) throw new BrowserError('element_stale', 'enter_code: the code field left the page');
    // Each box is focused explicitly, so pages that move focus themselves and pages that do not
    // both get one character per box.
    await box.fill('', { timeout: timeout(run) });
    // Observations show this field's value as dots from now on: one box holds one character of
    // the code, which no text mask could recognise.
    await box.evaluate((el, key) => {
      (el as unknown as Record<symbol, boolean>)[Symbol.for(key)] = true;
      // Drawn as dots from before the first character: screenshots, the recording, the live
      // view and computer-use models never see the code (the value itself is unchanged).
      (el as HTMLElement).style.setProperty('-webkit-text-security', 'disc', 'important');
    }, SECRET_INPUT_MARK);
    await box.focus();
    await page.keyboard.type(step.text, { delay: 5 });
  }
  let typed: string[];
  try {
    typed = await Promise.all(plan.map((step) => handles[Number(step.field)]!.inputValue()));
  } catch {
    // Many pages submit by themselves once the last character is in: the fields are gone.
    return { detail: 'typed the code; the page moved on', expectEffect: true };
  }
  // Pages may format what was typed ("123 456"); only the characters themselves must be there.
  const bare = (text: string) => text.replace(/[^0-9a-z]/gi, '').toUpperCase();
  if (bare(typed.join('')) !== bare(a.text)) {
    throw new BrowserError(
      'value_mismatch',
      `enter_code: the ${plan.length > 1 ? `${plan.length} boxes` : 'field'} did not keep the code as typed`,
    );
  }
  return {
    detail:
      plan.length > 1 ? `typed one character into each of ${plan.length} boxes` : 'typed the code',
  };
}

/** One option to choose: by label, value or index. */
interface OptionWant {
  label?: string;
  value?: string;
  index?: number;
}

const wantText = (w: OptionWant) => JSON.stringify(w.label ?? w.value ?? w.index);

async function selectOption(
  run: RunBrowser,
  a: z.infer<Schemas['select_option']>,
): Promise<ActionOutcome> {
  const given = [a.label, a.value, a.index, a.labels, a.values].filter(
    (x) => x !== undefined,
  ).length;
  if (given !== 1) {
    throw new BrowserError(
      'invalid_action',
      'select_option: give exactly one of label, value, index, labels, values',
    );
  }
  const wants: OptionWant[] = a.labels
    ? a.labels.map((label) => ({ label }))
    : a.values
      ? a.values.map((value) => ({ value }))
      : [{ label: a.label, value: a.value, index: a.index }];
  const field = a.labels ? 'labels' : a.values ? 'values' : 'label';
  const target = ElementTarget.byId(run, a.id);
  const native = await target.evaluate(
    (e: Element) =>
      e instanceof HTMLSelectElement
        ? {
            multiple: e.multiple,
            options: Array.from(e.options).map((o) => ({
              label: (o.label || o.text).trim(),
              value: o.value,
            })),
          }
        : null,
    null,
  );
  if (native) {
    if (wants.length > 1 && !native.multiple) {
      throw new BrowserError(
        'invalid_action',
        `${field}: [${a.id}] takes one option (not a multi-select); give one`,
      );
    }
    const indexes = wants.map((w) => {
      const opts = native.options;
      let index = -1;
      if (w.index !== undefined) index = w.index < opts.length ? w.index : -1;
      else if (w.value !== undefined) index = opts.findIndex((o) => o.value === w.value);
      else
        index = bestMatch(
          opts.map((o) => o.label),
          w.label ?? '',
        );
      if (index < 0) {
        throw new BrowserError(
          'option_not_found',
          `no option ${wantText(w)} in [${a.id}]; options: ${opts
            .slice(0, 20)
            .map((o) => o.label)
            .join(' | ')}`,
        );
      }
      return index;
    });
    // An enabled select takes the choice in one round trip, with the events Playwright's
    // selectOption sends (input, then change); a disabled one goes through Playwright, which waits.
    // A multi-select ends up with exactly the given options chosen.
    const chosenLabels = (e: Element) =>
      Array.from((e as HTMLSelectElement).selectedOptions)
        .map((o) => o.label)
        .join(', ');
    let chosen = await target.evaluate((e: Element, wanted: number[]) => {
      const s = e as HTMLSelectElement;
      const options = wanted.map((i) => s.options[i]);
      if (s.disabled || !s.isConnected || options.some((o) => !o || o.disabled)) return null;
      for (const o of Array.from(s.options)) o.selected = options.includes(o);
      s.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      s.dispatchEvent(new Event('change', { bubbles: true }));
      return Array.from(s.selectedOptions)
        .map((o) => o.label)
        .join(', ');
    }, indexes);
    if (chosen === null) {
      await (await target.element()).selectOption(
        indexes.map((index) => ({ index })),
        { timeout: timeout(run) },
      );
      chosen = await target.evaluate(chosenLabels, null);
    }
    return { detail: 'selected (native)', value: chosen, valueOnly: true };
  }
  // Custom combobox or listbox: each option in turn.
  const outcomes: ActionOutcome[] = [];
  for (const w of wants) outcomes.push(await selectCustom(run, target, w, a.id));
  const warnings = outcomes.map((o) => o.warning).filter(Boolean);
  return {
    detail: outcomes[0]?.detail ?? 'selected (custom dropdown)',
    value: outcomes.map((o) => o.value).join(', '),
    ...(warnings.length ? { warning: warnings.join('; ') } : {}),
  };
}

/** Custom combobox: open it, find the option by its text (typing to filter if needed), click it. */
async function selectCustom(
  run: RunBrowser,
  target: ElementTarget,
  a: OptionWant,
  id: number,
): Promise<ActionOutcome> {
  let wanted = a.label ?? a.value ?? '';
  const el = await target.element();
  const expanded = await el.evaluate(
    (e) =>
      e.getAttribute('aria-expanded') === 'true' ||
      e.getAttribute('aria-multiselectable') === 'true',
  );
  if (!expanded) await clickWithLadder(run, target);
  let option = await findOption(el, wanted, a.index);
  let detail = 'selected (custom dropdown)';
  if (!option && wanted) {
    const info = await fieldInfo(target);
    if (info.tag === 'input' || info.editable) {
      await typeInto(run, el, wanted, true);
      option = await findOption(el, wanted, a.index);
      detail = 'selected (custom dropdown, typed to filter)';
    }
  }
  if (!option) {
    throw new BrowserError(
      'option_not_found',
      a.index !== undefined
        ? `no option at index ${a.index} after opening [${id}]`
        : `no visible option matching "${wanted}" after opening [${id}]`,
    );
  }
  // What the dropdown should show afterwards is the option's text, also when it was found by its
  // value (data-value) or index.
  const optionText = await option.evaluate((o) =>
    (o.textContent ?? '').replace(/\s+/g, ' ').trim(),
  );
  if (a.label === undefined && optionText) wanted = optionText;
  await clickWithLadder(run, ElementTarget.of(run, option));
  const shown = await el
    .evaluate((e, w) => {
      let n: Element | null = e;
      for (let i = 0; i < 4 && n; i++, n = n.parentElement) {
        const t = `${(n as HTMLInputElement).value ?? ''} ${n.textContent ?? ''}`.toLowerCase();
        if (t.includes(w.toLowerCase())) return true;
      }
      return false;
    }, wanted)
    .catch(() => false);
  return {
    detail,
    value: wanted,
    ...(shown ? {} : { warning: 'the dropdown does not show the chosen option afterwards' }),
  };
}

function bestMatch(labels: string[], wanted: string): number {
  const w = norm(wanted).toLowerCase();
  const ls = labels.map((l) => norm(l).toLowerCase());
  let i = labels.findIndex((l) => norm(l) === norm(wanted));
  if (i < 0) i = ls.indexOf(w);
  if (i < 0) i = ls.findIndex((l) => l.startsWith(w));
  if (i < 0) i = ls.findIndex((l) => l.includes(w));
  return i;
}

async function findOption(
  combo: ElementHandle<Element>,
  wanted: string,
  index: number | undefined,
): Promise<ElementHandle<Element> | null> {
  const h = await combo.evaluateHandle(
    (e, [w, idx]) => {
      const doc = e.ownerDocument;
      const controls = e.getAttribute('aria-controls') || e.getAttribute('aria-owns');
      const scope: ParentNode = (controls && doc.getElementById(controls)) || doc;
      const sel =
        '[role=option],[role=menuitem],[role=menuitemradio],[role=treeitem],[role=gridcell],li,[class*="option"],[data-value]';
      const visible = (x: Element) => {
        const r = x.getBoundingClientRect();
        const cs = getComputedStyle(x);
        return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none';
      };
      const all = Array.from(scope.querySelectorAll(sel)).filter(
        (x) => visible(x) && x !== e && !x.contains(e),
      );
      // Innermost candidates only (an li wrapping a [role=option]).
      const cands = all.filter((x) => !all.some((y) => y !== x && x.contains(y)));
      if (idx !== null) return cands[idx] ?? null;
      const text = (x: Element) => (x.textContent ?? '').replace(/\s+/g, ' ').trim().toLowerCase();
      const target = w.replace(/\s+/g, ' ').trim().toLowerCase();
      return (
        cands.find((x) => text(x) === target) ??
        cands.find((x) => (x.getAttribute('data-value') ?? '').toLowerCase() === target) ??
        cands.find((x) => text(x).startsWith(target)) ??
        cands.find((x) => text(x).includes(target)) ??
        null
      );
    },
    [wanted, index ?? null] as const,
  );
  const el = h.asElement();
  if (!el) await h.dispose();
  return el as ElementHandle<Element> | null;
}

/**
 * Whether the box is checked. `afterTask`: read it after the page's pending tasks, so that a form
 * submission the click scheduled has asked for its navigation (the executor waits for it).
 */
async function checkedState(target: ElementTarget, afterTask = false): Promise<boolean | null> {
  return target.evaluate(async (e: Element, wait: boolean) => {
    if (wait) await new Promise((resolve) => setTimeout(resolve, 0));
    const h = e as HTMLInputElement;
    if (e.localName === 'input' && (h.type === 'checkbox' || h.type === 'radio')) return h.checked;
    const ac = e.getAttribute('aria-checked') ?? e.getAttribute('aria-pressed');
    if (ac !== null) return ac === 'true';
    const inner = e.querySelector(
      'input[type=checkbox],input[type=radio]',
    ) as HTMLInputElement | null;
    return inner ? inner.checked : null;
  }, afterTask);
}

async function setChecked(
  run: RunBrowser,
  a: z.infer<Schemas['set_checked']>,
): Promise<ActionOutcome> {
  const target = ElementTarget.byId(run, a.id);
  const before = await checkedState(target);
  if (before === null) {
    throw new BrowserError('invalid_action', `id: [${a.id}] is not a checkbox, radio or switch`);
  }
  if (before === a.checked) {
    return {
      detail: `already ${a.checked ? 'checked' : 'unchecked'}`,
      value: String(before),
      valueOnly: true,
    };
  }
  const how = await clickWithLadder(run, target);
  let after: boolean | null;
  try {
    after = await checkedState(target, true);
  } catch (e) {
    // A box whose change submits its form (or closes its dialog): the click happened and the
    // page moved on; the executor reports what changed.
    if (e instanceof BrowserError && e.kind === 'element_stale') {
      return {
        detail: `${how}; the page changed, so the box was not read back`,
        expectEffect: true,
      };
    }
    throw e;
  }
  if (after !== a.checked) {
    throw new BrowserError(
      'no_effect',
      `[${a.id}] is still ${after ? 'checked' : 'unchecked'} after clicking (${how})`,
    );
  }
  return { detail: how, value: String(after), valueOnly: true };
}

async function insideAllowed(run: RunBrowser, file: string): Promise<string> {
  const roots = [run.options.runDir, ...(run.options.uploadDirs ?? [])];
  const abs = path.resolve(run.options.runDir, file);
  let real: string;
  try {
    real = await realpath(abs);
    if (!(await stat(real)).isFile()) throw new Error('not a file');
  } catch {
    throw new BrowserError('upload_failed', `files: ${file} does not exist`);
  }
  for (const r of roots) {
    const rr = await realpath(r).catch(() => path.resolve(r));
    if (real === rr || real.startsWith(rr + path.sep)) return real;
  }
  throw new BrowserError('upload_failed', `files: ${file} is outside the run's files`);
}

async function fetchToDir(run: RunBrowser, url: string, dir: string): Promise<string> {
  const { url: target, response: res } = await run.fetchChecked(url, {
    timeoutMs: 30_000,
    maxRedirects: 5,
  });
  if (!res.ok()) throw new BrowserError('download_failed', `${target}: HTTP ${res.status()}`);
  const body = await res.body();
  const cd = res.headers()['content-disposition'] ?? '';
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  let name = m?.[1] ? decodeURIComponent(m[1]) : path.basename(new URL(target).pathname) || 'file';
  name = name.replace(/[^\w.\- ()]+/g, '_').slice(0, 150) || 'file';
  await mkdir(dir, { recursive: true });
  const p = path.join(dir, name);
  await writeFile(p, body);
  return p;
}

async function uploadFile(
  run: RunBrowser,
  a: z.infer<Schemas['upload_file']>,
): Promise<ActionOutcome> {
  const el = await run.element(a.id);
  const files: string[] = [];
  for (const f of a.files) {
    if (/^https?:\/\//i.test(f) || /^@u\d+$/.test(f)) {
      files.push(await fetchToDir(run, f, path.join(run.options.runDir, 'uploads')));
    } else files.push(await insideAllowed(run, f));
  }
  const isFileInput = await el.evaluate((e) => e instanceof HTMLInputElement && e.type === 'file');
  if (isFileInput) {
    await el.setInputFiles(files, { timeout: timeout(run) });
  } else {
    const page = run.page();
    const chooser = page.waitForEvent('filechooser', { timeout: timeout(run) * 2 });
    await clickWithLadder(run, ElementTarget.of(run, el));
    try {
      await (await chooser).setFiles(files);
    } catch (e) {
      throw new BrowserError(
        'upload_failed',
        `[${a.id}] did not open a file chooser: ${errorMessage(e)}`,
      );
    }
  }
  return {
    detail: isFileInput ? 'set files' : 'chose files in the file chooser',
    value: files.map((f) => path.basename(f)).join(', '),
  };
}

function nextDownload(run: RunBrowser, ms: number) {
  return new Promise<import('../run-browser.js').DownloadInfo>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new BrowserError('download_failed', `no download started within ${ms} ms`));
    }, ms);
    const off = run.on((e) => {
      if (e.type === 'download') {
        clearTimeout(timer);
        off();
        resolve(e.download);
      } else if (e.type === 'download_failed') {
        clearTimeout(timer);
        off();
        reject(new BrowserError('download_failed', e.error));
      }
    });
  });
}

async function download(run: RunBrowser, a: z.infer<Schemas['download']>): Promise<ActionOutcome> {
  if ((a.id === undefined) === (a.url === undefined)) {
    throw new BrowserError('invalid_action', 'download: give either id or url');
  }
  if (a.id !== undefined) {
    const saved = nextDownload(run, 30_000);
    saved.catch(() => {});
    await clickWithLadder(run, ElementTarget.byId(run, a.id));
    const d = await saved;
    return { detail: 'downloaded', download: d, value: d.filename };
  }
  const saved = nextDownload(run, 30_000);
  saved.catch(() => {});
  await run.downloadUrl(a.url!);
  const d = await saved;
  return { detail: 'downloaded', download: d, value: d.filename };
}

async function scroll(run: RunBrowser, a: z.infer<Schemas['scroll']>): Promise<ActionOutcome> {
  const args = {
    dir: a.direction ?? 'down',
    amount: a.amount ?? 'page',
    to: a.to ?? null,
    fromElement: a.id !== undefined,
  };
  const fn = (el: Element, o: typeof args) => {
    const e = o.fromElement ? el : null;
    const vertical = o.dir === 'up' || o.dir === 'down';
    const canScroll = (x: Element) => {
      const cs = getComputedStyle(x);
      const ov = vertical ? cs.overflowY : cs.overflowX;
      const more = vertical
        ? x.scrollHeight > x.clientHeight + 1
        : x.scrollWidth > x.clientWidth + 1;
      return more && (ov === 'auto' || ov === 'scroll' || x === document.scrollingElement);
    };
    let target: Element | null = null;
    for (let n: Element | null = e; n; n = n.parentElement) {
      if (canScroll(n)) {
        target = n;
        break;
      }
    }
    const se = document.scrollingElement ?? document.documentElement;
    if (!target && e === null) {
      if (canScroll(se)) target = se;
      else {
        let best: Element | null = null;
        let area = 0;
        for (const x of Array.from(document.querySelectorAll('*'))) {
          if (!canScroll(x)) continue;
          const r = x.getBoundingClientRect();
          if (r.width * r.height > area) {
            area = r.width * r.height;
            best = x;
          }
        }
        target = best;
      }
    }
    target = target ?? se;
    const size = vertical ? target.clientHeight : target.clientWidth;
    const px =
      o.amount === 'page' ? size * 0.85 : o.amount === 'half' ? size * 0.5 : Number(o.amount);
    const before = vertical ? target.scrollTop : target.scrollLeft;
    if (o.to === 'top') target.scrollTo({ top: 0, behavior: 'instant' });
    else if (o.to === 'bottom') target.scrollTo({ top: target.scrollHeight, behavior: 'instant' });
    else {
      const sign = o.dir === 'up' || o.dir === 'left' ? -1 : 1;
      target.scrollBy({
        [vertical ? 'top' : 'left']: sign * px,
        behavior: 'instant',
      } as ScrollToOptions);
    }
    const after = vertical ? target.scrollTop : target.scrollLeft;
    const max = vertical
      ? target.scrollHeight - target.clientHeight
      : target.scrollWidth - target.clientWidth;
    const what = target === se ? 'page' : `${target.localName}${target.id ? `#${target.id}` : ''}`;
    return { before: Math.round(before), after: Math.round(after), max: Math.round(max), what };
  };
  const el =
    a.id !== undefined
      ? await run.element(a.id)
      : ((await run
          .page()
          .evaluateHandle(() => document.documentElement)) as ElementHandle<Element>);
  const r = await el.evaluate(fn, args);
  const out: ActionOutcome = {
    detail: `scrolled ${r.what} from ${r.before} to ${r.after} of ${r.max}`,
    value: String(r.after),
  };
  if (r.before === r.after)
    out.warning = `${r.what} did not move (already at the ${r.after === 0 ? 'start' : 'end'})`;
  return out;
}

async function dragAndDrop(
  run: RunBrowser,
  a: z.infer<Schemas['drag_and_drop']>,
): Promise<ActionOutcome> {
  const from = await run.element(a.from);
  const to = await run.element(a.to);
  await from.scrollIntoViewIfNeeded({ timeout: timeout(run) }).catch(() => {});
  const fb = await from.boundingBox();
  const tb = await to.boundingBox();
  if (!fb || !tb)
    throw new BrowserError('element_not_interactable', 'drag_and_drop: an element has no box');
  const page = run.page();
  await page.mouse.move(fb.x + fb.width / 2, fb.y + fb.height / 2);
  await page.mouse.down();
  await page.mouse.move(fb.x + fb.width / 2 + 5, fb.y + fb.height / 2 + 5, { steps: 2 });
  await page.mouse.move(tb.x + tb.width / 2, tb.y + tb.height / 2, { steps: 10 });
  await page.mouse.up();
  return { detail: `dragged [${a.from}] onto [${a.to}]`, expectEffect: true };
}

async function historyStep(run: RunBrowser, dir: 'back' | 'forward'): Promise<ActionOutcome> {
  const page = run.page();
  const r =
    dir === 'back'
      ? await page.goBack({ waitUntil: 'domcontentloaded' })
      : await page.goForward({ waitUntil: 'domcontentloaded' });
  return r === null && page.url() === 'about:blank'
    ? { detail: `went ${dir}`, warning: 'there was no page to go to' }
    : { detail: `went ${dir}` };
}

export const ACTIONS: readonly ActionDef[] = [
  define(
    'click',
    'Click an element (button, link, option, tab …).',
    async (run, a) => {
      const detail = await clickWithLadder(run, ElementTarget.byId(run, a.id), a);
      return { detail, expectEffect: true };
    },
    {
      log: (a) =>
        `click [${a.id}]${a.button && a.button !== 'left' ? ` ${a.button}` : ''}${a.count === 2 ? ' x2' : ''}`,
    },
  ),
  define(
    'double_click',
    'Double-click an element.',
    async (run, a) => {
      const target = ElementTarget.byId(run, a.id);
      return { detail: await clickWithLadder(run, target, { count: 2 }), expectEffect: true };
    },
    { log: (a) => `double_click [${a.id}]` },
  ),
  define(
    'right_click',
    'Right-click an element (context menu).',
    async (run, a) => {
      const target = ElementTarget.byId(run, a.id);
      return {
        detail: await clickWithLadder(run, target, { button: 'right' }),
        expectEffect: true,
      };
    },
    { log: (a) => `right_click [${a.id}]` },
  ),
  define('input_text', 'Type text into a text field, textarea or editable area.', inputText, {
    log: (a) => `input_text [${a.id}] ${JSON.stringify(a.text)}${a.submit ? ' +Enter' : ''}`,
    secretFields: ['text'],
  }),
  define(
    'enter_code',
    'Type a one-time code: one character per box when the page splits it into boxes, else into the code field.',
    enterCode,
    {
      // Never the code itself.
      log: (a) => `enter_code${a.id !== undefined ? ` [${a.id}]` : ''}`,
      secretFields: ['text'],
    },
  ),
  define(
    'select_option',
    'Choose options of a select, listbox or custom dropdown (several only in a multi-select: exactly those end up chosen).',
    selectOption,
    {
      log: (a) =>
        `select_option [${a.id}] ${[
          a.label,
          a.value,
          a.index,
          ...(a.labels ?? []),
          ...(a.values ?? []),
        ]
          .filter((o) => o !== undefined)
          .map((o) => JSON.stringify(o))
          .join(', ')}`,
      secretFields: ['label', 'value', 'labels', 'values'],
    },
  ),
  define('set_checked', 'Set a checkbox, radio or switch to checked or unchecked.', setChecked, {
    log: (a) => `set_checked [${a.id}] ${a.checked}`,
  }),
  define(
    'upload_file',
    'Put files into a file input (or the chooser a button opens).',
    uploadFile,
    { log: (a) => `upload_file [${a.id}] ${a.files.join(', ')}`, urlFields: ['files'] },
  ),
  define(
    'download',
    'Download a file via a link/button or a URL; saved into the run folder.',
    download,
    {
      log: (a) => `download ${a.id !== undefined ? `[${a.id}]` : (a.url ?? '')}`,
      urlFields: ['url'],
    },
  ),
  define(
    'hover',
    'Move the mouse over an element (menus that open on hover).',
    async (run, a) => {
      const el = await run.element(a.id);
      await el.hover({ timeout: timeout(run) });
      // CSS :hover menus change no DOM; the next observation shows them.
      return { detail: 'hovered' };
    },
    { log: (a) => `hover [${a.id}]` },
  ),
  define('scroll', 'Scroll the page, or the scrollable container of an element.', scroll, {
    log: (a) => `scroll ${a.to ?? a.direction ?? 'down'}${a.id !== undefined ? ` [${a.id}]` : ''}`,
  }),
  define(
    'keypress',
    'Press a key or combination, e.g. Enter, Control+A.',
    async (run, a) => {
      const keys = normalizeKeys(a.keys);
      if (a.id !== undefined) {
        const el = await run.element(a.id);
        await el.focus();
        const page = (await frameOf(el)) ?? run.page();
        await page.keyboard.press(keys);
      } else await run.page().keyboard.press(keys);
      return { detail: `pressed ${keys}`, expectEffect: true };
    },
    { log: (a) => `keypress ${a.keys}` },
  ),
  define(
    'wait',
    'Wait for the page to finish loading or updating, or until a text is visible.',
    async (run, a) => {
      const page = run.page();
      if (a.text) {
        await page
          .getByText(a.text)
          .first()
          .waitFor({ state: 'visible', timeout: a.ms ?? 10_000 });
        return { detail: `"${a.text}" is visible` };
      }
      await new Promise((r) => setTimeout(r, a.ms ?? 1000));
      return { detail: `waited ${a.ms ?? 1000} ms` };
    },
    {
      log: (a) =>
        a.text ? `wait for ${JSON.stringify(a.text)}` : `wait ${(a.ms ?? 1000) / 1000}s`,
    },
  ),
  define(
    'goto',
    'Open a URL in the current tab.',
    async (run, a) => {
      await run.recoverFromCrash();
      await run.goto(a.url);
      return { detail: `opened ${run.page().url()}` };
    },
    { log: (a) => `goto ${a.url}`, urlFields: ['url'] },
  ),
  define('back', 'Go back in history.', (run) => historyStep(run, 'back'), { log: () => 'back' }),
  define('forward', 'Go forward in history.', (run) => historyStep(run, 'forward'), {
    log: () => 'forward',
  }),
  define(
    'reload',
    'Reload the page.',
    async (run) => {
      const crashedAt = await run.recoverFromCrash();
      if (crashedAt) {
        await run.goto(crashedAt);
        return { detail: 'reopened the crashed page in a fresh tab' };
      }
      await run.page().reload({ waitUntil: 'domcontentloaded' });
      return { detail: 'reloaded' };
    },
    { log: () => 'reload' },
  ),
  define(
    'new_tab',
    'Open a new tab (optionally at a URL) and work in it.',
    async (run, a) => {
      const target = a.url ? await run.checkUrl(a.url) : null;
      const page = await run.newTab();
      if (target) await page.goto(target, { waitUntil: 'domcontentloaded' });
      return { detail: `opened tab ${run.allPages().indexOf(page)}` };
    },
    { log: (a) => `new_tab${a.url ? ` ${a.url}` : ''}`, urlFields: ['url'] },
  ),
  define(
    'switch_tab',
    'Work in another tab (index from the tab list).',
    async (run, a) => {
      const page = run.allPages()[a.tab];
      if (!page) throw new BrowserError('tab_not_found', `tab: no tab ${a.tab}`);
      run.setActivePage(page);
      await page.bringToFront();
      return { detail: `switched to tab ${a.tab}` };
    },
    { log: (a) => `switch_tab ${a.tab}` },
  ),
  define(
    'close_tab',
    'Close a tab (default: the current one).',
    async (run, a) => {
      const pages = run.allPages();
      const page = a.tab === undefined ? run.page() : pages[a.tab];
      if (!page) throw new BrowserError('tab_not_found', `tab: no tab ${a.tab}`);
      await page.close();
      return { detail: 'closed the tab' };
    },
    { log: (a) => `close_tab${a.tab !== undefined ? ` ${a.tab}` : ''}` },
  ),
  define('drag_and_drop', 'Drag one element onto another.', dragAndDrop, {
    log: (a) => `drag_and_drop [${a.from}] -> [${a.to}]`,
  }),
];

/** Tool definitions for models: name, description and JSON Schema of the arguments. */
export function actionToolSchemas(): { name: string; description: string; parameters: unknown }[] {
  return ACTIONS.map((a) => ({
    name: a.name,
    description: a.description,
    parameters: z.toJSONSchema(a.schema.omit({ type: true })),
  }));
}

export const ACTIONS_BY_NAME: ReadonlyMap<string, ActionDef> = new Map(
  ACTIONS.map((a) => [a.name, a]),
);

/** The record's one-line description of an action (history, logs, loop detection). */
export function actionLogLine(action: Action): string {
  return ACTIONS_BY_NAME.get(action.type)?.log(action) ?? action.type;
}

/** The record's description of an action kind (what a model is told it does). */
export function actionDescription(name: ActionName): string {
  return ACTIONS_BY_NAME.get(name)?.description ?? name;
}

/**
 * The action as it runs: secret placeholders in the record's secret fields resolved and `@uN`
 * URL aliases of the observation expanded in its URL fields. Everything logged or recorded uses
 * the action before this step, so a secret never reaches history, prompts or logs.
 */
export function prepareAction(
  action: Action,
  resolve: { substitute?: (text: string) => string; expandUrl?: (url: string) => string },
): Action {
  const record = ACTIONS_BY_NAME.get(action.type);
  if (!record) return action;
  const out: Record<string, unknown> = { ...action };
  const apply = (fields: readonly string[], f?: (text: string) => string) => {
    if (!f) return;
    for (const field of fields) {
      const v = out[field];
      if (typeof v === 'string') out[field] = f(v);
      else if (Array.isArray(v)) out[field] = v.map((x) => (typeof x === 'string' ? f(x) : x));
    }
  };
  apply(record.secretFields, resolve.substitute);
  apply(record.urlFields, resolve.expandUrl);
  return out as Action;
}
