/**
 * The SDK entry point. `new Wren({ baseUrl, apiKey })` talks to a Wren (or Skyvern-compatible)
 * server over HTTP; `new Wren()` without a baseUrl runs tasks in this process: an embedded store
 * in a data directory, the in-process worker and the local browser. Same methods, same results.
 */

import type { Page } from 'playwright-core';
import type { EngineRegistry } from '../engines/index.js';
import {
  type Artifact,
  type ArtifactContentOptions,
  type ArtifactType,
  type BrowserProfile,
  type BrowserProfileListQuery,
  type BrowserSessionResponse,
  type BulkCancelRunsRequest,
  type BulkCancelRunsResponse,
  type CreateBrowserProfileRequest,
  type CreateBrowserSessionRequestInput,
  type Credential,
  type CredentialCreate,
  type CredentialListQuery,
  type ListRunsQuery,
  type RetryRunWebhookRequest,
  type RunStatus,
  type RunWebhookDeliveries,
  type RunWebhookReplayResponse,
  type TaskRunListItem,
  type TaskRunRequestInput,
  type TaskRunResponse,
  type TimelineEntry,
  type TotpCode,
  type TotpCodeCreate,
  type TotpCodeListQuery,
  type UpdateBrowserProfileRequest,
  type UpdateBrowserSessionRequest,
  type WaitOptions,
  type WrenApi,
  WrenClient,
  waitForCompletion,
} from './client.js';
import { type AiPage, aiPage, type SdkActionBody, type SdkActionReply } from './page.js';
import { SelectorCache } from './selector-cache.js';

export interface WrenOptions {
  /** Server URL, e.g. http://localhost:8000. Omit to run embedded. */
  baseUrl?: string;
  /** x-api-key for the server (required with baseUrl). */
  apiKey?: string;
  fetch?: typeof fetch;
  /** Embedded mode: data directory (default WREN_DATA_DIR or ./.wren). */
  dataDir?: string;
  /** Embedded mode: runs executed at the same time. */
  maxConcurrency?: number;
  /** Embedded mode: engines to use instead of the built-in ones (tests, custom engines). */
  engines?: EngineRegistry;
  /** Embedded mode: log level (default warn, to stderr). */
  logLevel?: string;
  /**
   * JSON file keeping the selector cache of `page.act`/`page.locate` between runs of a script
   * (default: in memory only).
   */
  selectorCacheFile?: string;
}

export interface AttachOptions {
  /** The page's browser as the server reaches it: a session (its browser) … */
  browserSessionId?: string;
  /** … or the CDP address of your own browser (launched with --remote-debugging-port). */
  browserAddress?: string;
}

export interface RunTaskOptions {
  /** Poll until the run reaches a terminal status and return it. */
  wait_for_completion?: boolean;
  /** Seconds to wait for completion (default 1800); then an Error is thrown. */
  timeout?: number;
  /** Seconds between polls (default 2 over HTTP, 0.2 embedded). */
  poll_interval?: number;
}

export type RunTaskInput = TaskRunRequestInput & RunTaskOptions;

export class Wren implements WrenApi {
  private readonly api: Promise<WrenApi>;
  readonly embedded: boolean;
  /** Where `page.act`/`page.locate` remember what they found (docs/sdk.md#selector-cache). */
  readonly selectorCache: SelectorCache;
  /** Browser sessions as Playwright pages with AI primitives. */
  readonly sessions: {
    /** Connects Playwright to the session's browser and returns its page with act/extract/…. */
    page(browserSessionId: string): Promise<AiPage>;
  };
  private readonly connections: { close(): Promise<void> }[] = [];

  constructor(options: WrenOptions = {}) {
    this.selectorCache = new SelectorCache(options.selectorCacheFile ?? null);
    this.sessions = { page: (id) => this.sessionPage(id) };
    this.embedded = !options.baseUrl;
    if (options.baseUrl) {
      if (!options.apiKey) throw new Error('new Wren({ baseUrl }) needs apiKey too');
      this.api = Promise.resolve(
        new WrenClient({ baseUrl: options.baseUrl, apiKey: options.apiKey, fetch: options.fetch }),
      );
    } else {
      this.api = import('./embedded.js').then(({ EmbeddedWren }) =>
        EmbeddedWren.open({
          dataDir: options.dataDir,
          maxConcurrency: options.maxConcurrency,
          engines: options.engines,
          logLevel: options.logLevel,
          runWorker: true,
        }),
      );
      // Surface an opening error on first use, not as an unhandled rejection.
      this.api.catch(() => {});
    }
  }

  private async sessionPage(browserSessionId: string): Promise<AiPage> {
    const session = await this.getBrowserSession(browserSessionId);
    if (!session.browser_address) {
      throw new Error(
        `browser session ${browserSessionId} has no browser address (status ${session.status})`,
      );
    }
    // Loaded only here: a client that never drives a page never loads Playwright.
    const { chromium } = await import('playwright-core');
    const browser = await chromium.connectOverCDP(session.browser_address);
    this.connections.push(browser);
    const context = browser.contexts()[0] ?? (await browser.newContext());
    const page = context.pages()[0] ?? (await context.newPage());
    return this.page(page, { browserSessionId });
  }

  /**
   * Your own Playwright page with act/extract/observe/validate/locate. The server acts on the
   * page's browser, so say where it finds it: a session id, or your browser's CDP address.
   */
  page(page: Page, where: AttachOptions): AiPage {
    if (!where.browserSessionId && !where.browserAddress) {
      throw new Error('wren.page(page, where): give browserSessionId or browserAddress');
    }
    return aiPage(page, {
      backend: { runSdkAction: (body) => this.runSdkAction(body) },
      cache: this.selectorCache,
      target: where.browserSessionId
        ? { browser_session_id: where.browserSessionId }
        : { browser_address: where.browserAddress ?? null },
    });
  }

  async runSdkAction(body: SdkActionBody): Promise<SdkActionReply> {
    return (await this.api).runSdkAction(body);
  }

  /** Starts a task; with `wait_for_completion: true` resolves with the finished run. */
  async runTask(input: RunTaskInput): Promise<TaskRunResponse> {
    const { wait_for_completion, timeout, poll_interval, ...request } = input;
    const api = await this.api;
    const run = await api.runTask(request);
    if (!wait_for_completion) return run;
    return this.waitForCompletion(run.run_id, {
      timeoutMs: (timeout ?? 1800) * 1000,
      intervalMs: (poll_interval ?? (this.embedded ? 0.2 : 2)) * 1000,
    });
  }

  async waitForCompletion(runId: string, options: WaitOptions = {}): Promise<TaskRunResponse> {
    return waitForCompletion(await this.api, runId, {
      intervalMs: this.embedded ? 200 : 2000,
      ...options,
    });
  }

  async getRun(runId: string): Promise<TaskRunResponse> {
    return (await this.api).getRun(runId);
  }

  async listRuns(
    query: Partial<Omit<ListRunsQuery, 'status'>> & { status?: RunStatus[] } = {},
  ): Promise<TaskRunListItem[]> {
    return (await this.api).listRuns(query);
  }

  async cancelRun(runId: string): Promise<void> {
    return (await this.api).cancelRun(runId);
  }

  async retryRunWebhook(
    runId: string,
    request: RetryRunWebhookRequest = {},
  ): Promise<RunWebhookReplayResponse> {
    return (await this.api).retryRunWebhook(runId, request);
  }

  async getRunArtifacts(
    runId: string,
    query: { artifact_type?: ArtifactType[] } = {},
  ): Promise<Artifact[]> {
    return (await this.api).getRunArtifacts(runId, query);
  }

  async getArtifactContent(
    artifactId: string,
    options: ArtifactContentOptions = {},
  ): Promise<Uint8Array> {
    return (await this.api).getArtifactContent(artifactId, options);
  }

  async getRunWebhookDeliveries(runId: string): Promise<RunWebhookDeliveries> {
    return (await this.api).getRunWebhookDeliveries(runId);
  }

  async getRunTimeline(runId: string): Promise<TimelineEntry[]> {
    return (await this.api).getRunTimeline(runId);
  }

  /** Pushes a one-time code (or the message holding it) for runs waiting on a totp_identifier. */
  async sendTotpCode(request: TotpCodeCreate): Promise<TotpCode> {
    return (await this.api).sendTotpCode(request);
  }

  async getTotpCodes(query: TotpCodeListQuery = {}): Promise<TotpCode[]> {
    return (await this.api).getTotpCodes(query);
  }

  async createCredential(request: CredentialCreate): Promise<Credential> {
    return (await this.api).createCredential(request);
  }

  async getCredentials(query: CredentialListQuery = {}): Promise<Credential[]> {
    return (await this.api).getCredentials(query);
  }

  /** Overwrites a stored credential (any type), keeping its credential_id. */
  async updateCredential(credentialId: string, request: CredentialCreate): Promise<Credential> {
    return (await this.api).updateCredential(credentialId, request);
  }

  /** Cancels several runs; `failed` lists those that were unknown or already finished. */
  async bulkCancelRuns(request: BulkCancelRunsRequest): Promise<BulkCancelRunsResponse> {
    return (await this.api).bulkCancelRuns(request);
  }

  /** Keep the session's state at close (generate_browser_profile) or change its timeout. */
  async updateBrowserSession(
    browserSessionId: string,
    request: UpdateBrowserSessionRequest,
  ): Promise<BrowserSessionResponse> {
    return (await this.api).updateBrowserSession(browserSessionId, request);
  }

  /** A blank profile, or one holding a browser session's cookies and storage. */
  async createBrowserProfile(request: CreateBrowserProfileRequest): Promise<BrowserProfile> {
    return (await this.api).createBrowserProfile(request);
  }

  async listBrowserProfiles(query: BrowserProfileListQuery = {}): Promise<BrowserProfile[]> {
    return (await this.api).listBrowserProfiles(query);
  }

  async getBrowserProfile(profileId: string): Promise<BrowserProfile> {
    return (await this.api).getBrowserProfile(profileId);
  }

  async updateBrowserProfile(
    profileId: string,
    request: UpdateBrowserProfileRequest,
  ): Promise<BrowserProfile> {
    return (await this.api).updateBrowserProfile(profileId, request);
  }

  async deleteBrowserProfile(profileId: string): Promise<void> {
    return (await this.api).deleteBrowserProfile(profileId);
  }

  async getVersion(): Promise<Record<string, string>> {
    return (await this.api).getVersion();
  }

  async getCredential(credentialId: string): Promise<Credential> {
    return (await this.api).getCredential(credentialId);
  }

  async deleteCredential(credentialId: string): Promise<void> {
    return (await this.api).deleteCredential(credentialId);
  }

  async createBrowserSession(
    request: CreateBrowserSessionRequestInput = {},
  ): Promise<BrowserSessionResponse> {
    return (await this.api).createBrowserSession(request);
  }

  async getBrowserSessions(): Promise<BrowserSessionResponse[]> {
    return (await this.api).getBrowserSessions();
  }

  async getBrowserSession(browserSessionId: string): Promise<BrowserSessionResponse> {
    return (await this.api).getBrowserSession(browserSessionId);
  }

  async closeBrowserSession(browserSessionId: string): Promise<void> {
    return (await this.api).closeBrowserSession(browserSessionId);
  }

  async close(): Promise<void> {
    // Disconnects Playwright from session browsers; the sessions themselves keep running.
    for (const c of this.connections.splice(0)) await c.close().catch(() => {});
    const api = await this.api.catch(() => null);
    await api?.close();
  }
}
