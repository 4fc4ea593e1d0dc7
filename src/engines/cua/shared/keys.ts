import { CuaActionError } from './errors.js';

/**
 * Key names as OpenAI (`CTRL`, `ARROWLEFT`), Anthropic (xdotool keysyms: `Return`, `Page_Down`,
 * `KP_0`) and UI-TARS (`ctrl`, `pagedown`) spell them, lower-cased, to Playwright key names.
 * The three vocabularies do not conflict, so one table serves all of them.
 */
const KEY_ALIASES: Record<string, string> = {
  ctrl: 'Control',
  control: 'Control',
  control_l: 'Control',
  control_r: 'Control',
  cmd: 'Meta',
  command: 'Meta',
  meta: 'Meta',
  meta_l: 'Meta',
  meta_r: 'Meta',
  super: 'Meta',
  super_l: 'Meta',
  super_r: 'Meta',
  win: 'Meta',
  windows: 'Meta',
  alt: 'Alt',
  alt_l: 'Alt',
  alt_r: 'Alt',
  option: 'Alt',
  shift: 'Shift',
  shift_l: 'Shift',
  shift_r: 'Shift',
  enter: 'Enter',
  return: 'Enter',
  kp_enter: 'Enter',
  esc: 'Escape',
  escape: 'Escape',
  backspace: 'Backspace',
  delete: 'Delete',
  del: 'Delete',
  kp_delete: 'Delete',
  insert: 'Insert',
  tab: 'Tab',
  iso_left_tab: 'Tab',
  space: ' ',
  spacebar: ' ',
  up: 'ArrowUp',
  arrowup: 'ArrowUp',
  down: 'ArrowDown',
  arrowdown: 'ArrowDown',
  left: 'ArrowLeft',
  arrowleft: 'ArrowLeft',
  right: 'ArrowRight',
  arrowright: 'ArrowRight',
  kp_up: 'ArrowUp',
  kp_down: 'ArrowDown',
  kp_left: 'ArrowLeft',
  kp_right: 'ArrowRight',
  pagedown: 'PageDown',
  page_down: 'PageDown',
  next: 'PageDown',
  pageup: 'PageUp',
  page_up: 'PageUp',
  prior: 'PageUp',
  home: 'Home',
  end: 'End',
  capslock: 'CapsLock',
  caps_lock: 'CapsLock',
  numlock: 'NumLock',
  num_lock: 'NumLock',
  contextmenu: 'ContextMenu',
  menu: 'ContextMenu',
  printscreen: 'PrintScreen',
  print: 'PrintScreen',
  pause: 'Pause',
  minus: '-',
  plus: '+',
  equal: '=',
  comma: ',',
  period: '.',
  slash: '/',
  backslash: '\\',
  semicolon: ';',
  apostrophe: "'",
  grave: '`',
  bracketleft: '[',
  bracketright: ']',
  kp_add: 'NumpadAdd',
  kp_subtract: 'NumpadSubtract',
  kp_multiply: 'NumpadMultiply',
  kp_divide: 'NumpadDivide',
  kp_decimal: 'NumpadDecimal',
};

/** One vendor key name to a Playwright key name; throws CuaActionError for names we cannot map. */
export function toPlaywrightKey(name: string): string {
  if (name.length === 1) return name;
  const lower = name.trim().toLowerCase();
  if (lower.length === 0) throw new CuaActionError('empty key name');
  const alias = KEY_ALIASES[lower];
  if (alias !== undefined) return alias;
  const fn = /^f([1-9]|1[0-9]|2[0-4])$/.exec(lower);
  if (fn) return `F${fn[1]}`;
  const numpad = /^kp_([0-9])$/.exec(lower);
  if (numpad) return `Numpad${numpad[1]}`;
  throw new CuaActionError(`unknown key name "${name}"`);
}

/** Anthropic's xdotool chord syntax: `ctrl+shift+t`, `Return`, `ctrl++`. */
export function parseXdotoolChord(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new CuaActionError('key text is empty');
  const parts: string[] = [];
  let rest = trimmed;
  // A trailing "++" means the "+" key itself.
  if (rest.endsWith('++')) {
    rest = rest.slice(0, -2);
    parts.push('+');
  }
  const names = rest.length > 0 ? rest.split('+') : [];
  if (names.some((n) => n.trim() === '')) throw new CuaActionError(`malformed key chord "${text}"`);
  return [...names.map((n) => toPlaywrightKey(n.trim())), ...parts];
}

/** UI-TARS hotkey syntax: lower-case names separated by spaces, `ctrl c`. */
export function parseSpaceChord(text: string): string[] {
  const names = text.trim().split(/\s+/).filter(Boolean);
  if (names.length === 0) throw new CuaActionError('hotkey has no keys');
  return names.map(toPlaywrightKey);
}
