/**
 * Recording a computer-use run for code mode (docs/code-mode.md). CUA engines act by coordinates;
 * each action is tied, at the moment it runs, to the element it works on: a click or a pointer
 * move to the element under the point, typing and keys to the focused element (browser layer:
 * `elementAt`/`focusedElement`, the nearest interactive ancestor and the DOM recorder's stable
 * selector). The entries are the ones the DOM engines' recorder writes, so compiling is shared:
 * text typed into a field right after a click on it is one fill of that field, text typed into a
 * `<select>` (and the Enter that commits it) one choice of the option it chose. An action with no
 * element (canvas, nothing interactive, drags and held buttons or keys, a scroll not followed by an
 * action on an element) is recorded as having no script form: the run compiles no script.
 * What an action caused is read when the next one starts (the page has settled then): a tab it
 * opened that became the working tab (`tabOpened`), a download it started on its tab (`download`),
 * as the DOM recorder marks them, so the replay follows the tab or waits for the file.
 */
import type { Page } from 'playwright-core';
import type { ComputerPrimitives, MouseButton, Point, TargetResult } from '../../browser/index.js';
import type { TrajectoryEntry } from '../../scripts/index.js';
import { type RecordedRun, recordedRun, within } from './record.js';

/** A tab as the recorder sees it: its URL, and the downloads started in it. */
export interface RecordedTab {
  url(): string;
  on(event: 'download', listener: () => void): unknown;
  off(event: 'download', listener: () => void): unknown;
}

/** What the recorder needs of the run's browser (RunBrowser has it). */
export interface CuaRecordingBrowser {
  elementAt(point: Point): Promise<TargetResult>;
  focusedElement(): Promise<TargetResult>;
  /** The working tab: a tab the page opens becomes it (the run's tab concern). */
  page(): RecordedTab;
  allPages(): readonly unknown[];
}

/** What the open entry's action may cause, watched from its start until the next action's. */
interface Effects {
  /** The working tab and the open tabs when the action started. */
  tab: RecordedTab;
  pages: readonly unknown[];
  downloaded: boolean;
  stop(): void;
}

const TOTP = '{{totp}}';
/** Keys that scroll the page when nothing is focused. */
const SCROLL_KEYS = new Set(['PageDown', 'PageUp', 'ArrowDown', 'ArrowUp', 'Home', 'End', ' ']);

type Target = Extract<TargetResult, { ok: true }>['target'];

export class CuaTrajectoryRecorder {
  readonly entries: TrajectoryEntry[] = [];
  /** URL of the page when each entry's action started (for `navigated`). */
  private readonly started = new WeakMap<TrajectoryEntry, string>();
  /** The last entry, whose `urlAfter` is read when the next action starts (the page settled). */
  private open: TrajectoryEntry | null = null;
  /** A scroll not yet followed by an action on an element. */
  private scrolled = false;
  /** A pointer move not yet followed by a click: a hover, unless a click follows. */
  private moved: TargetResult | null = null;
  /** A choice typed into a `<select>`, committed by the next Enter. */
  private choosing: TrajectoryEntry | null = null;
  /** What the open entry's action caused so far. */
  private effects: Effects | null = null;

  constructor(private readonly browser: CuaRecordingBrowser) {}

  /** `inner` with each coordinate action recorded before it runs. */
  computer(inner: ComputerPrimitives): ComputerPrimitives {
    const wrapped: Partial<ComputerPrimitives> = {
      click: (at, options) => this.click(inner, at, options),
      mouseMove: (to) => this.move(inner, to),
      mouseDown: (button) =>
        this.unmapped('a mouse button held at a point', () => inner.mouseDown(button)),
      mouseUp: (button) =>
        this.unmapped('a mouse button held at a point', () => inner.mouseUp(button)),
      drag: (path) => this.unmapped('a drag by coordinates', () => inner.drag(path)),
      scroll: (at, delta) => this.scroll(inner, at, delta),
      type: (text) => this.type(inner, text),
      keypress: (keys) => this.keypress(inner, keys),
      keyDown: (key) => this.unmapped(`the key ${key} held down`, () => inner.keyDown(key)),
    };
    return new Proxy(inner, {
      get(target, prop) {
        const own = (wrapped as Record<PropertyKey, unknown>)[prop];
        if (own) return own;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  private tab(): RecordedTab | null {
    try {
      return this.browser.page();
    } catch {
      return null;
    }
  }

  private url(): string {
    try {
      return this.tab()?.url() ?? '';
    } catch {
      return '';
    }
  }

  /** Watches, from now until the next action starts, for a tab opened or a download started. */
  private watchEffects(): void {
    this.effects?.stop();
    this.effects = null;
    const tab = this.tab();
    if (!tab) return;
    const effects: Effects = {
      tab,
      pages: this.browser.allPages(),
      downloaded: false,
      stop: () => tab.off('download', onDownload),
    };
    const onDownload = () => {
      effects.downloaded = true;
    };
    tab.on('download', onDownload);
    this.effects = effects;
  }

  /** The previous action is over: the page it led to is the one the next action starts on. */
  private settle(): void {
    const effects = this.effects;
    this.effects = null;
    effects?.stop();
    const open = this.open;
    if (!open) return;
    const url = this.url();
    open.urlAfter = url;
    open.navigated = url !== this.started.get(open);
    this.open = null;
    if (!effects) return;
    const now = this.tab();
    if (now && now !== effects.tab) {
      // The run went on in another tab: one the action opened (a target=_blank link, a
      // window.open), or the opener of a tab the action closed.
      open.tabChanged = true;
      if (!effects.pages.includes(now)) open.tabOpened = true;
    }
    if (effects.downloaded) {
      // A click replays waiting for the file; other steps would not wait for it.
      if (open.type === 'click') open.download = true;
      else if (open.ok) {
        open.type = 'other';
        open.text = 'a download started by a key or typed text, not by a click';
      }
    }
  }

  private push(entry: Omit<TrajectoryEntry, 'ok' | 'navigated' | 'urlAfter'>): TrajectoryEntry {
    const full: TrajectoryEntry = { ...entry, ok: true, navigated: false, urlAfter: '' };
    this.entries.push(full);
    this.started.set(full, this.url());
    this.open = full;
    this.choosing = null;
    this.watchEffects();
    return full;
  }

  /** `entry` replaces the last entry (a click that only focused the field typed into). */
  private replaceLast(entry: TrajectoryEntry, by: Partial<TrajectoryEntry>): TrajectoryEntry {
    const merged: TrajectoryEntry = { ...entry, ...by };
    this.entries[this.entries.length - 1] = merged;
    this.started.set(merged, this.started.get(entry) ?? '');
    this.open = merged;
    this.watchEffects();
    return merged;
  }

  private elementEntry(
    type: TrajectoryEntry['type'],
    t: Target,
    extra: Partial<TrajectoryEntry> = {},
  ): TrajectoryEntry {
    this.scrolled = false;
    return this.push({
      type,
      selector: t.selector,
      element: { role: t.role || t.tag, name: t.name },
      ...extra,
    });
  }

  private noScriptForm(reason: string): TrajectoryEntry {
    return this.push({ type: 'other', text: reason, selector: null, element: null });
  }

  /** Before an action that is not on an element: a pending move or scroll has no script form. */
  private flush(): void {
    this.hoverIfMoved();
    if (this.scrolled) {
      this.scrolled = false;
      this.noScriptForm('a scroll not followed by an action on an element');
    }
  }

  /** A pointer move not followed by a click: a hover on its element (or no script form). */
  private hoverIfMoved(): void {
    const moved = this.moved;
    this.moved = null;
    if (moved?.ok) this.elementEntry('hover', moved.target);
    else if (moved) this.noScriptForm(`a pointer move: ${moved.reason}`);
  }

  /** Runs the action; a failed one is marked so (compiling drops failed attempts). */
  private async run(entry: TrajectoryEntry | null, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (err) {
      if (entry) entry.ok = false;
      throw err;
    }
  }

  private async unmapped(reason: string, action: () => Promise<void>): Promise<void> {
    this.settle();
    this.flush();
    await this.run(this.noScriptForm(reason), action);
  }

  private last(): TrajectoryEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  /** The last entry was a plain click on this element that stayed on its page. */
  private clickedOn(selector: string): TrajectoryEntry | null {
    const last = this.last();
    return last?.type === 'click' &&
      last.ok &&
      !last.navigated &&
      !last.double &&
      !last.button &&
      last.selector === selector
      ? last
      : null;
  }

  private async click(
    inner: ComputerPrimitives,
    at: Point,
    options?: { button?: MouseButton; clickCount?: 1 | 2 | 3 },
  ): Promise<void> {
    const button = options?.button ?? 'left';
    const count = options?.clickCount ?? 1;
    // Found first: the page the element is on is the one the previous action led to.
    const found = button === 'middle' ? null : await this.browser.elementAt(at);
    this.settle();
    // A move right before a click is the pointer going there.
    this.moved = null;
    const where = `a click at (${Math.round(at.x)}, ${Math.round(at.y)})`;
    let entry: TrajectoryEntry;
    if (!found) entry = this.noScriptForm(`${where} with the middle button`);
    else {
      if (!found.ok) {
        this.flush();
        entry = this.noScriptForm(`${where}: ${found.reason}`);
      } else if (count === 3 && !found.target.takesText) {
        entry = this.noScriptForm(`${where}: a triple click outside a text field`);
      } else {
        // A triple click in a field selects its text for typing over: a click, as the fill replaces.
        entry = this.elementEntry('click', found.target, {
          ...(button === 'right' ? { button: 'right' as const } : {}),
          ...(count === 2 ? { double: true } : {}),
        });
      }
    }
    await this.run(entry, () => inner.click(at, options));
  }

  private async move(inner: ComputerPrimitives, to: Point): Promise<void> {
    const found = await this.browser.elementAt(to);
    this.settle();
    this.flush();
    this.moved = found;
    await inner.mouseMove(to);
  }

  private async scroll(
    inner: ComputerPrimitives,
    at: Point,
    delta: { dx: number; dy: number },
  ): Promise<void> {
    this.settle();
    this.hoverIfMoved();
    // Playwright scrolls to each element it acts on: a scroll before one needs no step.
    this.scrolled = true;
    await inner.scroll(at, delta);
  }

  private async type(inner: ComputerPrimitives, text: string): Promise<void> {
    const focused = await this.browser.focusedElement();
    this.settle();
    this.hoverIfMoved();
    const entry = this.typedEntry(text, focused);
    await this.run(entry, () => inner.type(text));
    if (entry && text.includes(TOTP) && /\n\s*$/.test(text)) {
      // The secrets layer presses Enter after a code typed with a line break.
      this.settle();
      this.push({ type: 'keypress', keys: 'Enter', selector: null, element: null });
    }
  }

  private typedEntry(text: string, focused: TargetResult): TrajectoryEntry {
    if (text.includes(TOTP)) {
      if (text.trim() !== TOTP) return this.noScriptForm('a one-time code typed with other text');
      if (!focused.ok) {
        this.flush();
        return this.push({ type: 'enter_code', selector: null, element: null });
      }
      const click = this.clickedOn(focused.target.selector);
      if (click) return this.replaceLast(click, { type: 'enter_code' });
      return this.elementEntry('enter_code', focused.target);
    }
    if (!focused.ok) {
      this.flush();
      return this.noScriptForm(`typing with no field focused (${focused.reason})`);
    }
    const t = focused.target;
    if (t.select) {
      const label = text.trim();
      const click = this.clickedOn(t.selector);
      const entry = click
        ? this.replaceLast(click, { type: 'select_option', labels: [label] })
        : this.elementEntry('select_option', t, { labels: [label] });
      this.choosing = entry;
      return entry;
    }
    if (!t.takesText)
      return this.noScriptForm(`typing into the ${t.role || t.tag} ${JSON.stringify(t.name)}`);
    const submit = /\n$/.test(text);
    const value = submit ? text.slice(0, -1) : text;
    if (value.includes('\n') && t.tag === 'input')
      return this.noScriptForm('a line break typed into a one-line field');
    const last = this.last();
    if (
      last?.type === 'input_text' &&
      last.ok &&
      !last.submit &&
      !last.navigated &&
      last.selector === t.selector
    ) {
      // More keystrokes into the field just typed into.
      return this.replaceLast(last, {
        text: `${last.text ?? ''}${value}`,
        ...(submit ? { submit: true } : {}),
      });
    }
    if (t.keepsText)
      return this.noScriptForm(
        `typing into the ${t.role || t.tag} ${JSON.stringify(t.name)}, which holds text a script would replace`,
      );
    const fields = { text: value, typed: true, ...(submit ? { submit: true } : {}) };
    const click = this.clickedOn(t.selector);
    if (click) return this.replaceLast(click, { type: 'input_text', ...fields });
    return this.elementEntry('input_text', t, fields);
  }

  private async keypress(inner: ComputerPrimitives, keys: string[]): Promise<void> {
    const combo = keys.join('+');
    const choosing = this.choosing;
    if (choosing && combo === 'Enter') {
      this.settle();
      // The Enter that commits a choice typed into a <select>: the option it chose is the label.
      // The select's step is open again while it runs: a page, tab or download that Enter
      // leads to is that step's effect (a download leaves the run uncompiled, as for any key).
      this.open = choosing;
      this.watchEffects();
      await this.run(choosing, () => inner.keypress(keys));
      const now = await within(this.browser.focusedElement(), 5_000);
      if (now?.ok && now.target.selector === choosing.selector && now.target.choice)
        choosing.labels = [now.target.choice];
      this.choosing = null;
      return;
    }
    const focused = await this.browser.focusedElement();
    this.settle();
    this.hoverIfMoved();
    let entry: TrajectoryEntry | null = null;
    if (focused.ok) {
      const last = this.last();
      if (
        combo === 'Enter' &&
        last?.type === 'input_text' &&
        last.ok &&
        !last.submit &&
        !last.navigated &&
        last.selector === focused.target.selector
      )
        entry = this.replaceLast(last, { submit: true });
      else entry = this.elementEntry('keypress', focused.target, { keys: combo });
    } else if (SCROLL_KEYS.has(combo)) this.scrolled = true;
    else {
      this.flush();
      entry = this.push({ type: 'keypress', keys: combo, selector: null, element: null });
    }
    await this.run(entry, () => inner.keypress(keys));
  }

  /** Called once the run completed, on the final page, before the browser closes. */
  async finish(output: unknown, schema: unknown, page: Page | null): Promise<RecordedRun> {
    this.settle();
    this.flush();
    this.settle();
    return recordedRun(this.entries, this.url(), output, schema, page);
  }
}
