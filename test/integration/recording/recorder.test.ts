import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecording } from '../../../src/browser/recorder.js';

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

const ANIMATED = `<!doctype html><html><body style="margin:0">
<div id="box" style="width:200px;height:200px;background:red;position:absolute"></div>
<p id="n" style="position:absolute;top:220px;font:40px sans-serif">0</p>
<script>
  let n = 0;
  function tick(t) {
    document.getElementById('box').style.left = ((t / 5) % 600) + 'px';
    document.getElementById('box').style.background = 'hsl(' + ((t / 10) % 360) + ',80%,50%)';
    document.getElementById('n').textContent = String(++n);
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
</script></body></html>`;

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
    frames: Number(info.streams[0]!.nb_read_frames),
    format: info.format.format_name,
    duration: Number(info.format.duration),
  };
}

describe('recorder (CDP screencast → ffmpeg webm)', () => {
  it('records an animated page into a webm that ffprobe can read', async () => {
    const context = await browser.newContext({ viewport: { width: 800, height: 450 } });
    const page = await context.newPage();
    await page.setContent(ANIMATED);
    const output = join(dir, 'run.webm');
    const recording = await startRecording(page, {
      outputPath: output,
      maxWidth: 640,
      maxHeight: 360,
    });
    expect(recording).not.toBeNull();
    await page.waitForFunction(() => Number(document.getElementById('n')?.textContent) > 60);
    await page.waitForTimeout(1000); // the length of the video under test, not a synchronisation wait
    const result = await recording!.stop();
    await context.close();

    expect(result).not.toBeNull();
    expect(result!.frames).toBeGreaterThan(10);
    const info = await probe(output);
    expect(info.format).toContain('webm');
    expect(info.codec).toBe('vp8');
    expect(info.width).toBe(640);
    // At least the 1 s waited after the animation was running; constant 10 fps.
    expect(info.duration).toBeGreaterThan(1);
    expect(info.duration).toBeLessThan(result!.durationMs / 1000 + 0.5);
    expect(info.frames).toBeGreaterThanOrEqual(Math.floor(info.duration * 10) - 1);
    expect(info.frames).toBe(result!.framesWritten);
    console.log(
      `recording: ${result!.frames} screencast frames in ${result!.durationMs} ms → ` +
        `${info.frames} video frames, ${info.duration} s, ${result!.bytes} bytes`,
    );
  });

  it('a static page still gives a video as long as the recording', async () => {
    const context = await browser.newContext({ viewport: { width: 400, height: 300 } });
    const page = await context.newPage();
    await page.setContent('<h1>Nothing moves here</h1>');
    const output = join(dir, 'static.webm');
    const recording = await startRecording(page, { outputPath: output });
    await page.waitForTimeout(800);
    const result = await recording!.stop();
    await context.close();
    expect(result).not.toBeNull();
    const info = await probe(output);
    expect(info.frames).toBeGreaterThanOrEqual(7);
    expect(info.duration).toBeGreaterThan(0.7);
  });

  it('skips with a logged reason when ffmpeg is absent', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const warnings: unknown[] = [];
    const logger = { warn: (...args: unknown[]) => warnings.push(args), info: () => {} };
    const output = join(dir, 'none.webm');
    const recording = await startRecording(page, {
      outputPath: output,
      ffmpegPath: join(dir, 'no-ffmpeg-here'),
      logger: logger as never,
    });
    await context.close();
    expect(recording).toBeNull();
    expect(JSON.stringify(warnings)).toContain('ffmpeg is not installed');
    expect(existsSync(output)).toBe(false);
  });
});
