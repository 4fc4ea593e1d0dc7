import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { idOf, useBrowserHarness } from '../../support/browser-harness.js';
import { REPORT_CSV } from '../../support/fixture-server.js';

const h = useBrowserHarness();

describe('actions on the fixture gallery', () => {
  it('fills text fields and native selects with the events pages listen to', async () => {
    const run = await h.open();
    await run.page().setContent(`
      <label>Name <input id="name" value="old"></label>
      <label>Notes <textarea id="notes"></textarea></label>
      <label>Plan <select id="plan"><option>Free</option><option>Pro</option></select></label>
      <script>
        window.seen = [];
        for (const id of ['name', 'notes', 'plan']) {
          for (const type of ['keydown', 'input', 'change']) {
            document.getElementById(id).addEventListener(type, (e) =>
              window.seen.push(id + ':' + type + (e.isTrusted ? ':trusted' : '')));
          }
        }
      </script>`);
    const obs = await run.observe();
    const name = await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'Name'),
      text: 'Ada',
    });
    expect(name).toMatchObject({ ok: true, detail: 'filled', value: 'Ada' });
    const notes = await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'Notes'),
      text: 'line one',
    });
    expect(notes.value).toBe('line one');
    const plan = await run.act({
      type: 'select_option',
      id: idOf(obs, 'combobox', 'Plan'),
      label: 'Pro',
    });
    expect(plan).toMatchObject({ ok: true, value: 'Pro' });
    const page = run.page();
    expect(
      await page.evaluate(() => (document.getElementById('plan') as HTMLSelectElement).value),
    ).toBe('Pro');
    // Text arrives as trusted input events (replacing the old value, no key events; leaving a
    // field commits it with change), the select reports input then change, as Playwright's fill
    // and selectOption do.
    expect(await page.evaluate(() => (window as unknown as { seen: string[] }).seen)).toEqual([
      'name:input:trusted',
      'name:change:trusted',
      'notes:input:trusted',
      'plan:input',
      'plan:change',
    ]);
  });

  it('falls back from fill to typing and down the click ladder, appends, reports what the field kept', async () => {
    // Playwright's click waits this long for the moving target before the ladder steps in.
    const run = await h.open({ actionTimeoutMs: 1000 });
    await run.page().setContent(`
      <label>Keys only <input id="keyed"></label>
      <label>Tags <input id="tags" value="red,"></label>
      <label>Code <input id="code" maxlength="3"></label>
      <button id="noop">Does nothing</button>
      <style id="sway">#moving { margin-left: 0px }</style>
      <button id="moving" onclick="this.textContent = 'Caught'">Moving target</button>
      <script>
        // Takes only text that arrives with key presses; a pasted or set value is wiped.
        const k = document.getElementById('keyed');
        let pressed = false;
        k.addEventListener('keydown', () => { pressed = true; });
        k.addEventListener('input', () => { if (!pressed) k.value = ''; pressed = false; });
        // Moves on every frame, never the same box two frames running nor where the observation
        // saw it a moment ago (it drifts 1px a frame over 500px); through the stylesheet, so the
        // DOM itself does not change (the effect checks stay honest).
        const rule = document.getElementById('sway').sheet.cssRules[0].style;
        let x = 0;
        const sway = () => {
          x = (x + 1) % 500;
          rule.marginLeft = x + 'px';
          requestAnimationFrame(sway);
        };
        requestAnimationFrame(sway);
      </script>`);
    const obs = await run.observe();
    const keyed = await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'Keys only'),
      text: 'hello',
    });
    expect(keyed).toMatchObject({ ok: true, detail: 'typed after fill did not stick' });
    expect(await run.page().inputValue('#keyed')).toBe('hello');

    const tags = await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'Tags'),
      text: 'blue',
      clear: false,
    });
    expect(tags.value).toBe('red,blue');
    expect(await run.page().inputValue('#tags')).toBe('red,blue');

    const code = await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'Code'),
      text: 'abcdef',
    });
    expect(code.ok).toBe(true);
    expect(code.value).toBe('abc');
    expect(code.warning).toContain('reads back as "abc"');
    expect(await run.page().inputValue('#code')).toBe('abc');

    // The effect check: a click that changes nothing succeeds with a warning.
    const noop = await run.act({ type: 'click', id: idOf(obs, 'button', 'Does nothing') });
    expect(noop.ok).toBe(true);
    expect(noop.effects).toMatchObject({ navigated: false, domChanged: false, newTabs: [] });
    expect(noop.warning).toBe('no visible effect: the page did not change');

    // Never stable, so Playwright's click waits in vain: the ladder clicks at its position and
    // keeps that because the page changed.
    const moving = await run.act({ type: 'click', id: idOf(obs, 'button', 'Moving target') });
    expect(moving).toMatchObject({ ok: true, detail: 'forced click at its position' });
    expect(await run.page().textContent('#moving')).toBe('Caught');
  });

  it('clicks an element still where the observation saw it without watching it for a frame', async () => {
    const run = await h.open();
    await run.page().setContent(`
      <label id="box"><input type="checkbox"> Agree</label>
      <script>
        // Counts the frame callbacks anyone asks for (the stability check would ask for one).
        window.frames_asked = 0;
        const raf = window.requestAnimationFrame.bind(window);
        window.requestAnimationFrame = (f) => { window.frames_asked++; return raf(f); };
      </script>`);
    const obs = await run.observe();
    const agree = idOf(obs, 'checkbox', 'Agree');
    const asked = () =>
      run.page().evaluate(() => (window as unknown as { frames_asked: number }).frames_asked);
    await run.page().waitForTimeout(60); // the observation must be at least 50 ms old
    const before = await asked();
    expect(await run.act({ type: 'set_checked', id: agree, checked: true })).toMatchObject({
      ok: true,
    });
    expect(await run.page().isChecked('input')).toBe(true);
    expect(await asked()).toBe(before);
    // Moved since the observation: it is watched for a frame before the click.
    await run.page().evaluate(() => {
      (document.getElementById('box') as HTMLElement).style.marginLeft = '40px';
    });
    const moved = await asked();
    expect(await run.act({ type: 'set_checked', id: agree, checked: false })).toMatchObject({
      ok: true,
    });
    expect(await asked()).toBeGreaterThan(moved);
    expect(await run.page().isChecked('input')).toBe(false);
  });

  it('fills the signup form, shows validation errors, then submits what the server receives', async () => {
    const run = await h.openAt('form.html');
    let obs = await run.observe();
    const email = idOf(obs, 'textbox', 'Email *');
    const submit = idOf(obs, 'button', 'Create account');
    expect(
      (
        await run.act({
          type: 'input_text',
          id: idOf(obs, 'textbox', 'Full name *'),
          text: 'Ada Lovelace',
        })
      ).ok,
    ).toBe(true);
    expect((await run.act({ type: 'input_text', id: email, text: 'not-an-email' })).value).toBe(
      'not-an-email',
    );
    const pw = await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'Password *'),
      text: 'hunter2hunter2',
    });
    expect(pw.value).toBe('••••••••');
    const click = await run.act({ type: 'click', id: submit });
    expect(click.ok).toBe(true);
    expect(click.effects.domChanged).toBe(true);
    obs = await run.observe();
    expect(obs.text).toContain('invalid="Enter a valid email address"');
    expect(obs.text).toContain('You must accept the terms');
    expect(h.server.submissions('signup')).toHaveLength(0);

    await run.act({ type: 'input_text', id: email, text: 'ada@example.com' });
    const country = idOf(obs, 'combobox', 'Country');
    expect((await run.act({ type: 'select_option', id: country, value: 'de' })).value).toBe(
      'Germany',
    );
    expect((await run.act({ type: 'select_option', id: country, index: 4 })).value).toBe('Brazil');
    const missingOption = await run.act({ type: 'select_option', id: country, label: 'Atlantis' });
    expect(missingOption.error?.kind).toBe('option_not_found');
    expect(missingOption.error?.message).toContain('France | Germany');
    // Several options only in a multi-select: the error names the field.
    const several = await run.act({ type: 'select_option', id: country, labels: ['Peru', 'Chad'] });
    expect(several.error).toEqual({
      kind: 'invalid_action',
      message: `labels: [${country}] takes one option (not a multi-select); give one`,
    });
    await run.act({ type: 'select_option', id: country, label: 'japan' });
    await run.act({ type: 'set_checked', id: idOf(obs, 'radio', 'Pro'), checked: true });
    // A radio cannot be unchecked by clicking it: reported, not pretended.
    const unradio = await run.act({
      type: 'set_checked',
      id: idOf(obs, 'radio', 'Pro'),
      checked: false,
    });
    expect(unradio.error?.kind).toBe('no_effect');
    expect(await run.page().isChecked('input[value=pro]')).toBe(true);
    await run.act({
      type: 'set_checked',
      id: idOf(obs, 'checkbox', 'Send me the newsletter'),
      checked: false,
    });
    const terms = await run.act({
      type: 'set_checked',
      id: idOf(obs, 'checkbox', 'I accept the terms *'),
      checked: true,
    });
    expect(terms.value).toBe('true');
    await run.act({ type: 'input_text', id: idOf(obs, 'textbox', 'Birthday'), text: '1990-12-10' });
    await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'About you'),
      text: 'Line one\nLine two',
    });
    const disabled = await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'Referral code'),
      text: 'X',
    });
    expect(disabled.error?.kind).toBe('element_not_interactable');
    const done = await run.act({ type: 'click', id: submit });
    expect(done.effects.navigated).toBe(true);
    const got = await h.server.waitForSubmission('signup');
    expect(got.fields).toEqual({
      fullName: 'Ada Lovelace',
      email: 'ada@example.com',
      password: 'hunter2hunter2',
      age: '',
      birthday: '1990-12-10',
      country: 'jp',
      plan: 'pro',
      terms: 'accepted',
      bio: 'Line one\r\nLine two',
      account: 'ACC-1042',
    });
  });

  it('rejects malformed actions with the field and reason', async () => {
    const run = await h.openAt('form.html');
    const r = await run.act({ type: 'click', id: 'x' });
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe('invalid_action');
    expect(r.error?.message).toMatch(/^id: /);
    const unknown = await run.act({ type: 'fly' });
    expect(unknown.error?.message).toContain('known actions');
    const missing = await run.act({ type: 'click', id: 999 });
    expect(missing.error?.kind).toBe('element_not_found');
  });

  it('selects in a React-Select-like dropdown and types into a keyup-only autocomplete', async () => {
    const run = await h.openAt('custom-select.html');
    let obs = await run.observe();
    const sel = await run.act({
      type: 'select_option',
      id: idOf(obs, 'combobox', 'Flavour'),
      label: 'Salted Caramel',
    });
    expect(sel.ok).toBe(true);
    obs = await run.observe();
    expect(obs.text).toContain('Salted Caramel');
    await run.act({ type: 'click', id: idOf(obs, 'button', 'Order') });
    expect((await h.server.waitForSubmission('flavour')).fields['flavour']).toBe('Salted Caramel');

    // A custom dropdown option by index.
    await run.goto(`${h.server.url}/custom-select.html`);
    obs = await run.observe();
    const byIndex = await run.act({
      type: 'select_option',
      id: idOf(obs, 'combobox', 'Flavour'),
      index: 2,
    });
    expect(byIndex.ok).toBe(true);
    expect(await run.page().inputValue('#flavour-hidden')).toBe('Vanilla');
    // And by its value (data-value): the result names the option the dropdown now shows.
    const byValue = await run.act({
      type: 'select_option',
      id: idOf(obs, 'combobox', 'Flavour'),
      value: 'pist',
    });
    expect(byValue).toMatchObject({ ok: true, value: 'Pistachio' });
    expect(byValue.warning).toBeUndefined();
    expect(await run.page().inputValue('#flavour-hidden')).toBe('Pistachio');
    expect(await run.page().textContent('#flavour-value')).toBe('Pistachio');

    await run.goto(`${h.server.url}/autocomplete.html`);
    obs = await run.observe();
    const typed = await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'Destination city'),
      text: 'Po',
    });
    expect(typed.detail).toBe('typed');
    obs = await run.observe();
    expect(obs.newIds).toContain(idOf(obs, 'option', 'Porto'));
    expect(obs.text).toMatch(/\*\[\d+\] option "Porto"/);
    await run.act({ type: 'click', id: idOf(obs, 'option', 'Porto') });
    await run.act({ type: 'click', id: idOf(obs, 'button', 'Search trips') });
    expect((await h.server.waitForSubmission('trip')).fields).toEqual({
      city: 'Porto',
      confirmed: 'yes',
    });
  });

  it('picks a date in a calendar popup', async () => {
    const run = await h.openAt('datepicker.html');
    let obs = await run.observe();
    await run.act({ type: 'click', id: idOf(obs, 'button', 'Open calendar') });
    obs = await run.observe();
    expect(obs.text).toContain('March 2026');
    await run.act({ type: 'click', id: idOf(obs, 'button', 'Next month') });
    obs = await run.observe();
    await run.act({ type: 'click', id: idOf(obs, 'button', 'April 15, 2026') });
    obs = await run.observe();
    expect(obs.text).toContain('value="2026-04-15"');
    await run.act({ type: 'click', id: idOf(obs, 'button', 'Book') });
    expect((await h.server.waitForSubmission('delivery')).fields['date']).toBe('2026-04-15');
  });

  it('acts inside same-origin, cross-origin and nested cross-origin frames and shadow roots', async () => {
    const run = await h.openAt('frames.html');
    const obs = await run.observe();
    const cards = [...obs.elements.values()].filter((e) => e.name === 'Card number');
    expect(cards).toHaveLength(2);
    const nested = cards.find((c) => c.frameUrl?.includes('kind=nested'))!;
    await run.act({ type: 'input_text', id: nested.id, text: '4242' });
    const pays = [...obs.elements.values()].filter((e) => e.name === 'Pay now');
    await run.act({ type: 'click', id: pays.find((p) => p.frameUrl?.includes('kind=nested'))!.id });
    const got = await h.server.waitForSubmission('cross-nested');
    expect(got.fields['card']).toBe('4242');
    expect(got.origin).toBe(h.server.otherUrl);
    await run.act({ type: 'input_text', id: idOf(obs, 'textbox', 'Street'), text: '1 Main St' });
    await run.act({ type: 'click', id: idOf(obs, 'button', 'Save street') });
    expect((await h.server.waitForSubmission('inner-frame')).fields['street']).toBe('1 Main St');

    await run.goto(`${h.server.url}/shadow.html`);
    const s = await run.observe();
    await run.act({ type: 'input_text', id: idOf(s, 'textbox', 'Nickname'), text: 'countess' });
    await run.act({ type: 'click', id: idOf(s, 'button', '2 stars') });
    await run.act({ type: 'click', id: idOf(s, 'button', 'Save nickname') });
    expect((await h.server.waitForSubmission('shadow')).fields).toEqual({
      nickname: 'countess',
      rating: '2',
    });
  });

  it('handles a modal, JS dialogs, a popup window and a new-tab link', async () => {
    const run = await h.openAt('modal.html');
    let obs = await run.observe();
    await run.act({ type: 'click', id: idOf(obs, 'button', 'Apply a coupon') });
    obs = await run.observe();
    expect(obs.text).toMatch(/dialog "Coupon":\n {2}## Coupon/);
    await run.act({ type: 'input_text', id: idOf(obs, 'textbox', 'Coupon code'), text: 'SAVE10' });
    await run.act({ type: 'click', id: idOf(obs, 'button', 'Apply') });
    expect((await h.server.waitForSubmission('coupon')).fields['coupon']).toBe('SAVE10');

    obs = await run.observe();
    const alerted = await run.act({ type: 'click', id: idOf(obs, 'button', 'Show alert') });
    expect(alerted.effects.dialogs).toEqual([
      { type: 'alert', message: 'Saved!', defaultValue: '', handled: 'accepted' },
    ]);
    expect(await run.page().textContent('#dialog-result')).toBe('alert closed');
    const confirm = await run.act({ type: 'click', id: idOf(obs, 'button', 'Delete draft') });
    expect(confirm.effects.dialogs).toEqual([
      { type: 'confirm', message: 'Delete the draft?', defaultValue: '', handled: 'accepted' },
    ]);
    expect(await run.page().textContent('#dialog-result')).toBe('draft deleted');
    const prompt = await run.act({ type: 'click', id: idOf(obs, 'button', 'Rename') });
    expect(prompt.effects.dialogs[0]?.type).toBe('prompt');
    expect(await run.page().textContent('#dialog-result')).toBe('renamed to Untitled');

    const popup = await run.act({ type: 'click', id: idOf(obs, 'button', 'Sign in with Popup') });
    expect(popup.effects.newTabs).toHaveLength(1);
    expect(popup.effects.tabChanged).toBe(true);
    const p = await run.observe();
    expect(p.title).toBe('Sign in popup');
    await run.act({ type: 'input_text', id: idOf(p, 'textbox', 'Username'), text: 'ada' });
    const closed = await run.act({ type: 'click', id: idOf(p, 'button', 'Continue') });
    expect(closed.effects.tabChanged).toBe(true);
    expect((await h.server.waitForSubmission('popup')).fields['user']).toBe('ada');
    expect(run.page().url()).toContain('modal.html');
    expect(await run.page().textContent('#popup-result')).toBe('Signed in as ada');

    const tab = await run.act({ type: 'click', id: idOf(obs, 'link', 'Open help in a new tab') });
    expect(tab.effects.newTabs[0]?.url).toContain('/help.html');
    const help = await run.observe();
    expect(help.text).toContain('support@example.test');
    expect(help.tabs.map((t) => t.active)).toEqual([false, true]);
    await run.act({ type: 'switch_tab', tab: 0 });
    expect(run.page().url()).toContain('modal.html');
    await run.act({ type: 'close_tab', tab: 1 });
    expect((await run.tabs()).length).toBe(1);
    const nt = await run.act({ type: 'new_tab', url: `${h.server.url}/table.html` });
    expect(nt.ok).toBe(true);
    expect(run.page().url()).toContain('table.html');
  });

  it('uploads files (input and chooser button) and downloads (link, JS, URL) with hashes', async () => {
    const run = await h.openAt('files.html');
    const local = path.join(run.options.runDir, 'notes.txt');
    await writeFile(local, 'hello upload');
    let obs = await run.observe();
    const up = await run.act({
      type: 'upload_file',
      id: idOf(obs, 'file', 'Document'),
      files: ['notes.txt'],
    });
    expect(up.ok).toBe(true);
    // Enter in the text field submits the form.
    const sent = await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'Description'),
      text: 'my notes',
      submit: true,
    });
    expect(sent.effects.navigated).toBe(true);
    const got = await h.server.waitForSubmission('upload');
    expect(got.fields['description']).toBe('my notes');
    expect(got.files.map((f) => [f.filename, f.text])).toEqual([['notes.txt', 'hello upload']]);

    await run.goto(`${h.server.url}/files.html`);
    obs = await run.observe();
    const avatar = await run.act({
      type: 'upload_file',
      id: idOf(obs, 'button', 'Choose avatar'),
      files: [`${h.server.url}/help.html`],
    });
    expect(avatar.detail).toBe('chose files in the file chooser');
    const av = await h.server.waitForSubmission('avatar');
    expect(av.files[0]?.filename).toBe('help.html');
    expect(av.files[0]?.text).toContain('Help center');
    const outside = await run.act({
      type: 'upload_file',
      id: idOf(obs, 'file', 'Document'),
      files: ['/etc/passwd'],
    });
    expect(outside.error?.kind).toBe('upload_failed');

    const dl = await run.act({ type: 'download', id: idOf(obs, 'link', 'Download report (CSV)') });
    expect(dl.ok).toBe(true);
    const file = dl.effects.downloads[0]!;
    expect(file.filename).toBe('report.csv');
    expect(file.size).toBe(REPORT_CSV.length);
    expect(file.sha256).toBe(createHash('sha256').update(REPORT_CSV).digest('hex'));
    expect(await readFile(file.path, 'utf8')).toBe(REPORT_CSV);
    expect(file.path.startsWith(path.join(run.options.runDir, 'downloads'))).toBe(true);
    const js = await run.act({ type: 'download', id: idOf(obs, 'button', 'Export data') });
    expect(js.effects.downloads[0]?.filename).toBe('export.json');
    const exported = await readFile(js.effects.downloads[0]!.path);
    expect(JSON.parse(exported.toString('utf8'))).toEqual({ exported: true, rows: 3 });
    expect(js.effects.downloads[0]?.size).toBe(exported.length);
    const direct = await run.act({
      type: 'download',
      url: `${h.server.url}/api/download/report.csv`,
    });
    expect(direct.effects.downloads[0]?.filename).toBe('report (2).csv');
    expect(direct.effects.downloads[0]?.sha256).toBe(file.sha256);
  });

  it('scrolls an infinite list, the page and an inner container', async () => {
    const run = await h.openAt('infinite.html');
    await run.page().getByText('Item 20', { exact: true }).waitFor();
    const first = await run.observe();
    expect(first.text).not.toContain('Item 41');
    const r = await run.act({ type: 'scroll', to: 'bottom' });
    expect(r.ok).toBe(true);
    await run.act({ type: 'scroll', to: 'bottom' });
    const after = await run.observe();
    expect(after.text).toContain('Item 41');
    expect(after.scroll.y).toBeGreaterThan(0);

    await run.goto(`${h.server.url}/clickables.html`);
    const obs = await run.observe();
    const deep = idOf(obs, 'button', 'Deep button');
    const inner = await run.act({ type: 'scroll', id: deep, direction: 'down', amount: 200 });
    expect(inner.detail).toMatch(/^scrolled div#scroller from 0 to 200/);
    const page = await run.act({ type: 'scroll', direction: 'down' });
    expect(page.detail).toMatch(/^scrolled page from 0 to/);
    const far = await run.observe();
    expect(far.elements.get(idOf(far, 'button', 'Far below'))?.inViewport).toBe(false);
  });

  it('hovers a CSS menu, drags cards, edits contenteditable, pages a table', async () => {
    const run = await h.openAt('hover.html');
    let obs = await run.observe();
    expect(obs.text).not.toContain('Phones');
    await run.act({ type: 'hover', id: idOf(obs, 'hover', 'Products') });
    obs = await run.observe();
    const phones = idOf(obs, 'link', 'Phones');
    await run.act({ type: 'click', id: phones });
    expect(await run.page().textContent('#picked')).toBe('You picked phones');

    await run.goto(`${h.server.url}/dragdrop.html`);
    obs = await run.observe();
    const drag = await run.act({
      type: 'drag_and_drop',
      from: idOf(obs, 'draggable', 'Write report'),
      to: idOf(obs, 'dropzone', /^Done column/),
    });
    expect(drag.ok).toBe(true);
    expect(await run.page().textContent('#status')).toBe('Done: Write report');

    await run.goto(`${h.server.url}/editor.html`);
    obs = await run.observe();
    const typed = await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'Message body'),
      text: 'Hello team',
    });
    expect(typed.value).toBe('Hello team');
    // A bare contenteditable (no role): its old text is replaced.
    const signed = await run.act({
      type: 'input_text',
      id: idOf(obs, 'editable', 'Signature'),
      text: 'Best, Ada',
    });
    expect(signed).toMatchObject({ ok: true, detail: 'typed', value: 'Best, Ada' });
    await run.act({ type: 'click', id: idOf(obs, 'button', 'Send message') });
    expect((await h.server.waitForSubmission('editor')).fields).toEqual({
      to: 'team@example.test',
      body: 'Hello team',
      signature: 'Best, Ada',
    });

    await run.goto(`${h.server.url}/table.html`);
    await run.page().getByText('Page 1 of 5').waitFor();
    obs = await run.observe();
    expect(obs.text).toContain('1 | Customer 1 | Lima | 3');
    await run.act({ type: 'click', id: idOf(obs, 'button', 'Next page') });
    obs = await run.observe();
    expect(obs.text).toContain('11 | Customer 11 | Lima | 33');
    expect(obs.text).toContain('Page 2 of 5');
  });

  it('clicks JS-only elements, covered buttons, hidden checkboxes, double and right click, keys', async () => {
    // Playwright's click waits this long for a covered button or a hidden checkbox before the
    // ladder steps in (3 s by default).
    const run = await h.openAt('clickables.html', { actionTimeoutMs: 1000 });
    const obs = await run.observe();
    const log = () => run.page().textContent('#log');
    await run.act({ type: 'click', id: idOf(obs, 'clickable', 'details') });
    expect(await log()).toBe('last: details');
    await run.act({ type: 'click', id: idOf(obs, 'clickable', '♥ Like') });
    expect(await log()).toBe('last: like');
    await run.act({ type: 'click', id: idOf(obs, 'button', 'Archive') });
    expect(await log()).toBe('last: archive');
    const covered = await run.act({ type: 'click', id: idOf(obs, 'button', 'Covered action') });
    expect(covered.detail).toMatch(/JS click/);
    expect(await log()).toBe('last: covered');
    const remember = await run.act({
      type: 'set_checked',
      id: idOf(obs, 'checkbox', 'Remember me'),
      checked: true,
    });
    expect(remember).toMatchObject({ ok: true, detail: 'clicked its label', value: 'true' });
    expect(await log()).toBe('last: remember true');
    expect(await run.page().isChecked('#remember')).toBe(true);
    await run.page().evaluate(() => {
      document.getElementById('log')!.textContent = 'untouched';
    });
    const twice = await run.act({
      type: 'set_checked',
      id: idOf(obs, 'checkbox', 'Remember me'),
      checked: true,
    });
    expect(twice.detail).toBe('already checked');
    expect(await log()).toBe('untouched');
    expect(await run.page().isChecked('#remember')).toBe(true);
    const sw = idOf(obs, 'switch', 'Dark mode');
    await run.act({ type: 'set_checked', id: sw, checked: true });
    expect(await run.page().getAttribute('#dark', 'aria-checked')).toBe('true');
    await run.act({ type: 'double_click', id: idOf(obs, 'button', 'Double-click me') });
    expect(await log()).toBe('last: double');
    await run.act({ type: 'right_click', id: idOf(obs, 'clickable', 'Right-click me') });
    expect(await log()).toBe('last: context menu');
    await run.act({ type: 'keypress', id: idOf(obs, 'textbox', 'Shortcut field'), keys: 'ctrl+k' });
    expect(await log()).toBe('last: ctrl+k');
    // Combinations go to whatever has focus when no id is given.
    await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'Shortcut field'),
      text: 'abc def',
    });
    await run.act({ type: 'keypress', keys: 'Control+Backspace' });
    expect(await run.page().inputValue('#keys')).toBe('abc ');
    await run.act({ type: 'keypress', keys: 'Shift+Home' });
    await run.act({ type: 'keypress', keys: 'Delete' });
    expect(await run.page().inputValue('#keys')).toBe('');
    await run.act({ type: 'click', id: idOf(obs, 'button', 'More options') });
    const again = await run.observe();
    expect(again.text).toMatch(/\[\d+\] button "More options" expanded/);
    expect(again.newIds).toEqual([idOf(again, 'link', 'Extra help')]);
    const far = await run.act({ type: 'click', id: idOf(again, 'button', 'Far below') });
    expect(far.ok).toBe(true);
    expect(await log()).toBe('last: far');
    const wait = await run.act({ type: 'wait', text: 'last: far' });
    expect(wait.ok).toBe(true);
    const pause = await run.act({ type: 'wait', ms: 50 });
    expect(pause.durationMs).toBeGreaterThanOrEqual(50);
    await run.act({ type: 'click', id: idOf(again, 'button', 'Shipping info') });
    expect((await run.observe()).text).toContain('Ships in 3 days');
    await run.act({ type: 'click', id: idOf(again, 'clickable', 'details'), modifiers: ['Shift'] });
    expect(await log()).toBe('last: details');
  });

  it('navigates with goto, back, forward, reload and expands link aliases', async () => {
    const run = await h.openAt('clickables.html');
    const obs = await run.observe();
    const alias = Object.keys(obs.urlMap)[0]!;
    expect(obs.urlMap[alias]).toContain('/search/results?query=very+long+search+terms');
    const g = await run.act({ type: 'goto', url: alias });
    expect(g.effects.urlAfter).toBe(obs.urlMap[alias]);
    const back = await run.act({ type: 'back' });
    expect(back.effects.urlAfter).toContain('clickables.html');
    const fwd = await run.act({ type: 'forward' });
    expect(fwd.effects.urlAfter).toContain('/search/results');
    await run.act({ type: 'back' });
    let page = await run.observe();
    await run.act({ type: 'click', id: idOf(page, 'button', 'More options') });
    page = await run.observe();
    expect(page.text).toMatch(/button "More options" expanded/);
    const reloaded = await run.act({ type: 'reload' });
    expect(reloaded.ok).toBe(true);
    page = await run.observe();
    // A fresh document: the menu is closed again and nothing counts as new.
    expect(page.text).toMatch(/button "More options" collapsed/);
    expect(page.text).not.toContain('Extra help');
    expect(page.newIds).toEqual([]);
    const blocked = await run.act({
      type: 'goto',
      url: 'http://169.254.169.254/latest/meta-data/',
    });
    expect(blocked.error?.kind).toBe('navigation_blocked');
  });
});

describe('clicks from the mouse wait for the navigation they start', () => {
  it('waits past the settle time for a slow page, and does not wait for a 204 or a download', async () => {
    // A 1 s settle budget (3 s by default) lets a 3 s page outlast it.
    const run = await h.openAt('index.html', { navigationTimeoutMs: 20_000, settleMaxMs: 1000 });
    const base = h.server.url;
    const html = `
      <a href="${base}/api/slow?ms=3000">Slow page</a>
      <a href="${base}/api/no-content">Nothing</a>
      <a href="${base}/api/download/report.csv">Report</a>
      <form action="${base}/api/slow" method="get">
        <input type="hidden" name="ms" value="3000"><label>Search <input name="q"></label>
      </form>
      <form action="${base}/api/slow" method="get">
        <input type="hidden" name="ms" value="500">
        <label><input type="checkbox" name="now" onchange="this.form.submit()"> Apply now</label>
      </form>`;
    const show = async () => {
      await run.page().setContent(html);
      return run.observe();
    };
    let obs = await show();

    // The server answers after the executor's settle budget (1 s, a 0.4 s popup grace, 1 s
    // again): only the navigation barrier
    // (PageSession) keeps the action from returning on the old document.
    const slow = await run.act({ type: 'click', id: idOf(obs, 'link', 'Slow page') });
    expect(slow).toMatchObject({ ok: true, detail: 'clicked' });
    expect(slow.effects.navigated).toBe(true);
    expect(slow.effects.urlAfter).toBe(`${base}/api/slow?ms=3000`);
    expect((await run.observe()).text).toContain('Slow page arrived');

    obs = await show();
    const none = await run.act({ type: 'click', id: idOf(obs, 'link', 'Nothing') });
    expect(none.ok).toBe(true);
    expect(none.effects.navigated).toBe(false);
    // A navigation that never commits must not hold the action for the navigation timeout.
    expect(none.durationMs).toBeLessThan(10_000);

    const report = await run.act({ type: 'click', id: idOf(obs, 'link', 'Report') });
    expect(report.ok).toBe(true);
    expect(report.effects.downloads.map((d) => d.filename)).toEqual(['report.csv']);
    expect(report.durationMs).toBeLessThan(10_000);

    // Enter in a field submits through the keyboard: same wait.
    const search = await run.act({
      type: 'input_text',
      id: idOf(obs, 'textbox', 'Search'),
      text: 'lamp',
      submit: true,
    });
    expect(search.ok).toBe(true);
    expect(search.effects.urlAfter).toBe(`${base}/api/slow?ms=3000&q=lamp`);
    expect((await run.observe()).text).toContain('Slow page arrived');

    // A checkbox whose change submits its form. Setting a value waits for no rendered frame, so
    // here the navigation barrier alone holds the action until the new page commits.
    obs = await show();
    const apply = await run.act({
      type: 'set_checked',
      id: idOf(obs, 'checkbox', 'Apply now'),
      checked: true,
    });
    expect(apply.ok).toBe(true);
    expect(apply.effects.navigated).toBe(true);
    expect(apply.effects.urlAfter).toBe(`${base}/api/slow?ms=500&now=on`);
  });
});

describe("the 'navigation' settle mode (a replayed script's)", () => {
  it('waits for a navigation the click starts, but not for what a timer renders later', async () => {
    const run = await h.openAt('index.html', { navigationTimeoutMs: 20_000 });
    const base = h.server.url;
    const html = `
      <a href="${base}/api/slow?ms=1500">Slow page</a>
      <button onclick="setTimeout(() => { document.body.insertAdjacentHTML('beforeend', '<p>Later</p>'); }, 400)">Soon</button>`;
    await run.page().setContent(html);
    let obs = await run.observe();
    // Past the quiet wait's bound: the navigation barrier holds the action until the page commits.
    const slow = await run.act(
      { type: 'click', id: idOf(obs, 'link', 'Slow page') },
      { settle: 'navigation' },
    );
    expect(slow.ok).toBe(true);
    expect(slow.effects.navigated).toBe(true);
    expect(slow.effects.urlAfter).toBe(`${base}/api/slow?ms=1500`);
    expect((await run.observe()).text).toContain('Slow page arrived');

    await run.page().setContent(html);
    obs = await run.observe();
    const soon = await run.act(
      { type: 'click', id: idOf(obs, 'button', 'Soon') },
      { settle: 'navigation' },
    );
    expect(soon.ok).toBe(true);
    expect(soon.effects.settled).toBe(false);
    // The quiet wait (the default) would have waited for the 400 ms timer's paragraph.
    expect(await run.page().locator('text=Later').count()).toBe(0);
    const quiet = await run.act({ type: 'click', id: idOf(obs, 'button', 'Soon') });
    expect(quiet.ok).toBe(true);
    expect(await run.page().locator('text=Later').count()).toBeGreaterThan(0);
  });

  // A value set in place (fill, native select) waits for no frame in this mode (executor.ts,
  // settleNavigation): a change handler that navigates must still be followed to its page.
  it('follows the navigation a select or a filled field starts from its change handler', async () => {
    const run = await h.openAt('index.html', { navigationTimeoutMs: 20_000 });
    const base = h.server.url;
    await run.page().setContent(`
      <label>Go to <select onchange="location.href = this.value">
        <option value="">Choose…</option><option value="${base}/api/slow?ms=700">Slow page</option>
      </select></label>
      <label>Jump <input oninput="if (this.value === 'go') location.href = '${base}/api/slow?ms=700&from=field'"></label>`);
    let obs = await run.observe();
    const picked = await run.act(
      { type: 'select_option', id: idOf(obs, 'combobox', 'Go to'), label: 'Slow page' },
      { settle: 'navigation' },
    );
    expect(picked.ok).toBe(true);
    expect(picked.effects.urlAfter).toBe(`${base}/api/slow?ms=700`);
    expect(await run.page().textContent('h1')).toBe('Slow page arrived');

    // A select whose handler submits its form (a task, not a location change).
    await run.goto(`${base}/index.html`);
    await run.page().setContent(`
      <form action="${base}/api/slow" method="get"><input type="hidden" name="ms" value="600">
        <label>Sort <select name="sort" onchange="this.form.submit()">
          <option value="">Choose…</option><option value="new">Newest</option></select></label>
      </form>`);
    obs = await run.observe();
    const sorted = await run.act(
      { type: 'select_option', id: idOf(obs, 'combobox', 'Sort'), label: 'Newest' },
      { settle: 'navigation' },
    );
    expect(sorted.effects.urlAfter).toBe(`${base}/api/slow?ms=600&sort=new`);
    expect(await run.page().textContent('h1')).toBe('Slow page arrived');

    await run.goto(`${base}/index.html`);
    await run.page().setContent(`
      <label>Jump <input oninput="if (this.value === 'go') location.href = '${base}/api/slow?ms=700&from=field'"></label>`);
    obs = await run.observe();
    const typed = await run.act(
      { type: 'input_text', id: idOf(obs, 'textbox', 'Jump'), text: 'go' },
      { settle: 'navigation' },
    );
    expect(typed.effects.urlAfter).toBe(`${base}/api/slow?ms=700&from=field`);
    expect(await run.page().textContent('h1')).toBe('Slow page arrived');
  });
});
