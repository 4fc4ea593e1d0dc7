/**
 * The web UI and the small JSON endpoints only the UI needs.
 *
 * - Serves the built React app (ui/dist) at `/`. Any other GET that is not an API path answers
 *   with index.html so the app's own router handles deep links (/runs/tsk_…). API paths
 *   (/v1/…, /openapi.json, /health) are never shadowed: an unknown /v1 path stays a JSON 404.
 * - GET /v1/settings/model: which provider and model runs use and whether its key is set. Never
 *   the key itself.
 * API keys and organizations are keys-routes.ts.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConfigResult } from '../llm/index.js';
import { MODEL_ROLES } from '../llm/index.js';
import type { ApiKeyAuthenticator } from './keys.js';
import { notSupportedDetail } from './not-supported.js';
import { forbidden, registerV1, security } from './v1-routes.js';

export interface UiOptions {
  /** The server's model configuration (what the worker uses). */
  model: ConfigResult;
  /** Folder holding the built UI; defaults to the first of ui/dist beside the sources or the build. */
  uiDir?: string | null;
}

export interface UiRoutesOptions extends UiOptions {
  auth: ApiKeyAuthenticator;
}

/** Paths the SPA fallback must never answer: the API, and missing files (a path with an extension). */
const API_PATH = /^\/(v1(\/|$)|openapi\.json$|health$|api(\/|$))/;
const FILE_PATH = /\.[a-z0-9]{1,8}$/i;

/** ui/dist relative to this file, from src/api (tsx) or dist/src/api (compiled). */

/**
 * Headers of the UI's HTML (issue 17): scripts and styles only from this origin (Vite emits files,
 * no inline script; eval is allowed for Ajv in the task form), no framing (clickjacking), no referrer leaving with run ids, no MIME
 * sniffing. Images and recordings may come from WREN_PUBLIC_URL's origin (signed artifact
 * links) and blob: (the live view); the live view's WebSocket is same-host ws:/wss:.
 */
export const UI_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': [
    "default-src 'self'",
    // 'unsafe-eval': the task form checks JSON Schemas with Ajv, which compiles validators with
    // new Function. Inline and foreign scripts stay blocked.
    "script-src 'self' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob: http: https:",
    "media-src 'self' blob: http: https:",
    "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

export function findUiDir(): string | null {
  const candidates = ['../../ui/dist', '../../../ui/dist'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>Wren</title>
<body style="font:15px system-ui;margin:3rem;max-width:40rem;color:#1f2937">
<h1>Wren is running</h1>
<p>The web UI has not been built on this machine. Run <code>npm run build:ui</code> and restart
the server (<code>npm start</code> does both). The HTTP API is available under
<code>/v1</code>; its OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</p></body>`;

export const ModelSettingsSchema = z
  .object({
    configured: z.boolean(),
    provider: z.string().nullable(),
    model: z.string().nullable(),
    /** Why runs cannot start, when not configured. */
    reason: z.string().nullable(),
    key_set: z.boolean(),
    roles: z
      .array(
        z.object({
          role: z.string(),
          provider: z.string(),
          model: z.string(),
          base_url: z.string(),
          key_set: z.boolean(),
        }),
      )
      .nullable(),
  })
  .meta({ id: 'ModelSettings', description: 'Model configuration status; never the key.' });
export type ModelSettings = z.output<typeof ModelSettingsSchema>;

/** Model status for the Settings page: the server's model configuration, never a key. */
export function modelSettings(model: ConfigResult): ModelSettings {
  if (!model.ok) {
    return {
      configured: false,
      provider: null,
      model: null,
      reason: model.problem,
      key_set: false,
      roles: null,
    };
  }
  const { roles } = model.config;
  return {
    configured: true,
    provider: roles.actor.provider,
    model: roles.actor.modelId,
    reason: null,
    key_set: roles.actor.apiKey !== null,
    roles: MODEL_ROLES.map((role) => ({
      role,
      provider: roles[role].provider,
      model: roles[role].modelId,
      base_url: roles[role].baseUrl,
      key_set: roles[role].apiKey !== null,
    })),
  };
}

export async function uiRoutes(app: FastifyInstance, options: UiRoutesOptions): Promise<void> {
  const { auth } = options;

  await registerV1(app, auth, async (routes) => {
    routes.get(
      '/settings/model',
      {
        schema: {
          operationId: 'get_model_settings',
          summary: 'Model configuration status (never the key)',
          tags: ['Settings'],
          security,
          response: { 200: ModelSettingsSchema, 403: forbidden },
        },
      },
      async () => modelSettings(options.model),
    );
  });

  const uiDir = options.uiDir === undefined ? findUiDir() : options.uiDir;
  if (!uiDir) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.headers(UI_SECURITY_HEADERS).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE),
    );
    return;
  }

  // Vite names assets by content hash: they never change under the same name. Files are looked
  // up per request, so a rebuild while the server runs is picked up.
  // Loaded only when there is a UI to serve (keeps API-only and CLI starts lean).
  const { default: fastifyStatic } = await import('@fastify/static');
  await app.register(fastifyStatic, {
    root: join(uiDir, 'assets'),
    prefix: '/assets/',
    index: false,
    schemaHide: true,
    cacheControl: false,
    setHeaders(res) {
      res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      res.setHeader('x-content-type-options', 'nosniff');
    },
  });

  const sendIndex = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (API_PATH.test(path) || FILE_PATH.test(path))
      return reply
        .code(404)
        .send({ detail: notSupportedDetail(request.method, path) ?? 'Not Found' });
    let html: string;
    try {
      html = await readFile(join(uiDir, 'index.html'), 'utf8');
    } catch {
      html = NOT_BUILT_PAGE; // removed or being rebuilt
    }
    return reply
      .headers(UI_SECURITY_HEADERS)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(html);
  };
  app.get('/', { schema: { hide: true } }, sendIndex);
  app.get('/*', { schema: { hide: true } }, sendIndex);
}
