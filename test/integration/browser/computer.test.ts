/**
 * The computer-use primitives on a real tab: a screenshot after input that navigates (Enter in a
 * form, a click on a link) is of the page the navigation reached, not a capture issued while the
 * tab navigates (which Chromium may leave unanswered until Playwright's 30 s timeout).
 */
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { useBrowserHarness } from '../../support/browser-harness.js';

const h = useBrowserHarness();

/** Records the tab's URL at each page.screenshot() call: where the capture was issued. */
function captureUrls(page: Page): string[] {
  const urls: string[] = [];
  const screenshot = page.screenshot.bind(page);
  page.screenshot = (options) => {
    urls.push(page.url());
    return screenshot(options);
  };
  return urls;
}

/** The RGB of one pixel of a PNG screenshot. */
function pixel(png: Buffer, x: number, y: number): [number, number, number] {
  const image = PNG.sync.read(png);
  const i = (image.width * y + x) * 4;
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
}

describe('computer primitives wait for the navigation their input started', () => {
  it('a screenshot after Enter submits a form is taken of the page the form went to', async () => {
    const run = await h.openAt('index.html', { navigationTimeoutMs: 20_000 });
    const base = h.server.url;
    // The server answers after 1.5 s. Chromium holds a capture issued meanwhile and may never
    // answer it when the new document commits: the capture must be issued after the commit.
    await run.page().setContent(`
      <body style="margin:0;background:rgb(200,0,0)">
        <form action="${base}/api/slow" method="get">
          <input type="hidden" name="ms" value="1500">
          <label>Search <input id="q" name="q"></label>
        </form>
      </body>`);
    await run.page().focus('#q');
    const captured = captureUrls(run.page());
    const computer = run.computer();
    await computer.type('lamp');
    await computer.keypress(['Enter']);
    const shot = await computer.screenshot();
    expect(captured).toEqual([`${base}/api/slow?ms=1500&q=lamp`]);
    expect(pixel(shot, 2, 2)).toEqual([255, 255, 255]);
    expect(await run.page().textContent('h1')).toBe('Slow page arrived');
  });

  it('does not hold a screenshot for a click whose navigation never commits, or for none', async () => {
    const run = await h.openAt('index.html', { navigationTimeoutMs: 20_000 });
    await run.page().setContent(`
      <body style="margin:0;background:rgb(0,0,200)">
        <a id="none" href="${h.server.url}/api/no-content" style="display:block;height:40px">Nothing</a>
        <input id="q" style="display:block">
      </body>`);
    const captured = captureUrls(run.page());
    const computer = run.computer();
    const box = await run.page().locator('#none').boundingBox();
    await computer.click({ x: box!.x + 10, y: box!.y + 10 });
    let started = Date.now();
    const afterNoContent = await computer.screenshot();
    // A 204 is a navigation that is dropped: its end, not the navigation timeout, ends the wait.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(pixel(afterNoContent, 2, 2)).toEqual([0, 0, 200]);

    await run.page().focus('#q');
    await computer.type('typed');
    started = Date.now();
    const afterTyping = await computer.screenshot();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(pixel(afterTyping, 2, 2)).toEqual([0, 0, 200]);
    expect(await run.page().inputValue('#q')).toBe('typed');
    expect(captured).toHaveLength(2);
  });
});
