/**
 * Whether the run can still drive its browser: a crashed renderer, a dead browser process or a
 * closed run each fail the next use with a typed error; a crashed tab is replaced on request.
 */
import type { Page } from 'playwright-core';
import { BrowserError } from '../errors.js';
import type { RunEvents } from './events.js';
import type { Tabs } from './tabs.js';

export class CrashRecovery {
  /** URL of the tab whose renderer crashed, until recovered. */
  private crashed: string | null = null;
  private disconnected = false;
  private closedRun = false;

  constructor(private readonly events: RunEvents) {}

  /** Notes the tab's renderer crash from now on; returns the listener removal. */
  watch(page: Page): () => void {
    const onCrash = () => {
      this.crashed = page.url();
      this.events.emit({ type: 'crash', url: page.url() });
    };
    page.on('crash', onCrash);
    return () => page.off('crash', onCrash);
  }

  /** The browser process died (reported once). */
  browserDisconnected(): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.events.emit({ type: 'browser_disconnected' });
  }

  markClosed(): void {
    this.closedRun = true;
  }

  get closed(): boolean {
    return this.closedRun;
  }

  /** Fails with a typed error when the run can no longer drive its browser. */
  assertUsable(): void {
    if (this.closedRun) throw new BrowserError('closed', 'the run browser is closed');
    if (this.disconnected) {
      throw new BrowserError('browser_disconnected', 'the browser process died');
    }
    if (this.crashed !== null) {
      throw new BrowserError('page_crashed', `the page crashed (${this.crashed}); reload or goto`);
    }
  }

  /**
   * A crashed tab cannot navigate again: replace it by a fresh tab in the same context (cookies
   * survive) and return the URL it showed. No-op when nothing crashed.
   */
  async recover(tabs: Tabs): Promise<string | null> {
    if (this.crashed === null) return null;
    const url = this.crashed;
    const old = tabs.current();
    this.crashed = null;
    const page = await tabs.newTab();
    if (old) {
      await old.close().catch(() => {});
      tabs.setActive(page);
    }
    return url;
  }
}
