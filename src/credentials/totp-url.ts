import { type Now, realSleep, type Sleep } from './clock.js';
import { type Disambiguate, extractOtpWithModel } from './extract.js';
import { signedJsonHeaders } from './signature.js';
import type { TotpCodeSource, TotpPoll } from './totp-sources.js';

/**
 * Pulling codes from the caller's `totp_url` (docs/credentials.md): a signed POST with the run id,
 * answered by `200 {"verification_code": "…"}` (empty while no code exists). A long value is
 * read like pushed content (it may be a whole email).
 */

export interface HttpPostRequest {
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}
export interface HttpPostResponse {
  status: number;
  contentType: string;
  text: string;
}
/** Injected so the worker can pass a poster that enforces its network policy. */
export type HttpPost = (url: string, request: HttpPostRequest) => Promise<HttpPostResponse>;

const MAX_RESPONSE_BYTES = 1 << 20;

/** Plain fetch; refuses redirects (a redirect could bounce the signed request elsewhere). */
export const fetchPost: HttpPost = async (url, request) => {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
  const res = await fetch(url, {
    method: 'POST',
    body: request.body,
    headers: request.headers,
    redirect: 'manual',
    signal,
  });
  const buf = await res.arrayBuffer();
  if (buf.byteLength > MAX_RESPONSE_BYTES) throw new Error('response larger than 1 MiB');
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    text: new TextDecoder().decode(buf),
  };
};

export interface TotpUrlSourceOptions {
  url: string;
  /** Signs the body (x-skyvern-signature). */
  apiKey: string;
  post?: HttpPost;
  /** Per request (default 30 s). */
  requestTimeoutMs?: number;
  /** Attempts per poll when the request itself fails (default 3). */
  attempts?: number;
  /** Between those attempts (default 5 s). */
  retryDelayMs?: number;
  now?: Now;
  sleep?: Sleep;
  /** Model fallback when the endpoint returns a whole message with several candidates. */
  disambiguate?: Disambiguate;
}

export function totpUrlSource(options: TotpUrlSourceOptions): TotpCodeSource {
  const post = options.post ?? fetchPost;
  const attempts = Math.max(1, options.attempts ?? 3);
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  return {
    kind: 'totp_url',
    async poll(request): Promise<TotpPoll> {
      const body = JSON.stringify({
        task_id: request.runId,
        ...(request.workflowRunId ? { workflow_run_id: request.workflowRunId } : {}),
        ...(request.workflowPermanentId
          ? { workflow_permanent_id: request.workflowPermanentId }
          : {}),
      });
      let response: HttpPostResponse | null = null;
      let lastError = '';
      for (let attempt = 1; attempt <= attempts && !response; attempt++) {
        try {
          response = await post(options.url, {
            body,
            headers: signedJsonHeaders(body, options.apiKey, new Date(now())),
            timeoutMs: options.requestTimeoutMs ?? 30_000,
            ...(request.signal ? { signal: request.signal } : {}),
          });
        } catch (err) {
          request.signal?.throwIfAborted();
          lastError = err instanceof Error ? err.message : String(err);
          if (attempt < attempts) await sleep(options.retryDelayMs ?? 5_000, request.signal);
        }
      }
      if (!response) return { status: 'failed', detail: `request failed: ${lastError}` };
      if (response.status !== 200) return { status: 'failed', detail: `HTTP ${response.status}` };
      if (!/\bjson\b/i.test(response.contentType)) {
        return {
          status: 'failed',
          detail: `response is not JSON (content-type ${response.contentType || 'missing'})`,
        };
      }
      const code = readVerificationCode(response.text);
      if (code === undefined) {
        return { status: 'failed', detail: 'response has no "verification_code" field' };
      }
      if (code === '') return { status: 'pending', detail: 'totp_url has no code yet' };
      const found = await extractOtpWithModel(code, {
        expect: request.expect ?? 'totp',
        ...(options.disambiguate ? { disambiguate: options.disambiguate } : {}),
      });
      if (found.status !== 'found') {
        return {
          status: 'pending',
          detail: `totp_url answer holds no usable code (${found.reason})`,
        };
      }
      return { status: 'code', value: found.value, otpType: found.type };
    },
  };
}

/** `undefined` when the field is missing or the body is not an object; '' when empty. */
export function readVerificationCode(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Some endpoints paste a whole email with raw newlines into the string.
    const m = /"verification_code"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(null|-?\d+))/s.exec(text);
    if (!m) return undefined;
    if (m[2] !== undefined) return m[2] === 'null' ? '' : m[2];
    try {
      return JSON.parse(`"${m[1]!.replace(/\r?\n/g, '\\n').replace(/\t/g, '\\t')}"`) as string;
    } catch {
      return m[1]!;
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const value = (parsed as Record<string, unknown>)['verification_code'];
  if (value === undefined) return undefined;
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? value.trim() : undefined;
}
