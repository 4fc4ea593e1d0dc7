/** Browser session routes (Skyvern /v1/browser_sessions compatible). */
import { z } from 'zod';
import {
  CustomProxySchema,
  GeoTargetSchema,
  PROXY_LOCATION_MESSAGE,
  ProxyLocationSchema,
} from './schemas.js';
import { normalizeHttpUrl } from './urls.js';

export const BROWSER_SESSION_STATUSES = [
  'created',
  'running',
  'completed',
  'failed',
  'timeout',
] as const;

export const CreateBrowserSessionRequestSchema = z
  .object({
    timeout: z
      .number({ error: 'timeout must be a whole number of minutes' })
      .int({ error: 'timeout must be a whole number of minutes' })
      .min(5, { error: 'timeout must be at least 5 minutes' })
      .nullable()
      .optional()
      .describe(
        'Minutes from start until the session is closed: 5–1440, default 60; above the server ' +
          'maximum (WREN_SESSION_MAX_TIMEOUT_MINUTES, default 1440) capped with a warning',
      ),
    url: z
      .string()
      .refine((v) => normalizeHttpUrl(v) !== null, { message: 'url must be an http or https URL' })
      .nullable()
      .optional()
      .describe('Page the session opens on'),
    proxy_location: z
      .union([ProxyLocationSchema, GeoTargetSchema, CustomProxySchema], {
        error: PROXY_LOCATION_MESSAGE,
      })
      .nullable()
      .optional(),
    browser_profile_id: z
      .string({ error: 'browser_profile_id must be a string' })
      .regex(/^bp_/, { error: 'browser_profile_id must start with bp_' })
      .nullable()
      .optional()
      .describe("Start from this profile's cookies and storage; saved back into it at close"),
    generate_browser_profile: z
      .boolean({ error: 'generate_browser_profile must be true or false' })
      .nullable()
      .optional()
      .describe('Keep the cookies and storage at close, to make a profile from afterwards'),
  })
  .meta({ id: 'CreateBrowserSessionRequest' });
export type CreateBrowserSessionRequest = z.output<typeof CreateBrowserSessionRequestSchema>;

export const BrowserSessionResponseSchema = z
  .object({
    browser_session_id: z.string(),
    organization_id: z.string(),
    status: z.enum(BROWSER_SESSION_STATUSES),
    runnable_type: z.string().nullable(),
    runnable_id: z.string().nullable(),
    timeout: z.number().int().describe('minutes'),
    browser_address: z
      .string()
      .nullable()
      .describe('CDP WebSocket URL (loopback) for Playwright connectOverCDP or Puppeteer'),
    app_url: z.string().nullable(),
    url: z.string().nullable(),
    proxy_location: z.unknown().nullable(),
    vnc_streaming_supported: z.boolean(),
    downloaded_files: z.array(z.unknown()),
    recordings: z.array(z.unknown()),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    expires_at: z.string(),
    created_at: z.string(),
    modified_at: z.string(),
    deleted_at: z.string().nullable(),
    browser_profile_id: z.string().nullable(),
    generate_browser_profile: z.boolean(),
    warning: z.string().nullable().optional(),
  })
  .meta({ id: 'BrowserSessionResponse' });
export type BrowserSessionResponse = z.output<typeof BrowserSessionResponseSchema>;

export const BrowserSessionParamsSchema = z.object({
  browser_session_id: z.string().describe('pbs_…'),
});

export const CloseBrowserSessionResponseSchema = z
  .object({ message: z.string() })
  .meta({ id: 'CloseBrowserSessionResponse' });

export const UpdateBrowserSessionRequestSchema = z
  .object({
    generate_browser_profile: z
      .boolean({ error: 'generate_browser_profile must be true or false' })
      .optional()
      .describe('Keep (true) or not (false) the cookies and storage when the session ends'),
    timeout: z
      .number({ error: 'timeout must be a whole number of minutes' })
      .int({ error: 'timeout must be a whole number of minutes' })
      .min(5, { error: 'timeout must be at least 5 minutes' })
      .max(1440, { error: 'timeout must be at most 1440 minutes' })
      .optional()
      .describe(
        'Wren extension: the new timeout in minutes, counted from the session start as at ' +
          'creation (extends or shortens a live session)',
      ),
  })
  .refine((b) => b.generate_browser_profile !== undefined || b.timeout !== undefined, {
    message: 'give generate_browser_profile or timeout',
  })
  .meta({ id: 'UpdateBrowserSessionRequest' });
export type UpdateBrowserSessionRequest = z.output<typeof UpdateBrowserSessionRequestSchema>;
