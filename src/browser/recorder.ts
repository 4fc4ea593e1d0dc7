/**
 * Video recording of a Playwright page without Playwright's own ffmpeg build: Chromium's CDP
 * screencast sends JPEG frames, which are piped into Debian's ffmpeg and encoded to VP8 webm at a
 * constant frame rate. Frames arrive only when the page repaints, so a clock repeats the latest
 * frame for every tick that passed; timing then depends on neither ffmpeg's read speed (it reads
 * in bursts while probing) nor on how often the page paints.
 *
 * Use: `const rec = await startRecording(page, { outputPath })` → … → `await rec?.stop()`.
 * Returns null (and logs why) when ffmpeg is missing or the page has no CDP (non-Chromium):
 * a run never fails because it cannot be recorded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { access, constants, rm, stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { CDPSession, Page } from 'playwright-core';

export const DEFAULT_FFMPEG = '/usr/bin/ffmpeg';

export interface RecorderOptions {
  /** Where the .webm goes; overwritten. */
  outputPath: string;
  /** Default: WREN_FFMPEG_PATH or /usr/bin/ffmpeg. */
  ffmpegPath?: string;
  /** Frames are scaled down to fit (default 1280×720). */
  maxWidth?: number;
  maxHeight?: number;
  /** JPEG quality of the screencast frames, 0-100 (default 70). */
  quality?: number;
  /** Output frame rate (default 10). */
  fps?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

export interface RecordingResult {
  path: string;
  /** Frames received from the browser. */
  frames: number;
  /** Frames written to the video (constant rate; repeats included). */
  framesWritten: number;
  bytes: number;
  durationMs: number;
}

export interface Recording {
  /** Stops the screencast, finishes the file; null when no usable video came out (logged). */
  stop(): Promise<RecordingResult | null>;
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('close', (code) => resolve(code)));
}

export async function startRecording(
  page: Page,
  options: RecorderOptions,
): Promise<Recording | null> {
  const ffmpegPath = options.ffmpegPath ?? process.env['WREN_FFMPEG_PATH'] ?? DEFAULT_FFMPEG;
  const log = options.logger;
  if (!(await executable(ffmpegPath))) {
    log?.warn(
      { ffmpeg: ffmpegPath },
      'recording skipped: ffmpeg is not installed or not executable',
    );
    return null;
  }
  let cdp: CDPSession;
  try {
    cdp = await page.context().newCDPSession(page);
  } catch (error) {
    log?.warn(
      { err: error },
      'recording skipped: the page has no Chrome DevTools Protocol session (not Chromium)',
    );
    return null;
  }

  const fps = options.fps ?? 10;
  const ffmpeg = spawn(
    ffmpegPath,
    [
      '-y',
      '-loglevel',
      'error',
      '-f',
      'image2pipe',
      '-framerate',
      String(fps),
      '-c:v',
      'mjpeg',
      '-i',
      '-',
      '-c:v',
      'libvpx',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-b:v',
      '1M',
      // VP8 needs even dimensions.
      '-vf',
      'pad=ceil(iw/2)*2:ceil(ih/2)*2',
      '-pix_fmt',
      'yuv420p',
      '-r',
      String(fps),
      '-f',
      'webm',
      options.outputPath,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let ffmpegErrors = '';
  ffmpeg.stderr?.on('data', (d: Buffer) => {
    if (ffmpegErrors.length < 4000) ffmpegErrors += d.toString();
  });
  let inputClosed = false;
  ffmpeg.stdin?.on('error', () => {
    inputClosed = true;
  });
  const spawnFailed = new Promise<Error>((resolve) => ffmpeg.once('error', resolve));

  const started = Date.now();
  let firstFrameAt = 0;
  let frames = 0;
  let framesWritten = 0;
  let lastFrame: Buffer | null = null;
  let stopping = false;
  let writing = false;

  /** Writes the latest frame once for every frame period elapsed since the first frame. */
  const catchUp = async (untilMs: number) => {
    if (writing || !lastFrame || inputClosed || !ffmpeg.stdin) return;
    writing = true;
    try {
      const due = Math.floor(((untilMs - firstFrameAt) * fps) / 1000) + 1;
      while (framesWritten < due && !inputClosed) {
        framesWritten++;
        if (!ffmpeg.stdin.write(lastFrame))
          await new Promise<void>((resolve) => {
            ffmpeg.stdin?.once('drain', resolve);
            ffmpeg.once('close', resolve);
          });
      }
    } finally {
      writing = false;
    }
  };
  const clock = setInterval(() => void catchUp(Date.now()), Math.max(10, Math.floor(1000 / fps)));
  clock.unref();

  // Chromium sends the next frame only after an ack, so acking at most `fps` times a second
  // spares it (and this process) encoding and decoding frames the video would drop anyway.
  const framePeriod = 1000 / fps;
  let lastAckAt = 0;
  let ackTimer: NodeJS.Timeout | null = null;
  const ack = (sessionId: number) => {
    ackTimer = null;
    lastAckAt = Date.now();
    if (!stopping) cdp.send('Page.screencastFrameAck', { sessionId }).catch(() => {});
  };
  cdp.on('Page.screencastFrame', (event) => {
    lastFrame = Buffer.from(event.data, 'base64');
    if (frames++ === 0) firstFrameAt = Date.now();
    void catchUp(Date.now());
    const wait = lastAckAt + framePeriod - Date.now();
    if (wait <= 0) ack(event.sessionId);
    else ackTimer = setTimeout(() => ack(event.sessionId), wait);
  });

  try {
    await cdp.send('Page.startScreencast', {
      format: 'jpeg',
      quality: options.quality ?? 70,
      maxWidth: options.maxWidth ?? 1280,
      maxHeight: options.maxHeight ?? 720,
      everyNthFrame: 1,
    });
  } catch (error) {
    clearInterval(clock);
    ffmpeg.kill('SIGKILL');
    await cdp.detach().catch(() => {});
    log?.warn({ err: error }, 'recording skipped: the screencast could not start');
    return null;
  }

  return {
    async stop(): Promise<RecordingResult | null> {
      if (stopping) return null;
      stopping = true;
      const stoppedAt = Date.now();
      clearInterval(clock);
      if (ackTimer) clearTimeout(ackTimer);
      await cdp.send('Page.stopScreencast').catch(() => {});
      await cdp.detach().catch(() => {});
      while (writing) await new Promise((r) => setTimeout(r, 5));
      await catchUp(stoppedAt);
      ffmpeg.stdin?.end();
      const outcome = await Promise.race([exited(ffmpeg), spawnFailed]);
      const durationMs = Date.now() - started;
      if (outcome instanceof Error || outcome !== 0 || frames === 0) {
        log?.warn(
          {
            frames,
            exit: outcome instanceof Error ? outcome.message : outcome,
            ffmpeg_errors: ffmpegErrors.trim().slice(0, 500) || undefined,
          },
          'recording produced no video',
        );
        await rm(options.outputPath, { force: true });
        return null;
      }
      const { size } = await stat(options.outputPath);
      return { path: options.outputPath, frames, framesWritten, bytes: size, durationMs };
    },
  };
}
