import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrowserManager } from '../../../src/browser/index.js';
import { FIXTURES, idOf, useBrowserHarness } from '../../support/browser-harness.js';

const h = useBrowserHarness();

describe('browser manager and run browser', () => {
  it('gives each run an isolated context from one browser process', async () => {
    const a = await h.openAt('help.html');
    const b = await h.openAt('help.html');
    await a.context.addCookies([{ name: 'who', value: 'a', url: h.server.url }]);
    await a.page().evaluate(() => localStorage.setItem('k', 'a'));
    expect(await a.page().evaluate(() => document.cookie)).toBe('who=a');
    expect(await b.page().evaluate(() => [document.cookie, localStorage.getItem('k')])).toEqual([
      '',
      null,
    ]);
    expect(a.context.browser()).toBe(b.context.browser());
    expect(h.manager.openRuns).toBeGreaterThanOrEqual(2);
  });

  it('keeps one context ready for the next plain run, and closes it with the manager', async () => {
    const manager = new BrowserManager({ egress: { allowPrivateNetworks: true } });
    const dir = await mkdtemp(path.join(tmpdir(), 'wren-run-'));
    try {
      const a = await manager.openRunBrowser({ runDir: path.join(dir, 'a') });
      const browser = a.context.browser()!;
      // The first run's context and the one made for the next run.
      await expect.poll(() => browser.contexts().length).toBe(2);
      const warm = browser.contexts().find((c) => c !== a.context);
      const b = await manager.openRunBrowser({ runDir: path.join(dir, 'b') });
      expect(b.context).toBe(warm);
      await b.goto(`${h.server.url}/help.html`);
      expect(await b.page().title()).not.toBe('');
      // A run with options of its own gets a context made for it.
      const c = await manager.openRunBrowser({ runDir: path.join(dir, 'c'), locale: 'fr-FR' });
      expect(c.context).not.toBe(warm);
      expect(await c.page().evaluate(() => navigator.language)).toBe('fr-FR');
      await Promise.all([a.close(), b.close(), c.close()]);
      await manager.close();
      expect(browser.isConnected()).toBe(false);
    } finally {
      await manager.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  // docs/decisions.md, "Warm contexts are made while the browser is idle": the next run's context
  // is not made while a run is loading a page or acting, only once every run has paused (or
  // closed), or after maxWaitMs of runs that never pause.
  it('makes the next warm context while no run is using the browser', async () => {
    const contextsWhile = async (busy: Promise<unknown>, browser: { contexts(): unknown[] }) => {
      const seen = new Set<number>();
      let done = false;
      void busy.finally(() => {
        done = true;
      });
      while (!done) {
        seen.add(browser.contexts().length);
        await new Promise((r) => setTimeout(r, 25));
      }
      await busy;
      return seen;
    };
    const dir = await mkdtemp(path.join(tmpdir(), 'wren-run-'));
    const patient = new BrowserManager({ ...FIXTURES, spareTiming: { maxWaitMs: 10_000 } });
    const hurried = new BrowserManager({ ...FIXTURES, spareTiming: { maxWaitMs: 200 } });
    try {
      const a = await patient.openRunBrowser({ runDir: path.join(dir, 'a') });
      const browser = a.context.browser()!;
      // A page that takes 800 ms: the run is busy all along, so no second context appears.
      const seen = await contextsWhile(a.goto(`${h.server.url}/api/slow?ms=800`), browser);
      expect([...seen]).toEqual([1]);
      // Idle now (as while it waits for a model): the warm context follows.
      await expect.poll(() => browser.contexts().length, { timeout: 5_000 }).toBe(2);
      const warm = browser.contexts().find((c) => c !== a.context);
      const b = await patient.openRunBrowser({ runDir: path.join(dir, 'b') });
      expect(b.context).toBe(warm);
      // Computer-use input counts as use too: a coordinate click on a link to a slow page, then
      // the screenshot that waits for it, keep the next context from being made meanwhile.
      const clickThrough = async () => {
        const link = `<a href="${h.server.url}/api/slow?ms=800">Slow</a>`;
        await b.goto(`data:text/html,${encodeURIComponent(link)}`);
        const seen = await b.observe();
        const box = seen.elements.get(idOf(seen, 'link', 'Slow'))!.box!;
        const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
        await b.computer().click(at);
        await b.computer().screenshot();
      };
      expect([...(await contextsWhile(clickThrough(), browser))]).toEqual([2]);
      expect(await b.page().textContent('h1')).toBe('Slow page arrived');
      await expect.poll(() => browser.contexts().length, { timeout: 5_000 }).toBe(3);

      // A run that never pauses still gets the next context after maxWaitMs.
      const c = await hurried.openRunBrowser({ runDir: path.join(dir, 'c') });
      const other = c.context.browser()!;
      const during = await contextsWhile(c.goto(`${h.server.url}/api/slow?ms=1500`), other);
      expect(during).toContain(2);
    } finally {
      await Promise.all([patient.close(), hurried.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps Playwright's disabled Chromium features: no flag of ours overrides them", async () => {
    const run = await h.open();
    await run.page().goto('chrome://version');
    const commandLine = (await run.page().textContent('#command_line')) ?? '';
    const lists = commandLine
      .split(/\s+/)
      .filter((a) => a.startsWith('--disable-features='))
      .map((a) => a.slice('--disable-features='.length).split(','));
    expect(lists.length).toBeGreaterThan(0);
    // Chromium reads the last --disable-features only.
    const effective = new Set(lists.at(-1));
    for (const feature of lists.flat()) expect(effective, feature).toContain(feature);
    expect(effective).toContain('PaintHolding');
    expect(effective).toContain('HttpsUpgrades');
  });

  it('launches a headful browser on request, and sizes the viewport as asked', async () => {
    // No display here: Ozone's headless platform runs headful Chromium without an X server.
    const manager = new BrowserManager({ args: ['--ozone-platform=headless'], ...FIXTURES });
    const dir = await mkdtemp(path.join(tmpdir(), 'wren-run-'));
    try {
      const headful = await manager.openRunBrowser({
        runDir: dir,
        headless: false,
        viewport: { width: 800, height: 600 },
      });
      const headless = await manager.openRunBrowser({ runDir: dir });
      await headful.goto(`${h.server.url}/help.html`);
      await headless.goto(`${h.server.url}/help.html`);
      const read = () => [navigator.userAgent.includes('HeadlessChrome'), innerWidth, innerHeight];
      expect(await headful.page().evaluate(read)).toEqual([false, 800, 600]);
      expect(await headless.page().evaluate(read)).toEqual([true, 1280, 720]);
      // Headful and headless runs come from two browser processes.
      expect(headful.context.browser()).not.toBe(headless.context.browser());
      expect(headful.computer().viewport()).toEqual({ width: 800, height: 600 });
      const shot = await headful.computer().screenshot();
      expect([shot.readUInt32BE(16), shot.readUInt32BE(20)]).toEqual([800, 600]);
    } finally {
      await manager.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a renderer crash as an event and a typed error, and recovers with goto', async () => {
    const run = await h.openAt('help.html');
    const events: string[] = [];
    run.on((e) => events.push(e.type));
    const crashed = new Promise((r) => run.page().once('crash', r));
    await run
      .page()
      .goto('chrome://crash')
      .catch(() => {});
    await crashed;
    expect(events).toContain('crash');
    const obs = run.observe();
    await expect(obs).rejects.toMatchObject({ kind: 'page_crashed' });
    const click = await run.act({ type: 'click', id: 1 });
    expect(click.error?.kind).toBe('page_crashed');
    const back = await run.act({ type: 'goto', url: `${h.server.url}/help.html` });
    expect(back.error).toBeUndefined();
    expect(back.ok).toBe(true);
    expect((await run.observe()).text).toContain('# Help center');
  });

  it('refuses private networks unless allowed, and metadata addresses always', async () => {
    const run = await h.open({ allowPrivateNetworks: false });
    const r = await run.act({ type: 'goto', url: `${h.server.url}/help.html` });
    expect(r.error).toEqual({
      kind: 'navigation_blocked',
      message: 'url: 127.0.0.1 is a private network address',
    });
    const open = await h.open({ allowPrivateNetworks: true });
    for (const url of [
      'http://metadata.google.internal/x',
      'http://[fd00:ec2::254]/',
      'http://2852039166/',
    ]) {
      const m = await open.act({ type: 'goto', url });
      expect(m.error?.kind).toBe('navigation_blocked');
    }
    const file = await open.act({ type: 'goto', url: 'file:///etc/passwd' });
    expect(file.error?.message).toBe('url: scheme file: is not allowed');
  });

  it('drives the page with coordinate-level computer primitives', async () => {
    const run = await h.openAt('clickables.html');
    const obs = await run.observe();
    const pc = run.computer();
    expect(pc.viewport()).toEqual({ width: 1280, height: 720 });
    const like = obs.elements.get(idOf(obs, 'clickable', '♥ Like'))!.box!;
    await pc.click({ x: like.x + like.width / 2, y: like.y + like.height / 2 });
    expect(await run.page().textContent('#log')).toBe('last: like');
    expect(pc.cursorPosition()).toEqual({
      x: like.x + like.width / 2,
      y: like.y + like.height / 2,
    });
    const dbl = obs.elements.get(idOf(obs, 'button', 'Double-click me'))!.box!;
    await pc.click({ x: dbl.x + 5, y: dbl.y + 5 }, { clickCount: 2 });
    expect(await run.page().textContent('#log')).toBe('last: double');
    const field = obs.elements.get(idOf(obs, 'textbox', 'Shortcut field'))!.box!;
    await pc.click({ x: field.x + 5, y: field.y + 5 });
    await pc.type('abc');
    expect(await run.page().inputValue('#keys')).toBe('abc');
    await pc.keypress(['Control', 'k']);
    expect(await run.page().textContent('#log')).toBe('last: ctrl+k');
    // A modifier held with keyDown applies to the keys pressed until keyUp.
    await run.page().evaluate(() => {
      document.getElementById('log')!.textContent = '';
    });
    await pc.keyDown('Control');
    await pc.keypress(['k']);
    await pc.keyUp('Control');
    expect(await run.page().textContent('#log')).toBe('last: ctrl+k');
    await pc.keypress(['k']);
    expect(await run.page().inputValue('#keys')).toBe('abck');
    const ctx = obs.elements.get(idOf(obs, 'clickable', 'Right-click me'))!.box!;
    await pc.click({ x: ctx.x + 5, y: ctx.y + 5 }, { button: 'right' });
    expect(await run.page().textContent('#log')).toBe('last: context menu');
    await pc.scroll({ x: 400, y: 400 }, { dx: 0, dy: 600 });
    await run.page().waitForFunction(() => window.scrollY > 0);
    expect((await pc.screenshot()).subarray(1, 4).toString()).toBe('PNG');
    expect(pc.currentUrl()).toBe(`${h.server.url}/clickables.html`);

    await run.goto(`${h.server.url}/dragdrop.html`);
    const board = await run.observe();
    const card = board.elements.get(idOf(board, 'draggable', 'Write report'))!.box!;
    const done = board.elements.get(idOf(board, 'dropzone', /^Done column/))!.box!;
    await pc.drag([
      { x: card.x + 10, y: card.y + 10 },
      { x: card.x + 30, y: card.y + 30 },
      { x: done.x + 20, y: done.y + 40 },
    ]);
    expect(await run.page().textContent('#status')).toBe('Done: Write report');
    // The same gesture from the separate mouse primitives.
    const moved = await run.observe();
    const call = moved.elements.get(idOf(moved, 'draggable', 'Call supplier'))!.box!;
    const target = moved.elements.get(idOf(moved, 'dropzone', /^Done column/))!.box!;
    const drop = { x: target.x + 20, y: target.y + target.height - 15 };
    await pc.mouseMove({ x: call.x + 10, y: call.y + 10 });
    await pc.mouseDown();
    await pc.mouseMove({ x: call.x + 30, y: call.y + 30 });
    await pc.mouseMove(drop);
    await pc.mouseUp();
    expect(await run.page().textContent('#status')).toBe('Done: Write report, Call supplier');
    expect(pc.cursorPosition()).toEqual(drop);
  });

  it('dismisses dialogs when the run asks for it', async () => {
    const run = await h.openAt('modal.html', { dialogPolicy: 'dismiss' });
    const obs = await run.observe();
    const r = await run.act({ type: 'click', id: idOf(obs, 'button', 'Delete draft') });
    expect(r.effects.dialogs[0]?.handled).toBe('dismissed');
    expect(await run.page().textContent('#dialog-result')).toBe('kept draft');
  });

  it('reports the death of the browser process to its runs', async () => {
    const manager = new BrowserManager(FIXTURES);
    const dir = await mkdtemp(path.join(tmpdir(), 'wren-run-'));
    try {
      const run = await manager.openRunBrowser({ runDir: dir });
      const died = new Promise<string>((r) =>
        run.on((e) => {
          if (e.type === 'browser_disconnected') r(e.type);
        }),
      );
      await (await manager.browser()).close();
      expect(await died).toBe('browser_disconnected');
      const r = await run.act({ type: 'goto', url: `${h.server.url}/help.html` });
      expect(r.error?.kind).toBe('browser_disconnected');
      // The manager launches a fresh process for the next run.
      const next = await manager.openRunBrowser({ runDir: dir });
      await next.goto(`${h.server.url}/help.html`);
      expect((await next.observe()).title).toBe('Help center');
    } finally {
      await manager.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
