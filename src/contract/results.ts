/**
 * Wire shapes of the results routes: artifacts (docs/artifacts.md), webhook replay (docs/webhooks.md) and the
 * webhook delivery log (a Wren extension).
 */
import { z } from 'zod';

export const ARTIFACT_TYPES = [
  'recording',
  'audio',
  'session_replay',
  'eval_score',
  'eval_trajectory',
  'eval_rubrics',
  'browser_console_log',
  'browser_session_action_log',
  'skyvern_log',
  'skyvern_log_raw',
  'screenshot',
  'screenshot_llm',
  'screenshot_action',
  'screenshot_final',
  'screenshot_proxy',
  'llm_prompt',
  'llm_request',
  'llm_response',
  'llm_response_parsed',
  'llm_response_rendered',
  'visible_elements_id_css_map',
  'visible_elements_id_frame_map',
  'visible_elements_tree',
  'visible_elements_tree_trimmed',
  'visible_elements_tree_in_prompt',
  'hashed_href_map',
  'visible_elements_id_xpath_map',
  'html',
  'html_scrape',
  'html_action',
  'trace',
  'har',
  'script_file',
  'pdf',
  'step_archive',
  'task_archive',
  'download',
] as const;
export type ArtifactType = (typeof ARTIFACT_TYPES)[number];

export const ArtifactTypeSchema = z.enum(ARTIFACT_TYPES).meta({ id: 'ArtifactType' });

export const ArtifactSchema = z
  .object({
    artifact_id: z.string(),
    artifact_type: ArtifactTypeSchema,
    uri: z.string(),
    signed_url: z.string().nullable(),
    archived: z.boolean(),
    task_id: z.string().nullable(),
    step_id: z.string().nullable(),
    run_id: z.string().nullable(),
    workflow_run_id: z.string().nullable(),
    workflow_run_block_id: z.string().nullable(),
    browser_session_id: z.string().nullable(),
    observer_cruise_id: z.string().nullable(),
    observer_thought_id: z.string().nullable(),
    ai_suggestion_id: z.string().nullable(),
    bundle_key: z.string().nullable(),
    checksum: z.string().nullable(),
    file_size: z.int().nullable(),
    organization_id: z.string(),
    created_at: z.string(),
    modified_at: z.string(),
    /** Wren extension: MIME type and original file name. */
    content_type: z.string(),
    filename: z.string().nullable(),
  })
  .meta({ id: 'Artifact' });
export type Artifact = z.output<typeof ArtifactSchema>;

export const RunArtifactsQuerySchema = z.object({
  artifact_type: z
    .union([ArtifactTypeSchema, z.array(ArtifactTypeSchema)])
    .optional()
    .describe('Repeatable filter'),
});
export type RunArtifactsQuery = z.output<typeof RunArtifactsQuerySchema>;

export const ArtifactIdParamsSchema = z.object({ artifact_id: z.string() });

export const ArtifactContentQuerySchema = z.object({
  expiry: z.string().optional(),
  kid: z.string().optional(),
  sig: z.string().optional(),
});

export const RetryRunWebhookRequestSchema = z
  .object({ webhook_url: z.string().nullable().optional() })
  .nullish()
  .meta({ id: 'RetryRunWebhookRequest' });
export type RetryRunWebhookRequest = z.input<typeof RetryRunWebhookRequestSchema>;

export const RunWebhookReplayResponseSchema = z
  .object({
    run_id: z.string(),
    run_type: z.string(),
    default_webhook_url: z.string().nullable(),
    target_webhook_url: z.string().nullable(),
    payload: z.string(),
    headers: z.record(z.string(), z.string()),
    status_code: z.int().nullable(),
    latency_ms: z.int().nullable(),
    response_body: z.string().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'RunWebhookReplayResponse' });
export type RunWebhookReplayResponse = z.output<typeof RunWebhookReplayResponseSchema>;

export const WebhookAttemptSchema = z.object({
  attempt: z.int(),
  kind: z.enum(['automatic', 'replay']),
  url: z.string(),
  started_at: z.string(),
  status_code: z.int().nullable(),
  latency_ms: z.int(),
  error: z.string().nullable(),
  response_body: z.string().nullable(),
  will_retry: z.boolean(),
});

export const WebhookDeliverySchema = z
  .object({
    delivery_id: z.string(),
    run_status: z.string(),
    url: z.string(),
    state: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.int(),
    next_attempt_at: z.string().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

export const RunWebhookDeliveriesSchema = z
  .object({
    run_id: z.string(),
    webhook_url: z.string().nullable(),
    deliveries: z.array(WebhookDeliverySchema),
    attempts: z.array(WebhookAttemptSchema),
  })
  .meta({
    id: 'RunWebhookDeliveries',
    description: 'Wren extension: the webhook outbox rows of a run and every attempt made.',
  });
export type RunWebhookDeliveries = z.output<typeof RunWebhookDeliveriesSchema>;
