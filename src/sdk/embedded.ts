/**
 * Embedded mode: the same operations as WrenClient, served in-process from a data directory
 * (no HTTP server), acting as the default organization.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  API_KEY_FILE,
  type InjectMethod,
  injectJson,
  inProcessMcpBackend,
  parseRange,
} from '../api/index.js';
import { createWren, type Wren } from '../app/index.js';
import { type ConfigOverrides, loadConfig } from '../config.js';
import type { ArtifactType, RetryRunWebhookRequest } from '../contract/index.js';
import {
  RequestValidationError,
  TaskRunRequestSchema,
  zodIssuesToDetail,
} from '../contract/index.js';
import { ServiceError } from '../core/index.js';
import type { EngineRegistry } from '../engines/index.js';
import { createLogger } from '../log.js';
import type {
  ArtifactContentOptions,
  BrowserProfile,
  BrowserProfileListQuery,
  BrowserSessionResponse,
  BulkCancelRunsRequest,
  BulkCancelRunsResponse,
  CreateBrowserProfileRequest,
  CreateBrowserSessionRequestInput,
  Credential,
  CredentialCreate,
  CredentialListQuery,
  RunsApi,
  TimelineEntry,
  TotpCode,
  TotpCodeCreate,
  TotpCodeListQuery,
  UpdateBrowserProfileRequest,
  UpdateBrowserSessionRequest,
  WrenApi,
} from './client.js';
import { queryString, WrenApiError } from './client.js';
import type { SdkActionBody, SdkActionReply } from './page.js';

export interface EmbeddedOptions extends ConfigOverrides {
  /** Run queued tasks in this process (needed to wait for a result). */
  runWorker?: boolean;
  engines?: EngineRegistry;
}

export class EmbeddedWren implements WrenApi {
  private constructor(
    readonly wren: Wren,
    private readonly organizationId: string,
    /** Signs webhooks of runs created here (WREN_API_KEY, else the key first start generated). */
    private readonly apiKey: string | null,
  ) {}

  static async open(options: EmbeddedOptions = {}): Promise<EmbeddedWren> {
    const config = loadConfig({
      logLevel: 'warn',
      ...options,
      workerEnabled: options.runWorker ?? false,
    });
    const wren = await createWren({
      config,
      logger: createLogger(config.logLevel, process.stderr),
      engines: options.engines,
    });
    await wren.startWorker();
    const apiKey =
      config.seedApiKey ??
      wren.auth.generatedKey ??
      (await readFile(join(config.dataDir, API_KEY_FILE), 'utf8').then(
        (text) => text.trim() || null,
        () => null,
      ));
    return new EmbeddedWren(wren, wren.auth.organization.id, apiKey);
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ServiceError) throw new WrenApiError(error.statusCode, error.message);
      if (error instanceof RequestValidationError) throw new WrenApiError(422, error.detail);
      throw error;
    }
  }

  runTask(request: Parameters<RunsApi['runTask']>[0]) {
    return this.call(async () => {
      const parsed = TaskRunRequestSchema.safeParse(request, { reportInput: true });
      if (!parsed.success)
        throw new WrenApiError(422, zodIssuesToDetail(parsed.error.issues, 'body', request));
      return this.wren.runs.createTaskRun(this.organizationId, parsed.data, {
        apiKey: this.apiKey ?? undefined,
      });
    });
  }

  getRun(runId: string) {
    return this.call(() => this.wren.runs.getRun(this.organizationId, runId));
  }

  listRuns(query: Parameters<RunsApi['listRuns']>[0] = {}) {
    return this.call(() =>
      this.wren.runs.listRuns(this.organizationId, {
        page: query.page ?? 1,
        page_size: query.page_size ?? 10,
        status: query.status,
        search_key: query.search_key,
      }),
    );
  }

  cancelRun(runId: string) {
    return this.call(() => this.wren.runs.cancelRun(this.organizationId, runId));
  }

  retryRunWebhook(runId: string, request: RetryRunWebhookRequest = {}) {
    return this.call(() => {
      if (!this.apiKey)
        throw new WrenApiError(400, 'No API key is known in embedded mode to sign the webhook.');
      return this.wren.webhooks.replay(
        this.organizationId,
        runId,
        this.apiKey,
        request?.webhook_url ?? null,
      );
    });
  }

  getRunArtifacts(runId: string, query: { artifact_type?: ArtifactType[] } = {}) {
    return this.call(async () => {
      await this.getRun(runId);
      return this.wren.artifacts.listForRun(runId, query.artifact_type ?? []);
    });
  }

  getArtifactContent(artifactId: string, options: ArtifactContentOptions = {}) {
    return this.call(async () => {
      const record = await this.wren.artifacts.get(artifactId, this.organizationId);
      if (!record) throw new WrenApiError(404, `Artifact not found ${artifactId}`);
      let range: { start: number; end: number } | undefined;
      if (options.range) {
        const size = (await this.wren.artifacts.storage.size(record.storageKey)) ?? 0;
        const parsed = parseRange(`bytes=${options.range.start}-${options.range.end ?? ''}`, size);
        if (parsed === 'unsatisfiable')
          throw new WrenApiError(416, `Range not satisfiable (artifact is ${size} bytes)`);
        range = parsed ?? undefined;
      }
      return new Uint8Array(await collect(this.wren.artifacts.read(record, range)));
    });
  }

  getRunWebhookDeliveries(runId: string) {
    return this.call(() => this.wren.webhooks.deliveries(this.organizationId, runId));
  }

  /**
   * The remaining endpoints go through the HTTP routes in-process (Fastify inject, no socket),
   * so validation, presentation and errors are exactly the server's.
   */
  private async inject<T>(method: InjectMethod, url: string, body?: unknown): Promise<T> {
    return injectJson<T>(
      this.wren.app,
      this.requireApiKey(),
      { method, url, body },
      (status, detail) => new WrenApiError(status, detail),
    );
  }

  private requireApiKey(): string {
    if (!this.apiKey)
      throw new WrenApiError(403, 'No API key is known in embedded mode (set WREN_API_KEY).');
    return this.apiKey;
  }

  getRunTimeline(runId: string) {
    return this.inject<TimelineEntry[]>('GET', `/v1/runs/${encodeURIComponent(runId)}/timeline`);
  }

  sendTotpCode(request: TotpCodeCreate) {
    return this.inject<TotpCode>('POST', '/v1/credentials/totp', request);
  }

  getTotpCodes(query: TotpCodeListQuery = {}) {
    return this.inject<TotpCode[]>('GET', `/v1/credentials/totp${queryString(query)}`);
  }

  createCredential(request: CredentialCreate) {
    return this.inject<Credential>('POST', '/v1/credentials', request);
  }

  getCredentials(query: CredentialListQuery = {}) {
    return this.inject<Credential[]>('GET', `/v1/credentials${queryString(query)}`);
  }

  getCredential(credentialId: string) {
    return this.inject<Credential>('GET', `/v1/credentials/${encodeURIComponent(credentialId)}`);
  }

  updateCredential(credentialId: string, request: CredentialCreate) {
    return this.inject<Credential>(
      'POST',
      `/v1/credentials/${encodeURIComponent(credentialId)}/update`,
      request,
    );
  }

  async deleteCredential(credentialId: string) {
    await this.inject('POST', `/v1/credentials/${encodeURIComponent(credentialId)}/delete`);
  }

  bulkCancelRuns(request: BulkCancelRunsRequest) {
    return this.inject<BulkCancelRunsResponse>('POST', '/v1/runs/cancel', request);
  }

  updateBrowserSession(browserSessionId: string, request: UpdateBrowserSessionRequest) {
    return this.inject<BrowserSessionResponse>(
      'PATCH',
      `/v1/browser_sessions/${encodeURIComponent(browserSessionId)}`,
      request,
    );
  }

  createBrowserProfile(request: CreateBrowserProfileRequest) {
    return this.inject<BrowserProfile>('POST', '/v1/browser_profiles', request);
  }

  listBrowserProfiles(query: BrowserProfileListQuery = {}) {
    return this.inject<BrowserProfile[]>('GET', `/v1/browser_profiles${queryString(query)}`);
  }

  getBrowserProfile(profileId: string) {
    return this.inject<BrowserProfile>(
      'GET',
      `/v1/browser_profiles/${encodeURIComponent(profileId)}`,
    );
  }

  updateBrowserProfile(profileId: string, request: UpdateBrowserProfileRequest) {
    return this.inject<BrowserProfile>(
      'PATCH',
      `/v1/browser_profiles/${encodeURIComponent(profileId)}`,
      request,
    );
  }

  async deleteBrowserProfile(profileId: string) {
    await this.inject('DELETE', `/v1/browser_profiles/${encodeURIComponent(profileId)}`);
  }

  getVersion() {
    return this.inject<Record<string, string>>('GET', '/v1/version');
  }

  runSdkAction(body: SdkActionBody) {
    return this.inject<SdkActionReply>('POST', '/v1/sdk/run_action', body);
  }

  createBrowserSession(request: CreateBrowserSessionRequestInput = {}) {
    return this.inject<BrowserSessionResponse>('POST', '/v1/browser_sessions', request);
  }

  getBrowserSessions() {
    return this.inject<BrowserSessionResponse[]>('GET', '/v1/browser_sessions');
  }

  getBrowserSession(browserSessionId: string) {
    return this.inject<BrowserSessionResponse>(
      'GET',
      `/v1/browser_sessions/${encodeURIComponent(browserSessionId)}`,
    );
  }

  async closeBrowserSession(browserSessionId: string) {
    await this.inject('POST', `/v1/browser_sessions/${encodeURIComponent(browserSessionId)}/close`);
  }

  /** The MCP tools' backend in this process (`wren mcp` without a server; docs/mcp.md). */
  mcpBackend(): ReturnType<typeof inProcessMcpBackend> {
    return inProcessMcpBackend({
      app: this.wren.app,
      apiKey: this.requireApiKey(),
      organizationId: this.organizationId,
      sdkActions: this.wren.sdkActions,
    });
  }

  close(): Promise<void> {
    return this.wren.close();
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
