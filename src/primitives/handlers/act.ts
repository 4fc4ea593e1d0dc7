/**
 * ai_act / page.act: one action described in words. The model picks the action and its element
 * from the observation; the executor does it; the answer says what was done and on which stable
 * selector, so a caller can replay it without the model (the SDK's cache does).
 */
import { askModel, pageForModel } from '../model.js';
import { logged, type PrimitiveContext, PrimitiveError } from '../types.js';

export const ACT_KINDS = [
  'click',
  'input_text',
  'select_option',
  'check',
  'uncheck',
  'press',
] as const;
export type ActKind = (typeof ACT_KINDS)[number];

export interface ActOutcome {
  action: ActKind;
  /** Stable selector of the element acted on (null for a key press on the page). */
  selector: string | null;
  /** Text typed, option chosen or keys pressed. */
  value: string | null;
  /** role "name" of the element. */
  description: string | null;
}

const SYSTEM =
  'You perform ONE action on a web page for a user. The page is given as lines like ' +
  '`[12] button "Save"`; the number in brackets is the element id. Choose the action and the ' +
  'element id. Actions: click; input_text (value = text to type); select_option (value = option ' +
  'label); check / uncheck (a checkbox or switch); press (value = keys like "Enter", element ' +
  'optional). Answer element_id null with action "none" when the request cannot be done here.';

const SCHEMA = {
  type: 'object',
  properties: {
    action: { type: 'string', enum: [...ACT_KINDS, 'none'] },
    element_id: { type: ['integer', 'null'] },
    value: { type: ['string', 'null'] },
    reason: { type: 'string' },
  },
  required: ['action', 'element_id', 'value', 'reason'],
  additionalProperties: false,
};

interface Answer {
  action: ActKind | 'none';
  element_id: number | null;
  value: string | null;
  reason: string;
}

export function executorAction(kind: ActKind, id: number | null, value: string | null): unknown {
  switch (kind) {
    case 'click':
      return { type: 'click', id };
    case 'input_text':
      return { type: 'input_text', id, text: value ?? '' };
    case 'select_option':
      return { type: 'select_option', id, label: value ?? '' };
    case 'check':
    case 'uncheck':
      return { type: 'set_checked', id, checked: kind === 'check' };
    case 'press':
      return { type: 'keypress', keys: value || 'Enter', ...(id !== null ? { id } : {}) };
  }
}

export async function act(
  ctx: PrimitiveContext,
  instruction: string,
  data?: unknown,
): Promise<ActOutcome> {
  if (!instruction.trim())
    throw new PrimitiveError('intention: say what to do', 'intention', 'invalid');
  const context =
    data === undefined || data === null
      ? ''
      : `\nContext data: ${typeof data === 'string' ? data : JSON.stringify(data)}`;
  const page = await pageForModel(ctx);
  const answer = await logged(ctx, `act ${JSON.stringify(instruction)} (model)`, () =>
    askModel<Answer>(ctx, {
      role: 'actor',
      system: SYSTEM,
      user: `${page}\n\nDo: ${instruction}${context}`,
      schema: SCHEMA,
      schemaName: 'act',
    }),
  );
  if (answer.action === 'none') {
    throw new PrimitiveError(
      `intention: cannot be done on this page (${answer.reason || 'no matching element'})`,
      'intention',
      'not_found',
    );
  }
  const info =
    answer.element_id === null
      ? undefined
      : ctx.browser.latestObservation?.elements.get(answer.element_id);
  if (!info && answer.action !== 'press') {
    throw new PrimitiveError(
      `intention: the model picked no element on the page (${answer.reason})`,
      'intention',
      'bad_output',
    );
  }
  // Built before acting: a click may navigate away from the element.
  const selector = info ? (await ctx.browser.selectorFor(info.id)).selector : null;
  const result = await logged(ctx, `${answer.action} ${selector ?? 'page'}`, () =>
    ctx.browser.act(executorAction(answer.action as ActKind, info?.id ?? null, answer.value)),
  );
  if (!result.ok) {
    throw new PrimitiveError(
      `intention: ${answer.action} failed: ${result.error?.message ?? 'unknown error'}`,
      'intention',
      'action_failed',
    );
  }
  return {
    action: answer.action,
    selector,
    value: answer.value,
    description: info ? `${info.role} ${JSON.stringify(info.name)}` : null,
  };
}
