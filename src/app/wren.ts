/**
 * The app factory: wires store, run service, worker and HTTP API from a configuration.
 * `wren server`, the embedded CLI mode and the tests all start Wren through `createWren`.
 */

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import {
  ApiKeyAuthenticator,
  type BootstrapResult,
  bootstrapAuth,
  buildApi,
  type InternalLiveServer,
  KeyAdmin,
  LiveRelayTokens,
  runLocator,
  startInternalLiveServer,
} from '../api/index.js';
import { ArtifactService, ArtifactUrlSigner, LocalArtifactStorage } from '../artifacts/index.js';
import { BrowserManager, LiveBrowsers, resolveExecutablePath } from '../browser/index.js';
import type { SessionNetworkConfig, WrenConfig } from '../config.js';
import { CredentialService, loadSecretBox, type SecretBox } from '../credentials/index.js';
import {
  createDefaultRegistry,
  createEngineServices,
  type EngineRegistry,
  replayScript,
} from '../engines/index.js';
import { type ConfigResult, createLlm, resolveModelConfig } from '../llm/index.js';
import { createLogger } from '../log.js';
import {
  bareHost,
  type EgressPolicy,
  isLocalAddress,
  reserveOwnPort,
  shareOwnEndpoints,
} from '../net/index.js';
import { ProfileService } from '../profiles/index.js';
import {
  llmDisambiguator,
  prepareRunSecrets,
  RunService,
  runSecretsInput,
  ScriptService,
  SdkActionService,
  WebhookDispatcher,
  WebhookKeyring,
  Worker,
} from '../runs/index.js';
import {
  loadProxyConfig,
  ProxyRouter,
  SessionManager,
  serverBrowserFromEnv,
} from '../sessions/index.js';
import { openStore, type Store } from '../store/index.js';

export interface CreateWrenOptions {
  config: WrenConfig;
  logger?: Logger;
  /** Engines to run with; defaults to the engines this build ships. Tests inject their own. */
  engines?: EngineRegistry;
  /** Resolver for the webhook/TOTP URL network policy (tests). */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** Worker timing knobs (tests). */
  worker?: { pollIntervalMs?: number; abortGraceMs?: number };
  /** Webhook loop timing knobs (tests). */
  webhooks?: { pollIntervalMs?: number; random?: () => number };
}

export interface Wren {
  config: WrenConfig;
  /** The model setup resolved from the environment, or what to set (see src/llm). */
  model: ConfigResult;
  logger: Logger;
  store: Store;
  runs: RunService;
  worker: Worker;
  artifacts: ArtifactService;
  webhooks: WebhookDispatcher;
  app: FastifyInstance;
  auth: BootstrapResult;
  /** Seals stored credentials and run signing keys (WREN_SECRET_KEY or <dataDir>/secret.key). */
  secretBox: SecretBox;
  /** The server's Chromium (one process, a context per run). */
  browsers: BrowserManager;
  /** Persistent browser sessions. */
  sessions: SessionManager;
  /** AI primitives on live browsers (run_action, SDK, MCP). */
  sdkActions: SdkActionService;
  /** Starts the worker (unless disabled) and listens; resolves with the base URL. */
  listen(): Promise<string>;
  /** Starts the worker only (embedded mode, no HTTP). */
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Session browsers (config.sessionNetwork): WREN_SESSION_HOST is the interface of the gateway that
 * serves them with their tokens (default 127.0.0.1; a private interface for other nodes; the token
 * travels in clear), WREN_SESSION_PORT its port, WREN_SESSION_ADVERTISE_HOST the host
 * other nodes dial (default: WREN_SESSION_HOST, or this machine's name for a wildcard). A
 * worker-only process never creates sessions: no served interface.
 */
/** Reserves the port of a CDP address on this machine as one of Wren's own browser endpoints. */
function reserveLocalCdpPort(address: string | null | undefined): () => void {
  if (!address) return () => {};
  try {
    const url = new URL(address);
    const host = bareHost(url.hostname);
    if (host !== 'localhost' && !isLocalAddress(host)) return () => {};
    const secure = url.protocol === 'https:' || url.protocol === 'wss:';
    return reserveOwnPort(Number(url.port) || (secure ? 443 : 80));
  } catch {
    return () => {};
  }
}

/**
 * Shares the raw DevTools ports of this process's session browsers through the database, and
 * refuses those of every other process on this host (src/net/own-endpoints.ts): rows of processes
 * of this host that are gone are dropped first.
 */
async function shareEndpointsThrough(store: Store, logger: Logger): Promise<() => void> {
  const host = hostname();
  const owner = `${host}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const pruned = await store.ownEndpoints.prune(host, (o) => processAlive(o.split(':')[1]));
  if (pruned > 0) logger.info({ count: pruned }, 'forgot browser ports of stopped processes');
  return shareOwnEndpoints(store.ownEndpoints.registry(owner));
}

/** Whether the process with this pid (a string from an owner id) is running on this host. */
function processAlive(pid: string | undefined): boolean {
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  if (n === process.pid) return true;
  try {
    process.kill(n, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sessionNetwork(config: WrenConfig): SessionNetworkConfig {
  const { debugHost, advertiseHost, ...rest } = config.sessionNetwork;
  const served = config.role === 'worker' ? undefined : debugHost;
  const wildcard = served === '0.0.0.0' || served === '::';
  const advertised = advertiseHost ?? (wildcard ? hostname() : served);
  return {
    ...rest,
    ...(served ? { debugHost: served } : {}),
    ...(advertised ? { advertiseHost: advertised } : {}),
  };
}

/** package.json from src/api (tsx) or dist/src/api (compiled). */
function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'wren') return pkg.version ?? '0.0.0';
    } catch {}
  }
  return '0.0.0';
}

export async function createWren(options: CreateWrenOptions): Promise<Wren> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  const unshareEndpoints = await shareEndpointsThrough(store, logger);
  const auth = await bootstrapAuth(store, {
    dataDir: config.dataDir,
    seedApiKey: config.seedApiKey,
  });
  if (auth.retiredKeyIds.length > 0)
    logger.info(
      { key_ids: auth.retiredKeyIds },
      'WREN_API_KEY changed: revoked the previous environment key',
    );
  const secrets = await loadSecretBox({
    dataDir: config.dataDir,
    env: {
      WREN_SECRET_KEY: config.credentials.secretKey ?? undefined,
      WREN_SECRET_KEY_PREVIOUS: config.credentials.secretKeyPrevious ?? undefined,
    },
  });
  for (const warning of secrets.warnings) logger.warn(warning);
  if (secrets.keySource === 'generated')
    logger.info({ key_id: secrets.box.keyId }, 'generated a secret key in the data dir');
  const artifacts = new ArtifactService({
    store,
    storage: new LocalArtifactStorage(join(config.dataDir, 'artifacts')),
    signer: ArtifactUrlSigner.fromDataDir(config.dataDir),
    logger,
    urlTtlSeconds: config.artifacts.urlTtlSeconds,
    retentionDays: config.artifacts.retentionDays,
    baseUrl: config.publicUrl,
  });
  // app_url's base: WREN_APP_URL, else the address the server listens on (known after listen).
  const appUrl = {
    current: config.appUrl ?? `http://${wildcardAsLocalhost(config.host)}:${config.port}`,
  };
  // One egress policy for every connection this process makes or lets a browser make.
  const egress: EgressPolicy = {
    ...config.egress,
    // The switch itself is config.allowPrivateNetworks (callers may override just that field).
    allowPrivateNetworks: config.allowPrivateNetworks,
    ...(options.resolveHost ? { resolve: options.resolveHost } : {}),
  };
  const webhookKeys = new WebhookKeyring(store.runSigningKeys, secrets.box);
  const webhooks = new WebhookDispatcher({
    store,
    keyring: webhookKeys,
    logger,
    config: config.webhook,
    get appUrl() {
      return appUrl.current;
    },
    allowPrivateNetworks: config.allowPrivateNetworks,
    resolveHost: options.resolveHost,
    egress,
    artifacts,
    ...options.webhooks,
  });
  const runs = new RunService({
    store,
    logger,
    maxStepsCap: config.maxStepsCap,
    allowPrivateNetworks: config.allowPrivateNetworks,
    get appUrl() {
      return appUrl.current;
    },
    resolveHost: options.resolveHost,
    egress,
    secretBox: secrets.box,
    artifacts,
    maxActiveRuns: config.quotas.maxActiveRuns,
    // Sessions are built below; the lookup runs only at request time.
    sessionOfAddress: (org, address) => sessions.sessionOfAddress(org, address),
  });
  // One Chromium process for the server, launched on the first run; a context per run.
  const browsers = new BrowserManager({
    cdpUrl: config.browserCdpUrl ?? undefined,
    executablePath: resolveExecutablePath(config.browser.executablePath),
    egress,
  });
  // Browsers this process drives, watchable through the API's live view.
  const live = new LiveBrowsers();
  const env = config.env;
  const sessions: SessionManager = new SessionManager({
    store,
    logger,
    proxies: new ProxyRouter(loadProxyConfig(env)),
    dataDir: config.dataDir,
    allowPrivateNetworks: config.allowPrivateNetworks,
    egress,
    liveView: live,
    maxTimeoutMinutes: config.sessionMaxTimeoutMinutes,
    maxSessionsPerOrg: config.quotas.maxBrowserSessions,
    // Browser profiles keep or save back a session's state as it ends.
    onEnding: (record, capture): Promise<void> => profiles.sessionEnding(record, capture),
    // On PostgreSQL a session's browser serves runs that workers in other processes execute.
    shared: config.databaseUrl !== null,
    // A worker-only process never creates sessions: no gateway for it.
    ...sessionNetwork(config),
    serveGateway: config.role !== 'worker',
  });
  await sessions.start();
  const profiles: ProfileService = new ProfileService({
    store,
    box: secrets.box,
    logger,
    sessions,
  });
  const serverBrowser = await serverBrowserFromEnv(env);
  // The server-wide browsers are Wren's own: no run's browser_address and no page may reach them.
  const unreserve = [config.browserCdpUrl, serverBrowser.address].map(reserveLocalCdpPort);
  const services = createEngineServices({
    sessions,
    egress,
    defaultBrowserAddress: serverBrowser.address,
    browsers,
    dataDir: config.dataDir,
    env: config.env,
    browser: config.browser,
    allowPrivateNetworks: config.allowPrivateNetworks,
    observationTokenBudget: config.observationTokenBudget,
    live,
    profiles,
    warn: (message, data) => logger.warn(data, message),
  });
  // Pushed or pulled messages the extraction rules cannot decide go to the model, with every
  // possible code replaced by a label (src/runs/otp-model.ts).
  const model = resolveModelConfig(config.env);
  const disambiguate = model.ok ? llmDisambiguator(createLlm(model.config)) : undefined;
  // Pushed 2FA codes are deleted once a run used them, and the rest after the retention age.
  const retentionMs = config.credentials.totpRetentionMinutes * 60_000;
  const sweepCodes = () =>
    store.totpCodes
      .deleteOlderThan(new Date(Date.now() - retentionMs))
      .catch((error: unknown) => logger.warn({ err: error }, 'could not delete old pushed codes'));
  void sweepCodes();
  const codeSweep = setInterval(() => void sweepCodes(), Math.min(retentionMs, 60_000));
  codeSweep.unref();
  const worker = new Worker({
    store,
    secretBox: secrets.box,
    service: runs,
    engines: options.engines ?? createDefaultRegistry(services),
    logger,
    model,
    maxConcurrency: config.maxConcurrency,
    runTimeoutMs: config.runTimeoutMs,
    artifacts,
    prepareSecrets: (run) =>
      prepareRunSecrets(
        {
          store,
          box: secrets.box,
          allowPrivateNetworks: config.allowPrivateNetworks,
          resolveHost: options.resolveHost,
          egress,
          totpPollIntervalMs: config.credentials.totpPollIntervalMs,
          totpTimeoutMs: config.credentials.totpTimeoutMs,
          ...(disambiguate ? { disambiguate } : {}),
        },
        runSecretsInput(run),
      ),
    leaseMs: config.leaseMs,
    orgMaxConcurrency: config.orgMaxConcurrency,
    // SQLite serves one server per data directory; Postgres may have many workers.
    exclusive: config.databaseUrl === null,
    codeMode: {
      defaultRunWith: config.runWith,
      replay: (ctx, input) => replayScript(services, ctx, input),
    },
    ...options.worker,
  });
  // --role api: HTTP only (stateless); --role worker: executes runs, no HTTP.
  const runsWorker = config.workerEnabled && config.role !== 'api';
  // On PostgreSQL runs may execute in other processes: their live views are relayed.
  const relayed = config.databaseUrl !== null;
  const liveTokens = LiveRelayTokens.fromSecretBox(secrets.box);
  // One AI primitive per request (POST /v1/sdk/run_action, the SDK's page helpers, MCP tools).
  const sdkActions = new SdkActionService({
    store,
    services,
    logger,
    allowPrivateNetworks: config.allowPrivateNetworks,
    resolveHost: options.resolveHost,
    egress,
    artifacts,
    assertSession: (org, id) => sessions.assertUsable(org, id),
  });
  const app = await buildApi({
    sdkActions,
    scripts: new ScriptService(store),
    runs,
    auth: new ApiKeyAuthenticator(store),
    keys: new KeyAdmin(store, config.quotas),
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    version: packageVersion(),
    ui: { model },
    results: { runs, artifacts, webhooks },
    credentials: {
      credentials: new CredentialService({
        credentials: store.credentials,
        totpCodes: store.totpCodes,
        box: secrets.box,
        runExists: (org, id) => runs.hasRun(org, id),
        ...(disambiguate ? { disambiguate } : {}),
      }),
    },
    sessions: {
      sessions,
      auth: new ApiKeyAuthenticator(store),
      get appUrl() {
        return appUrl.current;
      },
      profiles,
    },
    profiles,
    live: {
      live,
      sessions,
      executesRuns: runsWorker,
      relay: relayed ? { tokens: liveTokens, self: runsWorker ? worker.owner : null } : null,
    },
  });
  // Deliveries and retention run wherever the worker runs (several processes may: leases).
  const startBackground = () => {
    webhooks.start();
    artifacts.startRetention();
  };

  let closed = false;
  let keepAlive: NodeJS.Timeout | null = null;
  let liveEndpoint: InternalLiveServer | null = null;
  /** Starts the worker; on PostgreSQL first its internal live endpoint, which it announces. */
  const startExecuting = async () => {
    if (relayed && !liveEndpoint) {
      liveEndpoint = await startInternalLiveServer({
        host: config.live.host,
        port: config.live.port,
        tokens: liveTokens,
        // Knowing its own id, the endpoint notices a run that moved to another worker.
        locate: runLocator({
          live,
          runs,
          executesRuns: true,
          relay: { self: worker.owner },
          statusPollMs: 1000,
        }),
        logger,
      });
      const advertised = config.live.advertiseUrl ?? advertisedAddress(liveEndpoint.address);
      worker.setLiveUrl(advertised);
      logger.info(
        { listening: liveEndpoint.address, advertised },
        'worker live view endpoint started',
      );
    }
    await worker.start();
    startBackground();
  };
  return {
    config,
    model,
    logger,
    store,
    runs,
    worker,
    artifacts,
    webhooks,
    app,
    auth,
    secretBox: secrets.box,
    browsers,
    sessions,
    sdkActions,
    async startWorker() {
      if (runsWorker) await startExecuting();
    },
    async listen() {
      if (runsWorker) await startExecuting();
      else logger.info('worker disabled: runs are stored and queued but not executed');
      if (config.role === 'worker') {
        // No HTTP server holds the process open; the worker's own timers are unref'd.
        keepAlive = setInterval(() => {}, 1 << 30);
        logger.info(
          { role: 'worker', worker_id: worker.owner, max_concurrency: config.maxConcurrency },
          'wren worker started',
        );
        return '';
      }
      const address = await app.listen({ host: config.host, port: config.port });
      if (!artifacts.hasBaseUrl()) artifacts.setBaseUrl(address);
      if (!config.appUrl) appUrl.current = wildcardAsLocalhost(address);
      logger.info(
        { address, data_dir: config.dataDir, worker: runsWorker, role: config.role },
        'wren listening',
      );
      return address;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (keepAlive) clearInterval(keepAlive);
      clearInterval(codeSweep);
      await worker.stop();
      await liveEndpoint?.close();
      await sessions.stop();
      await serverBrowser.stop();
      for (const release of unreserve) release();
      await browsers.close();
      await webhooks.stop();
      artifacts.stopRetention();
      await app.close();
      unshareEndpoints();
      await store.close();
    },
  };
}

/** A wildcard host (0.0.0.0, ::) in a URL or host, as a person on this machine opens it. */
function wildcardAsLocalhost(hostOrUrl: string): string {
  return hostOrUrl.replace(/^(https?:\/\/)?(0\.0\.0\.0|\[::\]|::)(?=:|$)/, '$1localhost');
}

/** A wildcard listen address is not reachable as such: other nodes get this host's name. */
function advertisedAddress(bound: string): string {
  return bound.replace(/^ws:\/\/(0\.0\.0\.0|\[::\])(?=:)/, `ws://${hostname()}`);
}
