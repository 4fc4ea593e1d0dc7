/**
 * A run in real Chromium that uses the hooks the engines will call: an action screenshot, a real
 * browser download, a final screenshot and a CDP recording, all through ctx.artifacts. Checks
 * what the run response and the webhook then expose.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecording } from '../../../src/browser/recorder.js';
import { EngineRegistry } from '../../../src/engines/registry.js';
import { engineFrom } from '../../support/engines.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from '../../support/wren.js';
import { expectedSignature, type Receiver, startReceiver } from '../webhooks/receiver.js';

const run = promisify(execFile);
const CSV = Buffer.from(
  `id,name,price\n${Array.from({ length: 200 }, (_, i) => `${i},item ${i},${i * 3}.50`).join('\n')}\n`,
);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const PAGE = `<!doctype html><html><body>
<h1>Reports</h1><a id="dl" href="/files/report.csv">Download the report</a>
<p id="n">0</p>
<script>let n=0;(function f(){document.getElementById('n').textContent=String(++n);requestAnimationFrame(f)})()</script>
</body></html>`;

const dir = mkdtempSync(join(tmpdir(), 'wren-run-artifacts-'));
let site: Server;
let siteUrl: string;
let browser: Browser;
let t: TestWren;
let hook: Receiver;

beforeAll(async () => {
  site = createServer((req, res) => {
    if (req.url === '/files/report.csv') {
      res.writeHead(200, {
        'content-type': 'text/csv',
        'content-disposition': 'attachment; filename="report.csv"',
      });
      res.end(CSV);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(PAGE);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  hook = await startReceiver();

  const engines = new EngineRegistry().register(
    engineFrom('skyvern-1.0', async (ctx) => {
      const sink = ctx.artifacts!;
      const context = await browser.newContext({
        acceptDownloads: true,
        viewport: { width: 640, height: 360 },
      });
      try {
        const page = await context.newPage();
        await page.goto(ctx.task.url!);
        const recording = await startRecording(
          { capture: () => page.screenshot({ type: 'jpeg' }), idle: () => true },
          {
            outputPath: join(dir, `${ctx.task.runId}.webm`),
            idleFrameMs: 100,
          },
        );
        ctx.emit({ type: 'step_started', stepIndex: 0 });
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dl')]);
        await sink.put({
          type: 'screenshot_action',
          stepId: 'step_0',
          contentType: 'image/png',
          bytes: await page.screenshot(),
        });
        await sink.put({
          type: 'download',
          filename: download.suggestedFilename(),
          contentType: 'text/csv',
          stream: createReadStream(await download.path()),
        });
        ctx.emit({ type: 'step_finished', stepIndex: 0, summary: 'downloaded the report' });
        await page.waitForFunction(() => Number(document.getElementById('n')?.textContent) > 40);
        await sink.put({
          type: 'screenshot_final',
          contentType: 'image/png',
          bytes: await page.screenshot(),
        });
        const video = await recording?.stop();
        if (video)
          await sink.put({
            type: 'recording',
            contentType: 'video/webm',
            stream: createReadStream(video.path),
          });
      } finally {
        await context.close();
      }
      return {
        outcome: { status: 'completed', output: { downloaded: true } },
        errors: [],
        stepCount: 1,
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      };
    }),
    { requiresModel: false },
  );
  t = await startTestWren({ engines, webhooks: { pollIntervalMs: 50 } });
});

afterAll(async () => {
  await t?.close();
  await hook?.close();
  await browser?.close();
  await new Promise<void>((r) => site?.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('a run in Chromium with artifacts', () => {
  it('exposes the downloaded file with its sha256, screenshots and a playable recording, in the run and the webhook', async () => {
    const res = await t.call('POST', '/v1/run/tasks', {
      prompt: 'Download the report',
      url: siteUrl,
      engine: 'skyvern-1.0',
      webhook_url: hook.url,
    });
    const runId = (res.body as { run_id: string }).run_id;
    const done = await waitForRun(t, runId, isTerminalRun, 30_000);
    expect(done['status']).toBe('completed');

    const files = done['downloaded_files'] as Array<Record<string, unknown>>;
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({
      filename: 'report.csv',
      file_size: CSV.length,
      checksum: sha256(CSV),
    });
    const fetched = Buffer.from(await (await fetch(files[0]!['url'] as string)).arrayBuffer());
    expect(sha256(fetched)).toBe(sha256(CSV));

    const shots = done['screenshot_urls'] as string[];
    expect(shots).toHaveLength(1);
    const png = Buffer.from(await (await fetch(shots[0]!)).arrayBuffer());
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');

    const video = Buffer.from(await (await fetch(done['recording_url'] as string)).arrayBuffer());
    const videoPath = join(dir, 'fetched.webm');
    writeFileSync(videoPath, video);
    const { stdout } = await run('/usr/bin/ffprobe', [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,nb_read_frames:format=duration',
      '-of',
      'json',
      videoPath,
    ]);
    const info = JSON.parse(stdout) as {
      streams: Array<{ codec_name: string; nb_read_frames: string }>;
      format: { duration: string };
    };
    expect(info.streams[0]!.codec_name).toBe('vp8');
    expect(Number(info.format.duration)).toBeGreaterThan(0);
    expect(Number(info.streams[0]!.nb_read_frames)).toBeGreaterThan(2);

    const [delivered] = await hook.waitFor(1);
    expect(delivered!.headers['x-skyvern-signature']).toBe(
      expectedSignature(delivered!.raw, t.apiKey),
    );
    const payload = JSON.parse(delivered!.raw.toString()) as Record<string, unknown>;
    expect((payload['downloaded_files'] as Array<{ checksum: string }>)[0]!.checksum).toBe(
      sha256(CSV),
    );
    expect(payload['downloaded_file_urls']).toHaveLength(1);
    expect(typeof payload['recording_url']).toBe('string');
    expect(payload['screenshot_urls']).toHaveLength(1);
    expect(typeof payload['screenshot_url']).toBe('string');
  });
});
