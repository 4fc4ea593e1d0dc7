/**
 * Wren's own DevTools session on one tab. It takes viewport screenshots without running script in
 * the page, and it is the navigation barrier for raw mouse and keyboard input: Playwright's
 * element actions wait for the navigations they start, page.mouse and page.keyboard do not, so an
 * action that clicks by coordinates asks here whether the main frame was asked to navigate and
 * waits for that navigation to commit (or to be dropped) before the page is read again.
 */
import type { BrowserContext, CDPSession, Frame, Page } from 'playwright-core';

/** Counters at one moment; compare with a later navigationSettled(). */
export interface NavigationMark {
  requested: number;
  /** Navigations the tab asked to open in a new tab or window (target=_blank links, forms). */
  popups: number;
}

/** A screenshot's encoding; also what page.screenshot() takes. */
export type ShotFormat = { type: 'jpeg'; quality: number } | { type: 'png' };

export class PageSession {
  private requested = 0;
  private popups = 0;
  /** The main frame was asked to navigate and has neither committed nor stopped loading since. */
  private inFlight = false;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly cdp: CDPSession,
    private readonly page: Page,
    private readonly mainFrameId: string,
  ) {
    cdp.on('Page.frameRequestedNavigation', (e) => {
      if (e.disposition === 'newTab' || e.disposition === 'newWindow') this.bump('popups');
      else if (e.frameId === this.mainFrameId && e.disposition === 'currentTab') {
        this.inFlight = true;
        this.bump('requested');
      }
    });
    // A requested navigation that never commits (a download, a 204, a cancelled submit).
    cdp.on('Page.frameStoppedLoading', (e) => {
      if (e.frameId === this.mainFrameId) {
        this.inFlight = false;
        this.wake();
      }
    });
    // Commits are counted as Playwright sees them: once it has, its load states and page.url()
    // belong to the new document.
    const onNavigated = (f: Frame) => {
      if (f === page.mainFrame()) {
        this.inFlight = false;
        this.wake();
      }
    };
    page.on('framenavigated', onNavigated);
    page.once('close', () => {
      page.off('framenavigated', onNavigated);
      this.wake();
    });
  }

  /** Null where the browser offers no DevTools session for the tab. */
  static async open(context: BrowserContext, page: Page): Promise<PageSession | null> {
    try {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Page.enable');
      const { frameTree } = await cdp.send('Page.getFrameTree');
      return new PageSession(cdp, page, frameTree.frame.id);
    } catch {
      return null;
    }
  }

  private bump(counter: 'requested' | 'popups'): void {
    this[counter]++;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  mark(): NavigationMark {
    return {
      requested: this.requested,
      popups: this.popups,
    };
  }

  /**
   * Whether the main frame was asked to navigate since `mark` and that request has neither
   * committed nor been dropped yet. Taken in event order (navigationInFlight()): the previous
   * document's load ending after the mark, before the request, no longer counts as its end.
   */
  navigationPending(mark: NavigationMark): boolean {
    return this.requested > mark.requested && this.navigationInFlight();
  }

  /**
   * Whether the main frame's latest navigation request has neither committed nor been dropped.
   * Unlike navigationPending(), a load that ends before the request (the previous document's
   * subresources) does not count as its end: the events are taken in the order they came.
   */
  navigationInFlight(): boolean {
    return this.inFlight && !this.page.isClosed();
  }

  /** Waits (up to `timeoutMs`) until no navigation is in flight (navigationInFlight()). */
  async navigationLanded(timeoutMs: number): Promise<void> {
    if (timeoutMs <= 0) return;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    await this.until(() => !this.navigationInFlight(), timeout.signal);
    clearTimeout(timer);
  }

  /** Whether the tab asked for a new tab or window since `mark`. */
  popupRequested(mark: NavigationMark): boolean {
    return this.popups > mark.popups;
  }

  /**
   * Resolves once `met()` holds (checked now and at every counter change), or when `signal`
   * aborts; either way the listener is let go.
   */
  private until(met: () => boolean, signal: AbortSignal): Promise<void> {
    if (met() || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        this.waiters.delete(check);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const check = () => {
        if (met()) done();
      };
      this.waiters.add(check);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Resolves when the main frame is asked to navigate after `mark`, or the tab closes; stays
   * pending otherwise until `signal` aborts.
   */
  navigationRequested(mark: NavigationMark, signal: AbortSignal): Promise<void> {
    return this.until(() => this.requested > mark.requested || this.page.isClosed(), signal);
  }

  /**
   * Waits (up to `timeoutMs`) until a navigation requested since `mark` has committed or was
   * dropped. Returns at once when none was requested.
   */
  async navigationSettled(mark: NavigationMark, timeoutMs: number): Promise<void> {
    if (timeoutMs <= 0) return;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    await this.until(() => !this.navigationPending(mark), timeout.signal);
    clearTimeout(timer);
  }

  /** The viewport, over the protocol: no script runs in the page. */
  async screenshot(format: ShotFormat): Promise<Buffer> {
    const { data } = await this.cdp.send(
      'Page.captureScreenshot',
      format.type === 'jpeg'
        ? { format: 'jpeg', quality: format.quality, optimizeForSpeed: true }
        : { format: 'png' },
    );
    return Buffer.from(data, 'base64');
  }

  async detach(): Promise<void> {
    await this.cdp.detach().catch(() => {});
  }
}
