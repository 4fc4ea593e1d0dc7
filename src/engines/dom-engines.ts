import type { AgentBrowser } from './ports.js';
import { TrajectoryRecorder } from './script/record.js';
import type { EngineServices } from './services.js';
import { agentBrowserFromRun } from './shared/agent-browser.js';
import { agentModelFromLlm } from './shared/agent-model.js';
import { RunArtifacts } from './shared/run-artifacts.js';
import { type SkyvernV1Deps, SkyvernV1Run } from './skyvern-v1/engine.js';
import { SkyvernV2Run } from './skyvern-v2/engine.js';
import type { Engine, EngineContext, EngineResult } from './types.js';

/**
 * Opens the run's browser and model, records artifacts (screenshots, page text, downloads,
 * video), runs the engine loop, and always closes the browser.
 */
async function withDomDeps(
  services: EngineServices,
  ctx: EngineContext,
  run: (deps: SkyvernV1Deps, ctx: EngineContext) => Promise<EngineResult>,
): Promise<EngineResult> {
  const mask = ctx.secrets ? (t: string) => ctx.secrets!.mask(t) : undefined;
  const model = agentModelFromLlm(services.llmFor(ctx.task), mask);
  const browser = await services.openBrowser(ctx.task);
  const artifacts = new RunArtifacts(ctx, browser, mask, {
    recording: services.recording,
    har: services.har,
  });
  try {
    await artifacts.start();
    const agentBrowser = agentBrowserFromRun(browser, {
      maxTokens: services.observationTokenBudget,
      ...(ctx.secrets ? { substitute: (t: string) => ctx.secrets!.substitute(t) } : {}),
    });
    // Code mode (docs/code-mode.md): each action's stable selector, for compiling a script.
    const trajectory = ctx.task.recordScript ? new TrajectoryRecorder(browser) : null;
    const recorded: AgentBrowser = {
      ...agentBrowser,
      async observe(options) {
        const page = await agentBrowser.observe(options);
        artifacts.observation(`URL: ${page.url}\nTitle: ${page.title}\n\n${page.text}`);
        return page;
      },
      async execute(action, signal) {
        const pending = trajectory ? await trajectory.before(action) : null;
        const outcome = await agentBrowser.execute(action, signal);
        if (trajectory && pending) await trajectory.after(action, pending, outcome);
        artifacts.afterAction();
        return outcome;
      },
      async open(url) {
        await agentBrowser.open(url);
      },
    };
    try {
      const result = await run({ browser: recorded, model }, artifacts.context());
      if (trajectory && result.outcome.status === 'completed') {
        result.recorded = await trajectory.finish(
          result.outcome.output,
          ctx.task.dataExtractionSchema ?? null,
        );
      }
      return result;
    } finally {
      // The browser closes while the last artifacts are stored.
      await artifacts.finish(() => browser.close());
    }
  } finally {
    await browser.close().catch(() => {});
  }
}

export class SkyvernV1Engine implements Engine {
  readonly name = 'skyvern-1.0' as const;
  constructor(private readonly services: EngineServices) {}

  run(ctx: EngineContext): Promise<EngineResult> {
    return withDomDeps(this.services, ctx, (deps, runCtx) =>
      new SkyvernV1Run(ctx.task, deps, runCtx, { screenshots: this.services.screenshots }).run(),
    );
  }
}

export class SkyvernV2Engine implements Engine {
  readonly name = 'skyvern-2.0' as const;
  constructor(private readonly services: EngineServices) {}

  run(ctx: EngineContext): Promise<EngineResult> {
    return withDomDeps(this.services, ctx, (deps, runCtx) =>
      new SkyvernV2Run(ctx.task, deps, runCtx, { screenshots: this.services.screenshots }).run(),
    );
  }
}
