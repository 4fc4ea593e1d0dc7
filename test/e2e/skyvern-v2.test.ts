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

const plan = (next: { kind: string; goal?: string; loop_item_goal?: string }, extra = {}) => ({
  json: {
    page_state: 'as seen',
    required_subgoals: [],
    goal_achieved: false,
    should_terminate: false,
    termination_reason: '',
    next: { goal: '', loop_item_goal: '', ...next },
    ...extra,
  },
});

/** Waits for a run; on a timeout, prints its last recorded events and model calls. */
async function finished(runId: string, timeoutMs = 250_000): Promise<Record<string, unknown>> {
  try {
    return await h.waitForRun(runId, timeoutMs);
  } catch (err) {
    const steps = await h.wren.wren.store.runs.steps(runId);
    console.log(
      'DEBUG',
      JSON.stringify(steps.slice(-5).map((e) => [e.kind, e.stepIndex, e.createdAt, e.summary])),
      h.fake.requests.slice(-3).map((r) => [roleOf(r), r.index]),
      new Date().toISOString(),
    );
    throw err;
  }
}

const historyOf = (req: FakeRequest) => {
  const m = /source="history">\n([\s\S]*?)\n<\/untrusted_/.exec(req.lastUserText);
  return m?.[1] ?? '';
};

/** Every reply reports 1000 input and 100 output tokens, so usage and cost can be checked. */
const USAGE = { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 0 };
/** gpt-5-mini: $0.25 per million input tokens, $2 per million output tokens. */
const COST_PER_CALL = (1000 * 0.25 + 100 * 2) / 1e6;

describe('skyvern-2.0 end to end', () => {
  it('plans navigate, extract and a loop over three items; the answer is repaired to the caller schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        result_count: { type: 'integer' },
        products: {
          type: 'array',
          minItems: 3,
          maxItems: 3,
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, price: { type: 'number' } },
            required: ['name', 'price'],
          },
        },
      },
      required: ['result_count', 'products'],
    };
    let calls = 0;
    h.fake.setPolicy((req) => {
      const page = pageOf(req);
      const reply = ((): FakeResponse | undefined => {
        switch (roleOf(req)) {
          case 'planner': {
            const history = historyOf(req);
            if (history.startsWith('(nothing done yet)')) {
              return plan({ kind: 'navigate', goal: 'Search the shop for "lamp"' });
            }
            if (!history.includes('[extract]')) {
              return plan({ kind: 'extract', goal: 'How many results the search found' });
            }
            if (!history.includes('[loop]')) {
              return plan({
                kind: 'loop',
                goal: 'the first three search results',
                loop_item_goal: 'Read the price of the product.',
              });
            }
            return plan(
              { kind: 'answer' },
              {
                goal_achieved: true,
                required_subgoals: [
                  { subgoal: 'result count', satisfied: true, evidence: 'extract data' },
                  { subgoal: 'prices of three lamps', satisfied: true, evidence: 'loop data' },
                ],
              },
            );
          }
          case 'schema':
            // The extract sub-goal's schema is written by the model (the caller's is a guide).
            return {
              json: {
                schema: {
                  type: 'object',
                  properties: { result_count: { type: 'integer' } },
                  required: ['result_count'],
                },
              },
            };
          case 'actor':
            if (page.includes('searchbox "Search products"') && !page.includes('results for')) {
              return actorReply([
                {
                  type: 'input_text',
                  id: idOf(page, 'searchbox "Search products"'),
                  text: 'lamp',
                  submit: true,
                },
              ]);
            }
            if (page.includes('Price: $')) {
              const price = /Price: (\$[\d.]+)/.exec(page)?.[1] ?? null;
              return actorReply([{ type: 'complete', answer: price }]);
            }
            return actorReply([{ type: 'complete', answer: null }]);
          case 'verifier':
            return { json: { evidence: 'looks done', goal_achieved: true, missing: '' } };
          case 'extractor': {
            if (req.lastUserText.includes('How many results')) {
              const count = /(\d+) results for/.exec(page)?.[1];
              return { json: { data: { result_count: Number(count) } } };
            }
            const links = [
              ...page.matchAll(/link "([^"]+)" ->(\/agent\/product\.html\?id=\d+)/g),
            ].slice(0, 3);
            return { json: { data: links.map((m) => ({ label: m[1], url: m[2] })) } };
          }
          case 'summary': {
            const record = historyOf(req);
            const count = Number(/"result_count":(\d+)/.exec(record)?.[1]);
            const items = [
              ...record.matchAll(/"item":"([^"]+)","result":\{"answer":"\$([\d.]+)"\}/g),
            ].map((m) => ({ name: m[1], price: Number(m[2]) }));
            // First answer: prices as strings, which the caller's schema rejects; the repair
            // turn names the violation and gets numbers.
            const repaired = req.lastUserText.includes('# Your previous answer was invalid');
            return {
              json: {
                answer: `${items.length} prices collected`,
                data: {
                  result_count: count,
                  products: repaired ? items : items.map((i) => ({ ...i, price: `$${i.price}` })),
                },
              },
            };
          }
          default:
            return undefined;
        }
      })();
      if (reply) calls++;
      return reply && { ...reply, usage: USAGE };
    });
    const goal =
      'Search the shop for lamps, note how many results there are and collect the price of each of the first three results.';
    const runId = await h.submit({
      prompt: goal,
      url: `${h.site.url}/agent/shop.html`,
      data_extraction_schema: schema,
    });
    expect(runId).toMatch(/^tsk_v2_\d+$/);
    const run = await finished(runId);
    expect(run['failure_reason'] ?? null).toBeNull();
    expect(run['status']).toBe('completed');
    expect(run['output']).toEqual({
      result_count: 4,
      products: [
        { name: 'Brass Desk Lamp', price: 49.9 },
        { name: 'Paper Floor Lamp', price: 89 },
        { name: 'Clip Reading Lamp', price: 19.5 },
      ],
    });
    expect(run['step_count']).toBe(5); // search (2 steps: type, then complete) + 3 items

    // The extract sub-goal's schema was written by the model (the caller's shown as a guide)
    // and its extraction was asked for that schema as structured output.
    const schemaCalls = h.fake.requests.filter((r) => roleOf(r) === 'schema');
    expect(schemaCalls).toHaveLength(1);
    expect(schemaCalls[0]?.lastUserText).toContain('How many results the search found');
    expect(schemaCalls[0]?.lastUserText).toContain('# JSON Schema of the final result');
    const countExtraction = h.fake.requests.find(
      (r) => roleOf(r) === 'extractor' && r.lastUserText.includes('How many results'),
    );
    expect(countExtraction?.schema?.['properties']).toMatchObject({
      data: { properties: { result_count: { type: 'integer' } } },
    });

    // The repair turn quoted the schema violation.
    const summaries = h.fake.requests.filter((r) => roleOf(r) === 'summary');
    expect(summaries).toHaveLength(2);
    expect(summaries[1]?.lastUserText).toMatch(/products.0.price must be number/);

    // Inner skyvern-1.0 tasks see their sub-goal first and the overall goal as context.
    const actorPrompts = h.fake.requests.filter((r) => roleOf(r) === 'actor');
    expect(actorPrompts[0]?.lastUserText).toContain('Search the shop for "lamp"');
    expect(actorPrompts[0]?.lastUserText).toContain(`This is one step of a larger goal: "${goal}"`);
    expect(actorPrompts.at(-1)?.lastUserText).toContain('This page is "Clip Reading Lamp".');

    // Usage and cost of every call (planner, schema, extraction, actor, verifier, summary).
    expect(run['usage']).toEqual({
      input_tokens: calls * 1000,
      output_tokens: calls * 100,
      cost_usd: expect.closeTo(calls * COST_PER_CALL, 9),
    });

    const timeline = (await h.wren.call('GET', `/v1/runs/${runId}/timeline`)).body as {
      type: string;
      block?: { block_type: string; status: string; output: unknown; label: string };
      thought?: { thought_type: string };
      children: {
        block: {
          block_type: string;
          step_index: number;
          status: string;
          actions: { action: string }[];
        };
      }[];
    }[];
    const blocks = timeline.filter((e) => e.type === 'block');
    expect(blocks.map((b) => [b.block?.block_type, b.block?.status])).toEqual([
      ['navigation', 'completed'],
      ['extraction', 'completed'],
      ['for_loop', 'completed'],
    ]);
    expect(blocks[0]?.block?.label).toBe('Search the shop for "lamp"');
    expect(blocks[0]?.children.map((c) => c.block.block_type)).toEqual(['step', 'step']);
    expect(blocks[0]?.children[0]?.block.actions[0]?.action).toMatch(
      /^input_text \[\d+\] "lamp" \+Enter$/,
    );
    expect(blocks[1]?.children).toEqual([]);
    expect(blocks[1]?.block?.output).toEqual({ result_count: 4 });
    // Steps keep run-wide numbers across sub-goals.
    expect(blocks[2]?.children.map((c) => c.block.step_index)).toEqual([2, 3, 4]);
    expect(blocks[2]?.children.map((c) => c.block.status)).toEqual([
      'completed',
      'completed',
      'completed',
    ]);
    expect(blocks[2]?.block?.output).toEqual([
      { item: 'Brass Desk Lamp', result: { answer: '$49.90' } },
      { item: 'Paper Floor Lamp', result: { answer: '$89.00' } },
      { item: 'Clip Reading Lamp', result: { answer: '$19.50' } },
    ]);
    // Planning rounds (4) and the schema call appear as thoughts between the blocks.
    const order = timeline.map((e) => (e.type === 'block' ? e.block?.block_type : 'thought'));
    expect(order.indexOf('navigation')).toBeGreaterThan(0);
    expect(order.filter((t) => t === 'thought').length).toBeGreaterThanOrEqual(5);
  }, 300_000);

  it('terminates with a mapped error code when the page shows the goal is impossible', async () => {
    h.fake.setPolicy((req) => {
      switch (roleOf(req)) {
        case 'planner': {
          // Quotes the page's own message, as read from the page the planner was shown.
          const quote = /Sold out[^"\n]*/.exec(pageOf(req))?.[0];
          if (!quote) return plan({ kind: 'navigate', goal: 'Look for the product' });
          return plan(
            { kind: 'answer' },
            { should_terminate: true, termination_reason: `The page says "${quote}"` },
          );
        }
        case 'classifier':
          return {
            json: { errors: [{ code: 'SOLD_OUT', reasoning: 'sold out banner', confidence: 0.9 }] },
          };
        default:
          return undefined;
      }
    });
    const runId = await h.submit({
      prompt: 'Buy the Vintage Lamp.',
      url: `${h.site.url}/agent/product.html?id=5`,
      error_code_mapping: { SOLD_OUT: 'the item is sold out' },
    });
    const run = await finished(runId);
    expect(run['status']).toBe('terminated');
    expect(run['failure_reason']).toBe(
      'The page says "Sold out — this item is no longer available."',
    );
    expect(run['step_count']).toBe(0);
    expect(run['errors']).toEqual([
      {
        error_code: 'SOLD_OUT',
        reasoning: 'sold out banner',
        confidence_float: 0.9,
        error_type: 'USER_DEFINED_ERROR',
      },
    ]);
    expect(run['output']).toEqual({ error: 'SOLD_OUT' });
  });

  it('runs out of budget: partial output and a failure reason naming what is missing', async () => {
    h.fake.setPolicy((req) => {
      switch (roleOf(req)) {
        case 'planner':
          return plan(
            { kind: 'navigate', goal: 'Find the contact form' },
            {
              required_subgoals: [
                { subgoal: 'opening hours', satisfied: true, evidence: 'shown on the page' },
                {
                  subgoal: 'send a message through the contact form',
                  satisfied: false,
                  evidence: '',
                },
              ],
            },
          );
        case 'actor':
          return actorReply([{ type: 'scroll', id: null, direction: 'down' }]);
        case 'summary':
          return {
            json: {
              answer: 'Only the opening hours were found.',
              data: { opening_hours: 'Mon–Fri 9–17', message_sent: null },
            },
          };
        default:
          return undefined;
      }
    });
    const runId = await h.submit({
      prompt: 'Note the opening hours and send a message through the contact form.',
      url: `${h.site.url}/agent/notice.html`,
      max_steps: 2,
    });
    const run = await finished(runId);
    expect(run['status']).toBe('failed');
    expect(run['step_count']).toBe(2);
    expect(run['failure_reason']).toBe(
      'Reached the max number of 2 steps. Still missing: send a message through the contact form.',
    );
    expect(run['output']).toEqual({
      answer: 'Only the opening hours were found.',
      data: { opening_hours: 'Mon–Fri 9–17', message_sent: null },
    });
    expect(run['errors']).toEqual([
      expect.objectContaining({
        error_code: 'REACH_MAX_STEPS',
        error_type: 'SYSTEM_DEFINED_ERROR',
      }),
    ]);
  });

  it('wraps up near the budget: the best partial result, REACH_MAX_STEPS and what is missing', async () => {
    const schema = {
      type: 'object',
      properties: { opening_hours: { type: 'string' }, message_sent: { type: 'boolean' } },
      required: ['opening_hours', 'message_sent'],
    };
    h.fake.setPolicy((req) => {
      switch (roleOf(req)) {
        case 'planner':
          if (!req.lastUserText.includes('# Budget nearly spent')) {
            return plan({ kind: 'navigate', goal: 'Read the opening hours' });
          }
          return plan(
            { kind: 'answer' },
            {
              required_subgoals: [
                { subgoal: 'opening hours', satisfied: true, evidence: 'navigate data' },
                {
                  subgoal: 'send a message through the contact form',
                  satisfied: false,
                  evidence: '',
                },
              ],
            },
          );
        case 'actor':
          return actorReply([{ type: 'complete', answer: 'Mon–Fri 9–17' }]);
        case 'verifier':
          return { json: { evidence: 'shown', goal_achieved: true, missing: '' } };
        case 'summary': {
          // Against the caller's schema the partial result cannot be valid (message_sent has
          // no value); the loose form keeps it.
          const data = { opening_hours: 'Mon–Fri 9–17', message_sent: null };
          return { json: { answer: 'Only the opening hours were found.', data } };
        }
        default:
          return undefined;
      }
    });
    const runId = await h.submit({
      prompt: 'Note the opening hours and send a message through the contact form.',
      url: `${h.site.url}/agent/notice.html`,
      max_steps: 4,
      data_extraction_schema: schema,
    });
    const run = await finished(runId);
    const planners = h.fake.requests.filter((r) => roleOf(r) === 'planner');
    expect(planners).toHaveLength(2);
    expect(planners[0]?.lastUserText).not.toContain('# Budget nearly spent');
    expect(planners[1]?.lastUserText).toContain('# Budget nearly spent');
    expect(planners[1]?.lastUserText).toContain('1 of 4 browser steps used.');
    expect(run['status']).toBe('failed');
    expect(run['step_count']).toBe(1);
    expect(run['failure_reason']).toBe(
      'Stopped near the step budget (1 of 4 steps used). Still missing: send a message through the contact form.',
    );
    expect(run['errors']).toEqual([
      expect.objectContaining({
        error_code: 'REACH_MAX_STEPS',
        error_type: 'SYSTEM_DEFINED_ERROR',
      }),
    ]);
    expect(run['output']).toEqual({
      answer: 'Only the opening hours were found.',
      data: { opening_hours: 'Mon–Fri 9–17', message_sent: null },
    });
    // The partial result was first asked for against the caller's schema, then in loose form.
    const summaries = h.fake.requests.filter((r) => roleOf(r) === 'summary');
    expect(summaries[0]?.lastUserText).toContain('# JSON Schema of "data"');
    expect(summaries.at(-1)?.lastUserText).not.toContain('# JSON Schema of "data"');
  }, 300_000);

  it('stops after the planning-round cap with what is still missing', async () => {
    h.fake.setPolicy((req) => {
      switch (roleOf(req)) {
        case 'planner':
          return plan(
            { kind: 'extract', goal: 'The notice text' },
            {
              required_subgoals: [
                { subgoal: 'the notice text', satisfied: false, evidence: 'not confirmed' },
              ],
            },
          );
        case 'schema':
          return {
            json: { schema: { type: 'object', properties: { notice: { type: 'string' } } } },
          };
        case 'extractor':
          return { json: { data: { notice: 'x' } } };
        case 'summary':
          return { json: { answer: 'The notice text was read but never confirmed.', data: {} } };
        default:
          return undefined;
      }
    });
    const runId = await h.submit({
      prompt: 'Read the notice.',
      url: `${h.site.url}/agent/notice.html`,
    });
    const run = await finished(runId);
    expect(h.fake.requests.filter((r) => roleOf(r) === 'planner')).toHaveLength(15);
    expect(run['status']).toBe('failed');
    expect(run['step_count']).toBe(0);
    expect(run['failure_reason']).toBe(
      'Stopped after 15 planning rounds without reaching the goal. Still missing: the notice text.',
    );
    expect(run['errors']).toEqual([
      expect.objectContaining({ error_code: 'REACH_MAX_ITERATIONS' }),
    ]);
    expect(run['output']).toEqual({
      answer: 'The notice text was read but never confirmed.',
      data: {},
    });
  }, 300_000);

  it('stops on cancel inside a sub-goal: no further planning, browser freed', async () => {
    let sawActor: () => void = () => {};
    const actorCalled = new Promise<void>((resolve) => {
      sawActor = resolve;
    });
    h.fake.setPolicy((req) => {
      switch (roleOf(req)) {
        case 'planner':
          return plan({ kind: 'navigate', goal: 'Wait around' });
        case 'actor':
          sawActor();
          return { ...actorReply([{ type: 'wait', ms: 1000 }]), delayMs: 20_000 };
        default:
          return undefined;
      }
    });
    const runId = await h.submit({
      prompt: 'Wait around.',
      url: `${h.site.url}/agent/notice.html`,
    });
    await actorCalled;
    const before = h.fake.requests.length;
    const cancel = await h.wren.call('POST', `/v1/runs/${runId}/cancel`);
    expect(cancel.status).toBe(200);
    const run = await finished(runId);
    expect(run['status']).toBe('canceled');
    await expect.poll(() => h.wren.wren.browsers.openRuns, { timeout: 30_000 }).toBe(0);
    // No planning round, summary or classification after the cancel.
    expect(h.fake.requests.slice(before).map(roleOf)).toEqual([]);
  });
});
