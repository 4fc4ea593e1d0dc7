/**
 * The app factory: wires store, run service, worker and HTTP API from a configuration.
 * `wren server`, the embedded CLI mode and the tests all start Wren through `createWren`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ArtifactService, ArtifactUrlSigner, LocalArtifactStorage } from '../artifacts/index.js';
import { BrowserManager } from '../browser/index.js';
import type { WrenConfig } from '../config.js';
import { loadSecretBox, type SecretBox } from '../credentials/index.js';
import { createDefaultRegistry, type EngineRegistry } from '../engines/registry.js';
import { createEngineServices } from '../engines/services.js';
import { createLogger } from '../log.js';
import { RunService } from '../runs/service.js';
import { WebhookDispatcher, WebhookKeyring } from '../runs/webhooks/index.js';
import { Worker } from '../runs/worker.js';
import { openStore, type Store } from '../store/index.js';
import { buildApi } from './app.js';
import { ApiKeyAuthenticator, type BootstrapResult, bootstrapAuth } from './keys.js';

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
  /** Starts the worker (unless disabled) and listens; resolves with the base URL. */
  listen(): Promise<string>;
  /** Starts the worker only (embedded mode, no HTTP). */
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export async function createWren(options: CreateWrenOptions): Promise<Wren> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = await openStore({ dataDir: config.dataDir });
  const auth = await bootstrapAuth(store, {
    dataDir: config.dataDir,
    seedApiKey: config.seedApiKey,
  });
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
  const webhookKeys = new WebhookKeyring(store.runSigningKeys, secrets.box);
  const webhooks = new WebhookDispatcher({
    store,
    keyring: webhookKeys,
    logger,
    config: config.webhook,
    appUrl: config.appUrl,
    allowPrivateNetworks: config.allowPrivateNetworks,
    resolveHost: options.resolveHost,
    artifacts,
    ...options.webhooks,
  });
  const runs = new RunService({
    store,
    logger,
    maxStepsCap: config.maxStepsCap,
    allowPrivateNetworks: config.allowPrivateNetworks,
    appUrl: config.appUrl,
    resolveHost: options.resolveHost,
    secretBox: secrets.box,
    artifacts,
  });
  // One Chromium process for the server, launched on the first run; a context per run.
  const browsers = new BrowserManager();
  const services = createEngineServices({
    browsers,
    dataDir: config.dataDir,
    env: config.env,
    allowPrivateNetworks: config.allowPrivateNetworks,
  });
  const worker = new Worker({
    store,
    service: runs,
    engines: options.engines ?? createDefaultRegistry(services),
    logger,
    model: config.model,
    maxConcurrency: config.maxConcurrency,
    runTimeoutMs: config.runTimeoutMs,
    artifacts,
    ...options.worker,
  });
  const app = await buildApi({
    runs,
    auth: new ApiKeyAuthenticator(store),
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    version: packageVersion(),
    ui: { store, model: config.model },
    results: { store, artifacts, webhooks },
    credentials: { store, box: secrets.box },
  });
  // Deliveries and retention run wherever the worker runs (several processes may: leases).
  const startBackground = () => {
    webhooks.start();
    artifacts.startRetention();
  };

  let closed = false;
  return {
    config,
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
    async startWorker() {
      if (config.workerEnabled) {
        await worker.start();
        startBackground();
      }
    },
    async listen() {
      if (config.workerEnabled) {
        await worker.start();
        startBackground();
      } else logger.info('worker disabled: runs are stored and queued but not executed');
      const address = await app.listen({ host: config.host, port: config.port });
      if (!artifacts.hasBaseUrl()) artifacts.setBaseUrl(address);
      logger.info(
        { address, data_dir: config.dataDir, worker: config.workerEnabled },
        'wren listening',
      );
      return address;
    },
    async close() {
      if (closed) return;
      closed = true;
      await worker.stop();
      await browsers.close();
      await webhooks.stop();
      artifacts.stopRetention();
      await app.close();
      await store.close();
    },
  };
}
