/**
 * Browser profiles, bulk cancel, session update and version: Skyvern's `BrowserProfile`,
 * `CreateBrowserProfileRequest`, `UpdateBrowserProfileRequest`, `BulkCancelRunsRequest/Response`
 * and `UpdateBrowserSessionRequest` shapes.
 */
import { z } from 'zod';
import {
  CustomProxySchema,
  GeoTargetSchema,
  PROXY_LOCATION_MESSAGE,
  ProxyLocationSchema,
} from './schemas.js';

const proxyLocation = z
  .union([ProxyLocationSchema, GeoTargetSchema, CustomProxySchema], {
    error: PROXY_LOCATION_MESSAGE,
  })
  .nullable()
  .optional();

const timestamp = z.iso.datetime({ offset: true });

export const CreateBrowserProfileRequestSchema = z
  .object({
    name: z
      .string({
        error: (issue) =>
          issue.input === undefined ? 'name is required' : 'name must be a string',
      })
      .min(1, { error: 'name must not be empty' })
      .max(255, { error: 'name must be at most 255 characters' }),
    browser_session_id: z
      .string({ error: 'browser_session_id must be a string' })
      .min(1)
      .nullable()
      .optional()
      .describe('Copy the cookies and storage of this browser session (live, or kept at close).'),
    workflow_run_id: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .describe('Not supported by Wren (no workflows): 400.'),
    proxy_location: proxyLocation,
    proxy_session_id: z.string().nullable().optional(),
  })
  .meta({ id: 'CreateBrowserProfileRequest' });

export const UpdateBrowserProfileRequestSchema = z
  .object({
    name: z
      .string({ error: 'name must be a string' })
      .min(1, { error: 'name must not be empty' })
      .max(255, { error: 'name must be at most 255 characters' })
      .nullable()
      .optional(),
    proxy_location: proxyLocation,
    proxy_session_id: z.string().nullable().optional(),
    rotate_proxy_session_id: z.boolean().optional().describe('Accepted and ignored by Wren.'),
  })
  .meta({ id: 'UpdateBrowserProfileRequest' });

export const BrowserProfileSchema = z
  .object({
    browser_profile_id: z.string(),
    organization_id: z.string(),
    name: z.string(),
    source_browser_type: z.string().nullable(),
    proxy_location: z.unknown().nullable(),
    proxy_session_id: z.string().nullable(),
    is_managed: z.boolean(),
    workflow_permanent_id: z.null(),
    browser_profile_key_digest: z.null(),
    created_at: timestamp,
    modified_at: timestamp,
    deleted_at: timestamp.nullable(),
  })
  .meta({ id: 'BrowserProfile' });
export type BrowserProfileResponse = z.output<typeof BrowserProfileSchema>;

const flag = z
  .union([z.boolean(), z.enum(['true', 'false'])], { error: 'must be true or false' })
  .transform((v) => v === true || v === 'true');

export const ListBrowserProfilesQuerySchema = z.object({
  page: z.coerce.number().int().min(1, { error: 'page must be at least 1' }).default(1),
  page_size: z.coerce.number().int().min(1, { error: 'page_size must be at least 1' }).default(10),
  include_deleted: flag.default(false),
  search_key: z.string().optional(),
  managed: flag.optional(),
});

export const BrowserProfileParamsSchema = z.object({
  profile_id: z.string().describe('bp_…'),
});

export const BulkCancelRunsRequestSchema = z
  .object({
    run_ids: z
      .array(z.string({ error: 'run_ids must hold strings' }), {
        error: (issue) =>
          issue.input === undefined ? 'run_ids is required' : 'run_ids must be an array of run ids',
      })
      .max(100, { error: 'run_ids holds at most 100 ids' }),
  })
  .meta({ id: 'BulkCancelRunsRequest' });

export const BulkCancelRunsResponseSchema = z
  .object({ cancelled: z.array(z.string()), failed: z.array(z.string()) })
  .meta({ id: 'BulkCancelRunsResponse' });

export const VersionResponseSchema = z
  .record(z.string(), z.string())
  .meta({ id: 'VersionResponse', description: '{"version": "<Wren version>", "server": "wren"}' });
