/** Keyboard actions: typing into a field, entering a one-time code, pressing keys. */
import { z } from 'zod';
import { BrowserError, errorMessage } from '../../errors.js';
import { normalizeKeys } from '../keys.js';
import { detectOtpFields, type InputFieldInfo, planOtpEntry } from '../otp-fields.js';
import { ElementTarget } from '../target.js';
import type { ActionHost, ActionOutcome } from '../types.js';
import { fieldInfo, typeInto } from './fields.js';
import { actionTimeout, defineAction, frameOf, elementId as id, norm } from './helpers.js';

const inputTextSchema = z.object({
  type: z.literal('input_text'),
  id,
  text: z.string(),
  clear: z.boolean().optional().describe('replace the current value (default true)'),
  mode: z
    .enum(['auto', 'fill', 'type'])
    .optional()
    .describe('fill sets the value at once; type presses keys (autocompletes). Default auto'),
  submit: z.boolean().optional().describe('press Enter afterwards'),
});

const enterCodeSchema = z.object({
  type: z.literal('enter_code'),
  id: id
    .optional()
    .describe('the code field, or the first of its one-character boxes; else found on the page'),
  text: z.string().min(1),
});

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

async function inputText(
  run: ActionHost,
  a: z.infer<typeof inputTextSchema>,
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
      await (await target.element()).fill(expected, { timeout: actionTimeout(run) });
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
      await (await target.element()).press('Enter', { timeout: actionTimeout(run) });
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
  run: ActionHost,
  a: z.infer<typeof enterCodeSchema>,
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
    await box.fill('', { timeout: actionTimeout(run) });
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

export const textActions = {
  input_text: defineAction({
    schema: inputTextSchema,
    description: 'Type text into a text field, textarea or editable area.',
    execute: inputText,
    log: (a) => `input_text [${a.id}] ${JSON.stringify(a.text)}${a.submit ? ' +Enter' : ''}`,
    secretFields: ['text'],
  }),
  enter_code: defineAction({
    schema: enterCodeSchema,
    description:
      'Type a one-time code: one character per box when the page splits it into boxes, else into the code field.',
    execute: enterCode,
    // Never the code itself.
    log: (a) => `enter_code${a.id !== undefined ? ` [${a.id}]` : ''}`,
    secretFields: ['text'],
  }),
  keypress: defineAction({
    schema: z.object({
      type: z.literal('keypress'),
      keys: z.string().min(1).describe('e.g. "Enter", "Control+A", "Shift+Tab"'),
      id: id.optional().describe('focus this element first'),
    }),
    description: 'Press a key or combination, e.g. Enter, Control+A.',
    execute: async (run, a) => {
      const keys = normalizeKeys(a.keys);
      if (a.id !== undefined) {
        const el = await run.element(a.id);
        await el.focus();
        const page = (await frameOf(el)) ?? run.page();
        await page.keyboard.press(keys);
      } else await run.page().keyboard.press(keys);
      return { detail: `pressed ${keys}`, expectEffect: true };
    },
    log: (a) => `keypress ${a.keys}`,
  }),
};
