/**
 * The widget gallery (test/fixtures/sites/widgets/, built from the real libraries) through both
 * DOM engines with a fake model that names the right element: it finds the element's id in the
 * observation it received by its label, so a control missing from the observation fails the
 * run. Each page records its own success on the fixture server; that record is what is asserted.
 * docs/browser.md "Which elements get an id" describes the detection these pages exercise.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AgentHarness,
  actorReply,
  idOf,
  pageOf,
  roleOf,
  startAgentHarness,
  verifierReply,
} from '../support/agent-harness.js';
import type { FakeRequest } from '../support/fake-model/parse.js';
import type { FakeResponse } from '../support/fake-model/replies.js';

let h: AgentHarness;
beforeAll(async () => {
  // No video: encoding it dominates a run's end on a busy machine, and recording has its own tests.
  h = await startAgentHarness('openai/gpt-5-mini', { WREN_RECORDING: 'false' });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.fake.reset();
  h.site.clear();
});

/** What a correct model does on a page: the actions of one step (ids found by label). */
type Decide = (page: string) => Record<string, unknown>[];

interface WidgetCase {
  page: string;
  prompt: string;
  decide: Decide;
  /** Fields the page must have recorded (POST /api/submit/widgets-<page>). */
  expected: Record<string, string>;
}

const click = (page: string, match: string) => ({ type: 'click', id: idOf(page, match) });

/** Id of the first element matching `match` on or after the line that contains `anchor`. */
function idAfter(page: string, anchor: string, match: string): number {
  const lines = page.split('\n');
  const start = lines.findIndex((l) => l.includes(anchor));
  if (start < 0) throw new Error(`no line with ${anchor} in:\n${page}`);
  return idOf(lines.slice(start).join('\n'), match);
}

const CASES: WidgetCase[] = [
  {
    page: 'datepicker',
    prompt: 'Pick May 14, 2026 in the calendar.',
    decide: (page) =>
      page.includes('May 2026') ? [click(page, 'link "14"')] : [click(page, 'link "Next"')],
    expected: { date: '2026-05-14' },
  },
  {
    page: 'feed',
    prompt: "Like @ana's post.",
    decide: (page) => [{ type: 'click', id: idAfter(page, '@ana', 'act-like') }],
    expected: { action: 'like', post: 'ana' },
  },
  {
    page: 'inbox',
    prompt: "Forward Bob's message.",
    decide: (page) => [{ type: 'click', id: idAfter(page, 'Bob', 'link "Forward"') }],
    expected: { action: 'forward', from: 'Bob' },
  },
  {
    page: 'textarea',
    prompt: 'Write "Great talk, thanks!" in the multi-line comment box and send it.',
    decide: (page) => [
      {
        type: 'input_text',
        id: idOf(page, 'multiline'),
        text: 'Great talk, thanks!',
        submit: false,
      },
      click(page, 'button "Send"'),
    ],
    expected: { summary: '', body: 'Great talk, thanks!' },
  },
  {
    // Suggestions open 300 ms after typing: the next observation must hold them.
    page: 'autocomplete',
    prompt: 'Fly to Lisbon: pick it from the suggestions.',
    decide: (page) =>
      /"Lisbon"/.test(page)
        ? [click(page, '"Lisbon"')]
        : [
            {
              type: 'input_text',
              id: idOf(page, 'textbox "Destination"'),
              text: 'Lis',
              submit: false,
            },
          ],
    expected: { city: 'Lisbon' },
  },
  {
    page: 'svg',
    prompt: 'Click the circle.',
    decide: (page) => [click(page, 'graphic circle')],
    expected: { shape: 'circle' },
  },
  {
    page: 'jquery-rows',
    prompt: 'Open invoice 17.',
    decide: (page) => [click(page, 'clickable "Invoice 17"')],
    expected: { invoice: 'Invoice 17' },
  },
  ...['react', 'vue', 'svelte'].map((lib) => ({
    page: `${lib}-list`,
    prompt: 'Open project Gamma.',
    decide: (page: string) => [click(page, 'clickable "Project Gamma"')],
    expected: { project: 'Gamma' },
  })),
];

const plan = (kind: string, goal: string, achieved: boolean): FakeResponse => ({
  json: {
    page_state: 'as seen',
    required_subgoals: [],
    goal_achieved: achieved,
    should_terminate: false,
    termination_reason: '',
    next: { kind, goal, loop_item_goal: '' },
  },
});

function policyFor(c: WidgetCase) {
  return (req: FakeRequest) => {
    const page = pageOf(req);
    const done = page.includes('Done:');
    switch (roleOf(req)) {
      case 'actor':
        return actorReply(done ? [{ type: 'complete', answer: null }] : c.decide(page));
      case 'verifier':
        return verifierReply(done);
      case 'planner':
        return done ? plan('answer', '', true) : plan('navigate', c.prompt, false);
      case 'summary':
        return { json: { answer: 'done', data: {} } };
      default:
        return undefined;
    }
  };
}

describe.each(['skyvern-1.0', 'skyvern-2.0'])('widget gallery perception (%s)', (engine) => {
  it.each(CASES)('$page: the model finds the control and the page records success', async (c) => {
    h.fake.setPolicy(policyFor(c));
    const runId = await h.submit({
      engine,
      prompt: c.prompt,
      url: `${h.site.url}/widgets/${c.page}.html`,
      max_steps: 8,
    });
    const run = await h.waitForRun(runId, 120_000);
    const got = h.site.submissions(`widgets-${c.page}`);
    if (got.length === 0) expect.fail(`no success recorded; run ended ${JSON.stringify(run)}`);
    expect(got[0]?.fields).toEqual(c.expected);
    expect([run['status'], run['failure_reason']]).toEqual(['completed', null]);
  });
});
