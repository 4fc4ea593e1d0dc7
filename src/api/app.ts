/**
 * The HTTP API (Fastify). Thin: parse and validate with the contract's zod schemas, authorize
 * by x-api-key, call the run service, serialize with the same schemas. /openapi.json is generated
 * from those schemas.
 */
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  BulkCancelRunsRequestSchema,
  BulkCancelRunsResponseSchema,
  ErrorResponseSchema,
  HTTPValidationErrorSchema,
  ListRunsQuerySchema,
  RequestValidationError,
  RunIdParamsSchema,
  TaskRunListItemSchema,
  TaskRunRequestSchema,
  TaskRunResponseSchema,
  TimelineEntrySchema,
  type ValidationLocation,
  VersionResponseSchema,
  zodIssuesToDetail,
} from '../contract/index.js';
import { ServiceError } from '../core/index.js';
import type { KeyIdentity, Organization } from '../credentials/index.js';
import type { ProfileService } from '../profiles/index.js';
import type { RunService, ScriptService, SdkActionService } from '../runs/index.js';
import { type CredentialRoutesOptions, registerCredentialRoutes } from './credentials-routes.js';
import type { ApiKeyAuthenticator, KeyAdmin } from './keys.js';
import { registerKeyRoutes } from './keys-routes.js';
import { type LiveRoutesOptions, registerLiveRoutes } from './live-routes.js';
import { registerMcpRoutes } from './mcp-routes.js';
import { notSupportedDetail } from './not-supported.js';
import { registerProfileRoutes } from './profiles-routes.js';
import { type ResultsRoutesOptions, resultsRoutes } from './results-routes.js';
import { registerScriptRoutes } from './scripts-routes.js';
import { registerSdkRoutes } from './sdk-routes.js';
import { registerSessionRoutes, type SessionRoutesOptions } from './sessions-routes.js';
import { type UiOptions, uiRoutes } from './ui-routes.js';
import { forbidden, org, registerV1, security } from './v1-routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    organization: Organization | null;
    /** The x-api-key's id and role (set with `organization`). */
    apiKeyIdentity: KeyIdentity | null;
  }
}

export interface ApiOptions {
  runs: RunService;
  auth: ApiKeyAuthenticator;
  /** Organizations and keys (keys-routes.ts). */
  keys: KeyAdmin;
  logger: Logger;
  bodyLimitBytes: number;
  version: string;
  /** Web UI, Settings and API-key routes (src/api/ui-routes.ts); off when omitted. */
  ui?: UiOptions;
  /** Artifacts and webhook routes (results-routes.ts). */
  results?: ResultsRoutesOptions;
  credentials: CredentialRoutesOptions;
  sessions?: SessionRoutesOptions;
  /** /v1/browser_profiles; off when omitted. */
  profiles?: ProfileService;
  /** Code mode's /v1/scripts and /v1/runs/{run_id}/script; off when omitted. */
  scripts?: ScriptService;
  /** POST /v1/sdk/run_action; off when omitted. */
  sdkActions?: SdkActionService;
  /** Live view WebSockets (live-routes.ts); off when omitted. */
  live?: Omit<LiveRoutesOptions, 'runs' | 'auth'>;
  /** /mcp (mcp-routes.ts): how often a waiting wren_run_task polls its run, ms (default 1000). */
  mcpPollIntervalMs?: number;
}

/** Carries zod issues from the validator compiler to the error handler. */
class ZodRequestError extends Error {
  readonly statusCode = 422;
  constructor(
    readonly issues: readonly z.core.$ZodIssue[],
    readonly input: unknown,
    /** The top-level fields the schema requires (named when the whole body is missing). */
    readonly required: readonly string[],
  ) {
    super('request validation failed');
  }
}

function requiredKeys(schema: z.ZodType): string[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>)
    .filter(([, field]) => !field.safeParse(undefined).success)
    .map(([key]) => key);
}

const LOCATION: Record<string, ValidationLocation> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

function errorReplyFor(error: FastifyError & { validationContext?: string }): {
  status: number;
  body: unknown;
} {
  if (error instanceof ZodRequestError) {
    const location = LOCATION[error.validationContext ?? 'body'] ?? 'body';
    return {
      status: 422,
      body: { detail: zodIssuesToDetail(error.issues, location, error.input, error.required) },
    };
  }
  if (error instanceof RequestValidationError)
    return { status: 422, body: { detail: error.detail } };
  if (error instanceof ServiceError)
    return { status: error.statusCode, body: { detail: error.message } };
  switch (error.code) {
    case 'WREN_INVALID_JSON':
      return { status: 400, body: { detail: error.message } };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { detail: 'Request body is too large' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { detail: 'Unsupported media type: send application/json' } };
    default:
      break;
  }
  const status =
    error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  return { status, body: { detail: status === 500 ? 'Internal server error' : error.message } };
}

/** Deepest nesting of objects/arrays a JSON body may have (docs/api.md). */
export const MAX_JSON_DEPTH = 64;

/**
 * The top-level field (dotted path of its first levels) under which `value` nests deeper than
 * `max` levels, '' when the body itself does, or null when it does not. Iterative: no recursion
 * to overflow.
 */
export function deeperThan(value: unknown, max: number): string | null {
  type Item = { v: unknown; depth: number; path: string[] };
  const stack: Item[] = [{ v: value, depth: 0, path: [] }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop() as Item;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) {
      const shown = path.slice(0, 3).join('.').replace(/\.\[/g, '[');
      return shown.startsWith('[') ? `body${shown}` : shown;
    }
    const entries = Array.isArray(v)
      ? v.map((x, i) => [`[${i}]`, x] as const)
      : Object.entries(v as Record<string, unknown>);
    for (const [k, x] of entries) {
      if (x !== null && typeof x === 'object')
        stack.push({ v: x, depth: depth + 1, path: [...path, k] });
    }
  }
  return null;
}

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const { runs, auth, logger } = options;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true },
  });

  app.setValidatorCompiler(({ schema, httpPart }) => (data: unknown) => {
    const result = (schema as z.ZodType).safeParse(data, { reportInput: true });
    if (result.success) return { value: result.data };
    const error = new ZodRequestError(result.error.issues, data, requiredKeys(schema as z.ZodType));
    Object.assign(error, { validationContext: httpPart });
    return { error };
  });
  app.setSerializerCompiler(serializerCompiler);

  // JSON bodies: an empty body counts as "no body" (so bodiless POSTs with a JSON content type
  // work); malformed JSON is a 400 that says where it broke.
  // text/plain too: fetch() and some HTTP tools label a JSON string body that way.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    ['application/json', 'text/plain'],
    { parseAs: 'string' },
    (_req, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        done(
          Object.assign(new Error(`Malformed JSON body: ${reason}`), {
            statusCode: 400,
            code: 'WREN_INVALID_JSON',
          }),
          undefined,
        );
        return;
      }
      // Deeply nested values overflow recursive validators and serializers: refused up front, before
      // anything is stored, naming the field (issue 17).
      const tooDeep = deeperThan(parsed, MAX_JSON_DEPTH);
      if (tooDeep !== null) {
        done(
          Object.assign(
            new Error(
              `${tooDeep || 'the request body'}: JSON nested deeper than ${MAX_JSON_DEPTH} levels; flatten it`,
            ),
            { statusCode: 400, code: 'WREN_JSON_TOO_DEEP' },
          ),
          undefined,
        );
        return;
      }
      done(null, parsed);
    },
  );

  app.decorateRequest('organization', null);
  app.decorateRequest('apiKeyIdentity', null);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = errorReplyFor(error);
    if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    else request.log.debug({ status, url: request.url, detail: body }, 'request rejected');
    return reply.code(status).type('application/json').send(JSON.stringify(body));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ detail: notSupportedDetail(request.method, request.url) ?? 'Not Found' }),
  );

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Wren',
        version: options.version,
        description:
          'Runs browser tasks with an AI agent. Compatible with the Skyvern Run Task API. ' +
          'Every /v1 route needs an x-api-key header.',
      },
      components: {
        securitySchemes: { ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    reply.type('application/json').send(JSON.stringify(app.swagger()));
  });
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  // Like Skyvern's, the version route needs no API key.
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/version',
    {
      schema: {
        operationId: 'get_version',
        summary: 'The server version',
        tags: ['Server'],
        response: { 200: VersionResponseSchema },
      },
    },
    async () => ({ version: options.version, server: 'wren' }),
  );

  await registerSessionRoutes(app, options.sessions);
  if (options.live) {
    await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
    await registerLiveRoutes(app, { ...options.live, runs, auth });
  }
  await registerV1(app, auth, async (routes, v1) => {
    routes.post(
      '/run/tasks',
      {
        schema: {
          operationId: 'run_task',
          summary: 'Run a task',
          tags: ['Runs'],
          security,
          body: TaskRunRequestSchema,
          response: {
            200: TaskRunResponseSchema,
            400: ErrorResponseSchema,
            403: forbidden,
            413: ErrorResponseSchema,
            422: HTTPValidationErrorSchema,
            429: ErrorResponseSchema.describe('Over the max_active_runs quota'),
          },
        },
      },
      async (request) =>
        runs.createTaskRun(org(request), request.body, {
          apiKey: [request.headers['x-api-key']].flat()[0] ?? null,
        }),
    );

    routes.get(
      '/runs',
      {
        schema: {
          operationId: 'get_runs',
          summary: 'List runs, newest first',
          tags: ['Runs'],
          security,
          querystring: ListRunsQuerySchema,
          response: {
            200: TaskRunListItemSchema.array(),
            403: forbidden,
            422: HTTPValidationErrorSchema,
          },
        },
      },
      async (request) => runs.listRuns(org(request), request.query),
    );

    routes.get(
      '/runs/:run_id',
      {
        schema: {
          operationId: 'get_run',
          summary: 'Get a run',
          tags: ['Runs'],
          security,
          params: RunIdParamsSchema,
          response: { 200: TaskRunResponseSchema, 403: forbidden, 404: ErrorResponseSchema },
        },
      },
      async (request) => runs.getRun(org(request), request.params.run_id),
    );

    routes.get(
      '/runs/:run_id/timeline',
      {
        schema: {
          operationId: 'get_run_timeline',
          summary: "A run's sub-goals, steps, actions and model calls, in order",
          tags: ['Runs'],
          security,
          params: RunIdParamsSchema,
          response: {
            200: TimelineEntrySchema.array(),
            403: forbidden,
            404: ErrorResponseSchema,
          },
        },
      },
      async (request) => runs.getTimeline(org(request), request.params.run_id),
    );

    routes.post(
      '/runs/cancel',
      {
        schema: {
          operationId: 'bulk_cancel_runs',
          summary: 'Cancel several queued or running runs; says which could not be',
          tags: ['Runs'],
          security,
          body: BulkCancelRunsRequestSchema,
          response: {
            200: BulkCancelRunsResponseSchema,
            403: forbidden,
            422: HTTPValidationErrorSchema,
          },
        },
      },
      async (request) => runs.bulkCancel(org(request), request.body.run_ids),
    );

    routes.post(
      '/runs/:run_id/cancel',
      {
        schema: {
          operationId: 'cancel_run',
          summary: 'Cancel a queued or running run',
          tags: ['Runs'],
          security,
          params: RunIdParamsSchema,
          response: {
            200: z.null().describe('JSON null'),
            400: ErrorResponseSchema,
            403: forbidden,
            404: ErrorResponseSchema,
          },
        },
      },
      async (request) => {
        await runs.cancelRun(org(request), request.params.run_id);
        return null;
      },
    );

    await registerKeyRoutes(v1, options.keys);
    await registerCredentialRoutes(v1, options.credentials);
    if (options.profiles) await registerProfileRoutes(v1, options.profiles);
    if (options.sdkActions) await registerSdkRoutes(v1, options.sdkActions);
    if (options.scripts) await registerScriptRoutes(v1, options.scripts);
  });
  if (options.results) await app.register(resultsRoutes(auth, options.results), { prefix: '/v1' });
  await registerMcpRoutes(app, {
    auth,
    sdkActions: options.sdkActions,
    version: options.version,
    pollIntervalMs: options.mcpPollIntervalMs,
  });

  if (options.ui) await app.register(uiRoutes, { ...options.ui, auth });

  return app;
}
