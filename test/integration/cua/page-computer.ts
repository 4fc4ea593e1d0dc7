import type { Page } from 'playwright-core';
import type { ComputerPrimitives, MouseButton, Point } from '../../../src/browser/computer.js';

/**
 * A minimal ComputerPrimitives over a Playwright page, for these tests only (the real one is the
 * browser layer's). It waits two animation frames after wheel events so the scroll has landed
 * before the next screenshot.
 */
export class PageComputer implements ComputerPrimitives {
  private cursor: Point = { x: 0, y: 0 };

  constructor(private readonly page: Page) {}

  viewport() {
    const size = this.page.viewportSize();
    if (!size) throw new Error('page has no viewport');
    return size;
  }
  screenshot(): Promise<Buffer> {
    return this.page.screenshot({ type: 'png', scale: 'css' });
  }
  async click(at: Point, options?: { button?: MouseButton; clickCount?: 1 | 2 | 3 }) {
    await this.page.mouse.click(at.x, at.y, {
      button: options?.button ?? 'left',
      clickCount: options?.clickCount ?? 1,
    });
    this.cursor = at;
  }
  async mouseMove(to: Point) {
    await this.page.mouse.move(to.x, to.y);
    this.cursor = to;
  }
  mouseDown(button: MouseButton = 'left') {
    return this.page.mouse.down({ button });
  }
  mouseUp(button: MouseButton = 'left') {
    return this.page.mouse.up({ button });
  }
  async drag(path: Point[]) {
    const [first, ...rest] = path;
    if (!first) return;
    await this.page.mouse.move(first.x, first.y);
    await this.page.mouse.down();
    for (const p of rest) await this.page.mouse.move(p.x, p.y, { steps: 5 });
    await this.page.mouse.up();
    this.cursor = path[path.length - 1]!;
  }
  async scroll(at: Point, delta: { dx: number; dy: number }) {
    await this.page.mouse.move(at.x, at.y);
    this.cursor = at;
    await this.page.mouse.wheel(delta.dx, delta.dy);
    await this.page.evaluate(
      () => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
    );
  }
  type(text: string) {
    return this.page.keyboard.type(text);
  }
  async keypress(keys: string[]) {
    for (const k of keys) await this.page.keyboard.down(k);
    for (const k of [...keys].reverse()) await this.page.keyboard.up(k);
  }
  keyDown(key: string) {
    return this.page.keyboard.down(key);
  }
  keyUp(key: string) {
    return this.page.keyboard.up(key);
  }
  wait(ms: number) {
    return this.page.waitForTimeout(ms);
  }
  cursorPosition(): Point {
    return this.cursor;
  }
  currentUrl(): string {
    return this.page.url();
  }
}
