/**
 * /v1/browser_sessions routes, and the request-time checks of a run's browser fields
 * (browser_session_id exists and is live, proxy_location can be served).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  BrowserSessionParamsSchema,
  BrowserSessionResponseSchema,
  CloseBrowserSessionResponseSchema,
  CreateBrowserSessionRequestSchema,
  ErrorResponseSchema,
  HTTPValidationErrorSchema,
  UpdateBrowserSessionRequestSchema,
} from '../contract/index.js';
import { maskProxyLocation, ServiceError } from '../core/index.js';
import type { ProfileService, SessionProfileLink } from '../profiles/index.js';
import {
  type BrowserSessionRecord,
  ProxyUnavailableError,
  type SessionManager,
} from '../sessions/index.js';
import type { ApiKeyAuthenticator } from './keys.js';
import { org, registerV1, security } from './v1-routes.js';

export interface SessionRoutesOptions {
  sessions: SessionManager;
  auth: ApiKeyAuthenticator;
  /** Read on every request: it may only be known once the server listens. */
  appUrl: string;
  /** browser_profile_id / generate_browser_profile; without it sessions have no profiles. */
  profiles?: ProfileService;
}

function present(
  r: BrowserSessionRecord,
  appUrl: string,
  link: SessionProfileLink | null,
  warning?: string | null,
) {
  return {
    browser_session_id: r.id,
    organization_id: r.organizationId,
    status: r.status as 'created' | 'running' | 'completed' | 'failed' | 'timeout',
    runnable_type: r.runnableType,
    runnable_id: r.runnableId,
    timeout: r.timeoutMinutes,
    browser_address: r.status === 'running' || r.status === 'created' ? r.browserAddress : null,
    app_url: `${appUrl}/browser-session/${r.id}`,
    url: r.url,
    proxy_location: maskProxyLocation(r.proxyLocation) ?? null,
    vnc_streaming_supported: false,
    downloaded_files: [],
    recordings: [],
    started_at: r.startedAt,
    completed_at: r.completedAt,
    expires_at: r.expiresAt,
    created_at: r.createdAt,
    modified_at: r.modifiedAt,
    deleted_at: null,
    browser_profile_id: link?.browserProfileId ?? null,
    generate_browser_profile: link?.generateBrowserProfile ?? false,
    ...(warning ? { warning } : {}),
  };
}

/** Registers the routes under /v1 and the run-request checks. Call before the /v1 runs plugin. */
export async function registerSessionRoutes(
  app: FastifyInstance,
  options: SessionRoutesOptions | undefined,
): Promise<void> {
  if (!options) return;
  const { sessions, auth, profiles } = options;
  const show = async (r: BrowserSessionRecord, warning?: string | null) =>
    present(
      r,
      options.appUrl,
      profiles ? await profiles.sessionLink(r.organizationId, r.id) : null,
      warning,
    );

  // POST /v1/run/tasks: refuse a dead/unknown session or an unserved proxy location up front,
  // instead of queueing a run that can only fail.
  app.addHook('preHandler', async (request: FastifyRequest) => {
    if (request.method !== 'POST' || request.routeOptions.url !== '/v1/run/tasks') return;
    const organization = request.organization;
    const body = request.body as Record<string, unknown> | undefined;
    if (!organization || !body) return;
    // A session's own browser and proxy win over browser_address and proxy_location.
    const sessionId = body['browser_session_id'];
    if (typeof sessionId === 'string' && sessionId !== '') {
      await sessions.assertUsable(organization.id, sessionId);
      return;
    }
    if (typeof body['browser_address'] === 'string' && body['browser_address'] !== '') return;
    try {
      sessions.proxies.check(body['proxy_location'] ?? null);
    } catch (e) {
      if (e instanceof ProxyUnavailableError) throw new ServiceError(400, e.message);
      throw e;
    }
  });

  await registerV1(app, auth, async (routes) => {
    const tags = ['Browser sessions'];

    routes.post(
      '/browser_sessions',
      {
        // The body is optional: a bare POST (no body, no content type) is an empty request.
        preValidation: async (request) => {
          if (request.body === null || request.body === undefined) request.body = {};
        },
        schema: {
          operationId: 'create_browser_session',
          summary: 'Start a browser session that runs can share',
          tags,
          security,
          body: CreateBrowserSessionRequestSchema.optional(),
          response: {
            200: BrowserSessionResponseSchema,
            400: ErrorResponseSchema,
            403: ErrorResponseSchema,
            422: HTTPValidationErrorSchema,
            429: ErrorResponseSchema.describe('Over the max_browser_sessions quota'),
            503: ErrorResponseSchema,
          },
        },
      },
      async (request) => {
        const body = request.body ?? {};
        const profileId = body.browser_profile_id ?? null;
        const generate = body.generate_browser_profile ?? false;
        if ((profileId || generate) && !profiles) {
          throw new ServiceError(400, 'browser profiles are not enabled on this server');
        }
        try {
          let proxyLocation = body.proxy_location;
          let storageState = null;
          if (profileId && profiles) {
            const profile = await profiles.get(org(request), profileId);
            // The profile's proxy applies unless the request names one.
            if (proxyLocation == null) proxyLocation = profiles.proxyLocationOf(profile) as never;
            storageState = await profiles.load(org(request), profileId);
          }
          const { record, warning } = await sessions.create(org(request), {
            ...body,
            proxy_location: proxyLocation,
            storageState,
          });
          await profiles?.linkSession(org(request), record.id, profileId, generate);
          return show(record, warning);
        } catch (e) {
          if (e instanceof ProxyUnavailableError) throw new ServiceError(400, e.message);
          throw e;
        }
      },
    );

    routes.get(
      '/browser_sessions',
      {
        schema: {
          operationId: 'get_browser_sessions',
          summary: 'List active browser sessions',
          tags,
          security,
          response: { 200: BrowserSessionResponseSchema.array(), 403: ErrorResponseSchema },
        },
      },
      async (request) => Promise.all((await sessions.list(org(request))).map((r) => show(r))),
    );

    routes.get(
      '/browser_sessions/:browser_session_id',
      {
        schema: {
          operationId: 'get_browser_session',
          summary: 'Get a browser session',
          tags,
          security,
          params: BrowserSessionParamsSchema,
          response: {
            200: BrowserSessionResponseSchema,
            403: ErrorResponseSchema,
            404: ErrorResponseSchema,
          },
        },
      },
      async (request) => show(await sessions.get(org(request), request.params.browser_session_id)),
    );

    routes.patch(
      '/browser_sessions/:browser_session_id',
      {
        schema: {
          operationId: 'update_browser_session',
          summary: 'Change a live session: keep its state at close, or its timeout (Wren)',
          tags,
          security,
          params: BrowserSessionParamsSchema,
          body: UpdateBrowserSessionRequestSchema,
          response: {
            200: BrowserSessionResponseSchema,
            400: ErrorResponseSchema,
            403: ErrorResponseSchema,
            404: ErrorResponseSchema,
            409: ErrorResponseSchema,
            422: HTTPValidationErrorSchema,
          },
        },
      },
      async (request) => {
        const id = request.params.browser_session_id;
        let record = await sessions.get(org(request), id);
        if (!['created', 'running'].includes(record.status)) {
          throw new ServiceError(
            409,
            `Browser session ${id} has ended (status ${record.status}) and can no longer be updated`,
          );
        }
        let warning: string | null = null;
        if (request.body.timeout !== undefined) {
          ({ record, warning } = await sessions.setTimeout(org(request), id, request.body.timeout));
        }
        if (request.body.generate_browser_profile !== undefined) {
          if (!profiles)
            throw new ServiceError(400, 'browser profiles are not enabled on this server');
          await profiles.setGenerate(org(request), id, request.body.generate_browser_profile);
        }
        return show(record, warning);
      },
    );

    routes.post(
      '/browser_sessions/:browser_session_id/close',
      {
        schema: {
          operationId: 'close_browser_session',
          summary: 'Close a browser session (it cannot be reused)',
          tags,
          security,
          params: BrowserSessionParamsSchema,
          response: {
            200: CloseBrowserSessionResponseSchema,
            403: ErrorResponseSchema,
            404: ErrorResponseSchema,
          },
        },
      },
      async (request) => {
        await sessions.close(org(request), request.params.browser_session_id);
        return { message: 'Browser session closed' };
      },
    );
  });
}
