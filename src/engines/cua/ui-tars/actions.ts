import type { Point } from '../../../browser/index.js';
import type { CuaAction } from '../shared/actions.js';
import { CuaActionError } from '../shared/errors.js';
import type { Size } from '../shared/geometry.js';
import { parseSpaceChord } from '../shared/keys.js';
import { type UiTarsModelVersion, uiTarsToImage } from './coordinates.js';
import { parseUiTarsPoint, type UiTarsCall } from './parser.js';

/** `wait()` in the UI-TARS prompt means "sleep for 5 s". */
export const UI_TARS_WAIT_MS = 5000;

/** A reply turned into work: actions to run, then possibly a terminal call. */
export interface UiTarsTurn {
  actions: CuaAction[];
  /** `finished(content)`: the answer. */
  finished: string | null;
  /** `call_user()`: the model wants a human. */
  callUser: boolean;
}

export interface UiTarsTranslateOptions {
  version: UiTarsModelVersion;
  /** Size of the screenshot the model was sent (the model coordinate space after conversion). */
  image: Size;
  /** CSS pixels per `scroll` (the grammar has no amount). */
  scrollPixels: number;
}

export function translateUiTarsCalls(
  calls: UiTarsCall[],
  opts: UiTarsTranslateOptions,
): UiTarsTurn {
  const turn: UiTarsTurn = { actions: [], finished: null, callUser: false };
  for (const call of calls) {
    if (call.name === 'finished') {
      turn.finished = call.args['content'] ?? '';
      break;
    }
    if (call.name === 'call_user') {
      turn.callUser = true;
      break;
    }
    turn.actions.push(translateCall(call, opts));
  }
  return turn;
}

/** One call to a normalized action in model-image pixels. Never throws. */
export function translateCall(call: UiTarsCall, opts: UiTarsTranslateOptions): CuaAction {
  try {
    return translate(call, opts);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { kind: 'invalid', name: call.name, reason: `${call.name}: ${reason}` };
  }
}

function translate(call: UiTarsCall, opts: UiTarsTranslateOptions): CuaAction {
  const point = (key: string): Point => {
    const raw = call.args[key];
    if (raw === undefined) throw new CuaActionError(`"${key}" is missing`);
    return uiTarsToImage(parseUiTarsPoint(raw), opts.version, opts.image);
  };
  switch (call.name) {
    case 'click':
    case 'left_single':
      return {
        kind: 'click',
        at: point('start_box'),
        button: 'left',
        clickCount: 1,
        modifiers: [],
      };
    case 'left_double':
      return {
        kind: 'click',
        at: point('start_box'),
        button: 'left',
        clickCount: 2,
        modifiers: [],
      };
    case 'right_single':
      return {
        kind: 'click',
        at: point('start_box'),
        button: 'right',
        clickCount: 1,
        modifiers: [],
      };
    case 'hover':
      return { kind: 'move', to: point('start_box'), modifiers: [] };
    case 'drag':
    case 'select':
      return {
        kind: 'drag',
        path: [point('start_box'), point('end_box')],
        fromCursor: false,
        modifiers: [],
      };
    case 'hotkey': {
      const keys = call.args['key'] ?? call.args['hotkey'];
      if (keys === undefined) throw new CuaActionError('"key" is missing');
      return { kind: 'keypress', keys: parseSpaceChord(keys), repeat: 1 };
    }
    case 'type': {
      const content = call.args['content'];
      if (content === undefined) throw new CuaActionError('"content" is missing');
      // A trailing newline means "submit": type the rest, then press Enter.
      const submit = content.endsWith('\n');
      return {
        kind: 'type',
        text: submit ? content.slice(0, -1) : content,
        pressEnterAfter: submit,
      };
    }
    case 'scroll': {
      const direction = call.args['direction']?.trim().toLowerCase();
      const unit: Record<string, { dx: number; dy: number }> = {
        up: { dx: 0, dy: -1 },
        down: { dx: 0, dy: 1 },
        left: { dx: -1, dy: 0 },
        right: { dx: 1, dy: 0 },
      };
      const d = direction ? unit[direction] : undefined;
      if (!d) throw new CuaActionError('"direction" must be up, down, left or right');
      const at =
        call.args['start_box'] !== undefined
          ? point('start_box')
          : { x: opts.image.width / 2, y: opts.image.height / 2 };
      return {
        kind: 'scroll',
        at,
        dx: d.dx * opts.scrollPixels,
        dy: d.dy * opts.scrollPixels,
        unit: 'css',
        modifiers: [],
      };
    }
    case 'wait':
      return { kind: 'wait', ms: UI_TARS_WAIT_MS };
    default:
      throw new CuaActionError('unknown action');
  }
}
