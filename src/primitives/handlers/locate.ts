/**
 * locate: the element an instruction describes, as a stable selector (model picks an id from the
 * observation, src/browser/selectors turns it into a selector unique on the page).
 */
import { askModel, pageForModel } from '../model.js';
import { logged, type PrimitiveContext, PrimitiveError } from '../types.js';

export interface Located {
  elementId: number;
  selector: string;
  strategy: string;
  /** role "name" of the element as observed. */
  description: string;
}

const SYSTEM =
  'You find one element on a web page for a user. The page is given as lines like ' +
  '`[12] button "Save"`; the number in brackets is the element id. Answer with the id of the ' +
  'single element that best matches the request, or null when no element on the page matches.';

const SCHEMA = {
  type: 'object',
  properties: {
    element_id: { type: ['integer', 'null'], description: 'id in brackets, or null' },
    reason: { type: 'string', description: 'one short sentence' },
  },
  required: ['element_id', 'reason'],
  additionalProperties: false,
};

export async function locateElement(
  ctx: PrimitiveContext,
  instruction: string,
  field = 'prompt',
): Promise<Located> {
  if (!instruction.trim())
    throw new PrimitiveError(`${field}: describe the element`, field, 'invalid');
  return logged(
    ctx,
    `locate ${JSON.stringify(instruction)} (model)`,
    async () => {
      const page = await pageForModel(ctx);
      const answer = await askModel<{ element_id: number | null; reason: string }>(ctx, {
        role: 'actor',
        system: SYSTEM,
        user: `${page}\n\nFind: ${instruction}`,
        schema: SCHEMA,
        schemaName: 'locate_element',
      });
      const obs = ctx.browser.latestObservation;
      const info = answer.element_id === null ? undefined : obs?.elements.get(answer.element_id);
      if (!info) {
        throw new PrimitiveError(
          `${field}: no element on the page matches ${JSON.stringify(instruction)}` +
            (answer.reason ? ` (${answer.reason})` : ''),
          field,
          'not_found',
        );
      }
      const built = await ctx.browser.selectorFor(info.id);
      return {
        elementId: info.id,
        selector: built.selector,
        strategy: built.strategy,
        description: `${info.role} ${JSON.stringify(info.name)}`,
      };
    },
    (l) => l.selector,
  );
}
