/** The UI's step timeline reads both Skyvern's timeline shape and flat per-step records. */
import { describe, expect, it } from 'vitest';
import { buildTimeline } from '../../../src/runs/timeline.js';
import type { RunRecord, StepRecord } from '../../../src/store/index.js';
import { normalizeStep, timelineItems } from '../../../ui/src/timeline-model.js';

const AT = '2026-11-28T21:00:00.000Z';
const NO_USAGE = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
const event = (kind: string, stepIndex: number, extra: Partial<StepRecord> = {}): StepRecord => ({
  runId: 'tsk_1',
  stepIndex,
  kind,
  summary: null,
  usage: NO_USAGE,
  data: null,
  createdAt: AT,
  ...extra,
});

describe('timeline model', () => {
  it('reads flat step records: reasoning, actions with results, screenshots, tokens, cost', () => {
    const body = {
      steps: [
        {
          step_id: 'stp_1',
          step_index: 0,
          status: 'completed',
          reasoning: 'The search box is at the top; type the product name.',
          actions: [
            {
              action_type: 'input_text',
              reasoning: 'Search for kettle',
              result: { success: true },
            },
            {
              action_type: 'click',
              status: 'failed',
              action_results: [{ success: false, exception_message: 'element is covered' }],
            },
          ],
          screenshot_urls: ['/v1/artifacts/a_1/content', '/v1/artifacts/a_1/content'],
          input_tokens: 1200,
          output_tokens: 80,
          cost_usd: 0.0021,
          created_at: '2026-11-28T21:00:00.000Z',
        },
      ],
    };
    const [step] = timelineItems(body).map((s, i) => normalizeStep(s, i));
    expect(step).toMatchObject({
      key: 'stp_1',
      index: 0,
      status: 'completed',
      reasoning: 'The search box is at the top; type the product name.',
      screenshots: ['/v1/artifacts/a_1/content'],
      inputTokens: 1200,
      outputTokens: 80,
      cost: 0.0021,
    });
    expect(step?.actions.map((a) => [a.type, a.ok, a.result])).toEqual([
      ['input_text', true, null],
      ['click', false, 'element is covered'],
    ]);
  });

  it("reads Skyvern's thought/block tree with nested children and screenshot artifacts", () => {
    const body = [
      {
        type: 'thought',
        thought: { thought_id: 'ot_1', thought: 'Plan: open the shop, then search.' },
        children: [],
        created_at: '2026-11-28T21:00:00',
      },
      {
        type: 'block',
        block: {
          workflow_run_block_id: 'wrb_1',
          block_type: 'navigation',
          label: 'Open the shop',
          status: 'completed',
          actions: [{ action_type: 'goto_url', reasoning: 'Start page' }],
          artifacts: [{ artifact_id: 'a_9', artifact_type: 'screenshot_llm' }],
        },
        children: [{ type: 'thought', thought: { thought: 'Found it.' }, children: [] }],
      },
    ];
    const steps = timelineItems(body).map((s, i) => normalizeStep(s, i));
    expect(steps[0]).toMatchObject({
      key: 'ot_1',
      title: 'Thought',
      reasoning: 'Plan: open the shop, then search.',
    });
    expect(steps[1]).toMatchObject({
      key: 'wrb_1',
      title: 'Open the shop',
      status: 'completed',
      screenshots: ['/v1/artifacts/a_9/content'],
    });
    expect(steps[1]?.actions[0]).toMatchObject({ type: 'goto_url', reasoning: 'Start page' });
    expect(steps[1]?.children[0]?.reasoning).toBe('Found it.');
  });

  it("reads the server's own timeline (src/runs/timeline.ts): sub-goal, step, actions, model calls", () => {
    const run = { id: 'tsk_v2_1', organizationId: 'o_1' } as RunRecord;
    const timeline = buildTimeline(run, [
      event('subgoal_started', 0, {
        data: { subgoal_index: 0, kind: 'navigate', goal: 'Open the shop' },
      }),
      event('step_started', 0),
      event('model_call', 0, {
        summary: 'actor call to openai/gpt-5-mini (850 ms)',
        usage: { inputTokens: 1200, outputTokens: 80, costUsd: 0.002 },
        data: { role: 'actor', model: 'openai/gpt-5-mini', duration_ms: 850 },
      }),
      event('action', 0, { data: { action_index: 0, action: 'click [12]', ok: true, note: null } }),
      event('action', 0, {
        data: { action_index: 1, action: 'input_text [7]', ok: false, note: 'field is read-only' },
      }),
      event('step_finished', 0, {
        summary: 'Clicked the shop link; the search field refused input',
        usage: { inputTokens: 1200, outputTokens: 80, costUsd: 0.002 },
      }),
      event('subgoal_finished', 0, {
        data: { subgoal_index: 0, status: 'completed', outcome: 'done' },
      }),
    ]);
    const [subgoal] = timelineItems(timeline).map((s, i) => normalizeStep(s, i));
    expect(subgoal).toMatchObject({ title: 'Open the shop', status: 'completed' });
    const step = subgoal?.children[0];
    expect(step).toMatchObject({
      index: 0,
      title: 'Step 1',
      status: 'failed',
      reasoning: 'Clicked the shop link; the search field refused input',
      inputTokens: 1200,
      outputTokens: 80,
      cost: 0.002,
    });
    expect(step?.actions.map((a) => [a.type, a.ok, a.result])).toEqual([
      ['click [12]', true, null],
      ['input_text [7]', false, 'field is read-only'],
    ]);
    expect(step?.modelCalls).toEqual([
      {
        role: 'actor',
        model: 'openai/gpt-5-mini',
        inputTokens: 1200,
        outputTokens: 80,
        cost: 0.002,
        durationMs: 850,
      },
    ]);
  });

  it("shows each step's screenshots, whatever their image type", () => {
    const run = { id: 'tsk_1', organizationId: 'o_1' } as RunRecord;
    const shot = (id: string, type: string, contentType: string) => ({
      artifact_id: id,
      artifact_type: type,
      content_type: contentType,
      signed_url: `http://127.0.0.1:8000/v1/artifacts/${id}/content?expiry=1&kid=k&sig=s`,
    });
    const timeline = buildTimeline(
      run,
      [event('step_started', 0), event('step_finished', 0), event('step_started', 1)],
      new Map([
        [
          0,
          [
            shot('a_1', 'screenshot_action', 'image/png'),
            shot('a_2', 'screenshot_action', 'image/jpeg'),
          ],
        ],
        [7, [shot('a_9', 'screenshot_action', 'image/png')]],
      ]),
    );
    expect(timeline[0]?.block?.['screenshot_urls']).toEqual([
      shot('a_1', '', '').signed_url,
      shot('a_2', '', '').signed_url,
    ]);
    const [first, second] = timelineItems(timeline).map((s, i) => normalizeStep(s, i));
    // Listed once each, though both screenshot_urls and artifacts name them.
    expect(first?.screenshots).toEqual([
      shot('a_1', '', '').signed_url,
      shot('a_2', '', '').signed_url,
    ]);
    expect(second?.screenshots).toEqual([]);
  });

  it("adds up a step's model calls when the step itself reports no usage", () => {
    const run = { id: 'tsk_1', organizationId: 'o_1' } as RunRecord;
    const call = (tokens: number) =>
      event('model_call', 0, {
        summary: 'call',
        usage: { inputTokens: tokens, outputTokens: 10, costUsd: 0.001 },
        data: { role: 'actor', model: 'm' },
      });
    const timeline = buildTimeline(run, [
      event('step_started', 0),
      call(100),
      call(50),
      event('step_finished', 0, { usage: NO_USAGE }),
    ]);
    const [step] = timelineItems(timeline).map((s, i) => normalizeStep(s, i));
    expect(step).toMatchObject({ inputTokens: 150, outputTokens: 20, cost: 0.002 });
  });

  it('treats anything else as no steps', () => {
    expect(timelineItems({ detail: 'x' })).toEqual([]);
    expect(timelineItems(null)).toEqual([]);
  });
});
