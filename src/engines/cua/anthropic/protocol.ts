/**
 * Anthropic Messages API computer use: the beta `computer_2024…/2025…` tools (one tool named
 * `computer`, `input.action`, declared display size, `anthropic-beta` flag) and the GA
 * `computer_toolset_20260801` (one tool_use per member, the member name is the action).
 */
import type { MouseButton, Point } from '../../../browser/index.js';
import type { CuaAction } from '../shared/actions.js';
import { CuaActionError, CuaProtocolError, isRecord } from '../shared/errors.js';
import type { Size } from '../shared/geometry.js';
import { parseXdotoolChord } from '../shared/keys.js';
import { type CuaUsage, tokenCount } from '../shared/loop.js';

export type AnthropicToolVersion =
  | 'computer_20241022'
  | 'computer_20250124'
  | 'computer_20251124'
  | 'computer_toolset_20260801';

/** Relative to the Anthropic base URL (`https://api.anthropic.com`). */
export const ANTHROPIC_MESSAGES_PATH = '/v1/messages';
export const ANTHROPIC_VERSION_HEADER = '2023-06-01';
export const ANTHROPIC_TOOLSET_NAME = 'computer';

export const ANTHROPIC_BETA_FLAGS: Record<AnthropicToolVersion, string | null> = {
  computer_20241022: 'computer-use-2024-10-22',
  computer_20250124: 'computer-use-2025-01-24',
  computer_20251124: 'computer-use-2025-11-24',
  computer_toolset_20260801: null,
};

/** Pixels scrolled per `scroll_amount` unit (one wheel click). */
export const ANTHROPIC_SCROLL_CLICK_PX = 100;

const V1_ACTIONS = [
  'key',
  'type',
  'mouse_move',
  'left_click',
  'left_click_drag',
  'right_click',
  'middle_click',
  'double_click',
  'screenshot',
  'cursor_position',
];
const V2_ACTIONS = [
  ...V1_ACTIONS,
  'left_mouse_down',
  'left_mouse_up',
  'scroll',
  'hold_key',
  'wait',
  'triple_click',
];

/** The actions (or toolset members) a tool version accepts. */
export function anthropicActionsFor(version: AnthropicToolVersion, enableZoom: boolean): string[] {
  switch (version) {
    case 'computer_20241022':
      return V1_ACTIONS;
    case 'computer_20250124':
      return V2_ACTIONS;
    case 'computer_20251124':
      return enableZoom ? [...V2_ACTIONS, 'zoom'] : V2_ACTIONS;
    case 'computer_toolset_20260801':
      return [...V2_ACTIONS, 'zoom'];
  }
}

/**
 * The tool version a model needs. 5.5-generation models (and Fable/Mythos) require the GA toolset;
 * Opus 4.5+ / Sonnet 4.6 / Opus 5 use 20251124; Claude 3.5 Sonnet (new) 20241022; the rest
 * 20250124.
 */
export function anthropicToolVersionForModel(model: string): AnthropicToolVersion {
  const m = model.toLowerCase();
  if (/(^|[^0-9])5[-.]5([^0-9]|$)/.test(m) || /fable|mythos/.test(m)) {
    return 'computer_toolset_20260801';
  }
  if (/claude-3-5-sonnet|claude-3\.5-sonnet/.test(m)) return 'computer_20241022';
  if (
    /opus-4-[5-9]|opus-4\.[5-9]|sonnet-4-[6-9]|sonnet-4\.[6-9]|(opus|sonnet|haiku)-5([^0-9.-]|$)|(opus|sonnet|haiku)-5-[0-4]([^0-9]|$)/.test(
      m,
    )
  ) {
    return 'computer_20251124';
  }
  return 'computer_20250124';
}

export function buildAnthropicTool(
  version: AnthropicToolVersion,
  display: Size,
  enableZoom: boolean,
): Record<string, unknown> {
  if (version === 'computer_toolset_20260801') return { type: version };
  const tool: Record<string, unknown> = {
    type: version,
    name: 'computer',
    display_width_px: display.width,
    display_height_px: display.height,
  };
  if (version === 'computer_20251124' && enableZoom) tool['enable_zoom'] = true;
  return tool;
}

export interface AnthropicRequestInput {
  model: string;
  version: AnthropicToolVersion;
  display: Size;
  messages: unknown[];
  maxTokens: number;
  enableZoom: boolean;
  system?: string;
  /** Passed through as `thinking` (e.g. `{type: "enabled", budget_tokens: 1024}`). */
  thinking?: unknown;
}

export function buildAnthropicRequest(req: AnthropicRequestInput): {
  path: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
} {
  const body: Record<string, unknown> = {
    model: req.model,
    max_tokens: req.maxTokens,
    tools: [buildAnthropicTool(req.version, req.display, req.enableZoom)],
    messages: req.messages,
  };
  if (req.system) body['system'] = req.system;
  if (req.thinking !== undefined) body['thinking'] = req.thinking;
  const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION_HEADER };
  const beta = ANTHROPIC_BETA_FLAGS[req.version];
  if (beta) headers['anthropic-beta'] = beta;
  return { path: ANTHROPIC_MESSAGES_PATH, body, headers };
}

export interface AnthropicToolUse {
  id: string;
  name: string;
  action: CuaAction;
}

export interface ParsedAnthropicMessage {
  id: string;
  /** The assistant content exactly as received; it must be sent back unchanged. */
  content: unknown[];
  text: string | null;
  thinking: string | null;
  toolUses: AnthropicToolUse[];
  stopReason: string | null;
  usage: CuaUsage;
}

/** Parses a Messages API body. Throws CuaProtocolError when its shape is wrong. */
export function parseAnthropicMessage(
  json: unknown,
  version: AnthropicToolVersion,
  enableZoom: boolean,
): ParsedAnthropicMessage {
  if (!isRecord(json)) throw new CuaProtocolError('response body is not a JSON object', json);
  if (json['type'] === 'error') {
    const err = json['error'];
    const msg = isRecord(err) && typeof err['message'] === 'string' ? err['message'] : 'unknown';
    throw new CuaProtocolError(`error response: ${msg}`, json);
  }
  const content = json['content'];
  if (!Array.isArray(content)) throw new CuaProtocolError('message has no "content" array', json);
  const texts: string[] = [];
  const thinking: string[] = [];
  const toolUses: AnthropicToolUse[] = [];
  for (const [i, block] of content.entries()) {
    if (!isRecord(block) || typeof block['type'] !== 'string') {
      throw new CuaProtocolError(`content[${i}] has no "type"`, json);
    }
    if (block['type'] === 'text' && typeof block['text'] === 'string') texts.push(block['text']);
    else if (block['type'] === 'thinking' && typeof block['thinking'] === 'string') {
      thinking.push(block['thinking']);
    } else if (block['type'] === 'tool_use') {
      const id = block['id'];
      const name = block['name'];
      if (typeof id !== 'string' || id.length === 0 || typeof name !== 'string') {
        throw new CuaProtocolError(`content[${i}] tool_use has no "id" or "name"`, json);
      }
      toolUses.push({ id, name, action: toolUseAction(name, block['input'], version, enableZoom) });
    }
  }
  const usage = isRecord(json['usage']) ? json['usage'] : {};
  return {
    id: typeof json['id'] === 'string' ? json['id'] : '',
    content,
    text: texts.length > 0 ? texts.join('\n') : null,
    thinking: thinking.length > 0 ? thinking.join('\n') : null,
    toolUses,
    stopReason: typeof json['stop_reason'] === 'string' ? json['stop_reason'] : null,
    usage: {
      inputTokens:
        tokenCount(usage['input_tokens']) +
        tokenCount(usage['cache_read_input_tokens']) +
        tokenCount(usage['cache_creation_input_tokens']),
      outputTokens: tokenCount(usage['output_tokens']),
    },
  };
}

function toolUseAction(
  name: string,
  input: unknown,
  version: AnthropicToolVersion,
  enableZoom: boolean,
): CuaAction {
  const args = isRecord(input) ? input : {};
  let action: string;
  if (version === 'computer_toolset_20260801') {
    action = name;
  } else {
    if (name !== 'computer') {
      return { kind: 'invalid', name, reason: `unknown tool "${name}"` };
    }
    if (typeof args['action'] !== 'string') {
      return { kind: 'invalid', name: '(missing action)', reason: 'input.action is missing' };
    }
    action = args['action'];
  }
  return parseAnthropicAction(action, args, version, enableZoom);
}

/** One computer action (beta `input.action` or toolset member) to a normalized action. */
export function parseAnthropicAction(
  action: string,
  args: Record<string, unknown>,
  version: AnthropicToolVersion,
  enableZoom: boolean,
): CuaAction {
  try {
    if (!anthropicActionsFor(version, enableZoom).includes(action)) {
      throw new CuaActionError(`unknown action for ${version}`);
    }
    return translate(action, args);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { kind: 'invalid', name: action, reason: `${action}: ${reason}` };
  }
}

const CLICKS: Record<string, { button: MouseButton; clickCount: 1 | 2 | 3 }> = {
  left_click: { button: 'left', clickCount: 1 },
  right_click: { button: 'right', clickCount: 1 },
  middle_click: { button: 'middle', clickCount: 1 },
  double_click: { button: 'left', clickCount: 2 },
  triple_click: { button: 'left', clickCount: 3 },
};

const SCROLL_DIRECTIONS: Record<string, { dx: number; dy: number }> = {
  up: { dx: 0, dy: -1 },
  down: { dx: 0, dy: 1 },
  left: { dx: -1, dy: 0 },
  right: { dx: 1, dy: 0 },
};

function translate(action: string, a: Record<string, unknown>): CuaAction {
  const modifiers = () =>
    typeof a['text'] === 'string' && a['text'] ? parseXdotoolChord(a['text']) : [];
  const click = CLICKS[action];
  if (click) {
    return {
      kind: 'click',
      at: optionalCoordinate(a, 'coordinate'),
      ...click,
      modifiers: modifiers(),
    };
  }
  switch (action) {
    case 'screenshot':
      return { kind: 'screenshot' };
    case 'mouse_move':
      return { kind: 'move', to: coordinate(a, 'coordinate'), modifiers: [] };
    case 'left_click_drag': {
      const start = optionalCoordinate(a, 'start_coordinate');
      const end = coordinate(a, 'coordinate');
      return {
        kind: 'drag',
        path: start ? [start, end] : [end],
        fromCursor: start === null,
        modifiers: modifiers(),
      };
    }
    case 'left_mouse_down':
    case 'left_mouse_up':
      return {
        kind: action === 'left_mouse_down' ? 'mouse_down' : 'mouse_up',
        button: 'left',
        at: optionalCoordinate(a, 'coordinate'),
      };
    case 'key': {
      const repeat = a['repeat'] === undefined ? 1 : a['repeat'];
      if (typeof repeat !== 'number' || !Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
        throw new CuaActionError('"repeat" must be an integer from 1 to 100');
      }
      return { kind: 'keypress', keys: parseXdotoolChord(str(a, 'text')), repeat };
    }
    case 'hold_key':
      return {
        kind: 'hold_key',
        keys: parseXdotoolChord(str(a, 'text')),
        durationMs: seconds(a, 'duration') * 1000,
      };
    case 'type':
      return { kind: 'type', text: str(a, 'text'), pressEnterAfter: false };
    case 'cursor_position':
      return { kind: 'cursor_position' };
    case 'scroll': {
      const direction = a['scroll_direction'];
      const unit = typeof direction === 'string' ? SCROLL_DIRECTIONS[direction] : undefined;
      if (!unit) throw new CuaActionError('"scroll_direction" must be up, down, left or right');
      const amount = a['scroll_amount'] === undefined ? 3 : a['scroll_amount'];
      if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
        throw new CuaActionError('"scroll_amount" must be a number ≥ 0');
      }
      const px = amount * ANTHROPIC_SCROLL_CLICK_PX;
      return {
        kind: 'scroll',
        at: optionalCoordinate(a, 'coordinate'),
        dx: unit.dx * px,
        dy: unit.dy * px,
        unit: 'css',
        modifiers: modifiers(),
      };
    }
    case 'wait':
      return { kind: 'wait', ms: seconds(a, 'duration') * 1000 };
    case 'zoom': {
      const r = a['region'];
      if (!Array.isArray(r) || r.length !== 4 || r.some((n) => typeof n !== 'number')) {
        throw new CuaActionError('"region" must be [x1, y1, x2, y2]');
      }
      const [x1, y1, x2, y2] = r as number[];
      return { kind: 'zoom', region: { x1: x1!, y1: y1!, x2: x2!, y2: y2! } };
    }
    default:
      throw new CuaActionError('unknown action');
  }
}

function str(a: Record<string, unknown>, key: string): string {
  const v = a[key];
  if (typeof v !== 'string') throw new CuaActionError(`"${key}" must be a string`);
  return v;
}

function seconds(a: Record<string, unknown>, key: string): number {
  const v = a[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new CuaActionError(`"${key}" must be a number of seconds ≥ 0`);
  }
  return v;
}

function optionalCoordinate(a: Record<string, unknown>, key: string): Point | null {
  return a[key] === undefined || a[key] === null ? null : coordinate(a, key);
}

function coordinate(a: Record<string, unknown>, key: string): Point {
  const v = a[key];
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    typeof v[0] !== 'number' ||
    typeof v[1] !== 'number' ||
    !Number.isFinite(v[0]) ||
    !Number.isFinite(v[1])
  ) {
    throw new CuaActionError(`"${key}" must be [x, y]`);
  }
  return { x: v[0], y: v[1] };
}
