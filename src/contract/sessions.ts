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
      .describe('Minutes from start until the session is closed; default 60, above 240 capped'),
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
