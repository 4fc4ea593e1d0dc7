/**
 * Serves test/fixtures/sites on two loopback origins (the second for cross-origin iframes) and
 * records what the pages submit, so tests assert what the site received.
 * See test/fixtures/sites/README.md for pages and endpoints.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TotpSite } from './totp-site.js';
import { buildWidget, vendorFile } from './widget-bundles.js';

export const SITES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/sites',
);

export interface ReceivedFile {
  field: string;
  filename: string;
  size: number;
  sha256: string;
  contentType: string;
  text: string;
}

export interface Submission {
  /** Name from the URL: POST /api/submit/<name> (uploads: "upload"). */
  name: string;
  origin: string;
  method: string;
  contentType: string;
  fields: Record<string, string | string[]>;
  files: ReceivedFile[];
  at: number;
}

/** One request as the fixture server saw it (every path, both origins). */
export interface SeenRequest {
  method: string;
  path: string;
  /** The path with its query, as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Date.now() when it arrived. */
  at: number;
}

/** Username/password accepted by /api/login, and the cookie it sets. */
export const LOGIN = { user: 'ada', pass: 'correct horse', cookie: 'acme_sid' } as const;

export interface FixtureServer {
  /** http://127.0.0.1:<port> of the main origin. */
  url: string;
  /**
   * A second origin serving the same files: http://localhost:<another port>, another site than
   * `url`, so its iframes run out of process in Chromium.
   */
  otherUrl: string;
  submissions(name?: string): Submission[];
  /** Every request received since the last clear(). */
  requests(): SeenRequest[];
  /** Resolves with the next submission of that name (or one already received since `since`). */
  waitForSubmission(name: string, timeoutMs?: number): Promise<Submission>;
  clear(): void;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

export const REPORT_CSV = 'id,name,amount\n1,Alpha,10.50\n2,Beta,20.00\n3,Gamma,31.25\n';

function addField(fields: Submission['fields'], k: string, v: string): void {
  const prev = fields[k];
  if (prev === undefined) fields[k] = v;
  else if (Array.isArray(prev)) prev.push(v);
  else fields[k] = [prev, v];
}

function parseMultipart(
  body: Buffer,
  boundary: string,
  fields: Submission['fields'],
  files: ReceivedFile[],
) {
  const delim = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    const start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delim, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1] ?? '';
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    if (filename !== undefined) {
      if (filename !== '' || content.length > 0) {
        files.push({
          field: name,
          filename,
          size: content.length,
          sha256: createHash('sha256').update(content).digest('hex'),
          contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? '',
          text: content.subarray(0, 2000).toString('utf8'),
        });
      }
    } else addField(fields, name, content.toString('utf8'));
    pos = next;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 15,000-node page: a long article-like document with nested sections, lists and links. */
export function hugePage(): string {
  const parts: string[] = [
    '<!doctype html><html><head><title>Huge page</title></head><body><h1>Huge page</h1>',
    '<form action="/api/submit/huge" method="post"><label>Search the archive <input name="q"></label><button>Search</button></form>',
  ];
  let nodes = 0;
  for (let s = 0; nodes < 15_000; s++) {
    parts.push(`<section><h2>Section ${s}</h2><div class="wrap"><div class="inner">`);
    nodes += 4;
    for (let p = 0; p < 8; p++) {
      parts.push(
        `<div class="row"><p>Paragraph ${s}.${p} of the archive with <b>bold</b> words and <a href="/item/${s}/${p}">item ${s}-${p}</a>.</p><span class="meta">meta ${p}</span></div>`,
      );
      nodes += 9;
    }
    parts.push(
      `<ul>${Array.from({ length: 5 }, (_, i) => `<li>entry ${s}.${i}</li>`).join('')}</ul></div></div></section>`,
    );
    nodes += 11;
  }
  parts.push('</body></html>');
  return parts.join('');
}

/** A generated form + table page with 2,000 interactable elements. */
export function bigFormPage(): string {
  const parts: string[] = [
    '<!doctype html><html><head><title>Big form</title></head><body><h1>Bulk editor</h1><form action="/api/submit/big" method="post"><table><thead><tr><th>#</th><th>Name</th><th>Qty</th><th>Status</th><th>Active</th><th>Action</th></tr></thead><tbody>',
  ];
  for (let i = 0; i < 400; i++) {
    parts.push(
      `<tr><td>${i}</td><td><input name="name${i}" aria-label="Name ${i}" value="Item ${i}"></td><td><input type="number" name="qty${i}" aria-label="Qty ${i}" value="${i % 7}"></td><td><select name="status${i}" aria-label="Status ${i}"><option>new</option><option>open</option><option>done</option></select></td><td><input type="checkbox" name="active${i}" aria-label="Active ${i}"${i % 2 ? ' checked' : ''}></td><td><a href="/row/${i}">Edit ${i}</a></td></tr>`,
    );
  }
  parts.push('</tbody></table><button>Save all</button></form></body></html>');
  return parts.join('');
}

export async function startFixtureServer(
  options: {
    /** Mounts the TOTP site's login and verify endpoints under /totp/ (test/support/totp-site.ts). */
    totp?: TotpSite;
  } = {},
): Promise<FixtureServer> {
  const received: Submission[] = [];
  const seen: SeenRequest[] = [];
  const sessionsByToken = new Map<string, string>();
  const waiters: { name: string; resolve: (s: Submission) => void }[] = [];
  const origins = { main: '', other: '' };

  const record = (s: Submission) => {
    received.push(s);
    for (const w of waiters.filter((x) => x.name === s.name)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(s);
    }
  };

  const handler = async (req: IncomingMessage, res: ServerResponse, self: 'main' | 'other') => {
    if (options.totp && (await options.totp.handle(req, res))) return;
    const url = new URL(req.url ?? '/', origins[self]);
    const p = url.pathname;
    seen.push({
      method: req.method ?? 'GET',
      path: p,
      url: req.url ?? '/',
      headers: { ...req.headers },
      at: Date.now(),
    });
    const send = (
      status: number,
      type: string,
      body: string | Buffer,
      extra: Record<string, string> = {},
    ) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
      res.end(body);
    };
    const submitMatch = /^\/api\/(submit\/([\w-]+)|upload)$/.exec(p);
    if (submitMatch && req.method === 'POST') {
      const body = await readBody(req);
      const ct = req.headers['content-type'] ?? '';
      const fields: Submission['fields'] = {};
      const files: ReceivedFile[] = [];
      if (ct.startsWith('application/x-www-form-urlencoded')) {
        for (const [k, v] of new URLSearchParams(body.toString('utf8'))) addField(fields, k, v);
      } else if (ct.startsWith('application/json')) {
        const parsed: unknown = JSON.parse(body.toString('utf8') || '{}');
        if (parsed && typeof parsed === 'object') {
          for (const [k, v] of Object.entries(parsed))
            addField(fields, k, typeof v === 'string' ? v : JSON.stringify(v));
        }
      } else if (ct.startsWith('multipart/form-data')) {
        const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(ct);
        parseMultipart(body, boundary?.[1] ?? boundary?.[2] ?? '', fields, files);
      } else if (body.length > 0) fields['_raw'] = body.toString('utf8');
      const name = submitMatch[2] ?? 'upload';
      record({
        name,
        origin: origins[self],
        method: 'POST',
        contentType: ct,
        fields,
        files,
        at: Date.now(),
      });
      const cors = { 'access-control-allow-origin': '*' };
      if (
        (req.headers.accept ?? '').includes('application/json') ||
        ct.startsWith('application/json')
      ) {
        send(200, 'application/json', JSON.stringify({ ok: true, name }), cors);
        return;
      }
      const list = Object.entries(fields)
        .map(([k, v]) => `<li>${esc(k)}: ${esc(Array.isArray(v) ? v.join(', ') : v)}</li>`)
        .concat(
          files.map((f) => `<li>file ${esc(f.field)}: ${esc(f.filename)} (${f.size} bytes)</li>`),
        )
        .join('');
      send(
        200,
        MIME['.html']!,
        `<!doctype html><title>Received</title><h1>Received ${esc(name)}</h1><ul id="received">${list}</ul><a href="/index.html">Back to the gallery</a>`,
        cors,
      );
      return;
    }
    if (req.method === 'OPTIONS') {
      send(204, 'text/plain', '', {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': 'content-type',
        'access-control-allow-methods': 'POST, GET',
      });
      return;
    }
    if (p === '/api/login' && req.method === 'POST') {
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      if (form.get('user') !== LOGIN.user || form.get('pass') !== LOGIN.pass) {
        send(
          401,
          MIME['.html']!,
          '<!doctype html><title>Sign in failed</title><h1>Wrong username or password</h1><a href="/login.html">Try again</a>',
        );
        return;
      }
      const token = createHash('sha256')
        .update(`${Date.now()}:${Math.random()}`)
        .digest('hex')
        .slice(0, 24);
      sessionsByToken.set(token, LOGIN.user);
      send(303, 'text/plain', '', {
        location: '/account',
        'set-cookie': `${LOGIN.cookie}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600`,
      });
      return;
    }
    if (p === '/account') {
      const cookie = /(?:^|;\s*)acme_sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      const user = cookie ? sessionsByToken.get(cookie) : undefined;
      send(
        200,
        MIME['.html']!,
        user
          ? `<!doctype html><title>Your account</title><h1>Welcome back, ${esc(user)}</h1><p id="who">Signed in as ${esc(user)}</p><a href="/account/orders">Your orders</a>`
          : '<!doctype html><title>Your account</title><h1>Please sign in</h1><a href="/login.html">Sign in</a>',
      );
      return;
    }
    if (p === '/account/orders') {
      const cookie = /(?:^|;\s*)acme_sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      const user = cookie ? sessionsByToken.get(cookie) : undefined;
      send(
        200,
        MIME['.html']!,
        user
          ? `<!doctype html><title>Orders</title><h1>Orders of ${esc(user)}</h1><ul><li>Order A-17: 2 lamps</li></ul>`
          : '<!doctype html><title>Orders</title><h1>Please sign in</h1>',
      );
      return;
    }
    if (p === '/api/submissions') {
      send(200, 'application/json', JSON.stringify(received));
      return;
    }
    if (p === '/api/items') {
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 20), 50);
      const total = 200;
      const items = Array.from(
        { length: Math.max(0, Math.min(limit, total - offset)) },
        (_, i) => ({
          id: offset + i + 1,
          title: `Item ${offset + i + 1}`,
        }),
      );
      send(200, 'application/json', JSON.stringify({ items, total }));
      return;
    }
    if (p === '/api/table') {
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
      const pages = 5;
      const rows = Array.from({ length: 10 }, (_, i) => {
        const n = (page - 1) * 10 + i + 1;
        return {
          id: n,
          name: `Customer ${n}`,
          city: ['Oslo', 'Lima', 'Pune', 'Kyiv', 'Doha'][n % 5],
          total: n * 3,
        };
      });
      send(200, 'application/json', JSON.stringify({ page, pages, rows }));
      return;
    }
    if (p === '/api/suggest') {
      const q = (url.searchParams.get('q') ?? '').toLowerCase();
      const cities = [
        'Amsterdam',
        'Ankara',
        'Athens',
        'Auckland',
        'Berlin',
        'Bern',
        'Boston',
        'Paris',
        'Porto',
        'Prague',
      ];
      send(
        200,
        'application/json',
        JSON.stringify(q ? cities.filter((c) => c.toLowerCase().startsWith(q)) : []),
      );
      return;
    }
    if (p === '/api/slow') {
      // A page whose server answers late (navigation waits).
      const ms = Math.min(Number(url.searchParams.get('ms') ?? 1000), 10_000);
      await new Promise((resolve) => setTimeout(resolve, ms));
      send(
        200,
        MIME['.html']!,
        '<!doctype html><title>Slow page</title><h1>Slow page arrived</h1>',
      );
      return;
    }
    if (p === '/api/no-content') {
      send(204, 'text/plain', '');
      return;
    }
    if (p === '/api/download/report.csv') {
      send(200, 'text/csv', REPORT_CSV, {
        'content-disposition': 'attachment; filename="report.csv"',
      });
      return;
    }
    if (p === '/api/download/export.json') {
      send(200, 'application/json', JSON.stringify({ exported: true, rows: 3 }), {
        'content-disposition': 'attachment; filename="export.json"',
      });
      return;
    }
    if (p === '/generated/huge.html') {
      send(200, MIME['.html']!, hugePage());
      return;
    }
    if (p === '/generated/big-form.html') {
      send(200, MIME['.html']!, bigFormPage());
      return;
    }
    const vendor = /^\/vendor\/([\w.-]+)$/.exec(p);
    if (vendor) {
      const found = await vendorFile(vendor[1]!);
      if (found) send(200, MIME[path.extname(vendor[1]!)] ?? 'text/plain', found);
      else send(404, 'text/plain', 'not found');
      return;
    }
    const bundle = /^\/widgets\/bundle\/([\w-]+)\.js$/.exec(p);
    if (bundle) {
      const built = await buildWidget(bundle[1]!);
      if (built) send(200, MIME['.js']!, built);
      else send(404, 'text/plain', 'not found');
      return;
    }
    const rel = p === '/' ? 'index.html' : decodeURIComponent(p.slice(1));
    const file = path.resolve(SITES_DIR, rel);
    if (!file.startsWith(SITES_DIR + path.sep)) {
      send(403, 'text/plain', 'forbidden');
      return;
    }
    try {
      let data: Buffer | string = await readFile(file);
      const ext = path.extname(file);
      if (ext === '.html' || ext === '.js') {
        data = data
          .toString('utf8')
          .replaceAll('{{OTHER_ORIGIN}}', origins.other)
          .replaceAll('{{MAIN_ORIGIN}}', origins.main);
      }
      send(200, MIME[ext] ?? 'application/octet-stream', data);
    } catch {
      send(404, 'text/plain', 'not found');
    }
  };

  const listen = (self: 'main' | 'other') =>
    new Promise<Server>((resolve) => {
      const s = createServer((req, res) => {
        handler(req, res, self).catch((e: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(e));
        });
      });
      s.listen(0, '127.0.0.1', () => {
        // The second origin is another site too (a different host, not only another port), so
        // Chromium's site isolation puts its frames in their own renderer: out-of-process iframes.
        const host = self === 'main' ? '127.0.0.1' : 'localhost';
        origins[self] = `http://${host}:${(s.address() as AddressInfo).port}`;
        resolve(s);
      });
    });
  const servers = [await listen('main'), await listen('other')];
  return {
    url: origins.main,
    otherUrl: origins.other,
    requests: () => [...seen],
    submissions: (name) => received.filter((s) => name === undefined || s.name === name),
    waitForSubmission: (name, timeoutMs = 10_000) => {
      const existing = received.find((s) => s.name === name);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const w = { name, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`no submission "${name}" within ${timeoutMs} ms`));
          }
        }, timeoutMs).unref();
      });
    },
    clear: () => {
      received.length = 0;
      seen.length = 0;
    },
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.closeAllConnections();
              s.close(() => r());
            }),
        ),
      );
    },
  };
}
