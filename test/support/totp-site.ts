/**
 * The TOTP fixture site's server side, as a handler the shared fixture server mounts:
 * serves test/fixtures/sites/totp/ under /totp/, checks the login (`POST /totp/login`), sets a
 * session cookie, and checks codes against a known secret (`POST /totp/verify`, ±1 window).
 * Records every login and verify body so tests can assert what the site received.
 *
 *   const site = createTotpSite({ secret: 'JBSWY3DPEHPK3PXP' });
 *   createServer(async (req, res) => { if (!(await site.handle(req, res))) res.writeHead(404).end(); });
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSync } from 'otplib';

const SITE_DIR = fileURLToPath(new URL('../fixtures/sites/totp/', import.meta.url));
const FILES = new Set(['index.html', 'challenge.html', 'challenge-boxes.html', 'style.css']);
const COOKIE = 'totp_session';

export interface TotpSiteOptions {
  /** Base32 TOTP secret the site verifies against (SHA1, 6 digits, 30 s). */
  secret: string;
  username?: string;
  password?: string;
  /** Clock (ms); tests may shift it. */
  now?: () => number;
}

export interface TotpSiteRequest {
  path: '/totp/login' | '/totp/verify';
  form: Record<string, string>;
  /** Whether the request carried a session cookie from a successful login. */
  loggedIn: boolean;
  /** For /totp/verify: whether the code was accepted. For /totp/login: whether the login was. */
  accepted: boolean;
}

export interface TotpSite {
  /** Handles requests under /totp/; resolves false for any other path (not answered). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Every login and verify POST, in order. */
  readonly received: TotpSiteRequest[];
  /** Forgets received requests and sessions. */
  reset(): void;
  /** Codes the site accepts right now (previous, current and next window). */
  acceptedCodes(): string[];
}

export const TOTP_SITE_USER = { username: 'jane', password: 'correct horse battery staple' };

export function createTotpSite(options: TotpSiteOptions): TotpSite {
  const secret = options.secret.replace(/[\s-]/g, '').replace(/=+$/, '').toUpperCase();
  const username = options.username ?? TOTP_SITE_USER.username;
  const password = options.password ?? TOTP_SITE_USER.password;
  const now = options.now ?? Date.now;
  const received: TotpSiteRequest[] = [];
  /** session id → verified */
  const sessions = new Map<string, boolean>();

  const acceptedCodes = (): string[] => {
    const epoch = Math.floor(now() / 1000);
    return [-30, 0, 30].map((shift) =>
      generateSync({ secret, epoch: epoch + shift, digits: 6, period: 30, algorithm: 'sha1' }),
    );
  };

  const sessionOf = (req: IncomingMessage): string | null => {
    const cookies = String(req.headers.cookie ?? '').split(/;\s*/);
    const pair = cookies.find((c) => c.startsWith(`${COOKIE}=`));
    const id = pair ? pair.slice(COOKIE.length + 1) : null;
    return id && sessions.has(id) ? id : null;
  };

  const html = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fixture Bank</title>` +
        `<link rel="stylesheet" href="/totp/style.css"></head><body><main class="card">${body}</main></body></html>`,
    );
  };

  return {
    received,
    acceptedCodes,
    reset() {
      received.length = 0;
      sessions.clear();
    },
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://fixture');
      if (url.pathname !== '/totp' && !url.pathname.startsWith('/totp/')) return false;

      if (
        req.method === 'POST' &&
        (url.pathname === '/totp/login' || url.pathname === '/totp/verify')
      ) {
        const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
        const session = sessionOf(req);
        if (url.pathname === '/totp/login') {
          const ok = form['username'] === username && form['password'] === password;
          received.push({ path: '/totp/login', form, loggedIn: session !== null, accepted: ok });
          if (!ok) {
            res.writeHead(303, { location: '/totp/index.html?error' }).end();
            return true;
          }
          const id = randomBytes(16).toString('hex');
          sessions.set(id, false);
          const next = form['challenge'] === 'boxes' ? 'challenge-boxes.html' : 'challenge.html';
          res
            .writeHead(303, {
              location: `/totp/${next}`,
              'set-cookie': `${COOKIE}=${id}; Path=/totp; HttpOnly; SameSite=Lax`,
            })
            .end();
          return true;
        }
        const code = (form['code'] ?? '').trim();
        const ok = session !== null && /^\d{6}$/.test(code) && acceptedCodes().includes(code);
        received.push({ path: '/totp/verify', form, loggedIn: session !== null, accepted: ok });
        if (!session) {
          html(
            res,
            401,
            '<h1 id="result">Please sign in first</h1><a href="/totp/index.html">Sign in</a>',
          );
        } else if (ok) {
          sessions.set(session, true);
          html(res, 200, '<h1 id="result">Welcome back, Jane</h1><p>Balance: $1,024.00</p>');
        } else {
          html(
            res,
            200,
            '<h1 id="result">Invalid code</h1><a href="/totp/challenge.html">Try again</a>',
          );
        }
        return true;
      }

      if (req.method === 'GET' || req.method === 'HEAD') {
        const name = url.pathname.replace(/^\/totp\/?/, '') || 'index.html';
        if (!FILES.has(name)) {
          res.writeHead(404).end();
          return true;
        }
        const data = await readFile(join(SITE_DIR, name));
        res.writeHead(200, {
          'content-type': extname(name) === '.css' ? 'text/css' : 'text/html; charset=utf-8',
        });
        res.end(req.method === 'HEAD' ? undefined : data);
        return true;
      }
      res.writeHead(405).end();
      return true;
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
