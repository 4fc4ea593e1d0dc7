/**
 * OpenAI Responses API computer-use wire format: the preview `computer_use_preview` tool (one
 * `action` per `computer_call`, declared display size, `truncation: "auto"`) and the GA `computer`
 * tool (batched `actions[]`, size read from the screenshot at `detail: "original"`).
 */
import type { MouseButton, Point } from '../../../browser/index.js';
import type { CuaAction } from '../shared/actions.js';
import { CuaActionError, CuaProtocolError, isRecord } from '../shared/errors.js';
import type { Size } from '../shared/geometry.js';
import { pngDataUrl } from '../shared/image.js';
import { toPlaywrightKey } from '../shared/keys.js';
import { type CuaUsage, tokenCount } from '../shared/loop.js';

export type OpenAiCuaVariant = 'preview' | 'ga';

/** Relative to an OpenAI-style base URL that already ends in `/v1`. */
export const OPENAI_RESPONSES_PATH = '/responses';

/** Wait length for the argument-less `wait` action (the reference samples use 1–2 s). */
export const OPENAI_WAIT_MS = 2000;

/** `computer-use-preview*` speaks the preview tool; every newer model (gpt-5.4, …) the GA tool. */
export function openAiVariantForModel(model: string): OpenAiCuaVariant {
  return /^computer-use-preview/i.test(model.trim()) ? 'preview' : 'ga';
}

export interface SafetyCheck {
  id: string;
  code?: string | null;
  message?: string | null;
}

export interface OpenAiComputerCall {
  type: 'computer_call';
  callId: string;
  actions: CuaAction[];
  pendingSafetyChecks: SafetyCheck[];
}

export interface OpenAiFunctionCall {
  type: 'function_call';
  callId: string;
  name: string;
  arguments: string;
}

export interface ParsedOpenAiResponse {
  id: string;
  /** Calls in output order; every one must be answered in the next request. */
  calls: Array<OpenAiComputerCall | OpenAiFunctionCall>;
  /** Joined `output_text` of assistant messages, or null when there is none. */
  message: string | null;
  refusal: string | null;
  reasoning: string | null;
  usage: CuaUsage;
}

export interface OpenAiRequestInput {
  model: string;
  variant: OpenAiCuaVariant;
  /** Declared display size (preview only; GA reads it from the image). */
  display: Size;
  input: unknown[];
  previousResponseId: string | null;
  instructions?: string;
  reasoningSummary?: 'auto' | 'concise' | 'detailed' | null;
}

export function buildOpenAiTool(variant: OpenAiCuaVariant, display: Size): Record<string, unknown> {
  if (variant === 'ga') return { type: 'computer' };
  return {
    type: 'computer_use_preview',
    display_width: display.width,
    display_height: display.height,
    environment: 'browser',
  };
}

export function buildOpenAiRequest(req: OpenAiRequestInput): {
  path: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
} {
  const body: Record<string, unknown> = {
    model: req.model,
    tools: [buildOpenAiTool(req.variant, req.display)],
    input: req.input,
  };
  if (req.previousResponseId) body['previous_response_id'] = req.previousResponseId;
  if (req.instructions) body['instructions'] = req.instructions;
  const summary =
    req.reasoningSummary === undefined
      ? req.variant === 'preview'
        ? 'concise'
        : null
      : req.reasoningSummary;
  if (summary) body['reasoning'] = { summary };
  // The preview tool rejects the default truncation ("disabled").
  if (req.variant === 'preview') body['truncation'] = 'auto';
  return { path: OPENAI_RESPONSES_PATH, body, headers: {} };
}

function imageDetail(variant: OpenAiCuaVariant): string {
  return variant === 'ga' ? 'original' : 'high';
}

/** The first user turn: the task and the current screen. */
export function openAiFirstInput(
  task: string,
  screenshot: Buffer,
  variant: OpenAiCuaVariant,
): unknown[] {
  return [
    {
      role: 'user',
      content: [
        { type: 'input_text', text: task },
        { type: 'input_image', image_url: pngDataUrl(screenshot), detail: imageDetail(variant) },
      ],
    },
  ];
}

export function computerCallOutput(
  callId: string,
  screenshot: Buffer,
  variant: OpenAiCuaVariant,
  acknowledged: SafetyCheck[],
): Record<string, unknown> {
  const output: Record<string, unknown> = {
    type: 'computer_screenshot',
    image_url: pngDataUrl(screenshot),
  };
  if (variant === 'ga') output['detail'] = 'original';
  const item: Record<string, unknown> = { type: 'computer_call_output', call_id: callId, output };
  if (acknowledged.length > 0) item['acknowledged_safety_checks'] = acknowledged;
  return item;
}

export function functionCallOutput(callId: string, output: string): Record<string, unknown> {
  return { type: 'function_call_output', call_id: callId, output };
}

/** A plain user note, used to tell the model which actions failed and why. */
export function userNote(text: string): Record<string, unknown> {
  return { role: 'user', content: [{ type: 'input_text', text }] };
}

/** Parses a Responses API body. Throws CuaProtocolError when its shape is wrong. */
export function parseOpenAiResponse(json: unknown): ParsedOpenAiResponse {
  if (!isRecord(json)) throw new CuaProtocolError('response body is not a JSON object', json);
  if (json['status'] === 'failed') {
    const err = json['error'];
    const msg = isRecord(err) && typeof err['message'] === 'string' ? err['message'] : 'unknown';
    throw new CuaProtocolError(`response status is "failed": ${msg}`, json);
  }
  const id = json['id'];
  if (typeof id !== 'string' || id.length === 0) {
    throw new CuaProtocolError('response has no string "id"', json);
  }
  const output = json['output'];
  if (!Array.isArray(output)) throw new CuaProtocolError('response has no "output" array', json);

  const calls: ParsedOpenAiResponse['calls'] = [];
  const texts: string[] = [];
  const refusals: string[] = [];
  const reasoning: string[] = [];
  for (const [i, item] of output.entries()) {
    if (!isRecord(item) || typeof item['type'] !== 'string') {
      throw new CuaProtocolError(`output[${i}] has no "type"`, json);
    }
    switch (item['type']) {
      case 'computer_call':
        calls.push(parseComputerCall(item, i));
        break;
      case 'function_call': {
        const callId = item['call_id'];
        if (typeof callId !== 'string') {
          throw new CuaProtocolError(`output[${i}] function_call has no "call_id"`, json);
        }
        calls.push({
          type: 'function_call',
          callId,
          name: typeof item['name'] === 'string' ? item['name'] : '',
          arguments: typeof item['arguments'] === 'string' ? item['arguments'] : '',
        });
        break;
      }
      case 'message': {
        const content = Array.isArray(item['content']) ? item['content'] : [];
        for (const part of content) {
          if (!isRecord(part)) continue;
          if (part['type'] === 'output_text' && typeof part['text'] === 'string') {
            texts.push(part['text']);
          } else if (part['type'] === 'refusal' && typeof part['refusal'] === 'string') {
            refusals.push(part['refusal']);
          }
        }
        break;
      }
      case 'reasoning': {
        const summary = Array.isArray(item['summary']) ? item['summary'] : [];
        for (const s of summary) {
          if (isRecord(s) && typeof s['text'] === 'string') reasoning.push(s['text']);
        }
        break;
      }
      default:
        // Other item types (web search, etc.) are not produced with only the computer tool.
        break;
    }
  }
  const usage = isRecord(json['usage']) ? json['usage'] : {};
  return {
    id,
    calls,
    message: texts.length > 0 ? texts.join('\n') : null,
    refusal: refusals.length > 0 ? refusals.join('\n') : null,
    reasoning: reasoning.length > 0 ? reasoning.join('\n') : null,
    usage: {
      inputTokens: tokenCount(usage['input_tokens']),
      outputTokens: tokenCount(usage['output_tokens']),
    },
  };
}

function parseComputerCall(item: Record<string, unknown>, index: number): OpenAiComputerCall {
  const callId = item['call_id'];
  if (typeof callId !== 'string' || callId.length === 0) {
    throw new CuaProtocolError(`output[${index}] computer_call has no "call_id"`, item);
  }
  const rawActions: unknown[] = Array.isArray(item['actions'])
    ? item['actions']
    : item['action'] !== undefined
      ? [item['action']]
      : [];
  const checks = Array.isArray(item['pending_safety_checks']) ? item['pending_safety_checks'] : [];
  const pendingSafetyChecks: SafetyCheck[] = [];
  for (const c of checks) {
    if (!isRecord(c) || typeof c['id'] !== 'string') {
      throw new CuaProtocolError(`output[${index}] has a safety check without an "id"`, item);
    }
    // Echo the same object back: copy every field the API sent.
    pendingSafetyChecks.push({ ...c, id: c['id'] } as SafetyCheck);
  }
  return {
    type: 'computer_call',
    callId,
    actions: rawActions.map(parseOpenAiAction),
    pendingSafetyChecks,
  };
}

/** One entry of `action` / `actions[]` to a normalized action. Never throws. */
export function parseOpenAiAction(raw: unknown): CuaAction {
  const name = isRecord(raw) && typeof raw['type'] === 'string' ? raw['type'] : '(missing type)';
  try {
    if (!isRecord(raw)) throw new CuaActionError('action is not an object');
    return translate(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { kind: 'invalid', name, reason: `${name}: ${reason}` };
  }
}

function translate(a: Record<string, unknown>): CuaAction {
  const modifiers = () => keysArray(a['keys'], 'keys', true);
  switch (a['type']) {
    case 'click': {
      const button = a['button'] ?? 'left';
      const buttons: Record<string, MouseButton> = {
        left: 'left',
        right: 'right',
        wheel: 'middle',
      };
      if (button === 'back' || button === 'forward') {
        throw new CuaActionError(
          `the "${button}" mouse button (history navigation) is not available in this browser`,
        );
      }
      const mapped = typeof button === 'string' ? buttons[button] : undefined;
      if (!mapped) throw new CuaActionError(`unknown button ${JSON.stringify(button)}`);
      return { kind: 'click', at: point(a), button: mapped, clickCount: 1, modifiers: modifiers() };
    }
    case 'double_click':
      return { kind: 'click', at: point(a), button: 'left', clickCount: 2, modifiers: modifiers() };
    case 'scroll':
      return {
        kind: 'scroll',
        at: point(a),
        dx: num(a, 'scroll_x', 0),
        dy: num(a, 'scroll_y', 0),
        unit: 'model',
        modifiers: modifiers(),
      };
    case 'type':
      if (typeof a['text'] !== 'string') throw new CuaActionError('"text" must be a string');
      return { kind: 'type', text: a['text'], pressEnterAfter: false };
    case 'keypress': {
      const keys = keysArray(a['keys'], 'keys', false);
      if (keys.length === 0) throw new CuaActionError('"keys" is empty');
      return { kind: 'keypress', keys, repeat: 1 };
    }
    case 'move':
      return { kind: 'move', to: point(a), modifiers: modifiers() };
    case 'drag': {
      const path = a['path'];
      if (!Array.isArray(path) || path.length < 2) {
        throw new CuaActionError('"path" must hold at least two {x, y} points');
      }
      return {
        kind: 'drag',
        path: path.map((p) => {
          if (!isRecord(p)) throw new CuaActionError('"path" entries must be {x, y}');
          return point(p);
        }),
        fromCursor: false,
        modifiers: modifiers(),
      };
    }
    case 'wait':
      return { kind: 'wait', ms: OPENAI_WAIT_MS };
    case 'screenshot':
      return { kind: 'screenshot' };
    default:
      throw new CuaActionError('unknown action type');
  }
}

function num(a: Record<string, unknown>, key: string, fallback?: number): number {
  const v = a[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new CuaActionError(`"${key}" must be a number`);
  }
  return v;
}

function point(a: Record<string, unknown>): Point {
  return { x: num(a, 'x'), y: num(a, 'y') };
}

function keysArray(value: unknown, field: string, optional: boolean): string[] {
  if (value === undefined || value === null) {
    if (optional) return [];
    throw new CuaActionError(`"${field}" is missing`);
  }
  if (!Array.isArray(value) || value.some((k) => typeof k !== 'string')) {
    throw new CuaActionError(`"${field}" must be an array of key names`);
  }
  return (value as string[]).map(toPlaywrightKey);
}
