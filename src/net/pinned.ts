/**
 * Connections under the egress policy with the resolved address pinned: the name is resolved and
 * checked once, and the socket goes to exactly the address that passed.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type LookupFunction, type Socket } from 'node:net';
import { checkUrl, type EgressPolicy, NetworkPolicyError, resolveTarget } from './policy.js';

/**
 * A `lookup` for node:http/https/ws/net: resolves through the policy and answers only with
 * addresses that passed it, so the request cannot reach anything else.
 */
export function policyLookup(policy: EgressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolveTarget(policy, hostname).then(
      ({ addresses }) => {
        const family = (a: string) => (a.includes(':') ? 6 : 4);
        const wanted =
          options.family === 4 || options.family === 6
            ? addresses.filter((a) => family(a) === options.family)
            : addresses;
        const first = wanted[0];
        if (!first) {
          const error = new NetworkPolicyError(`${hostname} has no usable address`, hostname);
          return callback(error as unknown as NodeJS.ErrnoException, '', 0);
        }
        if (options.all) {
          return (
            callback as unknown as (e: null, all: { address: string; family: number }[]) => void
          )(
            null,
            wanted.map((address) => ({ address, family: family(address) })),
          );
        }
        callback(null, first, family(first));
      },
      (error: unknown) =>
        callback(
          (error instanceof Error ? error : new Error(String(error))) as NodeJS.ErrnoException,
          '',
          0,
        ),
    );
  };
}

function connectOnce(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection to ${address}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * Opens a TCP connection to `host:port` under the policy: tries the checked addresses in order
 * (so `localhost` works whether the server listens on 127.0.0.1 or ::1). Throws
 * NetworkPolicyError when refused, else the last connection error.
 */
export async function connectPinned(
  policy: EgressPolicy,
  host: string,
  port: number,
  timeoutMs = 30_000,
): Promise<{ socket: Socket; address: string }> {
  const { addresses } = await resolveTarget(policy, host);
  let last: unknown = null;
  for (const address of addresses) {
    try {
      return { socket: await connectOnce(address, port, timeoutMs), address };
    } catch (e) {
      last = e;
    }
  }
  throw last instanceof Error ? last : new Error(`could not connect to ${host}:${port}`);
}

export interface PinnedResponse {
  status: number;
  headers: Record<string, string>;
  /** At most `maxBytes` of the body. */
  body: Buffer;
  /** True when the body was longer than `maxBytes` (and cut). */
  truncated: boolean;
}

/**
 * One HTTP(S) request under the policy: the URL is checked (scheme, every resolved address) and
 * the connection goes to a checked address (policyLookup), so a DNS answer that changes between
 * the check and the connection cannot redirect it. Redirects are never followed.
 */
export async function pinnedRequest(
  policy: EgressPolicy,
  url: string,
  request: {
    method: string;
    headers?: Record<string, string | number>;
    body?: string | Buffer;
    signal?: AbortSignal;
    maxBytes: number;
  },
): Promise<PinnedResponse> {
  const { url: target } = await checkUrl(url, policy);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PinnedResponse>((resolve, reject) => {
    const req = send(
      target,
      {
        method: request.method,
        headers: {
          ...request.headers,
          ...(request.body !== undefined
            ? { 'content-length': Buffer.byteLength(request.body) }
            : {}),
        },
        lookup: policyLookup(policy),
        // A fresh connection per request: a pooled one would skip the check of this request.
        agent: false,
        ...(request.signal ? { signal: request.signal } : {}),
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        const finish = () =>
          resolve({
            status: res.statusCode ?? 0,
            headers,
            body: Buffer.concat(chunks).subarray(0, request.maxBytes),
            truncated,
          });
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          chunks.push(chunk);
          if (size > request.maxBytes) {
            truncated = true;
            res.destroy();
            finish();
          }
        });
        res.on('error', (e) => (truncated ? undefined : reject(e)));
        res.on('end', finish);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}
