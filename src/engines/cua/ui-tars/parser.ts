/**
 * Parser for the UI-TARS text grammar:
 *   Thought: …\nAction: click(start_box='(x,y)')\n\nhotkey(key='ctrl c')
 * Coordinates in `<point>x y</point>`, `<|box_start|>(x,y)<|box_end|>`, `(x,y)`, `[x1, y1, x2, y2]`
 * or `<bbox>…</bbox>` forms are all accepted; a 4-number box means its centre.
 */
import type { Point } from '../../../browser/index.js';
import { CuaProtocolError } from '../shared/errors.js';

export interface UiTarsCall {
  name: string;
  args: Record<string, string>;
}

export interface ParsedUiTarsReply {
  thought: string | null;
  calls: UiTarsCall[];
}

/** Throws CuaProtocolError when there is no parseable `Action:`. */
export function parseUiTarsReply(text: string): ParsedUiTarsReply {
  const normalized = normalize(text);
  const marker = /Action[:：]/g;
  let last = -1;
  let markerLength = 0;
  for (let m = marker.exec(normalized); m !== null; m = marker.exec(normalized)) {
    last = m.index;
    markerLength = m[0].length;
  }
  if (last < 0) throw new CuaProtocolError('reply has no "Action:" line', text);
  const head = normalized.slice(0, last);
  const thoughtMatch = /(?:Thought|Action_Summary)[:：]\s*([\s\S]*)$/.exec(head);
  const thought = thoughtMatch ? thoughtMatch[1]!.trim() || null : head.trim() || null;
  const calls = parseCalls(normalized.slice(last + markerLength));
  if (calls.length === 0) throw new CuaProtocolError('"Action:" holds no action call', text);
  return { thought, calls };
}

function normalize(text: string): string {
  return text
    .trim()
    .replace(/<point>\s*(-?[\d.]+)[\s,]+(-?[\d.]+)\s*<\/point>/g, '($1,$2)')
    .replace(
      /<bbox>\s*(-?[\d.]+)[\s,]+(-?[\d.]+)[\s,]+(-?[\d.]+)[\s,]+(-?[\d.]+)\s*<\/bbox>/g,
      '($1,$2,$3,$4)',
    )
    .replace(/<\|box_start\|>|<\|box_end\|>/g, '')
    .replace(/\bstart_point=/g, 'start_box=')
    .replace(/\bend_point=/g, 'end_box=')
    .replace(/(^|[(,\s])point=/g, '$1start_box=');
}

/**
 * Reads `name(k='v', …)` calls separated by whitespace. A quote closes a value only when a `,`
 * + next keyword or the closing `)` follows, so unescaped quotes and `)\n\n` inside `type`
 * content do not break the split.
 */
function parseCalls(src: string): UiTarsCall[] {
  const calls: UiTarsCall[] = [];
  let i = 0;
  const skipWs = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  for (;;) {
    skipWs();
    if (i >= src.length) break;
    const nameMatch = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (!nameMatch)
      throw new CuaProtocolError(`cannot read an action call at "${src.slice(i, i + 40)}"`, src);
    const name = nameMatch[0];
    i += name.length;
    skipWs();
    if (src[i] !== '(') throw new CuaProtocolError(`action "${name}" has no argument list`, src);
    i++;
    const args: Record<string, string> = {};
    for (;;) {
      skipWs();
      if (src[i] === ')') {
        i++;
        break;
      }
      if (i >= src.length) throw new CuaProtocolError(`action "${name}" is not closed`, src);
      const keyMatch = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/.exec(src.slice(i));
      if (!keyMatch) throw new CuaProtocolError(`action "${name}" has a malformed argument`, src);
      i += keyMatch[0].length;
      const key = keyMatch[1]!;
      const quote = src[i];
      if (quote === "'" || quote === '"') {
        i++;
        let value = '';
        for (;;) {
          if (i >= src.length) throw new CuaProtocolError(`argument "${key}" is not closed`, src);
          const ch = src[i]!;
          if (ch === '\\' && i + 1 < src.length) {
            value += unescapeChar(src[i + 1]!);
            i += 2;
            continue;
          }
          if (ch === quote && closesValue(src, i + 1)) {
            i++;
            break;
          }
          value += ch;
          i++;
        }
        args[key] = value;
      } else {
        const end = src.slice(i).search(/[,)]/);
        if (end < 0) throw new CuaProtocolError(`argument "${key}" is not closed`, src);
        args[key] = src.slice(i, i + end).trim();
        i += end;
      }
      skipWs();
      if (src[i] === ',') i++;
    }
    calls.push({ name, args });
  }
  return calls;
}

function closesValue(src: string, from: number): boolean {
  const rest = src.slice(from);
  return /^\s*(\)|,\s*[A-Za-z_][A-Za-z0-9_]*\s*=)/.test(rest) || /^\s*$/.test(rest);
}

function unescapeChar(ch: string): string {
  switch (ch) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case "'":
    case '"':
    case '\\':
      return ch;
    default:
      return `\\${ch}`;
  }
}

/** `(x,y)`, `(x1,y1,x2,y2)`, `[x1, y1, x2, y2]` or `x y` to a point (a box gives its centre). */
export function parseUiTarsPoint(value: string): Point {
  const nums = (value.match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
  if (nums.length === 2) return { x: nums[0]!, y: nums[1]! };
  if (nums.length === 4) return { x: (nums[0]! + nums[2]!) / 2, y: (nums[1]! + nums[3]!) / 2 };
  throw new Error(`"${value}" is not a point or a box`);
}

/**
 * History text for UI-TARS-1.5 self-hosted servers: they strip box tokens from their output, so
 * they go back in before the reply is replayed (as the deployment guide says).
 */
export function addBoxTokens(reply: string): string {
  return reply.replace(
    /(start_box|end_box)='\((\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)\)'/g,
    "$1='<|box_start|>($2,$3)<|box_end|>'",
  );
}
