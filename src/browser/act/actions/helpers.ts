/**
 * What every action family shares: the record constructor, the element id field, the action
 * timeout and a few small page helpers.
 */
import type { ElementHandle, Page } from 'playwright-core';
import { z } from 'zod';
import type { ActionDef, ActionHost, ActionOutcome } from '../types.js';

/** The element id field, shared by every action that works on an element. */
export const elementId = z
  .number()
  .int()
  .positive()
  .describe('element id from the observation, e.g. 12 for [12]');

/** A record that keeps its schema's type, so the registry can type `Action` and `ActionName`. */
export interface ActionRecord<S extends z.ZodObject = z.ZodObject> extends ActionDef {
  readonly schema: S;
}

/**
 * One action: its schema (whose `type` literal is the action's name), what a model is told it
 * does, its executor, its log line and which fields hold secrets or URLs.
 */
export function defineAction<S extends z.ZodObject>(record: {
  schema: S;
  description: string;
  execute: (run: ActionHost, action: z.infer<S>) => Promise<ActionOutcome>;
  log: (action: z.infer<S>) => string;
  secretFields?: readonly (keyof z.infer<S> & string)[];
  urlFields?: readonly (keyof z.infer<S> & string)[];
}): ActionRecord<S> {
  const { schema } = record;
  const type = schema.shape.type;
  if (!(type instanceof z.ZodLiteral)) throw new Error('an action schema needs a type literal');
  return {
    name: String(type.value),
    description: record.description,
    schema,
    execute: (run, input) => record.execute(run, schema.parse(input)),
    log: (action) => record.log(action as z.infer<S>),
    secretFields: record.secretFields ?? [],
    urlFields: record.urlFields ?? [],
  };
}

/** How long Playwright's element calls of an action may wait. */
export const actionTimeout = (run: ActionHost) => run.options.actionTimeoutMs ?? 3000;

/** The tab an element is in (its frame's page). */
export async function frameOf(el: ElementHandle<Element>): Promise<Page | null> {
  const f = await el.ownerFrame();
  return f ? f.page() : null;
}

/** Whitespace collapsed, for comparing what a field or option shows. */
export const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
