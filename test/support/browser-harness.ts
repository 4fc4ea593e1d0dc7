/**
 * Shared setup for browser integration tests: one fixture server and one Chromium per test file,
 * a fresh isolated run (context + temp run folder) per test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  BrowserManager,
  type Observation,
  type RunBrowser,
  type RunBrowserOptions,
} from '../../src/browser/index.js';
import { type FixtureServer, startFixtureServer } from './fixture-server.js';

/**
 * The fixture sites live on 127.0.0.1, which the browser's safe default refuses: tests that drive
 * them opt in (docs/testing.md).
 */
export const FIXTURES = { egress: { allowPrivateNetworks: true } } as const;

export interface BrowserHarness {
  server: FixtureServer;
  manager: BrowserManager;
  /** Opens a run for this test (closed after the test). */
  open(options?: Partial<RunBrowserOptions>): Promise<RunBrowser>;
  /** Opens a run at a fixture page and waits for its load event. */
  openAt(page: string, options?: Partial<RunBrowserOptions>): Promise<RunBrowser>;
}

export function useBrowserHarness(): BrowserHarness {
  const runs: { run: RunBrowser; dir: string }[] = [];
  const h = {} as BrowserHarness;
  beforeAll(async () => {
    h.server = await startFixtureServer();
    h.manager = new BrowserManager(FIXTURES);
  });
  afterEach(async () => {
    for (const { run, dir } of runs.splice(0)) {
      await run.close();
      await rm(dir, { recursive: true, force: true });
    }
    h.server.clear();
  });
  afterAll(async () => {
    await h.manager?.close();
    await h.server?.close();
  });
  h.open = async (options = {}) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wren-run-'));
    const run = await h.manager.openRunBrowser({ runDir: dir, ...options });
    runs.push({ run, dir });
    return run;
  };
  h.openAt = async (page, options = {}) => {
    const run = await h.open(options);
    await run.goto(`${h.server.url}/${page}`);
    await run.page().waitForLoadState('load');
    return run;
  };
  return h;
}

/** Id of the only element with this role whose name matches. */
export function idOf(obs: Observation, role: string, name: string | RegExp): number {
  const hits = [...obs.elements.values()].filter(
    (e) => e.role === role && (typeof name === 'string' ? e.name === name : name.test(e.name)),
  );
  if (hits.length !== 1) {
    throw new Error(
      `expected one ${role} named ${String(name)}, found ${hits.length}:\n${obs.text}`,
    );
  }
  return hits[0]!.id;
}
