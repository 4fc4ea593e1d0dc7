/**
 * Calling a /v1 route in-process (Fastify inject, no socket) as the holder of an API key: the same
 * validation, presentation and errors as over HTTP. Used by the MCP tools' backend and by the
 * SDK's embedded mode.
 */
import type { FastifyInstance } from 'fastify';

export type InjectMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * The parsed JSON body (the raw text when it is not JSON, null when empty). A status of 400 or more
 * throws `fail(status, detail)`, where detail is the body's `detail` field or else the body.
 */
export async function injectJson<T>(
  app: FastifyInstance,
  apiKey: string,
  request: { method: InjectMethod; url: string; body?: unknown },
  fail: (status: number, detail: unknown) => Error,
): Promise<T> {
  const res = await app.inject({
    method: request.method,
    url: request.url,
    headers: { 'x-api-key': apiKey },
    ...(request.body !== undefined ? { payload: request.body as Record<string, unknown> } : {}),
  });
  let parsed: unknown = null;
  try {
    parsed = res.body ? JSON.parse(res.body) : null;
  } catch {
    parsed = res.body;
  }
  if (res.statusCode >= 400) {
    const detail =
      typeof parsed === 'object' && parsed !== null && 'detail' in parsed
        ? (parsed as { detail: unknown }).detail
        : parsed;
    throw fail(res.statusCode, detail);
  }
  return parsed as T;
}
