/** URL checks shared by request validation and the run service. */

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const HOST_PORT = /^[^:/?#@]+:\d+(?:[/?#]|$)/;

/**
 * Returns the http(s) URL a caller meant, or null. Like Skyvern, a value without a scheme gets
 * `https://` prepended ("example.com" → "https://example.com"); any other scheme is refused.
 */
export function normalizeHttpUrl(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const hasScheme = SCHEME.test(trimmed) && !HOST_PORT.test(trimmed);
  const candidate = hasScheme ? trimmed : `https://${trimmed}`;
  let parsed: URL;
  try {
    parsed = new URL(candidate);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  if (!parsed.hostname) return null;
  return candidate;
}

/** A CDP endpoint: http(s) or ws(s) with a host. */
export function isCdpAddress(value: string): boolean {
  try {
    const parsed = new URL(value.trim());
    return ['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol) && parsed.hostname !== '';
  } catch {
    return false;
  }
}

/** A custom proxy server URL as accepted in `proxy_location: {url}`. */
export function isProxyServerUrl(value: string): boolean {
  try {
    const parsed = new URL(value.trim());
    return (
      ['http:', 'https:', 'socks5:', 'socks4:'].includes(parsed.protocol) && parsed.hostname !== ''
    );
  } catch {
    return false;
  }
}
