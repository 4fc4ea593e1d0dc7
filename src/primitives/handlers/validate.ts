/** validate: whether a condition holds on the page now, with the evidence the model saw. */
import { askModel, pageForModel } from '../model.js';
import { logged, type PrimitiveContext, PrimitiveError } from '../types.js';

export interface Validation {
  valid: boolean;
  evidence: string;
}

const SYSTEM =
  'You check a condition against a web page as it is now. Answer valid=true only when the page ' +
  'shows the condition holds; quote or describe what on the page decides it as evidence.';

const SCHEMA = {
  type: 'object',
  properties: { valid: { type: 'boolean' }, evidence: { type: 'string' } },
  required: ['valid', 'evidence'],
  additionalProperties: false,
};

export async function validate(ctx: PrimitiveContext, condition: string): Promise<Validation> {
  if (!condition.trim())
    throw new PrimitiveError('prompt: the condition to check', 'prompt', 'invalid');
  const page = await pageForModel(ctx, false);
  return logged(
    ctx,
    `validate ${JSON.stringify(condition)} (model)`,
    () =>
      askModel<Validation>(ctx, {
        role: 'verifier',
        system: SYSTEM,
        user: `${page}\n\nCondition: ${condition}`,
        schema: SCHEMA,
        schemaName: 'validation',
      }),
    (v) => String(v.valid),
  );
}
