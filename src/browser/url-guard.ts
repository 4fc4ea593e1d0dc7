/**
 * Navigation policy for the URLs an agent opens: cloud metadata endpoints are always refused (they
 * hand out credentials); private and loopback networks are refused unless allowed
 * (WREN_ALLOW_PRIVATE_NETWORKS=true, WREN_EGRESS_ALLOW, or the run option). Only http(s),
 * about:blank and data: URLs can be opened by an agent.
 *
 * This is the early, friendly check (an error naming the field). What the page does by itself
 * (redirects, links, frames, fetches, WebSockets, new tabs) goes through the egress proxy in front
 * of Chromium (src/net/egress-proxy.ts), which applies the same src/net policy to every
 * connection's resolved address.
 */
import {
  bareHost,
  checkAddress,
  type EgressPolicy,
  isIpAddress,
  isLocalName,
  isMetadataHost,
  resolveHostAddresses,
} from '../net/index.js';
import { BrowserError } from './errors.js';

/** A policy from the old boolean switch, or the policy itself. */
export function asPolicy(policy: boolean | EgressPolicy): EgressPolicy {
  return typeof policy === 'boolean' ? { allowPrivateNetworks: policy } : policy;
}

/** Throws a `navigation_blocked` BrowserError when the URL may not be opened. */
export function checkNavigationUrl(raw: string, allow: boolean | EgressPolicy): URL {
  const policy = asPolicy(allow);
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
  const literal = isIpAddress(host) ? host : isLocalName(host) ? '127.0.0.1' : null;
  const verdict = literal ? checkAddress(policy, literal, host) : null;
  if (verdict && !verdict.ok) {
    throw new BrowserError(
      'navigation_blocked',
      verdict.kind === 'metadata'
        ? `url: ${host} is a cloud metadata address`
        : `url: ${host} is a private network address`,
    );
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
  allow: boolean | EgressPolicy,
  resolve?: HostResolver,
): Promise<URL> {
  const policy = asPolicy(allow);
  const url = checkNavigationUrl(raw, policy);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return url;
  const host = bareHost(url.hostname);
  if (isIpAddress(host) || isLocalName(host)) return url;
  let addresses: string[];
  try {
    addresses = await (resolve ?? policy.resolve ?? resolveHostAddresses)(host);
  } catch {
    return url;
  }
  for (const address of addresses) {
    if (!isIpAddress(address)) continue;
    const verdict = checkAddress(policy, address, host);
    if (verdict.ok) continue;
    throw new BrowserError(
      'navigation_blocked',
      verdict.kind === 'metadata'
        ? `url: ${host} resolves to a cloud metadata address (${address})`
        : `url: ${host} resolves to a private network address (${address})`,
    );
  }
  return url;
}
