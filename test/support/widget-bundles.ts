/**
 * The widget gallery's build step, run by the fixture server on first request and cached:
 * real jQuery / jQuery UI / Vue files from node_modules under /vendor/, and React, Vue and
 * Svelte pages bundled with esbuild (Svelte components compiled with svelte/compiler) under
 * /widgets/bundle/<name>.js from test/fixtures/sites/widgets/src/.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const require = createRequire(import.meta.url);
const SRC = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/sites/widgets/src',
);

const VENDOR: Record<string, string> = {
  'jquery.js': 'jquery/dist/jquery.min.js',
  'jquery-ui.js': 'jquery-ui/dist/jquery-ui.min.js',
  'jquery-ui.css': 'jquery-ui/dist/themes/base/jquery-ui.min.css',
};

const vendorCache = new Map<string, Promise<Buffer | null>>();

export function vendorFile(name: string): Promise<Buffer | null> {
  const rel = VENDOR[name];
  if (!rel) return Promise.resolve(null);
  let p = vendorCache.get(name);
  if (!p) {
    p = readFile(require.resolve(rel)).catch(() => null);
    vendorCache.set(name, p);
  }
  return p;
}

const svelte: Plugin = {
  name: 'svelte',
  setup(b) {
    b.onLoad({ filter: /\.svelte$/ }, async (args) => {
      const { compile } = await import('svelte/compiler');
      const source = await readFile(args.path, 'utf8');
      const out = compile(source, { filename: args.path, generate: 'client' });
      return { contents: out.js.code, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

const bundleCache = new Map<string, Promise<string | null>>();

/** Bundles widgets/src/<name>.js|jsx (null when there is no such entry). */
export function buildWidget(name: string): Promise<string | null> {
  let p = bundleCache.get(name);
  if (!p) {
    p = (async () => {
      for (const ext of ['.jsx', '.js']) {
        const entry = path.join(SRC, name + ext);
        try {
          await readFile(entry);
        } catch {
          continue;
        }
        const r = await build({
          entryPoints: [entry],
          bundle: true,
          write: false,
          format: 'esm',
          minify: true,
          jsx: 'automatic',
          conditions: ['browser'],
          define: {
            'process.env.NODE_ENV': '"production"',
            __VUE_OPTIONS_API__: 'true',
            __VUE_PROD_DEVTOOLS__: 'false',
            __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
          },
          plugins: [svelte],
          logLevel: 'silent',
        });
        return r.outputFiles[0]?.text ?? null;
      }
      return null;
    })();
    bundleCache.set(name, p);
  }
  return p;
}
