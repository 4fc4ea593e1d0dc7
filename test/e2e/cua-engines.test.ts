import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { type FakeRequest, imageSize } from '../support/fake-model/parse.js';

/**
 * Each computer-use engine driven through the real server by the fake model in that vendor's
 * wire format. The fake knows the fixture page's layout in CSS pixels (agent/cua.html) and
 * computes every coordinate in the display size the engine declared in its request, as a model
 * would; the page and the fixture server then show where the clicks, typing and scrolling landed.
 */
const NAME = { x: 250, y: 120 };
const SAVE = { x: 180, y: 225 };
const FAR = { x: 700, y: 1530 };
const SCROLL_BY = 1000;
// No video: encoding it dominates a run's end on a busy machine, and recording has its own tests.
const NO_VIDEO = { WREN_RECORDING: 'false' };

let h: AgentHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The two ui-tars tests need the same server settings: one harness, reset for each. */
let uiTarsHarness: AgentHarness | undefined;
async function uiTars(): Promise<AgentHarness> {
  uiTarsHarness ??= await startAgentHarness('openai-compatible/ui-tars-72b-dpo', NO_VIDEO);
  uiTarsHarness.fake.reset();
  uiTarsHarness.site.clear();
  return uiTarsHarness;
}
afterAll(async () => {
  await uiTarsHarness?.close();
});

interface Display {
  width: number;
  height: number;
}

/** CSS point (with the page scrolled by `scrollY`) → the model's declared display space. */
function toDisplay(
  p: { x: number; y: number },
  display: Display,
  viewport: Display,
  scrollY = 0,
): [number, number] {
  return [
    Math.round((p.x * display.width) / viewport.width),
    Math.round(((p.y - scrollY) * display.height) / viewport.height),
  ];
}

/** The tool's declared display size; the GA OpenAI tool declares none: its screenshots are it. */
function declaredDisplay(req: FakeRequest, fallback: Display): Display {
  const tool = req.tools.find((t) => t.type.startsWith('computer'))?.raw ?? {};
  const width = Number(tool['display_width'] ?? tool['display_width_px']);
  const height = Number(tool['display_height'] ?? tool['display_height_px']);
  if (width && height) return { width, height };
  const shot = req.images.at(-1);
  return (shot && imageSize(shot.bytes)) || fallback;
}

async function expectLanded(harness: AgentHarness): Promise<void> {
  const saved = harness.site.submissions('cua-save');
  expect(saved.map((s) => s.fields)).toEqual([{ name: 'Grace' }]);
  const far = harness.site.submissions('cua-far');
  expect(far.map((s) => s.fields)).toEqual([{ scrollY: String(SCROLL_BY) }]);
  expect(harness.fake.violations).toEqual([]);
}

describe('computer-use engines end to end', () => {
  it('openai-cua (GA computer tool, batched actions) clicks, types and scrolls by coordinates', async () => {
    const viewport = { width: 1280, height: 720 };
    h = await startAgentHarness('openai/gpt-5.5', NO_VIDEO);
    const harness = h;
    let turn = 0;
    const usage = { inputTokens: 1000, outputTokens: 100 };
    harness.fake.setPolicy((req) => {
      if (req.tools.length === 0) {
        // The final extraction call on the last page (role extractor, structured output).
        return {
          json: { data: { saved_name: /Saved (\w+)/.exec(req.text)?.[1] ?? null } },
          usage,
        };
      }
      const d = declaredDisplay(req, viewport);
      turn++;
      const [nx, ny] = toDisplay(NAME, d, viewport);
      const [sx, sy] = toDisplay(SAVE, d, viewport);
      const [cx, cy] = toDisplay({ x: 640, y: 360 }, d, viewport);
      const [fx, fy] = toDisplay(FAR, d, viewport, SCROLL_BY);
      switch (turn) {
        case 1:
          return {
            usage,
            computerCalls: [
              {
                actions: [
                  { type: 'click', button: 'left', x: nx, y: ny },
                  { type: 'type', text: 'Grace' },
                  { type: 'click', button: 'left', x: sx, y: sy },
                ],
              },
            ],
          };
        case 2:
          return {
            usage,
            computerCalls: [
              {
                actions: [
                  {
                    type: 'scroll',
                    x: cx,
                    y: cy,
                    scroll_x: 0,
                    scroll_y: Math.round((SCROLL_BY * d.height) / viewport.height),
                  },
                ],
              },
            ],
          };
        case 3:
          return {
            usage,
            computerCalls: [{ actions: [{ type: 'click', button: 'left', x: fx, y: fy }] }],
          };
        default:
          return { text: 'Saved Grace and pressed the far button.', usage };
      }
    });
    const runId = await harness.submit({
      engine: 'openai-cua',
      prompt: 'Save the name Grace, then press the far button.',
      url: `${harness.site.url}/agent/cua.html`,
      data_extraction_schema: {
        type: 'object',
        properties: { saved_name: { type: 'string' } },
        required: ['saved_name'],
      },
    });
    const run = await harness.waitForRun(runId);
    expect(run['failure_reason'] ?? null).toBeNull();
    expect(run['status']).toBe('completed');
    expect(run['run_type']).toBe('openai_cua');
    expect(run['output']).toEqual({ saved_name: 'Grace' });
    expect(run['step_count']).toBe(4);
    await expectLanded(harness);
    // Every computer call was answered with a screenshot of the viewport's size.
    const followUps = harness.fake.requests.filter((r) => r.previousResponseId);
    expect(followUps.length).toBe(3);
    expect(followUps.every((r) => r.images.length === 1)).toBe(true);
    // Usage and cost: 4 computer-use turns and the extraction, 1000 + 100 tokens each, priced
    // as gpt-5.5.
    expect(run['usage']).toMatchObject({ input_tokens: 5000, output_tokens: 500 });
    expect((run['usage'] as { cost_usd: number }).cost_usd).toBeGreaterThan(0);

    // Per-step records: each step lists the actions it ran, in order, with a screenshot.
    const timeline = (await harness.wren.call('GET', `/v1/runs/${runId}/timeline`)).body as {
      block: { step_index: number; actions: { action: string; ok: boolean }[] };
    }[];
    expect(timeline.map((e) => e.block.actions.map((a) => [a.action, a.ok]))).toEqual([
      [
        [`left click (${NAME.x},${NAME.y})`, true],
        ['type 5 chars', true],
        [`left click (${SAVE.x},${SAVE.y})`, true],
      ],
      [['scroll 0,1000 at (640,360)', true]],
      [[`left click (${FAR.x},${FAR.y - SCROLL_BY})`, true]],
      [],
    ]);
  });

  it('anthropic-cua scales between a 1600x1000 viewport and the declared 1280x800 display', async () => {
    const viewport = { width: 1600, height: 1000 };
    h = await startAgentHarness('anthropic/claude-sonnet-4-5', {
      ...NO_VIDEO,
      WREN_BROWSER_VIEWPORT: '1600x1000',
    });
    const harness = h;
    let turn = 0;
    let declared: Display | null = null;
    harness.fake.setPolicy((req) => {
      const d = declaredDisplay(req, viewport);
      declared = d;
      turn++;
      const computer = (args: Record<string, unknown>) => ({ name: 'computer', args });
      const [nx, ny] = toDisplay(NAME, d, viewport);
      const [sx, sy] = toDisplay(SAVE, d, viewport);
      const [cx, cy] = toDisplay({ x: 800, y: 500 }, d, viewport);
      const [fx, fy] = toDisplay(FAR, d, viewport, SCROLL_BY);
      switch (turn) {
        case 1:
          return {
            toolCalls: [
              computer({ action: 'left_click', coordinate: [nx, ny] }),
              computer({ action: 'type', text: 'Grace' }),
              computer({ action: 'left_click', coordinate: [sx, sy] }),
            ],
          };
        case 2:
          return {
            toolCalls: [
              computer({
                action: 'scroll',
                coordinate: [cx, cy],
                scroll_direction: 'down',
                scroll_amount: SCROLL_BY / 100,
              }),
            ],
          };
        case 3:
          return { toolCalls: [computer({ action: 'left_click', coordinate: [fx, fy] })] };
        default:
          return { text: 'Done: saved Grace and pressed the far button.' };
      }
    });
    const runId = await harness.submit({
      engine: 'anthropic-cua',
      prompt: 'Save the name Grace, then press the far button.',
      url: `${harness.site.url}/agent/cua.html`,
    });
    const run = await harness.waitForRun(runId);
    expect(run['status']).toBe('completed');
    expect(declared).toEqual({ width: 1280, height: 800 });
    expect(run['output']).toEqual({ answer: 'Done: saved Grace and pressed the far button.' });
    await expectLanded(harness);
    // Screenshots go back inside tool_result blocks, at the declared size.
    const last = harness.fake.lastRequest();
    expect(last.images.length).toBeGreaterThan(0);
    const shot = last.images.at(-1);
    expect(shot && imageSize(shot.bytes)).toEqual({ width: 1280, height: 800 });
  });

  it('ui-tars drives the page with its text action grammar and finished(content) answers', async () => {
    const viewport = { width: 1280, height: 720 };
    const harness = await uiTars();
    const rel = (p: { x: number; y: number }, scrollY = 0) =>
      `(${Math.round((p.x / viewport.width) * 1000)},${Math.round(((p.y - scrollY) / viewport.height) * 1000)})`;
    const replies = [
      `Thought: Click the name box.\nAction: click(start_box='${rel(NAME)}')`,
      "Thought: Type the name.\nAction: type(content='Grace')",
      `Thought: Save.\nAction: click(start_box='${rel(SAVE)}')`,
      "Thought: Scroll down.\nAction: scroll(start_box='(500,500)', direction='down')",
      "Thought: Further.\nAction: scroll(start_box='(500,500)', direction='down')",
      `Thought: Press the far button.\nAction: click(start_box='${rel(FAR, SCROLL_BY)}')`,
      "Thought: All done.\nAction: finished(content='Saved Grace')",
    ];
    let turn = 0;
    harness.fake.setPolicy(() => ({ text: replies[Math.min(turn++, replies.length - 1)] }));
    const runId = await harness.submit({
      engine: 'ui-tars',
      prompt: 'Save the name Grace, then press the far button.',
      url: `${harness.site.url}/agent/cua.html`,
    });
    const run = await harness.waitForRun(runId);
    expect(run['status']).toBe('completed');
    expect(run['output']).toEqual({ answer: 'Saved Grace' });
    expect(run['step_count']).toBe(7);
    await expectLanded(harness);
    expect(harness.fake.requests[0]?.path).toMatch(/\/chat\/completions$/);
  });

  it('openai-cua (preview tool) acknowledges pending safety checks when WREN_CUA_SAFETY_CHECKS says so', async () => {
    const viewport = { width: 1280, height: 720 };
    h = await startAgentHarness('openai/computer-use-preview', {
      ...NO_VIDEO,
      WREN_CUA_SAFETY_CHECKS: 'acknowledge',
    });
    const harness = h;
    let turn = 0;
    harness.fake.setPolicy((req) => {
      const d = declaredDisplay(req, viewport);
      const [nx, ny] = toDisplay(NAME, d, viewport);
      const [sx, sy] = toDisplay(SAVE, d, viewport);
      turn++;
      if (turn === 1) {
        return {
          computerCalls: [
            {
              action: { type: 'click', button: 'left', x: nx, y: ny },
              pendingSafetyChecks: [
                { id: 'cu_sc_1', code: 'irrelevant_domain', message: 'Check the domain.' },
              ],
            },
          ],
        };
      }
      if (turn === 2) return { computerCalls: [{ action: { type: 'type', text: 'Grace' } }] };
      if (turn === 3) {
        return { computerCalls: [{ action: { type: 'click', button: 'left', x: sx, y: sy } }] };
      }
      return { text: 'Saved Grace.' };
    });
    const runId = await harness.submit({
      engine: 'openai-cua',
      prompt: 'Save the name Grace.',
      url: `${harness.site.url}/agent/cua.html`,
    });
    const run = await harness.waitForRun(runId);
    expect(run['failure_reason'] ?? null).toBeNull();
    expect(run['status']).toBe('completed');
    expect(run['output']).toEqual({ answer: 'Saved Grace.' });
    expect(harness.site.submissions('cua-save').map((s) => s.fields)).toEqual([{ name: 'Grace' }]);
    // The preview tool declared the display, and the check came back acknowledged verbatim.
    const first = harness.fake.requests[0];
    expect(first?.tools.map((t) => t.raw)).toEqual([
      {
        type: 'computer_use_preview',
        display_width: 1280,
        display_height: 720,
        environment: 'browser',
      },
    ]);
    expect((first?.body as Record<string, unknown> | undefined)?.['truncation']).toBe('auto');
    const second = harness.fake.requests[1]?.body as { input: Record<string, unknown>[] };
    expect(second.input[0]?.['acknowledged_safety_checks']).toEqual([
      { id: 'cu_sc_1', code: 'irrelevant_domain', message: 'Check the domain.' },
    ]);
    expect(harness.fake.violations).toEqual([]);
  });

  it('ui-tars out of steps: REACH_MAX_STEPS once, the mapped error code classified on the last page', async () => {
    const harness = await uiTars();
    harness.fake.setPolicy((req) => {
      if (req.system.startsWith('A browser agent stopped')) {
        return {
          json: {
            errors: [{ code: 'FORM_UNREACHABLE', reasoning: 'never saved', confidence: 0.7 }],
          },
        };
      }
      return { text: "Thought: Look around.\nAction: click(start_box='(500,500)')" };
    });
    const runId = await harness.submit({
      engine: 'ui-tars',
      prompt: 'Save the name Grace.',
      url: `${harness.site.url}/agent/cua.html`,
      max_steps: 2,
      error_code_mapping: { FORM_UNREACHABLE: 'the form could not be saved' },
    });
    const run = await harness.waitForRun(runId);
    expect(run['status']).toBe('failed');
    expect(run['step_count']).toBe(2);
    expect(run['failure_reason']).toBe('reached max_steps (2) before the model finished');
    expect(run['errors']).toEqual([
      expect.objectContaining({
        error_code: 'REACH_MAX_STEPS',
        error_type: 'SYSTEM_DEFINED_ERROR',
      }),
      {
        error_code: 'FORM_UNREACHABLE',
        reasoning: 'never saved',
        confidence_float: 0.7,
        error_type: 'USER_DEFINED_ERROR',
      },
    ]);
    expect(run['output']).toEqual({ error: 'FORM_UNREACHABLE' });
    // The classifier saw the last page.
    const classifier = harness.fake.requests.find((r) =>
      r.system.startsWith('A browser agent stopped'),
    );
    expect(classifier?.text).toContain('reached max_steps (2)');
    expect(classifier?.text).toContain('Save');
  });
});
