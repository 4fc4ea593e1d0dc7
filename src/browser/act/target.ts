/**
 * The element an action works on. Plain steps (read a field, focus it, find where to click) run
 * in the page by observation id; a Playwright element handle is made only when an action needs
 * Playwright's own element methods (waits, typing into frames, file inputs), because the first
 * handle in a document costs Playwright's injected script.
 */
import type { ElementHandle, Page } from 'playwright-core';
import type { ActionHost } from './types.js';

export class ElementTarget {
  private handle: ElementHandle<Element> | null;

  private constructor(
    private readonly run: ActionHost,
    readonly id: number | null,
    handle: ElementHandle<Element> | null,
  ) {
    this.handle = handle;
  }

  static byId(run: ActionHost, id: number): ElementTarget {
    return new ElementTarget(run, id, null);
  }

  static of(run: ActionHost, handle: ElementHandle<Element>): ElementTarget {
    return new ElementTarget(run, null, handle);
  }

  /** Runs a self-contained function on the element in its page. */
  evaluate<R, A>(fn: (e: Element, arg: A) => R | Promise<R>, arg: A): Promise<R> {
    if (this.handle) {
      // Same call, typed loosely: `arg` is JSON here, which Playwright passes unchanged.
      const evaluate = this.handle.evaluate.bind(this.handle) as (
        f: (e: Element, a: A) => R | Promise<R>,
        a: A,
      ) => Promise<R>;
      return evaluate(fn, arg);
    }
    return this.run.evaluateOn(this.id!, fn, arg);
  }

  /** Playwright's handle of the element, made on first use. */
  async element(): Promise<ElementHandle<Element>> {
    if (!this.handle) this.handle = await this.run.element(this.id!);
    return this.handle;
  }

  /** The tab the element is in, when known without a round trip. */
  tab(): Page | null {
    if (this.id === null) return null;
    const frame = this.run.registry.ref(this.id)?.frame;
    return frame && !frame.isDetached() ? frame.page() : null;
  }
}
