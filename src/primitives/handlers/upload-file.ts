/** ai_upload_file: put the file at a URL (fetched under the network policy) into a file input. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PrimitiveContext } from '../types.js';
import { PrimitiveError } from '../types.js';
import { type ElementOutcome, type ElementRequest, onElement } from './target.js';

async function download(ctx: PrimitiveContext, url: string): Promise<string> {
  const { url: finalUrl, response } = await ctx.browser.fetchChecked(url, {
    timeoutMs: 30_000,
    maxRedirects: 5,
  });
  if (!response.ok()) {
    throw new PrimitiveError(`file_url: ${finalUrl} answered ${response.status()}`, 'file_url');
  }
  const dir = path.join(ctx.browser.options.runDir, 'uploads');
  await mkdir(dir, { recursive: true });
  const base = path.basename(new URL(finalUrl).pathname) || 'upload';
  const target = path.join(dir, base.replace(/[^\w.-]/g, '_'));
  await writeFile(target, await response.body());
  return target;
}

export async function uploadFile(
  ctx: PrimitiveContext,
  request: ElementRequest & { fileUrl: string },
): Promise<ElementOutcome> {
  if (!request.fileUrl.trim())
    throw new PrimitiveError('file_url: give the file to upload', 'file_url', 'invalid');
  return onElement(
    ctx,
    request,
    'upload to',
    async (locator, timeout) => {
      const file = await download(ctx, request.fileUrl);
      await locator.setInputFiles(file, { timeout });
      return path.basename(file);
    },
    (id) => ctx.browser.act({ type: 'upload_file', id, files: [request.fileUrl] }),
  );
}
