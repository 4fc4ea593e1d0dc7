/**
 * Text fields as the text and selection actions see them: what kind of field an element is, and
 * typing into it key by key.
 */
import type { ElementHandle } from 'playwright-core';
import type { ElementTarget } from '../target.js';
import type { ActionHost } from '../types.js';
import { actionTimeout, frameOf } from './helpers.js';

/**
 * What kind of field this is. With `prepareFill`, a field the action will fill (mode `fill`, or
 * `auto` on a field without suggestions) that is a plain text field in the main frame (enabled,
 * visible, text-like type) is also focused with its text selected, in the same round trip; the
 * caller's keyboard.insertText then replaces it, which is what Playwright's fill does, minus its
 * waits. `readyToFill` is false for anything else: use el.fill().
 */
export async function fieldInfo(
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

export async function typeInto(
  run: ActionHost,
  el: ElementHandle<Element>,
  text: string,
  clear: boolean,
) {
  if (clear) await el.fill('', { timeout: actionTimeout(run) });
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
