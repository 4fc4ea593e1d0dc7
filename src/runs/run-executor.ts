/**
 * Runs one claimed run through its engine: checks it can start (model configured, engine
 * installed, secrets resolvable, code mode's script), gives the engine its task, signal, event
 * recorder, artifacts and secrets, bounds it by the wall-clock limit and the abort grace, and maps
 * what came back (or why it stopped) to the run's final status. Every write is fenced by the
 * worker's lease (src/store/leases.ts), so a worker that lost a run writes nothing more.
 */
import type { Logger } from 'pino';
import type { ArtifactService } from '../artifacts/index.js';
import type { RunStatus, TaskRunRequestEcho } from '../contract/index.js';
import type { SecretBox } from '../credentials/index.js';
import {
  DEFAULT_MAX_STEPS,
  type EngineContext,
  type EngineName,
  type EngineRegistration,
  type EngineRegistry,
  type EngineResult,
  type EngineSecrets,
  EngineSetupError,
  type ReplayInput,
  type ReplayResult,
  type TaskSpec,
} from '../engines/index.js';
import type { ConfigResult } from '../llm/index.js';
import type { RunRecord, RunUsage, Store } from '../store/index.js';
import { EventRecorder } from './event-recorder.js';
import {
  type FoundScript,
  type RunWith,
  runWithOf,
  SCRIPT_ENGINES,
  ScriptService,
} from './scripts.js';
import { isTaskRequest, openRequest } from './sealed-request.js';
import { type RunSecrets, RunSecretsError } from './secrets.js';
import { now } from './service.js';
import { assertTransition } from './status.js';

/** Why a run in flight was stopped before its engine returned. */
export type AbortReason = 'canceled' | 'timeout' | 'shutdown' | 'lost';

/** A run this worker executes. */
export interface InFlight {
  run: RunRecord;
  controller: AbortController;
  reason: AbortReason | null;
  done: Promise<void>;
}

/** Stops a run in flight once: its engine sees the signal, the outcome mapping sees the reason. */
export function abortFlight(flight: InFlight, reason: AbortReason): void {
  if (flight.reason) return;
  flight.reason = reason;
  flight.controller.abort(new Error(`run ${reason}`));
}

/** Code mode (docs/code-mode.md): how a compiled script is replayed, and the default run_with. */
export interface CodeModeOptions {
  defaultRunWith: RunWith;
  replay(ctx: EngineContext, input: ReplayInput): Promise<ReplayResult>;
}

export interface RunExecutorOptions {
  store: Store;
  logger: Logger;
  engines: EngineRegistry;
  model: ConfigResult;
  runTimeoutMs: number;
  /** How long to wait for an aborted engine to return before freeing its slot. */
  abortGraceMs: number;
  /** Opens the sealed parts of run requests (sealed-request.ts); without it they stay masked. */
  secretBox?: SecretBox | undefined;
  /** Given to engines as ctx.artifacts; model_call events are kept as llm_prompt/llm_response. */
  artifacts?: ArtifactService | undefined;
  /** Builds a run's credentials and 2FA sources (src/runs/secrets.ts). */
  prepareSecrets?: ((run: RunRecord) => Promise<RunSecrets>) | undefined;
  codeMode?: CodeModeOptions | undefined;
  /** The worker's lease owner id: writes apply only while it holds the run. */
  owner: string;
}

type Counters = { stepCount: number; usage: RunUsage };

/** What came back from the engine (or why nothing did). */
interface Ran {
  result: EngineResult | null;
  thrown: unknown;
  counters: Counters;
}

export class RunExecutor {
  private readonly scripts: ScriptService;

  constructor(private readonly options: RunExecutorOptions) {
    this.scripts = new ScriptService(options.store);
  }

  async execute(flight: InFlight): Promise<void> {
    const { run } = flight;
    const { engines, model, codeMode: codeModeOptions } = this.options;
    const registration = run.engine === 'sdk' ? undefined : engines.get(run.engine);
    const codeMode =
      codeModeOptions !== undefined &&
      SCRIPT_ENGINES.includes(run.engine) &&
      runWithOf(run, codeModeOptions.defaultRunWith) === 'code';
    if (registration?.requiresModel !== false && !model.ok && !codeMode) {
      await this.finish(run.id, 'failed', { failureReason: model.problem });
      return;
    }
    if (!registration) {
      const available = engines.names();
      await this.finish(run.id, 'failed', {
        failureReason:
          `The ${run.engine} engine is not available in this build of Wren yet` +
          (available.length
            ? `; available engines: ${available.join(', ')}`
            : '; no engine is installed') +
          '.',
      });
      return;
    }

    let secrets: RunSecrets | null = null;
    try {
      secrets = (await this.options.prepareSecrets?.(run)) ?? null;
    } catch (error) {
      if (!(error instanceof RunSecretsError)) throw error;
      await this.finish(run.id, 'failed', { failureReason: error.message });
      return;
    }
    try {
      let found: FoundScript | null = null;
      if (codeMode) {
        found = await this.scripts.find(run, secrets?.login?.username ?? null).catch((error) => {
          this.options.logger.warn({ err: error, run_id: run.id }, 'script lookup failed');
          return null;
        });
        // No script yet: the agent runs, and a script is compiled if it completes.
        if (!found && registration.requiresModel && !model.ok) {
          await this.finish(run.id, 'failed', { failureReason: model.problem });
          return;
        }
      }
      const code = codeMode ? { found } : null;
      const ran = await this.runEngine(flight, registration, secrets, code);
      await this.settle(flight, ran, secrets, code);
    } finally {
      secrets?.release();
    }
  }

  /** Runs the engine (or replays the script) under the wall-clock limit and the abort grace. */
  private async runEngine(
    flight: InFlight,
    registration: EngineRegistration,
    secrets: RunSecrets | null,
    code: { found: FoundScript | null } | null,
  ): Promise<Ran> {
    const { run } = flight;
    const { runTimeoutMs, codeMode } = this.options;
    const elapsed = Date.now() - Date.parse(run.startedAt ?? now());
    const timeout = setTimeout(
      () => abortFlight(flight, 'timeout'),
      Math.max(0, runTimeoutMs - elapsed),
    );
    const sink = this.options.artifacts?.sinkFor(run.id);
    const recorder = new EventRecorder({
      store: this.options.store,
      logger: this.options.logger,
      run,
      owner: this.options.owner,
      sink,
      // Nothing an engine reports may carry a secret: logs, steps and llm artifacts come from here.
      vault: secrets?.vault ?? null,
    });
    let result: EngineResult | null = null;
    let thrown: unknown = null;
    const found = code?.found ?? null;
    try {
      if (!isTaskRequest(run.request)) throw new Error('an SDK action is not run by a worker');
      const ctx: EngineContext = {
        // Sealed request values (headers, proxy password) are opened only here (sealed-request.ts).
        task: taskSpec(
          run,
          registration.engine.name,
          openRequest(run.request, run.id, this.options.secretBox),
          code !== null && found === null,
        ),
        signal: flight.controller.signal,
        emit: recorder.emit,
        artifacts: sink,
        ...(secrets ? { secrets: engineSecrets(secrets) } : {}),
      };
      result = await this.raceAbort(
        found && codeMode
          ? codeMode.replay(ctx, { body: found.body, params: found.params })
          : registration.engine.run(ctx),
        flight,
      );
    } catch (error) {
      thrown = error;
    } finally {
      clearTimeout(timeout);
    }
    const reached = await recorder.flush();
    return {
      result,
      thrown,
      counters: {
        stepCount: result?.stepCount ?? reached.stepCount,
        usage: result?.usage ?? reached.usage,
      },
    };
  }

  /** The run's final write: why it stopped, else what the engine reported. */
  private async settle(
    flight: InFlight,
    { result, thrown, counters }: Ran,
    secrets: RunSecrets | null,
    code: { found: FoundScript | null } | null,
  ): Promise<void> {
    const { run } = flight;
    switch (flight.reason) {
      case 'canceled':
        // The service already moved the run to canceled; keep the counters it reached.
        await this.options.store.runs.updateIf(run.id, ['canceled'], {
          ...counters,
          modifiedAt: now(),
        });
        return;
      case 'timeout':
        await this.finish(run.id, 'timed_out', {
          ...counters,
          failureReason: `The run exceeded its wall-clock limit of ${Math.round(this.options.runTimeoutMs / 1000)} s (WREN_RUN_TIMEOUT_SECONDS).`,
        });
        return;
      case 'shutdown':
        await this.requeue(run, 'server shutting down', {
          ...counters,
          attempts: run.attempts - 1,
        });
        return;
      case 'lost':
        // Another worker may own the run now; anything written here could clobber its work.
        this.options.logger.warn({ run_id: run.id }, 'lease lost; stopped the run');
        return;
      default:
        break;
    }
    // What the engine reports is stored and served (API, UI, webhook): a layer below may have
    // quoted a typed secret (an error naming the value), so the run's secrets are masked here.
    const vault = secrets?.vault ?? null;
    const clean = <T>(value: T): T => (vault ? vault.maskDeep(value) : value);
    if (thrown !== null || !result) {
      const message = clean(thrown instanceof Error ? thrown.message : String(thrown));
      await this.finish(run.id, 'failed', {
        ...counters,
        // Setup problems (model configuration) are already phrased for the caller.
        failureReason:
          thrown instanceof EngineSetupError
            ? message
            : `The ${run.engine} engine failed: ${message}`,
      });
      return;
    }
    const outcome = clean(result.outcome);
    const errors = clean(result.errors);
    const found = code?.found ?? null;
    const scriptRun = found
      ? await this.afterReplay(run, found, result as ReplayResult)
      : undefined;
    if (outcome.status === 'completed') {
      // The agent ran and wrote a script: script_run names the revision it wrote.
      const written =
        code && !found && result.recorded ? await this.compile(run, result, secrets) : undefined;
      const ran = scriptRun ?? written;
      await this.finish(run.id, 'completed', {
        ...counters,
        output: outcome.output ?? null,
        errors,
        ...(ran ? { scriptRun: ran } : {}),
      });
    } else {
      await this.finish(run.id, outcome.status, {
        ...counters,
        output: outcome.output ?? null,
        errors,
        failureReason:
          outcome.failureReason || `The engine reported ${outcome.status} without a reason.`,
        ...(scriptRun ? { scriptRun } : {}),
      });
    }
  }

  /**
   * Compiles a completed agent run of code mode into a script (best effort: logged on failure);
   * the run's script_run when a revision was written (the agent did the work: AI fallback).
   */
  private async compile(
    run: RunRecord,
    result: EngineResult,
    secrets: RunSecrets | null,
  ): Promise<RunRecord['scriptRun'] | undefined> {
    const { logger } = this.options;
    try {
      const written = await this.scripts.compile(
        run,
        result.recorded!,
        result.outcome.status === 'completed' ? result.outcome.output : null,
        secrets?.login?.username ?? null,
      );
      if ('reason' in written) {
        logger.info({ run_id: run.id, why: written.reason }, 'no script compiled from the run');
        return undefined;
      }
      logger.info(
        { run_id: run.id, script_id: written.script.id, revision: written.revision.revision },
        'script compiled from the run',
      );
      return {
        script_id: written.script.id,
        script_revision_id: written.revision.id,
        ai_fallback_triggered: true,
      };
    } catch (error) {
      logger.warn({ err: error, run_id: run.id }, 'could not compile a script from the run');
      return undefined;
    }
  }

  /** script_run of a replay; counts it and writes the healed revision. */
  private async afterReplay(run: RunRecord, found: FoundScript, result: ReplayResult) {
    try {
      const healed = await this.scripts.afterReplay(run, found, result);
      if (healed)
        this.options.logger.info(
          { run_id: run.id, script_id: found.script.id, revision: healed.revision },
          'healed script revision written',
        );
    } catch (error) {
      this.options.logger.warn({ err: error, run_id: run.id }, 'could not record the replay');
    }
    // The revision that ran; a healed run's new revision is listed under the script.
    return {
      script_id: found.script.id,
      script_revision_id: found.revision.id,
      ai_fallback_triggered: result.aiFallback,
    };
  }

  /** Resolves with the engine's result, or rejects once an aborted engine overstays its grace. */
  private raceAbort(work: Promise<EngineResult>, flight: InFlight): Promise<EngineResult> {
    const signal = flight.controller.signal;
    return new Promise<EngineResult>((resolve, reject) => {
      let grace: NodeJS.Timeout | null = null;
      const onAbort = () => {
        grace = setTimeout(() => {
          this.options.logger.warn(
            { run_id: flight.run.id },
            'engine ignored the abort signal; releasing its slot',
          );
          reject(new Error('engine did not stop after abort'));
        }, this.options.abortGraceMs);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => {
        if (grace) clearTimeout(grace);
        signal.removeEventListener('abort', onAbort);
      });
    });
  }

  /** Moves the run from `running` to `to`, while this worker still holds it. */
  async finish(
    runId: string,
    to: RunStatus,
    fields: {
      failureReason?: string;
      output?: unknown;
      errors?: readonly object[];
      stepCount?: number;
      usage?: RunUsage;
      scriptRun?: RunRecord['scriptRun'];
    },
  ): Promise<void> {
    assertTransition(runId, 'running', to, fields.failureReason);
    const at = now();
    const { store, owner, logger } = this.options;
    const updated = await store.leases.updateOwned(runId, owner, ['running'], {
      status: to,
      failureReason: fields.failureReason ?? null,
      output: fields.output,
      errors: fields.errors,
      stepCount: fields.stepCount,
      usage: fields.usage,
      ...(fields.scriptRun ? { scriptRun: fields.scriptRun } : {}),
      finishedAt: at,
      modifiedAt: at,
    });
    if (updated) {
      logger.info(
        {
          run_id: runId,
          from: 'running',
          to,
          failure_reason: fields.failureReason,
          steps: updated.stepCount,
        },
        'run transition',
      );
    }
  }

  private async requeue(
    run: RunRecord,
    why: string,
    extra: { attempts: number; stepCount?: number; usage?: RunUsage },
  ): Promise<void> {
    const { store, owner, logger } = this.options;
    const updated = await store.leases.updateOwned(run.id, owner, ['running'], {
      status: 'queued',
      startedAt: null,
      attempts: extra.attempts,
      stepCount: extra.stepCount,
      usage: extra.usage,
      modifiedAt: now(),
    });
    if (updated)
      logger.info({ run_id: run.id, from: 'running', to: 'queued', why }, 'run transition');
  }
}

/** The engine's task: the request as accepted, with the sealed values opened. */
function taskSpec(
  run: RunRecord,
  engine: EngineName,
  request: TaskRunRequestEcho,
  recordScript: boolean,
): TaskSpec {
  return {
    runId: run.id,
    organizationId: run.organizationId,
    prompt: run.prompt,
    url: request.url ?? null,
    engine,
    title: request.title ?? null,
    dataExtractionSchema: request.data_extraction_schema ?? null,
    errorCodeMapping: request.error_code_mapping ?? null,
    maxSteps: request.max_steps ?? DEFAULT_MAX_STEPS[engine],
    totpIdentifier: request.totp_identifier ?? null,
    totpUrl: request.totp_url ?? null,
    browserSessionId: request.browser_session_id ?? null,
    browserAddress: request.browser_address ?? null,
    browserProfileId: request.browser_profile_id ?? null,
    cdpConnectHeaders: request.cdp_connect_headers ?? null,
    extraHttpHeaders: request.extra_http_headers ?? null,
    proxyLocation: request.proxy_location ?? null,
    includeActionHistoryInVerification: request.include_action_history_in_verification === true,
    maxScreenshotScrolls: request.max_screenshot_scrolls ?? 0,
    model: request.model ?? null,
    ...(recordScript ? { recordScript: true } : {}),
  };
}

/** The engines' view of a run's secrets: placeholders and a code resolver, never raw values. */
function engineSecrets(secrets: RunSecrets): EngineSecrets {
  const { vault } = secrets;
  return {
    mask: (text) => vault.mask(text),
    substitute: (text) => vault.substitute(text),
    login: secrets.login,
    credentialFields: secrets.credentialFields,
    hasTotpSource: secrets.totpSources.length > 0,
    async resolveTotp(signal) {
      const r = await secrets.resolveTotp({ signal });
      return r.ok ? { ok: true } : { ok: false, errorCode: r.errorCode, reason: r.reason };
    },
  };
}
