/** Choice actions: options of a select or custom dropdown, checkboxes, radios and switches. */
import type { ElementHandle } from 'playwright-core';
import { z } from 'zod';
import { BrowserError } from '../../errors.js';
import { ElementTarget } from '../target.js';
import type { ActionHost, ActionOutcome } from '../types.js';
import { clickWithLadder } from './click-ladder.js';
import { fieldInfo, typeInto } from './fields.js';
import { actionTimeout, defineAction, elementId as id, norm } from './helpers.js';

const selectOptionSchema = z.object({
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
});

const setCheckedSchema = z.object({ type: z.literal('set_checked'), id, checked: z.boolean() });

/** One option to choose: by label, value or index. */
interface OptionWant {
  label?: string;
  value?: string;
  index?: number;
}

const wantText = (w: OptionWant) => JSON.stringify(w.label ?? w.value ?? w.index);

async function selectOption(
  run: ActionHost,
  a: z.infer<typeof selectOptionSchema>,
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
        { timeout: actionTimeout(run) },
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
  run: ActionHost,
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
  run: ActionHost,
  a: z.infer<typeof setCheckedSchema>,
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

export const selectionActions = {
  select_option: defineAction({
    schema: selectOptionSchema,
    description:
      'Choose options of a select, listbox or custom dropdown (several only in a multi-select: exactly those end up chosen).',
    execute: selectOption,
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
  }),
  set_checked: defineAction({
    schema: setCheckedSchema,
    description: 'Set a checkbox, radio or switch to checked or unchecked.',
    execute: setChecked,
    log: (a) => `set_checked [${a.id}] ${a.checked}`,
  }),
};
