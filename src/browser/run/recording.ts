/**
 * The run's pictures: viewport JPEGs for people (run timelines) and the video, whose frames are
 * taken only while the browser is idle. Also Wren's DevTools session per tab, which takes them.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { PageSession, type ShotFormat } from '../page-session.js';
import { type RecorderOptions, type Recording, startRecording } from '../recorder.js';
import { retryAfterLoad } from '../retry-after-load.js';
import { withTimeout } from '../with-timeout.js';

/** One DevTools session per tab, opened once (null where there is no CDP). */
export class PageSessions {
  private readonly byPage = new WeakMap<Page, Promise<PageSession | null>>();
  private readonly open = new Set<PageSession>();

  constructor(private readonly context: BrowserContext) {}

  get(page: Page): Promise<PageSession | null> {
    let session = this.byPage.get(page);
    if (!session) {
      session = PageSession.open(this.context, page).then((s) => {
        if (s) this.open.add(s);
        return s;
      });
      this.byPage.set(page, session);
    }
    return session;
  }

  /** Lets go of every session (the context outlives the run). */
  async detachAll(): Promise<void> {
    for (const s of this.open) await s.detach().catch(() => {});
  }
}

export class Camera {
  /** Actions, observations and navigations in flight (the recorder takes no frame then). */
  private busy = 0;
  private screenshotsInFlight = 0;

  constructor(
    private readonly sessions: PageSessions,
    /** The working tab (throws when there is none or the run is unusable). */
    private readonly page: () => Page,
    private readonly closed: () => boolean,
  ) {}

  /** Runs `work` as browser activity: no video frame is taken meanwhile. */
  async busyWith<T>(work: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await work();
    } finally {
      this.busy--;
    }
  }

  /**
   * A JPEG of the working tab's viewport. Taken over the DevTools protocol: unlike
   * page.screenshot() it runs no script in the page (Playwright hides the caret with an injected
   * style, which effect checks would count as a DOM change) and needs fewer round trips. Falls
   * back to page.screenshot() where there is no CDP.
   */
  viewportJpeg(quality = 75, timeoutMs = 10_000): Promise<Buffer> {
    return this.viewport({ type: 'jpeg', quality }, timeoutMs);
  }

  /**
   * A PNG of the working tab's viewport (a run's final screenshot), like viewportJpeg; taken
   * again once the page has loaded when the first try fails (the run may end mid-navigation).
   */
  viewportPng(timeoutMs = 10_000): Promise<Buffer> {
    return retryAfterLoad(this.page, () => this.viewport({ type: 'png' }, timeoutMs));
  }

  /**
   * The run's video (src/browser/recorder.ts): frames of the working tab while the browser is
   * idle, plus those passed to addFrame; null when ffmpeg is missing (logged).
   */
  startRecording(options: RecorderOptions): Promise<Recording | null> {
    return startRecording(
      {
        capture: () => this.viewportJpeg(70, 5_000),
        // Not while another screenshot (an action's) is being taken either.
        idle: () => this.busy === 0 && this.screenshotsInFlight === 0 && !this.closed(),
      },
      options,
    );
  }

  private async viewport(format: ShotFormat, timeoutMs: number): Promise<Buffer> {
    const page = this.page();
    this.screenshotsInFlight++;
    try {
      return await withTimeout(this.shot(page, format), timeoutMs, 'the screenshot');
    } finally {
      this.screenshotsInFlight--;
    }
  }

  private async shot(page: Page, format: ShotFormat): Promise<Buffer> {
    const session = await this.sessions.get(page);
    return session ? session.screenshot(format) : page.screenshot(format);
  }
}
