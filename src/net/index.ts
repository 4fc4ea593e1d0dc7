/**
 * Network policy for every connection Wren makes or lets a browser make: address classification
 * (address.ts), the policy and its checks (policy.ts), connections pinned to checked addresses
 * (pinned.ts) and the egress proxy in front of Chromium (egress-proxy.ts).
 */
export {
  bareHost,
  canonicalHost,
  hostSpellings,
  isIpAddress,
  METADATA_ADDRESSES,
  METADATA_HOSTNAMES,
} from './address.js';
export { connectPinned, type PinnedResponse, pinnedRequest, policyLookup } from './pinned.js';
export {
  type AddressClass,
  type AddressVerdict,
  assertPublicUrl,
  checkAddress,
  checkUrl,
  classifyAddress,
  type EgressPolicy,
  egressConfigProblems,
  egressPolicyFromEnv,
  type HostResolver,
  isLocalName,
  isMetadataHost,
  NetworkPolicyError,
  type RefusalKind,
  type ResolvedTarget,
  resolveTarget,
  systemResolve,
  type UrlPolicyOptions,
} from './policy.js';

import { hostSpellings, METADATA_ADDRESSES, METADATA_HOSTNAMES } from './address.js';
import { systemResolve } from './policy.js';

/** hostSpellings of every cloud metadata name and address. */
export function metadataHostSpellings(): string[] {
  return hostSpellings([...METADATA_HOSTNAMES, ...METADATA_ADDRESSES]);
}

/** Every address the system resolver gives for a host name. */
export async function resolveHostAddresses(hostname: string): Promise<string[]> {
  return systemResolve(hostname);
}
export {
  type BlockedRequest,
  type EgressProxy,
  type EgressProxyOptions,
  startEgressProxy,
  type UpstreamProxy,
} from './egress-proxy.js';
export {
  anyOwnEndpoint,
  isLocalAddress,
  isOwnEndpoint,
  type OwnEndpointRegistry,
  ownEndpointReason,
  publishOwnPort,
  reserveOwnPort,
  shareOwnEndpoints,
} from './own-endpoints.js';
