import { z } from 'zod';

/**
 * GET /v1/runs/{run_id}/timeline: Skyvern's WorkflowRunTimeline shape ({type, block | thought,
 * children, created_at, modified_at}). Sub-goals of skyvern-2.0 runs are blocks whose children
 * are their browser steps; skyvern-1.0 and computer-use runs list their steps at the top level
 * (Skyvern answers 400 for those; Wren returns the steps). Block and thought objects carry
 * Skyvern's field names plus Wren's step details, so they are typed loosely here.
 */
export const TimelineEntrySchema = z
  .object({
    type: z.enum(['block', 'thought']),
    block: z.record(z.string(), z.unknown()).nullable().optional(),
    thought: z.record(z.string(), z.unknown()).nullable().optional(),
    children: z.array(z.record(z.string(), z.unknown())),
    created_at: z.string(),
    modified_at: z.string(),
  })
  .meta({ id: 'WorkflowRunTimeline' });

export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;
