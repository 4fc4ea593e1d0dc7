import { agentBrowserFromRun } from './adapters/browser.js';
import { agentModelFromLlm } from './adapters/model.js';
import type { EngineServices } from './services.js';
import { SkyvernV1Run } from './skyvern-v1/engine.js';
import { SkyvernV2Run } from './skyvern-v2/engine.js';
import type { Engine, EngineContext, EngineResult } from './types.js';

/** Opens the run's browser and model, runs the engine loop, and always closes the browser. */
async function withDomDeps(
  services: EngineServices,
  ctx: EngineContext,
  run: (deps: {
    browser: ReturnType<typeof agentBrowserFromRun>;
    model: ReturnType<typeof agentModelFromLlm>;
  }) => Promise<EngineResult>,
): Promise<EngineResult> {
  const model = agentModelFromLlm(services.llmFor(ctx.task));
  const browser = await services.openBrowser(ctx.task);
  try {
    return await run({
      browser: agentBrowserFromRun(browser, { maxTokens: services.observationTokenBudget }),
      model,
    });
  } finally {
    await browser.close().catch(() => {});
  }
}

export class SkyvernV1Engine implements Engine {
  readonly name = 'skyvern-1.0' as const;
  constructor(private readonly services: EngineServices) {}

  run(ctx: EngineContext): Promise<EngineResult> {
    return withDomDeps(this.services, ctx, (deps) =>
      new SkyvernV1Run(ctx.task, deps, ctx, { screenshots: this.services.screenshots }).run(),
    );
  }
}

export class SkyvernV2Engine implements Engine {
  readonly name = 'skyvern-2.0' as const;
  constructor(private readonly services: EngineServices) {}

  run(ctx: EngineContext): Promise<EngineResult> {
    return withDomDeps(this.services, ctx, (deps) =>
      new SkyvernV2Run(ctx.task, deps, ctx, { screenshots: this.services.screenshots }).run(),
    );
  }
}
