/**
 * docs/code-mode.md "What a script is": the agent may name a long link URL by its observation
 * alias (`@u3`); a script replays without that observation, so the recorder keeps the URL the
 * action ran with, for a goto, a new tab, a download of a URL and the files of an upload.
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../../../src/browser/index.js';
import { TrajectoryRecorder } from '../../../src/engines/script/record.js';

const LONG = 'https://shop.example/catalogue/2026/winter/boots/waterproof?colour=brown&size=42';
const PDF = 'https://shop.example/files/size-guide-for-waterproof-boots-winter-2026.pdf';

describe('the recorder expands link aliases', () => {
  it('in goto, new_tab, download and upload_file', async () => {
    const page = { url: () => 'https://shop.example/', title: async () => 'Shop' };
    const browser = {
      latestObservation: {
        elements: new Map(),
        expandUrls: (text: string) => text.replace('@u1', LONG).replace('@u2', PDF),
      },
      page: () => page,
      allPages: () => [page],
      selectorFor: async () => ({ selector: 'role=button[name="Attach"]' }),
    };
    const recorder = new TrajectoryRecorder(browser as never);
    const outcome = {
      ok: true,
      effects: { navigated: false, newTab: false, newElements: false, domChanged: false },
    };
    const actions: Action[] = [
      { type: 'goto', url: '@u1' },
      { type: 'new_tab', url: '@u1' },
      { type: 'download', url: '@u2' },
      { type: 'upload_file', id: 4, files: ['@u2'] },
    ] as Action[];
    for (const action of actions)
      await recorder.after(action, await recorder.before(action), outcome as never);
    expect(recorder.entries.map((e) => e.url ?? e.files)).toEqual([LONG, LONG, PDF, [PDF]]);
  });
});
