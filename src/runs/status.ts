/**
 * The run status machine (docs/api.md "Run statuses"). Pure: no I/O, unit-tested on its own.
 *
 *   created ─▶ queued ─▶ running ─▶ completed | failed | terminated | timed_out | canceled
 *      └─────────┴──▶ failed | timed_out | canceled
 *
 * Canceled is final: a completion that arrives after a cancel is not recorded over it
 * (docs/decisions.md "Cancel wins over a late completion"; Skyvern allows canceled → completed).
 *
 * Restart recovery may also move `running` back to `queued` (see RECOVERY_TRANSITIONS); that
 * is the worker's own bookkeeping after a crash, never a client-visible request.
 */
import type { RunStatus } from '../contract/index.js';

const TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  created: ['queued', 'running', 'timed_out', 'failed', 'canceled'],
  queued: ['running', 'timed_out', 'failed', 'canceled'],
  running: ['completed', 'failed', 'terminated', 'timed_out', 'canceled'],
  canceled: [],
  paused: [],
  failed: [],
  terminated: [],
  completed: [],
  timed_out: [],
};

/** Only used when resolving runs a dead process left `running`. */
export const RECOVERY_TRANSITIONS: Readonly<Partial<Record<RunStatus, readonly RunStatus[]>>> = {
  running: ['queued', 'failed'],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Statuses a run may be in for a move to `to` to be allowed. */
export function sourcesOf(to: RunStatus): RunStatus[] {
  return (Object.keys(TRANSITIONS) as RunStatus[]).filter((from) => canTransition(from, to));
}

export function requiresFailureReason(status: RunStatus): boolean {
  return status === 'failed' || status === 'terminated';
}

export class InvalidTransitionError extends Error {
  constructor(
    readonly from: RunStatus,
    readonly to: RunStatus,
    readonly runId: string,
  ) {
    super(`Invalid task status transition from ${from} to ${to} for ${runId}`);
  }
}

/** Throws when the move is not allowed, or when a failure status lacks its reason. */
export function assertTransition(
  runId: string,
  from: RunStatus,
  to: RunStatus,
  failureReason?: string | null,
): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to, runId);
  if (requiresFailureReason(to) && !failureReason) {
    throw new Error(`a run moving to ${to} needs a failure_reason (${runId})`);
  }
}
