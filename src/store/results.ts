/**
 * Store code for what a run delivers after it ends: the webhook outbox (with leases, so two
 * processes can run the delivery loop), every delivery attempt, the sealed signing key of a run,
 * and artifact rows. Tables come from migration 0002_results.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import { isTerminalStatus } from '../core/index.js';
import type { Database, RunsTable } from './schema.js';

export interface WebhookDeliveriesTable {
  id: string;
  run_id: string;
  organization_id: string;
  url: string;
  run_status: string;
  state: string;
  attempts: number;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  payload: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string | null;
  run_id: string;
  kind: string;
  attempt: number;
  url: string;
  started_at: string;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_snippet: string | null;
  will_retry: number;
}

export interface ArtifactsTable {
  id: string;
  organization_id: string;
  run_id: string;
  step_id: string | null;
  artifact_type: string;
  storage_key: string;
  content_type: string;
  filename: string | null;
  checksum: string;
  file_size: number;
  created_at: string;
  modified_at: string;
}

// Adds this module's tables to the Database type without editing schema.ts.
declare module './schema.js' {
  interface Database {
    webhook_deliveries: WebhookDeliveriesTable;
    webhook_attempts: WebhookAttemptsTable;
    artifacts: ArtifactsTable;
  }
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: string;
  runId: string;
  organizationId: string;
  url: string;
  runStatus: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: string;
  payload: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface WebhookAttempt {
  id: string;
  deliveryId: string | null;
  runId: string;
  kind: 'automatic' | 'replay';
  attempt: number;
  url: string;
  startedAt: string;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseSnippet: string | null;
  willRetry: boolean;
}

export interface ArtifactRecord {
  id: string;
  organizationId: string;
  runId: string;
  stepId: string | null;
  artifactType: string;
  storageKey: string;
  contentType: string;
  filename: string | null;
  checksum: string;
  fileSize: number;
  createdAt: string;
  modifiedAt: string;
}

function toDelivery(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    id: row.id,
    runId: row.run_id,
    organizationId: row.organization_id,
    url: row.url,
    runStatus: row.run_status,
    state: row.state as DeliveryState,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    payload: row.payload,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

function toArtifact(row: Selectable<ArtifactsTable>): ArtifactRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    runId: row.run_id,
    stepId: row.step_id,
    artifactType: row.artifact_type,
    storageKey: row.storage_key,
    contentType: row.content_type,
    filename: row.filename,
    checksum: row.checksum,
    fileSize: row.file_size,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
  };
}

/**
 * Called inside the transaction that moves a run to a terminal status, so the run can never be
 * terminal without its delivery recorded. Id: `whd_<run>_<status>` keeps it idempotent.
 */
export async function enqueueWebhookForRun(
  trx: Transaction<Database> | Kysely<Database>,
  run: Selectable<RunsTable>,
  at: string,
): Promise<void> {
  if (!run.webhook_url || !isTerminalStatus(run.status)) return;
  await trx
    .insertInto('webhook_deliveries')
    .values({
      id: `whd_${run.id}_${run.status}`,
      run_id: run.id,
      organization_id: run.organization_id,
      url: run.webhook_url,
      run_status: run.status,
      state: 'pending',
      attempts: 0,
      next_attempt_at: at,
      lease_owner: null,
      lease_expires_at: null,
      payload: null,
      last_error: null,
      created_at: at,
      updated_at: at,
      finished_at: null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export class ResultsStore {
  private readonly enqueuedListeners = new Set<() => void>();

  constructor(private readonly db: Kysely<Database>) {}

  /** Called after a transaction that may have enqueued a delivery commits (in this process). */
  onDeliveryEnqueued(listener: () => void): () => void {
    this.enqueuedListeners.add(listener);
    return () => this.enqueuedListeners.delete(listener);
  }

  notifyDeliveryEnqueued(): void {
    for (const listener of this.enqueuedListeners) listener();
  }

  // ── run signing keys (table owned by store/credentials.ts) ────────────────────

  /** Drops the run's sealed key once none of its deliveries is pending (it is no longer needed). */
  async forgetSigningKeyWhenSettled(runId: string): Promise<void> {
    await sql`delete from run_signing_keys where run_id = ${runId} and not exists (
      select 1 from webhook_deliveries where run_id = ${runId} and state = 'pending')`.execute(
      this.db,
    );
  }

  // ── webhook outbox ──────────────────────────────────────────────────────────

  /**
   * Leases the oldest due pending delivery for `leaseMs` (null when none is due). A conditional
   * UPDATE, so two processes never hold the same row; an expired lease (its holder died) is
   * claimable again.
   */
  async claimDueDelivery(
    owner: string,
    now: string,
    leaseUntil: string,
  ): Promise<WebhookDelivery | null> {
    const row = await this.db
      .updateTable('webhook_deliveries')
      .set({ lease_owner: owner, lease_expires_at: leaseUntil, updated_at: now })
      .where('id', '=', (eb) =>
        eb
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('state', '=', 'pending')
          .where('next_attempt_at', '<=', now)
          .where((w) => w.or([w('lease_expires_at', 'is', null), w('lease_expires_at', '<', now)]))
          .orderBy('next_attempt_at')
          .limit(1),
      )
      .where('state', '=', 'pending')
      .where((w) => w.or([w('lease_expires_at', 'is', null), w('lease_expires_at', '<', now)]))
      .returningAll()
      .executeTakeFirst();
    return row ? toDelivery(row) : null;
  }

  /** Freezes the payload of a leased delivery (first attempt). */
  async setDeliveryPayload(id: string, owner: string, payload: string): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({ payload })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('payload', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Records an attempt's outcome and releases the lease (only while `owner` still holds it). */
  async settleDelivery(
    id: string,
    owner: string,
    outcome: {
      state: DeliveryState;
      attempts: number;
      nextAttemptAt: string;
      lastError: string | null;
      at: string;
    },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({
        state: outcome.state,
        attempts: outcome.attempts,
        next_attempt_at: outcome.nextAttemptAt,
        last_error: outcome.lastError,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: outcome.at,
        finished_at: outcome.state === 'pending' ? null : outcome.at,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deliveriesForRun(runId: string): Promise<WebhookDelivery[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toDelivery);
  }

  async insertAttempt(attempt: WebhookAttempt): Promise<void> {
    await this.db
      .insertInto('webhook_attempts')
      .values({
        id: attempt.id,
        delivery_id: attempt.deliveryId,
        run_id: attempt.runId,
        kind: attempt.kind,
        attempt: attempt.attempt,
        url: attempt.url,
        started_at: attempt.startedAt,
        status_code: attempt.statusCode,
        latency_ms: attempt.latencyMs,
        error: attempt.error,
        response_snippet: attempt.responseSnippet,
        will_retry: attempt.willRetry ? 1 : 0,
      })
      .execute();
  }

  async attemptsForRun(runId: string): Promise<WebhookAttempt[]> {
    const rows = await this.db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('started_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      deliveryId: r.delivery_id,
      runId: r.run_id,
      kind: r.kind as WebhookAttempt['kind'],
      attempt: r.attempt,
      url: r.url,
      startedAt: r.started_at,
      statusCode: r.status_code,
      latencyMs: r.latency_ms,
      error: r.error,
      responseSnippet: r.response_snippet,
      willRetry: r.will_retry === 1,
    }));
  }

  // ── artifacts ───────────────────────────────────────────────────────────────

  async insertArtifact(artifact: ArtifactRecord): Promise<void> {
    await this.db
      .insertInto('artifacts')
      .values({
        id: artifact.id,
        organization_id: artifact.organizationId,
        run_id: artifact.runId,
        step_id: artifact.stepId,
        artifact_type: artifact.artifactType,
        storage_key: artifact.storageKey,
        content_type: artifact.contentType,
        filename: artifact.filename,
        checksum: artifact.checksum,
        file_size: artifact.fileSize,
        created_at: artifact.createdAt,
        modified_at: artifact.modifiedAt,
      })
      .execute();
  }

  /** Oldest first; `types` filters when non-empty. */
  async artifactsForRun(runId: string, types: readonly string[] = []): Promise<ArtifactRecord[]> {
    let query = this.db.selectFrom('artifacts').selectAll().where('run_id', '=', runId);
    if (types.length > 0) query = query.where('artifact_type', 'in', [...types]);
    const rows = await query.orderBy('created_at').orderBy('id').execute();
    return rows.map(toArtifact);
  }

  async getArtifact(artifactId: string): Promise<ArtifactRecord | null> {
    const row = await this.db
      .selectFrom('artifacts')
      .selectAll()
      .where('id', '=', artifactId)
      .executeTakeFirst();
    return row ? toArtifact(row) : null;
  }

  async artifactsCreatedBefore(cutoff: string, limit: number): Promise<ArtifactRecord[]> {
    const rows = await this.db
      .selectFrom('artifacts')
      .selectAll()
      .where('created_at', '<', cutoff)
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map(toArtifact);
  }

  async deleteArtifact(artifactId: string): Promise<void> {
    await this.db.deleteFrom('artifacts').where('id', '=', artifactId).execute();
  }
}
