/**
 * A worker's hold on its runs (src/store/leases.ts): claims queued runs under a lease, renews the
 * leases by heartbeat, keeps the worker's row in the directory (where its live views are served),
 * and applies the restart policy to runs whose worker stopped renewing.
 *
 * Restart policy: a run left `running` by a process that died is re-queued once; if it was
 * already retried, it fails with a reason saying the worker died. An SDK action is never re-queued.
 *
 * The heartbeat also tells the worker that a run it holds was canceled elsewhere (an API node),
 * or that it lost the lease; the keeper then asks the worker to stop the run.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { RunRecord, Store } from '../store/index.js';
import { now } from './service.js';

/** A run is started at most this many times (first attempt + one retry after a crash). */
export const MAX_ATTEMPTS = 2;

/** `before` of the sweep at an exclusive start: every running run is an orphan. */
const END_OF_TIME = '9999-12-31T23:59:59.999Z';
/** An SDK action (POST /v1/sdk/run_action) still running after this was left by a dead process. */
const SDK_ACTION_MAX_MS = 15 * 60_000;
/** A worker's row in the directory is refreshed this often; rows far older are pruned. */
const ANNOUNCE_EVERY_MS = 60_000;
const FORGET_AFTER_MS = 10 * 60_000;

/** What the keeper needs of the worker: the runs it executes, and a way to stop one. */
export interface LeaseHolder {
  /** The runs in flight by id; a run with a reason is already stopping. */
  readonly inFlight: ReadonlyMap<string, { readonly reason: string | null }>;
  stop(runId: string, reason: 'canceled' | 'lost'): void;
}

export interface LeaseKeeperOptions {
  store: Store;
  logger: Logger;
  /** Lease on a claimed run; renewed about every third of it. */
  leaseMs: number;
  /** Running runs per organization across all workers; null for no limit. */
  orgMaxConcurrency: number | null;
}

export class LeaseKeeper {
  /** Identifies this worker's leases: host, pid and a random part (pids repeat across hosts). */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private timer: NodeJS.Timeout | null = null;
  private lastHeartbeat = 0;
  private sweeping = false;
  private lastSweep = 0;
  private liveUrl: string | null = null;
  private lastAnnounce = 0;

  constructor(
    private readonly options: LeaseKeeperOptions,
    private readonly holder: LeaseHolder,
  ) {}

  /**
   * Announces the worker (with `liveUrl`, where it serves live views) before its first claim, so
   * a viewer of any run it holds can find it; with `exclusive` (the only worker on its database)
   * recovers every running run at once; then renews leases at least every second.
   */
  async start(liveUrl: string | null, exclusive: boolean): Promise<void> {
    const { store } = this.options;
    this.liveUrl = liveUrl;
    if (liveUrl) {
      await store.workers.announce(this.owner, liveUrl, now());
      this.lastAnnounce = Date.now();
      await store.workers.prune(new Date(Date.now() - FORGET_AFTER_MS).toISOString());
    }
    if (exclusive) await this.sweepExpired(END_OF_TIME);
    this.lastHeartbeat = Date.now();
    this.timer = setInterval(
      () => void this.heartbeat(),
      Math.min(1000, Math.floor(this.options.leaseMs / 3)),
    );
    this.timer.unref();
  }

  /** Stops renewing leases (at shutdown, before the runs in flight are put back). */
  stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Removes this worker from the directory (after its runs stopped). */
  async leaveDirectory(): Promise<void> {
    if (this.liveUrl) {
      await this.options.store.workers.remove(this.owner).catch((error) => {
        this.options.logger.warn({ err: error }, 'could not remove this worker from the directory');
      });
    }
  }

  /** The oldest eligible queued run, now `running` under this worker's lease; null when none. */
  async claim(): Promise<RunRecord | null> {
    const at = now();
    return this.options.store.leases.claim({
      owner: this.owner,
      now: at,
      leaseUntil: new Date(Date.parse(at) + this.options.leaseMs).toISOString(),
      orgLimit: this.options.orgMaxConcurrency,
    });
  }

  /**
   * Recovers runs whose lease ran out, when the last look is old enough: a few looks per lease
   * period suffice, and on Postgres each look is a round trip.
   */
  async sweepIfDue(): Promise<void> {
    if (Date.now() - this.lastSweep >= Math.min(5000, this.options.leaseMs / 4))
      await this.sweepExpired();
  }

  /**
   * Renews this worker's leases. A held run missing from the answer was canceled elsewhere or
   * recovered from us; it is stopped. When renewals keep failing until the lease is nearly over,
   * every run is stopped before another worker may take it over.
   */
  private async heartbeat(): Promise<void> {
    const { store, logger, leaseMs } = this.options;
    if (this.liveUrl && Date.now() - this.lastAnnounce >= ANNOUNCE_EVERY_MS) {
      this.lastAnnounce = Date.now();
      await store.workers.announce(this.owner, this.liveUrl, now()).catch((error) => {
        logger.warn({ err: error }, 'could not refresh this worker in the directory');
      });
    }
    const { inFlight } = this.holder;
    if (inFlight.size === 0) {
      this.lastHeartbeat = Date.now();
      return;
    }
    try {
      const held = new Set(
        await store.leases.heartbeat(this.owner, new Date(Date.now() + leaseMs).toISOString()),
      );
      this.lastHeartbeat = Date.now();
      for (const [runId, flight] of inFlight) {
        if (held.has(runId) || flight.reason) continue;
        const current = await store.runs.getById(runId);
        if (current?.status === 'running' && (await store.leases.owner(runId)) === this.owner)
          continue; // claimed after the heartbeat's update
        const reason = current?.status === 'canceled' ? 'canceled' : 'lost';
        logger.info({ run_id: runId, reason, status: current?.status }, 'stopping run');
        this.holder.stop(runId, reason);
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not renew run leases');
      if (Date.now() - this.lastHeartbeat > leaseMs * 0.8) {
        for (const runId of inFlight.keys()) this.holder.stop(runId, 'lost');
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
        if (this.holder.inFlight.has(found.run.id)) continue;
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
}
