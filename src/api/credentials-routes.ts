/**
 * Credential routes under /v1 (the caller's organization comes from x-api-key):
 * - `POST/GET /credentials/totp`: push and list one-time codes (contract §8.1);
 * - `POST/GET/DELETE /credentials`: stored logins, sealed with the SecretBox before they reach
 *   the store and never returned with their password or TOTP secret.
 * The rules live in src/credentials; this file maps them onto HTTP.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CredentialCreateSchema,
  CredentialIdParamsSchema,
  CredentialSchema,
  ErrorResponseSchema,
  HTTPValidationErrorSchema,
  RequestValidationError,
  TotpCodeCreateSchema,
  TotpCodeListQuerySchema,
  TotpCodeSchema,
} from '../contract/index.js';
import { badRequest, notFound } from '../core/index.js';
import {
  acceptTotpPush,
  CredentialInputError,
  type Disambiguate,
  parseCredentialInput,
  type SecretBox,
  sealCredential,
  toCredentialResponse,
  toTotpCodeResponse,
} from '../credentials/index.js';
import type { Organization, Store } from '../store/index.js';

export interface CredentialRoutesOptions {
  store: Store;
  /** Seals passwords and TOTP secrets (loadSecretBox). */
  box: SecretBox;
  /** Model fallback for ambiguous pushed content; without it such content is kept raw. */
  disambiguate?: Disambiguate;
}

const SCOPE_FIELDS = new Set(['task_id', 'workflow_id', 'workflow_run_id']);
/** Never echo these values back in an error (or into a debug log line). */
const SECRET_FIELDS = new Set(['password', 'totp']);

/** A core validation error as the API answers it: 400 for meaning, 422 (naming the field) for shape. */
function httpError(error: unknown, body: unknown): unknown {
  if (!(error instanceof CredentialInputError)) return error;
  const { field, reason } = error;
  if (SCOPE_FIELDS.has(field)) {
    // Skyvern answers 400 "Invalid task id"; keep that start and name the field.
    const input = (body as Record<string, unknown> | null)?.[field];
    return badRequest(
      `Invalid ${field.replace(/_id$/, ' id').replace('_', ' ')}: ${field} ${JSON.stringify(input)} does not exist in this organization`,
    );
  }
  if (field === 'content' && reason.startsWith('no code or link found')) {
    return badRequest(`content: ${reason}`);
  }
  const detail: {
    type: string;
    loc: (string | number)[];
    msg: string;
    input?: unknown;
  } = {
    type: reason === 'is required' ? 'missing' : 'value_error',
    loc: ['body', field],
    // "password is required" reads better than "password: is required".
    msg: /^(is|must) /.test(reason) ? `${field} ${reason}` : error.message,
  };
  const outer = (body ?? {}) as Record<string, unknown>;
  const nested = outer['credential'];
  const source =
    nested && typeof nested === 'object' && field in nested
      ? (nested as Record<string, unknown>)
      : outer;
  if (source !== outer) detail.loc = ['body', 'credential', field];
  if (!SECRET_FIELDS.has(field) && source[field] !== undefined) detail.input = source[field];
  return new RequestValidationError([detail]);
}

export async function registerCredentialRoutes(
  v1: FastifyInstance,
  options: CredentialRoutesOptions,
): Promise<void> {
  const { store, box } = options;
  const routes = v1.withTypeProvider<ZodTypeProvider>();
  const security = [{ ApiKeyHeader: [] }];
  const forbidden = ErrorResponseSchema.describe('Missing or invalid x-api-key');
  const org = (request: FastifyRequest) => (request.organization as Organization).id;

  routes.post(
    '/credentials/totp',
    {
      schema: {
        operationId: 'send_totp_code',
        summary: 'Push a one-time code (or the SMS/email that holds it) for a totp_identifier',
        tags: ['Credentials'],
        security,
        body: TotpCodeCreateSchema,
        response: {
          200: TotpCodeSchema,
          400: ErrorResponseSchema,
          403: forbidden,
          413: ErrorResponseSchema,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request) => {
      const organizationId = org(request);
      try {
        const record = await acceptTotpPush(request.body, {
          organizationId,
          store: store.totpCodes,
          ...(options.disambiguate ? { disambiguate: options.disambiguate } : {}),
          // Wren has no workflows: a workflow scope never exists.
          scopeExists: async (field, id) =>
            field === 'task_id' && (await store.getRun(organizationId, id)) !== null,
        });
        return toTotpCodeResponse(record) as z.input<typeof TotpCodeSchema>;
      } catch (error) {
        throw httpError(error, request.body);
      }
    },
  );

  routes.get(
    '/credentials/totp',
    {
      schema: {
        operationId: 'get_totp_codes',
        summary: 'List recently pushed codes, newest first',
        tags: ['Credentials'],
        security,
        querystring: TotpCodeListQuerySchema,
        response: {
          200: TotpCodeSchema.array(),
          403: forbidden,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await store.totpCodes.list({
        organizationId: org(request),
        limit: q.limit,
        ...(q.totp_identifier !== undefined ? { totpIdentifier: q.totp_identifier } : {}),
        ...(q.workflow_run_id !== undefined ? { workflowRunId: q.workflow_run_id } : {}),
        ...(q.otp_type !== undefined ? { otpType: q.otp_type } : {}),
      });
      return rows.map((r) => toTotpCodeResponse(r) as z.input<typeof TotpCodeSchema>);
    },
  );

  routes.post(
    '/credentials',
    {
      schema: {
        operationId: 'create_credential',
        summary: 'Store a login (username, password, optional TOTP secret) for tasks to use',
        tags: ['Credentials'],
        security,
        body: CredentialCreateSchema,
        response: {
          200: CredentialSchema,
          403: forbidden,
          413: ErrorResponseSchema,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request) => {
      try {
        const input = parseCredentialInput(request.body);
        const row = sealCredential(input, { box, organizationId: org(request) });
        await store.credentials.insert(row);
        return toCredentialResponse(row) as z.input<typeof CredentialSchema>;
      } catch (error) {
        throw httpError(error, request.body);
      }
    },
  );

  routes.get(
    '/credentials',
    {
      schema: {
        operationId: 'get_credentials',
        summary: 'List stored logins (never their passwords or secrets), oldest first',
        tags: ['Credentials'],
        security,
        response: { 200: CredentialSchema.array(), 403: forbidden },
      },
    },
    async (request) => {
      const rows = await store.credentials.list(org(request));
      return rows.map((r) => toCredentialResponse(r) as z.input<typeof CredentialSchema>);
    },
  );

  routes.get(
    '/credentials/:credential_id',
    {
      schema: {
        operationId: 'get_credential',
        summary: 'Get a stored login (never its password or secret)',
        tags: ['Credentials'],
        security,
        params: CredentialIdParamsSchema,
        response: { 200: CredentialSchema, 403: forbidden, 404: ErrorResponseSchema },
      },
    },
    async (request) => {
      const id = request.params.credential_id;
      const row = await store.credentials.get(org(request), id);
      if (!row) throw notFound(`Credential not found ${id}`);
      return toCredentialResponse(row) as z.input<typeof CredentialSchema>;
    },
  );

  routes.delete(
    '/credentials/:credential_id',
    {
      schema: {
        operationId: 'delete_credential',
        summary: 'Delete a stored login',
        tags: ['Credentials'],
        security,
        params: CredentialIdParamsSchema,
        response: {
          204: z.null().describe('Deleted; no content'),
          403: forbidden,
          404: ErrorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const id = request.params.credential_id;
      if (!(await store.credentials.delete(org(request), id)))
        throw notFound(`Credential not found ${id}`);
      return reply.code(204).send(null);
    },
  );
}
