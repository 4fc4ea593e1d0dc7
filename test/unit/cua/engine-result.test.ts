import { describe, expect, it } from 'vitest';
import { cuaResultToEngineResult, cuaStepToEvents } from '../../../src/engines/cua/index.js';

const usage = { inputTokens: 1000, outputTokens: 100 };
const costOf = (u: typeof usage) => u.inputTokens / 1000 + u.outputTokens / 100;

describe('CUA results in engine terms', () => {
  it('maps each loop outcome to the worker outcome with usage and cost', () => {
    expect(
      cuaResultToEngineResult(
        { outcome: 'completed', answer: '42', reason: null, steps: 3, usage },
        costOf,
      ),
    ).toEqual({
      outcome: { status: 'completed', output: '42' },
      errors: [],
      stepCount: 3,
      usage: { inputTokens: 1000, outputTokens: 100, costUsd: 2 },
    });
    expect(
      cuaResultToEngineResult({
        outcome: 'max_steps',
        answer: null,
        reason: 'reached max_steps (2)',
        steps: 2,
        usage,
      }).outcome,
    ).toEqual({ status: 'failed', failureReason: 'reached max_steps (2)' });
    expect(
      cuaResultToEngineResult({
        outcome: 'needs_user',
        answer: 'Need login',
        reason: 'call_user',
        steps: 1,
        usage,
      }).outcome,
    ).toEqual({ status: 'terminated', failureReason: 'call_user', output: 'Need login' });
    expect(
      cuaResultToEngineResult({
        outcome: 'safety_stop',
        answer: null,
        reason: 'checks',
        steps: 1,
        usage,
      }).outcome,
    ).toEqual({ status: 'terminated', failureReason: 'checks' });
  });

  it('summarises a step without leaking typed text', () => {
    const events = cuaStepToEvents({
      stepIndex: 4,
      reasoning: null,
      message: null,
      screenshot: null,
      usage,
      actions: [
        {
          action: {
            kind: 'click',
            at: { x: 10.4, y: 20 },
            button: 'left',
            clickCount: 2,
            modifiers: [],
          },
          callId: 'c',
          status: 'done',
          durationMs: 12,
        },
        {
          action: { kind: 'type', text: 'hunter2', pressEnterAfter: true },
          callId: 'c',
          status: 'done',
          durationMs: 30,
        },
        {
          action: { kind: 'invalid', name: 'teleport', reason: 'no' },
          callId: 'c',
          status: 'failed',
          error: 'teleport: unknown action type',
          durationMs: 0,
        },
        { action: { kind: 'cursor_position' }, callId: 'c', status: 'not_executed' },
      ],
    });
    expect(events).toEqual([
      { type: 'step_started', stepIndex: 4 },
      {
        type: 'action',
        stepIndex: 4,
        actionIndex: 0,
        action: '2x left click (10,20)',
        ok: true,
        durationMs: 12,
      },
      {
        type: 'action',
        stepIndex: 4,
        actionIndex: 1,
        action: 'type 7 chars + Enter',
        ok: true,
        durationMs: 30,
      },
      {
        type: 'action',
        stepIndex: 4,
        actionIndex: 2,
        action: 'invalid teleport',
        ok: false,
        note: 'failed: teleport: unknown action type',
        durationMs: 0,
      },
      {
        type: 'action',
        stepIndex: 4,
        actionIndex: 3,
        action: 'cursor position',
        ok: false,
        note: 'not_executed',
        durationMs: 0,
      },
      {
        type: 'step_finished',
        stepIndex: 4,
        summary:
          '2x left click (10,20); type 7 chars + Enter; invalid teleport [failed: teleport: unknown action type]; cursor position [not_executed]',
        usage: { inputTokens: 1000, outputTokens: 100, costUsd: 0 },
      },
    ]);
    expect(JSON.stringify(events)).not.toContain('hunter2');
  });
});
