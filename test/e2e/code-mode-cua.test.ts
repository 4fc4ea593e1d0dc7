/**
 * Run with code for a computer-use engine (docs/code-mode.md "Computer-use runs"), end to end
 * through the HTTP API, real Chromium and the fake model speaking OpenAI's computer tool: an
 * openai-cua run of the two-page sign-up acts by coordinates only; each click and each typed text
 * is tied to its element while the run acts, a script is compiled, and the next run of the same
 * task replays it with the model refusing every call.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserManager } from '../../src/browser/index.js';
import { type AgentHarness, idOf, pageOf, startAgentHarness } from '../support/agent-harness.js';
import { FIXTURES } from '../support/browser-harness.js';
import { type FakeRequest, imageSize } from '../support/fake-model/parse.js';

type Point = { x: number; y: number };
const VIEWPORT = { width: 1280, height: 720 };
const REFUSE = { error: { status: 400, message: 'this test allows no model call' } };

let h: AgentHarness;
/** Centres of the elements the model clicks, in viewport CSS pixels, read off the real pages. */
let at: Record<'name' | 'email' | 'next' | 'plan' | 'terms' | 'create', Point>;

async function measure(base: string): Promise<typeof at> {
  const manager = new BrowserManager(FIXTURES);
  const dir = await mkdtemp(path.join(tmpdir(), 'wren-measure-'));
  try {
    const run = await manager.openRunBrowser({ runDir: dir });
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

beforeAll(async () => {
  h = await startAgentHarness('openai/gpt-5.5');
  at = await measure(h.site.url);
});
afterAll(async () => {
  await h?.close();
});

/** The display the model's coordinates are in (the GA tool declares none: the screenshot's). */
function display(req: FakeRequest): { width: number; height: number } {
  const shot = req.images.at(-1);
  return (shot && imageSize(shot.bytes)) || VIEWPORT;
}

/** A computer-use model signing up by coordinates: page 1, then page 2, then its answer. */
function signUpByCoordinates(name: string, email: string) {
  let turn = 0;
  return (req: FakeRequest) => {
    if (req.tools.length === 0) return REFUSE; // no extraction or other call is expected
    const d = display(req);
    const p = (q: Point) => ({
      x: Math.round((q.x * d.width) / VIEWPORT.width),
      y: Math.round((q.y * d.height) / VIEWPORT.height),
    });
    const click = (q: Point) => ({ type: 'click', button: 'left', ...p(q) });
    turn++;
    if (turn === 1)
      return {
        computerCalls: [
          {
            actions: [
              click(at.name),
              { type: 'type', text: name },
              click(at.email),
              { type: 'type', text: email },
              click(at.next),
            ],
          },
        ],
      };
    if (turn === 2)
      return {
        computerCalls: [
          {
            actions: [
              click(at.plan),
              { type: 'type', text: 'Pro' },
              { type: 'keypress', keys: ['ENTER'] },
              click(at.terms),
              click(at.create),
            ],
          },
        ],
      };
    return { text: `Signed up as ${name}.` };
  };
}

const signUp = (name: string, email: string) =>
  h.submit({
    engine: 'openai-cua',
    prompt: `Sign up as ${name} (${email}) on the Pro plan.`,
    url: `${h.site.url}/agent/wizard.html`,
    run_with: 'code',
  });

describe('run with code: computer-use runs', () => {
  it('compiles an openai-cua sign-up done by coordinates and replays it with no model call', async () => {
    h.fake.reset();
    h.site.clear();
    h.fake.setPolicy(signUpByCoordinates('Ada Lovelace', 'ada@example.com'));
    const first = await h.waitForRun(await signUp('Ada Lovelace', 'ada@example.com'));
    expect(first['failure_reason'] ?? null).toBeNull();
    expect(first['status']).toBe('completed');
    expect(first['output']).toEqual({ answer: 'Signed up as Ada Lovelace.' });
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
      await h.submit({
        engine: 'openai-cua',
        prompt: 'Sign up as Ada Lovelace (ada@example.com) on the Pro plan.',
        url: `${h.site.url}/agent/wizard.html?variant=renamed`,
        run_with: 'code',
      }),
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
