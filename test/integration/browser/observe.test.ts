import { describe, expect, it } from 'vitest';
import { idOf, useBrowserHarness } from '../../support/browser-harness.js';

const h = useBrowserHarness();

describe('observation of the fixture gallery', () => {
  it('shows form controls with labels, values, states and options; masks passwords', async () => {
    const run = await h.openAt('form.html');
    await run.page().fill('#password', 'sekret-value');
    await run.page().fill('#full-name', 'Ada');
    const obs = await run.observe();
    const lines = obs.text.split('\n');
    const line = (id: number) => lines.find((l) => l.includes(`[${id}] `)) ?? '';
    expect(line(idOf(obs, 'textbox', 'Full name *'))).toMatch(/required( focused)? value="Ada"/);
    expect(line(idOf(obs, 'textbox', 'Email *'))).toContain(
      'type=email required placeholder="you@example.com"',
    );
    // docs/browser.md: a password shows one dot per character, never the characters.
    expect(line(idOf(obs, 'textbox', 'Password *'))).toContain(`value="${'•'.repeat(12)}"`);
    expect(obs.text).not.toContain('sekret');
    expect(line(idOf(obs, 'combobox', 'Country'))).toContain(
      'value="Choose…" options=[Choose… | France | Germany | Japan | Brazil]',
    );
    expect(obs.text).toMatch(/\[\d+\] radio "Free" checked \[\d+\] radio "Pro" unchecked/);
    expect(line(idOf(obs, 'checkbox', 'Send me the newsletter'))).toContain('checked');
    expect(line(idOf(obs, 'textbox', 'Referral code'))).toContain('disabled value="NONE"');
    expect(line(idOf(obs, 'textbox', 'Account ID'))).toContain('readonly value="ACC-1042"');
    expect(line(idOf(obs, 'spinbutton', 'Age'))).toContain('type=number');
    expect(obs.text).toContain('# Create your account');
    expect(obs.text).toContain('All fields marked * are required.');
    // Label text is the control's name, not printed twice.
    expect(obs.text.match(/Send me the newsletter/g)).toHaveLength(1);
    expect(obs.newIds).toEqual([]);
  });

  it('keeps ids stable across observations and marks only new elements', async () => {
    const run = await h.openAt('clickables.html');
    const a = await run.observe();
    const more = idOf(a, 'button', 'More options');
    await run.page().click('#toggle');
    const b = await run.observe();
    expect(idOf(b, 'button', 'More options')).toBe(more);
    for (const [id, e] of a.elements) expect(b.elements.get(id)?.name).toBe(e.name);
    const extra = idOf(b, 'link', 'Extra help');
    expect(b.newIds).toEqual([extra]);
    expect(b.text).toContain(`*[${extra}] link "Extra help" ->/help.html`);
    const c = await run.observe();
    expect(c.newIds).toEqual([]);
    expect(c.text).not.toContain('*[');
  });

  it('finds JS-only clickables, switches, hidden checkboxes, icon links and long URLs', async () => {
    const run = await h.openAt('clickables.html');
    const obs = await run.observe();
    expect(obs.text).toMatch(/Read the \[\d+\] clickable "details" before you continue\./);
    expect(obs.text).toMatch(/\[\d+\] clickable "♥ Like"/);
    expect(obs.text).toMatch(/\[\d+\] button "Archive"/);
    expect(obs.text).toMatch(/\[\d+\] checkbox "Remember me" unchecked/);
    expect(obs.text).toMatch(/\[\d+\] switch "Dark mode" unchecked/);
    expect(obs.text).toMatch(/\[\d+\] button "More options" collapsed/);
    expect(obs.text).toMatch(/\[\d+\] link "Home" ->\/index\.html/);
    // Closed <details> shows its summary only; icon-only buttons get a hint.
    expect(obs.text).toMatch(/\[\d+\] button "Shipping info"/);
    expect(obs.text).not.toContain('Ships in 3 days');
    expect(obs.text).toMatch(/\[\d+\] button hint="icon-close btn"/);
    const search = obs.elements.get(idOf(obs, 'link', 'Search results'))!;
    expect(obs.text).toContain(`[${search.id}] link "Search results" ->@u1`);
    expect(obs.urlMap['@u1']).toBe(search.href);
    expect(obs.expandUrls('open @u1')).toBe(`open ${search.href}`);
    // Off-viewport content is marked, and the far button's box says so.
    const markerAt = obs.text.indexOf('--- below the viewport ---');
    expect(markerAt).toBeGreaterThan(0);
    expect(obs.text.indexOf('"Far below"')).toBeGreaterThan(markerAt);
    expect(obs.elements.get(idOf(obs, 'button', 'Far below'))?.inViewport).toBe(false);
    expect(obs.elements.get(idOf(obs, 'button', 'Archive'))?.inViewport).toBe(true);
  });

  it('stitches same-origin, cross-origin and nested out-of-process frames under their iframes', async () => {
    const run = await h.openAt('frames.html');
    await Promise.all(
      run
        .page()
        .frames()
        .map((f) => f.waitForLoadState('load')),
    );
    const other = h.server.otherUrl;
    // The payment frames are another site: Chromium renders them out of process (own targets).
    const cdp = await run.context.browser()!.newBrowserCDPSession();
    const { targetInfos } = await cdp.send('Target.getTargets');
    await cdp.detach();
    expect(
      targetInfos
        .filter((t) => t.type === 'iframe' && t.url.startsWith(other))
        .map((t) => new URL(t.url).search)
        .sort(),
    ).toEqual(['?kind=direct', '?kind=nested']);
    const obs = await run.observe();
    const lines = obs.text.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      '# Checkout with frames',
      'The outer page has a same-origin frame, which embeds a cross-origin payment frame.',
      'iframe "Shipping details" (/frame-inner.html):',
      '  ## Shipping',
      `  [${idOf(obs, 'textbox', 'Street')}] textbox "Street" type=text [${idOf(obs, 'button', 'Save street')}] button "Save street"`,
      `  iframe "Payment" (${other}/frame-cross.html):`,
    ]);
    expect(lines[6]).toBe('    ### Cross-origin form');
    expect(lines[7]).toMatch(
      /^ {4}\[\d+\] textbox "Card number" type=text \[\d+\] button "Pay now"$/,
    );
    expect(lines[8]).toBe(`iframe "Gift card" (${other}/frame-cross.html):`);
    expect(lines[9]).toBe('  ### Cross-origin form');
    const cards = [...obs.elements.values()].filter((e) => e.name === 'Card number');
    expect(cards.map((c) => new URL(c.frameUrl!).search).sort()).toEqual([
      '?kind=direct',
      '?kind=nested',
    ]);
    // Boxes are in main-viewport coordinates: the nested frame sits inside the outer one.
    const nested = cards.find((c) => c.frameUrl!.includes('nested'))!;
    const street = obs.elements.get(idOf(obs, 'textbox', 'Street'))!;
    expect(nested.box!.y).toBeGreaterThan(street.box!.y);
    expect(obs.frameErrors).toEqual([]);
  });

  it('shows open shadow roots with slotted content and custom dropdown options when open', async () => {
    const run = await h.openAt('shadow.html');
    const obs = await run.observe();
    expect(obs.text).toContain('Welcome back, Ada');
    expect(obs.text).toMatch(/\[\d+\] textbox "Nickname" type=text placeholder="Pick a nickname"/);
    expect(obs.text).toMatch(/Rate us: \[\d+\] button "1 stars" \[\d+\] button "2 stars"/);

    await run.goto(`${h.server.url}/custom-select.html`);
    const closed = await run.observe();
    const combo = idOf(closed, 'combobox', 'Flavour');
    expect(closed.text).toContain(`[${combo}] combobox "Flavour" collapsed`);
    await run.page().dispatchEvent('#flavour-input', 'mousedown');
    const open = await run.observe();
    expect(open.text).toContain(`[${combo}] combobox "Flavour" expanded`);
    const opts = [...open.elements.values()].filter((e) => e.role === 'option').map((e) => e.name);
    expect(opts).toEqual(['Chocolate', 'Strawberry', 'Vanilla', 'Salted Caramel', 'Pistachio']);
    for (const o of [...open.elements.values()].filter((e) => e.role === 'option')) {
      expect(open.newIds).toContain(o.id);
    }
  });

  it('shows dialogs, drop zones, editors, hover menus and tables', async () => {
    const run = await h.openAt('modal.html');
    await run.observe();
    await run.page().click('#open-dialog');
    const modal = await run.observe();
    expect(modal.text).toMatch(
      /dialog "Coupon":\n {2}## Coupon\n {2}Enter your coupon code to get a discount\.\n {2}\*\[\d+\] textbox "Coupon code" type=text \*\[\d+\] button "Apply" \*\[\d+\] button "Close"/,
    );
    await run.goto(`${h.server.url}/dragdrop.html`);
    const board = await run.observe();
    expect(board.text).toMatch(/\[\d+\] dropzone "To do column/);
    expect(board.text).toMatch(/\[\d+\] draggable "Write report"/);
    await run.goto(`${h.server.url}/editor.html`);
    await run.page().fill('#body', 'Draft text');
    const ed = await run.observe();
    expect(ed.text).toMatch(/\[\d+\] textbox "Message body" (focused )?value="Draft text"/);
    expect(ed.text).toMatch(/\[\d+\] editable "Signature" value="Kind regards"/);
    await run.goto(`${h.server.url}/hover.html`);
    expect((await run.observe()).text).toMatch(/^\[\d+\] hover "Products"$/m);
  });

  it('keeps the 15,000-node page under a token budget, viewport content first', async () => {
    const run = await h.openAt('generated/huge.html');
    const full = await run.observe();
    expect(full.tokens).toBeGreaterThan(40_000);
    const budget = await run.observe({ maxTokens: 8_000 });
    expect(budget.tokens).toBeLessThanOrEqual(8_000);
    expect(budget.elidedLines).toBeGreaterThan(0);
    expect(budget.text).toContain('# Huge page');
    expect(budget.text).toMatch(/\[\d+\] textbox "Search the archive"/);
    expect(budget.text).toContain('Paragraph 0.0 of the archive');
    expect(budget.text).toMatch(
      /… \d+ lines below the viewport omitted \(\d+ elements, ids \d+-\d+\); scroll to see them/,
    );
    // Elided elements stay resolvable and are flagged as not shown.
    const hidden = [...budget.elements.values()].filter((e) => !e.shown);
    expect(hidden.length).toBeGreaterThan(100);
    await run.page().evaluate(() => window.scrollTo(0, 20_000));
    const mid = await run.observe({ maxTokens: 8_000 });
    expect(mid.text).toMatch(/… \d+ lines above the viewport omitted/);
    expect(mid.tokens).toBeLessThanOrEqual(8_000);
  });

  it('takes screenshots, scrolled screenshots and an id overlay without leaving it in the page', async () => {
    const run = await h.openAt('clickables.html');
    const plain = await run.observe({ screenshot: true, maxScreenshotScrolls: 2 });
    expect(plain.screenshot!.subarray(1, 4).toString()).toBe('PNG');
    expect(plain.scrolledScreenshots).toHaveLength(2);
    // Each one shows another part of the page.
    const [down1, down2] = plain.scrolledScreenshots;
    expect(down1!.equals(plain.screenshot!)).toBe(false);
    expect(down2!.equals(down1!)).toBe(false);
    expect(await run.page().evaluate(() => window.scrollY)).toBe(0);
    const overlay = await run.observe({ overlay: true });
    expect(overlay.screenshot!.equals(plain.screenshot!)).toBe(false);
    expect(await run.page().$('#__wren_overlay__')).toBeNull();
    expect(overlay.text).toBe(plain.text);
  });

  it('forgets elements of documents that are gone without reusing their ids', async () => {
    const run = await h.openAt('form.html');
    const first = await run.observe();
    const oldId = idOf(first, 'button', 'Create account');
    await run.goto(`${h.server.url}/modal.html`);
    const second = await run.observe();
    expect(Math.min(...second.elements.keys())).toBeGreaterThan(Math.max(...first.elements.keys()));
    const before = run.registry.size;
    run.registry.pruneDetached();
    expect(run.registry.size).toBe(before - first.elements.size);
    const stale = await run.act({ type: 'click', id: oldId });
    expect(stale.error?.kind).toBe('element_not_found');
    expect(run.registry.ref(idOf(second, 'button', 'Rename'))).toBeDefined();
  });
});
