/**
 * How secret values look wherever Wren shows them (responses, logs, the UI): the value replaced
 * by `****`, the key or user name kept so a person can tell which one it is.
 */
export const MASK = '****';

/** A URL with its password masked (`http://user:****@host`); unparsable input masked by shape. */
export function maskUrlPassword(raw: string): string {
  try {
    const url = new URL(raw);
    if (!url.password) return raw;
    url.password = MASK;
    return url.toString();
  } catch {
    return raw.replace(/\/\/([^:/@]+):[^@]*@/, `//$1:${MASK}@`);
  }
}

/** A `proxy_location` as shown: `{url}` with its password masked; other values as they are. */
export function maskProxyLocation(location: unknown): unknown {
  if (location && typeof location === 'object' && 'url' in location) {
    const url = (location as { url: unknown }).url;
    if (typeof url === 'string') return { ...location, url: maskUrlPassword(url) };
  }
  return location;
}
