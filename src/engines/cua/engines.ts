import { randomBytes } from 'node:crypto';
import type { RunBrowser } from '../../browser/index.js';
import { emptyUsage, type Llm, LlmError, priceUsage } from '../../llm/index.js';
import { ModelOutputError } from '../ports.js';
import { CuaTrajectoryRecorder } from '../script/record-cua.js';
import { type EngineServices, EngineSetupError } from '../services.js';
import { agentBrowserFromRun } from '../shared/agent-browser.js';
import { agentModelFromLlm } from '../shared/agent-model.js';
import { classifyUserErrors } from '../shared/classify.js';
import { systemError, UserErrorCodes } from '../shared/error-codes.js';
import { extractWithSchema, normalizeExtractionSchema } from '../shared/extraction.js';
import { RunArtifacts } from '../shared/run-artifacts.js';
import { UntrustedFence } from '../shared/untrusted.js';
import { renderExtractPrompt } from '../skyvern-v1/prompts.js';
import type { Engine, EngineContext, EngineName, EngineResult, Usage } from '../types.js';
import { runAnthropicCuaLoop } from './anthropic/loop.js';
import { type CostOf, cuaResultToEngineResult, cuaStepToEvents } from './engine-result.js';
import { runOpenAiCuaLoop } from './openai/loop.js';
import type { CuaLoopOptions, CuaLoopResult } from './shared/loop.js';
import { CuaSecretTyping, secretsTaskNote } from './shared/secrets.js';
import type { PostJson } from './shared/transport.js';
import { runUiTarsLoop } from './ui-tars/loop.js';

/** Which providers can serve each computer-use protocol. */
const PROVIDERS: Record<'openai-cua' | 'anthropic-cua' | 'ui-tars', readonly string[]> = {
  'openai-cua': ['openai', 'openai-chat', 'azure', 'azure-chat'],
  'anthropic-cua': ['anthropic'],
  'ui-tars': [
    'openai-compatible',
    'doubao',
    'vllm',
    'ollama',
    'lmstudio',
    'openrouter',
    'openai-chat',
    'openai',
  ],
};

/** The CUA transport over the LLM layer: its auth, retries, timeouts; HTTP errors as statuses. */
export function cuaTransport(llm: Llm, onUsage: (usage: Usage) => void): PostJson {
  const spec = llm.modelFor('actor');
  return async (path, body, headers, signal) => {
    // The Anthropic SDK convention puts /v1 in the path; the LLM layer's base URL already has it.
    const p = spec.baseUrl.endsWith('/v1') ? path.replace(/^\/v1(?=\/)/, '') : path;
    try {
      const r = await llm.post('actor', p, body, { headers, ...(signal ? { signal } : {}) });
      onUsage({
        inputTokens: r.usage.inputTokens,
        outputTokens: r.usage.outputTokens,
        costUsd: r.costUsd,
      });
      return { status: r.status, json: r.body };
    } catch (err) {
      if (err instanceof LlmError && err.status !== null && err.kind !== 'aborted') {
        return { status: err.status, json: { error: { message: err.message } } };
      }
      throw err;
    }
  };
}

type LoopRunner = (options: CuaLoopOptions) => Promise<CuaLoopResult>;

abstract class CuaEngine implements Engine {
  abstract readonly name: 'openai-cua' | 'anthropic-cua' | 'ui-tars';
  protected abstract readonly loop: LoopRunner;

  constructor(protected readonly services: EngineServices) {}

  async run(ctx: EngineContext): Promise<EngineResult> {
    const { task } = ctx;
    const llm = this.services.llmFor(task);
    const spec = llm.modelFor('actor');
    if (!PROVIDERS[this.name].includes(spec.provider)) {
      throw new EngineSetupError(
        `The ${this.name} engine needs a ${PROVIDERS[this.name].join(' or ')} model, but the actor model is ${spec.id}: set WREN_MODEL_ACTOR (or the request's model.model_name) to one.`,
      );
    }
    const browser = await this.services.openBrowser(task);
    const artifacts = new RunArtifacts(ctx, browser, this.mask(ctx), {
      recording: this.services.recording,
      har: this.services.har,
    });
    try {
      await artifacts.start();
      if (task.url) await browser.goto(task.url);
      try {
        return await this.drive(artifacts.context(), llm, browser, artifacts);
      } finally {
        await artifacts.finish();
      }
    } finally {
      await browser.close().catch(() => {});
    }
  }

  private async drive(
    ctx: EngineContext,
    llm: Llm,
    browser: RunBrowser,
    artifacts: RunArtifacts,
  ): Promise<EngineResult> {
    const { task } = ctx;
    const spec = llm.modelFor('actor');
    const costOf: CostOf = (u) =>
      priceUsage(
        spec,
        { ...emptyUsage(), inputTokens: u.inputTokens, outputTokens: u.outputTokens },
        llm.config.prices,
      ).costUsd;
    const secrets = new CuaSecretTyping(ctx.secrets, browser, ctx.signal, (message, data) =>
      ctx.emit({ type: 'log', level: 'info', message, data }),
    );
    // Code mode (docs/code-mode.md): each coordinate action tied to its element, for a script.
    // Outside the secrets layer: it sees the placeholders the model typed, never the values.
    const trajectory = task.recordScript ? new CuaTrajectoryRecorder(browser) : null;
    const computer = secrets.computer(browser.computer());
    const loopResult = await this.loop({
      computer: trajectory ? trajectory.computer(computer) : computer,
      postJson: cuaTransport(llm, () => {}),
      model: spec.modelId,
      task: this.mask(ctx)(task.prompt + secretsTaskNote(ctx.secrets)),
      maxSteps: task.maxSteps,
      signal: secrets.signal,
      answerQuestion: (question) => secrets.answerQuestion(question),
      onStep: (step) => {
        for (const event of cuaStepToEvents(step, costOf)) ctx.emit(event);
        if (step.screenshot) artifacts.stepScreenshot(step.screenshot);
      },
      onLog: (entry) =>
        ctx.emit({
          type: 'log',
          level: entry.level,
          message: entry.message,
          ...(entry.data ? { data: entry.data } : {}),
        }),
    });
    const result = cuaResultToEngineResult(loopResult, costOf);
    if (secrets.failure && !ctx.signal.aborted) {
      const { errorCode, reason } = secrets.failure;
      return {
        ...result,
        outcome: { status: 'failed', failureReason: reason },
        errors: [systemError(errorCode, reason)],
      };
    }
    if (loopResult.outcome === 'max_steps') {
      result.errors = [
        systemError('REACH_MAX_STEPS', 'The agent has reached the maximum number of steps.'),
        ...result.errors,
      ];
    }
    const finished = await this.finish(ctx, llm, browser, result);
    if (trajectory && finished.outcome.status === 'completed') {
      finished.recorded = await trajectory.finish(
        finished.outcome.output,
        task.dataExtractionSchema ?? null,
        (() => {
          try {
            return browser.page();
          } catch {
            return null; // no page: the script falls back to the extractor
          }
        })(),
      );
    }
    return finished;
  }

  /** Masks the run's secrets out of text bound for a model or an artifact. */
  private mask(ctx: EngineContext): (text: string) => string {
    const secrets = ctx.secrets;
    return secrets ? (text) => secrets.mask(text) : (text) => text;
  }

  /** Shared by the three: extraction against the caller's schema, error codes on failure. */
  private async finish(
    ctx: EngineContext,
    llm: Llm,
    browser: RunBrowser,
    result: EngineResult,
  ): Promise<EngineResult> {
    const { task } = ctx;
    const model = agentModelFromLlm(llm, this.mask(ctx));
    const fence = new UntrustedFence(randomBytes(6).toString('hex'));
    const usage = { ...result.usage };
    const counted = {
      complete: async (req: Parameters<typeof model.complete>[0]) => {
        const reply = await model.complete(req).catch((err: unknown) => {
          // An unusable reply was still billed.
          if (err instanceof ModelOutputError) {
            usage.inputTokens += err.usage.inputTokens;
            usage.outputTokens += err.usage.outputTokens;
            usage.costUsd += err.usage.costUsd;
          }
          throw err;
        });
        usage.inputTokens += reply.usage.inputTokens;
        usage.outputTokens += reply.usage.outputTokens;
        usage.costUsd += reply.usage.costUsd;
        return reply;
      },
    };
    const schema = normalizeExtractionSchema(task.dataExtractionSchema);
    const page = await agentBrowserFromRun(browser).observe({ screenshot: false });
    if (result.outcome.status === 'completed' && schema) {
      const answer = typeof result.outcome.output === 'string' ? result.outcome.output : null;
      const extraction = await extractWithSchema({
        model: counted,
        schema,
        images: [],
        signal: ctx.signal,
        render: (previousErrors) =>
          renderExtractPrompt({
            goal: task.prompt,
            fence,
            page,
            schema,
            answerHint: answer,
            errorCodeMapping: task.errorCodeMapping,
            previousErrors,
          }),
      });
      if (extraction.ok) {
        return { ...result, outcome: { status: 'completed', output: extraction.data }, usage };
      }
      return {
        ...result,
        usage,
        outcome: {
          status: 'failed',
          failureReason: `The goal was reached but the extracted data did not match data_extraction_schema: ${extraction.errors.join('; ')}`,
        },
        errors: [systemError('EXTRACTION_SCHEMA_MISMATCH', extraction.errors.join('; '))],
      };
    }
    if (result.outcome.status === 'completed') {
      const output = result.outcome.output;
      return {
        ...result,
        usage,
        outcome: {
          status: 'completed',
          output: typeof output === 'string' ? { answer: output } : (output ?? null),
        },
      };
    }
    const codes = new UserErrorCodes(task.errorCodeMapping);
    await classifyUserErrors({
      model: counted,
      userErrors: codes,
      fence,
      goal: task.prompt,
      failureReason: result.outcome.failureReason,
      page,
      historyText: '(computer-use run: see the step records)',
      signal: ctx.signal,
    });
    // REACH_MAX_STEPS was added by drive() from the loop's outcome, never from reason text.
    const errors = [...result.errors, ...codes.list()];
    return {
      ...result,
      usage,
      errors,
      outcome: { ...result.outcome, output: codes.outputFor(result.outcome.output) },
    };
  }
}

export class OpenAiCuaEngine extends CuaEngine {
  readonly name = 'openai-cua' as const;
  protected readonly loop: LoopRunner = (options) =>
    runOpenAiCuaLoop({ ...options, safetyCheckPolicy: this.services.cuaSafetyChecks });
}

export class AnthropicCuaEngine extends CuaEngine {
  readonly name = 'anthropic-cua' as const;
  protected readonly loop = runAnthropicCuaLoop;
}

export class UiTarsEngine extends CuaEngine {
  readonly name = 'ui-tars' as const;
  protected readonly loop = runUiTarsLoop;
}

export const CUA_ENGINE_NAMES: readonly EngineName[] = ['openai-cua', 'anthropic-cua', 'ui-tars'];
