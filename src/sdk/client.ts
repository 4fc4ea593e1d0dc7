/**
 * A small typed HTTP client for Wren's (Skyvern-compatible) Run Task API. Node 20+ or any
 * runtime with fetch.
 */

import createClient, {
  type Client,
  type ClientPathsWithMethod,
  type MaybeOptionalInit,
} from 'openapi-fetch';
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
  CredentialSchema,
  ListRunsQuery,
  OpenApiPaths,
  RetryRunWebhookRequest,
  RunStatus,
  RunWebhookDeliveries,
  RunWebhookReplayResponse,
  TaskRunListItem,
  TaskRunRequestInput,
  TaskRunResponse,
  TimelineEntry,
  TotpCodeCreateSchema,
  TotpCodeSchema,
  UpdateBrowserProfileRequestSchema,
  UpdateBrowserSessionRequestSchema,
  ValidationErrorItem,
} from '../contract/index.js';
import { isTerminalStatus, TERMINAL_RUN_STATUSES } from '../contract/index.js';
import type { SdkActionBody, SdkActionReply } from './page.js';

/** POST /v1/credentials/totp body. */
export type TotpCodeCreate = z.input<typeof TotpCodeCreateSchema>;
/** A pushed code as the API shows it. */
export type TotpCode = z.output<typeof TotpCodeSchema>;
/** The query parameters of a GET route, as /openapi.json declares them. */
type QueryOf<P extends keyof OpenApiPaths> = OpenApiPaths[P] extends {
  get: { parameters: { query?: infer Q } };
}
  ? NonNullable<Q>
  : never;
export type TotpCodeListQuery = QueryOf<'/v1/credentials/totp'>;
/**
 * POST /v1/credentials and /v1/credentials/{id}/update body (Skyvern's CreateCredentialRequest):
 * a password, credit_card or secret credential. Secret values are never answered back.
 */
export type CredentialCreate = z.input<typeof CredentialCreateSchema>;
/** Skyvern's CredentialResponse. */
export type Credential = z.output<typeof CredentialSchema>;
export type CredentialListQuery = QueryOf<'/v1/credentials'>;
export type CreateBrowserProfileRequest = z.input<typeof CreateBrowserProfileRequestSchema>;
export type UpdateBrowserProfileRequest = z.input<typeof UpdateBrowserProfileRequestSchema>;
export type BrowserProfileListQuery = QueryOf<'/v1/browser_profiles'>;
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
    if (isTerminalStatus(run.status)) return run;
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

/** A non-2xx answer as a WrenApiError: the status and the body's `detail` (else the body). */
function apiError(response: Response, body: unknown): WrenApiError {
  const detail =
    typeof body === 'object' && body !== null && 'detail' in body
      ? (body as { detail: unknown }).detail
      : body;
  return new WrenApiError(response.status, detail);
}

type Api = Client<OpenApiPaths>;
type Verb = 'get' | 'post' | 'patch' | 'delete';
/** The init argument is optional exactly where the route needs no parameters or body. */
type InitArg<Init> = undefined extends Init ? [init?: Init] : [init: Init];

/** Path parameters of the routes, one helper per resource. */
const runPath = (run_id: string) => ({ path: { run_id } });
const credentialPath = (credential_id: string) => ({ path: { credential_id } });
const profilePath = (profile_id: string) => ({ path: { profile_id } });
const sessionPath = (browser_session_id: string) => ({ path: { browser_session_id } });
const artifactPath = (artifact_id: string) => ({ path: { artifact_id } });

/**
 * The HTTP client. Routes, path parameters, query parameters and bodies are checked at compile
 * time against the types generated from the server's /openapi.json (src/contract/openapi.gen.ts,
 * `npm run openapi:client`) through openapi-fetch; answers are typed with the contract's zod types.
 */
export class WrenClient implements WrenApi {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly api: Api;

  constructor(options: WrenClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
    this.api = createClient<OpenApiPaths>({
      baseUrl: this.baseUrl,
      headers: { 'x-api-key': options.apiKey },
      fetch: (request: Request) => this.fetchImpl(request),
    });
  }

  /**
   * Every JSON endpoint's one request: the route and its parameters are checked against the
   * generated paths; the answer's JSON is typed as the contract's `T`, or a WrenApiError is thrown.
   */
  private async send<T, M extends Verb, P extends ClientPathsWithMethod<Api, M>>(
    method: M,
    url: P,
    ...init: InitArg<MaybeOptionalInit<OpenApiPaths[P], M>>
  ): Promise<T> {
    const { data, error, response } = await this.api.request(
      method,
      url as never,
      init[0] as never,
    );
    if (!response.ok) throw apiError(response, error);
    return data as T;
  }

  runTask(request: TaskRunRequestInput): Promise<TaskRunResponse> {
    return this.send('post', '/v1/run/tasks', { body: request as never });
  }

  getRun(runId: string): Promise<TaskRunResponse> {
    return this.send('get', '/v1/runs/{run_id}', { params: runPath(runId) });
  }

  listRuns(query: Parameters<RunsApi['listRuns']>[0] = {}): Promise<TaskRunListItem[]> {
    return this.send('get', '/v1/runs', {
      params: {
        query: {
          ...(query.page ? { page: query.page } : {}),
          ...(query.page_size ? { page_size: query.page_size } : {}),
          ...(query.search_key ? { search_key: query.search_key } : {}),
          ...(query.status?.length ? { status: query.status } : {}),
        },
      },
    });
  }

  async cancelRun(runId: string): Promise<void> {
    await this.send('post', '/v1/runs/{run_id}/cancel', { params: runPath(runId) });
  }

  retryRunWebhook(
    runId: string,
    request: RetryRunWebhookRequest = {},
  ): Promise<RunWebhookReplayResponse> {
    return this.send('post', '/v1/runs/{run_id}/retry_webhook', {
      params: runPath(runId),
      body: request ?? {},
    });
  }

  getRunArtifacts(
    runId: string,
    query: { artifact_type?: ArtifactType[] } = {},
  ): Promise<Artifact[]> {
    return this.send('get', '/v1/runs/{run_id}/artifacts', {
      params: {
        ...runPath(runId),
        query: query.artifact_type?.length ? { artifact_type: query.artifact_type } : {},
      },
    });
  }

  async getArtifactContent(
    artifactId: string,
    options: ArtifactContentOptions = {},
  ): Promise<Uint8Array> {
    const headers: Record<string, string> = {};
    if (options.range) headers['range'] = `bytes=${options.range.start}-${options.range.end ?? ''}`;
    const { response, error } = await this.api.GET('/v1/artifacts/{artifact_id}/content', {
      params: artifactPath(artifactId),
      headers,
      parseAs: 'stream',
    });
    if (!response.ok) throw apiError(response, error);
    return new Uint8Array(await response.arrayBuffer());
  }

  getRunWebhookDeliveries(runId: string): Promise<RunWebhookDeliveries> {
    return this.send('get', '/v1/runs/{run_id}/webhook_deliveries', { params: runPath(runId) });
  }

  getRunTimeline(runId: string): Promise<TimelineEntry[]> {
    return this.send('get', '/v1/runs/{run_id}/timeline', { params: runPath(runId) });
  }

  sendTotpCode(request: TotpCodeCreate): Promise<TotpCode> {
    return this.send('post', '/v1/credentials/totp', { body: request as never });
  }

  getTotpCodes(query: TotpCodeListQuery = {}): Promise<TotpCode[]> {
    return this.send('get', '/v1/credentials/totp', { params: { query } });
  }

  bulkCancelRuns(request: BulkCancelRunsRequest): Promise<BulkCancelRunsResponse> {
    return this.send('post', '/v1/runs/cancel', { body: request });
  }

  createCredential(request: CredentialCreate): Promise<Credential> {
    return this.send('post', '/v1/credentials', { body: request as never });
  }

  getCredentials(query: CredentialListQuery = {}): Promise<Credential[]> {
    return this.send('get', '/v1/credentials', { params: { query } });
  }

  getCredential(credentialId: string): Promise<Credential> {
    return this.send('get', '/v1/credentials/{credential_id}', {
      params: credentialPath(credentialId),
    });
  }

  updateCredential(credentialId: string, request: CredentialCreate): Promise<Credential> {
    return this.send('post', '/v1/credentials/{credential_id}/update', {
      params: credentialPath(credentialId),
      body: request as never,
    });
  }

  async deleteCredential(credentialId: string): Promise<void> {
    await this.send('post', '/v1/credentials/{credential_id}/delete', {
      params: credentialPath(credentialId),
    });
  }

  updateBrowserSession(
    browserSessionId: string,
    request: UpdateBrowserSessionRequest,
  ): Promise<BrowserSessionResponse> {
    return this.send('patch', '/v1/browser_sessions/{browser_session_id}', {
      params: sessionPath(browserSessionId),
      body: request,
    });
  }

  createBrowserProfile(request: CreateBrowserProfileRequest): Promise<BrowserProfile> {
    return this.send('post', '/v1/browser_profiles', { body: request as never });
  }

  listBrowserProfiles(query: BrowserProfileListQuery = {}): Promise<BrowserProfile[]> {
    return this.send('get', '/v1/browser_profiles', { params: { query } });
  }

  getBrowserProfile(profileId: string): Promise<BrowserProfile> {
    return this.send('get', '/v1/browser_profiles/{profile_id}', {
      params: profilePath(profileId),
    });
  }

  updateBrowserProfile(
    profileId: string,
    request: UpdateBrowserProfileRequest,
  ): Promise<BrowserProfile> {
    return this.send('patch', '/v1/browser_profiles/{profile_id}', {
      params: profilePath(profileId),
      body: request,
    });
  }

  async deleteBrowserProfile(profileId: string): Promise<void> {
    await this.send('delete', '/v1/browser_profiles/{profile_id}', {
      params: profilePath(profileId),
    });
  }

  getVersion(): Promise<Record<string, string>> {
    return this.send('get', '/v1/version');
  }

  createBrowserSession(
    request: CreateBrowserSessionRequestInput = {},
  ): Promise<BrowserSessionResponse> {
    return this.send('post', '/v1/browser_sessions', { body: request });
  }

  getBrowserSessions(): Promise<BrowserSessionResponse[]> {
    return this.send('get', '/v1/browser_sessions');
  }

  getBrowserSession(browserSessionId: string): Promise<BrowserSessionResponse> {
    return this.send('get', '/v1/browser_sessions/{browser_session_id}', {
      params: sessionPath(browserSessionId),
    });
  }

  runSdkAction(body: SdkActionBody): Promise<SdkActionReply> {
    return this.send('post', '/v1/sdk/run_action', { body: body as never });
  }

  async closeBrowserSession(browserSessionId: string): Promise<void> {
    await this.send('post', '/v1/browser_sessions/{browser_session_id}/close', {
      params: sessionPath(browserSessionId),
    });
  }

  async close(): Promise<void> {}
}
