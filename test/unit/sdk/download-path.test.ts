/**
 * A standalone replay (`wren script run`) saves a download into the current folder under the
 * name the site suggested (docs/code-mode.md): the name is the page's, so it may not pick another
 * folder or replace a file that is already there. A download of a URL fetches only http(s) URLs
 * (the end-to-end fetch with the session's cookies is in test/e2e/code-mode-tabs.test.ts).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freeDownloadPath,
  responseFilename,
  scriptSteps,
} from '../../../src/sdk/script-runtime.js';

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('freeDownloadPath', () => {
  it('keeps a plain name in the folder', () => {
    dir = mkdtempSync(join(tmpdir(), 'wren-dl-'));
    expect(freeDownloadPath(dir, 'report.csv')).toBe(join(dir, 'report.csv'));
  });

  it('reduces a suggested path to its file name, in the folder', () => {
    dir = mkdtempSync(join(tmpdir(), 'wren-dl-'));
    expect(freeDownloadPath(dir, '../../etc/passwd')).toBe(join(dir, 'passwd'));
    expect(freeDownloadPath(dir, '..\\..\\evil.bat')).toBe(join(dir, 'evil.bat'));
    expect(freeDownloadPath(dir, '..')).toBe(join(dir, 'download'));
    expect(freeDownloadPath(dir, '')).toBe(join(dir, 'download'));
  });

  it('never replaces a file that is there: numbered like a browser does', () => {
    dir = mkdtempSync(join(tmpdir(), 'wren-dl-'));
    writeFileSync(join(dir, 'package.json'), '{}');
    writeFileSync(join(dir, 'package (1).json'), '{}');
    expect(freeDownloadPath(dir, 'package.json')).toBe(join(dir, 'package (2).json'));
  });
});

describe('step.download of a URL (standalone)', () => {
  const steps = () => {
    dir = mkdtempSync(join(tmpdir(), 'wren-dl-'));
    // The page is never reached for a URL the step refuses.
    const page = new Proxy(
      {},
      {
        get() {
          throw new Error('the page was used');
        },
      },
    );
    return scriptSteps(page as never, { healed: [] }, { downloadDir: dir });
  };

  it('refuses URLs that are not http(s): a file: URL would read this machine', async () => {
    const step = steps();
    await expect(step.download('file:///etc/passwd', { intention: 'get it' })).rejects.toThrow(
      'get it: only http(s) URLs are downloaded, not file:',
    );
    await expect(step.download('data:text/plain,hi', { intention: 'get it' })).rejects.toThrow(
      'only http(s) URLs are downloaded, not data:',
    );
    await expect(step.download('report.csv', { intention: 'get it' })).rejects.toThrow(
      'get it: report.csv is not a URL',
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("uploads only http(s) URLs and paths inside the current folder, never this machine's files", async () => {
    const step = steps();
    for (const file of [
      '/etc/passwd',
      '../secrets.txt',
      'a/../../b',
      'file:///etc/passwd',
      'C:\\x',
    ]) {
      await expect(
        step.upload('role=button[name="Attach"]', [file], { intention: 'attach it' }),
      ).rejects.toThrow(`attach it: ${file}: a file to upload is an http(s) URL or a path inside`);
    }
  });

  it("names the file by the response's Content-Disposition, else the URL's last part", () => {
    expect(responseFilename('https://a.test/x', 'attachment; filename="report.csv"')).toBe(
      'report.csv',
    );
    expect(
      responseFilename('https://a.test/x', "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"),
    ).toBe('résumé.pdf');
    expect(responseFilename('https://a.test/files/q3%20sales.csv?x=1', undefined)).toBe(
      'q3 sales.csv',
    );
    // The name is the site's: freeDownloadPath reduces it to a plain name in the folder.
    dir = mkdtempSync(join(tmpdir(), 'wren-dl-'));
    expect(
      freeDownloadPath(
        dir,
        responseFilename('https://a.test/x', 'attachment; filename="../../x.sh"'),
      ),
    ).toBe(join(dir, 'x.sh'));
  });
});
