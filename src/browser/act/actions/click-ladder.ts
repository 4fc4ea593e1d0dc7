/**
 * The click every element action uses (click, select in a custom dropdown, check a box, open a
 * file chooser, start a download): a real click first, then fallbacks for what a real click cannot
 * reach.
 */
import type { ElementHandle, Page } from 'playwright-core';
import { mutationCount } from '../../observe/capture.js';
import type { SeenBox } from '../../observe/types.js';
import type { ElementTarget } from '../target.js';
import type { ActionHost } from '../types.js';
import { actionTimeout } from './helpers.js';

const nextFrame = (page: Page) =>
  page
    .evaluate(
      () => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
    )
    .catch(() => {});

async function changedSince(run: ActionHost, url: string, mutations: number): Promise<boolean> {
  const page = run.page();
  await nextFrame(page);
  return page.url() !== url || (await mutationCount(page)) !== mutations;
}

/** JS-level click that still reaches handlers when the element is covered or off-layout. */
async function jsClick(el: ElementHandle<Element>, button: string, count: number): Promise<void> {
  await el.evaluate(
    (e, [b, c]) => {
      const h = e as HTMLElement;
      if (b === 'right') {
        h.dispatchEvent(
          new MouseEvent('contextmenu', { bubbles: true, cancelable: true, button: 2 }),
        );
      } else if (c === 2) {
        h.click();
        h.click();
        h.dispatchEvent(new MouseEvent('dblclick', { bubbles: true, cancelable: true }));
      } else h.click();
    },
    [button, count] as const,
  );
}

/**
 * One round trip that answers whether a real click can skip Playwright's actionability waits: the
 * element is in the main frame, connected, enabled, visible, scrolled into view, kept its box over
 * one animation frame, and is what the pointer would hit at its centre (returned, in viewport
 * pixels). Anything else (null) goes the careful way (Playwright's click waits and retries, then
 * the ladder).
 */
async function readyForQuickClick(target: ElementTarget): Promise<{ x: number; y: number } | null> {
  return target
    .evaluate(
      (e: Element) =>
        new Promise<{ x: number; y: number } | null>((settle) => {
          const resolve = (point: { x: number; y: number } | false) => settle(point || null);
          if (!e.isConnected || window.parent !== window) return resolve(false);
          if (
            (e as HTMLButtonElement).disabled === true ||
            e.getAttribute('aria-disabled') === 'true' ||
            e.closest('[inert]')
          ) {
            return resolve(false);
          }
          const style = getComputedStyle(e);
          if (style.visibility !== 'visible' || style.pointerEvents === 'none') {
            return resolve(false);
          }
          const box = () => {
            const r = e.getClientRects()[0];
            return r && r.width > 0 && r.height > 0 ? r : null;
          };
          let before = box();
          if (!before) return resolve(false);
          let scrolled = false;
          if (
            before.top < 0 ||
            before.left < 0 ||
            before.bottom > innerHeight ||
            before.right > innerWidth
          ) {
            e.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
            scrolled = true;
            before = box();
            if (!before) return resolve(false);
          }
          const start = before;
          const hitTest = (now: DOMRect) => {
            const x = now.left + now.width / 2;
            const y = now.top + now.height / 2;
            let hit = document.elementFromPoint(x, y);
            while (hit?.shadowRoot) {
              const inner = hit.shadowRoot.elementFromPoint(x, y);
              if (!inner || inner === hit) break;
              hit = inner;
            }
            for (let n: Node | null = hit; n; n = n instanceof ShadowRoot ? n.host : n.parentNode) {
              if (n === e) return resolve({ x, y });
            }
            resolve(false);
          };
          // Stable: where the last observation saw it, at least 50 ms ago (no need to watch it
          // for a frame), or in the same place one frame later.
          const seen = (
            window as unknown as {
              __wrenObs?: { seen?: WeakMap<Element, SeenBox> };
            }
          ).__wrenObs?.seen?.get(e);
          const r = e.getBoundingClientRect();
          if (
            seen &&
            !scrolled &&
            performance.now() - seen.at >= 50 &&
            seen.x === r.x &&
            seen.y === r.y &&
            seen.w === r.width &&
            seen.h === r.height
          ) {
            return hitTest(start);
          }
          // Hidden tabs get no frames.
          const fallback = setTimeout(() => resolve(false), 100);
          requestAnimationFrame(() => {
            clearTimeout(fallback);
            const now = box();
            if (
              !now ||
              now.x !== start.x ||
              now.y !== start.y ||
              now.width !== start.width ||
              now.height !== start.height
            ) {
              return resolve(false);
            }
            hitTest(now);
          });
        }),
      null,
    )
    .catch(() => null);
}

/**
 * Click ladder: a real click; when that cannot happen, the element's label (hidden custom
 * checkboxes), then a forced click at the element's position, then a JS click. Covered elements
 * skip the forced click, which would land on the cover. An element that is plainly clickable
 * (readyForQuickClick) in a tab with Wren's DevTools session gets the real click straight from
 * the mouse, without Playwright's element click; the executor then waits for any navigation the
 * click started (PageSession), as Playwright's click would.
 */
export async function clickWithLadder(
  run: ActionHost,
  target: ElementTarget,
  opts: {
    button?: 'left' | 'right' | 'middle';
    count?: 1 | 2;
    modifiers?: ('Alt' | 'Control' | 'Meta' | 'Shift')[];
  } = {},
): Promise<string> {
  const button = opts.button ?? 'left';
  const count = opts.count ?? 1;
  const point = await readyForQuickClick(target);
  const tab = target.tab();
  if (point && tab && !opts.modifiers?.length && (await run.pageSession(tab))) {
    await tab.mouse.click(point.x, point.y, { button, clickCount: count });
    return 'clicked';
  }
  const el = await target.element();
  try {
    await el.click({
      timeout: actionTimeout(run),
      button,
      clickCount: count,
      modifiers: opts.modifiers,
      force: point !== null,
    });
    return 'clicked';
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (
      /Target (page|closed)|detached|crash/i.test(msg) &&
      !(await el.evaluate(() => true).catch(() => false))
    ) {
      // The click navigated or closed the page; it happened.
      return 'clicked';
    }
    const covered = /intercepts pointer events/.test(msg);
    if (button === 'left' && count === 1) {
      const label = (
        await el.evaluateHandle((e) => {
          const ls = (e as HTMLInputElement).labels;
          return ls && ls.length > 0 ? ls[0]! : null;
        })
      ).asElement();
      if (label) {
        try {
          await label.click({ timeout: actionTimeout(run) });
          return 'clicked its label';
        } catch {
          // fall through
        }
      }
    }
    const page = run.page();
    if (!covered) {
      const url = page.url();
      const before = await mutationCount(page);
      try {
        await el.click({
          force: true,
          timeout: actionTimeout(run),
          button,
          clickCount: count,
          modifiers: opts.modifiers,
        });
        if (await changedSince(run, url, before)) return 'forced click at its position';
      } catch {
        // fall through to the JS click
      }
    }
    await jsClick(el, button, count);
    return covered ? 'JS click (the element was covered by another element)' : 'JS click';
  }
}
