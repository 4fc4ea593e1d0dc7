/**
 * The run's video, built from still frames instead of a live screencast. While Chromium's CDP
 * screencast runs, every input, frame and script in the page gets slower (measured: +20-30 ms per
 * action even with no frame acknowledged, plus the encoder's CPU beside the browser), which users
 * pay on every step. So the video is made of:
 * - the screenshot taken after each action (the run takes it anyway; passed in with addFrame),
 * - a frame every `idleFrameMs` while the browser is idle (the model is thinking, a page loads
 *   between steps), never while an action or observation runs,
 * - a last frame at stop.
 * Frames are spooled to disk as JPEGs with their times and encoded into VP8 webm with a variable
 * frame rate (each frame shown until the next), so the video keeps real time: in batches in the
 * background (low CPU priority) while the run goes on, the rest at stop(), then the batches are
 * joined without re-encoding.
 *
 * Use: `const rec = await startRecording(source, { outputPath })` → … → `await rec?.stop()`.
 * Returns null (and logs why) when ffmpeg is missing: a run never fails because it cannot be
 * recorded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { access, constants, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { setPriority } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';

export const DEFAULT_FFMPEG = '/usr/bin/ffmpeg';

/** Where frames come from: the run's active tab. */
export interface FrameSource {
  /** A JPEG of what the page shows now. */
  capture(): Promise<Buffer>;
  /** False while an action, observation or navigation runs: no idle frame is taken then. */
  idle(): boolean;
}

export interface RecorderOptions {
  /** Where the .webm goes; overwritten. Frames are spooled in `<outputPath>.frames/`. */
  outputPath: string;
  /** Default /usr/bin/ffmpeg; the server passes WREN_FFMPEG_PATH (config.browser.ffmpegPath). */
  ffmpegPath?: string;
  /** Frames are scaled down to fit (default 1280×720). */
  maxWidth?: number;
  maxHeight?: number;
  /** An idle browser gets a frame this often (default 1000 ms). */
  idleFrameMs?: number;
  /** Encoding a batch of frames gives up after this long (default 60 s + 100 ms per frame). */
  encodeTimeoutMs?: number;
  /**
   * Frames are encoded in the background, at low priority, in batches of this many (default
   * 150): the work left at stop() stays small and the spooled JPEGs are deleted as they go.
   */
  chunkFrames?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

export interface RecordingResult {
  path: string;
  /** Frames in the video (a frame identical to the one before is not repeated). */
  frames: number;
  bytes: number;
  /** From start to stop. */
  durationMs: number;
  /** Time stop() spent encoding (the last batch and joining the batches). */
  encodeMs: number;
}

export interface Recording {
  /** Adds a frame taken elsewhere (e.g. the screenshot after an action), stamped now. */
  addFrame(jpeg: Buffer): void;
  /** Takes a last frame, encodes the video; null when no usable video came out (logged). */
  stop(): Promise<RecordingResult | null>;
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Width and height from a JPEG's start-of-frame segment; null when it is not a JPEG. */
export function jpegSize(jpeg: Buffer): { width: number; height: number } | null {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return null;
  let at = 2;
  while (at + 9 < jpeg.length) {
    if (jpeg[at] !== 0xff) return null;
    const marker = jpeg[at + 1]!;
    // SOF0-SOF15 carry the size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { height: jpeg.readUInt16BE(at + 5), width: jpeg.readUInt16BE(at + 7) };
    }
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  return null;
}

/** The video's size: the first frame's, scaled down to fit the maximum, even (VP8). */
function canvasFor(first: { width: number; height: number }, maxW: number, maxH: number) {
  const scale = Math.min(1, maxW / first.width, maxH / first.height);
  const even = (n: number) => Math.max(2, Math.floor((n * scale) / 2) * 2);
  return { width: even(first.width), height: even(first.height) };
}

function exited(child: ChildProcess): Promise<number | Error> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('close', (code) => resolve(code ?? -1));
    child.once('error', resolve);
  });
}

interface Frame {
  file: string;
  at: number;
  write: Promise<boolean>;
}

/** A file in a concat list and how long it is shown. */
interface Shown {
  file: string;
  seconds: number;
}

export async function startRecording(
  source: FrameSource,
  options: RecorderOptions,
): Promise<Recording | null> {
  const ffmpegPath = options.ffmpegPath ?? DEFAULT_FFMPEG;
  const log = options.logger;
  if (!(await executable(ffmpegPath))) {
    log?.warn(
      { ffmpeg: ffmpegPath },
      'recording skipped: ffmpeg is not installed or not executable',
    );
    return null;
  }
  const spool = `${options.outputPath}.frames`;
  await rm(spool, { recursive: true, force: true });
  await mkdir(spool, { recursive: true });

  const started = Date.now();
  const idleFrameMs = options.idleFrameMs ?? 1000;
  const frames: Frame[] = [];
  let canvas: { width: number; height: number } | null = null;
  let stopping = false;
  let lastFrameAt = 0;

  const chunkFrames = Math.max(2, options.chunkFrames ?? 150);
  const timeoutFor = (n: number) => options.encodeTimeoutMs ?? 60_000 + 100 * n;
  const quote = (f: string) => `'${f.replaceAll("'", "'\\''")}'`;

  /** Runs ffmpeg; null when it succeeded, else why not. */
  const runFfmpeg = async (args: string[], timeoutMs: number, background: boolean) => {
    const child = spawn(ffmpegPath, ['-y', '-loglevel', 'error', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (background && child.pid !== undefined) {
      try {
        setPriority(child.pid, 19);
      } catch {
        // Not allowed here: it runs at normal priority.
      }
    }
    let errors = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (errors.length < 4000) errors += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const outcome = await exited(child);
    clearTimeout(timer);
    if (outcome === 0) return null;
    const exit = outcome instanceof Error ? outcome.message : `exit code ${outcome}`;
    return `${exit}${errors.trim() ? `: ${errors.trim().slice(0, 500)}` : ''}`;
  };

  /** An ffconcat list in the spool: each file shown for its seconds. */
  const writeList = async (name: string, entries: Shown[], repeatLast: boolean) => {
    const lines = ['ffconcat version 1.0'];
    for (const e of entries) lines.push(`file ${quote(e.file)}`, `duration ${e.seconds}`);
    // The concat format ignores the last file's duration unless the file is listed again.
    if (repeatLast) lines.push(`file ${quote(entries.at(-1)!.file)}`);
    const list = path.join(spool, `${name}.txt`);
    await writeFile(list, `${lines.join('\n')}\n`);
    return list;
  };

  /** Frames `from`..`to`, each shown until the next one (the last until `endAt`). */
  const shown = (from: number, to: number, endAt: number): Shown[] =>
    frames.slice(from, to).map((f, i) => ({
      file: f.file,
      seconds: Math.max(1, (frames[from + i + 1]?.at ?? endAt) - f.at) / 1000,
    }));
  const seconds = (entries: Shown[]) => entries.reduce((sum, e) => sum + e.seconds, 0);

  /** Encodes spooled frames, each shown for its duration, into one webm file. */
  const encode = async (
    name: string,
    entries: Shown[],
    repeatLast: boolean,
    output: string,
    background: boolean,
  ) => {
    const list = await writeList(name, entries, repeatLast);
    const { width, height } = canvas!;
    return runFfmpeg(
      [
        ...['-f', 'concat', '-safe', '0', '-i', list],
        // Every frame fits the first one's canvas (the viewport may change during a run).
        '-vf',
        `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,format=yuv420p`,
        ...['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M'],
        // No -fps_mode/-vsync: webm takes each frame's own time by default (and ffmpeg < 5.1
        // has no -fps_mode).
        ...['-f', 'webm', output],
      ],
      timeoutFor(entries.length),
      background,
    );
  };

  /** Frames whose successor is known, encoded a batch at a time while the run goes on. */
  const batches: (Shown & { frames: number })[] = [];
  let encodedUpTo = 0;
  let batchWork: Promise<void> | null = null;
  let batchError: string | null = null;
  const encodeBatchIfDue = () => {
    if (batchWork || batchError || frames.length - encodedUpTo <= chunkFrames) return;
    const from = encodedUpTo;
    encodedUpTo += chunkFrames;
    const part = frames.slice(from, encodedUpTo);
    // Every frame of a batch has a successor, so each one's duration is known.
    const entries = shown(from, encodedUpTo, 0);
    const name = `batch-${batches.length}`;
    const output = path.join(spool, `${name}.webm`);
    batchWork = (async () => {
      if (!(await Promise.all(part.map((f) => f.write))).every(Boolean)) {
        batchError = 'a frame could not be written';
        return;
      }
      const failed = await encode(name, entries, false, output, true);
      if (failed) {
        batchError = failed;
        return;
      }
      batches.push({ file: output, seconds: seconds(entries), frames: part.length });
      await Promise.all(part.map((f) => rm(f.file, { force: true })));
    })().finally(() => {
      batchWork = null;
      encodeBatchIfDue();
    });
  };

  let lastJpeg: Buffer | null = null;
  const addFrame = (jpeg: Buffer) => {
    const size = jpegSize(jpeg);
    if (!size) return;
    canvas ??= canvasFor(size, options.maxWidth ?? 1280, options.maxHeight ?? 720);
    lastFrameAt = Date.now();
    // An unchanged page gives the same bytes: the previous frame simply lasts longer.
    if (lastJpeg?.equals(jpeg)) return;
    lastJpeg = jpeg;
    const file = path.join(spool, `${String(frames.length).padStart(6, '0')}.jpg`);
    const write = writeFile(file, jpeg).then(
      () => true,
      (error: Error) => {
        log?.warn({ err: error }, 'recording: a frame could not be written');
        return false;
      },
    );
    frames.push({ file, at: lastFrameAt, write });
    encodeBatchIfDue();
  };

  let capturing: Promise<void> | null = null;
  const captureNow = () => {
    capturing = source
      .capture()
      .then(addFrame, () => {
        // A tab that is closing or not painting gives no frame; the next tick tries again.
      })
      .finally(() => {
        capturing = null;
      });
    return capturing;
  };
  const tick = setInterval(
    () => {
      if (stopping || capturing || !source.idle()) return;
      if (Date.now() - lastFrameAt >= idleFrameMs) void captureNow();
    },
    Math.max(50, Math.floor(idleFrameMs / 4)),
  );
  tick.unref();

  return {
    addFrame(jpeg: Buffer) {
      if (!stopping) addFrame(jpeg);
    },

    async stop(): Promise<RecordingResult | null> {
      if (stopping) return null;
      stopping = true;
      clearInterval(tick);
      await capturing;
      const before = frames.length;
      await captureNow();
      const stoppedAt = Date.now();
      // The frame taken at stop marks the video's end; without it the last frame is listed
      // twice so its duration counts.
      const endMarked = frames.length > before;
      const written = (await Promise.all(frames.map((f) => f.write))).every(Boolean);
      while (batchWork) await batchWork;
      const cleanup = () => rm(spool, { recursive: true, force: true });
      const fail = async (reason: string, encodeMs?: number) => {
        log?.warn(
          {
            frames: frames.length,
            reason,
            ...(encodeMs !== undefined ? { encode_ms: encodeMs } : {}),
          },
          'recording produced no video',
        );
        await cleanup();
        await rm(options.outputPath, { force: true });
        return null;
      };
      if (frames.length === 0 || !canvas) return fail('no frames');
      if (!written) return fail('a frame could not be written');
      if (batchError) return fail(batchError);

      const encodeStarted = Date.now();
      const rest = shown(encodedUpTo, frames.length, Math.max(stoppedAt, frames.at(-1)!.at + 100));
      const last = batches.length === 0 ? options.outputPath : path.join(spool, 'last.webm');
      let failed = await encode('last', rest, !endMarked, last, false);
      if (!failed && batches.length > 0) {
        // Joined without re-encoding; each batch lasts exactly as long as its frames did.
        const list = await writeList(
          'batches',
          [...batches, { file: last, seconds: seconds(rest) }],
          false,
        );
        const joined = `${options.outputPath}.joining.webm`;
        failed = await runFfmpeg(
          ['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-f', 'webm', joined],
          timeoutFor(batches.length),
          false,
        );
        if (!failed) await rename(joined, options.outputPath);
        else await rm(joined, { force: true });
      }
      const encodeMs = Date.now() - encodeStarted;
      if (failed) return fail(failed, encodeMs);
      await cleanup();
      const { size } = await stat(options.outputPath);
      return {
        path: options.outputPath,
        // The last picture listed twice (no frame at stop) is in the video twice.
        frames: batches.reduce((n, b) => n + b.frames, 0) + rest.length + (endMarked ? 0 : 1),
        bytes: size,
        durationMs: stoppedAt - started,
        encodeMs,
      };
    },
  };
}
