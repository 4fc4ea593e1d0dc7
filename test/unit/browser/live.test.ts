/** The per-process registry of watchable browsers (src/browser/live.ts). */
import { describe, expect, it } from 'vitest';
import { LiveBrowsers } from '../../../src/browser/live.js';

const source = (organizationId: string) => ({ organizationId, page: () => null });

describe('LiveBrowsers', () => {
  it('keeps runs and sessions apart and forgets an entry once it ends', async () => {
    const live = new LiveBrowsers();
    const end = live.add('run', 'x_1', source('o_1'));
    live.add('session', 'x_1', source('o_2'));
    expect(live.get('run', 'x_1')?.organizationId).toBe('o_1');
    expect(live.get('session', 'x_1')?.organizationId).toBe('o_2');
    const entry = live.get('run', 'x_1');
    end();
    end(); // idempotent
    await entry?.ended;
    expect(live.get('run', 'x_1')).toBeNull();
    expect(live.get('session', 'x_1')).not.toBeNull();
  });

  it('a viewer waiting for a run gets it when its browser opens, or null when it gives up', async () => {
    const live = new LiveBrowsers();
    const waiting = live.waitFor('run', 'tsk_1', new AbortController().signal);
    live.add('run', 'tsk_1', source('o_1'));
    expect((await waiting)?.organizationId).toBe('o_1');

    const giveUp = new AbortController();
    const never = live.waitFor('run', 'tsk_2', giveUp.signal);
    giveUp.abort();
    expect(await never).toBeNull();
    // A later browser of that run does not reach the viewer that gave up.
    live.add('run', 'tsk_2', source('o_1'));
    expect(await never).toBeNull();
  });

  it('a run that opens a browser again replaces the old entry, whose viewers see it end', async () => {
    const live = new LiveBrowsers();
    live.add('run', 'tsk_1', source('o_1'));
    const first = live.get('run', 'tsk_1');
    const endSecond = live.add('run', 'tsk_1', source('o_1'));
    await first?.ended;
    const second = live.get('run', 'tsk_1');
    expect(second).not.toBe(first);
    endSecond();
    expect(live.get('run', 'tsk_1')).toBeNull();
  });
});
