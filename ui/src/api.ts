/**
 * The UI's HTTP client: openapi-fetch typed by the types generated from the server's own
 * /openapi.json (src/contract/openapi.gen.ts, `npm run openapi:client`), same-origin, with the
 * signed-in API key in the x-api-key header (never in a URL). `unwrap` turns an error answer into
 * an ApiError carrying the status and the server's `detail`. Pages fetch with TanStack Query.
 */

import createClient from 'openapi-fetch';
import { TERMINAL_RUN_STATUSES } from '../../src/contract/enums';
import type { components, paths } from '../../src/contract/openapi.gen';
import { getApiKey } from './auth';

/** Schemas of the API as /openapi.json declares them. */
export type Schemas = components['schemas'];

/** The typed client; every call goes through `unwrap`. */
export const client = createClient<paths>({ baseUrl: '' });
client.use({
  onRequest({ request }) {
    const key = getApiKey();
    if (key && !request.headers.has('x-api-key')) request.headers.set('x-api-key', key);
    return request;
  },
});

/** The data of a successful answer; an ApiError (status, `detail`) otherwise. */
export async function unwrap<R extends { data?: unknown; error?: unknown; response: Response }>(
  call: Promise<R>,
): Promise<Exclude<R['data'], undefined>> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const detail =
      error && typeof error === 'object' && 'detail' in error
        ? (error as { detail: unknown }).detail
        : error;
    if (response.status === 403 && detail === 'Invalid credentials') {
      window.dispatchEvent(new CustomEvent('wren:unauthorized'));
    }
    throw new ApiError(response.status, detail);
  }
  return data as Exclude<R['data'], undefined>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(describeDetail(status, detail));
  }

  /** The route does not exist on this server (an endpoint a newer Wren adds). */
  get unavailable(): boolean {
    return (
      this.status === 405 ||
      this.status === 501 ||
      (this.status === 404 && this.detail === 'Not Found')
    );
  }
}

export interface ValidationItem {
  loc: (string | number)[];
  msg: string;
  type?: string;
}

function describeDetail(status: number, detail: unknown): string {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail))
    return detail
      .map((d) => (typeof d === 'object' && d && 'msg' in d ? String(d.msg) : JSON.stringify(d)))
      .join('; ');
  if (detail && typeof detail === 'object') return JSON.stringify(detail);
  return `HTTP ${status}`;
}

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  key: string | null = getApiKey(),
): Promise<T> {
  const headers: Record<string, string> = {};
  if (key) headers['x-api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) {
    const detail =
      parsed && typeof parsed === 'object' && 'detail' in parsed
        ? (parsed as { detail: unknown }).detail
        : parsed;
    if (response.status === 403 && detail === 'Invalid credentials') {
      window.dispatchEvent(new CustomEvent('wren:unauthorized'));
    }
    throw new ApiError(response.status, detail);
  }
  return parsed as T;
}

/** Field errors of a 422 answer keyed by the body field (loc[1]). */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || error.status !== 422 || !Array.isArray(error.detail))
    return {};
  const out: Record<string, string> = {};
  for (const item of error.detail as ValidationItem[]) {
    const field = String(item.loc?.[1] ?? item.loc?.[0] ?? '');
    out[field] = out[field] ? `${out[field]}; ${item.msg}` : item.msg;
  }
  return out;
}

/** Fetches a protected resource with the key in a header and returns an object URL for it. */
export async function authorizedObjectUrl(url: string): Promise<string> {
  const key = getApiKey();
  const response = await fetch(url, { headers: key ? { 'x-api-key': key } : {} });
  if (!response.ok) throw new ApiError(response.status, `could not load ${url}`);
  return URL.createObjectURL(await response.blob());
}

/**
 * True when a URL needs the API key to load: a same-origin /v1 path without a signature.
 * Signed URLs (sig=, X-Amz-Signature=, …) and other origins are loaded directly.
 */
export function needsKey(url: string): boolean {
  try {
    const u = new URL(url, window.location.href);
    if (u.origin !== window.location.origin) return false;
    if (!u.pathname.startsWith('/v1/')) return false;
    return ![...u.searchParams.keys()].some((k) =>
      /^(sig|signature|x-amz-signature|token)$/i.test(k),
    );
  } catch {
    return false;
  }
}

// ── Contract shapes (generated from /openapi.json) ────────────────────────────────────────────

export { RUN_STATUSES, type RunStatus } from '../../src/contract/enums';
export const TERMINAL: readonly string[] = TERMINAL_RUN_STATUSES;
export const CANCELABLE: readonly string[] = ['created', 'queued', 'running', 'paused'];

/** The JSON body of a route's 200 answer. */
export type Answer<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer R } } };
}
  ? R
  : never;

export type FileInfo = Schemas['FileInfo'];
/** GET /v1/runs/{run_id}. */
export const fetchRun = (runId: string) =>
  unwrap(client.GET('/v1/runs/{run_id}', { params: { path: { run_id: runId } } }));
export type Run = Awaited<ReturnType<typeof fetchRun>>;
export type RunListItem = Answer<'/v1/runs', 'get'>[number];
export type WebhookReplay = Answer<'/v1/runs/{run_id}/retry_webhook', 'post'>;
export type BrowserSession = Answer<'/v1/browser_sessions', 'get'>[number];
