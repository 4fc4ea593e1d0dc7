/**
 * The network policy for addresses the server itself calls on a run's behalf (webhook_url,
 * totp_url, a browser_address): one options shape and one refusal for the run service, the SDK
 * actions and the run secrets.
 */
import { badRequest } from '../core/index.js';
import { checkUrl, type EgressPolicy, NetworkPolicyError } from '../net/index.js';

export interface EgressOptions {
  allowPrivateNetworks: boolean;
  /** Resolver for the network policy; tests may replace it. */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** The server's egress policy (allow-list included); else built from the two fields above. */
  egress?: EgressPolicy;
}

export function egressPolicy(options: EgressOptions): EgressPolicy {
  return (
    options.egress ?? {
      allowPrivateNetworks: options.allowPrivateNetworks,
      ...(options.resolveHost ? { resolve: options.resolveHost } : {}),
    }
  );
}

/**
 * A 400 `<field> refused: …` when `url` points at a metadata or (not allowed) private address.
 * With `passUnresolvable`, a name that does not resolve here passes (the connection is checked
 * again when it is made); otherwise it is refused too.
 */
export async function refuseBlocked(
  policy: EgressPolicy,
  field: string,
  url: string,
  options: { schemes?: readonly string[]; passUnresolvable?: boolean } = {},
): Promise<void> {
  try {
    await checkUrl(url, policy, options.schemes);
  } catch (error) {
    if (!(error instanceof NetworkPolicyError)) throw error;
    if (options.passUnresolvable && error.kind === 'unresolvable') return;
    throw badRequest(`${field} refused: ${error.message}`);
  }
}
