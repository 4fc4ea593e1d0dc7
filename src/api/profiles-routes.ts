/**
 * /v1/browser_profiles (Skyvern's shapes): create (blank, or from a browser session), list,
 * get, update, delete. The rules live in src/profiles; this file maps them onto HTTP.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  BrowserProfileParamsSchema,
  BrowserProfileSchema,
  CreateBrowserProfileRequestSchema,
  ErrorResponseSchema,
  HTTPValidationErrorSchema,
  ListBrowserProfilesQuerySchema,
  UpdateBrowserProfileRequestSchema,
} from '../contract/index.js';
import type { ProfileService } from '../profiles/index.js';
import { forbidden, org, security } from './v1-routes.js';

export async function registerProfileRoutes(
  v1: FastifyInstance,
  profiles: ProfileService,
): Promise<void> {
  const routes = v1.withTypeProvider<ZodTypeProvider>();
  const tags = ['Browser profiles'];

  routes.post(
    '/browser_profiles',
    {
      schema: {
        operationId: 'create_browser_profile',
        summary: "Create a browser profile: blank, or from a browser session's cookies and storage",
        tags,
        security,
        body: CreateBrowserProfileRequestSchema,
        response: {
          200: BrowserProfileSchema,
          400: ErrorResponseSchema,
          403: forbidden,
          409: ErrorResponseSchema,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request) => profiles.present(await profiles.create(org(request), request.body)),
  );

  routes.get(
    '/browser_profiles',
    {
      schema: {
        operationId: 'list_browser_profiles',
        summary: 'List browser profiles, newest first',
        tags,
        security,
        querystring: ListBrowserProfilesQuerySchema,
        response: {
          200: BrowserProfileSchema.array(),
          403: forbidden,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request) =>
      (await profiles.list(org(request), request.query)).map((p) => profiles.present(p)),
  );

  routes.get(
    '/browser_profiles/:profile_id',
    {
      schema: {
        operationId: 'get_browser_profile',
        summary: 'Get a browser profile (never its cookies or storage)',
        tags,
        security,
        params: BrowserProfileParamsSchema,
        response: { 200: BrowserProfileSchema, 403: forbidden, 404: ErrorResponseSchema },
      },
    },
    async (request) =>
      profiles.present(await profiles.get(org(request), request.params.profile_id)),
  );

  routes.patch(
    '/browser_profiles/:profile_id',
    {
      schema: {
        operationId: 'update_browser_profile',
        summary: 'Rename a browser profile or change its proxy',
        tags,
        security,
        params: BrowserProfileParamsSchema,
        body: UpdateBrowserProfileRequestSchema,
        response: {
          200: BrowserProfileSchema,
          403: forbidden,
          404: ErrorResponseSchema,
          409: ErrorResponseSchema,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request) =>
      profiles.present(
        await profiles.update(org(request), request.params.profile_id, request.body),
      ),
  );

  routes.delete(
    '/browser_profiles/:profile_id',
    {
      schema: {
        operationId: 'delete_browser_profile',
        summary: 'Delete a browser profile (its saved state is erased)',
        tags,
        security,
        params: BrowserProfileParamsSchema,
        response: {
          204: z.null().describe('Deleted; no content'),
          403: forbidden,
          404: ErrorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      await profiles.delete(org(request), request.params.profile_id);
      return reply.code(204).send(null);
    },
  );
}
