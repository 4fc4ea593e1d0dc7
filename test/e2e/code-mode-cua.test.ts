/**
 * Run with code for the computer-use engines (docs/code-mode.md "Computer-use runs"), end to end
 * through the HTTP API, real Chromium and the fake model speaking each vendor's computer-use wire
 * format (OpenAI's computer tool, Anthropic's computer tool, UI-TARS's text action grammar): a run
 * of the two-page sign-up acts by coordinates only; each click and each typed text is tied to its
 * element while the run acts, a script is compiled, and the next run of the same task replays it
 * with the model refusing every call.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserManager } from '../../src/browser/index.js';
import { type AgentHarness, idOf, pageOf, startAgentHarness } from '../support/agent-harness.js';
import { FIXTURES } from '../support/browser-harness.js';
import { type FakeRequest, imageSize } from '../support/fake-model/parse.js';
import type { FakeResponse } from '../support/fake-model/replies.js';

type Point = { x: number; y: number };
type Size = { width: number; height: number };
type EngineName = 'openai-cua' | 'anthropic-cua' | 'ui-tars';
type Target = 'name' | 'email' | 'next' | 'plan' | 'terms' | 'create';
/** Centres of the elements the model clicks, in viewport CSS pixels, read off the real pages. */
type Layout = Record<Target, Point>;
/** What the model does, before it is put in a vendor's words. */
type Act = { click: Target } | { type: string } | { enter: true };

const REFUSE = { error: { status: 400, message: 'this test allows no model call' } };
// No video: encoding it dominates a run's end on a busy machine, and recording has its own tests.
const NO_VIDEO = { WREN_RECORDING: 'false' };

/**
 * One computer-use engine as the fake model speaks it. Each vendor has its own coordinate space
 * and key names, so a mistake in scaling or key mapping on the way to a script shows up here.
 */
interface Dialect {
  engine: EngineName;
  model: string;
  viewport: Size;
  env: Record<string, string>;
  /** The model sends a page's actions in one turn (else one action a turn, as UI-TARS does). */
  batched: boolean;
  /** A turn of the computer-use loop (not an extraction or a step repair). */
  isTurn(req: FakeRequest): boolean;
  /** The space the model's coordinates are in, read off the request as a model would. */
  display(req: FakeRequest): Size;
  turn(acts: Act[], point: (t: Target) => [number, number]): FakeResponse;
  answer(text: string): FakeResponse;
}

const lastShot = (req: FakeRequest): Size | null => {
  const shot = req.images.at(-1);
  return (shot && imageSize(shot.bytes)) || null;
};
const hasComputerTool = (req: FakeRequest) => req.tools.some((t) => t.type.startsWith('computer'));

const DIALECTS: Dialect[] = [
  {
    engine: 'openai-cua',
    model: 'openai/gpt-5.5',
    viewport: { width: 1280, height: 720 },
    env: NO_VIDEO,
    batched: true,
    isTurn: hasComputerTool,
    // The GA tool declares no display: the screenshot's size is it.
    display: (req) => lastShot(req) ?? { width: 1280, height: 720 },
    turn: (acts, point) => ({
      computerCalls: [
        {
          actions: acts.map((a) => {
            if ('click' in a) {
              const [x, y] = point(a.click);
              return { type: 'click', button: 'left', x, y };
            }
            if ('type' in a) return { type: 'type', text: a.type };
            return { type: 'keypress', keys: ['ENTER'] };
          }),
        },
      ],
    }),
    answer: (text) => ({ text }),
  },
  {
    // A viewport bigger than Anthropic's screens: the tool declares 1280x800, every coordinate
    // is scaled back by 1.25 to act and to find its element.
    engine: 'anthropic-cua',
    model: 'anthropic/claude-sonnet-4-5',
    viewport: { width: 1600, height: 1000 },
    env: { ...NO_VIDEO, WREN_BROWSER_VIEWPORT: '1600x1000' },
    batched: true,
    isTurn: hasComputerTool,
    display: (req) => {
      const tool = req.tools.find((t) => t.type.startsWith('computer'))?.raw ?? {};
      return { width: Number(tool['display_width_px']), height: Number(tool['display_height_px']) };
    },
    turn: (acts, point) => ({
      toolCalls: acts.map((a) => ({
        name: 'computer',
        args:
          'click' in a
            ? { action: 'left_click', coordinate: point(a.click) }
            : 'type' in a
              ? { action: 'type', text: a.type }
              : { action: 'key', text: 'Return' },
      })),
    }),
    answer: (text) => ({ text }),
  },
  {
    // UI-TARS-1.5 answers in pixels of the image as Qwen2.5-VL resizes it (sides to multiples of
    // 28): a 1280x720 screenshot is seen at 1288x728.
    engine: 'ui-tars',
    model: 'openai-compatible/ui-tars-1.5-7b',
    viewport: { width: 1280, height: 720 },
    env: NO_VIDEO,
    batched: false,
    // Its prompt is the first user message; the step repair's is a system prompt.
    isTurn: (req) => req.system === '' && req.images.length > 0,
    display: (req) => {
      const shot = lastShot(req);
      if (shot?.width !== 1280 || shot.height !== 720) throw new Error('not a 1280x720 shot');
      return { width: 1288, height: 728 };
    },
    turn: (acts, point) => {
      const calls = acts.map((a) => {
        if ('click' in a) {
          const [x, y] = point(a.click);
          return `click(start_box='(${x},${y})')`;
        }
        if ('type' in a) return `type(content='${a.type}')`;
        return "hotkey(key='enter')";
      });
      return { text: `Thought: Next step of the sign-up.\nAction: ${calls.join('\n\n')}` };
    },
    answer: (text) => ({ text: `Thought: Done.\nAction: finished(content='${text}')` }),
  },
];

async function measure(base: string, viewport: Size): Promise<Layout> {
  const manager = new BrowserManager(FIXTURES);
  const dir = await mkdtemp(path.join(tmpdir(), 'wren-measure-'));
  try {
    const run = await manager.openRunBrowser({ runDir: dir, viewport });
    const centre = async (selector: string): Promise<Point> => {
      const box = await run.page().locator(selector).boundingBox();
      if (!box) throw new Error(`no box for ${selector}`);
      return { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) };
    };
    await run.goto(`${base}/agent/wizard.html`);
    const first = {
      name: await centre('#name'),
      email: await centre('#mail'),
      next: await centre('#next'),
    };
    await run.goto(`${base}/agent/wizard-2.html?full_name=x&email=y`);
    const label = await run.page().getByText('I accept the terms').boundingBox();
    if (!label) throw new Error('no terms label');
    const second = {
      plan: await centre('select'),
      // The label's text, right of its checkbox: the label stands for the checkbox.
      terms: {
        x: Math.round(label.x + label.width - 20),
        y: Math.round(label.y + label.height / 2),
      },
      create: await centre('button'),
    };
    await run.close();
    return { ...first, ...second };
  } finally {
    await manager.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A computer-use model signing up by coordinates: page 1, then page 2, then its answer. */
function signUpByCoordinates(d: Dialect, at: Layout, name: string, email: string) {
  const pages: Act[][] = [
    [{ click: 'name' }, { type: name }, { click: 'email' }, { type: email }, { click: 'next' }],
    [{ click: 'plan' }, { type: 'Pro' }, { enter: true }, { click: 'terms' }, { click: 'create' }],
  ];
  const turns = d.batched ? pages : pages.flat().map((a) => [a]);
  let turn = 0;
  return (req: FakeRequest): FakeResponse => {
    if (!d.isTurn(req)) return REFUSE; // no extraction or other call is expected
    const shown = d.display(req);
    const point = (t: Target): [number, number] => [
      Math.round((at[t].x * shown.width) / d.viewport.width),
      Math.round((at[t].y * shown.height) / d.viewport.height),
    ];
    const acts = turns[turn++];
    return acts ? d.turn(acts, point) : d.answer(`Signed up as ${name}.`);
  };
}

describe.each(DIALECTS)('run with code: $engine runs', (d) => {
  let h: AgentHarness;
  let at: Layout;
  beforeAll(async () => {
    h = await startAgentHarness(d.model, d.env);
    at = await measure(h.site.url, d.viewport);
  });
  afterAll(async () => {
    await h?.close();
  });

  const signUp = (name: string, email: string, page = 'wizard.html') =>
    h.submit({
      engine: d.engine,
      prompt: `Sign up as ${name} (${email}) on the Pro plan.`,
      url: `${h.site.url}/agent/${page}`,
      run_with: 'code',
      // UI-TARS acts once a turn: 10 actions and its answer.
      max_steps: 12,
    });

  it('compiles a sign-up done by coordinates, replays it with no model call, heals a renamed page', async () => {
    h.fake.reset();
    h.site.clear();
    h.fake.setPolicy(signUpByCoordinates(d, at, 'Ada Lovelace', 'ada@example.com'));
    const first = await h.waitForRun(await signUp('Ada Lovelace', 'ada@example.com'));
    expect(first['failure_reason'] ?? null).toBeNull();
    expect(first['status']).toBe('completed');
    expect(first['output']).toEqual({ answer: 'Signed up as Ada Lovelace.' });
    expect(h.fake.requests).toHaveLength(d.batched ? 3 : 11);
    expect(h.fake.violations).toEqual([]);
    const submitted = [
      { full_name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro', terms: 'accepted' },
    ];
    expect(h.site.submissions('wizard').map((s) => s.fields)).toEqual(submitted);
    const script = (await h.wren.call('GET', `/v1/runs/${first['run_id']}/script`)).body as {
      script_id: string;
      script_revision_id: string;
      revision: number;
      parameters: { name: string }[];
      steps: { kind: string; selector?: string }[];
      source: string;
    };
    expect(script.revision).toBe(1);
    expect(first['script_run']).toEqual({
      script_id: script.script_id,
      script_revision_id: script.script_revision_id,
      ai_fallback_triggered: true,
    });
    expect(script.parameters.map((p) => p.name).sort()).toEqual(['email', 'full_name', 'plan']);
    // Each coordinate action became a step on its element, by the recorder's stable selectors.
    expect(script.steps.map((s) => [s.kind, s.selector ?? null])).toEqual([
      ['fill', 'role=textbox[name="Full name"]'],
      ['fill', 'role=textbox[name="Email"]'],
      ['click', 'role=button[name="Next"]'],
      ['wait_for_url', null],
      ['select', 'role=combobox[name="Plan"]'],
      ['click', 'role=checkbox[name="I accept the terms"]'],
      ['click', 'role=button[name="Create account"]'],
      ['wait_for_url', null],
    ]);
    // The typed values are parameters, not literals.
    expect(script.source).toContain(
      `step.fill('role=textbox[name="Full name"]', params.full_name,`,
    );

    // Replay: the model refuses every call, so any call would fail the run.
    h.fake.reset();
    h.site.clear();
    h.fake.setPolicy(() => REFUSE);
    const replay = await h.waitForRun(await signUp('Ada Lovelace', 'ada@example.com'));
    expect(replay['failure_reason'] ?? null).toBeNull();
    expect(replay['status']).toBe('completed');
    expect(replay['output']).toEqual(first['output']);
    expect(replay['script_run']).toEqual({
      script_id: script.script_id,
      script_revision_id: script.script_revision_id,
      ai_fallback_triggered: false,
    });
    expect(h.fake.requests).toHaveLength(0);
    expect(replay['usage']).toEqual({ input_tokens: 0, output_tokens: 0, cost_usd: 0 });
    expect(h.site.submissions('wizard').map((s) => s.fields)).toEqual(submitted);

    // Other values in the prompt: the same script, still no call.
    h.site.clear();
    const grace = await h.waitForRun(await signUp('Grace Hopper', 'grace@example.com'));
    expect(grace['status']).toBe('completed');
    expect(h.fake.requests).toHaveLength(0);
    expect(h.site.submissions('wizard').map((s) => s.fields)).toEqual([
      { full_name: 'Grace Hopper', email: 'grace@example.com', plan: 'pro', terms: 'accepted' },
    ]);

    // A renamed page (the Next button moved and relabelled "Continue"): that step heals as a
    // skyvern script's does, with one "repair one step" call, and revision 2 is written.
    h.fake.reset();
    h.site.clear();
    h.fake.setPolicy((req) =>
      req.system.startsWith('You repair one step')
        ? {
            json: {
              element_id: String(idOf(pageOf(req), 'button "Continue"')),
              reason: 'relabelled',
            },
          }
        : REFUSE,
    );
    const healed = await h.waitForRun(
      await signUp('Ada Lovelace', 'ada@example.com', 'wizard.html?variant=renamed'),
    );
    expect(healed['failure_reason'] ?? null).toBeNull();
    expect(healed['status']).toBe('completed');
    expect(h.fake.requests).toHaveLength(1);
    expect((healed['script_run'] as { ai_fallback_triggered: boolean }).ai_fallback_triggered).toBe(
      true,
    );
    expect(h.site.submissions('wizard').map((s) => s.fields)).toEqual(submitted);
    const revisions = (await h.wren.call('GET', `/v1/scripts/${script.script_id}/revisions`))
      .body as { revision: number; source: string }[];
    expect(revisions.map((r) => r.revision)).toEqual([2, 1]);
    expect(revisions[0]?.source).toContain('role=button[name="Continue"]');
  });
});
