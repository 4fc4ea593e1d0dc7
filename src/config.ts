/**
 * Server configuration from environment variables and CLI overrides, resolved once at startup.
 * Every variable is documented in docs/configuration.md.
 */
import { resolve } from 'node:path';
import { type EgressPolicy, egressConfigProblems, egressPolicyFromEnv } from './net/index.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

export interface WrenConfig {
  host: string;
  port: number;
  /** Absolute path of the data directory (SQLite file, generated API key, artifacts). */
  dataDir: string;
  logLevel: LogLevel;
  /** When false the server accepts and stores runs but never executes them. */
  workerEnabled: boolean;
  maxConcurrency: number;
  /** Wall-clock limit of one run; past it the run ends `timed_out`. */
  runTimeoutMs: number;
  /** Highest `max_steps` a request may ask for. */
  maxStepsCap: number;
  /** o200k tokens of page text per observation before far content is summarised. */
  observationTokenBudget: number;
  /** Largest accepted request body in bytes (413 above). */
  bodyLimitBytes: number;
  allowPrivateNetworks: boolean;
  /**
   * The egress policy every connection follows (docs/configuration.md, "Network policy"):
   * WREN_ALLOW_PRIVATE_NETWORKS, the WREN_EGRESS_ALLOW allow-list, WREN_TEST_PUBLIC_ADDRESSES.
   */
  egress: EgressPolicy;
  /** A fixed API key to accept for the default organization (WREN_API_KEY). */
  seedApiKey: string | null;
  /**
   * Base URL of the web UI, used to build `app_url` (WREN_APP_URL); null: the address the
   * server listens on.
   */
  appUrl: string | null;
  /** Longest browser session timeout in minutes (WREN_SESSION_MAX_TIMEOUT_MINUTES). */
  sessionMaxTimeoutMinutes: number;
  /** postgres://… to use PostgreSQL (needed for several processes); null for SQLite in dataDir. */
  databaseUrl: string | null;
  /** api: HTTP only; worker: executes runs only; all: both (the single-machine default). */
  role: ServerRole;
  /** Running runs per organization across all workers; null for no limit. */
  orgMaxConcurrency: number | null;
  /** How long a worker's claim on a run lasts without a heartbeat before it is recovered. */
  leaseMs: number;
  /** Connect to this Chromium over CDP instead of launching one (ws:// or http://). */
  browserCdpUrl: string | null;
  /** The environment this configuration was read from (the model setup is resolved from it by src/llm; engines resolve per-run model overrides and browser settings in it). */
  env: Record<string, string | undefined>;
  credentials: CredentialsConfig;
  /** Base URL of this API as callers reach it (WREN_PUBLIC_URL), for signed artifact URLs; null: the listen address. */
  publicUrl: string | null;
  webhook: WebhookConfig;
  artifacts: ArtifactsConfig;
  /** The internal live view endpoint of a worker on PostgreSQL (docs/deploy.md). */
  live: LiveEndpointConfig;
}

export interface LiveEndpointConfig {
  /** WREN_LIVE_HOST: interface the worker's internal live endpoint listens on. */
  host: string;
  /** WREN_LIVE_PORT: its port; 0 picks a free one. */
  port: number;
  /** WREN_LIVE_ADVERTISE_URL: how API nodes reach it (ws:// or wss://); null: ws://host:port. */
  advertiseUrl: string | null;
}

export interface WebhookConfig {
  /** Attempts per delivery, the first included (WREN_WEBHOOK_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** First retry delay; doubles per attempt, plus jitter (WREN_WEBHOOK_RETRY_BASE_MS). */
  retryBaseMs: number;
  /** Per-attempt timeout (WREN_WEBHOOK_TIMEOUT_SECONDS). */
  timeoutMs: number;
}

export interface ArtifactsConfig {
  /** Artifacts older than this are deleted; 0 keeps them forever (WREN_ARTIFACT_RETENTION_DAYS). */
  retentionDays: number;
  /** Lifetime of signed artifact URLs (WREN_ARTIFACT_URL_TTL_SECONDS). */
  urlTtlSeconds: number;
}

/** Encryption key for stored credentials and the 2FA code wait (docs/credentials.md). */
export interface CredentialsConfig {
  /** WREN_SECRET_KEY; null: use (or create) <dataDir>/secret.key. */
  secretKey: string | null;
  /** WREN_SECRET_KEY_PREVIOUS: comma-separated keys that still decrypt (rotation). */
  secretKeyPrevious: string | null;
  /** WREN_TOTP_POLL_INTERVAL_MS: between polls of totp_url and pushed codes. */
  totpPollIntervalMs: number;
  /** WREN_TOTP_TIMEOUT_MS: how long a run waits for a code before OTP_TIMEOUT. */
  totpTimeoutMs: number;
}

export type ServerRole = 'all' | 'api' | 'worker';
export const SERVER_ROLES: readonly ServerRole[] = ['all', 'api', 'worker'];

export class ConfigError extends Error {}

export interface ConfigOverrides {
  host?: string;
  port?: number;
  dataDir?: string;
  logLevel?: string;
  workerEnabled?: boolean;
  maxConcurrency?: number;
  runTimeoutMs?: number;
  role?: string;
}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function boolVar(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function logLevel(raw: string | undefined): LogLevel {
  const value = (raw ?? 'info').trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(`log level must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return value as LogLevel;
}

function databaseUrl(raw: string | undefined): string | null {
  const value = raw?.trim();
  if (!value) return null;
  if (!/^postgres(ql)?:\/\//i.test(value)) {
    throw new ConfigError(
      'WREN_DATABASE_URL must be a postgres:// or postgresql:// URL (leave it unset for SQLite)',
    );
  }
  return value;
}

function serverRole(raw: string | undefined): ServerRole {
  const value = (raw ?? 'all').trim().toLowerCase();
  if (!(SERVER_ROLES as readonly string[]).includes(value)) {
    throw new ConfigError(`role must be one of ${SERVER_ROLES.join(', ')}, got "${raw}"`);
  }
  return value as ServerRole;
}

function cdpUrl(raw: string | undefined): string | null {
  const value = raw?.trim();
  if (!value) return null;
  if (!/^(wss?|https?):\/\//i.test(value)) {
    throw new ConfigError(
      `WREN_BROWSER_CDP_URL must be a ws://, wss://, http:// or https:// URL, got "${raw}"`,
    );
  }
  return value;
}

function advertiseUrl(raw: string | undefined): string | null {
  const value = raw?.trim().replace(/\/+$/, '');
  if (!value) return null;
  if (!/^wss?:\/\/[^/\s]+(\/\S*)?$/i.test(value)) {
    throw new ConfigError(
      `WREN_LIVE_ADVERTISE_URL must be a ws:// or wss:// URL API nodes can reach, got "${raw}"`,
    );
  }
  return value;
}

export function loadConfig(overrides: ConfigOverrides = {}, env: Env = process.env): WrenConfig {
  const port = overrides.port ?? intVar(env, 'WREN_PORT', 8000, 0, 65535);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`port must be an integer between 0 and 65535, got ${port}`);
  }
  const runTimeoutSeconds = intVar(env, 'WREN_RUN_TIMEOUT_SECONDS', 1800, 1, 7 * 24 * 3600);
  const allowPrivateNetworks = boolVar(env, 'WREN_ALLOW_PRIVATE_NETWORKS', false);
  const egress = { ...egressPolicyFromEnv(env), allowPrivateNetworks };
  const egressProblems = egressConfigProblems(egress);
  if (egressProblems.length > 0) throw new ConfigError(egressProblems.join('; '));
  return {
    host: overrides.host ?? env['WREN_HOST'] ?? '127.0.0.1',
    port,
    dataDir: resolve(overrides.dataDir ?? env['WREN_DATA_DIR'] ?? '.wren'),
    logLevel: logLevel(overrides.logLevel ?? env['WREN_LOG_LEVEL']),
    workerEnabled: overrides.workerEnabled ?? boolVar(env, 'WREN_WORKER', true),
    maxConcurrency: overrides.maxConcurrency ?? intVar(env, 'WREN_MAX_CONCURRENCY', 2, 1, 256),
    runTimeoutMs: overrides.runTimeoutMs ?? runTimeoutSeconds * 1000,
    maxStepsCap: intVar(env, 'WREN_MAX_STEPS_CAP', 100, 1, 10_000),
    observationTokenBudget: intVar(env, 'WREN_OBSERVATION_TOKEN_BUDGET', 30_000, 1000, 1_000_000),
    bodyLimitBytes: intVar(env, 'WREN_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    allowPrivateNetworks,
    egress,
    seedApiKey: env['WREN_API_KEY']?.trim() || null,
    appUrl: env['WREN_APP_URL']?.trim().replace(/\/+$/, '') || null,
    sessionMaxTimeoutMinutes: intVar(env, 'WREN_SESSION_MAX_TIMEOUT_MINUTES', 1440, 5, 100_000),
    env,
    publicUrl: env['WREN_PUBLIC_URL']?.trim().replace(/\/+$/, '') || null,
    webhook: {
      maxAttempts: intVar(env, 'WREN_WEBHOOK_MAX_ATTEMPTS', 8, 1, 100),
      retryBaseMs: intVar(env, 'WREN_WEBHOOK_RETRY_BASE_MS', 2000, 1, 3_600_000),
      timeoutMs: intVar(env, 'WREN_WEBHOOK_TIMEOUT_SECONDS', 30, 1, 600) * 1000,
    },
    artifacts: {
      retentionDays: intVar(env, 'WREN_ARTIFACT_RETENTION_DAYS', 30, 0, 36_500),
      urlTtlSeconds: intVar(
        env,
        'WREN_ARTIFACT_URL_TTL_SECONDS',
        7 * 24 * 3600,
        1,
        365 * 24 * 3600,
      ),
    },
    credentials: {
      secretKey: env['WREN_SECRET_KEY']?.trim() || null,
      secretKeyPrevious: env['WREN_SECRET_KEY_PREVIOUS']?.trim() || null,
      totpPollIntervalMs: intVar(env, 'WREN_TOTP_POLL_INTERVAL_MS', 10_000, 10, 3_600_000),
      totpTimeoutMs: intVar(env, 'WREN_TOTP_TIMEOUT_MS', 15 * 60_000, 10, 24 * 3_600_000),
    },
    databaseUrl: databaseUrl(env['WREN_DATABASE_URL']),
    role: serverRole(overrides.role ?? env['WREN_ROLE']),
    orgMaxConcurrency: intVar(env, 'WREN_ORG_MAX_CONCURRENCY', 0, 0, 10_000) || null,
    leaseMs: intVar(env, 'WREN_LEASE_SECONDS', 30, 2, 3600) * 1000,
    browserCdpUrl: cdpUrl(env['WREN_BROWSER_CDP_URL']),
    live: {
      host: env['WREN_LIVE_HOST']?.trim() || '127.0.0.1',
      port: intVar(env, 'WREN_LIVE_PORT', 0, 0, 65535),
      advertiseUrl: advertiseUrl(env['WREN_LIVE_ADVERTISE_URL']),
    },
  };
}
