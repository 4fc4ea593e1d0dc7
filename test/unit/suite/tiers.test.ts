/**
 * Every test file belongs to one of the three Vitest projects (docs/testing.md "Tiers"): a file
 * outside test/unit, test/integration and test/e2e would match no project and never run.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/process.js';

const TIERS = ['test/unit/', 'test/integration/', 'test/e2e/'];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

describe('test tiers', () => {
  it('puts every test file under test/unit, test/integration or test/e2e', () => {
    const files = testFiles(join(ROOT, 'test'));
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((file) => !TIERS.some((tier) => file.startsWith(tier)))).toEqual([]);
  });
});
