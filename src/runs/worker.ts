/**
 * The in-process worker: claims queued runs from the store (atomically, so the queue is durable
 * and survives restarts) and runs each with a concurrency limit, a wall-clock limit and
 * cancellation. It coordinates three parts:
 *
 * - the lease keeper (lease-keeper.ts): claims, lease renewal, the worker directory, and the
 *   restart policy for runs a dead worker left `running`;
 * - the run executor (run-executor.ts): one run through its engine, and its final status;
 * - the event recorder (event-recorder.ts): steps, llm artifacts and counters while it runs.
 *
 * Several workers (processes or machines on one Postgres) share the queue through leases
 * (src/store/leases.ts). The heartbeat tells a worker that a run it holds was canceled elsewhere
 * (an API node), or that it lost the lease, and then it stops the run and writes nothing more.
 */
import type { Logger } from 'pino';
import type { ArtifactService } from '../artifacts/index.js';
import type { SecretBox } from '../credentials/index.js';
import type { EngineRegistry } from '../engines/index.js';
import type { ConfigResult } from '../llm/index.js';
import type { RunRecord, Store } from '../store/index.js';
import { LeaseKeeper } from './lease-keeper.js';
import { Pump } from './pump.js';
import {
  type AbortReason,
  abortFlight,
  type CodeModeOptions,
  type InFlight,
  RunExecutor,
} from './run-executor.js';
import type { RunSecrets } from './secrets.js';
import type { RunService } from './service.js';

export { MAX_ATTEMPTS } from './lease-keeper.js';

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
  codeMode?: CodeModeOptions;
}

export class Worker {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly leases: LeaseKeeper;
  private readonly executor: RunExecutor;
  private running = false;
  private readonly pumper = new Pump(
    () => this.pump(),
    () => this.running,
  );
  private timer: NodeJS.Timeout | null = null;
  private readonly pollIntervalMs: number;
  private liveUrl: string | null = null;

  constructor(private readonly options: WorkerOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.leases = new LeaseKeeper(
      {
        store: options.store,
        logger: options.logger,
        leaseMs: options.leaseMs ?? 30_000,
        orgMaxConcurrency: options.orgMaxConcurrency ?? null,
      },
      { inFlight: this.inFlight, stop: (runId, reason) => this.abort(runId, reason) },
    );
    this.executor = new RunExecutor({
      store: options.store,
      logger: options.logger,
      engines: options.engines,
      model: options.model,
      runTimeoutMs: options.runTimeoutMs,
      abortGraceMs: options.abortGraceMs ?? 5000,
      secretBox: options.secretBox,
      artifacts: options.artifacts,
      prepareSecrets: options.prepareSecrets,
      codeMode: options.codeMode,
      owner: this.leases.owner,
    });
    options.service.attach({
      enqueued: () => this.wake(),
      canceled: (runId) => this.abort(runId, 'canceled'),
    });
  }

  /** Identifies this worker's leases (host:pid:random), as in runs.lease_owner. */
  get owner(): string {
    return this.leases.owner;
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
    await this.leases.start(this.liveUrl, this.options.exclusive !== false);
    this.running = true;
    this.timer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  /** Stops claiming; in-flight runs are aborted and put back in the queue for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.leases.stopRenewing();
    await this.pumper.idle();
    const pending = [...this.inFlight.values()];
    for (const flight of pending) this.abort(flight.run.id, 'shutdown');
    await Promise.all(pending.map((f) => f.done));
    await this.leases.leaveDirectory();
  }

  wake(): void {
    this.pumper.wake();
  }

  private async pump(): Promise<void> {
    try {
      // Every wake (a poll, an enqueue, a finished run) may claim.
      await this.leases.sweepIfDue();
      while (this.running && this.inFlight.size < this.options.maxConcurrency) {
        const run = await this.leases.claim();
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

  private abort(runId: string, reason: AbortReason): void {
    const flight = this.inFlight.get(runId);
    if (flight) abortFlight(flight, reason);
  }

  private launch(run: RunRecord): void {
    const controller = new AbortController();
    const flight: InFlight = { run, controller, reason: null, done: Promise.resolve() };
    this.inFlight.set(run.id, flight);
    flight.done = this.executor
      .execute(flight)
      .catch((error) =>
        this.options.logger.error({ err: error, run_id: run.id }, 'worker failed to record a run'),
      )
      .finally(() => {
        this.inFlight.delete(run.id);
        this.wake();
      });
  }
}
