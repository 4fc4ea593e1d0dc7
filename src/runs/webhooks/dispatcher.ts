/**
 * The webhook delivery loop. Terminal runs get an outbox row in the same transaction as their
 * status change (store.runs.updateIf); this loop leases due rows, freezes the payload at the first
 * attempt (so every retry sends the same bytes), POSTs it signed with the run creator's API key,
 * records every attempt, and schedules retries with exponential backoff and jitter, honouring
 * Retry-After. Leases make it safe for several processes to run the loop on one database, and a
 * process killed mid-way leaves rows that the next start (or another process) picks up.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ArtifactService } from '../../artifacts/index.js';
import type { WebhookConfig } from '../../config.js';
import type { RunWebhookDeliveries, RunWebhookReplayResponse } from '../../contract/index.js';
import { badRequest, newId, notFound } from '../../core/index.js';
import type { EgressPolicy } from '../../net/index.js';
import type { Store, WebhookDelivery } from '../../store/index.js';
import { Pump } from '../pump.js';
import type { WebhookKeyring } from './keyring.js';
import { buildWebhookPayload } from './payload.js';
import { type SendOutcome, sendWebhook } from './send.js';

/** Longest wait between attempts, whatever Retry-After says. */
export const MAX_RETRY_DELAY_MS = 3_600_000;
/** Replays wait longer for the receiver (docs/webhooks.md). */
export const REPLAY_TIMEOUT_MS = 60_000;

export interface WebhookDispatcherOptions {
  store: Store;
  keyring: WebhookKeyring;
  logger: Logger;
  config: WebhookConfig;
  appUrl: string;
  allowPrivateNetworks: boolean;
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** The server's egress policy (allow-list included); else built from the two fields above. */
  egress?: EgressPolicy;
  artifacts?: ArtifactService;
  pollIntervalMs?: number;
  /** Deliveries sent at the same time by this process. */
  concurrency?: number;
  random?: () => number;
}

/** base·2^(attempt-1) + U(0, base), or Retry-After when given; capped. */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, MAX_RETRY_DELAY_MS);
  const exponential = baseMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(exponential + random() * baseMs, MAX_RETRY_DELAY_MS);
}

export class WebhookDispatcher {
  private readonly owner = `${hostname()}:${process.pid}:${newId('lease')}`;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly pumper = new Pump(
    () => this.pump(),
    () => this.running,
  );
  private shutdown = new AbortController();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.concurrency = options.concurrency ?? 4;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.shutdown = new AbortController();
    this.timer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.timer.unref();
    // Our own terminal runs wake the loop at once; the poll covers other processes and retries.
    this.unsubscribe = this.options.store.results.onDeliveryEnqueued(() => this.wake());
    this.wake();
  }

  /** Stops leasing; attempts in flight are aborted and their rows released uncounted. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.shutdown.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  wake(): void {
    this.pumper.wake();
  }

  private async pump(): Promise<void> {
    const { store, logger, config } = this.options;
    try {
      while (this.running && this.inFlight.size < this.concurrency) {
        const nowMs = Date.now();
        const leaseUntil = new Date(nowMs + config.timeoutMs + 10_000).toISOString();
        const delivery = await store.results.claimDueDelivery(
          this.owner,
          new Date(nowMs).toISOString(),
          leaseUntil,
        );
        if (!delivery) return;
        const work = this.attempt(delivery)
          .catch((error) =>
            logger.error({ err: error, run_id: delivery.runId }, 'webhook delivery failed to run'),
          )
          .finally(() => {
            this.inFlight.delete(work);
            this.wake();
          });
        this.inFlight.add(work);
      }
    } catch (error) {
      logger.error({ err: error }, 'webhook loop could not lease a delivery');
    }
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const { store, keyring, logger, config, appUrl, artifacts } = this.options;
    const results = store.results;
    const attemptNo = delivery.attempts + 1;
    const at = () => new Date().toISOString();
    const settle = async (
      state: 'pending' | 'delivered' | 'failed',
      lastError: string | null,
      nextAttemptAt = at(),
    ) => {
      const settled = await results.settleDelivery(delivery.id, this.owner, {
        state,
        attempts: attemptNo,
        nextAttemptAt,
        lastError,
        at: at(),
      });
      // The sealed signing key is only kept while a delivery may still need it.
      if (settled && state !== 'pending') await results.forgetSigningKeyWhenSettled(delivery.runId);
    };

    const run = await store.runs.getById(delivery.runId);
    const key = await keyring.recall(delivery.organizationId, delivery.runId);
    if (!run || !key) {
      const why = !run
        ? 'the run no longer exists'
        : 'no signing key was recorded for this run (it was created without an x-api-key)';
      await results.insertAttempt({
        id: newId('wha'),
        deliveryId: delivery.id,
        runId: delivery.runId,
        kind: 'automatic',
        attempt: attemptNo,
        url: delivery.url,
        startedAt: at(),
        statusCode: null,
        latencyMs: 0,
        error: why,
        responseSnippet: null,
        willRetry: false,
      });
      await settle('failed', why);
      logger.warn({ run_id: delivery.runId, reason: why }, 'webhook not sent');
      return;
    }

    let payload = delivery.payload;
    if (payload === null) {
      payload = await buildWebhookPayload(run, appUrl, artifacts);
      await results.setDeliveryPayload(delivery.id, this.owner, payload);
    }

    const outcome = await sendWebhook(delivery.url, payload, key, {
      timeoutMs: config.timeoutMs,
      allowPrivateNetworks: this.options.allowPrivateNetworks,
      resolveHost: this.options.resolveHost,
      ...(this.options.egress ? { egress: this.options.egress } : {}),
      signal: this.shutdown.signal,
    });
    if (outcome.aborted) {
      // Shutting down mid-attempt: hand the row back as it was.
      await results.settleDelivery(delivery.id, this.owner, {
        state: 'pending',
        attempts: delivery.attempts,
        nextAttemptAt: at(),
        lastError: delivery.lastError,
        at: at(),
      });
      return;
    }
    const willRetry = !outcome.ok && outcome.retryable && attemptNo < config.maxAttempts;
    await this.recordAttempt(delivery, attemptNo, outcome, willRetry);
    if (outcome.ok) {
      await settle('delivered', null);
      logger.info(
        { run_id: delivery.runId, attempt: attemptNo, status: outcome.statusCode },
        'webhook delivered',
      );
    } else if (willRetry) {
      const delay = retryDelayMs(
        attemptNo,
        config.retryBaseMs,
        outcome.retryAfterMs,
        this.options.random,
      );
      await settle('pending', outcome.error, new Date(Date.now() + delay).toISOString());
      logger.warn(
        { run_id: delivery.runId, attempt: attemptNo, error: outcome.error, retry_in_ms: delay },
        'webhook attempt failed; will retry',
      );
    } else {
      await settle('failed', outcome.error);
      logger.warn(
        { run_id: delivery.runId, attempt: attemptNo, error: outcome.error },
        'webhook delivery failed; giving up',
      );
    }
  }

  private recordAttempt(
    delivery: WebhookDelivery | null,
    attemptNo: number,
    outcome: SendOutcome,
    willRetry: boolean,
    extra: { runId?: string; url?: string; kind?: 'automatic' | 'replay' } = {},
  ): Promise<void> {
    return this.options.store.results.insertAttempt({
      id: newId('wha'),
      deliveryId: delivery?.id ?? null,
      runId: extra.runId ?? delivery?.runId ?? '',
      kind: extra.kind ?? 'automatic',
      attempt: attemptNo,
      url: extra.url ?? delivery?.url ?? '',
      startedAt: outcome.startedAt,
      statusCode: outcome.statusCode,
      latencyMs: outcome.latencyMs,
      error: outcome.error,
      responseSnippet: outcome.responseBody,
      willRetry,
    });
  }

  /**
   * POST /v1/runs/{id}/retry_webhook: rebuilds the payload, signs it with the caller's key, posts
   * once and reports what the receiver answered (docs/webhooks.md). Recorded as a `replay` attempt.
   */
  async replay(
    organizationId: string,
    runId: string,
    callerApiKey: string,
    overrideUrl?: string | null,
  ): Promise<RunWebhookReplayResponse> {
    const { store, appUrl, artifacts } = this.options;
    const run = await store.runs.get(organizationId, runId);
    if (!run) throw notFound(`Run not found ${runId}`);
    const target = overrideUrl?.trim() || run.webhookUrl;
    if (!target) throw badRequest('No webhook URL configured for the run.');
    let parsed: URL;
    try {
      parsed = new URL(target);
    } catch {
      throw badRequest(`webhook_url is not a valid URL: ${target}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw badRequest('webhook_url must be an http or https URL');
    const payload = await buildWebhookPayload(run, appUrl, artifacts);
    const outcome = await sendWebhook(target, payload, callerApiKey, {
      timeoutMs: REPLAY_TIMEOUT_MS,
      allowPrivateNetworks: this.options.allowPrivateNetworks,
      resolveHost: this.options.resolveHost,
      ...(this.options.egress ? { egress: this.options.egress } : {}),
    });
    if (outcome.statusCode === null && outcome.error?.startsWith('webhook_url refused'))
      throw badRequest(outcome.error);
    const previous = await store.results.attemptsForRun(runId);
    await this.recordAttempt(null, previous.length + 1, outcome, false, {
      runId,
      url: target,
      kind: 'replay',
    });
    return {
      run_id: run.id,
      run_type: run.runType,
      default_webhook_url: run.webhookUrl,
      target_webhook_url: target,
      payload,
      headers: outcome.headers,
      status_code: outcome.statusCode,
      latency_ms: outcome.statusCode === null && outcome.latencyMs === 0 ? null : outcome.latencyMs,
      response_body: outcome.responseBody,
      error: outcome.ok ? null : outcome.error,
    };
  }

  /** The outbox rows of a run and every attempt (GET /v1/runs/{id}/webhook_deliveries). */
  async deliveries(organizationId: string, runId: string): Promise<RunWebhookDeliveries> {
    const { store } = this.options;
    const run = await store.runs.get(organizationId, runId);
    if (!run) throw notFound(`Run not found ${runId}`);
    const [rows, attempts] = await Promise.all([
      store.results.deliveriesForRun(runId),
      store.results.attemptsForRun(runId),
    ]);
    return {
      run_id: runId,
      webhook_url: run.webhookUrl,
      deliveries: rows.map((d) => ({
        delivery_id: d.id,
        run_status: d.runStatus,
        url: d.url,
        state: d.state,
        attempts: d.attempts,
        next_attempt_at: d.state === 'pending' ? d.nextAttemptAt : null,
        last_error: d.lastError,
        created_at: d.createdAt,
        finished_at: d.finishedAt,
      })),
      attempts: attempts.map((a) => ({
        attempt: a.attempt,
        kind: a.kind,
        url: a.url,
        started_at: a.startedAt,
        status_code: a.statusCode,
        latency_ms: a.latencyMs,
        error: a.error,
        response_body: a.responseSnippet,
        will_retry: a.willRetry,
      })),
    };
  }
}
