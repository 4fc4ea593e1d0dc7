/**
 * What the /v1 route files share: registering behind the x-api-key check, the OpenAPI security
 * requirement and 403 answer of such routes, and the caller's organization.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ErrorResponseSchema } from '../contract/index.js';
import { type ApiKeyAuthenticator, requireApiKey } from './keys.js';

/** The OpenAPI security requirement of a route behind requireApiKey (x-api-key). */
export const security = [{ ApiKeyHeader: [] }];

/** The 403 answer of a route behind requireApiKey. */
export const forbidden = ErrorResponseSchema.describe('Missing or invalid x-api-key');

/** The caller's organization id, set by requireApiKey. */
export function org(request: FastifyRequest): string {
  return (request.organization as { id: string }).id;
}

/** Registers routes under /v1 behind requireApiKey; `register` gets the zod-typed instance. */
export async function registerV1(
  app: FastifyInstance,
  auth: ApiKeyAuthenticator,
  register: (routes: ZodRoutes, v1: FastifyInstance) => Promise<void> | void,
): Promise<void> {
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', requireApiKey(auth));
      await register(zodRoutes(v1), v1);
    },
    { prefix: '/v1' },
  );
}

/** `v1` with its routes typed by their zod schemas. */
export function zodRoutes(v1: FastifyInstance) {
  return v1.withTypeProvider<ZodTypeProvider>();
}

export type ZodRoutes = ReturnType<typeof zodRoutes>;
