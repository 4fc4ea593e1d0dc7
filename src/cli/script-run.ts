/**
 * `wren script run <file.ts> --param name=value`: runs a compiled script (GET
 * /v1/runs/{run_id}/script's `source`) on a fresh browser session of a Wren server (--server) or
 * embedded, with the SDK's step helpers (src/sdk/script-runtime.ts). Prints the output as JSON.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config.js';
import { type ScriptRunLog, scriptSteps, Wren } from '../sdk/index.js';

type ScriptModule = {
  default?: (ctx: unknown) => Promise<unknown>;
  parameters?: Record<string, string>;
  startUrl?: string | null;
};

/** `k=v` pairs; the first `=` splits. */
export function parseParams(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const at = p.indexOf('=');
    if (at <= 0) throw new ConfigError(`--param ${p}: write it as name=value`);
    out[p.slice(0, at)] = p.slice(at + 1);
  }
  return out;
}

/** The script as a module: TypeScript is compiled with esbuild when it is installed. */
async function load(file: string): Promise<ScriptModule> {
  const source = readFileSync(file, 'utf8');
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new ConfigError(
      `${file}: running a TypeScript script needs esbuild (npm install --save-dev esbuild)`,
    );
  }
  const { code } = await esbuild.transform(source, { loader: 'ts', format: 'esm' });
  const dir = mkdtempSync(join(tmpdir(), 'wren-script-'));
  try {
    const out = join(dir, 'script.mjs');
    writeFileSync(out, code);
    return (await import(pathToFileURL(out).href)) as ScriptModule;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runScriptFile(
  file: string,
  options: {
    params: Record<string, string>;
    startUrl?: string;
    server?: string;
    apiKey?: string;
    dataDir?: string;
    /** Where the script's downloads are saved (default: the current folder). */
    downloadDir?: string;
  },
): Promise<{ output: unknown; healed: ScriptRunLog['healed'] }> {
  const mod = await load(file);
  if (typeof mod.default !== 'function')
    throw new ConfigError(`${file}: no default export function (is it a Wren script?)`);
  const params = { ...(mod.parameters ?? {}), ...options.params };
  const missing = Object.entries(params).filter(([, v]) => v === '');
  if (missing.length)
    throw new ConfigError(
      `--param: give ${missing.map(([k]) => `${k}=…`).join(' ')} (the script has no value for it)`,
    );
  if (options.server && !options.apiKey)
    throw new ConfigError('--server needs --api-key (or WREN_API_KEY)');
  const wren = options.server
    ? new Wren({ baseUrl: options.server, apiKey: options.apiKey! })
    : new Wren({ dataDir: options.dataDir });
  const { browser_session_id: id } = await wren.createBrowserSession();
  try {
    const page = await wren.sessions.page(id);
    const log: ScriptRunLog = { healed: [] };
    const output = await mod.default({
      page,
      params: { ...params, $startUrl: options.startUrl ?? mod.startUrl ?? null },
      step: scriptSteps(page, log, options.downloadDir ? { downloadDir: options.downloadDir } : {}),
    });
    return { output: output ?? null, healed: log.healed };
  } finally {
    await wren.closeBrowserSession(id).catch(() => {});
    await wren.close();
  }
}
