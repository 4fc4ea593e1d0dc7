/**
 * The UI's HTTP client: same-origin fetch with the signed-in API key in the x-api-key header
 * (never in a URL). Errors carry the status and the server's `detail`.
 */

import { type RunStatus, TERMINAL_RUN_STATUSES } from '../../src/contract/enums';
import { getApiKey } from './auth';

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

// ── Contract shapes (the subset the UI reads) ─────────────────────────────────────────────────

export { RUN_STATUSES, type RunStatus } from '../../src/contract/enums';
export const TERMINAL: readonly string[] = TERMINAL_RUN_STATUSES;
export const CANCELABLE: readonly string[] = ['created', 'queued', 'running', 'paused'];

export interface FileInfo {
  url: string;
  checksum?: string | null;
  filename?: string | null;
  file_size?: number | null;
  modified_at?: string | null;
  artifact_id?: string | null;
}

export interface Run {
  run_id: string;
  status: RunStatus;
  output: unknown;
  downloaded_files: FileInfo[] | null;
  recording_url: string | null;
  screenshot_urls: string[] | null;
  failure_reason: string | null;
  created_at: string;
  modified_at: string;
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  app_url: string | null;
  browser_session_id: string | null;
  errors: Record<string, unknown>[] | null;
  step_count: number | null;
  run_type: string;
  run_request: Record<string, unknown> | null;
  usage?: { input_tokens: number; output_tokens: number; cost_usd: number } | null;
}

export interface RunListItem {
  run_id: string;
  task_run_type: string;
  status: RunStatus;
  title: string | null;
  started_at: string | null;
  finished_at: string | null;
  created_at: string;
  step_count?: number;
}
