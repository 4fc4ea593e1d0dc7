/** Navigation actions: URLs, history, reload, tabs, and waiting for the page. */
import { z } from 'zod';
import { BrowserError } from '../../errors.js';
import type { ActionHost, ActionOutcome } from '../types.js';
import { defineAction } from './helpers.js';

async function historyStep(run: ActionHost, dir: 'back' | 'forward'): Promise<ActionOutcome> {
  const page = run.page();
  const r =
    dir === 'back'
      ? await page.goBack({ waitUntil: 'domcontentloaded' })
      : await page.goForward({ waitUntil: 'domcontentloaded' });
  return r === null && page.url() === 'about:blank'
    ? { detail: `went ${dir}`, warning: 'there was no page to go to' }
    : { detail: `went ${dir}` };
}

export const navigationActions = {
  wait: defineAction({
    schema: z.object({
      type: z.literal('wait'),
      ms: z.number().int().positive().max(30_000).optional(),
      text: z.string().optional().describe('wait until this text is visible'),
    }),
    description: 'Wait for the page to finish loading or updating, or until a text is visible.',
    execute: async (run, a) => {
      const page = run.page();
      if (a.text) {
        await page
          .getByText(a.text)
          .first()
          .waitFor({ state: 'visible', timeout: a.ms ?? 10_000 });
        return { detail: `"${a.text}" is visible` };
      }
      await new Promise((r) => setTimeout(r, a.ms ?? 1000));
      return { detail: `waited ${a.ms ?? 1000} ms` };
    },
    log: (a) => (a.text ? `wait for ${JSON.stringify(a.text)}` : `wait ${(a.ms ?? 1000) / 1000}s`),
  }),
  goto: defineAction({
    schema: z.object({ type: z.literal('goto'), url: z.string().min(1) }),
    description: 'Open a URL in the current tab.',
    execute: async (run, a) => {
      await run.recoverFromCrash();
      await run.goto(a.url);
      return { detail: `opened ${run.page().url()}` };
    },
    log: (a) => `goto ${a.url}`,
    urlFields: ['url'],
  }),
  back: defineAction({
    schema: z.object({ type: z.literal('back') }),
    description: 'Go back in history.',
    execute: (run) => historyStep(run, 'back'),
    log: () => 'back',
  }),
  forward: defineAction({
    schema: z.object({ type: z.literal('forward') }),
    description: 'Go forward in history.',
    execute: (run) => historyStep(run, 'forward'),
    log: () => 'forward',
  }),
  reload: defineAction({
    schema: z.object({ type: z.literal('reload') }),
    description: 'Reload the page.',
    execute: async (run) => {
      const crashedAt = await run.recoverFromCrash();
      if (crashedAt) {
        await run.goto(crashedAt);
        return { detail: 'reopened the crashed page in a fresh tab' };
      }
      await run.page().reload({ waitUntil: 'domcontentloaded' });
      return { detail: 'reloaded' };
    },
    log: () => 'reload',
  }),
  new_tab: defineAction({
    schema: z.object({ type: z.literal('new_tab'), url: z.string().optional() }),
    description: 'Open a new tab (optionally at a URL) and work in it.',
    execute: async (run, a) => {
      const target = a.url ? await run.checkUrl(a.url) : null;
      const page = await run.newTab();
      if (target) await page.goto(target, { waitUntil: 'domcontentloaded' });
      return { detail: `opened tab ${run.allPages().indexOf(page)}` };
    },
    log: (a) => `new_tab${a.url ? ` ${a.url}` : ''}`,
    urlFields: ['url'],
  }),
  switch_tab: defineAction({
    schema: z.object({ type: z.literal('switch_tab'), tab: z.number().int().nonnegative() }),
    description: 'Work in another tab (index from the tab list).',
    execute: async (run, a) => {
      const page = run.allPages()[a.tab];
      if (!page) throw new BrowserError('tab_not_found', `tab: no tab ${a.tab}`);
      run.setActivePage(page);
      await page.bringToFront();
      return { detail: `switched to tab ${a.tab}` };
    },
    log: (a) => `switch_tab ${a.tab}`,
  }),
  close_tab: defineAction({
    schema: z.object({
      type: z.literal('close_tab'),
      tab: z.number().int().nonnegative().optional(),
    }),
    description: 'Close a tab (default: the current one).',
    execute: async (run, a) => {
      const pages = run.allPages();
      const page = a.tab === undefined ? run.page() : pages[a.tab];
      if (!page) throw new BrowserError('tab_not_found', `tab: no tab ${a.tab}`);
      await page.close();
      return { detail: 'closed the tab' };
    },
    log: (a) => `close_tab${a.tab !== undefined ? ` ${a.tab}` : ''}`,
  }),
};
