/**
 * Address classification: which IP addresses count as public. ipaddr.js names the ranges; this
 * module decides, and looks through every way an IPv6 address can carry an IPv4 one
 * (IPv4-mapped, IPv4-compatible `::a.b.c.d`, SIIT, NAT64, 6to4), so `[::127.0.0.1]`,
 * `[::ffff:7f00:1]` and `[64:ff9b::a9fe:a9fe]` are judged as the IPv4 address they reach.
 */
import ipaddr from 'ipaddr.js';

export type Ip = ipaddr.IPv4 | ipaddr.IPv6;

/** Addresses cloud providers serve instance metadata (and credentials) on. Always refused. */
export const METADATA_ADDRESSES: readonly string[] = [
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
  '169.254.170.2', // AWS ECS task metadata
  '169.254.170.23', // AWS EKS pod identity
  '100.100.100.200', // Alibaba Cloud
  'fd00:ec2::254', // AWS IPv6
  'fd00:ec2::23', // AWS EKS pod identity IPv6
  'fd20:ce::254', // GCP IPv6
];
export const METADATA_HOSTNAMES: readonly string[] = [
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'metadata.azure.com',
  'instance-data',
  'instance-data.ec2.internal',
];

/** A host name without IPv6 brackets or a trailing root dot, lower-cased. */
export function bareHost(hostname: string): string {
  return hostname
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

/**
 * An IPv4 dotted quad or an IPv6 address (brackets allowed), else null. Other IPv4 spellings
 * ("0x7f.1", "2130706433") are not addresses here: URL parsers turn them into dotted quads, and
 * where a raw host arrives (the egress proxy) it is canonicalised with canonicalHost first.
 */
export function parseIp(address: string): Ip | null {
  const bare = bareHost(address);
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  if (!bare.includes(':') || bare.includes('%') || !ipaddr.IPv6.isValid(bare)) return null;
  return ipaddr.IPv6.parse(bare);
}

/** True for an IPv4 dotted quad or an IPv6 address (with or without brackets). */
export function isIpAddress(host: string): boolean {
  return parseIp(host) !== null;
}

/**
 * The host as a browser would canonicalise it: lower case, no trailing dot, decimal/hex/octal
 * IPv4 as a dotted quad, IPv6 compressed without brackets. Null when it is not a valid host.
 */
export function canonicalHost(host: string): string | null {
  const raw = host.trim();
  if (!raw) return null;
  const bracketed = raw.includes(':') && !raw.startsWith('[') ? `[${raw}]` : raw;
  try {
    const parsed = new URL(`http://${bracketed}/`).hostname;
    return parsed ? bareHost(parsed) : null;
  } catch {
    return null;
  }
}

function v4(parts: number[], at: number): ipaddr.IPv4 {
  const hi = parts[at] ?? 0;
  const lo = parts[at + 1] ?? 0;
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/** The IPv4 address an IPv6 address carries (mapped, compatible, SIIT, NAT64, 6to4), else null. */
export function embeddedIpv4(ip: Ip): ipaddr.IPv4 | null {
  if (ip.kind() !== 'ipv6') return null;
  const v6 = ip as ipaddr.IPv6;
  const p = v6.parts;
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return v4(p, 6);
  // IPv4-compatible (::a.b.c.d, deprecated): `[::127.0.0.1]` is `::7f00:1`. Not :: or ::1.
  if (p.slice(0, 6).every((x) => x === 0) && ((p[6] ?? 0) !== 0 || (p[7] ?? 0) > 1)) {
    return v4(p, 6);
  }
  if (range === '6to4') return v4(p, 1);
  return null;
}

/** Why an address is not public (the ipaddr.js range name), or null when it is public. */
export function nonPublicRange(ip: Ip): string | null {
  const embedded = embeddedIpv4(ip);
  if (embedded) return nonPublicRange(embedded);
  const range = ip.range();
  if (ip.kind() === 'ipv4') return range === 'unicast' ? null : range;
  // IPv6: only global unicast (2000::/3) outside the special ranges is public. Teredo hides its
  // client address, ::/96 and everything outside 2000::/3 is loopback, local or reserved.
  if (range !== 'unicast') return range;
  return ip.match(ipaddr.IPv6.parse('2000::'), 3) ? null : 'reserved';
}

/** `ip` and the IPv4 address it carries, if any: a rule on either applies. */
export function addressForms(ip: Ip): Ip[] {
  const embedded = embeddedIpv4(ip);
  return embedded ? [ip, embedded] : [ip];
}

/** An IP or CIDR (`10.1.0.0/16`, `fd00::/8`, `127.0.0.2`) as a range; null when it is neither. */
export function parseCidr(text: string): [Ip, number] | null {
  const t = text.trim();
  if (t.includes('/')) {
    try {
      const [addr, bits] = ipaddr.parseCIDR(
        bareHost(t.split('/')[0] ?? '') + t.slice(t.indexOf('/')),
      );
      return [addr, bits];
    } catch {
      return null;
    }
  }
  const ip = parseIp(t);
  return ip ? [ip, ip.kind() === 'ipv4' ? 32 : 128] : null;
}

/** True when `ip` (or the IPv4 address it carries) lies in one of the ranges. */
export function inRanges(ip: Ip, ranges: readonly [Ip, number][]): boolean {
  return addressForms(ip).some((form) =>
    ranges.some(([base, bits]) => base.kind() === form.kind() && form.match(base, bits)),
  );
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
