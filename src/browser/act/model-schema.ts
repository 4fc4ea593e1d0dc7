/**
 * The model's view of the action records: engines pick which actions, and which of their fields,
 * a model may use; the JSON Schema it answers with is generated from the records' zod schemas
 * (`z.toJSONSchema`), never written by hand. Every picked field is required (an optional one
 * becomes nullable), so providers' strict structured-output modes accept the schema.
 */
import { z } from 'zod';
import { type ActionName, actionSchemas } from './actions/index.js';

type Schemas = typeof actionSchemas;
type FieldsOf<N extends ActionName> = Exclude<keyof z.infer<Schemas[N]>, 'type'>;

/** Per action an engine offers, the fields its model fills. */
export type ModelActionPick = { readonly [N in ActionName]?: readonly FieldsOf<N>[] };

/** The zod object a model answers for one picked action. */
export function modelActionSchema<N extends ActionName>(
  name: N,
  fields: readonly FieldsOf<N>[],
): z.ZodObject {
  const shape = actionSchemas[name].shape as Record<string, z.ZodType>;
  const picked: Record<string, z.ZodType> = { type: shape.type as z.ZodType };
  for (const field of fields as readonly string[]) {
    const schema = shape[field];
    if (!schema) throw new Error(`${name} has no field ${field}`);
    if (!(schema instanceof z.ZodOptional)) {
      picked[field] = schema;
      continue;
    }
    const nullable = (schema.unwrap() as z.ZodType).nullable();
    picked[field] = schema.description ? nullable.describe(schema.description) : nullable;
  }
  return z.strictObject(picked);
}

/** One JSON Schema branch per picked action, in the pick's order. */
export function modelActionBranches(pick: ModelActionPick): Record<string, unknown>[] {
  return Object.entries(pick).map(([name, fields]) => {
    const schema = modelActionSchema(name as ActionName, fields as never);
    const { $schema: _, ...json } = z.toJSONSchema(schema) as Record<string, unknown>;
    return json;
  });
}
