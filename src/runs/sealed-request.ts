/**
 * The secret parts of a run request — `cdp_connect_headers` and `extra_http_headers` values and a
 * `proxy_location.url` password — are sealed at rest like credentials (SecretBox, AES-GCM bound
 * to the run id): the stored request keeps the keys with masked values plus one `_sealed`
 * envelope, which only the worker opens to drive the browser (issue 17, docs/security.md).
 */
import type { TaskRunRequestEcho } from '../contract/index.js';
import { MASK, maskUrlPassword } from '../core/index.js';
import type { SecretBox } from '../credentials/index.js';
import type { RunRequest, TaskRequest } from '../store/index.js';

export { MASK };

export const requestSecretsContext = (runId: string): string => `run:${runId}:request_secrets`;

interface RequestSecrets {
  cdp_connect_headers?: Record<string, string>;
  extra_http_headers?: Record<string, string>;
  proxy_url?: string;
}

type Headers = Record<string, string> | null | undefined;
type ProxyLocation = TaskRunRequestEcho['proxy_location'];

const HEADER_FIELDS = ['cdp_connect_headers', 'extra_http_headers'] as const;

const hasHeaders = (map: Headers): map is Record<string, string> =>
  map !== null && map !== undefined && Object.keys(map).length > 0;

/** Header names kept, values masked. */
export function maskHeaderValues(map: Headers): Headers {
  return hasHeaders(map) ? Object.fromEntries(Object.keys(map).map((k) => [k, MASK])) : map;
}

function proxyUrlOf(proxy: ProxyLocation): string | null {
  return typeof proxy === 'object' && proxy !== null && 'url' in proxy ? proxy.url : null;
}

/** The proxy location with its URL replaced (a custom proxy's), else unchanged. */
function withProxyUrl(proxy: ProxyLocation, url: string): ProxyLocation {
  return typeof proxy === 'object' && proxy !== null && 'url' in proxy ? { ...proxy, url } : proxy;
}

export const maskProxyUrl = maskUrlPassword;

/** A task request rather than an SDK action's. */
export function isTaskRequest(request: RunRequest): request is TaskRequest {
  return request.sdk_action === undefined;
}

/** The request as stored: secret values masked and sealed into `_sealed` (unchanged without any). */
export function sealRequest(
  request: TaskRunRequestEcho,
  runId: string,
  box: SecretBox | undefined,
): TaskRequest {
  if (!box) return request;
  const secrets: RequestSecrets = {};
  const out: TaskRequest = { ...request };
  for (const field of HEADER_FIELDS) {
    const map = request[field];
    if (hasHeaders(map)) {
      secrets[field] = map;
      out[field] = maskHeaderValues(map);
    }
  }
  const proxyUrl = proxyUrlOf(request.proxy_location);
  if (proxyUrl && maskProxyUrl(proxyUrl) !== proxyUrl) {
    secrets.proxy_url = proxyUrl;
    out.proxy_location = withProxyUrl(request.proxy_location, maskProxyUrl(proxyUrl));
  }
  if (Object.keys(secrets).length === 0) return request;
  out._sealed = box.seal(JSON.stringify(secrets), requestSecretsContext(runId));
  return out;
}

/** The request with its sealed values back in place (the worker, before driving the browser). */
export function openRequest(
  request: TaskRequest,
  runId: string,
  box: SecretBox | undefined,
): TaskRunRequestEcho {
  const { _sealed: sealed, ...rest } = request;
  if (typeof sealed !== 'string' || !box) return rest;
  const secrets = JSON.parse(box.open(sealed, requestSecretsContext(runId))) as RequestSecrets;
  const out: TaskRunRequestEcho = { ...rest };
  if (secrets.cdp_connect_headers) out.cdp_connect_headers = secrets.cdp_connect_headers;
  if (secrets.extra_http_headers) out.extra_http_headers = secrets.extra_http_headers;
  if (secrets.proxy_url) out.proxy_location = withProxyUrl(rest.proxy_location, secrets.proxy_url);
  return out;
}

/**
 * The request echo with secrets masked: CDP auth headers and extra HTTP header values, proxy
 * passwords; the sealed envelope is never shown.
 */
export function maskedRequest(request: TaskRequest): TaskRunRequestEcho {
  const { _sealed, ...shown } = request;
  const proxyUrl = proxyUrlOf(shown.proxy_location);
  return {
    ...shown,
    cdp_connect_headers: maskHeaderValues(shown.cdp_connect_headers),
    ...(shown.extra_http_headers !== undefined
      ? { extra_http_headers: maskHeaderValues(shown.extra_http_headers) }
      : {}),
    proxy_location:
      proxyUrl !== null
        ? withProxyUrl(shown.proxy_location, maskProxyUrl(proxyUrl))
        : shown.proxy_location,
  };
}
