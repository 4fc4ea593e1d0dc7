/**
 * Navigation policy: cloud metadata endpoints are always refused (they hand out credentials);
 * private and loopback networks are refused unless allowed (WREN_ALLOW_PRIVATE_NETWORKS=true or
 * the run option). Only http(s), about:blank and data: URLs can be opened by an agent.
 *
 * Address classes come from src/net (ipaddr.js), the same rules the server's own requests follow,
 * so IPv4-mapped IPv6 (`[::ffff:169.254.169.254]`), NAT64 and every private IPv6 range count.
 * Navigations a page starts by itself (links, redirects, frames) are covered by the Chromium
 * resolver rules in launch.ts.
 */
import {
  bareHost,
  classifyAddress,
  isIpAddress,
  isMetadataHost,
  resolveHostAddresses,
} from '../net/index.js';
import { BrowserError } from './errors.js';

export function allowPrivateNetworksFromEnv(): boolean {
  return process.env['WREN_ALLOW_PRIVATE_NETWORKS'] === 'true';
}

function isLocalName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

/** Throws a `navigation_blocked` BrowserError when the URL may not be opened. */
export function checkNavigationUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BrowserError('navigation_blocked', `url: "${raw}" is not an absolute URL`);
  }
  if (url.href === 'about:blank' || url.protocol === 'data:') return url;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BrowserError('navigation_blocked', `url: scheme ${url.protocol} is not allowed`);
  }
  const host = bareHost(url.hostname);
  if (isMetadataHost(host)) {
    throw new BrowserError('navigation_blocked', `url: ${host} is a cloud metadata address`);
  }
  const privateIp = isIpAddress(host) && classifyAddress(host) !== 'public';
  if (!allowPrivate && (privateIp || isLocalName(host))) {
    throw new BrowserError('navigation_blocked', `url: ${host} is a private network address`);
  }
  return url;
}

export type HostResolver = (hostname: string) => Promise<string[]>;

/**
 * checkNavigationUrl, then the addresses a host name resolves to: a name that points at a
 * metadata address is refused always, one that points at a private address unless allowed.
 * A name that does not resolve here passes (the browser reports it, or a proxy resolves it).
 */
export async function checkNavigationTarget(
  raw: string,
  allowPrivate: boolean,
  resolve: HostResolver = resolveHostAddresses,
): Promise<URL> {
  const url = checkNavigationUrl(raw, allowPrivate);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return url;
  const host = bareHost(url.hostname);
  if (isIpAddress(host) || isLocalName(host)) return url;
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return url;
  }
  for (const address of addresses) {
    if (!isIpAddress(address)) continue;
    const kind = classifyAddress(address);
    if (kind === 'metadata') {
      throw new BrowserError(
        'navigation_blocked',
        `url: ${host} resolves to a cloud metadata address (${address})`,
      );
    }
    if (kind === 'private' && !allowPrivate) {
      throw new BrowserError(
        'navigation_blocked',
        `url: ${host} resolves to a private network address (${address})`,
      );
    }
  }
  return url;
}
