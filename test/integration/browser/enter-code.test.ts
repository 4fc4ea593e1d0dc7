import { describe, expect, it } from 'vitest';
import { idOf, useBrowserHarness } from '../../support/browser-harness.js';

const h = useBrowserHarness();

/** Boxes without any script: nothing moves the focus, so only one-per-box entry fills them. */
const plainBoxes = (n: number) =>
  `<form><label>Code</label>${Array.from(
    { length: n },
    (_, i) => `<input maxlength="1" inputmode="numeric" aria-label="Digit ${i + 1}">`,
  ).join('')}<button>Verify</button></form>`;

describe('enter_code', () => {
  it('types one digit per box into plain boxes, and observations show them as dots', async () => {
    const run = await h.open();
    await run.page().setContent(plainBoxes(6));
    const obs = await run.observe();
    const result = await run.act({
      type: 'enter_code',
      id: idOf(obs, 'textbox', 'Digit 1'),
      text: '402913',
    });
    expect(result.ok, result.error?.message).toBe(true);
    expect(result.detail).toBe('typed one character into each of 6 boxes');
    expect(result.value).toBeUndefined();
    const values = await run
      .page()
      .$$eval('input', (els) => els.map((e) => (e as HTMLInputElement).value));
    expect(values).toEqual(['4', '0', '2', '9', '1', '3']);
    const after = await run.observe();
    expect(after.text).toContain('textbox "Digit 3" type=text value="•"');
    expect(after.text).not.toMatch(/value="\d"/);
  });

  it('draws the typed boxes as dots, so no screenshot shows a digit', async () => {
    const run = await h.open();
    const box = (i: number) =>
      `<input maxlength="1" aria-label="Digit ${i}" style="width:40px;height:40px;font:24px monospace;margin:0 8px 0 0;box-sizing:border-box">`;
    await run.page().setContent(`<form>${[1, 2, 3, 4, 5, 6].map(box).join('')}</form>`);
    const obs = await run.observe();
    const result = await run.act({
      type: 'enter_code',
      id: idOf(obs, 'textbox', 'Digit 1'),
      text: '402913',
    });
    expect(result.ok, result.error?.message).toBe(true);
    const inputs = await run.page().$$('input');
    const shot = async (i: number) => (await inputs[i]!.screenshot()).toString('base64');
    // The 4 in the first box and the 9 in the fourth look the same: a dot.
    expect(await shot(0)).toBe(await shot(3));
    // Without the mask the same box shows its digit.
    const masked = await shot(0);
    await inputs[0]!.evaluate((e) =>
      (e as HTMLElement).style.removeProperty('-webkit-text-security'),
    );
    expect(await shot(0)).not.toBe(masked);
  });

  it('finds the code field by itself (or takes the focused input) when no id is given', async () => {
    const run = await h.open();
    await run
      .page()
      .setContent(
        '<label>Promo code <input name="promo"></label><label>Verification code <input name="otp" autocomplete="one-time-code" maxlength="6"></label>',
      );
    const found = await run.act({ type: 'enter_code', text: '551204' });
    expect(found.ok, found.error?.message).toBe(true);
    expect(await run.page().inputValue('input[name=otp]')).toBe('551204');
    expect(await run.page().inputValue('input[name=promo]')).toBe('');
    expect((await run.observe()).text).toContain('value="••••••"');

    await run.page().focus('input[name=promo]');
    const focused = await run.act({ type: 'enter_code', text: '777' });
    expect(focused.ok).toBe(true);
    expect(await run.page().inputValue('input[name=promo]')).toBe('777');
  });

  it('accepts a page that submits by itself after the last box, or formats the code', async () => {
    const run = await h.open();
    await run.page().setContent(
      `${plainBoxes(6)}<script>
        const boxes = [...document.querySelectorAll('input')];
        boxes[5].addEventListener('input', () => { location.href = 'about:blank#sent'; });
      </script>`,
    );
    const obs = await run.observe();
    const result = await run.act({
      type: 'enter_code',
      id: idOf(obs, 'textbox', 'Digit 1'),
      text: '402913',
    });
    expect(result.ok, result.error?.message).toBe(true);
    await run.page().waitForURL('about:blank#sent');

    await run.page().setContent(
      `<label>Verification code <input name="otp" autocomplete="one-time-code"></label><script>
        const f = document.querySelector('input');
        f.addEventListener('input', () => {
          const d = f.value.replace(/\\D/g, '');
          f.value = d.length > 3 ? d.slice(0, 3) + ' ' + d.slice(3) : d;
        });
      </script>`,
    );
    const formatted = await run.act({ type: 'enter_code', text: '551204' });
    expect(formatted.ok, formatted.error?.message).toBe(true);
    expect(await run.page().inputValue('input')).toBe('551 204');
  });

  it('refuses a code whose length does not match the boxes, without echoing it', async () => {
    const run = await h.open();
    await run.page().setContent(plainBoxes(4));
    const obs = await run.observe();
    const result = await run.act({
      type: 'enter_code',
      id: idOf(obs, 'textbox', 'Digit 1'),
      text: '402913',
    });
    expect(result.ok).toBe(false);
    expect(result.error?.kind).toBe('invalid_action');
    expect(result.error?.message).toContain('the page has 4 boxes');
    expect(result.error?.message).not.toContain('402913');
  });
});
