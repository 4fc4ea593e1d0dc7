/**
 * Live view of the browsers this process drives: a registry of what can be watched (a run's
 * browser, a browser session) and a JPEG screencast of the tab it shows.
 *
 * The registry is per process: a run is watchable only from the process executing it. Entries
 * carry their organization so the API never streams one organization's browser to another.
 */
import { EventEmitter } from 'node:events';
import type { CDPSession, Page } from 'playwright-core';
import { withTimeout } from './with-timeout.js';

export type LiveKind = 'run' | 'session';

export interface LiveSource {
  organizationId: string;
  /** The tab to show right now (the agent's working tab); null while there is none. */
  page(): Page | null;
}

export interface LiveEntry extends LiveSource {
  /** Resolves when the browser goes away (the run finished, the session closed). */
  readonly ended: Promise<void>;
}

const key = (kind: LiveKind, id: string) => `${kind}:${id}`;

export class LiveBrowsers {
  private readonly entries = new Map<string, LiveEntry & { end(): void }>();
  private readonly added = new EventEmitter();

  constructor() {
    // One listener per waiting viewer.
    this.added.setMaxListeners(0);
  }

  /** Makes a browser watchable; the returned function ends it (idempotent). */
  add(kind: LiveKind, id: string, source: LiveSource): () => void {
    const k = key(kind, id);
    this.entries.get(k)?.end();
    let end!: () => void;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    const entry = {
      organizationId: source.organizationId,
      page: () => source.page(),
      ended,
      end: () => {
        if (this.entries.get(k) === entry) this.entries.delete(k);
        end();
      },
    };
    this.entries.set(k, entry);
    this.added.emit(k, entry);
    return entry.end;
  }

  get(kind: LiveKind, id: string): LiveEntry | null {
    return this.entries.get(key(kind, id)) ?? null;
  }

  /** The entry once it is added (now, if it is there); null if `signal` aborts first. */
  waitFor(kind: LiveKind, id: string, signal: AbortSignal): Promise<LiveEntry | null> {
    const existing = this.get(kind, id);
    if (existing || signal.aborted) return Promise.resolve(existing);
    const k = key(kind, id);
    return new Promise((resolve) => {
      const onAdded = (entry: LiveEntry) => {
        signal.removeEventListener('abort', onAbort);
        resolve(entry);
      };
      const onAbort = () => {
        this.added.off(k, onAdded);
        resolve(null);
      };
      this.added.once(k, onAdded);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The page a session shows: its newest open tab. */
export function newestPage(pages: readonly Page[]): Page | null {
  return [...pages].reverse().find((p) => !p.isClosed()) ?? null;
}

const CAPTURE_TIMEOUT_MS = 3000;

export interface ScreencastOptions {
  /** JPEG quality, 0-100 (default 60). */
  quality?: number;
  maxWidth?: number;
  maxHeight?: number;
  /** How often to check whether the shown tab changed, ms (default 500). */
  followIntervalMs?: number;
  /** At most this many frames a second (default 10): a busy page never floods a viewer. */
  maxFps?: number;
}

export interface Screencast {
  stop(): Promise<void>;
}

/**
 * Streams JPEG frames of the entry's current tab to `onFrame`, following tab switches. Chromium
 * sends screencast frames only when the page repaints, so each tab starts with one captured
 * frame: a viewer of a still page sees it at once. Frames are acknowledged even when the
 * viewer drops them (`onFrame` decides), so a slow viewer never stalls the browser; acks are
 * paced to `maxFps`.
 */
export function startScreencast(
  entry: LiveSource,
  onFrame: (jpeg: Buffer) => void,
  options: ScreencastOptions = {},
): Screencast {
  const params = {
    format: 'jpeg' as const,
    quality: options.quality ?? 60,
    maxWidth: options.maxWidth ?? 1280,
    maxHeight: options.maxHeight ?? 800,
  };
  const minFrameMs = 1000 / (options.maxFps ?? 10);
  let stopped = false;
  let shown: Page | null = null;
  let cdp: CDPSession | null = null;
  let switching: Promise<void> = Promise.resolve();

  const detach = async () => {
    const old = cdp;
    cdp = null;
    if (!old) return;
    await old.send('Page.stopScreencast').catch(() => {});
    await old.detach().catch(() => {});
  };

  const show = async (page: Page | null) => {
    await detach();
    if (!page || stopped || shown !== page) return;
    let session: CDPSession;
    try {
      session = await page.context().newCDPSession(page);
    } catch {
      return; // closed meanwhile, or not Chromium: the next check tries again
    }
    if (stopped || shown !== page) {
      await session.detach().catch(() => {});
      return;
    }
    cdp = session;
    let lastFrameAt = 0;
    session.on('Page.screencastFrame', (frame) => {
      if (cdp !== session) return;
      if (!stopped) onFrame(Buffer.from(frame.data, 'base64'));
      // Chromium sends the next frame only after this ack: delaying it caps the frame rate.
      const now = Date.now();
      const wait = Math.max(0, lastFrameAt + minFrameMs - now);
      lastFrameAt = now + wait;
      const ack = () =>
        void session
          .send('Page.screencastFrameAck', { sessionId: frame.sessionId })
          .catch(() => {});
      if (wait > 0) setTimeout(ack, wait).unref();
      else ack();
    });
    try {
      // A capture started while the tab swaps renderers (the first navigation away from
      // about:blank) never answers; give up after a while and let the next check retry.
      const first = await withTimeout(
        session.send('Page.captureScreenshot', { format: 'jpeg', quality: params.quality }),
        CAPTURE_TIMEOUT_MS,
        'the first frame',
      );
      if (cdp === session && !stopped) onFrame(Buffer.from(first.data, 'base64'));
      await session.send('Page.startScreencast', params);
    } catch {
      // The tab closed or navigated away mid-call (a run's first page load often does): forget
      // it, so the next check shows the current tab again instead of streaming nothing.
      if (cdp === session) {
        await detach();
        if (shown === page) shown = null;
      }
    }
  };

  const follow = () => {
    if (stopped) return;
    let current: Page | null = null;
    try {
      current = entry.page();
    } catch {
      current = null;
    }
    const target = current && !current.isClosed() ? current : null;
    if (target !== shown) {
      shown = target;
      switching = switching.then(() => show(target));
    }
  };
  follow();
  const timer = setInterval(follow, options.followIntervalMs ?? 500);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await switching.catch(() => {});
      await detach();
    },
  };
}
