/**
 * The egress policy: one rule for every connection Wren makes or lets a browser make. A host is
 * resolved (resolver injectable), every address it resolves to must pass, and the caller connects
 * to exactly those addresses (no second lookup, so no DNS rebinding between check and connect).
 *
 * - Cloud metadata names and addresses (and `deny`) are refused always, in every spelling.
 * - Loopback, private, link-local, unique-local, CGNAT, reserved and IPv4-in-IPv6 forms of them
 *   are refused unless WREN_ALLOW_PRIVATE_NETWORKS=true or the host/address is on the allow-list
 *   (WREN_EGRESS_ALLOW: host names, `*.suffix`, IPs and CIDRs).
 * - `publicAddresses` (WREN_TEST_PUBLIC_ADDRESSES) counts some addresses as public: tests make
 *   127.0.0.2 the "internet" while 127.0.0.1 stays private, so they never send traffic elsewhere.
 */
import { lookup } from 'node:dns/promises';
import {
  bareHost,
  canonicalHost,
  type Ip,
  inRanges,
  METADATA_ADDRESSES,
  METADATA_HOSTNAMES,
  nonPublicRange,
  parseCidr,
  parseIp,
} from './address.js';

export type HostResolver = (hostname: string) => Promise<string[]>;

export interface EgressPolicy {
  allowPrivateNetworks: boolean;
  /** Hosts (`intranet.local`, `*.corp.example`), IPs and CIDRs reachable even when private. */
  allow?: readonly string[];
  /** IPs and CIDRs counted as public (tests: WREN_TEST_PUBLIC_ADDRESSES). */
  publicAddresses?: readonly string[];
  /** Hosts, IPs and CIDRs refused always, like cloud metadata. */
  deny?: readonly string[];
  /** Resolver, replaceable in tests; defaults to the system resolver (all addresses). */
  resolve?: HostResolver;
}

/** Kept for callers that only knew the two fields. */
export type UrlPolicyOptions = EgressPolicy;

/** Why a host or address is refused: `metadata` (always) or `private` (unless allowed). */
export type RefusalKind = 'metadata' | 'private' | 'unresolvable' | 'invalid';

export class NetworkPolicyError extends Error {
  override readonly name = 'NetworkPolicyError';
  constructor(
    message: string,
    /** The URL or host that was refused. */
    readonly url: string,
    readonly kind: RefusalKind = 'private',
  ) {
    super(message);
  }
}

/** Only `public` addresses pass unless private networks (or the allow-list) allow them. */
export type AddressClass = 'public' | 'metadata' | 'private';

const METADATA_RANGES = METADATA_ADDRESSES.map((a) => parseCidr(a) as [Ip, number]);
const METADATA_HOSTNAME_SET = new Set(METADATA_HOSTNAMES);

interface Compiled {
  allowRanges: [Ip, number][];
  allowHosts: string[];
  publicRanges: [Ip, number][];
  denyRanges: [Ip, number][];
  denyHosts: string[];
}

const compiled = new WeakMap<EgressPolicy, Compiled>();

function split(list: readonly string[] | undefined): { ranges: [Ip, number][]; hosts: string[] } {
  const ranges: [Ip, number][] = [];
  const hosts: string[] = [];
  for (const entry of list ?? []) {
    const range = parseCidr(entry);
    if (range) ranges.push(range);
    else if (entry.trim()) hosts.push(bareHost(entry));
  }
  return { ranges, hosts };
}

function compile(policy: EgressPolicy): Compiled {
  let c = compiled.get(policy);
  if (!c) {
    const allow = split(policy.allow);
    const deny = split(policy.deny);
    c = {
      allowRanges: allow.ranges,
      allowHosts: allow.hosts,
      publicRanges: split(policy.publicAddresses).ranges,
      denyRanges: deny.ranges,
      denyHosts: deny.hosts,
    };
    compiled.set(policy, c);
  }
  return c;
}

/** `name` matches `pattern`: equal, or `*.suffix` / `.suffix` and a subdomain of suffix. */
function hostMatches(name: string, pattern: string): boolean {
  if (pattern.startsWith('*.') || pattern.startsWith('.')) {
    const suffix = pattern.slice(pattern.indexOf('.'));
    return name.endsWith(suffix) && name.length > suffix.length;
  }
  return name === pattern;
}

/**
 * Classifies one IP literal under a policy's public/deny lists (none: the plain rules).
 * Anything that is not plain public unicast counts as private.
 */
export function classifyAddress(address: string, policy?: EgressPolicy): AddressClass {
  const ip = parseIp(address);
  if (!ip) throw new Error(`not an IP address: ${address}`);
  const c = policy ? compile(policy) : null;
  if (inRanges(ip, METADATA_RANGES) || (c && inRanges(ip, c.denyRanges))) return 'metadata';
  if (c && inRanges(ip, c.publicRanges)) return 'public';
  return nonPublicRange(ip) === null ? 'public' : 'private';
}

/** True when the browser must not reach this host whatever the policy (cloud metadata). */
export function isMetadataHost(hostname: string): boolean {
  const host = bareHost(hostname);
  if (METADATA_HOSTNAME_SET.has(host)) return true;
  return parseIp(host) !== null && classifyAddress(host) === 'metadata';
}

/** `localhost` and `*.localhost` always mean loopback (RFC 6761), whatever a resolver says. */
export function isLocalName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

export interface AddressVerdict {
  ok: boolean;
  kind: AddressClass;
  /** Why it was refused (names the address and the rule), or null when it passes. */
  reason: string | null;
}

/**
 * Whether `address` may be connected to; `host` is the name it came from (the allow-list may
 * name it). Metadata and `deny` never pass; private ones pass when allowed.
 */
export function checkAddress(
  policy: EgressPolicy,
  address: string,
  host?: string,
  subject: string = host ?? address,
): AddressVerdict {
  const kind = classifyAddress(address, policy);
  if (kind === 'public') return { ok: true, kind, reason: null };
  const ip = parseIp(address) as Ip;
  if (kind === 'metadata') {
    return {
      ok: false,
      kind,
      reason: `${subject} points at a cloud metadata or blocked address (${address})`,
    };
  }
  const c = compile(policy);
  const name = host ? bareHost(host) : null;
  if (
    policy.allowPrivateNetworks ||
    inRanges(ip, c.allowRanges) ||
    (name !== null && c.allowHosts.some((p) => hostMatches(name, p)))
  ) {
    return { ok: true, kind, reason: null };
  }
  return {
    ok: false,
    kind,
    reason:
      `${subject} points at a private, loopback or link-local address (${address}); ` +
      'set WREN_ALLOW_PRIVATE_NETWORKS=true or list it in WREN_EGRESS_ALLOW to allow it',
  };
}

export async function systemResolve(hostname: string): Promise<string[]> {
  const records = await lookup(hostname, { all: true, verbatim: true });
  return records.map((r) => r.address);
}

/** A host and the addresses it may be reached at (connect to these, in order, and no others). */
export interface ResolvedTarget {
  host: string;
  addresses: string[];
}

/**
 * Resolves `host` and checks every address; throws NetworkPolicyError (naming the address and
 * rule) when the name is a metadata name, does not resolve, or any address is refused.
 */
export async function resolveTarget(
  policy: EgressPolicy,
  host: string,
  subject: string = host,
): Promise<ResolvedTarget> {
  const name = canonicalHost(host);
  if (!name) throw new NetworkPolicyError(`${subject} has no valid host`, subject, 'invalid');
  const c = compile(policy);
  if (METADATA_HOSTNAME_SET.has(name) || c.denyHosts.some((p) => hostMatches(name, p))) {
    throw new NetworkPolicyError(
      `${subject} points at a cloud metadata or blocked host (${name})`,
      subject,
      'metadata',
    );
  }
  let addresses: string[];
  if (parseIp(name)) addresses = [name];
  else if (isLocalName(name)) addresses = ['127.0.0.1', '::1'];
  else {
    try {
      addresses = await (policy.resolve ?? systemResolve)(name);
    } catch {
      addresses = [];
    }
    addresses = addresses.filter((a) => parseIp(a) !== null);
    if (addresses.length === 0) {
      throw new NetworkPolicyError(
        `the host of ${subject} could not be resolved`,
        subject,
        'unresolvable',
      );
    }
  }
  for (const address of addresses) {
    const verdict = checkAddress(policy, address, name, subject);
    if (!verdict.ok) {
      throw new NetworkPolicyError(
        verdict.reason ?? `${subject} is refused`,
        subject,
        verdict.kind === 'metadata' ? 'metadata' : 'private',
      );
    }
  }
  return { host: name, addresses: addresses.map((a) => bareHost(a)) };
}

/**
 * Refuses a URL the server should not call: non-http(s) schemes (unless `schemes` names more),
 * cloud metadata always, private addresses unless allowed. Returns the pinned addresses.
 */
export async function checkUrl(
  url: string,
  policy: EgressPolicy,
  schemes: readonly string[] = ['http:', 'https:'],
): Promise<ResolvedTarget & { url: URL }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NetworkPolicyError(`${url} is not a valid URL`, url, 'invalid');
  }
  if (!schemes.includes(parsed.protocol)) {
    const names = schemes.map((s) => s.replace(/:$/, ''));
    throw new NetworkPolicyError(
      `${url} must use ${names.slice(0, -1).join(', ')}${names.length > 1 ? ' or ' : ''}${names.at(-1)}`,
      url,
      'invalid',
    );
  }
  // Messages name the URL without its password (proxy URLs carry one).
  let subject = url;
  if (parsed.password) {
    const shown = new URL(parsed.href);
    shown.password = '***';
    subject = shown.href;
  }
  return { ...(await resolveTarget(policy, parsed.hostname, subject)), url: parsed };
}

/** checkUrl for http(s) URLs the server calls (webhooks, totp_url). */
export async function assertPublicUrl(url: string, policy: EgressPolicy): Promise<void> {
  await checkUrl(url, policy);
}

function listVar(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Problems in WREN_EGRESS_ALLOW / WREN_TEST_PUBLIC_ADDRESSES entries (empty when fine). */
export function egressConfigProblems(policy: EgressPolicy): string[] {
  const problems: string[] = [];
  for (const entry of policy.allow ?? []) {
    if (!parseCidr(entry) && !/^(\*\.|\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i.test(entry)) {
      problems.push(`WREN_EGRESS_ALLOW: "${entry}" is neither a host name, an IP nor a CIDR`);
    }
  }
  for (const entry of policy.publicAddresses ?? []) {
    if (!parseCidr(entry))
      problems.push(`WREN_TEST_PUBLIC_ADDRESSES: "${entry}" is neither an IP nor a CIDR`);
  }
  return problems;
}

/** The policy the environment describes (see docs/configuration.md, "Network policy"). */
export function egressPolicyFromEnv(env: Record<string, string | undefined>): EgressPolicy {
  return {
    allowPrivateNetworks: /^(1|true|yes)$/i.test(env['WREN_ALLOW_PRIVATE_NETWORKS']?.trim() ?? ''),
    allow: listVar(env['WREN_EGRESS_ALLOW']),
    publicAddresses: listVar(env['WREN_TEST_PUBLIC_ADDRESSES']),
  };
}
