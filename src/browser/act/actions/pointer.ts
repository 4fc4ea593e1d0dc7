/** Pointer actions: click, double and right click, hover, drag and drop, scroll. */
import type { ElementHandle } from 'playwright-core';
import { z } from 'zod';
import { BrowserError } from '../../errors.js';
import { ElementTarget } from '../target.js';
import type { ActionHost, ActionOutcome } from '../types.js';
import { clickWithLadder } from './click-ladder.js';
import { actionTimeout, defineAction, elementId as id } from './helpers.js';

const scrollSchema = z.object({
  type: z.literal('scroll'),
  id: id.optional().describe('scroll the scrollable container of this element; else the page'),
  direction: z.enum(['up', 'down', 'left', 'right']).optional(),
  amount: z
    .union([z.enum(['page', 'half']), z.number().positive()])
    .optional()
    .describe('page (default), half, or pixels'),
  to: z.enum(['top', 'bottom']).optional(),
});

const dragAndDropSchema = z.object({ type: z.literal('drag_and_drop'), from: id, to: id });

async function scroll(run: ActionHost, a: z.infer<typeof scrollSchema>): Promise<ActionOutcome> {
  const args = {
    dir: a.direction ?? 'down',
    amount: a.amount ?? 'page',
    to: a.to ?? null,
    fromElement: a.id !== undefined,
  };
  const fn = (el: Element, o: typeof args) => {
    const e = o.fromElement ? el : null;
    const vertical = o.dir === 'up' || o.dir === 'down';
    const canScroll = (x: Element) => {
      const cs = getComputedStyle(x);
      const ov = vertical ? cs.overflowY : cs.overflowX;
      const more = vertical
        ? x.scrollHeight > x.clientHeight + 1
        : x.scrollWidth > x.clientWidth + 1;
      return more && (ov === 'auto' || ov === 'scroll' || x === document.scrollingElement);
    };
    let target: Element | null = null;
    for (let n: Element | null = e; n; n = n.parentElement) {
      if (canScroll(n)) {
        target = n;
        break;
      }
    }
    const se = document.scrollingElement ?? document.documentElement;
    if (!target && e === null) {
      if (canScroll(se)) target = se;
      else {
        let best: Element | null = null;
        let area = 0;
        for (const x of Array.from(document.querySelectorAll('*'))) {
          if (!canScroll(x)) continue;
          const r = x.getBoundingClientRect();
          if (r.width * r.height > area) {
            area = r.width * r.height;
            best = x;
          }
        }
        target = best;
      }
    }
    target = target ?? se;
    const size = vertical ? target.clientHeight : target.clientWidth;
    const px =
      o.amount === 'page' ? size * 0.85 : o.amount === 'half' ? size * 0.5 : Number(o.amount);
    const before = vertical ? target.scrollTop : target.scrollLeft;
    if (o.to === 'top') target.scrollTo({ top: 0, behavior: 'instant' });
    else if (o.to === 'bottom') target.scrollTo({ top: target.scrollHeight, behavior: 'instant' });
    else {
      const sign = o.dir === 'up' || o.dir === 'left' ? -1 : 1;
      target.scrollBy({
        [vertical ? 'top' : 'left']: sign * px,
        behavior: 'instant',
      } as ScrollToOptions);
    }
    const after = vertical ? target.scrollTop : target.scrollLeft;
    const max = vertical
      ? target.scrollHeight - target.clientHeight
      : target.scrollWidth - target.clientWidth;
    const what = target === se ? 'page' : `${target.localName}${target.id ? `#${target.id}` : ''}`;
    return { before: Math.round(before), after: Math.round(after), max: Math.round(max), what };
  };
  const el =
    a.id !== undefined
      ? await run.element(a.id)
      : ((await run
          .page()
          .evaluateHandle(() => document.documentElement)) as ElementHandle<Element>);
  const r = await el.evaluate(fn, args);
  const out: ActionOutcome = {
    detail: `scrolled ${r.what} from ${r.before} to ${r.after} of ${r.max}`,
    value: String(r.after),
  };
  if (r.before === r.after)
    out.warning = `${r.what} did not move (already at the ${r.after === 0 ? 'start' : 'end'})`;
  return out;
}

async function dragAndDrop(
  run: ActionHost,
  a: z.infer<typeof dragAndDropSchema>,
): Promise<ActionOutcome> {
  const from = await run.element(a.from);
  const to = await run.element(a.to);
  await from.scrollIntoViewIfNeeded({ timeout: actionTimeout(run) }).catch(() => {});
  const fb = await from.boundingBox();
  const tb = await to.boundingBox();
  if (!fb || !tb)
    throw new BrowserError('element_not_interactable', 'drag_and_drop: an element has no box');
  const page = run.page();
  await page.mouse.move(fb.x + fb.width / 2, fb.y + fb.height / 2);
  await page.mouse.down();
  await page.mouse.move(fb.x + fb.width / 2 + 5, fb.y + fb.height / 2 + 5, { steps: 2 });
  await page.mouse.move(tb.x + tb.width / 2, tb.y + tb.height / 2, { steps: 10 });
  await page.mouse.up();
  return { detail: `dragged [${a.from}] onto [${a.to}]`, expectEffect: true };
}

export const pointerActions = {
  click: defineAction({
    schema: z.object({
      type: z.literal('click'),
      id,
      button: z.enum(['left', 'right', 'middle']).optional(),
      count: z.union([z.literal(1), z.literal(2)]).optional(),
      modifiers: z.array(z.enum(['Alt', 'Control', 'Meta', 'Shift'])).optional(),
    }),
    description: 'Click an element (button, link, option, tab …).',
    execute: async (run, a) => {
      const detail = await clickWithLadder(run, ElementTarget.byId(run, a.id), a);
      return { detail, expectEffect: true };
    },
    log: (a) =>
      `click [${a.id}]${a.button && a.button !== 'left' ? ` ${a.button}` : ''}${a.count === 2 ? ' x2' : ''}`,
  }),
  double_click: defineAction({
    schema: z.object({ type: z.literal('double_click'), id }),
    description: 'Double-click an element.',
    execute: async (run, a) => {
      const target = ElementTarget.byId(run, a.id);
      return { detail: await clickWithLadder(run, target, { count: 2 }), expectEffect: true };
    },
    log: (a) => `double_click [${a.id}]`,
  }),
  right_click: defineAction({
    schema: z.object({ type: z.literal('right_click'), id }),
    description: 'Right-click an element (context menu).',
    execute: async (run, a) => {
      const target = ElementTarget.byId(run, a.id);
      return {
        detail: await clickWithLadder(run, target, { button: 'right' }),
        expectEffect: true,
      };
    },
    log: (a) => `right_click [${a.id}]`,
  }),
  hover: defineAction({
    schema: z.object({ type: z.literal('hover'), id }),
    description: 'Move the mouse over an element (menus that open on hover).',
    execute: async (run, a) => {
      const el = await run.element(a.id);
      await el.hover({ timeout: actionTimeout(run) });
      // CSS :hover menus change no DOM; the next observation shows them.
      return { detail: 'hovered' };
    },
    log: (a) => `hover [${a.id}]`,
  }),
  scroll: defineAction({
    schema: scrollSchema,
    description: 'Scroll the page, or the scrollable container of an element.',
    execute: scroll,
    log: (a) => `scroll ${a.to ?? a.direction ?? 'down'}${a.id !== undefined ? ` [${a.id}]` : ''}`,
  }),
  drag_and_drop: defineAction({
    schema: dragAndDropSchema,
    description: 'Drag one element onto another.',
    execute: dragAndDrop,
    log: (a) => `drag_and_drop [${a.from}] -> [${a.to}]`,
  }),
};
