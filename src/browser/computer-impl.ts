/** ComputerPrimitives on the run's active tab (coordinates in viewport CSS pixels). */

import type { Page } from 'playwright-core';
import type { ComputerPrimitives, MouseButton, Point } from './computer.js';
import type { NavigationMark, PageSession } from './page-session.js';
import { retryAfterLoad } from './retry-after-load.js';

/** How long a navigation may take to commit before a screenshot goes ahead anyway. */
const NAVIGATION_TIMEOUT_MS = 30_000;
/** The page's answer after input: one rendered frame, or this long in a tab that renders none. */
const FRAME_FALLBACK_MS = 100;

export class PageComputer implements ComputerPrimitives {
  private cursor: Point = { x: 0, y: 0 };
  /** The tab's navigation counters before the first input since the last screenshot. */
  private sinceShot: { page: Page; session: PageSession; mark: NavigationMark } | null = null;

  constructor(
    private readonly run: { page(): Page; pageSession?(page: Page): Promise<PageSession | null> },
  ) {}

  viewport(): { width: number; height: number } {
    return this.run.page().viewportSize() ?? { width: 1280, height: 720 };
  }

  /**
   * Waits first for a navigation the tab is making (a key or click that submitted a form, a page
   * that redirects itself) to commit and its document to load: a capture issued meanwhile can
   * fail, or get no answer from Chromium until Playwright's 30 s timeout (docs/decisions.md, "A
   * computer-use screenshot waits for the navigation its input started").
   */
  async screenshot(): Promise<Buffer> {
    await this.navigationLanded();
    // A navigation that started after the wait may still fail the capture: retried once.
    return retryAfterLoad(
      () => this.run.page(),
      () => this.run.page().screenshot({ type: 'png' }),
    );
  }

  async click(
    at: Point,
    options?: { button?: MouseButton; clickCount?: 1 | 2 | 3 },
  ): Promise<void> {
    await this.beforeInput();
    await this.run.page().mouse.click(at.x, at.y, {
      button: options?.button ?? 'left',
      clickCount: options?.clickCount ?? 1,
    });
    this.cursor = { ...at };
  }

  async mouseMove(to: Point): Promise<void> {
    await this.beforeInput();
    await this.run.page().mouse.move(to.x, to.y, { steps: 4 });
    this.cursor = { ...to };
  }

  async mouseDown(button: MouseButton = 'left'): Promise<void> {
    await this.beforeInput();
    await this.run.page().mouse.down({ button });
  }

  async mouseUp(button: MouseButton = 'left'): Promise<void> {
    await this.beforeInput();
    await this.run.page().mouse.up({ button });
  }

  async drag(path: Point[]): Promise<void> {
    await this.beforeInput();
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
    await this.beforeInput();
    const mouse = this.run.page().mouse;
    await mouse.move(at.x, at.y);
    this.cursor = { ...at };
    await mouse.wheel(delta.dx, delta.dy);
  }

  async type(text: string): Promise<void> {
    await this.beforeInput();
    await this.run.page().keyboard.type(text, { delay: 10 });
  }

  async keypress(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.beforeInput();
    await this.run.page().keyboard.press(keys.join('+'));
  }

  async keyDown(key: string): Promise<void> {
    await this.beforeInput();
    await this.run.page().keyboard.down(key);
  }

  async keyUp(key: string): Promise<void> {
    await this.beforeInput();
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

  /** Notes the tab's navigation counters before the first input since the last screenshot. */
  private async beforeInput(): Promise<void> {
    if (!this.run.pageSession) return;
    const page = this.run.page();
    if (this.sinceShot?.page === page) return;
    const session = await this.run.pageSession(page);
    this.sinceShot = session ? { page, session, mark: session.mark() } : null;
  }

  /**
   * Until no navigation is in flight in the working tab. After input, the page's next rendered
   * frame is the barrier by which the tab has reported a navigation the input asked for (Enter's
   * submit is reported a moment after the key); a reported request ends that wait at once.
   */
  private async navigationLanded(): Promise<void> {
    const since = this.sinceShot;
    this.sinceShot = null;
    const page = this.run.page();
    const session = (await this.run.pageSession?.(page)) ?? null;
    if (!session || page.isClosed()) return;
    if (since?.page === page) {
      const stop = new AbortController();
      try {
        await Promise.race([nextFrame(page), session.navigationRequested(since.mark, stop.signal)]);
      } finally {
        stop.abort();
      }
    }
    if (!session.navigationInFlight()) return;
    await session.navigationLanded(NAVIGATION_TIMEOUT_MS);
    await this.run
      .page()
      .waitForLoadState('domcontentloaded', { timeout: 10_000 })
      .catch(() => {});
  }
}

/** Resolves after the page's next rendered frame (at most FRAME_FALLBACK_MS), or when it fails. */
function nextFrame(page: Page): Promise<void> {
  return page
    .evaluate(
      (fallbackMs) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, fallbackMs);
          requestAnimationFrame(() => {
            clearTimeout(timer);
            resolve();
          });
        }),
      FRAME_FALLBACK_MS,
    )
    .catch(() => {});
}
