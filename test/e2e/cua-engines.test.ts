import { afterEach, describe, expect, it } from 'vitest';
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

let h: AgentHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
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
    h = await startAgentHarness('openai/gpt-5.5');
    const harness = h;
    let turn = 0;
    harness.fake.setPolicy((req) => {
      if (req.tools.length === 0) {
        // The final extraction call on the last page (role extractor, structured output).
        return { json: { data: { saved_name: /Saved (\w+)/.exec(req.text)?.[1] ?? null } } };
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
            computerCalls: [{ actions: [{ type: 'click', button: 'left', x: fx, y: fy }] }],
          };
        default:
          return { text: 'Saved Grace and pressed the far button.' };
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
  });

  it('anthropic-cua scales between a 1600x1000 viewport and the declared 1280x800 display', async () => {
    const viewport = { width: 1600, height: 1000 };
    h = await startAgentHarness('anthropic/claude-sonnet-4-5', {
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
    h = await startAgentHarness('openai-compatible/ui-tars-72b-dpo');
    const harness = h;
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
});
