/**
 * What a compiled script's `run({ page, params, step })` gets when it runs outside the server
 * (`npx wren script run file.ts`, docs/code-mode.md#running-a-script-yourself): `step` helpers
 * that act on each step's selector with Playwright and, when it no longer finds exactly one
 * element, fall back to Wren's primitives with the step's intention (`page.locate`, one model
 * call), like the server's self-heal.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, extname, isAbsolute, join } from 'node:path';
import type { Locator } from 'playwright-core';
import { type ExtractionRule, readOutput, urlPattern } from '../scripts/index.js';
import type { AiPage } from './page.js';

export interface StepOptions {
  intention: string;
}

export interface ScriptSteps {
  click(
    selector: string,
    o: StepOptions & {
      button?: 'left' | 'right';
      double?: boolean;
      /** The click opens a tab the script goes on in: only the server follows it. */
      opensTab?: boolean;
      /** The click downloads a file: saved into the current folder under its suggested name. */
      download?: boolean;
    },
  ): Promise<void>;
  fill(
    selector: string,
    value: string,
    o: StepOptions & { submit?: boolean; typed?: boolean },
  ): Promise<void>;
  select(selector: string, labels: string[], o: StepOptions): Promise<void>;
  check(selector: string, checked: boolean, o: StepOptions): Promise<void>;
  hover(selector: string, o: StepOptions): Promise<void>;
  press(selector: string | null, keys: string, o: StepOptions): Promise<void>;
  enterCode(selector: string | null, o: StepOptions): Promise<void>;
  /** Files: paths, or http(s) URLs (fetched first). */
  upload(selector: string, files: string[], o: StepOptions): Promise<void>;
  drag(selector: string, target: string, o: StepOptions): Promise<void>;
  /**
   * Fetch an http(s) URL with the page's cookies and save it into the download folder under the
   * name the response gives (else the URL's last part).
   */
  download(url: string, o: StepOptions): Promise<void>;
  newTab(url: string | null): Promise<void>;
  switchTab(urlPattern: string, title: string): Promise<void>;
  closeTab(): Promise<void>;
  waitForUrl(pattern: string): Promise<void>;
  assertUrl(pattern: string): Promise<void>;
  read(rules: ExtractionRule[]): Promise<unknown>;
  extract(): Promise<unknown>;
}

/** The argument of a compiled script's default export. */
export interface ScriptContext<P extends Record<string, string> = Record<string, string>> {
  page: AiPage;
  params: P & { $startUrl?: string | null };
  step: ScriptSteps;
}

export interface ScriptRunLog {
  /** Steps whose selector failed and that were done where the model located the element. */
  healed: { intention: string; selector: string; located: string }[];
}

const STEP_WAIT_MS = 3_000;
const tabsOnServer =
  'this script works in several tabs; run it on the server (run_with "code"), where the run follows its tabs';
const PAGE_WAIT_MS = 15_000;

async function single(page: AiPage, selector: string): Promise<Locator | null> {
  const locator = page.locator(selector);
  try {
    if ((await locator.count()) === 0)
      await locator
        .first()
        .waitFor({ state: 'attached', timeout: STEP_WAIT_MS })
        .catch(() => {});
    return (await locator.count()) === 1 ? locator : null;
  } catch {
    return null;
  }
}

export interface ScriptStepsOptions {
  /** Where downloads are saved (default: the current folder). */
  downloadDir?: string;
}

/** The file name a download's response asks for, else the last part of the URL's path. */
export function responseFilename(url: string, contentDisposition: string | undefined): string {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(contentDisposition ?? '');
  if (m?.[1]) {
    try {
      return decodeURIComponent(m[1]);
    } catch {
      return m[1];
    }
  }
  const last = new URL(url).pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

export function scriptSteps(
  page: AiPage,
  log: ScriptRunLog,
  options: ScriptStepsOptions = {},
): ScriptSteps {
  const downloadDir = options.downloadDir ?? process.cwd();
  const on = async (selector: string, o: StepOptions, act: (el: Locator) => Promise<void>) => {
    const el = await single(page, selector);
    if (el) {
      try {
        await act(el);
        return;
      } catch {
        // not actionable any more: locate it again below
      }
    }
    const located = await page.locate(o.intention);
    log.healed.push({ intention: o.intention, selector, located });
    await act(page.locator(located));
  };
  const timeout = 5_000;
  /**
   * A file to upload: an http(s) URL fetched with the page's context (its cookies, as the
   * browser would), or a path inside the current folder. A script comes from a run a page could
   * steer: it must not pick the machine's own files (an absolute path, `..`, file:).
   */
  const uploadInput = async (f: string, intention: string) => {
    if (/^https?:\/\//i.test(f)) {
      const res = await page.context().request.get(f, { timeout: 60_000 });
      try {
        if (!res.ok()) throw new Error(`${intention}: ${f}: HTTP ${res.status()}`);
        return {
          name: responseFilename(res.url(), res.headers()['content-disposition']),
          mimeType: res.headers()['content-type'] ?? 'application/octet-stream',
          buffer: await res.body(),
        };
      } finally {
        await res.dispose();
      }
    }
    if (/^[a-z][a-z\d+.-]*:/i.test(f) || isAbsolute(f) || f.split(/[\\/]/).includes('..'))
      throw new Error(
        `${intention}: ${f}: a file to upload is an http(s) URL or a path inside the current folder`,
      );
    return f;
  };
  const waitFor = (pattern: string) =>
    page.waitForURL((u) => urlPattern(u.href) === pattern, { timeout: PAGE_WAIT_MS });
  return {
    click: async (s, o) => {
      if (o.opensTab) throw new Error(tabsOnServer);
      const download = o.download ? page.waitForEvent('download', { timeout: 30_000 }) : null;
      download?.catch(() => {});
      await on(s, o, (el) =>
        o.double
          ? el.dblclick({ timeout })
          : el.click({ timeout, ...(o.button ? { button: o.button } : {}) }),
      );
      if (download) {
        const d = await download;
        await d.saveAs(freeDownloadPath(downloadDir, d.suggestedFilename()));
      }
    },
    fill: (s, value, o) =>
      on(s, o, async (el) => {
        if (o.typed) {
          await el.fill('', { timeout });
          await el.pressSequentially(value, { timeout });
        } else await el.fill(value, { timeout });
        if (o.submit) await el.press('Enter', { timeout });
      }),
    select: (s, labels, o) =>
      on(s, o, async (el) => {
        await el.selectOption(labels, { timeout });
      }),
    check: (s, checked, o) => on(s, o, (el) => el.setChecked(checked, { timeout })),
    hover: (s, o) => on(s, o, (el) => el.hover({ timeout })),
    press: (s, keys, o) =>
      s ? on(s, o, (el) => el.press(keys, { timeout })) : page.keyboard.press(keys),
    async enterCode() {
      throw new Error(
        'this script enters a one-time code; run it on the server (run_with "code"), where the run has its 2FA source',
      );
    },
    upload: async (s, files, o) => {
      const inputs = await Promise.all(files.map((f) => uploadInput(f, o.intention)));
      await on(s, o, (el) => el.setInputFiles(inputs as never, { timeout }));
    },
    drag: async (s, target, o) => {
      const to = await single(page, target);
      if (!to) throw new Error(`${o.intention}: ${target} finds no single element to drop onto`);
      await on(s, o, (el) => el.dragTo(to, { timeout }));
    },
    download: async (url, o) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        throw new Error(`${o.intention}: ${url} is not a URL`);
      }
      // A file: or data: URL would read the machine's own files, not the site's.
      if (target.protocol !== 'http:' && target.protocol !== 'https:')
        throw new Error(`${o.intention}: only http(s) URLs are downloaded, not ${target.protocol}`);
      // The page's context: the session's cookies go with the request, as in the browser.
      const res = await page.context().request.get(target.href, { timeout: 60_000 });
      try {
        if (!res.ok()) throw new Error(`${o.intention}: ${target.href}: HTTP ${res.status()}`);
        const name = responseFilename(res.url(), res.headers()['content-disposition']);
        await writeFile(freeDownloadPath(downloadDir, name), await res.body(), { flag: 'wx' });
      } finally {
        await res.dispose();
      }
    },
    async newTab() {
      throw new Error(tabsOnServer);
    },
    async switchTab() {
      throw new Error(tabsOnServer);
    },
    async closeTab() {
      throw new Error(tabsOnServer);
    },
    waitForUrl: async (pattern) => {
      await waitFor(pattern);
    },
    assertUrl: async (pattern) => {
      await waitFor(pattern).catch(() => {
        throw new Error(`the script ended on ${page.url()}, not on ${pattern}`);
      });
    },
    read: async (rules) => {
      const out = await readOutput((fn, arg) => page.evaluate(fn as never, arg) as never, rules);
      if (out === null) throw new Error('an element the output is read from is missing');
      return out;
    },
    async extract() {
      return page.extract({ prompt: 'the data this task reports' });
    },
  };
}

/**
 * Where a standalone replay saves a download: in `dir`, under the name the site suggested reduced
 * to a plain file name, never over an existing file (`report.csv` → `report (1).csv`). The name
 * comes from the page: it must not pick a path, and must not replace the user's files.
 */
export function freeDownloadPath(dir: string, suggested: string): string {
  const base = basename(suggested.replaceAll('\\', '/'));
  const name = base === '' || base === '.' || base === '..' ? 'download' : base;
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  let candidate = join(dir, name);
  for (let n = 1; existsSync(candidate); n++) candidate = join(dir, `${stem} (${n})${ext}`);
  return candidate;
}
