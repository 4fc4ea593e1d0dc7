#!/usr/bin/env node
// An installed package runs the compiled CLI (dist/, built by `npm pack`'s prepack; no tsx).
// A source checkout (src/ present and tsx installed as a devDependency) runs the TypeScript
// sources, so a dist/ left behind by an earlier `npm pack` or `npm run build` never runs stale code.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = join(root, 'src', 'cli', 'main.ts');
const compiled = join(root, 'dist', 'src', 'cli', 'main.js');

async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return null;
  }
}

const tsx = existsSync(sources) ? await loadTsx() : null;
if (tsx) {
  tsx.register();
  await import(pathToFileURL(sources).href);
} else if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  process.stderr.write(
    'wren: dist/ is missing. In a checkout run `npm ci` (installs tsx) or `npm run build`.\n',
  );
  process.exit(1);
}
