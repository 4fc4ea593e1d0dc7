/**
 * Listener detection (docs/browser.md "Which elements get an id"): recorded listeners give ids,
 * removed ones do not, delegation costs ids only where a library's selector resolves, and the
 * recording is invisible to a page that inspects the built-ins.
 */
import { describe, expect, it } from 'vitest';
import { useBrowserHarness } from '../../support/browser-harness.js';

const h = useBrowserHarness();

describe('listener detection', () => {
  it('marks recorded and property handlers, forgets removed ones, resolves only library delegation', async () => {
    const run = await h.openAt('widgets/listeners.html');
    await run.page().getByText('built-ins').waitFor();
    const obs = await run.observe();
    const names = [...obs.elements.values()].map((e) => `${e.role} ${e.name}`);
    expect(names).toContain('clickable Kept listener');
    expect(names).toContain('clickable Mousedown property');
    expect(names).not.toContain('clickable Removed listener');
    // A listener on document marks nothing; jQuery's `.on('click', '.open')` marks its 3 rows.
    expect(names.filter((n) => n.startsWith('clickable Row ')).sort()).toEqual([
      'clickable Row 1405',
      'clickable Row 5',
      'clickable Row 705',
    ]);
    expect(obs.elements.size).toBe(5);
    expect(obs.text).toContain('built-ins look native');
  });
});
