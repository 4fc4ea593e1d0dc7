/**
 * The egress proxy in front of every Chromium Wren starts (the approach of Stripe's Smokescreen):
 * an HTTP proxy on loopback that handles CONNECT tunnels (https, wss) and plain HTTP forwarding
 * (http, ws), resolves every destination itself, checks each resolved address against the egress
 * policy and connects to exactly that address, so a page cannot reach a private or metadata
 * address by redirect, script, frame, new tab, WebSocket or DNS rebinding. Refusals answer 403
 * with the reason (header `x-wren-blocked`, and the body for plain HTTP) and are reported to the
 * listener, which records them in the run. A name that does not resolve is answered 502 and not
 * reported: it is an ordinary network failure (Chromium's own background requests meet it on a
 * machine without DNS), not the policy's doing.
 *
 * With an upstream proxy (a run's proxy_location), connections are chained through it: the
 * upstream's own address passes the policy (unless the operator configured it), and destinations
 * are checked as far as this host can tell (IP literals and names that resolve here); the
 * upstream resolves the rest on its own network.
 */
import { once } from 'node:events';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { canonicalHost, isIpAddress } from './address.js';
import { anyOwnEndpoint, ownEndpointReason } from './own-endpoints.js';
import { type EgressPolicy, NetworkPolicyError, resolveTarget } from './policy.js';

/** A connection the policy refused. */
export interface BlockedRequest {
  at: string;
  /** CONNECT for tunnels (https, wss), else the HTTP method. */
  method: string;
  /** `https://host:port` for tunnels (the path is encrypted), the full URL for plain HTTP. */
  url: string;
  host: string;
  port: number;
  reason: string;
}

export interface UpstreamProxy {
  /** http://, https://, socks5:// (or socks://), socks4:// host:port. */
  server: string;
  username?: string;
  password?: string;
  /** Operator-configured (WREN_PROXY_CONFIG): its address is not checked by the policy. */
  trusted?: boolean;
}

export interface EgressProxyOptions {
  policy: EgressPolicy;
  upstream?: UpstreamProxy | null;
  onBlocked?: (blocked: BlockedRequest) => void;
  /** Connect timeout per address, ms. Default 30000. */
  connectTimeoutMs?: number;
}

export interface EgressProxy {
  /** http://127.0.0.1:<port>, for Chromium's --proxy-server or a context's proxy. */
  readonly url: string;
  readonly port: number;
  /** Replaces the listener for refusals (a session's proxy reports to the run holding it). */
  setListener(listener: ((blocked: BlockedRequest) => void) | null): void;
  close(): Promise<void>;
}

const BLOCKED_HEADER = 'x-wren-blocked';

/** `host:port` of a CONNECT request (IPv6 in brackets). */
function splitAuthority(authority: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(authority) ?? /^([^:]+)(?::(\d+))?$/.exec(authority);
  if (!m) return { host: '', port: 0 };
  return { host: m[1] ?? '', port: m[2] ? Number(m[2]) : defaultPort };
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 500);
}

function connectTo(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('connect timed out')));
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

async function connectFirst(addresses: string[], port: number, timeoutMs: number) {
  let last: unknown = new Error('no address');
  for (const address of addresses) {
    try {
      return await connectTo(address, port, timeoutMs);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/** Reads an HTTP response head from a socket; returns the status and any bytes after it. */
function readHead(socket: Socket): Promise<{ status: number; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffer.length > 65536) done(new Error('upstream proxy sent an oversized answer'));
        return;
      }
      socket.off('data', onData);
      socket.off('error', done);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(buffer.toString('latin1'))?.[1] ?? 0);
      resolve({ status, rest: buffer.subarray(end + 4) });
    };
    const done = (e: Error) => {
      socket.off('data', onData);
      reject(e);
    };
    socket.on('data', onData);
    socket.once('error', done);
  });
}

function readBytes(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < n) return;
      socket.off('data', onData);
      socket.off('error', reject);
      if (buffer.length > n) socket.unshift(buffer.subarray(n));
      resolve(buffer.subarray(0, n));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** SOCKS5 CONNECT (RFC 1928/1929) on an open socket to the proxy. */
async function socks5(socket: Socket, host: string, port: number, user?: string, pass?: string) {
  socket.write(Buffer.from(user ? [5, 2, 0, 2] : [5, 1, 0]));
  const [, method] = await readBytes(socket, 2);
  if (method === 2) {
    const u = Buffer.from(user ?? '');
    const p = Buffer.from(pass ?? '');
    socket.write(Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([p.length]), p]));
    const [, status] = await readBytes(socket, 2);
    if (status !== 0) throw new Error('SOCKS proxy refused the credentials');
  } else if (method !== 0) throw new Error('SOCKS proxy offers no usable authentication');
  const name = Buffer.from(host);
  const portBytes = Buffer.from([port >> 8, port & 0xff]);
  socket.write(Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, portBytes]));
  const head = await readBytes(socket, 5);
  if (head[1] !== 0) throw new Error(`SOCKS proxy could not connect (code ${head[1]})`);
  const tail = head[3] === 1 ? 5 : head[3] === 4 ? 17 : (head[4] ?? 0) + 2;
  await readBytes(socket, tail);
}

/** SOCKS4a CONNECT on an open socket to the proxy. */
async function socks4(socket: Socket, host: string, port: number, user?: string) {
  socket.write(
    Buffer.concat([
      Buffer.from([4, 1, port >> 8, port & 0xff, 0, 0, 0, 1]),
      Buffer.from(`${user ?? ''}\0${host}\0`),
    ]),
  );
  const reply = await readBytes(socket, 8);
  if (reply[1] !== 0x5a) throw new Error(`SOCKS4 proxy could not connect (code ${reply[1]})`);
}

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const { policy } = options;
  const timeoutMs = options.connectTimeoutMs ?? 30_000;
  let listener = options.onBlocked ?? null;
  const sockets = new Set<Socket>();
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const upstream = options.upstream ? new URL(options.upstream.server) : null;
  const upstreamAuth =
    options.upstream?.username !== undefined
      ? `Basic ${Buffer.from(`${options.upstream.username}:${options.upstream.password ?? ''}`).toString('base64')}`
      : null;

  const block = (method: string, url: string, host: string, port: number, reason: string) => {
    const blocked: BlockedRequest = {
      at: new Date().toISOString(),
      method,
      url,
      host,
      port,
      reason: oneLine(reason),
    };
    try {
      listener?.(blocked);
    } catch {
      // A listener's failure never breaks the proxy.
    }
    return blocked;
  };

  /**
   * The addresses to connect to for a destination, or a refusal. Behind an upstream proxy a name
   * this host cannot resolve is left to the upstream.
   */
  const check = async (
    host: string,
    port: number,
  ): Promise<{ addresses: string[] } | { refused: string; unresolvable: boolean }> => {
    try {
      const target = await resolveTarget(policy, host);
      // Wren's own DevTools ports and session gateway: never, whatever the policy allows.
      if (await anyOwnEndpoint(target.addresses, port)) {
        return { refused: ownEndpointReason(`${host}:${port}`), unresolvable: false };
      }
      return target;
    } catch (e) {
      // Any other failure (a resolver error) refuses too: nothing leaves unchecked.
      if (!(e instanceof NetworkPolicyError)) return { refused: String(e), unresolvable: false };
      if (upstream && e.kind === 'unresolvable') return { addresses: [] };
      return { refused: e.message, unresolvable: e.kind === 'unresolvable' };
    }
  };

  /** The upstream proxy's own address (checked unless the operator configured it). */
  const upstreamSocket = async (): Promise<Socket> => {
    if (!upstream) throw new Error('no upstream');
    const host = canonicalHost(upstream.hostname) ?? upstream.hostname;
    const secure = upstream.protocol === 'https:';
    const port =
      Number(upstream.port) || (secure ? 443 : /^socks/.test(upstream.protocol) ? 1080 : 80);
    const addresses = options.upstream?.trusted
      ? (await resolveTarget({ allowPrivateNetworks: true, resolve: policy.resolve }, host))
          .addresses
      : (await resolveTarget(policy, host, `proxy ${host}`)).addresses;
    // A caller's proxy_location may not be one of Wren's own browsers either, whatever the policy.
    if (!options.upstream?.trusted && (await anyOwnEndpoint(addresses, port))) {
      throw new Error(ownEndpointReason(`proxy ${host}:${port}`));
    }
    const raw = await connectFirst(addresses, port, timeoutMs);
    if (!secure) return raw;
    const tls = tlsConnect({ socket: raw, servername: isIpAddress(host) ? undefined : host });
    await once(tls, 'secureConnect');
    return tls as unknown as Socket;
  };

  /** A TCP stream to host:port: direct to a checked address, or tunnelled through the upstream. */
  const open = async (host: string, port: number, addresses: string[]): Promise<Socket> => {
    if (!upstream) return connectFirst(addresses, port, timeoutMs);
    const socket = await upstreamSocket();
    const target = addresses[0] && isIpAddress(host) ? addresses[0] : host;
    const user = options.upstream?.username;
    const pass = options.upstream?.password;
    if (/^socks5?:$/.test(upstream.protocol)) await socks5(socket, target, port, user, pass);
    else if (upstream.protocol === 'socks4:') await socks4(socket, target, port, user);
    else {
      const authority = target.includes(':') ? `[${target}]:${port}` : `${target}:${port}`;
      socket.write(
        `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${upstreamAuth ? `Proxy-Authorization: ${upstreamAuth}\r\n` : ''}\r\n`,
      );
      const { status, rest } = await readHead(socket);
      if (status !== 200) {
        socket.destroy();
        throw new Error(`upstream proxy answered ${status} to CONNECT ${authority}`);
      }
      if (rest.length) socket.unshift(rest);
    }
    return socket;
  };

  const refuse = (res: ServerResponse, status: number, reason: string) => {
    if (res.headersSent) return res.destroy();
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      [BLOCKED_HEADER]: oneLine(reason),
      connection: 'close',
    });
    res.end(
      status === 403
        ? `Blocked by Wren's network policy: ${oneLine(reason)}\n`
        : `${oneLine(reason)}\n`,
    );
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
      if (target.protocol !== 'http:') throw new Error('not http');
    } catch {
      return refuse(res, 400, 'Wren egress proxy: only absolute http:// requests and CONNECT');
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const port = Number(target.port) || 80;
    const verdict = await check(host, port);
    if ('refused' in verdict) {
      // A name that does not resolve is a network failure like any other, not the policy's doing.
      if (verdict.unresolvable) return refuse(res, 502, verdict.refused);
      block(req.method ?? 'GET', target.href, host, port, verdict.refused);
      return refuse(res, 403, verdict.refused);
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    // Through an HTTP upstream the request goes as a proxy request (absolute URI); through a
    // SOCKS one over a tunnel; direct to the checked address.
    const viaHttpProxy = upstream !== null && /^https?:$/.test(upstream.protocol);
    let socket: Socket | null = null;
    try {
      if (viaHttpProxy) socket = await upstreamSocket();
      else if (upstream) socket = await open(host, port, verdict.addresses);
    } catch (e) {
      return refuse(res, 502, `could not reach ${host}:${port}: ${(e as Error).message}`);
    }
    if (viaHttpProxy && upstreamAuth) headers['proxy-authorization'] = upstreamAuth;
    const tunnel = socket;
    const out = httpRequest({
      host: verdict.addresses[0] ?? host,
      port,
      method: req.method,
      path: viaHttpProxy ? target.href : `${target.pathname}${target.search}`,
      headers,
      setHost: false,
      ...(tunnel ? { createConnection: () => tunnel } : { agent }),
    });
    out.on('response', (up) => {
      res.writeHead(up.statusCode ?? 502, up.rawHeaders);
      up.pipe(res);
    });
    out.on('error', (e) => refuse(res, 502, `could not reach ${host}:${port}: ${e.message}`));
    req.pipe(out);
  });

  server.on('connect', async (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const { host, port } = splitAuthority(req.url ?? '', 443);
    const answer = (status: string, reason?: string) => {
      client.end(
        `HTTP/1.1 ${status}\r\n${reason ? `${BLOCKED_HEADER}: ${oneLine(reason)}\r\n` : ''}Content-Length: 0\r\nConnection: close\r\n\r\n`,
      );
    };
    if (!host || !port) return answer('400 Bad Request');
    const verdict = await check(host, port);
    const url = `https://${host.includes(':') ? `[${host}]` : host}${port === 443 ? '' : `:${port}`}`;
    if ('refused' in verdict) {
      if (verdict.unresolvable) return answer('502 Bad Gateway', verdict.refused);
      block('CONNECT', url, host, port, verdict.refused);
      return answer('403 Forbidden', verdict.refused);
    }
    let remote: Socket;
    try {
      remote = await open(host, port, verdict.addresses);
    } catch (e) {
      return answer('502 Bad Gateway', `could not reach ${host}:${port}: ${(e as Error).message}`);
    }
    sockets.add(remote);
    remote.on('close', () => sockets.delete(remote));
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) remote.write(head);
    remote.pipe(client);
    client.pipe(remote);
    remote.on('error', () => client.destroy());
    client.on('close', () => remote.destroy());
    remote.on('close', () => client.destroy());
  });

  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setListener(next) {
      listener = next;
    },
    close: async () => {
      agent.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
