/**
 * Network policy for requests the server makes on a caller's behalf (webhooks, TOTP URLs) and
 * for addresses the browser must never reach (cloud metadata). Address classification uses
 * ipaddr.js; this module only decides which classes are allowed.
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** Addresses cloud providers serve instance metadata (and credentials) on. Always refused. */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean
  '169.254.170.2', // AWS ECS task metadata
  '100.100.100.200', // Alibaba Cloud
  'fd00:ec2::254', // AWS IPv6
]);
const METADATA_HOSTNAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

/** Only `unicast` (public) addresses pass unless private networks are allowed. */
export type AddressClass = 'public' | 'metadata' | 'private';

export class NetworkPolicyError extends Error {
  constructor(
    message: string,
    readonly url: string,
  ) {
    super(message);
  }
}

function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return null;
  // process() turns IPv4-mapped IPv6 (::ffff:10.0.0.1) into the IPv4 address it carries.
  return ipaddr.process(bare);
}

/** Classifies one IP literal. Anything that is not plain public unicast counts as private. */
export function classifyAddress(address: string): AddressClass {
  const ip = parseAddress(address);
  if (!ip) throw new Error(`not an IP address: ${address}`);
  if (METADATA_ADDRESSES.has(ip.toNormalizedString()) || METADATA_ADDRESSES.has(ip.toString())) {
    return 'metadata';
  }
  return ip.range() === 'unicast' ? 'public' : 'private';
}

export interface UrlPolicyOptions {
  allowPrivateNetworks: boolean;
  /** Resolver, replaceable in tests; defaults to the system resolver (all addresses). */
  resolve?: (hostname: string) => Promise<string[]>;
}

async function systemResolve(hostname: string): Promise<string[]> {
  const records = await lookup(hostname, { all: true, verbatim: true });
  return records.map((r) => r.address);
}

/**
 * Refuses a URL the server should not call: non-http(s) schemes, cloud metadata addresses always,
 * and loopback/private/link-local/reserved addresses unless private networks are allowed.
 * Every address the host resolves to must pass.
 */
export async function assertPublicUrl(url: string, options: UrlPolicyOptions): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NetworkPolicyError(`${url} is not a valid URL`, url);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new NetworkPolicyError(`${url} must use http or https`, url);
  }
  const hostname = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (METADATA_HOSTNAMES.has(hostname)) {
    throw new NetworkPolicyError(`${url} points at a cloud metadata service`, url);
  }
  let addresses: string[];
  if (parseAddress(hostname)) {
    addresses = [hostname];
  } else {
    try {
      addresses = await (options.resolve ?? systemResolve)(hostname);
    } catch {
      throw new NetworkPolicyError(`the host of ${url} could not be resolved`, url);
    }
    if (addresses.length === 0) {
      throw new NetworkPolicyError(`the host of ${url} could not be resolved`, url);
    }
  }
  for (const address of addresses) {
    const kind = classifyAddress(address);
    if (kind === 'metadata') {
      throw new NetworkPolicyError(`${url} points at a cloud metadata address (${address})`, url);
    }
    if (kind === 'private' && !options.allowPrivateNetworks) {
      throw new NetworkPolicyError(
        `${url} resolves to a private, loopback or link-local address (${address}); ` +
          'set WREN_ALLOW_PRIVATE_NETWORKS=true to allow it',
        url,
      );
    }
  }
}

/** True when the browser must not navigate to this host (cloud metadata), whatever the policy. */
export function isMetadataHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (METADATA_HOSTNAMES.has(host)) return true;
  return parseAddress(host) !== null && classifyAddress(host) === 'metadata';
}
