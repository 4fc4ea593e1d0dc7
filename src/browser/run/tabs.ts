/**
 * A run's tabs and the one the agent works in. Popups and target=_blank tabs are followed (the
 * agent continues in the new tab); a closed popup hands control back to the tab that opened it.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { BrowserError } from '../errors.js';
import type { RunEvents, TabInfo } from './events.js';

export interface TabHooks {
  /** A tab closed (its requests will never finish). */
  closed(page: Page): void;
  /** True once the run is closing: its tabs close without a `tab_closed` event. */
  quiet(): boolean;
}

export class Tabs {
  private readonly pages: Page[] = [];
  private active: Page | null = null;
  private openingOwnTab = false;

  constructor(
    private readonly context: BrowserContext,
    private readonly events: RunEvents,
    private readonly hooks: TabHooks,
  ) {}

  has(page: Page): boolean {
    return this.pages.includes(page);
  }

  /**
   * Tracks a tab. One the context opened by itself (`fromContextEvent`, once the run has a working
   * tab) becomes the working tab and is reported. Returns the listener removal.
   */
  adopt(page: Page, fromContextEvent: boolean): () => void {
    this.pages.push(page);
    let opener: Page | null = null;
    void page
      .opener()
      .then((o) => {
        opener = o;
      })
      .catch(() => {});
    const onClose = () => {
      this.hooks.closed(page);
      const i = this.pages.indexOf(page);
      if (i >= 0) this.pages.splice(i, 1);
      if (!this.hooks.quiet()) this.events.emit({ type: 'tab_closed', url: page.url() });
      if (this.active === page) {
        this.active =
          opener && this.pages.includes(opener) ? opener : (this.pages[Math.max(0, i - 1)] ?? null);
      }
    };
    page.on('close', onClose);
    if (fromContextEvent && this.active !== null) {
      this.active = page;
      this.events.emit({ type: 'tab_opened', tab: this.info(page), popup: !this.openingOwnTab });
    }
    return () => page.off('close', onClose);
  }

  /** Opens a tab the agent asked for and makes it the working tab. */
  async newTab(): Promise<Page> {
    this.openingOwnTab = true;
    try {
      const page = await this.context.newPage();
      this.active = page;
      return page;
    } finally {
      this.openingOwnTab = false;
    }
  }

  /** The working tab, or a typed error when none is open. */
  page(): Page {
    if (!this.active || this.active.isClosed()) {
      throw new BrowserError('tab_not_found', 'no open tab; open one with new_tab');
    }
    return this.active;
  }

  /** The working tab as it is (possibly closed, or none). */
  current(): Page | null {
    return this.active;
  }

  setActive(page: Page): void {
    this.active = page;
  }

  all(): Page[] {
    return [...this.pages];
  }

  /** Open tabs; `activeTitle` spares a round trip when the caller already knows it. */
  async list(activeTitle?: string): Promise<TabInfo[]> {
    return Promise.all(
      this.pages.map(async (p, index) => ({
        index,
        url: p.url(),
        title:
          p === this.active && activeTitle !== undefined
            ? activeTitle
            : await p.title().catch(() => ''),
        active: p === this.active,
      })),
    );
  }

  private info(page: Page): TabInfo {
    return {
      index: this.pages.indexOf(page),
      url: page.url(),
      title: '',
      active: page === this.active,
    };
  }
}
