/**
 * observe: candidate elements for an instruction, each with a stable selector and the action
 * that would fit; nothing is done on the page (Stagehand's observe).
 */
import { askModel, pageForModel } from '../model.js';
import { logged, type PrimitiveContext } from '../types.js';
import { ACT_KINDS, type ActKind } from './act.js';

export interface Candidate {
  selector: string;
  description: string;
  /** The action that would carry out the instruction on it. */
  action: ActKind;
}

const SYSTEM =
  'You list elements of a web page that match a user instruction, best first (at most 5). The ' +
  'page is given as lines like `[12] button "Save"`; the number is the element id. For each, ' +
  'give the action that would carry out the instruction (click, input_text, select_option, ' +
  'check, uncheck, press).';

const SCHEMA = {
  type: 'object',
  properties: {
    candidates: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          element_id: { type: 'integer' },
          action: { type: 'string', enum: [...ACT_KINDS] },
        },
        required: ['element_id', 'action'],
        additionalProperties: false,
      },
    },
  },
  required: ['candidates'],
  additionalProperties: false,
};

export async function observe(ctx: PrimitiveContext, instruction: string): Promise<Candidate[]> {
  const page = await pageForModel(ctx);
  const answer = await logged(ctx, `observe ${JSON.stringify(instruction)} (model)`, () =>
    askModel<{ candidates: { element_id: number; action: ActKind }[] }>(ctx, {
      role: 'actor',
      system: SYSTEM,
      user: `${page}\n\nInstruction: ${instruction || 'the elements a user can act on'}`,
      schema: SCHEMA,
      schemaName: 'observe',
    }),
  );
  const obs = ctx.browser.latestObservation;
  const out: Candidate[] = [];
  for (const c of answer.candidates.slice(0, 5)) {
    const info = obs?.elements.get(c.element_id);
    if (!info) continue; // an id the page does not have is dropped, not guessed
    const built = await ctx.browser.selectorFor(info.id).catch(() => null);
    if (!built) continue;
    out.push({
      selector: built.selector,
      description: `${info.role} ${JSON.stringify(info.name)}`,
      action: c.action,
    });
  }
  return out;
}
