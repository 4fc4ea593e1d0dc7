/**
 * Code mode's API (docs/code-mode.md): scripts compiled from runs, their revisions, pinning.
 * Skyvern's own /v1/scripts (workflow scripts) is not in the reference; these shapes are Wren's.
 */
import { z } from 'zod';

const timestamp = z.iso.datetime({ offset: true });

export const ScriptSchema = z
  .object({
    script_id: z.string(),
    engine: z.string(),
    prompt_template: z.string().describe('The prompt with parameter values replaced by {name}'),
    url_pattern: z.string(),
    schema_hash: z.string(),
    latest_revision: z.int(),
    pinned_revision: z.int().nullable(),
    replays: z.int(),
    hits: z.int().describe('Replays that completed with no model call'),
    heals: z.int().describe('Replays that completed after healing a step (a new revision)'),
    failures: z.int(),
    created_at: timestamp,
    modified_at: timestamp,
  })
  .meta({ id: 'Script' });

export const ScriptRevisionSchema = z
  .object({
    script_id: z.string(),
    script_revision_id: z.string(),
    revision: z.int(),
    run_id: z.string().nullable().describe('The run it was compiled or healed from'),
    created_at: timestamp,
    parameters: z.array(
      z.object({
        name: z.string(),
        example: z.string().nullable(),
        secret: z.boolean(),
      }),
    ),
    steps: z.array(z.record(z.string(), z.unknown())),
    source: z.string().describe('The script as TypeScript (npx wren script run <file>)'),
  })
  .meta({ id: 'ScriptRevision' });

export const ScriptParamsSchema = z.object({ script_id: z.string() });
const REVISION_NUMBER = 'revision must be a revision number: a whole number from 1';
export const ScriptRevisionParamsSchema = z.object({
  script_id: z.string(),
  // One message for every way a path segment is not a revision number (abc, 0, 1.5, 2^53+1).
  revision: z.coerce
    .number({ error: REVISION_NUMBER })
    .int({ error: REVISION_NUMBER })
    .min(1, { error: REVISION_NUMBER })
    .max(1_000_000_000, { error: REVISION_NUMBER }),
});
export const ListScriptsQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
});
export const PinScriptRequestSchema = z
  .object({
    revision: z
      .int({ error: 'revision must be an integer or null' })
      .min(1, { error: 'revision must be 1 or more' })
      .nullable(),
  })
  .meta({ id: 'PinScriptRequest' });
