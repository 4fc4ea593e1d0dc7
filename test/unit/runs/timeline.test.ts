import { describe, expect, it } from 'vitest';
import { buildTimeline } from '../../../src/runs/timeline.js';
import type { RunRecord, StepRecord } from '../../../src/store/index.js';

const AT = '2026-11-29T01:00:00.000Z';
const NONE = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
const event = (kind: string, stepIndex: number, extra: Partial<StepRecord> = {}): StepRecord => ({
  runId: 'tsk_1',
  stepIndex,
  kind,
  summary: null,
  usage: NONE,
  data: null,
  createdAt: AT,
  ...extra,
});
const call = (inputTokens: number, outputTokens: number, costUsd: number, role = 'actor') =>
  event('model_call', 0, { usage: { inputTokens, outputTokens, costUsd }, data: { role } });

describe('buildTimeline', () => {
  const run = { id: 'tsk_1', organizationId: 'o_1' } as RunRecord;

  it("adds up a step's model calls when the engine reports the step without usage", () => {
    const [entry] = buildTimeline(run, [
      event('step_started', 0),
      call(900, 40, 0.001),
      call(300, 10, 0.0005, 'verifier'),
      event('step_finished', 0, { summary: 'done' }),
    ]);
    expect(entry?.block).toMatchObject({ input_tokens: 1200, output_tokens: 50, cost_usd: 0.0015 });
    expect(entry?.block?.['model_calls']).toHaveLength(2);
  });

  it("keeps the engine's own step usage when it reports one", () => {
    const [entry] = buildTimeline(run, [
      event('step_started', 0),
      call(900, 40, 0.001),
      event('step_finished', 0, { usage: { inputTokens: 5, outputTokens: 6, costUsd: 7 } }),
    ]);
    expect(entry?.block).toMatchObject({ input_tokens: 5, output_tokens: 6, cost_usd: 7 });
  });

  it('puts a model call made after its step finished at the top level as a thought', () => {
    const timeline = buildTimeline(run, [
      event('step_started', 0),
      event('step_finished', 0),
      call(100, 20, 0.0002, 'extractor'),
    ]);
    expect(timeline.map((t) => t.type)).toEqual(['block', 'thought']);
    expect(timeline[1]?.thought).toMatchObject({
      thought_type: 'extractor',
      input_token_count: 100,
    });
  });
});
