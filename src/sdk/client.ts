/**
 * A small typed HTTP client for Wren's (Skyvern-compatible) Run Task API. Node 20+ or any
 * runtime with fetch.
 */

import type { z } from 'zod';
import type {
  Artifact,
  ArtifactType,
  BrowserProfileResponse,
  BrowserSessionResponse,
  BulkCancelRunsRequestSchema,
  BulkCancelRunsResponseSchema,
  CreateBrowserProfileRequestSchema,
  CreateBrowserSessionRequestSchema,
  CredentialCreateSchema,
  CredentialListQuerySchema,
  CredentialSchema,
  ListBrowserProfilesQuerySchema,
  ListRunsQuery,
  RetryRunWebhookRequest,
  RunStatus,
  RunWebhookDeliveries,
  RunWebhookReplayResponse,
  TaskRunListItem,
  TaskRunRequestInput,
  TaskRunResponse,
  TimelineEntry,
  TotpCodeCreateSchema,
  TotpCodeListQuerySchema,
  TotpCodeSchema,
  UpdateBrowserProfileRequestSchema,
  UpdateBrowserSessionRequestSchema,
  ValidationErrorItem,
} from '../contract/index.js';
import { TERMINAL_RUN_STATUSES } from '../contract/index.js';
import type { SdkActionBody, SdkActionReply } from './page.js';

/** POST /v1/credentials/totp body. */
export type TotpCodeCreate = z.input<typeof TotpCodeCreateSchema>;
/** A pushed code as the API shows it. */
export type TotpCode = z.output<typeof TotpCodeSchema>;
export type TotpCodeListQuery = Partial<z.input<typeof TotpCodeListQuerySchema>>;
/**
 * POST /v1/credentials and /v1/credentials/{id}/update body (Skyvern's CreateCredentialRequest):
 * a password, credit_card or secret credential. Secret values are never answered back.
 */
export type CredentialCreate = z.input<typeof CredentialCreateSchema>;
/** Skyvern's CredentialResponse. */
export type Credential = z.output<typeof CredentialSchema>;
export type CredentialListQuery = Partial<z.input<typeof CredentialListQuerySchema>>;
export type CreateBrowserProfileRequest = z.input<typeof CreateBrowserProfileRequestSchema>;
export type UpdateBrowserProfileRequest = z.input<typeof UpdateBrowserProfileRequestSchema>;
export type BrowserProfileListQuery = Partial<z.input<typeof ListBrowserProfilesQuerySchema>>;
export type BrowserProfile = BrowserProfileResponse;
export type UpdateBrowserSessionRequest = z.input<typeof UpdateBrowserSessionRequestSchema>;
export type BulkCancelRunsRequest = z.input<typeof BulkCancelRunsRequestSchema>;
export type BulkCancelRunsResponse = z.output<typeof BulkCancelRunsResponseSchema>;
export type CreateBrowserSessionRequestInput = z.input<typeof CreateBrowserSessionRequestSchema>;

export type {
  Artifact,
  ArtifactType,
  BrowserSessionResponse,
  ListRunsQuery,
  RetryRunWebhookRequest,
  RunStatus,
  RunWebhookDeliveries,
  RunWebhookReplayResponse,
  TaskRunListItem,
  TaskRunRequestInput,
  TaskRunResponse,
  TimelineEntry,
};
export { TERMINAL_RUN_STATUSES };

/** A non-2xx answer. `detail` is the server's {"detail": …}: a message or validation items. */
export class WrenApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | ValidationErrorItem[] | unknown,
  ) {
    super(
      Array.isArray(detail)
        ? (detail as ValidationErrorItem[]).map((d) => d.msg).join('; ')
        : typeof detail === 'string'
          ? detail
          : `HTTP ${status}`,
    );
  }
}

/** The operations the CLI needs; implemented over HTTP here and in-process by the embedded client. */
export interface RunsApi {
  runTask(request: TaskRunRequestInput): Promise<TaskRunResponse>;
  getRun(runId: string): Promise<TaskRunResponse>;
  listRuns(
    query?: Partial<Omit<ListRunsQuery, 'status'>> & { status?: RunStatus[] },
  ): Promise<TaskRunListItem[]>;
  cancelRun(runId: string): Promise<void>;
  close(): Promise<void>;
}

export interface ArtifactContentOptions {
  /** Inclusive byte range; `end` omitted reads to the end. */
  range?: { start: number; end?: number };
}

/** Every endpoint, over HTTP (WrenClient) or in-process (EmbeddedWren). */
export interface WrenApi extends RunsApi {
  retryRunWebhook(
    runId: string,
    request?: RetryRunWebhookRequest,
  ): Promise<RunWebhookReplayResponse>;
  getRunArtifacts(runId: string, query?: { artifact_type?: ArtifactType[] }): Promise<Artifact[]>;
  getArtifactContent(artifactId: string, options?: ArtifactContentOptions): Promise<Uint8Array>;
  getRunWebhookDeliveries(runId: string): Promise<RunWebhookDeliveries>;
  getRunTimeline(runId: string): Promise<TimelineEntry[]>;
  sendTotpCode(request: TotpCodeCreate): Promise<TotpCode>;
  getTotpCodes(query?: TotpCodeListQuery): Promise<TotpCode[]>;
  bulkCancelRuns(request: BulkCancelRunsRequest): Promise<BulkCancelRunsResponse>;
  createCredential(request: CredentialCreate): Promise<Credential>;
  getCredentials(query?: CredentialListQuery): Promise<Credential[]>;
  getCredential(credentialId: string): Promise<Credential>;
  updateCredential(credentialId: string, request: CredentialCreate): Promise<Credential>;
  deleteCredential(credentialId: string): Promise<void>;
  createBrowserSession(request?: CreateBrowserSessionRequestInput): Promise<BrowserSessionResponse>;
  getBrowserSessions(): Promise<BrowserSessionResponse[]>;
  getBrowserSession(browserSessionId: string): Promise<BrowserSessionResponse>;
  updateBrowserSession(
    browserSessionId: string,
    request: UpdateBrowserSessionRequest,
  ): Promise<BrowserSessionResponse>;
  closeBrowserSession(browserSessionId: string): Promise<void>;
  createBrowserProfile(request: CreateBrowserProfileRequest): Promise<BrowserProfile>;
  listBrowserProfiles(query?: BrowserProfileListQuery): Promise<BrowserProfile[]>;
  getBrowserProfile(profileId: string): Promise<BrowserProfile>;
  updateBrowserProfile(
    profileId: string,
    request: UpdateBrowserProfileRequest,
  ): Promise<BrowserProfile>;
  deleteBrowserProfile(profileId: string): Promise<void>;
  /** GET /v1/version: `{version, server}`. */
  getVersion(): Promise<Record<string, string>>;
  /** POST /v1/sdk/run_action: one AI primitive on a live browser (docs/api.md). */
  runSdkAction(body: SdkActionBody): Promise<SdkActionReply>;
}

/** `?a=1&b=2` from a flat query object (undefined values left out); '' when empty. */
export function queryString(query: object = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}

/** The query string of GET /v1/credentials/totp. */
export function totpQueryString(query: TotpCodeListQuery = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}

export interface WaitOptions {
  intervalMs?: number;
  timeoutMs?: number;
  /** Called on every poll with the run as it is. */
  onProgress?: (run: TaskRunResponse) => void;
}

/** Polls until the run reaches a terminal status (like Skyvern SDKs' wait_for_completion). */
export async function waitForCompletion(
  api: RunsApi,
  runId: string,
  options: WaitOptions = {},
): Promise<TaskRunResponse> {
  const interval = options.intervalMs ?? 1000;
  const deadline = Date.now() + (options.timeoutMs ?? 1_800_000);
  for (;;) {
    const run = await api.getRun(runId);
    options.onProgress?.(run);
    if (TERMINAL_RUN_STATUSES.includes(run.status)) return run;
    if (Date.now() > deadline)
      throw new Error(`Timeout waiting for run ${runId} (last status ${run.status})`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

export interface WrenClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
}

export class WrenClient implements WrenApi {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: WrenClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  private async send(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { 'x-api-key': this.options.apiKey, ...extraHeaders };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return this.fetchImpl(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      const detail =
        typeof parsed === 'object' && parsed !== null && 'detail' in parsed
          ? (parsed as { detail: unknown }).detail
          : parsed;
      throw new WrenApiError(response.status, detail);
    }
    return parsed as T;
  }

  runTask(request: TaskRunRequestInput): Promise<TaskRunResponse> {
    return this.request('POST', '/v1/run/tasks', request);
  }

  getRun(runId: string): Promise<TaskRunResponse> {
    return this.request('GET', `/v1/runs/${encodeURIComponent(runId)}`);
  }

  listRuns(query: Parameters<RunsApi['listRuns']>[0] = {}): Promise<TaskRunListItem[]> {
    const params = new URLSearchParams();
    if (query.page) params.set('page', String(query.page));
    if (query.page_size) params.set('page_size', String(query.page_size));
    if (query.search_key) params.set('search_key', query.search_key);
    for (const status of query.status ?? []) params.append('status', status);
    const qs = params.toString();
    return this.request('GET', `/v1/runs${qs ? `?${qs}` : ''}`);
  }

  async cancelRun(runId: string): Promise<void> {
    await this.request('POST', `/v1/runs/${encodeURIComponent(runId)}/cancel`);
  }

  retryRunWebhook(
    runId: string,
    request: RetryRunWebhookRequest = {},
  ): Promise<RunWebhookReplayResponse> {
    return this.request(
      'POST',
      `/v1/runs/${encodeURIComponent(runId)}/retry_webhook`,
      request ?? {},
    );
  }

  getRunArtifacts(
    runId: string,
    query: { artifact_type?: ArtifactType[] } = {},
  ): Promise<Artifact[]> {
    const params = new URLSearchParams();
    for (const type of query.artifact_type ?? []) params.append('artifact_type', type);
    const qs = params.toString();
    return this.request(
      'GET',
      `/v1/runs/${encodeURIComponent(runId)}/artifacts${qs ? `?${qs}` : ''}`,
    );
  }

  async getArtifactContent(
    artifactId: string,
    options: ArtifactContentOptions = {},
  ): Promise<Uint8Array> {
    const headers: Record<string, string> = {};
    if (options.range) headers['range'] = `bytes=${options.range.start}-${options.range.end ?? ''}`;
    const response = await this.send(
      'GET',
      `/v1/artifacts/${encodeURIComponent(artifactId)}/content`,
      undefined,
      headers,
    );
    if (!response.ok) {
      const text = await response.text();
      let detail: unknown = text;
      try {
        detail = (JSON.parse(text) as { detail?: unknown }).detail ?? text;
      } catch {
        // not JSON
      }
      throw new WrenApiError(response.status, detail);
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  getRunWebhookDeliveries(runId: string): Promise<RunWebhookDeliveries> {
    return this.request('GET', `/v1/runs/${encodeURIComponent(runId)}/webhook_deliveries`);
  }

  getRunTimeline(runId: string): Promise<TimelineEntry[]> {
    return this.request('GET', `/v1/runs/${encodeURIComponent(runId)}/timeline`);
  }

  sendTotpCode(request: TotpCodeCreate): Promise<TotpCode> {
    return this.request('POST', '/v1/credentials/totp', request);
  }

  getTotpCodes(query: TotpCodeListQuery = {}): Promise<TotpCode[]> {
    return this.request('GET', `/v1/credentials/totp${totpQueryString(query)}`);
  }

  bulkCancelRuns(request: BulkCancelRunsRequest): Promise<BulkCancelRunsResponse> {
    return this.request('POST', '/v1/runs/cancel', request);
  }

  createCredential(request: CredentialCreate): Promise<Credential> {
    return this.request('POST', '/v1/credentials', request);
  }

  getCredentials(query: CredentialListQuery = {}): Promise<Credential[]> {
    return this.request('GET', `/v1/credentials${queryString(query)}`);
  }

  getCredential(credentialId: string): Promise<Credential> {
    return this.request('GET', `/v1/credentials/${encodeURIComponent(credentialId)}`);
  }

  updateCredential(credentialId: string, request: CredentialCreate): Promise<Credential> {
    return this.request(
      'POST',
      `/v1/credentials/${encodeURIComponent(credentialId)}/update`,
      request,
    );
  }

  async deleteCredential(credentialId: string): Promise<void> {
    await this.request('POST', `/v1/credentials/${encodeURIComponent(credentialId)}/delete`);
  }

  updateBrowserSession(
    browserSessionId: string,
    request: UpdateBrowserSessionRequest,
  ): Promise<BrowserSessionResponse> {
    return this.request(
      'PATCH',
      `/v1/browser_sessions/${encodeURIComponent(browserSessionId)}`,
      request,
    );
  }

  createBrowserProfile(request: CreateBrowserProfileRequest): Promise<BrowserProfile> {
    return this.request('POST', '/v1/browser_profiles', request);
  }

  listBrowserProfiles(query: BrowserProfileListQuery = {}): Promise<BrowserProfile[]> {
    return this.request('GET', `/v1/browser_profiles${queryString(query)}`);
  }

  getBrowserProfile(profileId: string): Promise<BrowserProfile> {
    return this.request('GET', `/v1/browser_profiles/${encodeURIComponent(profileId)}`);
  }

  updateBrowserProfile(
    profileId: string,
    request: UpdateBrowserProfileRequest,
  ): Promise<BrowserProfile> {
    return this.request('PATCH', `/v1/browser_profiles/${encodeURIComponent(profileId)}`, request);
  }

  async deleteBrowserProfile(profileId: string): Promise<void> {
    await this.request('DELETE', `/v1/browser_profiles/${encodeURIComponent(profileId)}`);
  }

  getVersion(): Promise<Record<string, string>> {
    return this.request('GET', '/v1/version');
  }

  createBrowserSession(
    request: CreateBrowserSessionRequestInput = {},
  ): Promise<BrowserSessionResponse> {
    return this.request('POST', '/v1/browser_sessions', request);
  }

  getBrowserSessions(): Promise<BrowserSessionResponse[]> {
    return this.request('GET', '/v1/browser_sessions');
  }

  getBrowserSession(browserSessionId: string): Promise<BrowserSessionResponse> {
    return this.request('GET', `/v1/browser_sessions/${encodeURIComponent(browserSessionId)}`);
  }

  runSdkAction(body: SdkActionBody): Promise<SdkActionReply> {
    return this.request('POST', '/v1/sdk/run_action', body);
  }

  async closeBrowserSession(browserSessionId: string): Promise<void> {
    await this.request(
      'POST',
      `/v1/browser_sessions/${encodeURIComponent(browserSessionId)}/close`,
    );
  }

  async close(): Promise<void> {}
}
