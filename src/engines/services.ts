import path from 'node:path';
import {
  BrowserError,
  type BrowserManager,
  connectCallerCdp,
  connectCdp,
  type LiveBrowsers,
  RunBrowser,
  type RunBrowserOptions,
  type StoredBrowserState,
} from '../browser/index.js';
import { type BrowserSettings, RUN_TYPE_BY_ENGINE } from '../core/index.js';
import { createLlm, type Llm, resolveModelConfig } from '../llm/index.js';
import {
  asksForProxyRoute,
  browserOptionsFor,
  ProxyRouter,
  ProxyUnavailableError,
  type SessionManager,
  SessionUnavailableError,
} from '../sessions/index.js';
import type { TaskSpec } from './types.js';

/**
 * What engines get from the process: a model client for the run (the request's `model` override
 * applied) and an isolated browser context. Built once per server by createEngineServices.
 */
export interface EngineServices {
  llmFor(task: TaskSpec): Llm;
  openBrowser(task: TaskSpec): Promise<RunBrowser>;
  /** Observation token budget for the DOM engines. */
  observationTokenBudget: number;
  /** Send screenshots to the DOM engines' models (vision). */
  screenshots: boolean;
  /** Record a video of each run with this ffmpeg (WREN_RECORDING, WREN_FFMPEG_PATH); false: none. */
  recording: false | { ffmpegPath: string };
  /**
   * Record a HAR of each run (WREN_HAR, default true); WREN_HAR_MAX_BODY_BYTES > 0 embeds
   * textual response bodies up to that size (default 0: none).
   */
  har: false | { maxBodyBytes: number };
  /**
   * openai-cua `pending_safety_checks` (WREN_CUA_SAFETY_CHECKS): `stop` (default) ends the run
   * terminated and reports the checks; `acknowledge` echoes them back and carries on.
   */
  cuaSafetyChecks: 'stop' | 'acknowledge';
}

/** Loads and saves browser profiles' state (src/profiles implements it). */
export interface BrowserProfileStates {
  load(organizationId: string, profileId: string): Promise<StoredBrowserState | null>;
  save(organizationId: string, profileId: string, state: StoredBrowserState): Promise<boolean>;
}

/** A problem the caller can fix (model configuration): becomes the run's failure reason. */
export class EngineSetupError extends Error {
  override readonly name = 'EngineSetupError';
}

export function createEngineServices(options: {
  browsers: BrowserManager;
  dataDir: string;
  /** The environment the model setup is resolved from (per run: the request's `model`). */
  env: Record<string, string | undefined>;
  /** Launch and recording settings (config.browser). */
  browser: BrowserSettings;
  allowPrivateNetworks: boolean;
  observationTokenBudget?: number;
  screenshots?: boolean;
  /** Persistent browser sessions (runs with browser_session_id). */
  sessions?: SessionManager;
  /** Proxy routing for proxy_location; defaults to the sessions' router, else none configured. */
  proxies?: ProxyRouter;
  /** browser_address for runs that name neither a session nor an address (server-wide CDP). */
  defaultBrowserAddress?: string | null;
  /**
   * The egress policy a caller's browser_address passes (default: the sessions' policy, else
   * allowPrivateNetworks only). Wren's own browser endpoints are refused whatever it allows.
   */
  egress?: SessionManager['policy'];
  /** Timeout of connecting to a browser_address, ms. Default 120000. */
  cdpConnectTimeoutMs?: number;
  /** Where run browsers are made watchable (the API's live view) while they are open. */
  live?: LiveBrowsers;
  /** Browser profiles runs start from (browser_profile_id) and save back into. */
  profiles?: BrowserProfileStates;
  /** Says why a profile could not be used (deleted meanwhile, unreadable). */
  warn?: (message: string, data: Record<string, unknown>) => void;
}): EngineServices {
  const { env } = options;
  const { headless, cuaSafetyChecks } = options.browser;
  const viewport = options.browser.viewport ?? undefined;
  const proxies = options.proxies ?? options.sessions?.proxies ?? new ProxyRouter(null);
  return {
    observationTokenBudget: options.observationTokenBudget ?? 30_000,
    screenshots: options.screenshots ?? false,
    recording: options.browser.recording ? { ffmpegPath: options.browser.ffmpegPath } : false,
    har: options.browser.har,
    cuaSafetyChecks,
    llmFor(task) {
      const resolved = resolveModelConfig(env, task.model);
      if (!resolved.ok) throw new EngineSetupError(resolved.problem);
      return createLlm(resolved.config);
    },
    /**
     * Where a run's browser comes from: its session's browser (queued behind the session's
     * current run), the caller's own browser at browser_address, or a fresh context in the
     * server's Chromium routed through the proxy for proxy_location. In the first two cases the
     * returned browser's close() releases and leaves the browser running.
     */
    async openBrowser(task) {
      const browser = await openRunBrowser(task);
      if (options.live) {
        const end = options.live.add('run', task.runId, {
          organizationId: task.organizationId,
          page: () => browser.page(),
        });
        browser.onClose(end);
      }
      return browser;
    },
  };

  async function openRunBrowser(task: TaskSpec): Promise<RunBrowser> {
    const base: RunBrowserOptions = {
      runDir: path.join(options.dataDir, 'runs', task.runId),
      headless,
      ...(viewport ? { viewport } : {}),
      allowPrivateNetworks: options.allowPrivateNetworks,
      ...(task.extraHttpHeaders ? { extraHttpHeaders: task.extraHttpHeaders } : {}),
    };
    if (task.browserSessionId) {
      if (!options.sessions) throw new EngineSetupError('browser sessions are not enabled');
      let lease: Awaited<ReturnType<SessionManager['lease']>>;
      try {
        lease = await options.sessions.lease(task.organizationId, task.browserSessionId, {
          runId: task.runId,
          runType: RUN_TYPE_BY_ENGINE[task.engine],
        });
      } catch (e) {
        if (e instanceof SessionUnavailableError) throw new EngineSetupError(e.message);
        throw e;
      }
      try {
        const run = await RunBrowser.attach(lease.context, base, { release: lease.release });
        // The session's egress proxy reports its refusals to the run holding the browser.
        const stop = lease.watchBlocked?.((blocked) => run.noteBlocked(blocked));
        if (stop) run.onClose(stop);
        return run;
      } catch (e) {
        await lease.release();
        throw e;
      }
    }
    // The server-wide browser (WREN_BROWSER_ADDRESS / WREN_CHROME_PATH) is the default only: a run
    // that asks for a location or a proxy gets a routed context instead of silently going out
    // through the user's own network.
    const address =
      task.browserAddress ??
      (asksForProxyRoute(task.proxyLocation) ? null : (options.defaultBrowserAddress ?? null));
    if (address) {
      let connection: Awaited<ReturnType<typeof connectCdp>>;
      const connect = {
        headers: task.cdpConnectHeaders,
        timeoutMs: options.cdpConnectTimeoutMs ?? 120_000,
      };
      try {
        // The caller's address passes the egress policy and may not name one of Wren's own
        // browsers; the operator's server-wide browser is trusted.
        connection = task.browserAddress
          ? await connectCallerCdp(address, {
              ...connect,
              policy: options.egress ??
                options.sessions?.policy ?? { allowPrivateNetworks: options.allowPrivateNetworks },
            })
          : await connectCdp(address, connect);
      } catch (e) {
        if (e instanceof BrowserError && e.cause) {
          // The caller sees one message whatever failed; the operator's log keeps the cause.
          options.warn?.('browser_address: CDP connection failed', {
            run_id: task.runId,
            error: e.cause instanceof Error ? e.cause.message : String(e.cause),
          });
        }
        if (e instanceof BrowserError) throw new EngineSetupError(e.message);
        throw e;
      }
      try {
        // Not behind Wren's egress proxy: fetches by URL get one of their own (pinned).
        return await RunBrowser.attach(
          connection.context,
          { ...base, pinFetches: true },
          {
            browser: connection.browser,
            release: connection.disconnect,
          },
        );
      } catch (e) {
        await connection.disconnect();
        throw e;
      }
    }
    let route: ReturnType<ProxyRouter['route']>;
    try {
      route = proxies.route(task.proxyLocation);
    } catch (e) {
      if (e instanceof ProxyUnavailableError) throw new EngineSetupError(e.message);
      throw e;
    }
    const profileId = task.browserProfileId ?? null;
    let storageState: StoredBrowserState | null = null;
    if (profileId && options.profiles) {
      try {
        storageState = await options.profiles.load(task.organizationId, profileId);
        if (!storageState)
          options.warn?.('browser profile gone; the run starts from a fresh browser', {
            run_id: task.runId,
            browser_profile_id: profileId,
          });
      } catch (e) {
        options.warn?.('browser profile unreadable; the run starts from a fresh browser', {
          run_id: task.runId,
          browser_profile_id: profileId,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
    const browser = await options.browsers.openRunBrowser({
      ...base,
      ...browserOptionsFor(route),
      ...(storageState ? { storageState } : {}),
    });
    const profiles = options.profiles;
    if (profileId && profiles && storageState) {
      // The run's final cookies and storage go back into the profile it started from.
      browser.beforeClose(async () => {
        await profiles.save(task.organizationId, profileId, await browser.captureState());
      });
    }
    return browser;
  }
}
