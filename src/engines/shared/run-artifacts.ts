import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { ArtifactInput } from '../../artifacts/index.js';
import type { Recording, RunBrowser } from '../../browser/index.js';
import type { EngineContext, EngineEvent } from '../types.js';

export interface RunArtifactSettings {
  /** Record a video (default: yes, with the default ffmpeg); false: none. */
  recording?: false | { ffmpegPath?: string };
  /** Record a HAR (default on); `maxBodyBytes` > 0 embeds textual response bodies. */
  har?: false | { maxBodyBytes?: number };
}

/**
 * What a run leaves behind besides its result: a screenshot after each action, the page as the
 * model saw it per step, a final screenshot, the files it downloaded and a video of the whole
 * run and a HAR of its network traffic. Best effort throughout: a failed capture is logged, never fails the run.
 *
 * Action screenshots are for people, so they are JPEG and off the agent's critical path: the
 * capture starts right after the action, the agent moves on, and finish() waits for every one.
 */
export class RunArtifacts {
  private stepIndex = 0;
  private recording: Recording | null = null;
  private readonly pending = new Set<Promise<unknown>>();
  /** Action screenshots are stored one after another, so their order is the actions' order. */
  private screenshots: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: EngineContext,
    private readonly browser: RunBrowser,
    private readonly mask: (text: string) => string = (t) => t,
    private readonly settings: RunArtifactSettings = {},
  ) {
    this.unsubscribe = browser.on((event) => {
      if (event.type === 'network_blocked') {
        const { method, url, reason } = event.blocked;
        this.ctx.emit({ type: 'network_blocked', stepIndex: this.stepIndex, method, url, reason });
        return;
      }
      if (event.type !== 'download') return;
      const { download } = event;
      this.put({
        type: 'download',
        contentType: 'application/octet-stream',
        stream: createReadStream(download.path),
        filename: download.filename,
      });
    });
  }

  /** The context engines use: step_started events tell which step artifacts belong to. */
  context(): EngineContext {
    return {
      ...this.ctx,
      emit: (event: EngineEvent) => {
        if (event.type === 'step_started') this.stepIndex = event.stepIndex;
        this.ctx.emit(event);
      },
    };
  }

  private put(input: ArtifactInput): void {
    const sink = this.ctx.artifacts;
    if (!sink) return;
    this.track(
      sink
        .put({ stepId: `step_${this.stepIndex}`, ...input })
        .catch((err: Error) => this.warn('could not store an artifact', err)),
    );
  }

  private track(work: Promise<unknown>): void {
    const p = work.finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private warn(message: string, err: Error): void {
    this.ctx.emit({ type: 'log', level: 'warn', message, data: { error: err.message } });
  }

  /** The final screenshot: a PNG over the DevTools protocol (no script in the page). */
  private async finalScreenshot(): Promise<void> {
    if (!this.ctx.artifacts) return;
    try {
      // Taken again once a navigation the last action started has loaded (viewportPng).
      const png = await this.browser.viewportPng();
      this.put({ type: 'screenshot_final', contentType: 'image/png', bytes: png });
    } catch (err) {
      this.warn('could not take a screenshot_final screenshot', err as Error);
    }
  }

  /** Downloads saved, then the HAR stopped and stored (null: none was recorded). */
  private async finishHar(): Promise<void> {
    try {
      await this.browser.settleDownloads();
    } catch {
      // the browser may be gone; downloads already saved are still stored below
    }
    this.unsubscribe();
    const har = await this.browser.stopHar().catch((err: Error) => {
      this.warn('could not finish the HAR', err);
      return null;
    });
    if (har) {
      this.put({
        type: 'har',
        stepId: null, // the whole run's traffic
        contentType: 'application/json',
        bytes: JSON.stringify(har),
        filename: 'network.har',
      });
    }
  }

  async start(): Promise<void> {
    if (!this.ctx.artifacts) return;
    const har = this.settings.har ?? {};
    if (har) {
      // Before the run's first navigation, so the start page is in it.
      try {
        this.browser.startHar({ mask: this.mask, maxBodyBytes: har.maxBodyBytes ?? 0 });
      } catch (err) {
        this.warn('could not start the HAR', err as Error);
      }
    }
    const recording = this.settings.recording;
    if (recording === false) return;
    try {
      this.recording = await this.browser.startRecording({
        outputPath: path.join(this.browser.options.runDir, 'recording.webm'),
        ...(recording?.ffmpegPath ? { ffmpegPath: recording.ffmpegPath } : {}),
      });
    } catch (err) {
      this.warn('could not start the recording', err as Error);
    }
  }

  /** Starts the action screenshot and returns at once; finish() waits for it. */
  afterAction(): void {
    const sink = this.ctx.artifacts;
    if (!sink) return;
    const stepId = `step_${this.stepIndex}`;
    // Issued now, so it shows the page right after this action, not during the next one.
    const shot = this.browser.viewportJpeg().then(
      (bytes) => {
        // The video's frame for this action (the recorder takes none while actions run); a
        // recorder problem must not cost the screenshot.
        try {
          this.recording?.addFrame(bytes);
        } catch (err) {
          this.warn('could not add a frame to the recording', err as Error);
        }
        return { bytes };
      },
      (error: Error) => ({ error }),
    );
    this.screenshots = this.screenshots.then(async () => {
      const taken = await shot;
      if ('error' in taken) {
        this.warn('could not take a screenshot_action screenshot', taken.error);
        return;
      }
      await sink
        .put({ type: 'screenshot_action', stepId, contentType: 'image/jpeg', bytes: taken.bytes })
        .catch((err: Error) => this.warn('could not store an artifact', err));
    });
    this.track(this.screenshots);
  }

  observation(text: string): void {
    this.put({
      type: 'html_scrape',
      contentType: 'text/plain; charset=utf-8',
      bytes: this.mask(text),
    });
  }

  stepScreenshot(png: Buffer): void {
    this.put({ type: 'screenshot_action', contentType: 'image/png', bytes: png });
  }

  /**
   * Final screenshot, the HAR, the video, and every pending upload; call before the run's result
   * is returned. The screenshot and the HAR are taken at the same time, and `alongside` (closing
   * the browser, whose page is no longer needed) runs while the uploads finish.
   */
  async finish(alongside?: () => Promise<void>): Promise<void> {
    await Promise.all([this.finalScreenshot(), this.finishHar()]);
    const video = await this.recording?.stop().catch((err: Error) => {
      this.warn('could not finish the recording', err);
      return null;
    });
    if (video) {
      this.put({
        type: 'recording',
        contentType: 'video/webm',
        stream: createReadStream(video.path),
        filename: 'recording.webm',
      });
    }
    await Promise.all([...this.pending, alongside?.().catch(() => {})]);
  }
}
