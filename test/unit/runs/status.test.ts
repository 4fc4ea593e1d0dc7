import { describe, expect, it } from 'vitest';
import { isTerminalStatus, RUN_STATUSES, type RunStatus } from '../../../src/contract/index.js';
import {
  assertTransition,
  canTransition,
  InvalidTransitionError,
  RECOVERY_TRANSITIONS,
  requiresFailureReason,
  sourcesOf,
} from '../../../src/runs/status.js';

// The status machine of docs/api.md "Run statuses", written out in full so any change to the machine shows up here.
const ALLOWED: Record<RunStatus, RunStatus[]> = {
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

describe('run status machine', () => {
  it('allows exactly the transitions of the contract', () => {
    for (const from of RUN_STATUSES) {
      for (const to of RUN_STATUSES) {
        expect(canTransition(from, to), `${from} → ${to}`).toBe(ALLOWED[from].includes(to));
      }
    }
  });

  it('knows the terminal statuses', () => {
    expect(RUN_STATUSES.filter(isTerminalStatus)).toEqual([
      'timed_out',
      'failed',
      'terminated',
      'completed',
      'canceled',
    ]);
  });

  it('lists where a cancel may come from', () => {
    expect(sourcesOf('canceled').sort()).toEqual(['created', 'queued', 'running']);
  });

  it('requires a failure reason for failed and terminated only', () => {
    expect(RUN_STATUSES.filter(requiresFailureReason)).toEqual(['failed', 'terminated']);
    expect(() => assertTransition('tsk_1', 'running', 'failed')).toThrow(/needs a failure_reason/);
    expect(() => assertTransition('tsk_1', 'running', 'failed', 'boom')).not.toThrow();
    expect(() => assertTransition('tsk_1', 'running', 'completed')).not.toThrow();
  });

  it('names both ends and the run in an invalid transition', () => {
    let caught: unknown;
    try {
      assertTransition('tsk_42', 'completed', 'canceled');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidTransitionError);
    expect((caught as Error).message).toBe(
      'Invalid task status transition from completed to canceled for tsk_42',
    );
  });

  it('keeps recovery moves separate from the client-visible machine', () => {
    expect(RECOVERY_TRANSITIONS).toEqual({ running: ['queued', 'failed'] });
    expect(canTransition('running', 'queued')).toBe(false);
  });
});
