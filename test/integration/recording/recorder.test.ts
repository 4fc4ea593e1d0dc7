import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FrameSource,
  jpegSize,
  type Recording,
  startRecording,
} from '../../../src/browser/recorder.js';
import { until } from '../../support/wait.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'wren-recording-'));
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function probe(path: string) {
  const { stdout } = await run('/usr/bin/ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name,width,height,nb_read_frames:format=format_name,duration',
    '-of',
    'json',
    path,
  ]);
  const info = JSON.parse(stdout) as {
    streams: Array<{ codec_name: string; width: number; height: number; nb_read_frames: string }>;
    format: { format_name: string; duration: string };
  };
  return {
    codec: info.streams[0]!.codec_name,
    width: info.streams[0]!.width,
    height: info.streams[0]!.height,
    frames: Number(info.streams[0]!.nb_read_frames),
    format: info.format.format_name,
    duration: Number(info.format.duration),
  };
}

/** The video's centre pixel as [r, g, b] every tenth of a second (what a player shows then). */
async function pixelsEveryTenth(path: string): Promise<number[][]> {
  const { stdout } = await run(
    '/usr/bin/ffmpeg',
    [
      '-v',
      'error',
      '-i',
      path,
      '-vf',
      'fps=10,crop=2:2',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 1 << 20 },
  );
  const raw = stdout as Buffer;
  const out: number[][] = [];
  for (let at = 0; at + 12 <= raw.length; at += 12) out.push([...raw.subarray(at, at + 3)]);
  return out;
}

function sourceOf(page: Page, idle: () => boolean = () => true): FrameSource {
  return { capture: () => page.screenshot({ type: 'jpeg', quality: 80 }), idle };
}

/** Keeps a picture on screen: the time it is shown is what the video records (not a wait). */
const hold = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A page background and the pixel it gives. */
type Colour = [css: string, rgb: number[]];

/** Shows each colour for `holdMs`, passing a frame of it; when each came, from the first. */
async function showColours(
  page: Page,
  recording: Recording,
  colours: Colour[],
  holdMs: number,
): Promise<number[]> {
  const shownAt: number[] = [];
  const t0 = Date.now();
  for (const [css] of colours) {
    await page.setContent(`<body style="margin:0;background:${css}"></body>`);
    recording.addFrame(await page.screenshot({ type: 'jpeg', quality: 90 }));
    shownAt.push(Date.now() - t0);
    await hold(holdMs);
  }
  return shownAt.map((at) => at - shownAt[0]!);
}

/** The video shows each colour in the middle of the time it was on the page. */
async function expectColoursInTime(
  video: string,
  colours: Colour[],
  shownAt: number[],
  holdMs: number,
): Promise<void> {
  const pixels = await pixelsEveryTenth(video);
  for (const [i, [, rgb]] of colours.entries()) {
    const mid = (shownAt[i]! + holdMs / 2) / 1000;
    const got = pixels[Math.floor(mid * 10)]!;
    for (const [c, v] of rgb.entries()) expect(Math.abs(got[c]! - v), `${mid}s`).toBeLessThan(40);
  }
}

describe('recorder (frames → variable-frame-rate webm)', () => {
  it('keeps real time: each frame shows until the next one', async () => {
    const context = await browser.newContext({ viewport: { width: 320, height: 240 } });
    const page = await context.newPage();
    const output = join(dir, 'colours.webm');
    // Busy all along: only the frames passed in, and the last one at stop.
    const recording = await startRecording(
      sourceOf(page, () => false),
      { outputPath: output },
    );
    expect(recording).not.toBeNull();
    const colours: Colour[] = [
      ['rgb(255, 0, 0)', [255, 0, 0]],
      ['rgb(0, 255, 0)', [0, 255, 0]],
      ['rgb(0, 0, 255)', [0, 0, 255]],
    ];
    const shownAt = await showColours(page, recording!, colours, 700);
    const result = await recording!.stop();
    await context.close();
    expect(result).not.toBeNull();
    expect(result!.frames).toBe(4); // three added, one at stop
    expect(readdirSync(dir).some((f) => f.endsWith('.frames'))).toBe(false); // spool removed
    const info = await probe(output);
    expect(info).toMatchObject({ codec: 'vp8', width: 320, height: 240, frames: 4 });
    expect(info.format).toContain('webm');
    // From the first frame to stop: the three colours for ~0.7 s each.
    expect(info.duration).toBeGreaterThan(1.9);
    expect(info.duration).toBeLessThan(result!.durationMs / 1000 + 0.3);
    await expectColoursInTime(output, colours, shownAt, 700);
  });

  it('encodes batches while recording and joins them keeping each frame at its time', async () => {
    const context = await browser.newContext({ viewport: { width: 320, height: 240 } });
    const page = await context.newPage();
    const output = join(dir, 'batches.webm');
    const spool = `${output}.frames`;
    const recording = await startRecording(
      sourceOf(page, () => false),
      { outputPath: output, chunkFrames: 2 },
    );
    const colours: Colour[] = [
      ['#ff0000', [255, 0, 0]],
      ['#00ff00', [0, 255, 0]],
      ['#0000ff', [0, 0, 255]],
      ['#ffff00', [255, 255, 0]],
      ['#ff00ff', [255, 0, 255]],
      ['#00ffff', [0, 255, 255]],
      ['#ffffff', [255, 255, 255]],
    ];
    const shownAt = await showColours(page, recording!, colours, 500);
    // The first batches are encoded already, and their JPEGs gone.
    await until('the second batch encoded', () => readdirSync(spool).includes('batch-1.webm'));
    const spooled = readdirSync(spool);
    expect(spooled).toContain('batch-0.webm');
    expect(spooled).toContain('batch-1.webm');
    expect(spooled).not.toContain('000000.jpg');
    const result = await recording!.stop();
    await context.close();
    expect(result).not.toBeNull();
    expect(existsSync(spool)).toBe(false);
    const info = await probe(output);
    expect(info).toMatchObject({ codec: 'vp8', width: 320, height: 240, frames: result!.frames });
    expect(result!.frames).toBe(8); // seven colours and the frame at stop (white again)
    expect(info.duration).toBeGreaterThan(3.3);
    expect(info.duration).toBeLessThan(result!.durationMs / 1000 + 0.3);
    await expectColoursInTime(output, colours, shownAt, 500);
  });

  it('takes frames of an idle page by itself, none while the browser is busy', async () => {
    const context = await browser.newContext({ viewport: { width: 800, height: 450 } });
    const page = await context.newPage();
    await page.setContent('<h1 id="n">0</h1>');
    let busy = false;
    let declined = 0;
    const captures: string[] = [];
    const source: FrameSource = {
      capture: async () => {
        captures.push(busy ? 'busy' : 'idle');
        return page.screenshot({ type: 'jpeg' });
      },
      idle: () => {
        if (busy) declined++;
        return !busy;
      },
    };
    const output = join(dir, 'idle.webm');
    const recording = await startRecording(source, {
      outputPath: output,
      idleFrameMs: 100,
      maxWidth: 640,
      maxHeight: 360,
    });
    // Idle: frames come by themselves (however slowly the machine takes screenshots).
    await until('three idle captures', () => captures.length >= 3);
    // Busy until the recorder has asked three times (and so let three capture chances pass).
    busy = true;
    const busyFrom = Date.now();
    await until('three declined captures', () => declined >= 3);
    const busyMs = Date.now() - busyFrom;
    busy = false;
    const result = await recording!.stop();
    await context.close();
    // No capture started while busy (the one at stop() comes after busy ended).
    expect(captures).not.toContain('busy');
    // The page never changed: at least four captures (three idle, one at stop) but a repeated
    // picture is not stored again; it is shown for longer. (The very first screenshot of a page
    // may still differ, e.g. before its fonts are in.)
    expect(result!.frames).toBeLessThanOrEqual(2);
    const info = await probe(output);
    expect(info.width).toBe(640); // scaled to fit 640×360
    expect(info.frames).toBe(result!.frames);
    // From the first idle frame to stop, which includes the busy spell (as measured here, less
    // the video's timestamp rounding).
    expect(info.duration).toBeGreaterThan(busyMs / 1000 - 0.05);
    expect(info.duration).toBeLessThanOrEqual(result!.durationMs / 1000);
  });

  it('fits frames of another size into the first one’s canvas', async () => {
    const context = await browser.newContext({ viewport: { width: 400, height: 300 } });
    const page = await context.newPage();
    await page.setContent('<body style="background:#0a0"></body>');
    const output = join(dir, 'resized.webm');
    const recording = await startRecording(
      sourceOf(page, () => false),
      { outputPath: output },
    );
    recording!.addFrame(await page.screenshot({ type: 'jpeg' }));
    await page.setViewportSize({ width: 700, height: 300 });
    recording!.addFrame(await page.screenshot({ type: 'jpeg' }));
    const result = await recording!.stop();
    await context.close();
    expect(result).not.toBeNull();
    expect(await probe(output)).toMatchObject({ width: 400, height: 300, frames: 3 });
  });

  it('an encoder that fails gives no video and a logged reason, without hanging', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const warnings: string[] = [];
    const logger = {
      warn: (...args: unknown[]) => warnings.push(JSON.stringify(args)),
      info: () => {},
    };
    const output = join(dir, 'failed.webm');
    const recording = await startRecording(sourceOf(page), {
      outputPath: output,
      ffmpegPath: '/bin/false',
      logger: logger as never,
    });
    const result = await recording!.stop();
    await context.close();
    expect(result).toBeNull();
    expect(warnings.join()).toContain('recording produced no video');
    expect(existsSync(output)).toBe(false);
  });

  it('skips with a logged reason when ffmpeg is absent', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const warnings: unknown[] = [];
    const logger = { warn: (...args: unknown[]) => warnings.push(args), info: () => {} };
    const output = join(dir, 'none.webm');
    const recording = await startRecording(sourceOf(page), {
      outputPath: output,
      ffmpegPath: join(dir, 'no-ffmpeg-here'),
      logger: logger as never,
    });
    await context.close();
    expect(recording).toBeNull();
    expect(JSON.stringify(warnings)).toContain('ffmpeg is not installed');
    expect(existsSync(output)).toBe(false);
  });

  it('reads the size of baseline and progressive JPEGs, and rejects other bytes', async () => {
    const context = await browser.newContext({ viewport: { width: 333, height: 222 } });
    const page = await context.newPage();
    expect(jpegSize(await page.screenshot({ type: 'jpeg' }))).toEqual({ width: 333, height: 222 });
    const { stdout } = await run(
      '/usr/bin/ffmpeg',
      [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'color=c=red:s=98x54',
        '-frames:v',
        '1',
        '-c:v',
        'mjpeg',
        '-f',
        'mjpeg',
        '-',
      ],
      { encoding: 'buffer' },
    );
    expect(jpegSize(stdout as Buffer)).toEqual({ width: 98, height: 54 });
    expect(jpegSize(await page.screenshot({ type: 'png' }))).toBeNull();
    await context.close();
  });
});
