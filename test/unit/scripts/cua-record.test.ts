/**
 * docs/code-mode.md "Computer-use runs": which element a coordinate action is tied to
 * (pickTarget), and how a computer-use run's actions become script steps (CuaTrajectoryRecorder,
 * then compileScript), on a fake page: fields, a select, a checkbox label, a canvas, scrolls, a
 * link that opens a tab, a link that downloads.
 */
import { describe, expect, it } from 'vitest';
import {
  type ComputerPrimitives,
  type HitNode,
  type Point,
  type PointTarget,
  pickTarget,
  type TargetResult,
} from '../../../src/browser/index.js';
import { CuaTrajectoryRecorder } from '../../../src/engines/script/record-cua.js';
import { compileScript } from '../../../src/scripts/index.js';

const node = (tag: string, extra: Partial<HitNode> = {}): HitNode => ({
  tag,
  role: '',
  type: '',
  editable: false,
  href: false,
  focusable: false,
  labelControl: false,
  ...extra,
});

describe('pickTarget: the element a point is on', () => {
  it('walks from the hit element to the nearest interactive ancestor', () => {
    // <button><span><b>Next</b></span></button>
    expect(
      pickTarget([node('b'), node('span'), node('button'), node('form'), node('body')]),
    ).toEqual({ index: 2, viaLabel: false });
    expect(pickTarget([node('span'), node('a', { href: true }), node('body')])).toEqual({
      index: 1,
      viaLabel: false,
    });
    expect(pickTarget([node('div', { role: 'button' }), node('body')])).toEqual({
      index: 0,
      viaLabel: false,
    });
    expect(pickTarget([node('p'), node('div', { editable: true })])).toEqual({
      index: 1,
      viaLabel: false,
    });
    expect(pickTarget([node('div', { focusable: true }), node('body')])).toEqual({
      index: 0,
      viaLabel: false,
    });
  });

  it('a label with a control stands for the control; the input itself is its own target', () => {
    expect(pickTarget([node('span'), node('label', { labelControl: true }), node('body')])).toEqual(
      { index: 1, viaLabel: true },
    );
    expect(pickTarget([node('input', { type: 'checkbox' }), node('label')])).toEqual({
      index: 0,
      viaLabel: false,
    });
  });

  it('canvas, frames, plain text and the page itself have no element', () => {
    expect(pickTarget([node('canvas'), node('div'), node('body')])).toEqual({
      reason: 'the point is on a canvas (its contents are no elements)',
    });
    expect(pickTarget([node('iframe'), node('body')])).toEqual({
      reason: 'the point is on a frame',
    });
    expect(pickTarget([node('p'), node('main'), node('body'), node('html')])).toEqual({
      reason: 'the point is on no interactive element',
    });
    expect(pickTarget([node('a'), node('body')])).toEqual({
      reason: 'the point is on no interactive element',
    });
    expect(pickTarget([node('body'), node('html')])).toEqual({ reason: 'no element there' });
    expect(pickTarget([])).toEqual({ reason: 'no element there' });
  });
});

const target = (role: string, name: string, extra: Partial<PointTarget> = {}): PointTarget => ({
  selector: `role=${role}[name=${JSON.stringify(name)}]`,
  role,
  name,
  tag: role === 'textbox' ? 'input' : role === 'combobox' ? 'select' : role,
  takesText: role === 'textbox',
  select: role === 'combobox',
  keepsText: false,
  choice: null,
  ...extra,
});

interface Region {
  at: Point;
  found: TargetResult;
  /** Where a click here leads. */
  goes?: string;
  /** A click here opens a tab at this URL, which becomes the working tab. */
  opens?: string;
  /** A click here starts a download in the tab. */
  downloads?: true;
}

/** A tab: its URL and its download listeners. */
class FakeTab {
  readonly listeners = new Set<() => void>();
  constructor(public at: string) {}
  url = () => this.at;
  on = (_event: 'download', listener: () => void) => this.listeners.add(listener);
  off = (_event: 'download', listener: () => void) => this.listeners.delete(listener);
  download(): void {
    for (const l of this.listeners) l();
  }
}

/** A page of regions: clicks focus fields and may navigate; typing fills the focused field. */
class FakePage {
  readonly tabs = [new FakeTab('https://shop.test/signup')];
  active = this.tabs[0] as FakeTab;
  /** Enter starts a download (a form whose answer is a file). */
  enterDownloads = false;
  focus: PointTarget | null = null;
  values = new Map<string, string>();
  readonly done: string[] = [];

  constructor(private readonly regions: Region[]) {}

  private region(p: Point): Region | undefined {
    return this.regions.find((r) => r.at.x === p.x && r.at.y === p.y);
  }

  browser() {
    return {
      elementAt: async (p: Point): Promise<TargetResult> =>
        this.region(p)?.found ?? { ok: false, reason: 'the point is on no interactive element' },
      focusedElement: async (): Promise<TargetResult> => {
        if (!this.focus) return { ok: false, reason: 'nothing is focused' };
        const value = this.values.get(this.focus.selector) ?? '';
        return {
          ok: true,
          target: {
            ...this.focus,
            keepsText: this.focus.takesText && value.length > 0,
            choice: this.focus.select ? value || null : null,
          },
        };
      },
      page: () => this.active,
      allPages: () => [...this.tabs],
    };
  }

  computer(): ComputerPrimitives {
    const act = async (what: string) => {
      this.done.push(what);
    };
    return {
      click: async (p: Point) => {
        const r = this.region(p);
        this.focus =
          r?.found.ok && (r.found.target.takesText || r.found.target.select)
            ? r.found.target
            : null;
        if (r?.goes) this.active.at = r.goes;
        if (r?.downloads) this.active.download();
        if (r?.opens) {
          this.active = new FakeTab(r.opens);
          this.tabs.push(this.active);
        }
        await act(`click ${p.x},${p.y}`);
      },
      type: async (text: string) => {
        if (this.focus?.select) this.values.set(this.focus.selector, `pending:${text}`);
        else if (this.focus)
          this.values.set(this.focus.selector, (this.values.get(this.focus.selector) ?? '') + text);
        await act(`type ${text}`);
      },
      keypress: async (keys: string[]) => {
        const f = this.focus;
        const v = f ? this.values.get(f.selector) : undefined;
        if (f?.select && v?.startsWith('pending:')) this.values.set(f.selector, 'Pro');
        if (this.enterDownloads && keys.join('+') === 'Enter') this.active.download();
        await act(`key ${keys.join('+')}`);
      },
      scroll: () => act('scroll'),
      mouseMove: () => act('move'),
      drag: () => act('drag'),
      mouseDown: () => act('down'),
      mouseUp: () => act('up'),
      keyDown: () => act('keydown'),
      keyUp: () => act('keyup'),
    } as unknown as ComputerPrimitives;
  }
}

const ok = (t: PointTarget): TargetResult => ({ ok: true, target: t });
const NAME = { x: 10, y: 10 };
const EMAIL = { x: 10, y: 40 };
const NEXT = { x: 10, y: 70 };
const PLAN = { x: 10, y: 100 };
const TERMS = { x: 10, y: 130 };
const PASSWORD = { x: 10, y: 160 };
const CANVAS = { x: 300, y: 300 };
const NEW_ORDER = { x: 10, y: 190 };
const REPORT = { x: 10, y: 220 };

function signUpPage(): FakePage {
  return new FakePage([
    { at: NAME, found: ok(target('textbox', 'Full name')) },
    { at: EMAIL, found: ok(target('textbox', 'Email')) },
    { at: NEXT, found: ok(target('button', 'Next')), goes: 'https://shop.test/signup-2?x=1' },
    { at: PLAN, found: ok(target('combobox', 'Plan')) },
    { at: TERMS, found: ok(target('checkbox', 'I accept the terms')) },
    { at: PASSWORD, found: ok(target('textbox', 'Password')) },
    { at: CANVAS, found: { ok: false, reason: 'the point is on a canvas' } },
    {
      at: NEW_ORDER,
      found: ok(target('link', 'Place a new order')),
      opens: 'https://shop.test/order?new=1',
    },
    { at: REPORT, found: ok(target('link', 'Download report (CSV)')), downloads: true },
  ]);
}

const PROMPT = 'Sign up as Ada Lovelace (ada@example.com) on the Pro plan.';

async function recordRun(page: FakePage, drive: (c: ComputerPrimitives) => Promise<void>) {
  const recorder = new CuaTrajectoryRecorder(page.browser());
  await drive(recorder.computer(page.computer()));
  const recorded = await recorder.finish({ answer: 'done' }, null, null);
  return {
    recorded,
    compiled: compileScript({
      engine: 'openai-cua',
      prompt: PROMPT,
      startUrl: 'https://shop.test/signup',
      schema: null,
      output: { answer: 'done' },
      trajectory: recorded.trajectory,
      finalUrl: recorded.finalUrl,
      extraction: recorded.extraction,
    }),
  };
}

describe('CuaTrajectoryRecorder: coordinate actions as script steps', () => {
  it('compiles clicks and typing into fills, a typed choice into a select, and waits for the next page', async () => {
    const page = signUpPage();
    const { compiled } = await recordRun(page, async (c) => {
      await c.click(NAME);
      await c.type('Ada ');
      await c.type('Lovelace');
      await c.click(EMAIL);
      await c.type('ada@example.com');
      await c.scroll(NAME, { dx: 0, dy: 300 }); // reveals the next element: no step
      await c.click(NEXT);
      await c.click(PLAN);
      await c.type('Pr');
      await c.keypress(['Enter']);
      await c.click(TERMS);
    });
    // Every action ran, in order, on the real computer.
    expect(page.done).toEqual([
      'click 10,10',
      'type Ada ',
      'type Lovelace',
      'click 10,40',
      'type ada@example.com',
      'scroll',
      'click 10,70',
      'click 10,100',
      'type Pr',
      'key Enter',
      'click 10,130',
    ]);
    if (!compiled.ok) throw new Error(compiled.reason);
    expect(compiled.body.steps).toEqual([
      {
        kind: 'fill',
        selector: 'role=textbox[name="Full name"]',
        intention: 'type the full_name into the textbox "Full name"',
        value: { param: 'full_name' },
        typed: true,
      },
      {
        kind: 'fill',
        selector: 'role=textbox[name="Email"]',
        intention: 'type the email into the textbox "Email"',
        value: { param: 'email' },
        typed: true,
      },
      {
        kind: 'click',
        selector: 'role=button[name="Next"]',
        intention: 'click the button "Next"',
      },
      {
        kind: 'wait_for_url',
        urlPattern: 'https://shop.test/signup-2',
        intention: expect.any(String),
      },
      {
        kind: 'select',
        selector: 'role=combobox[name="Plan"]',
        intention: 'choose the plan in the combobox "Plan"',
        // The option the typed "Pr" chose, as the page committed it on Enter.
        labels: [{ param: 'plan' }],
      },
      {
        kind: 'click',
        selector: 'role=checkbox[name="I accept the terms"]',
        intention: 'click the checkbox "I accept the terms"',
      },
    ]);
    expect(compiled.signature.promptTemplate).toBe(
      'Sign up as {full_name} ({email}) on the {plan} plan.',
    );
    expect(compiled.signature.engine).toBe('openai-cua');
  });

  it('keeps secrets as placeholders and the one-time code as its step; Enter after typing submits', async () => {
    const page = signUpPage();
    const { compiled } = await recordRun(page, async (c) => {
      await c.click(PASSWORD);
      await c.type('{{secret:password}}');
      await c.keypress(['Enter']);
      await c.click(NAME);
      await c.type('{{totp}}');
    });
    if (!compiled.ok) throw new Error(compiled.reason);
    expect(compiled.body.steps).toEqual([
      expect.objectContaining({
        kind: 'fill',
        selector: 'role=textbox[name="Password"]',
        value: { param: 'password' },
        submit: true,
      }),
      expect.objectContaining({ kind: 'enter_code', selector: 'role=textbox[name="Full name"]' }),
    ]);
    expect(compiled.body.parameters).toEqual([
      { name: 'password', example: null, secret: true, placeholder: '{{secret:password}}' },
      { name: 'totp', example: null, secret: true, placeholder: '{{totp}}' },
    ]);
    expect(JSON.stringify(compiled.body)).not.toMatch(/hunter|[0-9]{6}/);
  });

  it('a click on a field that is not typed into stays a click; keys go to the focused element', async () => {
    const { compiled } = await recordRun(signUpPage(), async (c) => {
      await c.click(NAME);
      await c.keypress(['Tab']);
      await c.keypress(['Escape']);
    });
    if (!compiled.ok) throw new Error(compiled.reason);
    expect(compiled.body.steps.map((s) => [s.kind, 'selector' in s ? s.selector : null])).toEqual([
      ['click', 'role=textbox[name="Full name"]'],
      ['press', 'role=textbox[name="Full name"]'],
      ['press', 'role=textbox[name="Full name"]'],
    ]);
  });

  it('a click that opens a tab the run goes on in replays following that tab', async () => {
    const page = signUpPage();
    const { recorded, compiled } = await recordRun(page, async (c) => {
      await c.click(NEW_ORDER);
      await c.click(NAME);
      await c.type('Ada Lovelace');
      await c.click(NEXT);
    });
    expect(page.tabs.map((t) => t.at)).toEqual([
      'https://shop.test/signup',
      'https://shop.test/signup-2?x=1',
    ]);
    expect(recorded.trajectory[0]).toMatchObject({
      type: 'click',
      tabChanged: true,
      tabOpened: true,
      urlAfter: 'https://shop.test/order?new=1',
    });
    if (!compiled.ok) throw new Error(compiled.reason);
    expect(compiled.body.steps).toEqual([
      {
        kind: 'click',
        selector: 'role=link[name="Place a new order"]',
        intention: 'click the link "Place a new order"',
        opensTab: true,
      },
      {
        kind: 'wait_for_url',
        urlPattern: 'https://shop.test/order',
        intention: expect.any(String),
      },
      expect.objectContaining({ kind: 'fill', value: { param: 'full_name' } }),
      expect.objectContaining({ kind: 'click', selector: 'role=button[name="Next"]' }),
      {
        kind: 'wait_for_url',
        urlPattern: 'https://shop.test/signup-2',
        intention: expect.any(String),
      },
    ]);
    expect(compiled.body.steps.filter((s) => 'opensTab' in s)).toHaveLength(1);
  });

  it('a click that starts a download replays waiting for the file; its listener is removed', async () => {
    const page = signUpPage();
    const { compiled } = await recordRun(page, async (c) => {
      await c.click(REPORT);
      await c.click(TERMS);
    });
    if (!compiled.ok) throw new Error(compiled.reason);
    expect(compiled.body.steps).toEqual([
      {
        kind: 'click',
        selector: 'role=link[name="Download report (CSV)"]',
        intention: 'click the link "Download report (CSV)"',
        download: true,
      },
      {
        kind: 'click',
        selector: 'role=checkbox[name="I accept the terms"]',
        intention: 'click the checkbox "I accept the terms"',
      },
    ]);
    expect(page.active.listeners.size).toBe(0);
  });

  it('leaves the run uncompiled for a download started by a key (its step would not wait)', async () => {
    const page = signUpPage();
    page.enterDownloads = true;
    const { compiled } = await recordRun(page, async (c) => {
      await c.click(NAME);
      await c.type('Ada Lovelace');
      await c.keypress(['Enter']);
    });
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.reason).toMatch(/download started by a key/);
  });

  it('also for the Enter that commits a choice typed into a select', async () => {
    const page = signUpPage();
    const { compiled: plain } = await recordRun(page, async (c) => {
      await c.click(NEXT);
      await c.click(PLAN);
      await c.type('Pr');
      await c.keypress(['Enter']);
    });
    if (!plain.ok) throw new Error(plain.reason);
    expect(plain.body.steps.at(-1)).toMatchObject({ kind: 'select', labels: [{ param: 'plan' }] });

    const downloading = signUpPage();
    downloading.enterDownloads = true;
    const { compiled } = await recordRun(downloading, async (c) => {
      await c.click(NEXT);
      await c.click(PLAN);
      await c.type('Pr');
      await c.keypress(['Enter']);
    });
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.reason).toMatch(/download started by a key/);
  });

  const uncompiled: [string, (c: ComputerPrimitives) => Promise<void>, RegExp][] = [
    ['a click on a canvas', (c) => c.click(CANVAS), /canvas/],
    ['a click on no interactive element', (c) => c.click({ x: 1, y: 1 }), /no interactive element/],
    ['a drag by coordinates', (c) => c.drag([NAME, EMAIL]), /drag by coordinates/],
    [
      'a scroll that reveals nothing the run acts on',
      async (c) => {
        await c.click(NEXT);
        await c.scroll(NAME, { dx: 0, dy: 500 });
      },
      /scroll not followed/,
    ],
    ['typing with nothing focused', (c) => c.type('hello'), /no field focused/],
    [
      'typing into a field that holds text',
      async (c) => {
        await c.click(NAME);
        await c.type('Ada');
        await c.click(EMAIL);
        await c.click(NAME);
        await c.type(' Lovelace');
      },
      /holds text/,
    ],
    [
      'a click with a key held',
      async (c) => {
        await c.keyDown('Control');
        await c.click(NEXT);
      },
      /Control held down/,
    ],
  ];
  for (const [what, drive, why] of uncompiled) {
    it(`leaves the run uncompiled for ${what}`, async () => {
      const { compiled } = await recordRun(signUpPage(), drive);
      expect(compiled.ok).toBe(false);
      if (!compiled.ok) expect(compiled.reason).toMatch(why);
    });
  }
});
