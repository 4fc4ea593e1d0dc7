/**
 * Coordinate-level mouse and keyboard primitives for computer-use engines. Coordinates are CSS
 * pixels of the page viewport; engines scale from the model's declared display size first.
 * Implemented by the browser layer on top of a live page.
 */
export type MouseButton = 'left' | 'right' | 'middle';

export interface Point {
  x: number;
  y: number;
}

export interface ComputerPrimitives {
  viewport(): { width: number; height: number };
  /** PNG of the current viewport. */
  screenshot(): Promise<Buffer>;
  click(at: Point, options?: { button?: MouseButton; clickCount?: 1 | 2 | 3 }): Promise<void>;
  mouseMove(to: Point): Promise<void>;
  mouseDown(button?: MouseButton): Promise<void>;
  mouseUp(button?: MouseButton): Promise<void>;
  /** Press at the first point, move through the rest, release at the last. */
  drag(path: Point[]): Promise<void>;
  /** Wheel scroll at a point by a delta in CSS pixels. */
  scroll(at: Point, delta: { dx: number; dy: number }): Promise<void>;
  type(text: string): Promise<void>;
  /** A key combination pressed together, e.g. ['Control', 'a'] or ['Enter']. Playwright key names. */
  keypress(keys: string[]): Promise<void>;
  keyDown(key: string): Promise<void>;
  keyUp(key: string): Promise<void>;
  wait(ms: number): Promise<void>;
  cursorPosition(): Point;
  currentUrl(): string;
}
