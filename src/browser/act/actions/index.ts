/**
 * The action catalogue, assembled from one file per family. Each record is {name (its schema's
 * `type`), description, schema, execute, log}; ids refer to elements of the latest observation.
 */
import { z } from 'zod';
import type { ActionDef } from '../types.js';
import { fileActions } from './files.js';
import { navigationActions } from './navigation.js';
import { pointerActions } from './pointer.js';
import { selectionActions } from './selection.js';
import { textActions } from './text.js';

const RECORDS = {
  ...pointerActions,
  ...textActions,
  ...selectionActions,
  ...fileActions,
  ...navigationActions,
};
type Records = typeof RECORDS;
export type ActionName = keyof Records;
type Schemas = { readonly [N in ActionName]: Records[N]['schema'] };

/**
 * The catalogue's order: tool lists, the executor's "known actions" and the discriminator's
 * "expected" message list the actions this way.
 */
const ORDER = [
  'click',
  'double_click',
  'right_click',
  'input_text',
  'enter_code',
  'select_option',
  'set_checked',
  'upload_file',
  'download',
  'hover',
  'scroll',
  'keypress',
  'wait',
  'goto',
  'back',
  'forward',
  'reload',
  'new_tab',
  'switch_tab',
  'close_tab',
  'drag_and_drop',
] as const satisfies readonly ActionName[];
type Unlisted = Exclude<ActionName, (typeof ORDER)[number]>;
// A record left out of ORDER fails to compile here, naming it.
const _everyRecordListed: [Unlisted] extends [never] ? true : Unlisted = true;

export const ACTIONS: readonly ActionDef[] = ORDER.map((name) => RECORDS[name]);

/** Each action's zod schema, by name. */
export const actionSchemas: Schemas = Object.fromEntries(
  ORDER.map((name) => [name, RECORDS[name].schema]),
) as Schemas;

type AnySchema = Schemas[ActionName];

/** Any action an engine can send, discriminated by `type`. */
export const actionSchema = z.discriminatedUnion(
  'type',
  ORDER.map((name) => actionSchemas[name]) as unknown as [AnySchema, ...AnySchema[]],
);
export type Action = z.infer<typeof actionSchema>;

/** Tool definitions for models: name, description and JSON Schema of the arguments. */
export function actionToolSchemas(): { name: string; description: string; parameters: unknown }[] {
  return ACTIONS.map((a) => ({
    name: a.name,
    description: a.description,
    parameters: z.toJSONSchema(a.schema.omit({ type: true })),
  }));
}

export const ACTIONS_BY_NAME: ReadonlyMap<string, ActionDef> = new Map(
  ACTIONS.map((a) => [a.name, a]),
);

/** The record's one-line description of an action (history, logs, loop detection). */
export function actionLogLine(action: Action): string {
  return ACTIONS_BY_NAME.get(action.type)?.log(action) ?? action.type;
}

/** The record's description of an action kind (what a model is told it does). */
export function actionDescription(name: ActionName): string {
  return ACTIONS_BY_NAME.get(name)?.description ?? name;
}

/**
 * The action as it runs: secret placeholders in the record's secret fields resolved and `@uN`
 * URL aliases of the observation expanded in its URL fields. Everything logged or recorded uses
 * the action before this step, so a secret never reaches history, prompts or logs.
 */
export function prepareAction(
  action: Action,
  resolve: { substitute?: (text: string) => string; expandUrl?: (url: string) => string },
): Action {
  const record = ACTIONS_BY_NAME.get(action.type);
  if (!record) return action;
  const out: Record<string, unknown> = { ...action };
  const apply = (fields: readonly string[], f?: (text: string) => string) => {
    if (!f) return;
    for (const field of fields) {
      const v = out[field];
      if (typeof v === 'string') out[field] = f(v);
      else if (Array.isArray(v)) out[field] = v.map((x) => (typeof x === 'string' ? f(x) : x));
    }
  };
  apply(record.secretFields, resolve.substitute);
  apply(record.urlFields, resolve.expandUrl);
  return out as Action;
}
