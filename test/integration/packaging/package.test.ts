/**
 * The published package as a new user gets it: `npm pack` (prepack builds dist/ and the UI), the
 * tarball installed with `--omit=dev` into an empty project, then the README's SDK import, `npx
 * wren --help` and `npx wren server` (README "SDK" and "Command line"; docs/decisions.md
 * "Packaging: dist/, no runtime tsx, embedded mode behind wren/embedded").
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killHard, ROOT, type ServerProcess, startServerProcess } from '../../support/process.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'wren-pack-'));
const project = join(work, 'project');
let server: ServerProcess | null = null;

/** Packages whose presence means server code was loaded. */
const SERVER_PACKAGES = [
  'playwright-core',
  'fastify',
  'better-sqlite3',
  'pg',
  'kysely',
  'ai',
  '@ai-sdk/openai',
  'pino',
];

// Records every module URL the ESM loader resolves (imports of CommonJS packages included).
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.WREN_LOAD_LOG, result.url + '\\n');
  return result;
}
`;
const REGISTER = `import { register } from 'node:module';
register('./load-hooks.mjs', import.meta.url);
`;

/** Runs `script` as an ES module in the project and returns the npm packages it loaded. */
async function packagesLoadedBy(script: string, name: string): Promise<Set<string>> {
  const log = join(work, `${name}.log`);
  writeFileSync(join(project, `${name}.mjs`), script);
  const { stdout } = await run(process.execPath, ['--import', './register.mjs', `${name}.mjs`], {
    cwd: project,
    env: { ...process.env, WREN_LOAD_LOG: log },
  });
  expect(stdout.trim()).toBe('ok');
  const urls = (await readFile(log, 'utf8')).split('\n');
  const names = urls.flatMap((url) => {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    return match?.[1] ? [match[1]] : [];
  });
  return new Set(names);
}

/**
 * The empty project: depends on the tarball only, with a lockfile that pins the tarball's
 * dependency tree to this checkout's package-lock.json (production entries; dev-only ones left out).
 */
function writeProjectWithLockfile(tarball: string): void {
  const spec = `file:../${tarball}`;
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
    bin: Record<string, string>;
    engines: Record<string, string>;
    license: string;
  };
  const rootLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const packages: Record<string, unknown> = {
    '': { name: 'wren-user', dependencies: { wren: spec } },
    'node_modules/wren': {
      version: pkg.version,
      resolved: spec,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
      license: pkg.license,
    },
  };
  for (const [path, entry] of Object.entries(rootLock.packages)) {
    if (path.startsWith('node_modules/') && !entry.dev) packages[path] = entry;
  }
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'wren-user',
      private: true,
      type: 'module',
      dependencies: { wren: spec },
    }),
  );
  writeFileSync(
    join(project, 'package-lock.json'),
    JSON.stringify({ name: 'wren-user', lockfileVersion: 3, requires: true, packages }),
  );
}

beforeAll(async () => {
  await run('npm', ['pack', '--pack-destination', work, '--loglevel=error'], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  mkdirSync(project);
  writeProjectWithLockfile(tarball);
  // `npm ci` from a lockfile holding this checkout's locked versions: a new user's `npm install`
  // resolves the same ranges, but asking the registry for ~250 package documents took minutes here
  // and made the test depend on what was published today. --ignore-scripts: see below.
  await run(
    'npm',
    [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    { cwd: project, maxBuffer: 64 * 1024 * 1024 },
  );
  // npm 11 skips dependencies' install scripts until the project approves them (README: `npm
  // install-scripts approve better-sqlite3`), and this machine cannot download better-sqlite3's
  // prebuilt binary (compiling it took ~3 min): reuse the one this checkout compiled (same
  // version, same Node).
  const addon = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(join(project, addon))) {
    mkdirSync(join(project, addon, '..'), { recursive: true });
    copyFileSync(join(ROOT, addon), join(project, addon));
  }
  writeFileSync(join(project, 'load-hooks.mjs'), HOOKS);
  writeFileSync(join(project, 'register.mjs'), REGISTER);
}, 900_000);

afterAll(async () => {
  if (server) await killHard(server);
  rmSync(work, { recursive: true, force: true });
});

describe('the packed package, installed with --omit=dev', () => {
  it('ships compiled code and no TypeScript runner', () => {
    const installed = join(project, 'node_modules', 'wren');
    expect(existsSync(join(installed, 'dist', 'src', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(installed, 'ui', 'dist', 'index.html'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'typescript'))).toBe(false);
  });

  it("`import { Wren } from 'wren'` loads no server code", async () => {
    const loaded = await packagesLoadedBy(
      `import { Wren, WrenClient } from 'wren';
new Wren({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k' });
if (typeof WrenClient !== 'function') throw new Error('no WrenClient');
console.log('ok');
`,
      'sdk',
    );
    expect(loaded).toContain('wren');
    expect(loaded).toContain('zod');
    for (const name of SERVER_PACKAGES) expect(loaded, name).not.toContain(name);
  });

  it("embedded mode is the 'wren/embedded' export, and that one loads the server", async () => {
    const loaded = await packagesLoadedBy(
      `import { EmbeddedWren } from 'wren/embedded';
if (typeof EmbeddedWren.open !== 'function') throw new Error('no EmbeddedWren.open');
console.log('ok');
`,
      'embedded',
    );
    expect(loaded).toContain('playwright-core');
    expect(loaded).toContain('fastify');
  });

  it('`npx wren --help` prints the commands', async () => {
    const { stdout } = await run('npx', ['--no-install', 'wren', '--help'], { cwd: project });
    expect(stdout).toContain('Usage: wren');
    expect(stdout).toContain('server');
  });

  it('`npx wren server` answers /health, its version and the web UI', async () => {
    const dataDir = join(work, 'data');
    server = await startServerProcess(['--data-dir', dataDir, '--no-worker'], {}, 120_000, {
      command: ['npx', '--no-install', 'wren'],
      cwd: project,
    });
    const health = await fetch(`${server.url}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const version = await fetch(`${server.url}/v1/version`);
    expect(await version.json()).toMatchObject({ version: pkg.version });
    const ui = await fetch(`${server.url}/`);
    expect(await ui.text()).toContain('<!doctype html>');
  });
});
