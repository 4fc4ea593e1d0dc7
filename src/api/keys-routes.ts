/**
 * Organizations and API keys under /v1 (Wren-only routes; docs/api.md, docs/security.md):
 * - `GET /api_keys`: the caller's organization's keys, prefixes only (any key; an admin key may
 *   name another organization with `?organization_id=`);
 * - `POST /api_keys`, `POST /api_keys/{key_id}/revoke`, `POST /api_keys/{key_id}/rotate`: admin
 *   keys only; a new key appears in the answer once;
 * - `GET /organizations/current`: the caller's organization, its quotas and whether the key is an
 *   admin key;
 * - `GET/POST /organizations`, `PATCH /organizations/{organization_id}`: admin keys only.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorResponseSchema, HTTPValidationErrorSchema } from '../contract/index.js';
import { ServiceError } from '../core/index.js';
import type { ApiKeyView, KeyAdmin } from './keys.js';
import { security } from './v1-routes.js';

const ApiKeyItemSchema = z
  .object({
    id: z.string(),
    organization_id: z.string(),
    prefix: z
      .string()
      .describe('The first characters of the key; the key itself is never shown again'),
    label: z.string().nullable(),
    admin: z.boolean().describe('May create organizations and mint or revoke keys'),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .meta({ id: 'ApiKeyItem' });

const CreatedApiKeySchema = z
  .object({
    api_key: z.string().describe('The new key. Shown only in this answer; store it now.'),
    id: z.string(),
    organization_id: z.string(),
    prefix: z.string(),
    label: z.string().nullable(),
    admin: z.boolean(),
    created_at: z.string(),
  })
  .meta({ id: 'CreatedApiKey' });

const label = z
  .string()
  .max(100, { error: 'label must be at most 100 characters' })
  .nullable()
  .optional();

const CreateApiKeyBodySchema = z
  .object({
    label,
    admin: z.boolean().optional().describe('An admin key (default false)'),
    organization_id: z
      .string()
      .min(1)
      .optional()
      .describe("The key's organization (default: the caller's)"),
  })
  .nullable()
  .optional();

const KeyIdParamsSchema = z.object({ key_id: z.string().min(1).max(100) });
const OrganizationIdParamsSchema = z.object({ organization_id: z.string().min(1).max(100) });
const ListKeysQuerySchema = z.object({
  organization_id: z
    .string()
    .min(1)
    .optional()
    .describe("Another organization's keys (admin keys only)"),
});

const quota = (what: string) =>
  z
    .number()
    .int({ error: `${what} must be a whole number` })
    .min(0)
    .max(100_000)
    .nullable()
    .optional()
    .describe(`Override of the server default; null restores the default`);

const OrganizationSchema = z
  .object({
    organization_id: z.string(),
    name: z.string(),
    created_at: z.string(),
    max_browser_sessions: z.number().int().describe('Concurrent browser sessions allowed'),
    max_active_runs: z.number().int().describe('Runs allowed at once (created, queued, running)'),
    overrides: z.object({
      max_browser_sessions: z.number().int().nullable(),
      max_active_runs: z.number().int().nullable(),
    }),
  })
  .meta({ id: 'Organization' });

const CurrentOrganizationSchema = OrganizationSchema.extend({
  key_id: z.string().describe('The x-api-key making this request'),
  admin: z.boolean().describe('Whether that key is an admin key'),
}).meta({ id: 'CurrentOrganization' });

const CreateOrganizationBodySchema = z.object({
  name: z.string().trim().min(1, { error: 'name must not be empty' }).max(100),
  max_browser_sessions: quota('max_browser_sessions'),
  max_active_runs: quota('max_active_runs'),
  admin_key: z.boolean().optional().describe('Make the first key an admin key (default false)'),
});

const UpdateOrganizationBodySchema = z.object({
  max_browser_sessions: quota('max_browser_sessions'),
  max_active_runs: quota('max_active_runs'),
});

const CreatedOrganizationSchema = z
  .object({ organization: OrganizationSchema, api_key: CreatedApiKeySchema })
  .meta({ id: 'CreatedOrganization' });

const created = (apiKey: string, key: ApiKeyView) => ({
  api_key: apiKey,
  id: key.id,
  organization_id: key.organization_id,
  prefix: key.prefix,
  label: key.label,
  admin: key.admin,
  created_at: key.created_at,
});

/** Why a non-admin key is refused: names the header and what it lacks. */
export const notAdmin = (action: string) =>
  new ServiceError(403, `x-api-key: only an admin key may ${action}; this key is not one`);

export async function registerKeyRoutes(v1: FastifyInstance, admin: KeyAdmin): Promise<void> {
  const routes = v1.withTypeProvider<ZodTypeProvider>();
  const forbidden = ErrorResponseSchema.describe(
    'Missing or invalid x-api-key, or an ordinary key where an admin key is needed',
  );
  const identity = (request: FastifyRequest) => {
    const id = request.apiKeyIdentity;
    if (!id) throw new ServiceError(403, 'Invalid credentials');
    return id;
  };
  const requireAdmin = (request: FastifyRequest, action: string) => {
    const id = identity(request);
    if (!id.admin) throw notAdmin(action);
    return id;
  };

  routes.get(
    '/api_keys',
    {
      schema: {
        operationId: 'list_api_keys',
        summary: "List an organization's API keys (prefixes only)",
        tags: ['Organizations and keys'],
        security,
        querystring: ListKeysQuerySchema,
        response: {
          200: ApiKeyItemSchema.array(),
          403: forbidden,
          404: ErrorResponseSchema,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request) => {
      const id = identity(request);
      const orgId = request.query.organization_id ?? id.organization.id;
      if (orgId !== id.organization.id) {
        if (!id.admin) throw notAdmin("list another organization's keys");
        await admin.organization(orgId);
      }
      return admin.listKeys(orgId);
    },
  );

  routes.post(
    '/api_keys',
    {
      schema: {
        operationId: 'create_api_key',
        summary: 'Create an API key (admin keys only; shown once)',
        tags: ['Organizations and keys'],
        security,
        body: CreateApiKeyBodySchema,
        response: {
          200: CreatedApiKeySchema,
          403: forbidden,
          404: ErrorResponseSchema,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const id = requireAdmin(request, 'create API keys');
      const body = request.body ?? {};
      const result = await admin.createKey(body.organization_id ?? id.organization.id, {
        label: body.label?.trim() || null,
        admin: body.admin ?? false,
        source: 'api',
      });
      reply.header('cache-control', 'no-store');
      return created(result.apiKey, result.key);
    },
  );

  routes.post(
    '/api_keys/:key_id/revoke',
    {
      schema: {
        operationId: 'revoke_api_key',
        summary: 'Revoke an API key at once (admin keys only)',
        tags: ['Organizations and keys'],
        security,
        params: KeyIdParamsSchema,
        response: {
          200: ApiKeyItemSchema,
          403: forbidden,
          404: ErrorResponseSchema,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request) => {
      requireAdmin(request, 'revoke API keys');
      return admin.revokeKey(request.params.key_id);
    },
  );

  routes.post(
    '/api_keys/:key_id/rotate',
    {
      schema: {
        operationId: 'rotate_api_key',
        summary: 'Replace an API key with a new one and revoke it (admin keys only)',
        tags: ['Organizations and keys'],
        security,
        params: KeyIdParamsSchema,
        response: {
          200: CreatedApiKeySchema,
          403: forbidden,
          404: ErrorResponseSchema,
          409: ErrorResponseSchema,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request, 'rotate API keys');
      const result = await admin.rotateKey(request.params.key_id, 'api');
      reply.header('cache-control', 'no-store');
      return created(result.apiKey, result.key);
    },
  );

  routes.get(
    '/organizations/current',
    {
      schema: {
        operationId: 'get_current_organization',
        summary: "The caller's organization, its quotas, and whether the key is an admin key",
        tags: ['Organizations and keys'],
        security,
        response: { 200: CurrentOrganizationSchema, 403: forbidden },
      },
    },
    async (request) => {
      const id = identity(request);
      return {
        ...(await admin.organization(id.organization.id)),
        key_id: id.keyId,
        admin: id.admin,
      };
    },
  );

  routes.get(
    '/organizations',
    {
      schema: {
        operationId: 'list_organizations',
        summary: 'List organizations (admin keys only)',
        tags: ['Organizations and keys'],
        security,
        response: { 200: OrganizationSchema.array(), 403: forbidden },
      },
    },
    async (request) => {
      requireAdmin(request, 'list organizations');
      return admin.organizations();
    },
  );

  routes.post(
    '/organizations',
    {
      schema: {
        operationId: 'create_organization',
        summary: 'Create an organization and its first key (admin keys only)',
        tags: ['Organizations and keys'],
        security,
        body: CreateOrganizationBodySchema,
        response: {
          200: CreatedOrganizationSchema,
          403: forbidden,
          409: ErrorResponseSchema,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request, 'create organizations');
      const body = request.body;
      const result = await admin.createOrganization({
        name: body.name,
        maxBrowserSessions: body.max_browser_sessions ?? null,
        maxActiveRuns: body.max_active_runs ?? null,
        admin: body.admin_key ?? false,
        source: 'api',
      });
      reply.header('cache-control', 'no-store');
      return { organization: result.organization, api_key: created(result.apiKey, result.key) };
    },
  );

  routes.patch(
    '/organizations/:organization_id',
    {
      schema: {
        operationId: 'update_organization',
        summary: "Set an organization's quota overrides (admin keys only)",
        tags: ['Organizations and keys'],
        security,
        params: OrganizationIdParamsSchema,
        body: UpdateOrganizationBodySchema,
        response: {
          200: OrganizationSchema,
          403: forbidden,
          404: ErrorResponseSchema,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request) => {
      requireAdmin(request, 'change organizations');
      return admin.setQuotas(request.params.organization_id, {
        ...(request.body.max_browser_sessions !== undefined
          ? { maxBrowserSessions: request.body.max_browser_sessions }
          : {}),
        ...(request.body.max_active_runs !== undefined
          ? { maxActiveRuns: request.body.max_active_runs }
          : {}),
      });
    },
  );
}
