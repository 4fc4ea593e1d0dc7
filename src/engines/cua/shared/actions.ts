import type { ComputerPrimitives, MouseButton, Point } from '../../../browser/index.js';
import { CuaActionError } from './errors.js';
import type { CoordinateScaler } from './geometry.js';
import { cropPng, pngSize } from './image.js';

/**
 * One thing a computer-use model asked for, in a vendor-neutral form. Points are in the model's
 * coordinate space (pixels of the screenshot it saw); key names are already Playwright names.
 * `invalid` carries an action we could not understand, so it is answered with an error instead of
 * crashing the run.
 */
export type CuaAction =
  | {
      kind: 'click';
      /** null: at the current cursor position. */
      at: Point | null;
      button: MouseButton;
      clickCount: 1 | 2 | 3;
      modifiers: string[];
    }
  | { kind: 'move'; to: Point; modifiers: string[] }
  | {
      kind: 'drag';
      path: Point[];
      /** Start at the current cursor position; `path` then holds the rest. */
      fromCursor: boolean;
      modifiers: string[];
    }
  | { kind: 'mouse_down'; button: MouseButton; at: Point | null }
  | { kind: 'mouse_up'; button: MouseButton; at: Point | null }
  | {
      kind: 'scroll';
      at: Point | null;
      dx: number;
      dy: number;
      /** `model`: pixels of the model's screenshot (scaled like coordinates); `css`: viewport px. */
      unit: 'model' | 'css';
      modifiers: string[];
    }
  | { kind: 'type'; text: string; pressEnterAfter: boolean }
  | { kind: 'keypress'; keys: string[]; repeat: number }
  | { kind: 'hold_key'; keys: string[]; durationMs: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'screenshot' }
  | { kind: 'cursor_position' }
  | { kind: 'zoom'; region: { x1: number; y1: number; x2: number; y2: number } }
  | { kind: 'invalid'; name: string; reason: string };

export type CuaActionOutcome =
  | { ok: true; text?: string; image?: Buffer }
  | { ok: false; error: string };

/** Longest single wait we honour, whatever the model asks for. */
export const MAX_WAIT_MS = 30_000;

/**
 * Runs one normalized action on the page. Never throws: a bad argument or a browser failure comes
 * back as `{ ok: false, error }` so the caller can answer the model and carry on.
 */
export async function executeAction(
  computer: ComputerPrimitives,
  action: CuaAction,
  scaler: CoordinateScaler,
  signal?: AbortSignal,
): Promise<CuaActionOutcome> {
  try {
    return await run(computer, action, scaler, signal);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `${action.kind} failed: ${message}` };
  }
}

async function run(
  computer: ComputerPrimitives,
  action: CuaAction,
  scaler: CoordinateScaler,
  signal?: AbortSignal,
): Promise<CuaActionOutcome> {
  const at = (p: Point) => scaler.toViewport(p);
  switch (action.kind) {
    case 'click': {
      const point = action.at ? at(action.at) : computer.cursorPosition();
      await withModifiers(computer, action.modifiers, () =>
        computer.click(point, { button: action.button, clickCount: action.clickCount }),
      );
      return { ok: true };
    }
    case 'move': {
      const point = at(action.to);
      await withModifiers(computer, action.modifiers, () => computer.mouseMove(point));
      return { ok: true };
    }
    case 'drag': {
      const path = action.path.map(at);
      if (action.fromCursor) path.unshift(computer.cursorPosition());
      if (path.length < 2) throw new CuaActionError('drag needs at least two points');
      await withModifiers(computer, action.modifiers, () => computer.drag(path));
      return { ok: true };
    }
    case 'mouse_down':
    case 'mouse_up': {
      if (action.at) await computer.mouseMove(at(action.at));
      if (action.kind === 'mouse_down') await computer.mouseDown(action.button);
      else await computer.mouseUp(action.button);
      return { ok: true };
    }
    case 'scroll': {
      const point = action.at ? at(action.at) : computer.cursorPosition();
      const delta =
        action.unit === 'model'
          ? scaler.deltaToViewport({ dx: action.dx, dy: action.dy })
          : { dx: action.dx, dy: action.dy };
      await withModifiers(computer, action.modifiers, () => computer.scroll(point, delta));
      return { ok: true };
    }
    case 'type':
      if (action.text.length > 0) await computer.type(action.text);
      if (action.pressEnterAfter) await computer.keypress(['Enter']);
      return { ok: true };
    case 'keypress':
      for (let i = 0; i < action.repeat; i++) await computer.keypress(action.keys);
      return { ok: true };
    case 'hold_key': {
      for (const key of action.keys) await computer.keyDown(key);
      try {
        await abortableWait(computer, Math.min(action.durationMs, MAX_WAIT_MS), signal);
      } finally {
        for (const key of [...action.keys].reverse()) await computer.keyUp(key);
      }
      return { ok: true };
    }
    case 'wait':
      await abortableWait(computer, Math.min(action.ms, MAX_WAIT_MS), signal);
      return { ok: true };
    case 'screenshot':
      return { ok: true };
    case 'cursor_position': {
      const p = scaler.toModel(computer.cursorPosition());
      return { ok: true, text: `X=${p.x},Y=${p.y}` };
    }
    case 'zoom': {
      const { x1, y1, x2, y2 } = action.region;
      if (!(x2 > x1 && y2 > y1)) {
        throw new CuaActionError('zoom region must be [x1, y1, x2, y2] with x2 > x1 and y2 > y1');
      }
      const a = at({ x: x1, y: y1 });
      const b = at({ x: x2, y: y2 });
      const shot = await computer.screenshot();
      // The screenshot may be in device pixels; crop in its own pixel space.
      const k = pngSize(shot).width / scaler.viewport.width;
      const image = cropPng(shot, {
        x: a.x * k,
        y: a.y * k,
        width: (b.x - a.x) * k,
        height: (b.y - a.y) * k,
      });
      return { ok: true, image };
    }
    case 'invalid':
      return { ok: false, error: action.reason };
  }
}

async function withModifiers(
  computer: ComputerPrimitives,
  modifiers: string[],
  act: () => Promise<void>,
): Promise<void> {
  const held: string[] = [];
  try {
    for (const key of modifiers) {
      await computer.keyDown(key);
      held.push(key);
    }
    await act();
  } finally {
    for (const key of held.reverse()) await computer.keyUp(key);
  }
}

/** Waits through the browser layer, but gives up early when the run is canceled. */
async function abortableWait(
  computer: ComputerPrimitives,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  if (!signal) return computer.wait(ms);
  if (signal.aborted) return;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([computer.wait(ms), aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
