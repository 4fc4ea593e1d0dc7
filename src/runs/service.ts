/**
 * Run service: create, read, list and cancel runs for one organization. The HTTP layer and the
 * embedded CLI call this; it never runs engines (the worker does).
 */
import type { Logger } from 'pino';
import type { ArtifactService } from '../artifacts/index.js';
import type { TimelineEntry } from '../contract/index.js';
import {
  type ListRunsQuery,
  normalizeHttpUrl,
  RequestValidationError,
  type TaskRunListItem,
  type TaskRunRequest,
  type TaskRunResponse,
} from '../contract/index.js';
import { badRequest, newId, notFound, RUN_TYPE_BY_ENGINE, ServiceError } from '../core/index.js';
import { openProxyLocation, profileProxyContext, type SecretBox } from '../credentials/index.js';
import type { NewRun, QuotaRefusal, Store } from '../store/index.js';
import { type EgressOptions, egressPolicy, refuseBlocked } from './egress.js';
import { toListItem, toTaskRunResponse } from './present.js';
import { sealRequest } from './sealed-request.js';
import { signingKeyContext } from './secrets.js';
import { canTransition, InvalidTransitionError } from './status.js';
import { buildTimeline, type StepScreenshot } from './timeline.js';
import { presentRun } from './webhooks/payload.js';

const PROXY_SCHEMES = ['http:', 'https:', 'socks:', 'socks4:', 'socks5:'] as const;
const CDP_SCHEMES = ['http:', 'https:', 'ws:', 'wss:'] as const;

export const MAX_SCREENSHOT_SCROLLS = 1000;

export interface RunServiceOptions extends EgressOptions {
  store: Store;
  logger: Logger;
  maxStepsCap: number;
  appUrl: string;
  /** The id of this organization's running session whose browser_address this is, else null. */
  sessionOfAddress?: (organizationId: string, address: string) => Promise<string | null>;
  /** Fills screenshot_urls, recording_url and downloaded_files on the run. */
  artifacts?: ArtifactService;
  /** Seals the API key of runs with a totp_url or webhook_url (their requests are signed with it). */
  secretBox?: SecretBox;
  /**
   * Unfinished runs (created, queued, running, paused) an organization may have at once, unless
   * it has its own override (WREN_ORG_MAX_ACTIVE_RUNS; docs/security.md, "Quotas").
   */
  maxActiveRuns?: number;
}

/** Who sent the request: the key a run's totp_url requests are signed with. */
export interface RequestContext {
  apiKey?: string | null;
}

/** Hooks the worker installs so the service can wake it and stop runs it is executing. */
export interface RunEvents {
  enqueued(runId: string): void;
  canceled(runId: string): void;
}

export const now = (): string => new Date().toISOString();

/** WREN_ORG_MAX_ACTIVE_RUNS' default (src/config.ts). */
const DEFAULT_MAX_ACTIVE_RUNS = 500;

export class RunService {
  private events: RunEvents = { enqueued: () => {}, canceled: () => {} };

  constructor(private readonly options: RunServiceOptions) {}

  attach(events: RunEvents): void {
    this.events = events;
  }

  /** The organization's max_active_runs: its override, else the server default. */
  private async activeRunLimit(organizationId: string): Promise<number> {
    const org = await this.options.store.apiKeys.organization(organizationId);
    return org?.maxActiveRuns ?? this.options.maxActiveRuns ?? DEFAULT_MAX_ACTIVE_RUNS;
  }

  /** Validates what the schema cannot (server limits, network policy), stores and queues the run. */
  async createTaskRun(
    organizationId: string,
    input: TaskRunRequest,
    context: RequestContext = {},
  ): Promise<TaskRunResponse> {
    const request = await this.normalize(organizationId, input);
    const id = newId(request.engine === 'skyvern-2.0' ? 'tsk_v2' : 'tsk');
    const at = now();
    const box = this.options.secretBox;
    const signed = Boolean((request.totp_url || request.webhook_url) && context.apiKey && box);
    if ((request.totp_url || request.webhook_url) && context.apiKey && box) {
      // totp_url pulls and webhooks are signed with the caller's key (docs/webhooks.md, docs/credentials.md).
      // Stored before the run so a worker never sees the run without it.
      await this.options.store.runSigningKeys.put({
        runId: id,
        organizationId,
        keySealed: box.seal(context.apiKey, signingKeyContext(id)),
        createdAt: new Date(at),
      });
    }
    // Created and queued in one write: a stored run is always visible to the worker.
    const run: NewRun = {
      id,
      organizationId,
      engine: request.engine,
      runType: RUN_TYPE_BY_ENGINE[request.engine],
      status: 'queued',
      title: request.title ?? null,
      prompt: request.prompt,
      // Header values and a proxy password are sealed at rest like credentials (issue 17).
      request: sealRequest(request, id, box),
      webhookUrl: request.webhook_url ?? null,
      createdAt: at,
      modifiedAt: at,
      queuedAt: at,
    };
    const limit = await this.activeRunLimit(organizationId);
    let refused: QuotaRefusal | null;
    try {
      refused = await this.options.store.runs.insertWithinQuota(run, limit);
    } catch (error) {
      // No signing key without its run (issue 17: a failed insert left one behind).
      if (signed) await this.options.store.runSigningKeys.delete(id).catch(() => {});
      throw error;
    }
    if (refused) {
      if (signed) await this.options.store.runSigningKeys.delete(id);
      throw new ServiceError(
        429,
        `Quota exceeded: max_active_runs is ${refused.limit} for this organization and it has ` +
          `${refused.active} runs created, queued, running or paused. Wait for one to finish or ` +
          'cancel one (POST /v1/runs/{run_id}/cancel), or ask the operator to raise the limit ' +
          "(WREN_ORG_MAX_ACTIVE_RUNS, or the organization's max_active_runs).",
      );
    }
    this.options.logger.info(
      { run_id: id, from: 'created', to: 'queued', engine: request.engine },
      'run transition',
    );
    this.events.enqueued(id);
    // The response shows the run as accepted (queued); the worker may already have picked it up.
    return toTaskRunResponse(
      {
        ...run,
        output: null,
        errors: null,
        failureReason: null,
        stepCount: 0,
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
        attempts: 0,
        startedAt: null,
        finishedAt: null,
        scriptRun: null,
      },
      this.options.appUrl,
    );
  }

  async getRun(organizationId: string, runId: string): Promise<TaskRunResponse> {
    const run = await this.options.store.runs.get(organizationId, runId);
    if (!run) throw notFound(`Task run not found ${runId}`);
    return presentRun(run, this.options.appUrl, this.options.artifacts);
  }

  /** Whether the organization has a run with this id (any status). */
  async hasRun(organizationId: string, runId: string): Promise<boolean> {
    return (await this.options.store.runs.get(organizationId, runId)) !== null;
  }

  /**
   * The worker holding a run's lease and the internal live endpoint it announced (null when it
   * announced none); null when no worker holds the run. Live views of runs executing in another
   * process are relayed from there.
   */
  async executor(runId: string): Promise<{ worker: string; liveUrl: string | null } | null> {
    const worker = await this.options.store.leases.owner(runId);
    if (!worker) return null;
    return { worker, liveUrl: await this.options.store.workers.liveUrl(worker) };
  }

  async getTimeline(organizationId: string, runId: string): Promise<TimelineEntry[]> {
    const run = await this.options.store.runs.get(organizationId, runId);
    if (!run) throw notFound(`Task run not found ${runId}`);
    return buildTimeline(
      run,
      await this.options.store.runs.steps(run.id),
      await this.stepShots(run.id),
    );
  }

  /** Screenshots per step index, oldest first (artifacts whose step_id is `step_<index>`). */
  private async stepShots(runId: string): Promise<Map<number, StepScreenshot[]>> {
    const byStep = new Map<number, StepScreenshot[]>();
    const artifacts = this.options.artifacts;
    if (!artifacts) return byStep;
    const shots = await artifacts.listForRun(runId, ['screenshot_action', 'screenshot_final']);
    for (const a of shots) {
      const index = Number(/^step_(\d+)$/.exec(a.step_id ?? '')?.[1] ?? Number.NaN);
      if (!Number.isInteger(index)) continue;
      const list = byStep.get(index) ?? [];
      list.push({
        artifact_id: a.artifact_id,
        artifact_type: a.artifact_type,
        content_type: a.content_type ?? 'application/octet-stream',
        signed_url: a.signed_url ?? `/v1/artifacts/${a.artifact_id}/content`,
      });
      byStep.set(index, list);
    }
    return byStep;
  }

  async listRuns(organizationId: string, query: ListRunsQuery): Promise<TaskRunListItem[]> {
    const statuses =
      query.status === undefined
        ? undefined
        : Array.isArray(query.status)
          ? query.status
          : [query.status];
    const runs = await this.options.store.runs.list(organizationId, {
      statuses,
      search: query.search_key,
      limit: query.page_size,
      offset: (query.page - 1) * query.page_size,
    });
    return runs.map(toListItem);
  }

  /**
   * Cancels a queued or running run. A finished run gives 400 (docs/api.md "cancel": Skyvern's code
   * raises an invalid transition). A running run is aborted by the worker right after.
   */
  async cancelRun(organizationId: string, runId: string): Promise<void> {
    const { store, logger } = this.options;
    for (let attempt = 0; attempt < 5; attempt++) {
      const run = await store.runs.get(organizationId, runId);
      if (!run) throw notFound(`Run not found ${runId}`);
      const from = run.status;
      if (!canTransition(from, 'canceled')) {
        throw badRequest(new InvalidTransitionError(from, 'canceled', runId).message);
      }
      const at = now();
      const updated = await store.runs.updateIf(runId, [from], {
        status: 'canceled',
        finishedAt: at,
        modifiedAt: at,
      });
      if (updated) {
        logger.info({ run_id: runId, from, to: 'canceled' }, 'run transition');
        if (from === 'running') this.events.canceled(runId);
        return;
      }
      // The run moved on between read and write (e.g. the worker claimed it); look again.
    }
    throw badRequest(`Run ${runId} changed status repeatedly; try the cancel again`);
  }

  /**
   * Cancels each run it can (Skyvern's bulk cancel): unknown runs, runs of another
   * organization and finished runs land in `failed`. Duplicate ids count once.
   */
  async bulkCancel(
    organizationId: string,
    runIds: readonly string[],
  ): Promise<{ cancelled: string[]; failed: string[] }> {
    const cancelled: string[] = [];
    const failed: string[] = [];
    for (const runId of new Set(runIds)) {
      try {
        await this.cancelRun(organizationId, runId);
        cancelled.push(runId);
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        failed.push(runId);
      }
    }
    return { cancelled, failed };
  }

  private async normalize(organizationId: string, input: TaskRunRequest): Promise<TaskRunRequest> {
    const { maxStepsCap } = this.options;
    if (input.max_steps != null && input.max_steps > maxStepsCap) {
      throw new RequestValidationError([
        {
          type: 'less_than_equal',
          loc: ['body', 'max_steps'],
          msg: `max_steps must be at most ${maxStepsCap} (the server cap, WREN_MAX_STEPS_CAP)`,
          input: input.max_steps,
        },
      ]);
    }
    const url = input.url == null ? null : normalizeHttpUrl(input.url);
    const webhookUrl = input.webhook_url == null ? null : normalizeHttpUrl(input.webhook_url);
    const totpUrl = input.totp_url == null ? null : normalizeHttpUrl(input.totp_url);
    // The server itself calls these two, so they must pass the network policy (400, as Skyvern).
    for (const [field, value] of [
      ['webhook_url', webhookUrl],
      ['totp_url', totpUrl],
    ] as const) {
      if (value) await refuseBlocked(egressPolicy(this.options), field, value);
    }
    const credentialId = input.credential_id?.trim() || null;
    if (credentialId && !(await this.options.store.credentials.get(organizationId, credentialId))) {
      throw badRequest(
        `credential_id: no credential ${credentialId} in this organization (create one with POST /v1/credentials)`,
      );
    }
    const profileId = input.browser_profile_id?.trim() || null;
    let proxyLocation = input.proxy_location ?? null;
    if (profileId) {
      for (const field of ['browser_session_id', 'browser_address'] as const) {
        if (input[field]) {
          throw new RequestValidationError([
            {
              type: 'value_error',
              loc: ['body', 'browser_profile_id'],
              msg: `browser_profile_id cannot be combined with ${field} (that browser brings its own state)`,
              input: profileId,
            },
          ]);
        }
      }
      const profile = await this.options.store.browserProfiles.get(organizationId, profileId);
      if (!profile) throw notFound(`Browser profile ${profileId} not found`);
      // The profile's proxy applies unless the request names one.
      const box = this.options.secretBox;
      const profileProxy = box
        ? openProxyLocation(profile.proxyLocation, box, profileProxyContext(profile.id))
        : profile.proxyLocation;
      proxyLocation ??= (profileProxy as typeof proxyLocation) ?? null;
    }
    // A caller's own proxy and browser are connections Wren makes: same policy (issue 17).
    const proxyUrl = (proxyLocation as { url?: unknown } | null)?.url;
    if (typeof proxyUrl === 'string') {
      await refuseBlocked(egressPolicy(this.options), 'proxy_location', proxyUrl, {
        schemes: PROXY_SCHEMES,
        passUnresolvable: true,
      });
    }
    if (input.browser_address) {
      await refuseBlocked(egressPolicy(this.options), 'browser_address', input.browser_address, {
        schemes: CDP_SCHEMES,
        passUnresolvable: true,
      });
      // A session's own address (its token included) is for outside CDP clients; a run goes
      // through the session's id, which queues it behind the session's current run.
      const session = await this.options.sessionOfAddress?.(organizationId, input.browser_address);
      if (session) {
        throw badRequest(
          `browser_address is the address of browser session ${session}; pass "browser_session_id": "${session}" to run in it`,
        );
      }
    }
    const scrolls = input.max_screenshot_scrolls;
    return {
      prompt: input.prompt,
      url,
      engine: input.engine,
      title: input.title ?? null,
      proxy_location: proxyLocation,
      data_extraction_schema: input.data_extraction_schema ?? null,
      error_code_mapping: input.error_code_mapping ?? null,
      max_steps: input.max_steps ?? null,
      webhook_url: webhookUrl,
      totp_identifier: input.totp_identifier ?? null,
      totp_url: totpUrl,
      // Only when set: the echo stays exactly Skyvern's for requests that do not use it.
      ...(credentialId ? { credential_id: credentialId } : {}),
      browser_session_id: input.browser_session_id ?? null,
      // Only when set, like credential_id.
      ...(profileId ? { browser_profile_id: profileId } : {}),
      browser_address: input.browser_address?.trim() ?? null,
      cdp_connect_headers: input.cdp_connect_headers ?? null,
      extra_http_headers: input.extra_http_headers ?? null,
      include_action_history_in_verification: input.include_action_history_in_verification ?? false,
      max_screenshot_scrolls:
        scrolls == null ? null : Math.min(Math.max(scrolls, 0), MAX_SCREENSHOT_SCROLLS),
      model: input.model ?? null,
      run_with: input.run_with ?? null,
    };
  }
}
