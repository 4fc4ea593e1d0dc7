/**
 * The run's network: requests in flight in any tab (an action's settle waits for those it
 * started), the HAR, and connections the egress proxy refused. One subscription per context for
 * the run's lifetime (actions used to subscribe and unsubscribe per page, eight Playwright calls
 * per action).
 */
import type { BrowserContext, Page, Request, Response } from 'playwright-core';
import type { BlockedRequest } from '../../net/index.js';
import { type Har, type HarOptions, HarRecorder } from '../har.js';
import type { RunEvents } from './events.js';

/** Long-lived streams never finish; they must not hold a settle. */
const LONG_LIVED = new Set(['eventsource', 'websocket', 'media']);

export class Network {
  /** Requests in flight, numbered in the order they started. */
  private readonly inflight = new Map<Request, number>();
  private seq = 0;
  private readonly waiters = new Set<() => void>();
  private har: HarRecorder | null = null;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly context: BrowserContext,
    private readonly events: RunEvents,
    /** Header names whose values the HAR redacts (the run's extra HTTP headers). */
    private readonly secretHeaders: readonly string[] = [],
  ) {
    const onRequest = (r: Request) => {
      if (!LONG_LIVED.has(r.resourceType())) this.inflight.set(r, ++this.seq);
    };
    const onDone = (r: Request) => {
      if (this.inflight.delete(r)) this.wake();
    };
    // Out-of-process frames may never report requestfinished; a response is enough to move on.
    const onResponse = (r: Response) => onDone(r.request());
    context.on('request', onRequest);
    context.on('requestfinished', onDone);
    context.on('requestfailed', onDone);
    context.on('response', onResponse);
    this.unsubscribe = () => {
      context.off('request', onRequest);
      context.off('requestfinished', onDone);
      context.off('requestfailed', onDone);
      context.off('response', onResponse);
    };
  }

  /** A point in the run's request sequence, for settled(). */
  mark(): number {
    return this.seq;
  }

  /** Whether a request started after `mark` is still in flight. */
  pending(mark: number): boolean {
    for (const seq of this.inflight.values()) if (seq > mark) return true;
    return false;
  }

  /** Resolves once every request started after `mark` has finished, or after `timeoutMs`. */
  async settled(mark: number, timeoutMs: number): Promise<void> {
    if (!this.pending(mark) || timeoutMs <= 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const check = () => {
        if (!this.pending(mark)) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** A closed tab's requests (and frameless ones, service workers') never finish. */
  forgetPage(page: Page): void {
    for (const r of this.inflight.keys()) {
      let owner: Page | null = null;
      try {
        owner = r.frame().page();
      } catch {
        // service worker requests have no frame
      }
      if (owner === page || owner === null) this.inflight.delete(r);
    }
    this.wake();
  }

  /**
   * Starts the run's HAR (src/browser/har.ts) on this context, whoever owns it; the run's
   * secret headers are redacted with the credential headers. A second call is a no-op.
   */
  startHar(options: HarOptions = {}): void {
    if (this.har) return;
    this.har = HarRecorder.start(this.context, {
      ...options,
      redactHeaders: [...this.secretHeaders, ...(options.redactHeaders ?? [])],
    });
  }

  /** The HAR recorded since startHar(), or null when none was started. */
  async stopHar(): Promise<Har | null> {
    return this.har ? this.har.stop() : null;
  }

  /**
   * A connection the egress proxy refused: a `network_blocked` event (the run's timeline) and a
   * mark in the HAR, both with the reason.
   */
  noteBlocked(blocked: BlockedRequest): void {
    this.har?.noteBlocked(blocked);
    this.events.emit({ type: 'network_blocked', blocked });
  }

  /** Stops the HAR's listeners; its log is dropped. */
  dropHar(): void {
    if (this.har) void this.har.stop().catch(() => {});
  }

  /** Stops tracking requests (an attached context outlives the run). */
  detach(): void {
    this.unsubscribe();
  }

  private wake(): void {
    for (const wake of this.waiters) wake();
  }
}
