import { describe, expect, it } from 'vitest';
import type { PageObservation } from '../../../src/engines/ports.js';
import { UntrustedFence } from '../../../src/engines/shared/untrusted.js';
import {
  miniGoal,
  renderPlannerPrompt,
  renderSchemaPrompt,
  renderSummaryPrompt,
  type SubgoalRecord,
} from '../../../src/engines/skyvern-v2/prompts.js';

const fence = new UntrustedFence('beef');
const page: PageObservation = {
  url: 'http://books.test/search?q=rust',
  title: 'Search: rust',
  text: 'main\n  [4] link "The Rust Book"\n  [5] link "Rust in Action"',
  tabs: [],
  screenshots: [],
  elementIds: new Set(['4', '5']),
  tokens: 20,
};
const history: SubgoalRecord[] = [
  {
    index: 0,
    kind: 'navigate',
    goal: 'Search for "rust"',
    status: 'completed',
    outcome: 'done',
    steps: 2,
  },
  {
    index: 1,
    kind: 'loop',
    goal: 'Search results — for each: open it and read the price',
    status: 'completed',
    outcome: '2 of 2 items visited, 0 failed',
    data: [{ item: 'The Rust Book', result: { answer: '$39.99' } }],
    steps: 4,
  },
];

describe('skyvern-2.0 prompts (golden)', () => {
  it('planner prompt', async () => {
    const p = renderPlannerPrompt({
      goal: 'Find the price of every rust book',
      fence,
      page,
      history,
      stepsUsed: 6,
      maxSteps: 25,
      errorCodeMapping: { NO_RESULTS: 'the search finds nothing' },
      wrapUp: false,
    });
    await expect(`${p.system}\n\n=====\n\n${p.user}\n`).toMatchFileSnapshot(
      '__golden__/planner.txt',
    );
  });

  it('wrap-up and summary prompts', async () => {
    const p = renderPlannerPrompt({
      goal: 'g',
      fence,
      page,
      history: [],
      stepsUsed: 23,
      maxSteps: 25,
      errorCodeMapping: null,
      wrapUp: true,
    });
    expect(p.user).toContain('# Budget nearly spent');
    const s = renderSummaryPrompt({
      goal: 'Find the price of every rust book',
      fence,
      history,
      schema: { type: 'array', items: { type: 'object' } },
      partial: true,
      previousErrors: [],
    });
    await expect(`${s.system}\n\n=====\n\n${s.user}\n`).toMatchFileSnapshot(
      '__golden__/summary.txt',
    );
  });

  it('mini goals carry the overall goal as context only', () => {
    expect(miniGoal('Open the cart', 'Buy a mug')).toBe(
      'Open the cart\n\n(This is one step of a larger goal: "Buy a mug". Do only the step above and\ncomplete as soon as it is done; later steps are handled separately.)',
    );
  });

  it('schema prompt for an extract sub-goal, with and without a caller schema', async () => {
    const withFinal = renderSchemaPrompt({
      goal: 'Find the price of every rust book',
      subgoal: 'The titles and prices listed',
      fence,
      page,
      finalSchema: { type: 'object', properties: { books: { type: 'array' } } },
    });
    await expect(`${withFinal.system}\n\n=====\n\n${withFinal.user}\n`).toMatchFileSnapshot(
      '__golden__/extract-schema.txt',
    );
    const alone = renderSchemaPrompt({
      goal: 'g',
      subgoal: 's',
      fence,
      page,
      finalSchema: null,
    });
    expect(alone.system).not.toContain('final result');
    expect(alone.user).not.toContain('# JSON Schema of the final result');
    expect(alone.user).toContain('<untrusted_beef source="current page">');
  });
});
