import { KEY_NAMES } from '../../../browser/index.js';
import { CuaActionError } from './errors.js';

/** One vendor key name to a Playwright key name; throws CuaActionError for names we cannot map. */
export function toPlaywrightKey(name: string): string {
  if (name.length === 1) return name;
  const lower = name.trim().toLowerCase();
  if (lower.length === 0) throw new CuaActionError('empty key name');
  const alias = KEY_NAMES[lower];
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
