/**
 * The HTTP side of API keys: the x-api-key header and the hook that refuses requests without a
 * valid key. Keys and organizations themselves are credentials/' (api-keys.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyAuthenticator } from '../credentials/index.js';

export type { ApiKeyAuthenticator, ApiKeyView, KeyAdmin } from '../credentials/index.js';

export const INVALID_CREDENTIALS = { detail: 'Invalid credentials' };

/** The x-api-key header of a request (its first value when repeated). */
export function apiKeyHeader(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  return Array.isArray(header) ? header[0] : header;
}

/** An onRequest hook: 403 without a valid x-api-key, else `request.organization` is set. */
export function requireApiKey(auth: ApiKeyAuthenticator) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const identity = await auth.identify(apiKeyHeader(request));
    if (!identity) return reply.code(403).send(INVALID_CREDENTIALS);
    request.organization = identity.organization;
    request.apiKeyIdentity = identity;
  };
}
