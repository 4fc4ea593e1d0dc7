/**
 * Server configuration from environment variables and CLI overrides: one zod schema (`ENV_SCHEMA`)
 * over every WREN_* variable, parsed once at start (`loadConfig`) and passed down as a typed
 * `WrenConfig`; nothing below reads `process.env` for the server. A bad value fails the start with
 * a `ConfigError` naming every variable that is wrong and why. Every variable is documented in
 * docs/configuration.md. (Model provider keys are read by src/llm from `config.env`, because a
 * run's `model` override picks among them; sessions' server-browser and proxy files take their
 * variables from `config.env` too.)
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import type { BrowserSettings } from './core/index.js';
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
  /** WREN_RUN_WITH: how a request without run_with runs, `agent` (default) or `code`. */
  runWith: 'agent' | 'code';
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
  /** Default quotas per organization (docs/security.md, "Quotas"); an organization may override them. */
  quotas: { maxBrowserSessions: number; maxActiveRuns: number };
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
  /** How run browsers are launched and what they record. */
  browser: BrowserConfig;
  /** Persistent browser sessions served to other nodes (docs/configuration.md, "Sessions"). */
  sessionNetwork: SessionNetworkConfig;
}

/** How run browsers are launched and what they record (src/core: engines read it too). */
export type BrowserConfig = BrowserSettings;

export interface SessionNetworkConfig {
  /** WREN_SESSION_HOST: interface of the session gateway (browser_address; default 127.0.0.1). */
  debugHost?: string;
  /** WREN_SESSION_PORT: the session gateway's port (default 0, a free one). */
  gatewayPort?: number;
  /** WREN_SESSION_ADVERTISE_HOST; unset: debugHost (this machine's name for a wildcard). */
  advertiseHost?: string;
  /** WREN_SESSION_STALE_MS: how long a session owner may stay silent before others fail it. */
  staleMs?: number;
  /** WREN_SESSION_MINUTE_MS: length of a session "minute" (tests shorten it). */
  minuteMs?: number;
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
  /** WREN_TOTP_RETENTION_MINUTES: pushed codes older than this are deleted (used ones at once). */
  totpRetentionMinutes: number;
}

export type ServerRole = 'all' | 'api' | 'worker';
export const SERVER_ROLES: readonly ServerRole[] = ['all', 'api', 'worker'];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

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

/**
 * One environment variable: unset or blank gives `fallback`; otherwise `parse` returns the value
 * or a `Problem` saying what the value must be (the error adds the name and what was given).
 */
class Problem {
  constructor(readonly why: string) {}
}
function variable<T>(fallback: T, parse: (value: string) => T | Problem) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T => {
      const value = raw?.trim();
      if (value === undefined || value === '') return fallback;
      const parsed = parse(value);
      if (parsed instanceof Problem) {
        ctx.addIssue({ code: 'custom', message: parsed.why });
        return z.NEVER;
      }
      return parsed;
    });
}

const text = (fallback: string) => variable(fallback, (v) => v);
const optionalText = () => variable<string | null>(null, (v) => v);
const int = (fallback: number, min: number, max: number) =>
  variable(fallback, (v) => {
    const n = Number(v);
    return Number.isInteger(n) && n >= min && n <= max
      ? n
      : new Problem(`must be an integer between ${min} and ${max}`);
  });
const optionalInt = (min: number, max: number, why: string) =>
  variable<number | undefined>(undefined, (v) => {
    const n = Number(v);
    return Number.isInteger(n) && n >= min && n <= max ? n : new Problem(why);
  });
const bool = (fallback: boolean) =>
  variable(fallback, (v) => {
    const lower = v.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
    if (['0', 'false', 'no', 'off'].includes(lower)) return false;
    return new Problem('must be true or false');
  });
const oneOf = <T extends string>(values: readonly T[], fallback: T) =>
  variable<T>(fallback, (v) => {
    const lower = v.toLowerCase();
    return (values as readonly string[]).includes(lower)
      ? (lower as T)
      : new Problem(`must be one of ${values.join(', ')}`);
  });
const url = (pattern: RegExp, why: string) =>
  variable<string | null>(null, (v) => {
    const value = v.replace(/\/+$/, '');
    return pattern.test(value) ? value : new Problem(why);
  });
const baseUrl = () => variable<string | null>(null, (v) => v.replace(/\/+$/, '') || null);

/** Variables whose value never appears in an error (it may hold a password or a key). */
const SECRET_VARIABLES = new Set([
  'WREN_DATABASE_URL',
  'WREN_SECRET_KEY',
  'WREN_SECRET_KEY_PREVIOUS',
]);

/**
 * Every WREN_* variable the server reads, with its type, default and bounds (docs/configuration.md
 * lists the same ones). Parsed once by loadConfig.
 */
export const ENV_SCHEMA = z.object({
  WREN_HOST: text('127.0.0.1'),
  WREN_PORT: int(8000, 0, 65535),
  WREN_DATA_DIR: text('.wren'),
  WREN_LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  WREN_ROLE: oneOf(SERVER_ROLES, 'all'),
  WREN_WORKER: bool(true),
  WREN_MAX_CONCURRENCY: int(2, 1, 256),
  WREN_RUN_TIMEOUT_SECONDS: int(1800, 1, 7 * 24 * 3600),
  WREN_MAX_STEPS_CAP: int(100, 1, 10_000),
  WREN_OBSERVATION_TOKEN_BUDGET: int(30_000, 1000, 1_000_000),
  WREN_BODY_LIMIT_BYTES: int(1024 * 1024, 1024, 100 * 1024 * 1024),
  WREN_ALLOW_PRIVATE_NETWORKS: bool(false),
  WREN_API_KEY: optionalText(),
  WREN_APP_URL: baseUrl(),
  WREN_PUBLIC_URL: baseUrl(),
  WREN_SESSION_MAX_TIMEOUT_MINUTES: int(1440, 5, 100_000),
  WREN_WEBHOOK_MAX_ATTEMPTS: int(8, 1, 100),
  WREN_WEBHOOK_RETRY_BASE_MS: int(2000, 1, 3_600_000),
  WREN_WEBHOOK_TIMEOUT_SECONDS: int(30, 1, 600),
  WREN_ARTIFACT_RETENTION_DAYS: int(30, 0, 36_500),
  WREN_ARTIFACT_URL_TTL_SECONDS: int(7 * 24 * 3600, 1, 365 * 24 * 3600),
  WREN_SECRET_KEY: optionalText(),
  WREN_SECRET_KEY_PREVIOUS: optionalText(),
  WREN_TOTP_POLL_INTERVAL_MS: int(10_000, 10, 3_600_000),
  WREN_TOTP_TIMEOUT_MS: int(15 * 60_000, 10, 24 * 3_600_000),
  WREN_TOTP_RETENTION_MINUTES: int(60, 1, 30 * 24 * 60),
  WREN_DATABASE_URL: url(
    /^postgres(ql)?:\/\//i,
    'must be a postgres:// or postgresql:// URL (leave it unset for SQLite)',
  ),
  WREN_ORG_MAX_CONCURRENCY: int(0, 0, 10_000),
  WREN_ORG_MAX_BROWSER_SESSIONS: int(8, 0, 100_000),
  WREN_ORG_MAX_ACTIVE_RUNS: int(500, 0, 100_000),
  WREN_LEASE_SECONDS: int(30, 2, 3600),
  WREN_BROWSER_CDP_URL: url(
    /^(wss?|https?):\/\//i,
    'must be a ws://, wss://, http:// or https:// URL',
  ),
  WREN_LIVE_HOST: text('127.0.0.1'),
  WREN_LIVE_PORT: int(0, 0, 65535),
  WREN_LIVE_ADVERTISE_URL: url(
    /^wss?:\/\/[^/\s]+(\/\S*)?$/i,
    'must be a ws:// or wss:// URL API nodes can reach',
  ),
  WREN_BROWSER_PATH: optionalText(),
  WREN_BROWSER_HEADLESS: bool(true),
  WREN_BROWSER_VIEWPORT: variable<{ width: number; height: number } | null>(null, (v) => {
    const m = /^(\d{3,5})x(\d{3,5})$/.exec(v);
    return m
      ? { width: Number(m[1]), height: Number(m[2]) }
      : new Problem('must look like 1280x720');
  }),
  WREN_RECORDING: bool(true),
  WREN_FFMPEG_PATH: text('/usr/bin/ffmpeg'),
  WREN_HAR: bool(true),
  WREN_HAR_MAX_BODY_BYTES: int(0, 0, Number.MAX_SAFE_INTEGER),
  WREN_CUA_SAFETY_CHECKS: oneOf(['stop', 'acknowledge'] as const, 'stop'),
  WREN_RUN_WITH: oneOf(['agent', 'code'] as const, 'agent'),
  WREN_SESSION_HOST: optionalText(),
  WREN_SESSION_ADVERTISE_HOST: variable<string | null>(null, (v) =>
    /[/\s@]/.test(v) ? new Problem('must be a host name or IP') : v,
  ),
  WREN_SESSION_PORT: optionalInt(0, 65535, 'must be a port number (0-65535)'),
  WREN_SESSION_STALE_MS: optionalInt(
    1000,
    Number.MAX_SAFE_INTEGER,
    'must be a whole number of ms ≥ 1000',
  ),
  WREN_SESSION_MINUTE_MS: optionalInt(
    1,
    Number.MAX_SAFE_INTEGER,
    'must be a positive whole number of ms',
  ),
});
export type EnvSettings = z.output<typeof ENV_SCHEMA>;

/** CLI flags and embedded-mode options, checked by the same schema as the variable they override. */
const OVERRIDES: Record<string, { variable: keyof EnvSettings; label: string }> = {
  host: { variable: 'WREN_HOST', label: 'host' },
  port: { variable: 'WREN_PORT', label: 'port' },
  dataDir: { variable: 'WREN_DATA_DIR', label: 'data dir' },
  logLevel: { variable: 'WREN_LOG_LEVEL', label: 'log level' },
  workerEnabled: { variable: 'WREN_WORKER', label: 'worker' },
  maxConcurrency: { variable: 'WREN_MAX_CONCURRENCY', label: 'max concurrency' },
  role: { variable: 'WREN_ROLE', label: 'role' },
};

/**
 * Parses the environment once: every bad variable is reported in one ConfigError, each as
 * `NAME must … , got "value"` (secret values are not repeated).
 */
export function parseEnv(env: Env, overrides: ConfigOverrides = {}): EnvSettings {
  const input: Env = {};
  for (const key of Object.keys(ENV_SCHEMA.shape)) input[key] = env[key];
  const labels = new Map<string, string>();
  for (const [key, value] of Object.entries(overrides)) {
    const override = OVERRIDES[key];
    if (!override || value === undefined) continue;
    input[override.variable] = String(value);
    labels.set(override.variable, override.label);
  }
  const result = ENV_SCHEMA.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    const given = SECRET_VARIABLES.has(name) ? '' : `, got "${input[name]}"`;
    return `${labels.get(name) ?? name} ${issue.message}${given}`;
  });
  throw new ConfigError(problems.join('; '));
}

export function loadConfig(overrides: ConfigOverrides = {}, env: Env = process.env): WrenConfig {
  const v = parseEnv(env, overrides);
  const egress = {
    ...egressPolicyFromEnv(env),
    allowPrivateNetworks: v.WREN_ALLOW_PRIVATE_NETWORKS,
  };
  const egressProblems = egressConfigProblems(egress);
  if (egressProblems.length > 0) throw new ConfigError(egressProblems.join('; '));
  const sessionHost = v.WREN_SESSION_HOST ?? undefined;
  const advertiseHost = v.WREN_SESSION_ADVERTISE_HOST ?? undefined;
  return {
    runWith: v.WREN_RUN_WITH,
    host: v.WREN_HOST,
    port: v.WREN_PORT,
    dataDir: resolve(v.WREN_DATA_DIR),
    logLevel: v.WREN_LOG_LEVEL,
    workerEnabled: v.WREN_WORKER,
    maxConcurrency: v.WREN_MAX_CONCURRENCY,
    runTimeoutMs: overrides.runTimeoutMs ?? v.WREN_RUN_TIMEOUT_SECONDS * 1000,
    maxStepsCap: v.WREN_MAX_STEPS_CAP,
    observationTokenBudget: v.WREN_OBSERVATION_TOKEN_BUDGET,
    bodyLimitBytes: v.WREN_BODY_LIMIT_BYTES,
    allowPrivateNetworks: v.WREN_ALLOW_PRIVATE_NETWORKS,
    egress,
    seedApiKey: v.WREN_API_KEY,
    appUrl: v.WREN_APP_URL,
    sessionMaxTimeoutMinutes: v.WREN_SESSION_MAX_TIMEOUT_MINUTES,
    env,
    publicUrl: v.WREN_PUBLIC_URL,
    webhook: {
      maxAttempts: v.WREN_WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: v.WREN_WEBHOOK_RETRY_BASE_MS,
      timeoutMs: v.WREN_WEBHOOK_TIMEOUT_SECONDS * 1000,
    },
    artifacts: {
      retentionDays: v.WREN_ARTIFACT_RETENTION_DAYS,
      urlTtlSeconds: v.WREN_ARTIFACT_URL_TTL_SECONDS,
    },
    credentials: {
      secretKey: v.WREN_SECRET_KEY,
      secretKeyPrevious: v.WREN_SECRET_KEY_PREVIOUS,
      totpPollIntervalMs: v.WREN_TOTP_POLL_INTERVAL_MS,
      totpTimeoutMs: v.WREN_TOTP_TIMEOUT_MS,
      totpRetentionMinutes: v.WREN_TOTP_RETENTION_MINUTES,
    },
    databaseUrl: v.WREN_DATABASE_URL,
    role: v.WREN_ROLE,
    orgMaxConcurrency: v.WREN_ORG_MAX_CONCURRENCY || null,
    quotas: {
      maxBrowserSessions: v.WREN_ORG_MAX_BROWSER_SESSIONS,
      maxActiveRuns: v.WREN_ORG_MAX_ACTIVE_RUNS,
    },
    leaseMs: v.WREN_LEASE_SECONDS * 1000,
    browserCdpUrl: v.WREN_BROWSER_CDP_URL,
    live: {
      host: v.WREN_LIVE_HOST,
      port: v.WREN_LIVE_PORT,
      advertiseUrl: v.WREN_LIVE_ADVERTISE_URL,
    },
    browser: {
      executablePath: v.WREN_BROWSER_PATH,
      headless: v.WREN_BROWSER_HEADLESS,
      viewport: v.WREN_BROWSER_VIEWPORT,
      recording: v.WREN_RECORDING,
      ffmpegPath: v.WREN_FFMPEG_PATH,
      har: v.WREN_HAR ? { maxBodyBytes: v.WREN_HAR_MAX_BODY_BYTES } : false,
      cuaSafetyChecks: v.WREN_CUA_SAFETY_CHECKS,
    },
    sessionNetwork: {
      ...(sessionHost ? { debugHost: sessionHost } : {}),
      ...(v.WREN_SESSION_PORT !== undefined ? { gatewayPort: v.WREN_SESSION_PORT } : {}),
      ...(advertiseHost ? { advertiseHost } : {}),
      ...(v.WREN_SESSION_STALE_MS !== undefined ? { staleMs: v.WREN_SESSION_STALE_MS } : {}),
      ...(v.WREN_SESSION_MINUTE_MS !== undefined ? { minuteMs: v.WREN_SESSION_MINUTE_MS } : {}),
    },
  };
}
