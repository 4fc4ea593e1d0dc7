/**
 * A small HTTP forward proxy with Basic authentication on 127.0.0.1: absolute-URI requests are
 * forwarded, CONNECT opens a tunnel. Records what passed through so tests can prove routing.
 */
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Absolute URL for forwarded requests, host:port for CONNECT. */
  target: string;
  headers: IncomingMessage['headers'];
}

export interface ForwardProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  /** http://user:pass@127.0.0.1:<port> */
  urlWithCredentials: string;
  /** Requests that authenticated and were forwarded. */
  readonly passed: ProxiedRequest[];
  /** Requests refused with 407 (no or wrong credentials). */
  readonly refused: number;
  close(): Promise<void>;
}

export async function startForwardProxy(user: string, pass: string): Promise<ForwardProxy> {
  const expected = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  const passed: ProxiedRequest[] = [];
  let refused = 0;
  const sockets = new Set<Socket>();
  const authorized = (req: IncomingMessage) => req.headers['proxy-authorization'] === expected;

  const server = createServer((req, res) => {
    if (!authorized(req)) {
      refused++;
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test-proxy"' });
      res.end();
      return;
    }
    const target = new URL(req.url ?? '');
    passed.push({ method: req.method ?? 'GET', target: target.href, headers: req.headers });
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port || 80,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: { ...headers, via: '1.1 test-proxy' },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    if (!authorized(req)) {
      refused++;
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test-proxy"\r\n\r\n',
      );
      return;
    }
    passed.push({ method: 'CONNECT', target: req.url ?? '', headers: req.headers });
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port) || 443, host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    urlWithCredentials: `http://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`,
    passed,
    get refused() {
      return refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
