/**
 * A standalone replay (`wren script run`) saves a download into the current folder under the
 * name the site suggested (docs/code-mode.md): the name is the page's, so it may not pick another
 * folder or replace a file that is already there.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freeDownloadPath } from '../../../src/sdk/script-runtime.js';

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
