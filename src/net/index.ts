/**
 * Network policy for requests the server makes on a caller's behalf (webhooks, TOTP URLs) and
 * for addresses the browser must never reach (cloud metadata). Address classification uses
 * ipaddr.js; this module only decides which classes are allowed.
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** Addresses cloud providers serve instance metadata (and credentials) on. Always refused. */
export const METADATA_ADDRESSES: readonly string[] = [
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean
  '169.254.170.2', // AWS ECS task metadata
  '100.100.100.200', // Alibaba Cloud
  'fd00:ec2::254', // AWS IPv6
];
export const METADATA_HOSTNAMES: readonly string[] = [
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'metadata.azure.com',
];
const METADATA_ADDRESS_SET = new Set(METADATA_ADDRESSES);
const METADATA_HOSTNAME_SET = new Set(METADATA_HOSTNAMES);

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

/** A host name without IPv6 brackets or a trailing root dot, lower-cased. */
export function bareHost(hostname: string): string {
  return hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = address.replace(/^\[|\]$/g, '');
  // Plain dotted quads and IPv6 only: ipaddr.isValid would also take "0x7f.1" or "2130706433",
  // which URL parsers have already turned into dotted quads by the time a host reaches here.
  if (!ipaddr.IPv4.isValidFourPartDecimal(bare) && !ipaddr.IPv6.isValid(bare)) return null;
  // process() turns IPv4-mapped IPv6 (::ffff:10.0.0.1) into the IPv4 address it carries.
  return ipaddr.process(bare);
}

/** True for an IPv4 dotted quad or an IPv6 address (with or without brackets). */
export function isIpAddress(host: string): boolean {
  return parseAddress(host) !== null;
}

/** The IPv4 address a NAT64 (64:ff9b::/96) address carries, else null. */
function nat64Embedded(ip: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | null {
  if (ip.kind() !== 'ipv6' || ip.range() !== 'rfc6052') return null;
  const parts = (ip as ipaddr.IPv6).parts;
  const hi = parts[6] ?? 0;
  const lo = parts[7] ?? 0;
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/** Classifies one IP literal. Anything that is not plain public unicast counts as private. */
export function classifyAddress(address: string): AddressClass {
  const ip = parseAddress(address);
  if (!ip) throw new Error(`not an IP address: ${address}`);
  const embedded = nat64Embedded(ip);
  for (const candidate of embedded ? [ip, embedded] : [ip]) {
    if (
      METADATA_ADDRESS_SET.has(candidate.toNormalizedString()) ||
      METADATA_ADDRESS_SET.has(candidate.toString())
    ) {
      return 'metadata';
    }
  }
  return ip.range() === 'unicast' ? 'public' : 'private';
}

/**
 * Every spelling a browser may reach these hosts by once its URL parser has canonicalised the
 * host (decimal and hex IPv4 are dotted quads by then): names as given, IPv6 compressed, and IPv4
 * addresses again as IPv4-mapped and NAT64 IPv6 (`::ffff:a9fe:a9fe`, `64:ff9b::a9fe:a9fe`).
 */
export function hostSpellings(hosts: readonly string[]): string[] {
  const spellings = new Set<string>();
  for (const host of hosts) {
    const bare = bareHost(host);
    if (!ipaddr.isValid(bare)) {
      spellings.add(bare);
      continue;
    }
    const ip = ipaddr.parse(bare);
    spellings.add(ip.toString());
    if (ip.kind() === 'ipv4') {
      const [a = 0, b = 0, c = 0, d = 0] = (ip as ipaddr.IPv4).octets;
      const hex = (x: number, y: number) => ((x << 8) | y).toString(16);
      spellings.add((ip as ipaddr.IPv4).toIPv4MappedAddress().toString());
      spellings.add(`64:ff9b::${hex(a, b)}:${hex(c, d)}`);
    }
  }
  return [...spellings];
}

/** hostSpellings of every cloud metadata name and address. */
export function metadataHostSpellings(): string[] {
  return hostSpellings([...METADATA_HOSTNAMES, ...METADATA_ADDRESSES]);
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
  const hostname = bareHost(parsed.hostname);
  if (METADATA_HOSTNAME_SET.has(hostname)) {
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
  const host = bareHost(hostname);
  if (METADATA_HOSTNAME_SET.has(host)) return true;
  return parseAddress(host) !== null && classifyAddress(host) === 'metadata';
}

/** Every address the system resolver gives for a host name. */
export async function resolveHostAddresses(hostname: string): Promise<string[]> {
  return systemResolve(hostname);
}
