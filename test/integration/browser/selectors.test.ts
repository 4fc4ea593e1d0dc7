/**
 * Stable selectors (src/browser/selectors, docs/browser.md "Stable selectors"): role + name first,
 * test ids / name / stable id next, CSS last; always unique when built; resolvable back.
 */
import { describe, expect, it } from 'vitest';
import { buildSelector, countMatches, resolveSelector } from '../../../src/browser/index.js';
import { useBrowserHarness } from '../../support/browser-harness.js';

const h = useBrowserHarness();

async function selectorOf(page: import('playwright-core').Page, css: string) {
  const handle = await page.locator(css).elementHandle();
  if (!handle) throw new Error(`no element ${css}`);
  return buildSelector(handle);
}

describe('buildSelector', () => {
  it('prefers role + accessible name, then placeholder, test ids, name, CSS; each unique', async () => {
    const run = await h.openAt('selectors.html');
    const page = run.page();
    const cases: [string, string, string][] = [
      ['#display', 'role', 'role=textbox[name="Display name"]'],
      ['input[name=q]', 'role', 'role=textbox[name="Search people"]'],
      ['#profile button', 'role', 'role=button[name="Save"]'],
      ['#lang', 'name', 'select[name="lang"]'],
      // Two "Delete" buttons: the role is ambiguous, Bob's has a test id.
      ['[data-testid=delete-bob]', 'testid', '[data-testid="delete-bob"]'],
      // Generated id and name are skipped; the aria-label names it.
      ['#input-8f3a9c21', 'role', 'role=textbox[name="Nickname"]'],
      ['#ember1234', 'role', 'role=button[name="Close panel"]'],
      ['.toolbar .icon:first-child', 'text', 'text="★"'],
    ];
    for (const [css, strategy, prefix] of cases) {
      const got = await selectorOf(page, css);
      expect(got.strategy, css).toBe(strategy);
      expect(got.selector.startsWith(prefix), `${css}: ${got.selector}`).toBe(true);
      expect(await countMatches(page, got.selector), got.selector).toBe(1);
      const same = await page
        .locator(got.selector)
        .evaluate((el, css) => el === document.querySelector(css), css);
      expect(same, got.selector).toBe(true);
    }
  });

  it('falls back to a CSS path for an element with nothing stable, never a generated id', async () => {
    const run = await h.openAt('selectors.html');
    const page = run.page();
    // Alice's Delete: same role+name and text as Bob's, no test id of its own.
    const got = await selectorOf(page, '[data-testid=row-alice] button');
    expect(got.strategy).toBe('css');
    expect(got.selector).not.toMatch(/ember|8f3a9c21/);
    await (await resolveSelector(page, got.selector)).click();
    await expect.poll(() => page.locator('#log').textContent()).toBe('deleted alice');
  });

  it('reaches into iframes with a frame hop, and the selector resolves from the page', async () => {
    const run = await h.openAt('selectors.html');
    const page = run.page();
    const frame = page.frameLocator('#inner');
    const handle = await frame.locator('#street').elementHandle();
    const got = await buildSelector(handle!);
    expect(got.selector).toContain('internal:control=enter-frame');
    expect(got.selector).toContain('role=textbox[name="Street"]');
    await (await resolveSelector(page, got.selector)).fill('1 Loop Road');
    expect(await frame.locator('#street').inputValue()).toBe('1 Loop Road');
  });

  it('builds from an observation id (RunBrowser.selectorFor)', async () => {
    const run = await h.openAt('selectors.html');
    const obs = await run.observe();
    const save = [...obs.elements.values()].find((e) => e.role === 'button' && e.name === 'Save');
    const got = await run.selectorFor(save!.id);
    expect(got.selector).toBe('role=button[name="Save"]');
  });
});

describe('resolveSelector', () => {
  it('returns the single match, and names the problem otherwise', async () => {
    const run = await h.openAt('selectors.html');
    const page = run.page();
    await (await resolveSelector(page, 'role=textbox[name="Display name"]')).fill('Ada');
    await (await resolveSelector(page, 'role=button[name="Save"]')).click();
    await expect.poll(() => page.locator('#log').textContent()).toBe('saved Ada');
    await expect(resolveSelector(page, 'text="Delete"', { timeoutMs: 0 })).rejects.toThrow(
      /matches 2 elements/,
    );
    await expect(resolveSelector(page, '#nope', { timeoutMs: 0 })).rejects.toThrow(
      /matches no element/,
    );
    await expect(resolveSelector(page, 'role=[', { timeoutMs: 0 })).rejects.toMatchObject({
      kind: 'invalid_action',
    });
  });

  it('waits for an element that appears later', async () => {
    const run = await h.openAt('selectors.html');
    const page = run.page();
    await page.evaluate(() =>
      setTimeout(() => {
        const b = document.createElement('button');
        b.textContent = 'Late';
        document.body.append(b);
      }, 100),
    );
    const loc = await resolveSelector(page, 'role=button[name="Late"]', { timeoutMs: 5000 });
    expect(await loc.textContent()).toBe('Late');
  });
});

describe('RunBrowser.locate (Wren’s in-page matcher)', () => {
  it('finds what buildSelector wrote, as an id the actions take, without Playwright’s engine', async () => {
    const run = await h.openAt('selectors.html');
    const page = run.page();
    for (const css of [
      '#display',
      'input[name=q]',
      '#profile button',
      '#lang',
      '[data-testid=delete-bob]',
      '#input-8f3a9c21',
      '#ember1234',
      '.toolbar .icon:first-child',
      '[data-testid=row-alice] button',
    ]) {
      const built = await selectorOf(page, css);
      const found = await run.locate(built.selector, 0);
      expect(found, built.selector).toHaveProperty('id');
      const id = (found as { id: number }).id;
      expect(
        await run.evaluateOn(id, (el, css) => el === document.querySelector(css), css),
        built.selector,
      ).toBe(true);
    }
    const name = await run.locate('role=textbox[name="Display name"]', 0);
    const act = await run.act({ type: 'input_text', id: (name as { id: number }).id, text: 'Ada' });
    expect(act.ok).toBe(true);
    expect(await page.locator('#display').inputValue()).toBe('Ada');
  });

  it('counts ambiguous and missing matches, names exactly, skips hidden roles, leaves Playwright syntax to Playwright', async () => {
    const run = await h.openAt('selectors.html');
    expect(await run.locate('text="Delete"', 0)).toEqual({ count: 2 });
    expect(await run.locate('role=button[name="Delete"]', 0)).toEqual({ count: 2 });
    expect(await run.locate('#nope', 0)).toEqual({ count: 0 });
    // Playwright would take "Save" for "Sav"; a replay must not.
    expect(await run.locate('role=button[name="Sav"]', 0)).toEqual({ count: 0 });
    await run.page().evaluate(() => {
      const d = document.createElement('div');
      d.setAttribute('aria-hidden', 'true');
      d.innerHTML = '<button id="ghost">Ghost</button>';
      document.body.append(d);
    });
    expect(await run.locate('role=button[name="Ghost"]', 0)).toEqual({ count: 0 });
    expect(await run.locate('#ghost', 0)).toHaveProperty('id');
    expect(await run.locate('#inner >> internal:control=enter-frame >> #street', 0)).toBeNull();
    expect(await run.locate('xpath=//button', 0)).toBeNull();
    expect(await run.locate('button:has-text("Save")', 0)).toBeNull();
  });

  it('waits for an element that appears later, by the DOM’s mutations', async () => {
    const run = await h.openAt('selectors.html');
    await run.page().evaluate(() =>
      setTimeout(() => {
        const b = document.createElement('button');
        b.textContent = 'Late';
        document.body.append(b);
      }, 150),
    );
    const started = Date.now();
    const found = await run.locate('role=button[name="Late"]', 5000);
    expect(found).toHaveProperty('id');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await run.locate('role=button[name="Never"]', 200)).toEqual({ count: 0 });
  });
});

describe('the element at a point (RunBrowser.elementAt)', () => {
  it('gives its stable selector with its role and name, also where the selector is not the role one', async () => {
    const run = await h.openAt('selectors.html');
    const page = run.page();
    const centre = async (css: string) => {
      const box = await page.locator(css).boundingBox();
      if (!box) throw new Error(`no box for ${css}`);
      return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    };
    const display = await run.elementAt(await centre('#display'));
    expect(display).toMatchObject({
      ok: true,
      target: {
        selector: 'role=textbox[name="Display name"]',
        role: 'textbox',
        name: 'Display name',
      },
    });
    // Alice's Delete shares its role and name with Bob's: a CSS selector, yet named by its role.
    const alice = await run.elementAt(await centre('[data-testid=row-alice] button'));
    if (!alice.ok) throw new Error(alice.reason);
    expect(alice.target.selector.startsWith('role=')).toBe(false);
    expect(alice.target).toMatchObject({ role: 'button', name: 'Delete', tag: 'button' });
    await (await resolveSelector(page, alice.target.selector)).click();
    await expect.poll(() => page.locator('#log').textContent()).toBe('deleted alice');
  });
});
