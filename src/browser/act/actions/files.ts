/** File actions: putting files into a file input, downloading into the run folder. */
import { mkdir, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { BrowserError, errorMessage } from '../../errors.js';
import { nextDownload } from '../../run/downloads.js';
import { ElementTarget } from '../target.js';
import type { ActionHost, ActionOutcome } from '../types.js';
import { clickWithLadder } from './click-ladder.js';
import { actionTimeout, defineAction, elementId as id } from './helpers.js';

const uploadFileSchema = z.object({
  type: z.literal('upload_file'),
  id,
  files: z
    .array(z.string().min(1))
    .min(1)
    .describe('http(s) URLs or files provided with the task (relative to the run folder)'),
});

const downloadSchema = z.object({
  type: z.literal('download'),
  id: id.optional().describe('link or button that starts the download'),
  url: z.string().optional().describe('or a URL to download directly'),
});

async function insideAllowed(run: ActionHost, file: string): Promise<string> {
  const roots = [run.options.runDir, ...(run.options.uploadDirs ?? [])];
  const abs = path.resolve(run.options.runDir, file);
  let real: string;
  try {
    real = await realpath(abs);
    if (!(await stat(real)).isFile()) throw new Error('not a file');
  } catch {
    throw new BrowserError('upload_failed', `files: ${file} does not exist`);
  }
  for (const r of roots) {
    const rr = await realpath(r).catch(() => path.resolve(r));
    if (real === rr || real.startsWith(rr + path.sep)) return real;
  }
  throw new BrowserError('upload_failed', `files: ${file} is outside the run's files`);
}

async function fetchToDir(run: ActionHost, url: string, dir: string): Promise<string> {
  const { url: target, response: res } = await run.fetchChecked(url, {
    timeoutMs: 30_000,
    maxRedirects: 5,
  });
  if (!res.ok()) throw new BrowserError('download_failed', `${target}: HTTP ${res.status()}`);
  const body = await res.body();
  const cd = res.headers()['content-disposition'] ?? '';
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  let name = m?.[1] ? decodeURIComponent(m[1]) : path.basename(new URL(target).pathname) || 'file';
  name = name.replace(/[^\w.\- ()]+/g, '_').slice(0, 150) || 'file';
  await mkdir(dir, { recursive: true });
  const p = path.join(dir, name);
  await writeFile(p, body);
  return p;
}

async function uploadFile(
  run: ActionHost,
  a: z.infer<typeof uploadFileSchema>,
): Promise<ActionOutcome> {
  const el = await run.element(a.id);
  const files: string[] = [];
  for (const f of a.files) {
    if (/^https?:\/\//i.test(f) || /^@u\d+$/.test(f)) {
      files.push(await fetchToDir(run, f, path.join(run.options.runDir, 'uploads')));
    } else files.push(await insideAllowed(run, f));
  }
  const isFileInput = await el.evaluate((e) => e instanceof HTMLInputElement && e.type === 'file');
  if (isFileInput) {
    await el.setInputFiles(files, { timeout: actionTimeout(run) });
  } else {
    const page = run.page();
    const chooser = page.waitForEvent('filechooser', { timeout: actionTimeout(run) * 2 });
    await clickWithLadder(run, ElementTarget.of(run, el));
    try {
      await (await chooser).setFiles(files);
    } catch (e) {
      throw new BrowserError(
        'upload_failed',
        `[${a.id}] did not open a file chooser: ${errorMessage(e)}`,
      );
    }
  }
  return {
    detail: isFileInput ? 'set files' : 'chose files in the file chooser',
    value: files.map((f) => path.basename(f)).join(', '),
  };
}

async function download(
  run: ActionHost,
  a: z.infer<typeof downloadSchema>,
): Promise<ActionOutcome> {
  if ((a.id === undefined) === (a.url === undefined)) {
    throw new BrowserError('invalid_action', 'download: give either id or url');
  }
  // The wait ends with the action: a click or fetch that failed leaves no listener or timer.
  const stop = new AbortController();
  const saved = nextDownload(run, 30_000, stop.signal);
  saved.catch(() => {});
  try {
    if (a.id !== undefined) await clickWithLadder(run, ElementTarget.byId(run, a.id));
    else await run.downloadUrl(a.url!);
    const d = await saved;
    return { detail: 'downloaded', download: d, value: d.filename };
  } finally {
    stop.abort();
  }
}

export const fileActions = {
  upload_file: defineAction({
    schema: uploadFileSchema,
    description: 'Put files into a file input (or the chooser a button opens).',
    execute: uploadFile,
    log: (a) => `upload_file [${a.id}] ${a.files.join(', ')}`,
    urlFields: ['files'],
  }),
  download: defineAction({
    schema: downloadSchema,
    description: 'Download a file via a link/button or a URL; saved into the run folder.',
    execute: download,
    log: (a) => `download ${a.id !== undefined ? `[${a.id}]` : (a.url ?? '')}`,
    urlFields: ['url'],
  }),
};
