/**
 * POST /v1/sdk/run_action: Skyvern's RunSdkActionRequest / RunSdkActionResponse, field for field
 * (skyvern-openapi-subset.json). The action is a union discriminated by `type`.
 */
import { z } from 'zod';
import { isCdpAddress } from './urls.js';

const nullableString = z.string().nullable().optional();
const data = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .nullable()
  .optional()
  .describe('Additional context data');
const timeout = z.number().positive().default(10_000).describe('Timeout in milliseconds');

export const ClickActionSchema = z
  .object({
    type: z.literal('ai_click'),
    selector: nullableString.default('').describe('Selector for the element, tried first'),
    intention: z
      .string()
      .default('')
      .describe('What to click; the model uses it when the selector fails'),
    data,
    timeout,
  })
  .meta({ id: 'ClickAction' });

export const InputTextActionSchema = z
  .object({
    type: z.literal('ai_input_text'),
    selector: nullableString.default(''),
    value: nullableString.default(''),
    intention: z.string().default(''),
    data,
    totp_identifier: nullableString,
    totp_url: nullableString,
    timeout,
  })
  .meta({ id: 'InputTextAction' });

export const SelectOptionActionSchema = z
  .object({
    type: z.literal('ai_select_option'),
    selector: nullableString.default(''),
    value: nullableString.default(''),
    intention: z.string().default(''),
    data,
    timeout,
  })
  .meta({ id: 'SelectOptionAction' });

export const UploadFileActionSchema = z
  .object({
    type: z.literal('ai_upload_file'),
    selector: nullableString.default(''),
    file_url: nullableString.default(''),
    intention: z.string().default(''),
    data,
    timeout,
  })
  .meta({ id: 'UploadFileAction' });

export const ActActionSchema = z
  .object({ type: z.literal('ai_act'), intention: z.string().default(''), data })
  .meta({ id: 'ActAction' });

export const ExtractActionSchema = z
  .object({
    type: z.literal('extract'),
    prompt: z.string().default(''),
    extract_schema: z
      .union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string()])
      .nullable()
      .optional(),
    error_code_mapping: z.record(z.string(), z.string()).nullable().optional(),
    intention: nullableString,
    data,
  })
  .meta({ id: 'ExtractAction' });

export const LocateElementActionSchema = z
  .object({ type: z.literal('locate_element'), prompt: z.string().default('') })
  .meta({ id: 'LocateElementAction' });

export const ValidateActionSchema = z
  .object({
    type: z.literal('validate'),
    prompt: z.string(),
    model: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .meta({ id: 'ValidateAction' });

export const PromptActionSchema = z
  .object({
    type: z.literal('prompt'),
    prompt: z.string(),
    response_schema: z.record(z.string(), z.unknown()).nullable().optional(),
    model: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .meta({ id: 'PromptAction' });

/** Wren's addition: candidate elements with selectors, nothing done (Stagehand's observe). */
export const ObserveActionSchema = z
  .object({ type: z.literal('observe'), prompt: z.string().default('') })
  .meta({ id: 'ObserveAction' });

export const SDK_ACTION_TYPES = [
  'ai_click',
  'ai_input_text',
  'ai_select_option',
  'ai_upload_file',
  'ai_act',
  'extract',
  'locate_element',
  'validate',
  'prompt',
  'observe',
] as const;

export const RunSdkActionRequestSchema = z
  .object({
    url: z.string().describe('The URL where the action should be executed'),
    browser_session_id: z.string().nullable().optional(),
    browser_address: z
      .string()
      .refine(isCdpAddress, {
        message: 'browser_address must be an HTTP(S) or WebSocket URL with a host',
      })
      .nullable()
      .optional(),
    workflow_run_id: z.string().nullable().optional(),
    action: z.discriminatedUnion(
      'type',
      [
        ClickActionSchema,
        InputTextActionSchema,
        SelectOptionActionSchema,
        UploadFileActionSchema,
        ActActionSchema,
        ExtractActionSchema,
        LocateElementActionSchema,
        ValidateActionSchema,
        PromptActionSchema,
        ObserveActionSchema,
      ],
      {
        error: (issue) =>
          `action.type must be one of ${SDK_ACTION_TYPES.join(', ')}; got ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}`,
      },
    ),
  })
  .meta({ id: 'RunSdkActionRequest' });
export type RunSdkActionRequest = z.infer<typeof RunSdkActionRequestSchema>;

export const RunSdkActionResponseSchema = z
  .object({
    workflow_run_id: z.string().describe('The run recording this action (GET /v1/runs/{id})'),
    result: z.unknown().describe('Selector used, extracted data, or a boolean (validate)'),
    details: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Wren: selector used, whether the model was asked, validate evidence'),
  })
  .meta({ id: 'RunSdkActionResponse' });
export type RunSdkActionResponse = z.infer<typeof RunSdkActionResponseSchema>;
