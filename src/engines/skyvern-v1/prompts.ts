import type { PageObservation } from '../ports.js';
import { REPORTED_ERROR_CODE_SCHEMA } from '../shared/error-codes.js';
import { previousErrorsBlock } from '../shared/extraction.js';
import type { UntrustedFence } from '../shared/untrusted.js';
import { actionPromptLines } from './actions.js';
import { renderHistory, type StepRecord } from './history.js';

/**
 * Pure prompt rendering for the skyvern-1.0 engine. Stable parts (rules, goal, error codes) come
 * first and per-step parts last, so providers' prefix caches hit across steps. Golden files in
 * test/unit/engines/__golden__ pin the exact text; review changes to them like code.
 */

export interface PromptTask {
  goal: string;
  errorCodeMapping: Record<string, string> | null;
  /** Whether data will be extracted after completion (the actor need not copy it out). */
  extractionPlanned: boolean;
  /** Login details the run may use: username in clear, secrets as placeholders. */
  login?: { username: string; password: string } | null;
  /** A card's or a secret's details (secret values as placeholders). */
  credentialFields?: { label: string; value: string; placeholder: boolean }[];
}

export interface RenderedPrompt {
  system: string;
  user: string;
}

function pageBlock(fence: UntrustedFence, page: PageObservation): string {
  const tabs =
    page.tabs.length > 1
      ? `\nTabs:\n${page.tabs.map((t) => `  ${t.index}${t.active ? ' (current)' : ''}: ${t.title} — ${t.url}`).join('\n')}`
      : '';
  return fence.wrap(
    'current page',
    `URL: ${page.url}\nTitle: ${page.title}${tabs}\n\n${page.text}`,
  );
}

function errorCodesBlock(mapping: Record<string, string> | null): string {
  if (!mapping || Object.keys(mapping).length === 0) return '';
  return (
    '\n\n# Error codes\nWhen one of these conditions holds, report its code in "error_codes" ' +
    '(and terminate if the goal became impossible):\n' +
    Object.entries(mapping)
      .map(([code, condition]) => `- ${code}: ${condition}`)
      .join('\n')
  );
}

export function renderActorPrompt(input: {
  task: PromptTask;
  fence: UntrustedFence;
  page: PageObservation;
  history: readonly StepRecord[];
  feedback: readonly string[];
  stepIndex: number;
  maxSteps: number;
  now: Date;
}): RenderedPrompt {
  const { task, fence } = input;
  const actions = actionPromptLines();
  const system = [
    'You operate a web browser for a user to achieve their goal. Each step you see the current page',
    'as a tree of elements and reply with JSON: a short assessment and the next actions.',
    '',
    '# Page tree',
    'Interactive elements look like `[12] button "Save"` and carry an id; reference them by that id',
    '(e.g. 12). Indentation is nesting; `*` marks elements new since the last step; values, states',
    '(checked, disabled, expanded …) and options are shown inline. Elements outside the viewport',
    'are included too, so scroll only to load more content. Never invent ids.',
    '',
    '# Actions',
    actions,
    '',
    '# Rules',
    `- ${fence.rule()}`,
    '- Batch actions only while they target the current page, e.g. fill several fields and then',
    '  click submit. Anything that navigates or opens something new ends the batch.',
    '- Do not re-enter a value a field already has. Fix fields the page marks as invalid.',
    '- Use only information from the goal for form values; never make up personal data. Values',
    '  like {{secret:name}} are placeholders for secrets: type them exactly as written.',
    '- If earlier actions had no effect, do something different instead of repeating them.',
    '- Close or accept cookie banners and popups that block the page.',
    '- complete only when the whole goal is achieved on this page (an independent check follows);',
    '  terminate only when the goal is clearly impossible here, e.g. the page says so.',
    task.extractionPlanned
      ? '- Requested data is extracted automatically after complete; just reach the right page.'
      : '- If the goal asks for information, put it in complete.answer.',
  ].join('\n');

  const feedback =
    input.feedback.length > 0
      ? `\n\n# Feedback on your last reply\n${input.feedback.map((f) => `- ${f}`).join('\n')}`
      : '';
  const user = [
    `# Goal\n${task.goal}${errorCodesBlock(task.errorCodeMapping)}`,
    task.login
      ? `\n\n# Login details\nUsername: ${task.login.username}\nPassword: ${task.login.password} (a placeholder: type it exactly as written)`
      : '',
    task.credentialFields?.length
      ? `\n\n# Credential details\n${task.credentialFields
          .map(
            (f) =>
              `${f.label}: ${f.value}${f.placeholder ? ' (a placeholder: type it exactly as written)' : ''}`,
          )
          .join('\n')}`
      : '',
    `\n\n# Run so far\n${fence.wrap('run history', renderHistory(input.history))}`,
    feedback,
    `\n\n# Step ${input.stepIndex + 1} of at most ${input.maxSteps} — ${input.now.toISOString()}`,
    `\n${pageBlock(fence, input.page)}`,
  ].join('');
  return { system, user };
}

export const VERIFY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['evidence', 'goal_achieved', 'missing'],
  properties: {
    evidence: {
      type: 'string',
      description: 'What on the page shows the goal is (or is not) met.',
    },
    goal_achieved: { type: 'boolean' },
    missing: { type: 'string', description: 'What is still missing; empty when achieved.' },
  },
} as const;

export function renderVerifyPrompt(input: {
  goal: string;
  fence: UntrustedFence;
  page: PageObservation;
  claimedAnswer: string | null;
  history: readonly StepRecord[] | null;
}): RenderedPrompt {
  const { fence } = input;
  const system = [
    'You check whether a browser agent really achieved a user goal. Judge only from the current',
    'page (and the run history when given); an agent claiming success is not evidence.',
    'Answer goal_achieved=true only when every part of the goal is visibly done, e.g. a',
    'confirmation is shown or the requested information is on the page.',
    fence.rule(),
  ].join('\n');
  const user = [
    `# Goal\n${input.goal}`,
    input.claimedAnswer
      ? `\n\n# Agent's answer\n${fence.wrap('agent answer', input.claimedAnswer)}`
      : '',
    input.history
      ? `\n\n# Run history\n${fence.wrap('run history', renderHistory(input.history))}`
      : '',
    `\n\n# Current page\n${pageBlock(fence, input.page)}`,
  ].join('');
  return { system, user };
}

export function renderExtractPrompt(input: {
  goal: string;
  fence: UntrustedFence;
  page: PageObservation;
  schema: unknown;
  answerHint: string | null;
  errorCodeMapping: Record<string, string> | null;
  previousErrors: readonly string[];
}): RenderedPrompt {
  const { fence } = input;
  const system = [
    'You extract data from a web page into JSON that matches a JSON Schema exactly.',
    'Use only information present on the page; use null for values the page does not show.',
    'Copy values as shown (numbers as numbers where the schema says number).',
    fence.rule(),
  ].join('\n');
  const user = [
    `# Goal\n${input.goal}`,
    `\n\n# JSON Schema of "data"\n${JSON.stringify(input.schema)}`,
    errorCodesBlock(input.errorCodeMapping),
    input.answerHint ? `\n\n# Agent's notes\n${fence.wrap('agent notes', input.answerHint)}` : '',
    previousErrorsBlock(input.previousErrors),
    `\n\n# Page\n${pageBlock(fence, input.page)}`,
  ].join('');
  return { system, user };
}

export const CLASSIFY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['errors'],
  properties: {
    errors: {
      type: 'array',
      items: REPORTED_ERROR_CODE_SCHEMA,
    },
  },
} as const;

export function renderClassifyPrompt(input: {
  goal: string;
  fence: UntrustedFence;
  mapping: Record<string, string>;
  failureReason: string;
  page: PageObservation | null;
  historyText: string;
}): RenderedPrompt {
  const { fence } = input;
  const system = [
    'A browser agent stopped without achieving its goal. Decide which of the user-defined error',
    'codes apply, using only the listed codes. Return an empty list when none clearly applies.',
    fence.rule(),
  ].join('\n');
  const user = [
    `# Goal\n${input.goal}`,
    `\n\n# Error codes\n${Object.entries(input.mapping)
      .map(([code, condition]) => `- ${code}: ${condition}`)
      .join('\n')}`,
    `\n\n# Why it stopped\n${fence.wrap('failure', input.failureReason)}`,
    `\n\n# Run history\n${fence.wrap('run history', input.historyText)}`,
    input.page ? `\n\n# Last page\n${pageBlock(fence, input.page)}` : '',
  ].join('');
  return { system, user };
}
