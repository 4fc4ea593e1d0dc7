/**
 * /mcp: the MCP server over streamable HTTP (docs/mcp.md), with the same API keys as /v1 (x-api-key
 * or Authorization: Bearer). The tools' backend is this API itself: runs and sessions go through
 * the /v1 routes in-process (Fastify inject, with the caller's key: same validation, errors and
 * presentation), primitives through the run_action service.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ValidationErrorItem } from '../contract/index.js';
import { ServiceError } from '../core/index.js';
import {
  handleMcpHttp,
  type ListRunsArgs,
  type McpBackend,
  type McpServerOptions,
  McpToolError,
} from '../mcp/index.js';
import type { PrimitiveAction, SdkActionService } from '../runs/index.js';
import { injectJson } from './inject.js';
import type { ApiKeyAuthenticator } from './keys.js';

export interface McpRoutesOptions {
  auth: ApiKeyAuthenticator;
  sdkActions?: SdkActionService;
  version: string;
  /** How often a waiting wren_run_task polls, ms. */
  pollIntervalMs?: number;
}

/** The API key of a request: x-api-key, else Authorization: Bearer. */
export function requestApiKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (key) return key;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return bearer?.[1];
}

/** `field: why; …` from the API's error body (the body is the tool's arguments). */
function detailText(detail: unknown): string {
  if (Array.isArray(detail)) {
    return (detail as ValidationErrorItem[])
      .map((d) => {
        const loc = (d.loc ?? []).filter(
          (p, i) => !(i === 0 && ['body', 'query'].includes(String(p))),
        );
        return `${loc.length ? loc.join('.') : 'arguments'}: ${d.msg}`;
      })
      .join('; ');
  }
  return typeof detail === 'string' ? detail : JSON.stringify(detail);
}

/** McpBackend over this API in-process, acting as the caller (their key and organization). */
export function inProcessMcpBackend(options: {
  app: FastifyInstance;
  apiKey: string;
  organizationId: string;
  sdkActions?: SdkActionService;
}): McpBackend {
  const { app, apiKey, organizationId, sdkActions } = options;
  const call = <T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> =>
    injectJson<T>(
      app,
      apiKey,
      { method, url, body },
      (status, detail) => new McpToolError(`${detailText(detail)} (HTTP ${status})`),
    );
  const id = encodeURIComponent;
  return {
    runTask: (request) => call('POST', '/v1/run/tasks', request),
    getRun: (runId) => call('GET', `/v1/runs/${id(runId)}`),
    listRuns(query: ListRunsArgs) {
      const params = new URLSearchParams();
      if (query.page) params.set('page', String(query.page));
      if (query.page_size) params.set('page_size', String(query.page_size));
      if (query.search_key) params.set('search_key', query.search_key);
      for (const s of query.status ?? []) params.append('status', s);
      const qs = params.toString();
      return call('GET', `/v1/runs${qs ? `?${qs}` : ''}`);
    },
    async cancelRun(runId) {
      await call('POST', `/v1/runs/${id(runId)}/cancel`);
    },
    createBrowserSession: (request) => call('POST', '/v1/browser_sessions', request),
    async closeBrowserSession(sessionId) {
      await call('POST', `/v1/browser_sessions/${id(sessionId)}/close`);
    },
    async primitive(sessionId, action, url) {
      if (!sdkActions) throw new McpToolError('this server does not run browser primitives');
      try {
        return await sdkActions.run(
          organizationId,
          { browserSessionId: sessionId, url: url ?? null },
          action as PrimitiveAction,
          'arguments',
        );
      } catch (e) {
        if (e instanceof ServiceError) {
          // An unknown or closed session: say which argument it was.
          const session =
            (e.statusCode === 404 || e.statusCode === 409) && /session/i.test(e.message);
          throw new McpToolError(`${session ? 'browser_session_id: ' : ''}${e.message}`);
        }
        throw e;
      }
    },
  };
}

const UNAUTHORIZED =
  'Invalid or missing API key: send a Wren API key as the x-api-key header or as Authorization: Bearer <key>';

export async function registerMcpRoutes(
  app: FastifyInstance,
  options: McpRoutesOptions,
): Promise<void> {
  const serverOptions: McpServerOptions = {
    version: options.version,
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
  };
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const apiKey = requestApiKey(request);
    const organization = await options.auth.authenticate(apiKey);
    if (!apiKey || !organization) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="wren"')
        .send({ detail: UNAUTHORIZED });
    }
    if (request.method !== 'POST') {
      // Stateless: no standalone SSE stream and no session to delete.
      return reply
        .code(405)
        .header('allow', 'POST')
        .send({
          jsonrpc: '2.0',
          error: {
            code: -32000,
            message: 'Method not allowed: this server is stateless; POST to /mcp',
          },
          id: null,
        });
    }
    const backend = inProcessMcpBackend({
      app,
      apiKey,
      organizationId: organization.id,
      sdkActions: options.sdkActions,
    });
    reply.hijack();
    await handleMcpHttp(request.raw, reply.raw, request.body, backend, serverOptions);
  };
  app.route({
    method: ['POST', 'GET', 'DELETE'],
    url: '/mcp',
    schema: { hide: true },
    handler: handle,
  });
}
