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

let h: AgentHarness;
beforeAll(async () => {
  h = await startAgentHarness();
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

const historyOf = (req: FakeRequest) => {
  const m = /source="history">\n([\s\S]*?)\n<\/untrusted_/.exec(req.lastUserText);
  return m?.[1] ?? '';
};

describe('skyvern-2.0 end to end', () => {
  it('plans three sub-goals across pages, loops over three items and returns schema-valid output', async () => {
    const schema = {
      type: 'object',
      properties: {
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
      required: ['products'],
    };
    h.fake.setPolicy((req) => {
      const page = pageOf(req);
      switch (roleOf(req)) {
        case 'planner': {
          const history = historyOf(req);
          if (history.startsWith('(nothing done yet)')) {
            return plan({ kind: 'navigate', goal: 'Search the shop for "lamp"' });
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
                { subgoal: 'prices of three lamps', satisfied: true, evidence: 'loop data' },
              ],
            },
          );
        }
        case 'actor':
          if (page.includes('searchbox "Search products"') && !page.includes('results for')) {
            return actorReply([
              {
                type: 'input_text',
                element: idOf(page, 'searchbox "Search products"'),
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
          const links = [
            ...page.matchAll(/link "([^"]+)" ->(\/agent\/product\.html\?id=\d+)/g),
          ].slice(0, 3);
          return { json: { data: links.map((m) => ({ label: m[1], url: m[2] })) } };
        }
        case 'summary': {
          const record = historyOf(req);
          const items = [
            ...record.matchAll(/"item":"([^"]+)","result":\{"answer":"\$([\d.]+)"\}/g),
          ];
          return {
            json: {
              answer: `${items.length} prices collected`,
              data: { products: items.map((m) => ({ name: m[1], price: Number(m[2]) })) },
            },
          };
        }
        default:
          return undefined;
      }
    });
    const runId = await h.submit({
      prompt: 'Search the shop for lamps and collect the price of each of the first three results.',
      url: `${h.site.url}/agent/shop.html`,
      data_extraction_schema: schema,
    });
    expect(runId).toMatch(/^tsk_v2_\d+$/);
    const run = await h.waitForRun(runId, 60_000);
    expect(run['status']).toBe('completed');
    expect(run['output']).toEqual({
      products: [
        { name: 'Brass Desk Lamp', price: 49.9 },
        { name: 'Paper Floor Lamp', price: 89 },
        { name: 'Clip Reading Lamp', price: 19.5 },
      ],
    });
    expect(run['step_count']).toBe(5); // search (2 steps: type, then complete) + 3 items

    const timeline = (await h.wren.call('GET', `/v1/runs/${runId}/timeline`)).body as {
      type: string;
      block?: { block_type: string; status: string; output: unknown };
      children: { block: { block_type: string; actions: { action: string }[] } }[];
    }[];
    const blocks = timeline.filter((e) => e.type === 'block');
    expect(blocks.map((b) => [b.block?.block_type, b.block?.status])).toEqual([
      ['navigation', 'completed'],
      ['for_loop', 'completed'],
    ]);
    expect(blocks[0]?.children.map((c) => c.block.block_type)).toEqual(['step', 'step']);
    expect(blocks[0]?.children[0]?.block.actions[0]?.action).toMatch(
      /^input_text \[\d+\] "lamp" \+Enter$/,
    );
    expect(blocks[1]?.children).toHaveLength(3);
    expect(blocks[1]?.block?.output).toEqual([
      { item: 'Brass Desk Lamp', result: { answer: '$49.90' } },
      { item: 'Paper Floor Lamp', result: { answer: '$89.00' } },
      { item: 'Clip Reading Lamp', result: { answer: '$19.50' } },
    ]);
    expect(timeline.filter((e) => e.type === 'thought').length).toBeGreaterThanOrEqual(3);
  });

  it('terminates with a mapped error code when the page shows the goal is impossible', async () => {
    h.fake.setPolicy((req) => {
      switch (roleOf(req)) {
        case 'planner':
          return plan(
            { kind: 'answer' },
            {
              should_terminate: true,
              termination_reason: 'The page says "Sold out — this item is no longer available."',
            },
          );
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
    const run = await h.waitForRun(runId);
    expect(run['status']).toBe('terminated');
    expect(run['failure_reason']).toContain('Sold out');
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
          return actorReply([{ type: 'scroll', element: null, direction: 'down' }]);
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
    const run = await h.waitForRun(runId);
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
});
