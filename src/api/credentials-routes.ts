/**
 * Credential routes under /v1 (the caller's organization comes from x-api-key):
 * - `POST/GET /credentials/totp`: push and list one-time codes (docs/credentials.md);
 * - `POST/GET /credentials`, `POST /credentials/{id}/update|delete` (and `DELETE
 *   /credentials/{id}`): stored logins, cards and secrets in Skyvern's shapes, sealed with the
 *   SecretBox before they reach the store and never returned with a secret value.
 * The rules live in src/credentials; this file maps them onto HTTP.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CredentialCreateSchema,
  CredentialIdParamsSchema,
  CredentialListQuerySchema,
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
  CredentialInputError,
  type CredentialService,
  toCredentialResponse,
  toTotpCodeResponse,
} from '../credentials/index.js';
import { forbidden, org, security } from './v1-routes.js';

export interface CredentialRoutesOptions {
  credentials: CredentialService;
}

const SCOPE_FIELDS = new Set(['task_id', 'workflow_id', 'workflow_run_id']);
/** Never echo these values back in an error (or into a debug log line). */
const SECRET_FIELDS = new Set([
  'password',
  'totp',
  'card_number',
  'card_cvv',
  'card_exp_month',
  'card_exp_year',
  'card_holder_name',
  'secret_value',
  'credential',
]);

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
  // Fields of the credential itself live in `credential` when the body nests them.
  const topLevel = new Set(['body', 'name', 'credential_type', 'credential', 'vault_type']);
  const source =
    nested && typeof nested === 'object' && !Array.isArray(nested) && !topLevel.has(field)
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
  const { credentials } = options;
  const routes = v1.withTypeProvider<ZodTypeProvider>();

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
      try {
        const record = await credentials.pushCode(org(request), request.body);
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
      const rows = await credentials.listCodes({
        organizationId: org(request),
        limit: q.limit,
        ...(q.totp_identifier !== undefined ? { totpIdentifier: q.totp_identifier } : {}),
        ...(q.workflow_run_id !== undefined ? { workflowRunId: q.workflow_run_id } : {}),
        ...(q.otp_type !== undefined ? { otpType: q.otp_type } : {}),
      });
      return rows.map((r) => toTotpCodeResponse(r) as z.input<typeof TotpCodeSchema>);
    },
  );

  /** A service call whose input errors answer as the API does (httpError). */
  const parsing = async <T>(request: FastifyRequest, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw httpError(error, request.body);
    }
  };
  const present = (row: Parameters<typeof toCredentialResponse>[0]) =>
    toCredentialResponse(row) as z.input<typeof CredentialSchema>;

  routes.post(
    '/credentials',
    {
      schema: {
        operationId: 'create_credential',
        summary: 'Store a login, a credit card or a secret for tasks to use',
        tags: ['Credentials'],
        security,
        body: CredentialCreateSchema,
        response: {
          201: CredentialSchema,
          403: forbidden,
          413: ErrorResponseSchema,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const row = await parsing(request, () => credentials.create(org(request), request.body));
      return reply.code(201).send(present(row));
    },
  );

  routes.get(
    '/credentials',
    {
      schema: {
        operationId: 'get_credentials',
        summary: 'List stored credentials (never their secrets), oldest first, a page at a time',
        tags: ['Credentials'],
        security,
        querystring: CredentialListQuerySchema,
        response: {
          200: CredentialSchema.array(),
          403: forbidden,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request) => {
      const q = request.query;
      // Only the built-in vault exists: another vault type has no credentials here.
      if (q.vault_type !== undefined && q.vault_type !== 'skyvern') return [];
      const rows = await credentials.list(org(request), {
        ...(q.credential_type ? { type: q.credential_type } : {}),
        ...(q.search ? { search: q.search } : {}),
        limit: q.page_size,
        offset: (q.page - 1) * q.page_size,
      });
      return rows.map(present);
    },
  );

  routes.get(
    '/credentials/:credential_id',
    {
      schema: {
        operationId: 'get_credential',
        summary: 'Get a stored credential (never its secrets)',
        tags: ['Credentials'],
        security,
        params: CredentialIdParamsSchema,
        response: { 200: CredentialSchema, 403: forbidden, 404: ErrorResponseSchema },
      },
    },
    async (request) => {
      const id = request.params.credential_id;
      const row = await credentials.get(org(request), id);
      if (!row) throw notFound(`Credential not found ${id}`);
      return present(row);
    },
  );

  routes.post(
    '/credentials/:credential_id/update',
    {
      schema: {
        operationId: 'update_credential',
        summary: 'Overwrite a stored credential, keeping its credential_id',
        tags: ['Credentials'],
        security,
        params: CredentialIdParamsSchema,
        body: CredentialCreateSchema,
        response: {
          200: CredentialSchema,
          403: forbidden,
          404: ErrorResponseSchema,
          413: ErrorResponseSchema,
          422: HTTPValidationErrorSchema,
        },
      },
    },
    async (request) => {
      const id = request.params.credential_id;
      const row = await parsing(request, () => credentials.replace(org(request), id, request.body));
      if (!row) throw notFound(`Credential not found ${id}`);
      return present(row);
    },
  );

  const deleteOne = async (organizationId: string, id: string) => {
    if (!(await credentials.delete(organizationId, id)))
      throw notFound(`Credential not found ${id}`);
  };
  const deleteSchema = (operationId: string, summary: string) => ({
    operationId,
    summary,
    tags: ['Credentials'],
    security,
    params: CredentialIdParamsSchema,
    response: {
      204: z.null().describe('Deleted; no content'),
      403: forbidden,
      404: ErrorResponseSchema,
    },
  });

  routes.post(
    '/credentials/:credential_id/delete',
    { schema: deleteSchema('delete_credential', 'Delete a stored credential') },
    async (request, reply) => {
      await deleteOne(org(request), request.params.credential_id);
      return reply.code(204).send(null);
    },
  );

  // Wren's earlier route, kept as an alias.
  routes.delete(
    '/credentials/:credential_id',
    {
      schema: deleteSchema(
        'delete_credential_alias',
        'Delete a stored credential (alias of POST /v1/credentials/{credential_id}/delete)',
      ),
    },
    async (request, reply) => {
      await deleteOne(org(request), request.params.credential_id);
      return reply.code(204).send(null);
    },
  );
}
