import path from 'node:path';
import type { BrowserManager, RunBrowser } from '../browser/index.js';
import { createLlm, type Llm, resolveModelConfig } from '../llm/index.js';
import type { TaskSpec } from './types.js';

/**
 * What engines get from the process: a model client for the run (the request's `model` override
 * applied) and an isolated browser context. Built once per server by createEngineServices.
 */
export interface EngineServices {
  llmFor(task: TaskSpec): Llm;
  openBrowser(task: TaskSpec): Promise<RunBrowser>;
  /** Observation token budget for the DOM engines. */
  observationTokenBudget: number;
  /** Send screenshots to the DOM engines' models (vision). */
  screenshots: boolean;
}

/** A problem the caller can fix (model configuration): becomes the run's failure reason. */
export class EngineSetupError extends Error {
  override readonly name = 'EngineSetupError';
}

/** `1280x720` → {width, height}; anything else is a configuration error naming the variable. */
export function parseViewport(
  raw: string | undefined,
): { width: number; height: number } | undefined {
  if (!raw?.trim()) return undefined;
  const m = /^(\d{3,5})x(\d{3,5})$/.exec(raw.trim());
  if (!m) throw new EngineSetupError(`WREN_BROWSER_VIEWPORT must look like 1280x720, got "${raw}"`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

export function createEngineServices(options: {
  browsers: BrowserManager;
  dataDir: string;
  env?: Record<string, string | undefined>;
  allowPrivateNetworks: boolean;
  headless?: boolean;
  observationTokenBudget?: number;
  screenshots?: boolean;
}): EngineServices {
  const env = options.env ?? process.env;
  const viewport = parseViewport(env['WREN_BROWSER_VIEWPORT']);
  const headless = options.headless ?? env['WREN_BROWSER_HEADLESS'] !== 'false';
  return {
    observationTokenBudget: options.observationTokenBudget ?? 30_000,
    screenshots: options.screenshots ?? false,
    llmFor(task) {
      const resolved = resolveModelConfig(env, task.model);
      if (!resolved.ok) throw new EngineSetupError(resolved.problem);
      return createLlm(resolved.config);
    },
    openBrowser(task) {
      return options.browsers.openRunBrowser({
        runDir: path.join(options.dataDir, 'runs', task.runId),
        headless,
        ...(viewport ? { viewport } : {}),
        allowPrivateNetworks: options.allowPrivateNetworks,
        ...(task.extraHttpHeaders ? { extraHttpHeaders: task.extraHttpHeaders } : {}),
      });
    },
  };
}
