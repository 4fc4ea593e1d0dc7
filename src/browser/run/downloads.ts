/**
 * Files a run downloads, by the page (a link, a script) or by the agent (a URL fetched with the
 * run's cookies): saved under `<runDir>/downloads` with unique safe names, hashed, reported.
 */
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Download, Page } from 'playwright-core';
import { BrowserError } from '../errors.js';
import type { DownloadInfo, RunBrowserEvent, RunEvents } from './events.js';
import type { UrlPolicy } from './url-policy.js';

/** A name the page or server suggested, as a plain file name (no folders, no odd characters). */
export function safeFilename(name: string): string {
  const base = path
    .basename(name)
    .replace(/[^\w.\- ()]+/g, '_')
    .slice(0, 150);
  return base && base !== '.' && base !== '..' ? base : 'download';
}

/** The file name a download URL's response asks for, else the last part of its path. */
export function suggestedName(url: string, contentDisposition: string): string {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(contentDisposition);
  return m?.[1] ? decodeURIComponent(m[1]) : path.basename(new URL(url).pathname) || 'download';
}

/**
 * The next file the run saves from now on, for a step that starts a download (the agent's
 * `download` action, a replayed click that downloads). Rejects with a BrowserError
 * (`download_failed`, the saving error's own message) when that download fails or none is saved
 * within `ms`, and with the signal's reason when `signal` aborts; the listener and the timer are
 * let go either way.
 */
export function nextDownload(
  events: { on(listener: (e: RunBrowserEvent) => void): () => void },
  ms: number,
  signal?: AbortSignal,
): Promise<DownloadInfo> {
  return new Promise<DownloadInfo>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const stop = () => {
      clearTimeout(timer);
      off();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      stop();
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      stop();
      reject(new BrowserError('download_failed', `no download was saved within ${ms / 1000} s`));
    }, ms);
    const off = events.on((e) => {
      if (e.type === 'download') {
        stop();
        resolve(e.download);
      } else if (e.type === 'download_failed') {
        stop();
        reject(new BrowserError('download_failed', e.error));
      }
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** File names handed out in one folder: `name (2).ext` after `name.ext`. */
export class DownloadNames {
  private readonly used = new Set<string>();

  constructor(private readonly dir: string) {}

  /** A safe name not handed out yet, and its path in the folder. */
  take(suggested: string): { name: string; target: string } {
    let name = safeFilename(suggested);
    const ext = path.extname(name);
    const stem = name.slice(0, name.length - ext.length);
    for (let i = 2; this.used.has(name); i++) name = `${stem} (${i})${ext}`;
    this.used.add(name);
    return { name, target: path.join(this.dir, name) };
  }
}

export class Downloads {
  private readonly pending = new Set<Promise<unknown>>();
  private readonly names: DownloadNames;

  constructor(
    /** `<runDir>/downloads`; it exists before the first download. */
    dir: string,
    private readonly events: RunEvents,
    private readonly urls: UrlPolicy,
  ) {
    this.names = new DownloadNames(dir);
  }

  /** Saves the tab's downloads from now on; returns the listener removal. */
  watch(page: Page): () => void {
    const onDownload = (d: Download) => void this.track(this.save(d));
    page.on('download', onDownload);
    return () => page.off('download', onDownload);
  }

  /** Fetches a URL with the run's cookies and records it as a download. */
  async downloadUrl(raw: string): Promise<void> {
    const url = await this.urls.check(raw);
    await this.track(this.fetch(url));
  }

  /** Resolves when all downloads started so far are saved (or failed). */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private track(work: Promise<void>): Promise<void> {
    const p = work.finally(() => this.pending.delete(p));
    this.pending.add(p);
    return p;
  }

  private async fetch(checked: string): Promise<void> {
    let url = checked;
    try {
      const fetched = await this.urls.fetch(url, { timeoutMs: 60_000, maxRedirects: 20 });
      url = fetched.url;
      const res = fetched.response;
      if (!res.ok()) throw new Error(`HTTP ${res.status()}`);
      const { name, target } = this.names.take(
        suggestedName(url, res.headers()['content-disposition'] ?? ''),
      );
      const bytes = await res.body();
      await writeFile(target, bytes);
      this.report(name, target, bytes.length, bytes, url);
    } catch (e) {
      this.failed(url, e);
    }
  }

  private async save(d: Download): Promise<void> {
    const { name, target } = this.names.take(d.suggestedFilename());
    try {
      await d.saveAs(target);
      const bytes = await readFile(target);
      this.report(name, target, (await stat(target)).size, bytes, d.url());
    } catch (e) {
      this.failed(d.url(), e);
    }
  }

  private report(name: string, target: string, size: number, bytes: Buffer, url: string): void {
    const download: DownloadInfo = {
      filename: name,
      path: target,
      size,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      url,
    };
    this.events.emit({ type: 'download', download });
  }

  private failed(url: string, e: unknown): void {
    const error = e instanceof Error ? e.message : String(e);
    this.events.emit({ type: 'download_failed', url, error });
  }
}
