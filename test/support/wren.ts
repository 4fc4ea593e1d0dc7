/** Starts a real Wren (SQLite in a temp dir, HTTP on 127.0.0.1) for a test file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { createWren, type Wren } from '../../src/app/index.js';
import { type LogLevel, loadConfig, type WrenConfig } from '../../src/config.js';
import { isTerminalStatus } from '../../src/core/index.js';
import type { EngineRegistry } from '../../src/engines/registry.js';
import { createLogger } from '../../src/log.js';

export interface TestWren {
  wren: Wren;
  url: string;
  apiKey: string;
  dataDir: string;
  /** fetch against the server with the test key (unless headers override it). */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: unknown; text: string }>;
  close(): Promise<void>;
}

export const TEST_API_KEY = 'wren_test_key_0123456789abcdef';

export async function startTestWren(
  options: {
    engines?: EngineRegistry;
    config?: Partial<WrenConfig>;
    env?: Record<string, string | undefined>;
    worker?: { pollIntervalMs?: number; abortGraceMs?: number };
    resolveHost?: (hostname: string) => Promise<string[]>;
    webhooks?: { pollIntervalMs?: number };
    /** Where the server's log lines go, and from which level (default: silent). */
    log?: { level: LogLevel; destination: NodeJS.WritableStream };
  } = {},
): Promise<TestWren> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wren-test-'));
  const env = { WREN_API_KEY: TEST_API_KEY, WREN_ALLOW_PRIVATE_NETWORKS: 'true', ...options.env };
  const config: WrenConfig = {
    ...loadConfig({ dataDir, port: 0, logLevel: 'silent' }, env),
    ...options.config,
    ...(options.log ? { logLevel: options.log.level } : {}),
  };
  const wren = await createWren({
    config,
    logger: createLogger(config.logLevel, options.log?.destination),
    engines: options.engines,
    worker: options.worker,
    resolveHost: options.resolveHost,
    webhooks: options.webhooks,
  });
  const url = await wren.listen();
  const call: TestWren['call'] = async (method, path, body, headers = {}) => {
    const init: RequestInit = {
      method,
      headers: {
        'x-api-key': TEST_API_KEY,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
    };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const response = await fetch(`${url}${path}`, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON; keep the text
    }
    return { status: response.status, body: parsed, text };
  };
  return {
    wren,
    url,
    apiKey: TEST_API_KEY,
    dataDir,
    call,
    async close() {
      await wren.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls GET /v1/runs/{id} until `until` holds (vi.waitFor: returns as soon as it does). */
export function waitForRun(
  t: TestWren,
  runId: string,
  until: (run: Record<string, unknown>) => boolean,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  return vi.waitFor(
    async () => {
      const { body } = await t.call('GET', `/v1/runs/${runId}`);
      const run = body as Record<string, unknown>;
      if (!until(run)) {
        throw new Error(`run ${runId} did not reach the expected state: ${JSON.stringify(run)}`);
      }
      return run;
    },
    { timeout: timeoutMs, interval: 25 },
  );
}

export const isTerminalRun = (run: Record<string, unknown>) =>
  isTerminalStatus(String(run['status']));
