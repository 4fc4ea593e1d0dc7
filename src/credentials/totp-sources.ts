import { type Now, realSleep, type Sleep } from './clock.js';
import { OTP_ERROR_CODES } from './errors.js';
import type { OtpType } from './extract.js';
import {
  normalizeTotpIdentifier,
  type RunScope,
  selectPushedCode,
  TOTP_LIFESPAN_MS,
  type TotpCodeStore,
} from './pushed-codes.js';
import { awaitCodeForEntry, parseTotpSecret, type TotpSecret } from './totp.js';

/**
 * Where a run gets a verification code, and the resolver that asks the sources in order —
 * stored secret → totp_url → pushed codes — polling until one answers or time runs out
 * (docs/credentials.md), ending with a typed outcome that maps onto the run error codes.
 */

export type TotpSourceKind = 'secret' | 'totp_url' | 'pushed';

export interface TotpRequest {
  /** The run asking (sent to totp_url as `task_id`). */
  runId: string;
  workflowRunId?: string | null;
  workflowPermanentId?: string | null;
  /** What the page wants; default `totp` (a code). */
  expect?: OtpType;
  signal?: AbortSignal;
}

export type TotpPoll =
  | { status: 'code'; value: string; otpType: OtpType; validUntilMs?: number }
  /** Asked and answered per contract, but no code yet. */
  | { status: 'pending'; detail?: string }
  /** Could not ask, or the answer broke the contract. */
  | { status: 'failed'; detail: string };

export interface TotpCodeSource {
  readonly kind: TotpSourceKind;
  poll(request: TotpRequest): Promise<TotpPoll>;
}

export type TotpResolution =
  | {
      ok: true;
      value: string;
      otpType: OtpType;
      source: TotpSourceKind;
      /** For generated codes: when the code stops being valid. */
      validUntilMs?: number;
    }
  | {
      ok: false;
      errorCode:
        | typeof OTP_ERROR_CODES.OTP_TIMEOUT
        | typeof OTP_ERROR_CODES.OTP_ERROR
        | typeof OTP_ERROR_CODES.MISSING_TOTP_SOURCE;
      reason: string;
    };

/** A TOTP secret held for the run's credential: the code is generated when asked. */
export function storedSecretSource(
  secret: TotpSecret | string,
  options: { now?: Now; sleep?: Sleep; minRemainingSeconds?: number } = {},
): TotpCodeSource {
  return {
    kind: 'secret',
    async poll(request) {
      if (request.expect === 'magic_link') {
        return { status: 'failed', detail: 'a TOTP secret cannot produce a magic link' };
      }
      let parsed: TotpSecret;
      try {
        parsed = typeof secret === 'string' ? parseTotpSecret(secret) : secret;
      } catch (err) {
        return { status: 'failed', detail: `stored TOTP secret is unusable: ${message(err)}` };
      }
      const entry = await awaitCodeForEntry(parsed, {
        ...options,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      return {
        status: 'code',
        value: entry.code,
        otpType: 'totp',
        validUntilMs: entry.validUntilMs,
      };
    },
  };
}

/** Codes pushed through the API for the run's totp_identifier. */
export function pushedCodeSource(options: {
  store: TotpCodeStore;
  organizationId: string;
  totpIdentifier: string;
  scope: RunScope;
  now?: Now;
  lifespanMs?: number;
}): TotpCodeSource {
  const used = new Set<string>();
  const identifier = normalizeTotpIdentifier(options.totpIdentifier);
  const lifespan = options.lifespanMs ?? TOTP_LIFESPAN_MS;
  return {
    kind: 'pushed',
    async poll(request) {
      const nowMs = (options.now ?? Date.now)();
      const startedAt = options.scope.startedAt?.getTime() ?? 0;
      const rows = await options.store.findRecent({
        organizationId: options.organizationId,
        totpIdentifier: identifier,
        createdAfter: new Date(Math.max(startedAt, nowMs - lifespan)),
      });
      const pick = selectPushedCode(rows, {
        scope: options.scope,
        nowMs,
        lifespanMs: lifespan,
        exclude: used,
        ...(request.expect ? { expect: request.expect } : {}),
      });
      if (!pick) return { status: 'pending', detail: `no pushed code for ${identifier} yet` };
      used.add(pick.record.id);
      // A one-time code is gone once used (docs/credentials.md, retention).
      await options.store.delete(pick.record.id);
      return { status: 'code', value: pick.value, otpType: pick.otpType };
    },
  };
}

export interface TotpResolverOptions {
  /** Between polling rounds (default 10 s). */
  pollIntervalMs?: number;
  /** Overall wait (default 15 min). */
  timeoutMs?: number;
  now?: Now;
  sleep?: Sleep;
  /** Called after each unsuccessful round; for run logs ("waiting for a code…"). */
  onRound?: (round: number, polls: Array<{ kind: TotpSourceKind; poll: TotpPoll }>) => void;
}

export const DEFAULT_POLL_INTERVAL_MS = 10_000;
export const DEFAULT_POLL_TIMEOUT_MS = 15 * 60_000;

export interface TotpResolver {
  resolve(request: TotpRequest): Promise<TotpResolution>;
}

/**
 * Sources are asked in the given order each round. A secret source is asked once (its answer
 * does not change with time); polled sources are asked every round until the deadline.
 * An abort signal on the request rejects with its reason.
 */
export function createTotpResolver(
  sources: readonly TotpCodeSource[],
  options: TotpResolverOptions = {},
): TotpResolver {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const timeout = options.timeoutMs ?? DEFAULT_POLL_TIMEOUT_MS;
  return {
    async resolve(request) {
      // A secret yields codes, never links.
      const usable =
        request.expect === 'magic_link' ? sources.filter((s) => s.kind !== 'secret') : sources;
      if (usable.length === 0) {
        return {
          ok: false,
          errorCode: OTP_ERROR_CODES.MISSING_TOTP_SOURCE,
          reason:
            request.expect === 'magic_link' && sources.length > 0
              ? 'the page waits for a magic link but the run has no totp_url or totp_identifier'
              : 'the page asks for a verification code but the run has no TOTP source',
        };
      }
      const failures = new Map<TotpSourceKind, string[]>();
      let answeredPerContract = false;
      const note = (kind: TotpSourceKind, poll: TotpPoll) => {
        if (poll.status === 'failed') {
          const list = failures.get(kind) ?? [];
          if (!list.includes(poll.detail) && list.length < 5) list.push(poll.detail);
          failures.set(kind, list);
        } else answeredPerContract = true;
      };

      const once = usable.filter((s) => s.kind === 'secret');
      const polled = usable.filter((s) => s.kind !== 'secret');
      for (const source of once) {
        request.signal?.throwIfAborted();
        const poll = await source.poll(request);
        if (poll.status === 'code') return success(source.kind, poll);
        note(source.kind, poll);
      }
      if (polled.length === 0) return failure(OTP_ERROR_CODES.OTP_ERROR, failures);

      const deadline = now() + timeout;
      for (let round = 1; ; round++) {
        const polls: Array<{ kind: TotpSourceKind; poll: TotpPoll }> = [];
        for (const source of polled) {
          request.signal?.throwIfAborted();
          const poll = await source.poll(request);
          if (poll.status === 'code') return success(source.kind, poll);
          note(source.kind, poll);
          polls.push({ kind: source.kind, poll });
        }
        options.onRound?.(round, polls);
        const left = deadline - now();
        if (left <= 0) break;
        await sleep(Math.min(interval, left), request.signal);
      }
      const code = answeredPerContract ? OTP_ERROR_CODES.OTP_TIMEOUT : OTP_ERROR_CODES.OTP_ERROR;
      return failure(code, failures, timeout);
    },
  };
}

function success(
  kind: TotpSourceKind,
  poll: Extract<TotpPoll, { status: 'code' }>,
): TotpResolution {
  return {
    ok: true,
    value: poll.value,
    otpType: poll.otpType,
    source: kind,
    ...(poll.validUntilMs !== undefined ? { validUntilMs: poll.validUntilMs } : {}),
  };
}

function failure(
  errorCode: typeof OTP_ERROR_CODES.OTP_TIMEOUT | typeof OTP_ERROR_CODES.OTP_ERROR,
  failures: Map<TotpSourceKind, string[]>,
  waitedMs?: number,
): TotpResolution {
  const parts: string[] = [];
  if (waitedMs !== undefined) {
    parts.push(`no verification code received within ${formatDuration(waitedMs)}`);
  }
  for (const [kind, details] of failures) parts.push(`${kind}: ${details.join('; ')}`);
  return { ok: false, errorCode, reason: parts.join('. ') || 'no verification code available' };
}

function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
