import { describe, expect, it } from 'vitest';
import { type CuaAction, executeAction } from '../../../src/engines/cua/shared/actions.js';
import { CuaActionError } from '../../../src/engines/cua/shared/errors.js';
import { CoordinateScaler, chooseDisplaySize } from '../../../src/engines/cua/shared/geometry.js';
import { cropPng, pngSize, resizePng } from '../../../src/engines/cua/shared/image.js';
import {
  parseSpaceChord,
  parseXdotoolChord,
  toPlaywrightKey,
} from '../../../src/engines/cua/shared/keys.js';
import { RecordingComputer, solidPng } from './fakes.js';

describe('key names', () => {
  it('maps OpenAI, Anthropic (xdotool) and UI-TARS names to Playwright names', () => {
    const cases: Array<[string, string]> = [
      ['CTRL', 'Control'],
      ['Control_L', 'Control'],
      ['CMD', 'Meta'],
      ['super', 'Meta'],
      ['WIN', 'Meta'],
      ['OPTION', 'Alt'],
      ['SHIFT', 'Shift'],
      ['ENTER', 'Enter'],
      ['Return', 'Enter'],
      ['KP_Enter', 'Enter'],
      ['ESC', 'Escape'],
      ['BackSpace', 'Backspace'],
      ['DELETE', 'Delete'],
      ['TAB', 'Tab'],
      ['ARROWLEFT', 'ArrowLeft'],
      ['Up', 'ArrowUp'],
      ['arrowdown', 'ArrowDown'],
      ['Page_Down', 'PageDown'],
      ['Next', 'PageDown'],
      ['Prior', 'PageUp'],
      ['pagedown', 'PageDown'],
      ['HOME', 'Home'],
      ['End', 'End'],
      ['SPACE', 'Space'],
      ['KP_0', 'Numpad0'],
      ['F5', 'F5'],
      ['f12', 'F12'],
      ['a', 'a'],
      ['A', 'A'],
      ['/', '/'],
    ];
    for (const [vendor, playwright] of cases)
      expect(toPlaywrightKey(vendor), vendor).toBe(playwright);
  });

  it('rejects names it cannot map with a CuaActionError naming the key', () => {
    expect(() => toPlaywrightKey('hyperdrive')).toThrow(CuaActionError);
    expect(() => toPlaywrightKey('hyperdrive')).toThrow('unknown key name "hyperdrive"');
  });

  it('splits chords the way each vendor writes them', () => {
    expect(parseXdotoolChord('ctrl+shift+t')).toEqual(['Control', 'Shift', 't']);
    expect(parseXdotoolChord('Return')).toEqual(['Enter']);
    expect(parseXdotoolChord('ctrl++')).toEqual(['Control', '+']);
    expect(() => parseXdotoolChord('ctrl+')).toThrow(CuaActionError);
    expect(parseSpaceChord('ctrl c')).toEqual(['Control', 'c']);
    expect(parseSpaceChord('ctrl shift arrowleft')).toEqual(['Control', 'Shift', 'ArrowLeft']);
  });
});

describe('coordinate scaling', () => {
  const scaler = new CoordinateScaler({ width: 1024, height: 768 }, { width: 1280, height: 960 });

  it('scales model points to the viewport and back', () => {
    expect(scaler.toViewport({ x: 512, y: 384 })).toEqual({ x: 640, y: 480 });
    expect(scaler.toViewport({ x: 100, y: 200 })).toEqual({ x: 125, y: 250 });
    expect(scaler.toModel({ x: 125, y: 250 })).toEqual({ x: 100, y: 200 });
    expect(scaler.deltaToViewport({ dx: 0, dy: 400 })).toEqual({ dx: 0, dy: 500 });
  });

  it('rejects points outside the declared screen and clamps the edge into the viewport', () => {
    expect(() => scaler.toViewport({ x: 1025, y: 10 })).toThrow('outside the 1024x768 screen');
    expect(() => scaler.toViewport({ x: -1, y: 10 })).toThrow(CuaActionError);
    expect(scaler.toViewport({ x: 1024, y: 768 })).toEqual({ x: 1279, y: 959 });
  });

  it('chooses a declared display size that Anthropic will not shrink', () => {
    expect(chooseDisplaySize({ width: 1280, height: 720 })).toEqual({ width: 1280, height: 720 });
    expect(chooseDisplaySize({ width: 1920, height: 1080 })).toEqual({ width: 1366, height: 768 });
    expect(chooseDisplaySize({ width: 2560, height: 1600 })).toEqual({ width: 1280, height: 800 });
    expect(chooseDisplaySize({ width: 2000, height: 1000 })).toEqual({ width: 1366, height: 683 });
  });
});

describe('png helpers', () => {
  it('resizes to the exact target size and crops a region', () => {
    const png = solidPng(200, 100, 7);
    expect(pngSize(png)).toEqual({ width: 200, height: 100 });
    expect(pngSize(resizePng(png, { width: 150, height: 75 }))).toEqual({ width: 150, height: 75 });
    expect(pngSize(resizePng(png, { width: 300, height: 130 }))).toEqual({
      width: 300,
      height: 130,
    });
    expect(pngSize(cropPng(png, { x: 10, y: 20, width: 50, height: 30 }))).toEqual({
      width: 50,
      height: 30,
    });
    expect(() => pngSize(Buffer.from('not a png'))).toThrow('not a PNG');
  });
});

describe('executeAction', () => {
  // Viewport twice the declared size: every coordinate must double on the way to the browser.
  const setup = () => {
    const computer = new RecordingComputer(2048, 1536);
    const scaler = new CoordinateScaler({ width: 1024, height: 768 }, computer.viewport());
    const run = (action: CuaAction) => executeAction(computer, action, scaler);
    return { computer, run };
  };

  it('clicks with button, count and held modifiers at scaled points', async () => {
    const { computer, run } = setup();
    expect(
      await run({
        kind: 'click',
        at: { x: 10, y: 20 },
        button: 'right',
        clickCount: 1,
        modifiers: [],
      }),
    ).toEqual({ ok: true });
    await run({
      kind: 'click',
      at: { x: 5, y: 5 },
      button: 'left',
      clickCount: 3,
      modifiers: ['Shift'],
    });
    expect(computer.actions).toEqual([
      { op: 'click', at: { x: 20, y: 40 }, button: 'right', clickCount: 1 },
      { op: 'keyDown', key: 'Shift' },
      { op: 'click', at: { x: 10, y: 10 }, button: 'left', clickCount: 3 },
      { op: 'keyUp', key: 'Shift' },
    ]);
  });

  it('clicks at the cursor when no point is given', async () => {
    const { computer, run } = setup();
    computer.cursor = { x: 300, y: 400 };
    await run({ kind: 'click', at: null, button: 'middle', clickCount: 1, modifiers: [] });
    expect(computer.actions).toEqual([
      { op: 'click', at: { x: 300, y: 400 }, button: 'middle', clickCount: 1 },
    ]);
  });

  it('moves, drags (also from the cursor), presses and releases the mouse', async () => {
    const { computer, run } = setup();
    await run({ kind: 'move', to: { x: 1, y: 2 }, modifiers: [] });
    await run({
      kind: 'drag',
      path: [
        { x: 1, y: 1 },
        { x: 2, y: 2 },
        { x: 3, y: 3 },
      ],
      fromCursor: false,
      modifiers: [],
    });
    await run({ kind: 'drag', path: [{ x: 50, y: 50 }], fromCursor: true, modifiers: [] });
    await run({ kind: 'mouse_down', button: 'left', at: { x: 7, y: 8 } });
    await run({ kind: 'mouse_up', button: 'left', at: null });
    expect(computer.actions).toEqual([
      { op: 'mouseMove', to: { x: 2, y: 4 } },
      {
        op: 'drag',
        path: [
          { x: 2, y: 2 },
          { x: 4, y: 4 },
          { x: 6, y: 6 },
        ],
      },
      {
        op: 'drag',
        path: [
          { x: 6, y: 6 },
          { x: 100, y: 100 },
        ],
      },
      { op: 'mouseMove', to: { x: 14, y: 16 } },
      { op: 'mouseDown', button: 'left' },
      { op: 'mouseUp', button: 'left' },
    ]);
  });

  it('scales model-space scroll deltas but not CSS-pixel ones', async () => {
    const { computer, run } = setup();
    await run({
      kind: 'scroll',
      at: { x: 100, y: 100 },
      dx: 0,
      dy: 300,
      unit: 'model',
      modifiers: [],
    });
    await run({ kind: 'scroll', at: null, dx: -200, dy: 0, unit: 'css', modifiers: [] });
    expect(computer.actions).toEqual([
      { op: 'scroll', at: { x: 200, y: 200 }, dx: 0, dy: 600 },
      { op: 'scroll', at: { x: 200, y: 200 }, dx: -200, dy: 0 },
    ]);
  });

  it('types, submits, presses chords with repeat and holds keys', async () => {
    const { computer, run } = setup();
    await run({ kind: 'type', text: 'hello', pressEnterAfter: true });
    await run({ kind: 'keypress', keys: ['Control', 'a'], repeat: 2 });
    await run({ kind: 'hold_key', keys: ['Shift', 'a'], durationMs: 1500 });
    expect(computer.actions).toEqual([
      { op: 'type', text: 'hello' },
      { op: 'keypress', keys: ['Enter'] },
      { op: 'keypress', keys: ['Control', 'a'] },
      { op: 'keypress', keys: ['Control', 'a'] },
      { op: 'keyDown', key: 'Shift' },
      { op: 'keyDown', key: 'a' },
      { op: 'wait', ms: 1500 },
      { op: 'keyUp', key: 'a' },
      { op: 'keyUp', key: 'Shift' },
    ]);
  });

  it('waits (capped), reports the cursor in model space and zooms into a region', async () => {
    const { computer, run } = setup();
    expect(await run({ kind: 'wait', ms: 120_000 })).toEqual({ ok: true });
    expect(await run({ kind: 'screenshot' })).toEqual({ ok: true });
    computer.cursor = { x: 200, y: 300 };
    expect(await run({ kind: 'cursor_position' })).toEqual({ ok: true, text: 'X=100,Y=150' });
    const zoom = await run({ kind: 'zoom', region: { x1: 0, y1: 0, x2: 100, y2: 50 } });
    expect(zoom.ok).toBe(true);
    if (zoom.ok) expect(pngSize(zoom.image!)).toEqual({ width: 200, height: 100 });
    expect(computer.calls.filter((c) => c.op === 'wait')).toEqual([{ op: 'wait', ms: 30_000 }]);
  });

  it('returns a structured error for invalid actions, bad points and browser failures', async () => {
    const { computer, run } = setup();
    expect(
      await run({ kind: 'invalid', name: 'teleport', reason: 'teleport: unknown action' }),
    ).toEqual({
      ok: false,
      error: 'teleport: unknown action',
    });
    const outside = await run({ kind: 'move', to: { x: 5000, y: 1 }, modifiers: [] });
    expect(outside).toEqual({
      ok: false,
      error: expect.stringContaining('outside the 1024x768 screen'),
    });
    computer.failOn = 'click';
    const broken = await run({
      kind: 'click',
      at: { x: 1, y: 1 },
      button: 'left',
      clickCount: 1,
      modifiers: ['Alt'],
    });
    expect(broken).toEqual({ ok: false, error: 'click failed: click exploded' });
    // The held modifier is released even though the click threw.
    expect(computer.actions.slice(-1)).toEqual([{ op: 'keyUp', key: 'Alt' }]);
  });
});
