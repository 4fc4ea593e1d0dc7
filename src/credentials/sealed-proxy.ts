/**
 * A stored `proxy_location` whose URL carries a password (a browser profile's proxy): kept with
 * the password masked plus the whole URL sealed (SecretBox, bound to the owner's context), so the
 * database never holds the password in clear (docs/security.md) and only the code that starts a
 * browser opens it.
 */
import { maskUrlPassword } from '../core/index.js';
import type { SecretBox } from './secret-box.js';

const SEALED = '_sealed_url';

export const profileProxyContext = (profileId: string): string => `profile:${profileId}:proxy`;

/** What to store for a proxy location: unchanged unless its URL has a password. */
export function sealProxyLocation(location: unknown, box: SecretBox, context: string): unknown {
  if (!location || typeof location !== 'object' || !('url' in location)) return location;
  const url = (location as { url: unknown }).url;
  if (typeof url !== 'string' || maskUrlPassword(url) === url) return location;
  return { ...location, url: maskUrlPassword(url), [SEALED]: box.seal(url, context) };
}

/** The stored proxy location with its URL opened, for starting a browser. */
export function openProxyLocation(stored: unknown, box: SecretBox, context: string): unknown {
  if (!stored || typeof stored !== 'object' || !(SEALED in stored)) return stored;
  const { [SEALED]: sealed, ...rest } = stored as Record<string, unknown>;
  return typeof sealed === 'string' ? { ...rest, url: box.open(sealed, context) } : rest;
}

/** The stored proxy location as shown: the sealed copy left out (the URL is already masked). */
export function shownProxyLocation(stored: unknown): unknown {
  if (!stored || typeof stored !== 'object' || !(SEALED in stored)) return stored;
  const { [SEALED]: _sealed, ...rest } = stored as Record<string, unknown>;
  return rest;
}
