import type { Point } from '../../../browser/index.js';
import { CuaActionError } from './errors.js';

export interface Size {
  width: number;
  height: number;
}

/**
 * Maps between the model's coordinate space (the pixels of the screenshots it is shown) and CSS
 * pixels of the real viewport. Every vendor's coordinates go through the same two functions, in the
 * same direction, for every action kind (Skyvern inverted them for scroll and drag).
 */
export class CoordinateScaler {
  constructor(
    readonly model: Size,
    readonly viewport: Size,
  ) {}

  get identity(): boolean {
    return this.model.width === this.viewport.width && this.model.height === this.viewport.height;
  }

  /** Model-space point to viewport CSS pixels. Rejects points outside the image the model saw. */
  toViewport(p: Point): Point {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new CuaActionError(`coordinate (${p.x}, ${p.y}) is not a pair of numbers`);
    }
    if (p.x < 0 || p.y < 0 || p.x > this.model.width || p.y > this.model.height) {
      throw new CuaActionError(
        `coordinate (${p.x}, ${p.y}) is outside the ${this.model.width}x${this.model.height} screen`,
      );
    }
    const x = (p.x * this.viewport.width) / this.model.width;
    const y = (p.y * this.viewport.height) / this.model.height;
    return {
      x: Math.min(Math.max(x, 0), this.viewport.width - 1),
      y: Math.min(Math.max(y, 0), this.viewport.height - 1),
    };
  }

  /** Viewport CSS pixels back to model space (e.g. to report the cursor position). */
  toModel(p: Point): Point {
    return {
      x: Math.round((p.x * this.model.width) / this.viewport.width),
      y: Math.round((p.y * this.model.height) / this.viewport.height),
    };
  }

  /** A model-space distance (scroll delta) in viewport CSS pixels. */
  deltaToViewport(d: { dx: number; dy: number }): { dx: number; dy: number } {
    return {
      dx: (d.dx * this.viewport.width) / this.model.width,
      dy: (d.dy * this.viewport.height) / this.model.height,
    };
  }
}

/** Screen sizes Anthropic's reference implementation scales down to (XGA, WXGA, FWXGA). */
const ANTHROPIC_TARGETS: Size[] = [
  { width: 1024, height: 768 },
  { width: 1280, height: 800 },
  { width: 1366, height: 768 },
];

/**
 * The display size to declare to a model for a given viewport: the viewport itself when it is
 * small enough, else the first standard target with the same aspect ratio (±0.02), else the
 * viewport scaled down to `maxLongEdge` on its long side. Anthropic silently shrinks bigger images,
 * which would break coordinates, so we shrink them ourselves and scale back.
 */
export function chooseDisplaySize(viewport: Size, maxLongEdge = 1366): Size {
  const longEdge = Math.max(viewport.width, viewport.height);
  if (longEdge <= maxLongEdge) return { ...viewport };
  const ratio = viewport.width / viewport.height;
  for (const t of ANTHROPIC_TARGETS) {
    if (t.width < viewport.width && Math.abs(t.width / t.height - ratio) < 0.02) return { ...t };
  }
  const k = maxLongEdge / longEdge;
  return { width: Math.round(viewport.width * k), height: Math.round(viewport.height * k) };
}
