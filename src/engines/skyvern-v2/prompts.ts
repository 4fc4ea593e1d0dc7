import type { PageObservation } from '../ports.js';
import { previousErrorsBlock } from '../shared/extraction.js';
import type { UntrustedFence } from '../shared/untrusted.js';

/** Pure prompt rendering for the skyvern-2.0 planner; goldens in test/unit/engines/__golden__. */

export type SubgoalKind = 'navigate' | 'extract' | 'loop' | 'answer';

export interface SubgoalRecord {
  index: number;
  kind: SubgoalKind;
  goal: string;
  status: 'completed' | 'failed' | 'terminated';
  /** Failure reason or a one-line outcome. */
  outcome: string;
  data?: unknown;
  steps: number;
}

export const PLANNER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: [
    'page_state',
    'required_subgoals',
    'goal_achieved',
    'should_terminate',
    'termination_reason',
    'next',
  ],
  properties: {
    page_state: { type: 'string', description: 'What the page shows that matters for the goal.' },
    required_subgoals: {
      type: 'array',
      description: 'Every part the goal needs, each marked satisfied only with evidence.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['subgoal', 'satisfied', 'evidence'],
        properties: {
          subgoal: { type: 'string' },
          satisfied: { type: 'boolean' },
          evidence: { type: 'string' },
        },
      },
    },
    goal_achieved: { type: 'boolean' },
    should_terminate: { type: 'boolean' },
    termination_reason: {
      type: 'string',
      description: "Quote the page's own error message; empty unless terminating.",
    },
    next: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'goal', 'loop_item_goal'],
      properties: {
        kind: { type: 'string', enum: ['navigate', 'extract', 'loop', 'answer'] },
        goal: {
          type: 'string',
          description:
            'navigate: what to do in the browser; extract: what data to collect from this page; loop: which list of items to go through; answer: empty.',
        },
        loop_item_goal: {
          type: 'string',
          description: 'loop only: what to do and collect for each item; else empty.',
        },
      },
    },
  },
} as const;

export const LOOP_ITEMS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['label', 'url'],
        properties: {
          label: { type: 'string', description: 'How the item is named on the page.' },
          url: { type: ['string', 'null'], description: "The item's link, if it has one." },
        },
      },
    },
  },
} as const;

export function renderHistory(history: readonly SubgoalRecord[]): string {
  if (history.length === 0) return '(nothing done yet)';
  return history
    .map((h) => {
      const data = h.data === undefined ? '' : `\n  data: ${truncateJson(h.data, 1500)}`;
      return `${h.index + 1}. [${h.kind}] ${h.goal} → ${h.status} (${h.steps} steps): ${h.outcome}${data}`;
    })
    .join('\n');
}

function truncateJson(value: unknown, max: number): string {
  const s = JSON.stringify(value);
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export function renderPlannerPrompt(input: {
  goal: string;
  fence: UntrustedFence;
  page: PageObservation;
  history: readonly SubgoalRecord[];
  stepsUsed: number;
  maxSteps: number;
  errorCodeMapping: Record<string, string> | null;
  wrapUp: boolean;
}): { system: string; user: string } {
  const { fence } = input;
  const system = [
    'You plan how a browser agent reaches a user goal, one sub-goal at a time. Each turn you see the',
    'current page and what was done so far, list every sub-goal the goal requires (satisfied only',
    'with evidence from the history or page), and choose the next sub-goal:',
    '- navigate: one concrete thing to do in the browser (search, open, fill, log in …);',
    '- extract: collect data visible on the current page;',
    '- loop: go through a list on the current page and do the same for each item (loop_item_goal),',
    '  e.g. open each of the first five results and collect its price;',
    '- answer: everything needed is in the history; the final answer is written automatically.',
    'Set goal_achieved only when every required sub-goal is satisfied. Terminate only when the page',
    'itself shows the goal is impossible, and quote its message. Never plan a "summarise" step.',
    fence.rule(),
  ].join('\n');
  const codes = input.errorCodeMapping
    ? `\n\n# Error codes (mention the code in termination_reason when one applies)\n${Object.entries(
        input.errorCodeMapping,
      )
        .map(([c, d]) => `- ${c}: ${d}`)
        .join('\n')}`
    : '';
  const wrap = input.wrapUp
    ? '\n\n# Budget nearly spent\nOnly a few steps remain: choose "answer" unless one short step clearly finishes the goal.'
    : '';
  const user = [
    `# Goal\n${input.goal}${codes}`,
    `\n\n# Done so far\n${fence.wrap('history', renderHistory(input.history))}`,
    wrap,
    `\n\n# Budget\n${input.stepsUsed} of ${input.maxSteps} browser steps used.`,
    `\n\n# Current page\n${fence.wrap('current page', `URL: ${input.page.url}\nTitle: ${input.page.title}\n\n${input.page.text}`)}`,
  ].join('');
  return { system, user };
}

/** The inner 1.0 task's goal: the sub-goal, with the big goal as context only. */
export function miniGoal(subgoal: string, overallGoal: string): string {
  return [
    subgoal,
    '',
    `(This is one step of a larger goal: "${overallGoal}". Do only the step above and`,
    'complete as soon as it is done; later steps are handled separately.)',
  ].join('\n');
}

export function renderSummaryPrompt(input: {
  goal: string;
  fence: UntrustedFence;
  history: readonly SubgoalRecord[];
  schema: Record<string, unknown> | null;
  partial: boolean;
  previousErrors: readonly string[];
}): { system: string; user: string } {
  const { fence } = input;
  const system = [
    'Write the final result of a browser task from the record of what was done. Use only data',
    'from the record. "answer" is the deliverable in words; "data" is the structured result',
    input.schema
      ? 'and must match the given JSON Schema.'
      : '(a JSON object with the collected data).',
    input.partial
      ? 'The task ran out of budget: give the best partial result and use null for anything missing.'
      : '',
    fence.rule(),
  ]
    .filter(Boolean)
    .join('\n');
  const user = [
    `# Goal\n${input.goal}`,
    input.schema ? `\n\n# JSON Schema of "data"\n${JSON.stringify(input.schema)}` : '',
    `\n\n# Record\n${fence.wrap('history', renderHistory(input.history))}`,
    previousErrorsBlock(input.previousErrors),
  ].join('');
  return { system, user };
}

/** Reply of the schema-writing call for an extract sub-goal: one JSON Schema object. */
export const EXTRACT_SCHEMA_SCHEMA = {
  type: 'object',
  required: ['schema'],
  properties: {
    schema: {
      type: 'object',
      description: 'A JSON Schema (draft 2020-12) for the data the sub-goal collects.',
    },
  },
} as const;

export function renderSchemaPrompt(input: {
  goal: string;
  subgoal: string;
  fence: UntrustedFence;
  page: PageObservation;
  finalSchema: Record<string, unknown> | null;
}): { system: string; user: string } {
  const system = [
    'You write the JSON Schema for data a browser agent is about to extract from a web page.',
    'Name fields plainly (snake_case), give each a type and a short description, use arrays for',
    'lists, allow null for values the page may not show, and keep to what the extraction asks for.',
    input.finalSchema
      ? "Where the extraction collects parts of the task's final result, reuse that result schema's field names and types."
      : '',
    input.fence.rule(),
  ]
    .filter(Boolean)
    .join('\n');
  const user = [
    `# What to extract\n${input.subgoal}\n\n(Overall goal: ${input.goal})`,
    input.finalSchema
      ? `\n\n# JSON Schema of the final result\n${JSON.stringify(input.finalSchema)}`
      : '',
    `\n\n# Page\n${input.fence.wrap('current page', `URL: ${input.page.url}\nTitle: ${input.page.title}\n\n${input.page.text}`)}`,
  ].join('');
  return { system, user };
}
