import { randomBytes } from 'node:crypto';
import type {
  AgentBrowser,
  AgentModel,
  ModelReply,
  ModelRequest,
  PageObservation,
} from '../ports.js';
import type { EngineContext, TaskSpec, Usage } from '../types.js';
import { classifyUserErrors } from './classify.js';
import { UserErrorCodes } from './error-codes.js';
import { normalizeExtractionSchema } from './extraction.js';
import { countedCall } from './model-calls.js';
import { UntrustedFence } from './untrusted.js';

/** The page and the model a DOM run works with. */
export interface DomRunDeps {
  browser: AgentBrowser;
  model: AgentModel;
}

/**
 * What the skyvern-1.0 and skyvern-2.0 runs keep alike: the fence around page text, the usage so
 * far, the caller's error codes and extraction schema, counted model calls, and the
 * error-code classification when a run fails.
 */
export abstract class DomRun<Options extends { nonce?: string }> {
  protected readonly fence: UntrustedFence;
  protected readonly usage: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  protected readonly userErrors: UserErrorCodes;
  protected readonly schema: Record<string, unknown> | null;

  constructor(
    protected readonly task: TaskSpec,
    protected readonly deps: DomRunDeps,
    protected readonly ctx: EngineContext,
    protected readonly options: Options = {} as Options,
  ) {
    this.fence = new UntrustedFence(options.nonce ?? randomBytes(6).toString('hex'));
    this.schema = normalizeExtractionSchema(task.dataExtractionSchema);
    this.userErrors = new UserErrorCodes(task.errorCodeMapping);
  }

  /** A call of `model`, counted into the run's usage and recorded at step `stepIndex`. */
  protected countedCall(
    model: AgentModel,
    stepIndex: number,
    request: ModelRequest,
  ): Promise<ModelReply> {
    return countedCall(model, request, {
      usage: this.usage,
      emit: (event) => this.ctx.emit(event),
      stepIndex,
    });
  }

  /** On failure or termination, a dedicated pass decides which user-defined codes apply. */
  protected classifyErrors(
    model: AgentModel,
    failureReason: string,
    page: PageObservation | null,
    historyText: string,
  ): Promise<void> {
    return classifyUserErrors({
      model,
      userErrors: this.userErrors,
      fence: this.fence,
      goal: this.task.prompt,
      failureReason,
      page,
      historyText,
      signal: this.ctx.signal,
      emit: (event) => this.ctx.emit(event),
    });
  }
}
