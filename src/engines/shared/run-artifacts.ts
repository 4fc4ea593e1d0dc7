import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { ArtifactInput } from '../../artifacts/types.js';
import type { Recording, RunBrowser } from '../../browser/index.js';
import type { EngineContext, EngineEvent } from '../types.js';

/**
 * What a run leaves behind besides its result: a screenshot after each action, the page as the
 * model saw it per step, a final screenshot, the files it downloaded and a video of the whole
 * run. Best effort throughout: a failed capture is logged, never fails the run.
 */
export class RunArtifacts {
  private stepIndex = 0;
  private recording: Recording | null = null;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: EngineContext,
    private readonly browser: RunBrowser,
    private readonly mask: (text: string) => string = (t) => t,
    private readonly record = true,
  ) {
    this.unsubscribe = browser.on((event) => {
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
    const p = sink
      .put({ stepId: `step_${this.stepIndex}`, ...input })
      .catch((err: Error) => this.warn('could not store an artifact', err))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private warn(message: string, err: Error): void {
    this.ctx.emit({ type: 'log', level: 'warn', message, data: { error: err.message } });
  }

  private async screenshot(type: 'screenshot_action' | 'screenshot_final'): Promise<void> {
    if (!this.ctx.artifacts) return;
    try {
      const png = await this.browser.computer().screenshot();
      this.put({ type, contentType: 'image/png', bytes: png });
    } catch (err) {
      this.warn(`could not take a ${type} screenshot`, err as Error);
    }
  }

  async start(): Promise<void> {
    if (!this.ctx.artifacts || !this.record) return;
    try {
      this.recording = await this.browser.startRecording({
        outputPath: path.join(this.browser.options.runDir, 'recording.webm'),
      });
    } catch (err) {
      this.warn('could not start the recording', err as Error);
    }
  }

  afterAction(): Promise<void> {
    return this.screenshot('screenshot_action');
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

  /** Final screenshot, the video, and every pending upload; call before the run's result is returned. */
  async finish(): Promise<void> {
    await this.screenshot('screenshot_final');
    try {
      await this.browser.settleDownloads();
    } catch {
      // the browser may be gone; downloads already saved are still stored below
    }
    this.unsubscribe();
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
    await Promise.all([...this.pending]);
  }
}
