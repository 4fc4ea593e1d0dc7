/**
 * The import rules of docs/architecture.md hold, and they bite: the same command `npm run lint`
 * runs (`lint:deps` in package.json) fails on a copy of src/ with an upward import, a cycle and a
 * deep import added, and on Playwright loaded outside browser/; and the folder graph in docs/architecture.md is what the checker reports.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const scripts: Record<string, string> = JSON.parse(
  readFileSync(join(root, 'package.json'), 'utf8'),
).scripts;

/** Runs the `lint:deps` script's depcruise command line in `cwd`. */
function lintDeps(cwd: string) {
  const words = scripts['lint:deps']!.split(/\s+/);
  expect(words[0]).toBe('depcruise');
  return spawnSync(process.execPath, [depcruise, ...words.slice(1)], { cwd, encoding: 'utf8' });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('import rules (docs/architecture.md)', () => {
  it('npm run lint runs the dependency rules after biome', () => {
    expect(scripts['lint']).toBe('biome check . && npm run lint:deps');
  });

  it('fail on an upward import, a cycle and a deep import added to a copy of src/', () => {
    const copy = mkdtempSync(join(tmpdir(), 'wren-layers-'));
    dirs.push(copy);
    cpSync(join(root, 'src'), join(copy, 'src'), { recursive: true });
    for (const f of [
      '.dependency-cruiser.cjs',
      '.dependency-cruiser-known-violations.json',
      'tsconfig.json',
    ])
      cpSync(join(root, f), join(copy, f));
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    // browser/ reaching up into engines/ (docs/architecture.md: "browser/ and store/ never import upward")
    writeFileSync(
      join(copy, 'src/browser/probe-upward.ts'),
      "export { createDefaultRegistry } from '../engines/index.js';\n",
    );
    // two store modules importing each other
    writeFileSync(
      join(copy, 'src/store/probe-a.ts'),
      "import { b } from './probe-b.js';\nexport const a = () => b;\n",
    );
    writeFileSync(
      join(copy, 'src/store/probe-b.ts'),
      "import { a } from './probe-a.js';\nexport const b = () => a;\n",
    );
    // runs/ past sessions/index.ts
    writeFileSync(
      join(copy, 'src/runs/probe-deep.ts'),
      "export { ProxyRouter } from '../sessions/proxy.js';\n",
    );

    // Playwright loaded outside browser/ (a type-only import is allowed and must not count)
    writeFileSync(
      join(copy, 'src/runs/probe-playwright.ts'),
      "import { chromium } from 'playwright-core';\nimport type { Page } from 'playwright-core';\nexport const launch = (p?: Page) => [chromium, p];\n",
    );
    writeFileSync(
      join(copy, 'src/engines/probe-playwright-types.ts'),
      "import type { Page } from 'playwright-core';\nexport type P = Page;\n",
    );

    const result = lintDeps(copy);
    const out = result.stdout + result.stderr;
    expect(result.status, out).not.toBe(0);
    expect(out).toContain(
      'error layer-browser: src/browser/probe-upward.ts → src/engines/index.ts',
    );
    expect(out).toMatch(/error no-circular: src\/store\/probe-a\.ts →\s+src\/store\/probe-b\.ts/);
    expect(out).toContain('error no-deep-import: src/runs/probe-deep.ts → src/sessions/proxy.ts');
    expect(out).toMatch(
      /error playwright-runtime-in-browser-only: src\/runs\/probe-playwright\.ts → .*node_modules\/playwright-core\//,
    );
    expect(out).not.toContain('probe-playwright-types');
    expect(out).toContain('5 dependency violations');
  });

  it('hold on src/ today, apart from the known-violations list', () => {
    const result = lintDeps(root);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('docs/architecture.md shows the folder graph the checker reports', () => {
    const result = spawnSync(process.execPath, ['scripts/architecture.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
  });
});
