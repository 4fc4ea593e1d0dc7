import type { Point } from '../../../browser/index.js';
import type { Size } from '../shared/geometry.js';

/**
 * `1.0` and `doubao` (Doubao-1.5-UI-TARS, Seed1.5-VL) answer in a relative 0–1000 space;
 * `1.5` (UI-TARS-1.5, Qwen2.5-VL based) in absolute pixels of the smart-resized image.
 */
export type UiTarsModelVersion = '1.0' | '1.5' | 'doubao';

export function uiTarsVersionForModel(model: string): UiTarsModelVersion {
  const m = model.toLowerCase();
  if (m.includes('doubao')) return 'doubao';
  // Checked before "seed": the Hugging Face id is ByteDance-Seed/UI-TARS-1.5-7B.
  if (/ui-?tars.*1[._-]5|1[._-]5.*ui-?tars/.test(m)) return '1.5';
  if (m.includes('seed')) return 'doubao';
  return '1.0';
}

const FACTOR = 28;
const MIN_PIXELS = 100 * FACTOR * FACTOR;
const MAX_PIXELS = 16384 * FACTOR * FACTOR;

/**
 * Qwen2.5-VL's smart_resize: the size (multiples of 28, pixel count within bounds) the model
 * actually sees an image at. Python rounds halves to even; we do the same.
 */
export function smartResize(size: Size): Size {
  const { width: w, height: h } = size;
  let hBar = Math.max(FACTOR, roundHalfEven(h / FACTOR) * FACTOR);
  let wBar = Math.max(FACTOR, roundHalfEven(w / FACTOR) * FACTOR);
  if (hBar * wBar > MAX_PIXELS) {
    const beta = Math.sqrt((h * w) / MAX_PIXELS);
    hBar = Math.floor(h / beta / FACTOR) * FACTOR;
    wBar = Math.floor(w / beta / FACTOR) * FACTOR;
  } else if (hBar * wBar < MIN_PIXELS) {
    const beta = Math.sqrt(MIN_PIXELS / (h * w));
    hBar = Math.ceil((h * beta) / FACTOR) * FACTOR;
    wBar = Math.ceil((w * beta) / FACTOR) * FACTOR;
  }
  return { width: wBar, height: hBar };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A model coordinate to pixels of the screenshot the model was sent (`image`). */
export function uiTarsToImage(p: Point, version: UiTarsModelVersion, image: Size): Point {
  if (version === '1.5') {
    const resized = smartResize(image);
    return { x: (p.x / resized.width) * image.width, y: (p.y / resized.height) * image.height };
  }
  return { x: (p.x / 1000) * image.width, y: (p.y / 1000) * image.height };
}
