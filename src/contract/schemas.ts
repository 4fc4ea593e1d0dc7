/**
 * The HTTP contract: request and response schemas, Skyvern Run Task API compatible. These zod
 * schemas are the single source of truth for request validation, response serialization and the
 * OpenAPI document served at /openapi.json. Messages name the field and say why.
 */
import { z } from 'zod';
import { ENGINE_NAMES } from '../core/index.js';
import { jsonSchemaProblem } from '../json-schema/index.js';
import { GEO_COUNTRIES, PROXY_LOCATIONS, RUN_STATUSES, RUN_TYPES } from './enums.js';
import { isCdpAddress, isProxyServerUrl, normalizeHttpUrl } from './urls.js';

export {
  GEO_COUNTRIES,
  isTerminalStatus,
  PROXY_LOCATIONS,
  RUN_STATUSES,
  RUN_TYPES,
  type RunStatus,
  type RunType,
  TERMINAL_RUN_STATUSES,
} from './enums.js';

export const DEFAULT_ENGINE = 'skyvern-2.0' as const;

const list = (values: readonly string[]) => values.join(', ');

export const RunStatusSchema = z.enum(RUN_STATUSES).meta({ id: 'RunStatus' });

export const RunEngineSchema = z
  .enum(ENGINE_NAMES, {
    error: (issue) =>
      `engine must be one of ${list(ENGINE_NAMES)}; got ${JSON.stringify(issue.input)}`,
  })
  .meta({ id: 'RunEngine' });

export const ProxyLocationSchema = z.enum(PROXY_LOCATIONS).meta({ id: 'ProxyLocation' });

export const GeoTargetSchema = z
  .object({
    country: z
      .string()
      .length(2)
      .refine((c) => (GEO_COUNTRIES as readonly string[]).includes(c.toUpperCase()), {
        message: `country must be one of ${list(GEO_COUNTRIES)}`,
      })
      .describe('ISO 3166-1 alpha-2 country code'),
    subdivision: z.string().max(10).nullable().optional().describe('ISO 3166-2 code, e.g. CA'),
    city: z.string().max(100).nullable().optional(),
  })
  .meta({ id: 'GeoTarget' });

export const CustomProxySchema = z
  .object({
    url: z.string().refine(isProxyServerUrl, {
      message: 'url must be an http(s) or socks proxy URL with a host',
    }),
  })
  .meta({
    id: 'CustomProxy',
    description: 'Your own proxy server, e.g. {"url": "http://u:p@host:8080"}',
  });

export const PROXY_LOCATION_MESSAGE =
  `proxy_location must be one of ${list(PROXY_LOCATIONS)}, a GeoTarget object ` +
  `{"country": <${list(GEO_COUNTRIES)}>, "subdivision"?: <≤10 chars>, "city"?: <≤100 chars>}, ` +
  'or {"url": "http://user:pass@host:port"}';

const httpUrl = (field: string) =>
  z.string().refine((v) => normalizeHttpUrl(v) !== null, {
    message: `${field} must be an http or https URL`,
  });

const stringMap = z.record(z.string(), z.string());

const dataExtractionSchema = z
  .union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string()], {
    error: 'data_extraction_schema must be a JSON Schema object, an array or a string',
  })
  .superRefine((value, ctx) => {
    if (Array.isArray(value)) return;
    let schema: unknown = value;
    if (typeof value === 'string') {
      // A string may hold a JSON Schema, or free text describing the wanted data.
      try {
        schema = JSON.parse(value);
      } catch {
        return;
      }
      if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return;
    }
    const problem = jsonSchemaProblem(schema);
    if (problem) {
      ctx.addIssue({
        code: 'custom',
        message: `data_extraction_schema is not a valid JSON Schema: ${problem}`,
        params: { type: 'json_schema_invalid' },
      });
    }
  });

/** Fields shared by the request and its echo in `run_request`. */
function requestFields(checked: boolean) {
  return {
    prompt: z.string({
      error: (issue) =>
        issue.input === undefined ? 'prompt is required' : 'prompt must be a string',
    }),
    url: (checked ? httpUrl('url') : z.string()).nullable().optional(),
    engine: RunEngineSchema.default(DEFAULT_ENGINE),
    title: z.string().nullable().optional(),
    proxy_location: z
      .union([ProxyLocationSchema, GeoTargetSchema, CustomProxySchema], {
        error: PROXY_LOCATION_MESSAGE,
      })
      .nullable()
      .optional(),
    data_extraction_schema: (checked
      ? dataExtractionSchema
      : z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string()])
    )
      .nullable()
      .optional(),
    error_code_mapping: stringMap.nullable().optional(),
    max_steps: z
      .int({ error: 'max_steps must be an integer' })
      .min(1, { error: 'max_steps must be at least 1' })
      .nullable()
      .optional()
      .describe('Step budget; at most the server cap (WREN_MAX_STEPS_CAP, default 100).'),
    webhook_url: (checked ? httpUrl('webhook_url') : z.string()).nullable().optional(),
    totp_identifier: z.string().nullable().optional(),
    totp_url: (checked ? httpUrl('totp_url') : z.string()).nullable().optional(),
    credential_id: z
      .string({ error: 'credential_id must be a string' })
      .nullable()
      .optional()
      .describe(
        'Wren extension: a stored login (POST /v1/credentials) the agent may use. The model sees ' +
          'the username and placeholders; the password and TOTP secret never leave the server.',
      ),
    browser_session_id: z.string().nullable().optional(),
    browser_profile_id: z
      .string({ error: 'browser_profile_id must be a string' })
      .nullable()
      .optional()
      .describe(
        "Start from this browser profile's cookies and storage (any engine in Wren); the run's " +
          'final state is saved back into it. Not with browser_session_id or browser_address.',
      ),
    browser_address: (checked
      ? z.string().refine(isCdpAddress, {
          message: 'browser_address must be an HTTP(S) or WebSocket URL with a host',
        })
      : z.string()
    )
      .nullable()
      .optional(),
    cdp_connect_headers: stringMap.nullable().optional(),
    extra_http_headers: stringMap.nullable().optional(),
    include_action_history_in_verification: z.boolean().nullable().optional(),
    max_screenshot_scrolls: z.int().nullable().optional(),
    model: z.record(z.string(), z.unknown()).nullable().optional(),
    run_with: z.string().nullable().optional(),
  };
}

/** POST /v1/run/tasks body. Unknown fields are dropped (zod's default), as Skyvern ignores them. */
export const TaskRunRequestSchema = z
  .object(requestFields(true))
  .meta({ id: 'TaskRunRequest', title: 'TaskRunRequest' });
export type TaskRunRequest = z.output<typeof TaskRunRequestSchema>;
export type TaskRunRequestInput = z.input<typeof TaskRunRequestSchema>;

/** The request as stored and echoed back in `run_request` (normalized, defaults applied). */
export const TaskRunRequestEchoSchema = z
  .object(requestFields(false))
  .meta({ id: 'TaskRunRequestEcho', title: 'TaskRunRequest-Output' });
export type TaskRunRequestEcho = z.output<typeof TaskRunRequestEchoSchema>;

const timestamp = z.iso.datetime({ offset: true });

export const FileInfoSchema = z
  .object({
    url: z.string(),
    checksum: z.string().nullable().optional(),
    filename: z.string().nullable().optional(),
    file_size: z.int().nullable().optional(),
    modified_at: timestamp.nullable().optional(),
    artifact_id: z.string().nullable().optional(),
  })
  .meta({ id: 'FileInfo' });

export const UsageSchema = z
  .object({
    input_tokens: z.int(),
    output_tokens: z.int(),
    cost_usd: z.number(),
  })
  .meta({ id: 'Usage', description: 'Model usage of the run (Wren extension).' });

/** Which script a code-mode run replayed (docs/code-mode.md); Skyvern's ScriptRunResponse. */
export const ScriptRunResponseSchema = z
  .object({
    ai_fallback_triggered: z.boolean(),
    script_id: z.string().nullable(),
    script_revision_id: z.string().nullable(),
  })
  .meta({ id: 'ScriptRunResponse', title: 'ScriptRunResponse' });

export const TaskRunResponseSchema = z
  .object({
    run_id: z.string(),
    status: RunStatusSchema,
    output: z
      .union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string()])
      .nullable(),
    downloaded_files: z.array(FileInfoSchema).nullable(),
    recording_url: z.string().nullable(),
    recording_archived: z.boolean(),
    screenshot_urls: z.array(z.string()).nullable(),
    failure_reason: z.string().nullable(),
    created_at: timestamp,
    modified_at: timestamp,
    queued_at: timestamp.nullable(),
    started_at: timestamp.nullable(),
    finished_at: timestamp.nullable(),
    app_url: z.string().nullable(),
    browser_session_id: z.string().nullable(),
    browser_profile_id: z.string().nullable(),
    max_screenshot_scrolls: z.int().nullable(),
    script_run: ScriptRunResponseSchema.nullable(),
    errors: z.array(z.record(z.string(), z.unknown())).nullable(),
    step_count: z.int().nullable(),
    run_type: z.enum(RUN_TYPES),
    run_request: TaskRunRequestEchoSchema.nullable(),
    usage: UsageSchema.nullable(),
  })
  .meta({ id: 'TaskRunResponse' });
export type TaskRunResponse = z.output<typeof TaskRunResponseSchema>;

export const TaskRunListItemSchema = z
  .object({
    task_run_id: z.string(),
    run_id: z.string(),
    task_run_type: z.enum(RUN_TYPES),
    status: RunStatusSchema,
    title: z.string().nullable(),
    started_at: timestamp.nullable(),
    finished_at: timestamp.nullable(),
    created_at: timestamp,
    workflow_permanent_id: z.null(),
    workflow_deleted: z.boolean(),
    script_run: z.boolean(),
    trigger_type: z.null(),
    step_count: z.int(),
  })
  .meta({ id: 'TaskRunListItem' });
export type TaskRunListItem = z.output<typeof TaskRunListItemSchema>;

const oneOrMany = <T extends z.ZodType>(item: T, message: string) =>
  z.union([item, z.array(item)], { error: message });

export const ListRunsQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(100).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(10),
  status: oneOrMany(RunStatusSchema, `status must be one of ${list(RUN_STATUSES)}`).optional(),
  search_key: z.string().min(3).optional(),
});
export type ListRunsQuery = z.output<typeof ListRunsQuerySchema>;

export const RunIdParamsSchema = z.object({ run_id: z.string() });

export const ValidationErrorSchema = z
  .object({
    type: z.string(),
    loc: z.array(z.union([z.string(), z.int()])),
    msg: z.string(),
    input: z.unknown().optional(),
  })
  .meta({ id: 'ValidationError' });
export type ValidationErrorItem = z.output<typeof ValidationErrorSchema>;

export const HTTPValidationErrorSchema = z
  .object({ detail: z.array(ValidationErrorSchema) })
  .meta({ id: 'HTTPValidationError' });

export const ErrorResponseSchema = z
  .object({ detail: z.string() })
  .meta({ id: 'ErrorResponse', description: 'Any non-validation error: {"detail": "<why>"}' });
