/**
 * The secret parts of a run request — `cdp_connect_headers` and `extra_http_headers` values and a
 * `proxy_location.url` password — are sealed at rest like credentials (SecretBox, AES-GCM bound
 * to the run id): the stored request keeps the keys with masked values plus one `_sealed`
 * envelope, which only the worker opens to drive the browser (issue 17, docs/security.md).
 */
import { MASK, maskUrlPassword } from '../core/index.js';
import type { SecretBox } from '../credentials/index.js';

export { MASK };

export const SEALED_FIELD = '_sealed';

export const requestSecretsContext = (runId: string): string => `run:${runId}:request_secrets`;

interface RequestSecrets {
  cdp_connect_headers?: Record<string, string>;
  extra_http_headers?: Record<string, string>;
  proxy_url?: string;
}

const headerMap = (v: unknown): Record<string, string> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0
    ? (v as Record<string, string>)
    : null;

export function maskHeaderValues(v: unknown): unknown {
  const map = headerMap(v);
  return map ? Object.fromEntries(Object.keys(map).map((k) => [k, MASK])) : v;
}

function proxyUrlOf(request: Record<string, unknown>): string | null {
  const proxy = request['proxy_location'];
  if (typeof proxy !== 'object' || proxy === null) return null;
  const url = (proxy as { url?: unknown }).url;
  return typeof url === 'string' ? url : null;
}

export const maskProxyUrl = maskUrlPassword;

/** The request as stored: secret values masked and sealed into `_sealed` (unchanged without any). */
export function sealRequest(
  request: Record<string, unknown>,
  runId: string,
  box: SecretBox | undefined,
): Record<string, unknown> {
  if (!box) return request;
  const secrets: RequestSecrets = {};
  const out: Record<string, unknown> = { ...request };
  for (const field of ['cdp_connect_headers', 'extra_http_headers'] as const) {
    const map = headerMap(request[field]);
    if (map) {
      secrets[field] = map;
      out[field] = maskHeaderValues(map);
    }
  }
  const proxyUrl = proxyUrlOf(request);
  if (proxyUrl && maskProxyUrl(proxyUrl) !== proxyUrl) {
    secrets.proxy_url = proxyUrl;
    out['proxy_location'] = {
      ...(request['proxy_location'] as object),
      url: maskProxyUrl(proxyUrl),
    };
  }
  if (Object.keys(secrets).length === 0) return request;
  out[SEALED_FIELD] = box.seal(JSON.stringify(secrets), requestSecretsContext(runId));
  return out;
}

/** The request with its sealed values back in place (the worker, before driving the browser). */
export function openRequest(
  request: Record<string, unknown>,
  runId: string,
  box: SecretBox | undefined,
): Record<string, unknown> {
  const sealed = request[SEALED_FIELD];
  const { [SEALED_FIELD]: _omit, ...rest } = request;
  if (typeof sealed !== 'string' || !box) return rest;
  const secrets = JSON.parse(box.open(sealed, requestSecretsContext(runId))) as RequestSecrets;
  const out: Record<string, unknown> = { ...rest };
  if (secrets.cdp_connect_headers) out['cdp_connect_headers'] = secrets.cdp_connect_headers;
  if (secrets.extra_http_headers) out['extra_http_headers'] = secrets.extra_http_headers;
  if (secrets.proxy_url)
    out['proxy_location'] = { ...(rest['proxy_location'] as object), url: secrets.proxy_url };
  return out;
}
