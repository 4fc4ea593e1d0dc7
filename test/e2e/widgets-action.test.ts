/**
 * Actions on real-world widgets (issue 16, the action half), end to end for skyvern-1.0 and
 * skyvern-2.0: the fake model names the right element by finding its label in the observation it
 * received, and each test asserts what the widget page sent to the fixture server.
 *
 * Batch rules (docs/engines.md, "Act"): a batch ends when an action navigates, opens a tab or a
 * dialog, or makes new controls appear, never on attribute or class changes alone.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AgentHarness,
  actorReply,
  idOf,
  pageOf,
  roleOf,
  startAgentHarness,
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

const ENGINES = ['skyvern-1.0', 'skyvern-2.0'] as const;

/**
 * A model that plans with `actor` and calls the goal reached when `done(page)`; for skyvern-2.0
 * the planner sets the whole task as one navigate sub-goal, then answers.
 */
function widgetModel(
  actor: (page: string) => Record<string, unknown>[],
  done: (page: string) => boolean,
): (req: FakeRequest) => FakeResponse | undefined {
  return (req) => {
    const page = pageOf(req);
    switch (roleOf(req)) {
      case 'actor':
        return actorReply(done(page) ? [{ type: 'complete', answer: null }] : actor(page));
      case 'verifier':
        return {
          json: done(page)
            ? { evidence: 'the page confirms it', goal_achieved: true, missing: '' }
            : { evidence: 'not yet', goal_achieved: false, missing: 'not done yet' },
        };
      case 'planner': {
        const first = req.lastUserText.includes('(nothing done yet)');
        return {
          json: {
            page_state: 'as seen',
            required_subgoals: [],
            goal_achieved: !first,
            should_terminate: false,
            termination_reason: '',
            next: first
              ? { kind: 'navigate', goal: 'Do the task on this page', loop_item_goal: '' }
              : { kind: 'answer', goal: '', loop_item_goal: '' },
          },
        };
      }
      case 'summary':
        return { json: { answer: 'done', data: {} } };
      default:
        return undefined;
    }
  };
}

const actorCalls = () => h.fake.requests.filter((r) => roleOf(r) === 'actor').length;

async function run(engine: string, page: string, prompt: string) {
  const id = await h.submit({
    engine,
    url: `${h.site.url}/widgets/${page}`,
    prompt,
    max_steps: 6,
  });
  return h.waitForRun(id, 120_000);
}

describe.each(ENGINES)('widget actions (%s)', (engine) => {
  it('a plan of several clicks on a page that changes attributes on every click runs whole', async () => {
    h.fake.setPolicy(
      widgetModel(
        (page) => [
          { type: 'click', id: idOf(page, 'button "Red"') },
          { type: 'click', id: idOf(page, 'button "Blue"') },
          { type: 'click', id: idOf(page, 'button "Send colours"') },
        ],
        (page) => page.includes('Sent: red, blue'),
      ),
    );
    const result = await run(engine, 'attr-clicks.html', 'Choose red and blue, then send.');
    expect(result['status']).toBe('completed');
    // One plan, one completion: the three clicks ran as one batch (a cut would have re-planned,
    // and clicking Red again would have unselected it).
    const sent = h.site.submissions('colours');
    expect(sent.map((s) => s.fields)).toEqual([{ colours: 'red,blue' }]);
    expect(actorCalls()).toBe(2);
  });

  it('a click that reveals new controls ends the batch; the next step uses them', async () => {
    h.fake.setPolicy(
      widgetModel(
        (page) =>
          page.includes('radio "Express"')
            ? [
                { type: 'click', id: idOf(page, 'radio "Express"') },
                { type: 'click', id: idOf(page, 'button "Place order"') },
              ]
            : [
                { type: 'click', id: idOf(page, 'button "More shipping options"') },
                { type: 'click', id: idOf(page, 'button "Place order"') },
              ],
        (page) => page.includes('Order placed'),
      ),
    );
    const result = await run(engine, 'reveal.html', 'Place the order with express shipping.');
    expect(result['status']).toBe('completed');
    // The first plan's "Place order" never ran: the only order is the express one.
    expect(h.site.submissions('shipping').map((s) => s.fields)).toEqual([{ speed: 'express' }]);
  });

  it('a menu that opens 300 ms after hover is in the next observation', async () => {
    h.fake.setPolicy(
      widgetModel(
        (page) =>
          page.includes('link "Tablets"')
            ? [{ type: 'click', id: idOf(page, 'link "Tablets"') }]
            : [{ type: 'hover', id: idOf(page, 'link "Products"') }],
        (page) => page.includes('You chose Tablets'),
      ),
    );
    const result = await run(engine, 'delayed-menu.html', 'Open Products and choose Tablets.');
    if (result['status'] !== 'completed')
      console.log(
        'DEBUG',
        result['failure_reason'],
        JSON.stringify(h.fake.requests.map((r) => [roleOf(r), pageOf(r).slice(0, 600)])),
      );
    expect(result['status']).toBe('completed');
    expect(h.site.submissions('menu').map((s) => s.fields)).toEqual([{ item: 'Tablets' }]);
    // Hover, click, complete: the first observation after the hover already showed the menu
    // (observed too early, the model would have hovered again).
    expect(actorCalls()).toBe(3);
  });

  it('a multi-select takes several options; the observation shows all chosen', async () => {
    const toppingsLine = (page: string) =>
      page.split('\n').find((l) => l.includes('listbox "Toppings"')) ?? '';
    h.fake.setPolicy(
      widgetModel(
        (page) =>
          toppingsLine(page).includes('value="Ham, Olives"')
            ? [{ type: 'click', id: idOf(page, 'button "Order"') }]
            : [
                {
                  type: 'select_option',
                  id: idOf(page, 'listbox "Toppings"'),
                  labels: ['Ham', 'Olives'],
                },
              ],
        (page) => page.includes('Received pizza'),
      ),
    );
    const result = await run(
      engine,
      'multi-select.html',
      'Order a pizza with ham and olives only.',
    );
    expect(result['status']).toBe('completed');
    // Exactly the two chosen (the preselected cheese was unselected).
    expect(h.site.submissions('pizza').map((s) => s.fields)).toEqual([
      { toppings: ['ham', 'olives'] },
    ]);
  });
});
