/**
 * The in-process worker: claims queued runs from the store (atomically, so the queue is durable
 * and survives restarts), runs each through its engine with a concurrency limit, a wall-clock
 * limit and cancellation, and records steps and the final outcome.
 *
 * Restart policy: a run left `running` by a process that died is re-queued once; if it was
 * already retried, it fails with a reason saying the worker died.
 *
 * Several workers (processes or machines on one Postgres) share the queue through leases
 * (src/store/leases.ts): each claim carries a lease the worker renews by heartbeat. Any worker
 * sweeps runs whose lease ran out and applies the policy above, exactly once per dead claim. The
 * heartbeat also tells a worker that a run it holds was canceled elsewhere (an API node), or that
 * it lost the lease, and then it stops the run and writes nothing more.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ArtifactService, ArtifactSink } from '../artifacts/index.js';
import type { RunStatus } from '../contract/index.js';
import type { SecretBox } from '../credentials/index.js';
import type {
  EngineContext,
  EngineEvent,
  EngineName,
  EngineResult,
  EngineSecrets,
  TaskSpec,
} from '../engines/index.js';
import {
  DEFAULT_MAX_STEPS,
  type EngineRegistry,
  EngineSetupError,
  type ReplayInput,
  type ReplayResult,
} from '../engines/index.js';
import type { ConfigResult } from '../llm/index.js';
import type { RunRecord, RunUsage, Store } from '../store/index.js';
import {
  type FoundScript,
  type RunWith,
  runWithOf,
  SCRIPT_ENGINES,
  ScriptService,
} from './scripts.js';
import { openRequest } from './sealed-request.js';
import { type RunSecrets, RunSecretsError } from './secrets.js';
import { now, type RunService } from './service.js';
import { assertTransition } from './status.js';

/** A run is started at most this many times (first attempt + one retry after a crash). */
export const MAX_ATTEMPTS = 2;

export interface WorkerOptions {
  store: Store;
  /** Opens the sealed parts of run requests (sealed-request.ts); without it they stay masked. */
  secretBox?: SecretBox;
  service: RunService;
  engines: EngineRegistry;
  logger: Logger;
  model: ConfigResult;
  maxConcurrency: number;
  runTimeoutMs: number;
  /** How often to look for runs queued by another process (the wake-up covers our own). */
  pollIntervalMs?: number;
  /** How long to wait for an aborted engine to return before freeing its slot. */
  abortGraceMs?: number;
  /** Given to engines as ctx.artifacts; model_call events are kept as llm_prompt/llm_response. */
  artifacts?: ArtifactService;
  /** Builds a run's credentials and 2FA sources (src/runs/secrets.ts). */
  prepareSecrets?: (run: RunRecord) => Promise<RunSecrets>;
  /** Lease on a claimed run; renewed about every third of it (default 30 s). */
  leaseMs?: number;
  /** Running runs per organization across all workers; null for no limit. */
  orgMaxConcurrency?: number | null;
  /**
   * This is the only worker on the database (embedded SQLite): at start, every `running` run is
   * an orphan of a dead process and is recovered at once instead of after its lease runs out.
   */
  exclusive?: boolean;
  /**
   * Code mode (docs/code-mode.md): `replay` runs a compiled script; `defaultRunWith` applies when
   * a request has no run_with (WREN_RUN_WITH). Without it every run is an agent run.
   */
  codeMode?: {
    defaultRunWith: RunWith;
    replay(ctx: EngineContext, input: ReplayInput): Promise<ReplayResult>;
  };
}

type AbortReason = 'canceled' | 'timeout' | 'shutdown' | 'lost';

interface InFlight {
  run: RunRecord;
  controller: AbortController;
  reason: AbortReason | null;
  done: Promise<void>;
}

/** `before` of the sweep at an exclusive start: every running run is an orphan. */
const END_OF_TIME = '9999-12-31T23:59:59.999Z';
/** An SDK action (POST /v1/sdk/run_action) still running after this was left by a dead process. */
const SDK_ACTION_MAX_MS = 15 * 60_000;
/** A worker's row in the directory is refreshed this often; rows far older are pruned. */
const ANNOUNCE_EVERY_MS = 60_000;
const FORGET_AFTER_MS = 10 * 60_000;

const ZERO_USAGE: RunUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };

function taskSpec(run: RunRecord, recordScript = false): TaskSpec {
  const r = run.request;
  const str = (k: string): string | null => (typeof r[k] === 'string' ? (r[k] as string) : null);
  const map = (k: string): Record<string, string> | null =>
    typeof r[k] === 'object' && r[k] !== null ? (r[k] as Record<string, string>) : null;
  const engine = run.engine as EngineName;
  return {
    runId: run.id,
    organizationId: run.organizationId,
    prompt: run.prompt,
    url: str('url'),
    engine,
    title: str('title'),
    dataExtractionSchema: r['data_extraction_schema'] ?? null,
    errorCodeMapping: map('error_code_mapping'),
    maxSteps: typeof r['max_steps'] === 'number' ? r['max_steps'] : DEFAULT_MAX_STEPS[engine],
    totpIdentifier: str('totp_identifier'),
    totpUrl: str('totp_url'),
    browserSessionId: str('browser_session_id'),
    browserAddress: str('browser_address'),
    browserProfileId: str('browser_profile_id'),
    cdpConnectHeaders: map('cdp_connect_headers'),
    extraHttpHeaders: map('extra_http_headers'),
    proxyLocation: r['proxy_location'] ?? null,
    includeActionHistoryInVerification: r['include_action_history_in_verification'] === true,
    maxScreenshotScrolls:
      typeof r['max_screenshot_scrolls'] === 'number' ? r['max_screenshot_scrolls'] : 0,
    model:
      typeof r['model'] === 'object' && r['model'] !== null
        ? (r['model'] as Record<string, unknown>)
        : null,
    ...(recordScript ? { recordScript: true } : {}),
  };
}

/**
 * Keeps a model call's prompt and answer as llm_prompt / llm_response artifacts. Read
 * structurally so it works with every engine event union that has a `model_call` member.
 */
async function recordModelCall(sink: ArtifactSink, event: unknown): Promise<void> {
  if (typeof event !== 'object' || event === null) return;
  const e = event as Record<string, unknown>;
  if (e['type'] !== 'model_call') return;
  const stepId = typeof e['stepIndex'] === 'number' ? `step_${e['stepIndex']}` : null;
  const prompt = e['prompt'];
  const response = e['response'];
  const meta = { role: e['role'] ?? null, model: e['model'] ?? null };
  if (prompt !== undefined)
    await sink.put({
      type: 'llm_prompt',
      stepId,
      contentType: 'application/json',
      bytes: JSON.stringify({ ...meta, prompt }),
    });
  if (response !== undefined)
    await sink.put({
      type: 'llm_response',
      stepId,
      contentType: typeof response === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      bytes: typeof response === 'string' ? response : JSON.stringify(response),
    });
}

const addUsage = (a: RunUsage, b: RunUsage): RunUsage => ({
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
  costUsd: a.costUsd + b.costUsd,
});

export class Worker {
  private readonly inFlight = new Map<string, InFlight>();
  private running = false;
  private pumping = false;
  private currentPump: Promise<void> = Promise.resolve();
  private pumpAgain = false;
  private timer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private lastHeartbeat = 0;
  private sweeping = false;
  private lastSweep = 0;
  private readonly pollIntervalMs: number;
  private readonly abortGraceMs: number;
  private readonly leaseMs: number;
  private liveUrl: string | null = null;
  private lastAnnounce = 0;
  /** Identifies this worker's leases: host, pid and a random part (pids repeat across hosts). */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  constructor(private readonly options: WorkerOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.abortGraceMs = options.abortGraceMs ?? 5000;
    this.leaseMs = options.leaseMs ?? 30_000;
    options.service.attach({
      enqueued: () => this.wake(),
      canceled: (runId) => this.abort(runId, 'canceled'),
    });
  }

  get activeRuns(): number {
    return this.inFlight.size;
  }

  /**
   * Where this worker serves the live view of its runs (its internal endpoint); recorded in the
   * store's worker directory so API nodes can relay viewers. Set before `start`.
   */
  setLiveUrl(url: string): void {
    this.liveUrl = url;
  }

  /** Resolves runs a dead process left running, then starts claiming queued runs. */
  async start(): Promise<void> {
    if (this.running) return;
    if (this.liveUrl) {
      // Before the first claim: a viewer of any run we hold can find us.
      await this.options.store.workers.announce(this.owner, this.liveUrl, now());
      this.lastAnnounce = Date.now();
      await this.options.store.workers.prune(new Date(Date.now() - FORGET_AFTER_MS).toISOString());
    }
    // The only worker on its database: every running run belongs to a process that died.
    if (this.options.exclusive !== false) await this.sweepExpired(END_OF_TIME);
    this.running = true;
    this.lastHeartbeat = Date.now();
    this.timer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.timer.unref();
    // Renew leases (and notice cancels from other nodes) at least every second.
    this.heartbeatTimer = setInterval(
      () => void this.heartbeat(),
      Math.min(1000, Math.floor(this.leaseMs / 3)),
    );
    this.heartbeatTimer.unref();
    this.wake();
  }

  /** Stops claiming; in-flight runs are aborted and put back in the queue for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.timer = null;
    this.heartbeatTimer = null;
    await this.currentPump;
    const pending = [...this.inFlight.values()];
    for (const flight of pending) this.abort(flight.run.id, 'shutdown');
    await Promise.all(pending.map((f) => f.done));
    if (this.liveUrl) {
      await this.options.store.workers.remove(this.owner).catch((error) => {
        this.options.logger.warn({ err: error }, 'could not remove this worker from the directory');
      });
    }
  }

  wake(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.currentPump = this.pump().finally(() => {
      this.pumping = false;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.wake();
      }
    });
  }

  private async pump(): Promise<void> {
    try {
      // Every wake (a poll, an enqueue, a finished run) may claim; expired leases only need a look
      // a few times per lease period, and on Postgres each look is a round trip.
      if (Date.now() - this.lastSweep >= Math.min(5000, this.leaseMs / 4))
        await this.sweepExpired();
      while (this.running && this.inFlight.size < this.options.maxConcurrency) {
        const at = now();
        const run = await this.options.store.leases.claim({
          owner: this.owner,
          now: at,
          leaseUntil: new Date(Date.parse(at) + this.leaseMs).toISOString(),
          orgLimit: this.options.orgMaxConcurrency ?? null,
        });
        if (!run) return;
        this.options.logger.info(
          { run_id: run.id, from: 'queued', to: 'running', attempt: run.attempts },
          'run transition',
        );
        this.launch(run);
      }
    } catch (error) {
      this.options.logger.error({ err: error }, 'worker could not claim a run');
    }
  }

  /**
   * Renews this worker's leases. A held run missing from the answer was canceled elsewhere or
   * recovered from us; it is stopped. When renewals keep failing until the lease is nearly over,
   * every run is stopped before another worker may take it over.
   */
  private async heartbeat(): Promise<void> {
    if (this.liveUrl && Date.now() - this.lastAnnounce >= ANNOUNCE_EVERY_MS) {
      this.lastAnnounce = Date.now();
      await this.options.store.workers.announce(this.owner, this.liveUrl, now()).catch((error) => {
        this.options.logger.warn({ err: error }, 'could not refresh this worker in the directory');
      });
    }
    if (this.inFlight.size === 0) {
      this.lastHeartbeat = Date.now();
      return;
    }
    const { store, logger } = this.options;
    try {
      const held = new Set(
        await store.leases.heartbeat(this.owner, new Date(Date.now() + this.leaseMs).toISOString()),
      );
      this.lastHeartbeat = Date.now();
      for (const [runId, flight] of this.inFlight) {
        if (held.has(runId) || flight.reason) continue;
        const current = await store.getRunById(runId);
        if (current?.status === 'running' && (await store.leases.owner(runId)) === this.owner)
          continue; // claimed after the heartbeat's update
        const reason = current?.status === 'canceled' ? 'canceled' : 'lost';
        logger.info({ run_id: runId, reason, status: current?.status }, 'stopping run');
        this.abort(runId, reason);
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not renew run leases');
      if (Date.now() - this.lastHeartbeat > this.leaseMs * 0.8) {
        for (const runId of this.inFlight.keys()) this.abort(runId, 'lost');
      }
    }
  }

  /** Applies the restart policy to runs whose worker stopped renewing its lease. */
  private async sweepExpired(before = now()): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    this.lastSweep = Date.now();
    try {
      const { store, logger } = this.options;
      for (const found of await store.leases.expired(before)) {
        if (this.inFlight.has(found.run.id)) continue;
        const { run } = found;
        const at = now();
        if (run.runType === 'sdk_action') {
          // Run by the API call that made it, under no lease: never requeued (no worker can run
          // it); failed only once its call must be over, or at an exclusive start.
          const started = Date.parse(run.startedAt ?? run.createdAt);
          if (before !== END_OF_TIME && Date.now() - started < SDK_ACTION_MAX_MS) continue;
          await store.leases.recover(found, {
            status: 'failed',
            failureReason: 'The server process running this SDK action stopped before it finished.',
            finishedAt: at,
            modifiedAt: at,
          });
          continue;
        }
        const recovered =
          run.attempts < MAX_ATTEMPTS
            ? await store.leases.recover(found, {
                status: 'queued',
                startedAt: null,
                modifiedAt: at,
              })
            : await store.leases.recover(found, {
                status: 'failed',
                failureReason: `The worker died while this run was running (attempt ${run.attempts} of ${MAX_ATTEMPTS}); it is not retried again.`,
                finishedAt: at,
                modifiedAt: at,
              });
        if (recovered)
          logger.info(
            {
              run_id: run.id,
              from: 'running',
              to: recovered.status,
              why: `lease of ${found.leaseOwner ?? 'unknown worker'} expired`,
            },
            'run transition',
          );
      }
    } finally {
      this.sweeping = false;
    }
  }

  private abort(runId: string, reason: AbortReason): void {
    const flight = this.inFlight.get(runId);
    if (!flight || flight.reason) return;
    flight.reason = reason;
    flight.controller.abort(new Error(`run ${reason}`));
  }

  private launch(run: RunRecord): void {
    const controller = new AbortController();
    const flight: InFlight = { run, controller, reason: null, done: Promise.resolve() };
    this.inFlight.set(run.id, flight);
    flight.done = this.execute(flight)
      .catch((error) =>
        this.options.logger.error({ err: error, run_id: run.id }, 'worker failed to record a run'),
      )
      .finally(() => {
        this.inFlight.delete(run.id);
        this.wake();
      });
  }

  private async execute(flight: InFlight): Promise<void> {
    const { run } = flight;
    const { engines, model } = this.options;
    const registration = engines.get(run.engine as EngineName);
    const codeMode =
      this.options.codeMode &&
      SCRIPT_ENGINES.includes(run.engine) &&
      runWithOf(run, this.options.codeMode.defaultRunWith) === 'code';
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
      await this.executeWith(flight, registration, secrets, codeMode ? { found } : null);
    } finally {
      secrets?.release();
    }
  }

  private async executeWith(
    flight: InFlight,
    registration: NonNullable<ReturnType<EngineRegistry['get']>>,
    secrets: RunSecrets | null,
    code: { found: FoundScript | null } | null = null,
  ): Promise<void> {
    const { run } = flight;
    const { logger, runTimeoutMs } = this.options;
    const elapsed = Date.now() - Date.parse(run.startedAt ?? now());
    const timeout = setTimeout(
      () => this.abort(run.id, 'timeout'),
      Math.max(0, runTimeoutMs - elapsed),
    );
    let usage = ZERO_USAGE;
    let steps = 0;
    let writes: Promise<void> = Promise.resolve();
    const sink = this.options.artifacts?.sinkFor(run.id);
    const record = (event: EngineEvent) => {
      // Stamped when it happened, not when the queued write before it finished.
      const at = now();
      writes = writes
        .then(() => this.recordEvent(run, event, at))
        .then(() => (sink ? recordModelCall(sink, event) : undefined))
        .catch((error) => {
          logger.warn({ err: error, run_id: run.id }, 'could not record an engine event');
        });
    };
    const emit = (raw: EngineEvent) => {
      // Nothing an engine reports may carry a secret: logs, steps and llm artifacts come from here.
      const event = secrets ? (secrets.vault.maskDeep(raw) as EngineEvent) : raw;
      // Usage accrues from model calls and from steps that carry it (engines report it once).
      if (event.type === 'model_call') usage = addUsage(usage, event.usage);
      if (event.type === 'step_finished') {
        steps = Math.max(steps, event.stepIndex + 1);
        if (event.usage) usage = addUsage(usage, event.usage);
        const snapshot = { steps, usage };
        record(event);
        writes = writes.then(async () => {
          await this.options.store.leases.updateOwned(run.id, this.owner, ['running'], {
            stepCount: snapshot.steps,
            usage: snapshot.usage,
            modifiedAt: now(),
          });
        });
      } else {
        record(event);
      }
    };

    let result: EngineResult | null = null;
    let thrown: unknown = null;
    const found = code?.found ?? null;
    try {
      const ctx: EngineContext = {
        // Sealed request values (headers, proxy password) are opened only here (sealed-request.ts).
        task: taskSpec(
          { ...run, request: openRequest(run.request, run.id, this.options.secretBox) },
          code !== null && found === null,
        ),
        signal: flight.controller.signal,
        emit,
        artifacts: sink,
        ...(secrets ? { secrets: engineSecrets(secrets) } : {}),
      };
      result = await this.raceAbort(
        found && this.options.codeMode
          ? this.options.codeMode.replay(ctx, { body: found.body, params: found.params })
          : registration.engine.run(ctx),
        flight,
      );
    } catch (error) {
      thrown = error;
    } finally {
      clearTimeout(timeout);
    }
    await writes;

    const stepCount = result?.stepCount ?? steps;
    const finalUsage = result?.usage ?? usage;
    const counters = { stepCount, usage: finalUsage };
    switch (flight.reason) {
      case 'canceled':
        // The service already moved the run to canceled; keep the counters it reached.
        await this.options.store.updateRunIf(run.id, ['canceled'], {
          ...counters,
          modifiedAt: now(),
        });
        return;
      case 'timeout':
        await this.finish(run.id, 'timed_out', {
          ...counters,
          failureReason: `The run exceeded its wall-clock limit of ${Math.round(runTimeoutMs / 1000)} s (WREN_RUN_TIMEOUT_SECONDS).`,
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
    if (thrown !== null || !result) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
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
    const { outcome, errors } = result;
    const scriptRun = found
      ? await this.afterReplay(run, found, result as ReplayResult)
      : undefined;
    if (outcome.status === 'completed') {
      if (code && !found && result.recorded) await this.compile(run, result, secrets);
      await this.finish(run.id, 'completed', {
        ...counters,
        output: outcome.output ?? null,
        errors,
        ...(scriptRun ? { scriptRun } : {}),
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

  private get scripts(): ScriptService {
    return new ScriptService(this.options.store);
  }

  /** Compiles a completed agent run of code mode into a script (best effort: logged on failure). */
  private async compile(run: RunRecord, result: EngineResult, secrets: RunSecrets | null) {
    const { logger } = this.options;
    try {
      const written = await this.scripts.compile(
        run,
        result.recorded!,
        result.outcome.status === 'completed' ? result.outcome.output : null,
        secrets?.login?.username ?? null,
      );
      if ('reason' in written)
        logger.info({ run_id: run.id, why: written.reason }, 'no script compiled from the run');
      else
        logger.info(
          { run_id: run.id, script_id: written.script.id, revision: written.revision.revision },
          'script compiled from the run',
        );
    } catch (error) {
      logger.warn({ err: error, run_id: run.id }, 'could not compile a script from the run');
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
        }, this.abortGraceMs);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => {
        if (grace) clearTimeout(grace);
        signal.removeEventListener('abort', onAbort);
      });
    });
  }

  private async recordEvent(run: RunRecord, event: EngineEvent, at: string): Promise<void> {
    const { logger, store } = this.options;
    if (event.type === 'log') {
      logger[event.level]({ run_id: run.id, ...event.data }, event.message);
      return;
    }
    const stepIndex =
      'stepIndex' in event
        ? event.stepIndex
        : event.type === 'subgoal_started'
          ? event.firstStep
          : -1;
    const usage =
      (event.type === 'step_finished' || event.type === 'model_call') && event.usage
        ? event.usage
        : ZERO_USAGE;
    const summary = eventSummary(event);
    logger.info(
      { run_id: run.id, step: stepIndex, event: event.type, summary: summary ?? undefined },
      'run step',
    );
    await store.insertStep({
      runId: run.id,
      stepIndex,
      kind: event.type,
      summary,
      usage,
      data: eventData(event),
      createdAt: at,
    });
  }

  private async finish(
    runId: string,
    to: RunStatus,
    fields: {
      failureReason?: string;
      output?: unknown;
      errors?: Record<string, unknown>[] | unknown[];
      stepCount?: number;
      usage?: RunUsage;
      scriptRun?: RunRecord['scriptRun'];
    },
  ): Promise<void> {
    assertTransition(runId, 'running', to, fields.failureReason);
    const at = now();
    const updated = await this.options.store.leases.updateOwned(runId, this.owner, ['running'], {
      status: to,
      failureReason: fields.failureReason ?? null,
      output: fields.output,
      errors: fields.errors as Record<string, unknown>[] | undefined,
      stepCount: fields.stepCount,
      usage: fields.usage,
      ...(fields.scriptRun ? { scriptRun: fields.scriptRun } : {}),
      finishedAt: at,
      modifiedAt: at,
    });
    if (updated) {
      this.options.logger.info(
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
    const updated = await this.options.store.leases.updateOwned(run.id, this.owner, ['running'], {
      status: 'queued',
      startedAt: null,
      attempts: extra.attempts,
      stepCount: extra.stepCount,
      usage: extra.usage,
      modifiedAt: now(),
    });
    if (updated)
      this.options.logger.info(
        { run_id: run.id, from: 'running', to: 'queued', why },
        'run transition',
      );
  }
}

/** One line for logs and the step list. */
function eventSummary(event: Exclude<EngineEvent, { type: 'log' }>): string | null {
  switch (event.type) {
    case 'step_finished':
      return event.summary;
    case 'action':
      return `${event.action}${event.ok ? '' : ' (failed)'}${event.note ? ` — ${event.note}` : ''}`;
    case 'model_call':
      return `${event.role} call to ${event.model} (${event.durationMs} ms)`;
    case 'subgoal_started':
      return `${event.kind}: ${event.goal}`;
    case 'subgoal_finished':
      return `${event.status}: ${event.outcome}`;
    case 'network_blocked':
      return `blocked ${event.url}: ${event.reason}`;
    default:
      return null;
  }
}

/** What the timeline needs of an event; prompts and responses are stored as artifacts instead. */
function eventData(event: Exclude<EngineEvent, { type: 'log' }>): Record<string, unknown> | null {
  switch (event.type) {
    case 'action':
      return {
        action_index: event.actionIndex,
        action: event.action,
        ok: event.ok,
        note: event.note ?? null,
        duration_ms: event.durationMs,
      };
    case 'model_call':
      return { role: event.role, model: event.model, duration_ms: event.durationMs };
    case 'step_finished':
      if (!event.reasoning && event.observeMs === undefined) return null;
      return {
        ...(event.reasoning ? { reasoning: event.reasoning } : {}),
        ...(event.observeMs !== undefined ? { observe_ms: event.observeMs } : {}),
      };
    case 'subgoal_started':
      return { subgoal_index: event.subgoalIndex, kind: event.kind, goal: event.goal };
    case 'subgoal_finished':
      return {
        subgoal_index: event.subgoalIndex,
        status: event.status,
        outcome: event.outcome,
        data: event.data ?? null,
      };
    case 'network_blocked':
      return { method: event.method, url: event.url, reason: event.reason };
    default:
      return null;
  }
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
