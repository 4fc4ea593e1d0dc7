/** ComputerPrimitives on the run's active tab (coordinates in viewport CSS pixels). */

import type { Page } from 'playwright-core';
import type { ComputerPrimitives, MouseButton, Point } from './computer.js';
import { retryAfterLoad } from './retry-after-load.js';

export class PageComputer implements ComputerPrimitives {
  private cursor: Point = { x: 0, y: 0 };

  constructor(private readonly run: { page(): Page }) {}

  viewport(): { width: number; height: number } {
    return this.run.page().viewportSize() ?? { width: 1280, height: 720 };
  }

  screenshot(): Promise<Buffer> {
    return retryAfterLoad(
      () => this.run.page(),
      () => this.run.page().screenshot({ type: 'png' }),
    );
  }

  async click(
    at: Point,
    options?: { button?: MouseButton; clickCount?: 1 | 2 | 3 },
  ): Promise<void> {
    await this.run.page().mouse.click(at.x, at.y, {
      button: options?.button ?? 'left',
      clickCount: options?.clickCount ?? 1,
    });
    this.cursor = { ...at };
  }

  async mouseMove(to: Point): Promise<void> {
    await this.run.page().mouse.move(to.x, to.y, { steps: 4 });
    this.cursor = { ...to };
  }

  async mouseDown(button: MouseButton = 'left'): Promise<void> {
    await this.run.page().mouse.down({ button });
  }

  async mouseUp(button: MouseButton = 'left'): Promise<void> {
    await this.run.page().mouse.up({ button });
  }

  async drag(path: Point[]): Promise<void> {
    const [first, ...rest] = path;
    if (!first) return;
    const mouse = this.run.page().mouse;
    await mouse.move(first.x, first.y);
    await mouse.down();
    for (const p of rest) await mouse.move(p.x, p.y, { steps: 5 });
    await mouse.up();
    this.cursor = { ...(rest[rest.length - 1] ?? first) };
  }

  async scroll(at: Point, delta: { dx: number; dy: number }): Promise<void> {
    const mouse = this.run.page().mouse;
    await mouse.move(at.x, at.y);
    this.cursor = { ...at };
    await mouse.wheel(delta.dx, delta.dy);
  }

  async type(text: string): Promise<void> {
    await this.run.page().keyboard.type(text, { delay: 10 });
  }

  async keypress(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.run.page().keyboard.press(keys.join('+'));
  }

  async keyDown(key: string): Promise<void> {
    await this.run.page().keyboard.down(key);
  }

  async keyUp(key: string): Promise<void> {
    await this.run.page().keyboard.up(key);
  }

  async wait(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(ms, 60_000))));
  }

  cursorPosition(): Point {
    return { ...this.cursor };
  }

  currentUrl(): string {
    return this.run.page().url();
  }
}
