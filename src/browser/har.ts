/**
 * A HAR 1.2 log of one run's network traffic, built from Playwright's context events
 * (`request`, `response`, `requestfinished`, `requestfailed`). Those events exist for every
 * context a run can have — one Wren launched, a browser session's, a user's browser over CDP —
 * so all runs get the same log, with the same redaction, from the moment recording starts until
 * stop(). Playwright's `recordHar` would cover only contexts Wren creates itself.
 *
 * What is kept: pages (one per main-frame navigation), every request with method, URL, headers,
 * query, cookies (names), status, response headers, redirect target, sizes, timings and server
 * address. What is not: request bodies (only their size and type; URL-encoded form fields by
 * name), and response bodies unless `maxBodyBytes` asks for textual ones.
 *
 * Redaction, applied when the log is built: values of credential headers (Authorization,
 * Cookie, Set-Cookie, Proxy-Authorization, anything named like a token/key/secret/session, and
 * the run's own extra HTTP headers) become `[redacted]`; cookie values too; query parameters
 * named like a secret or a code likewise; finally `mask` (the run's secrets and one-time codes)
 * runs over every string of the log.
 */
import type { BrowserContext, Frame, Page, Request, Response } from 'playwright-core';

export const REDACTED = '[redacted]';

/** Headers whose values never reach the HAR (case-insensitive, matched anywhere in the name). */
const SECRET_HEADER =
  /authorization|cookie|auth|token|secret|api[-_]?key|password|passwd|session|signature|credential|csrf|xsrf/i;
/** Query and form fields whose values never reach the HAR. */
const SECRET_FIELD =
  /auth|token|secret|api[-_]?key|password|passwd|^pass$|^pwd$|session|signature|credential|csrf|xsrf|^code$|otp|^pin$|^sig$/i;
const TEXTUAL = /^(text\/|application\/(json|javascript|ecmascript|xml|[\w.+-]+\+(json|xml)))/i;

export interface HarOptions {
  /** More header names to redact (the run's extra_http_headers), case-insensitive. */
  redactHeaders?: readonly string[];
  /** Run over every string of the finished log (the run's secrets → placeholders). */
  mask?: (text: string) => string;
  /** Embed textual response bodies up to this many bytes each; 0 (default) embeds none. */
  maxBodyBytes?: number;
  /** Entries kept at most (default 10000); later requests are counted in `log.comment`. */
  maxEntries?: number;
  /** `log.creator`; default `{ name: 'Wren', version: '' }`. */
  creator?: { name: string; version: string };
}

export interface HarNameValue {
  name: string;
  value: string;
  comment?: string;
}

export interface HarCookie extends HarNameValue {
  path?: string;
  domain?: string;
  expires?: string;
  httpOnly?: boolean;
  secure?: boolean;
}

export interface HarPage {
  startedDateTime: string;
  id: string;
  title: string;
  pageTimings: { onContentLoad: number; onLoad: number };
}

export interface HarTimings {
  blocked: number;
  dns: number;
  connect: number;
  send: number;
  wait: number;
  receive: number;
  ssl: number;
}

export interface HarEntry {
  pageref?: string;
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: HarCookie[];
    headers: HarNameValue[];
    queryString: HarNameValue[];
    postData?: { mimeType: string; params: HarNameValue[]; text: string; comment?: string };
    headersSize: number;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: HarCookie[];
    headers: HarNameValue[];
    content: {
      size: number;
      compression?: number;
      mimeType: string;
      text?: string;
      encoding?: string;
      comment?: string;
    };
    redirectURL: string;
    headersSize: number;
    bodySize: number;
    comment?: string;
  };
  cache: Record<string, never>;
  timings: HarTimings;
  serverIPAddress?: string;
  connection?: string;
  _resourceType?: string;
  /** Why the egress policy refused this request (Wren's extension). */
  _blocked?: string;
}

export interface Har {
  log: {
    version: '1.2';
    creator: { name: string; version: string };
    browser?: { name: string; version: string };
    pages: HarPage[];
    entries: HarEntry[];
    comment?: string;
    /** Connections the egress policy refused (Wren's extension), with the reason. */
    _blocked?: { at: string; method: string; url: string; reason: string }[];
  };
}

interface Tracked {
  seq: number;
  request: Request;
  pageref: string | undefined;
  fallbackStart: number;
  response: Response | null;
  /** Set once the request finished or failed: the entry, built while the context is alive. */
  entry: Promise<HarEntry | null> | null;
}

interface PageState {
  current: HarPageState | null;
}

interface HarPageState {
  page: HarPage;
  startMs: number;
}

/** Bounded wait for a Playwright call that may never answer (a closed tab, a detached frame). */
async function settle<T>(work: Promise<T>, fallback: T, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.catch(() => fallback),
      new Promise<T>((resolve) => {
        timer = setTimeout(() => resolve(fallback), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const ms = (v: number) => Math.round(v * 1000) / 1000;

/** HAR timings from Playwright's resource timing (offsets from startTime, -1 when unknown). */
export function harTimings(t: ReturnType<Request['timing']>): {
  timings: HarTimings;
  time: number;
} {
  const known = (v: number) => v >= 0;
  const span = (a: number, b: number) => (known(a) && known(b) && b >= a ? ms(b - a) : -1);
  const firstStep = [t.domainLookupStart, t.connectStart, t.requestStart].find(known);
  const timings: HarTimings = {
    blocked: firstStep !== undefined ? ms(firstStep) : -1,
    dns: span(t.domainLookupStart, t.domainLookupEnd),
    connect: span(t.connectStart, t.connectEnd),
    ssl: span(t.secureConnectionStart, t.connectEnd),
    send: 0,
    wait: span(t.requestStart, t.responseStart),
    receive: span(t.responseStart, t.responseEnd),
  };
  if (timings.wait < 0) timings.wait = 0;
  if (timings.receive < 0) timings.receive = 0;
  let time = [
    timings.blocked,
    timings.dns,
    timings.connect,
    timings.send,
    timings.wait,
    timings.receive,
  ].reduce((sum, v) => (v > 0 ? sum + v : sum), 0);
  // Served without network phases (memory cache, service worker): the whole span is waiting.
  if (time === 0 && known(t.responseEnd)) {
    timings.wait = ms(t.responseEnd);
    time = timings.wait;
  }
  return { timings, time: ms(time) };
}

function parseCookieHeader(value: string): HarCookie[] {
  return value
    .split(/;\s*/)
    .map((pair) => pair.split('=')[0]?.trim() ?? '')
    .filter(Boolean)
    .map((name) => ({ name, value: REDACTED }));
}

function parseSetCookie(line: string): HarCookie {
  const [first = '', ...attrs] = line.split(';');
  const cookie: HarCookie = { name: first.split('=')[0]?.trim() ?? '', value: REDACTED };
  for (const attr of attrs) {
    const [k = '', ...rest] = attr.split('=');
    const key = k.trim().toLowerCase();
    const v = rest.join('=').trim();
    if (key === 'path') cookie.path = v;
    else if (key === 'domain') cookie.domain = v;
    else if (key === 'expires') {
      const d = new Date(v);
      if (!Number.isNaN(d.getTime())) cookie.expires = d.toISOString();
    } else if (key === 'httponly') cookie.httpOnly = true;
    else if (key === 'secure') cookie.secure = true;
  }
  return cookie;
}

/** A URL with the values of secret-named query parameters replaced; unchanged otherwise. */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  let changed = false;
  if (url.username || url.password) {
    url.username = url.username ? REDACTED : '';
    url.password = url.password ? REDACTED : '';
    changed = true;
  }
  const params = [...url.searchParams];
  if (params.some(([name]) => SECRET_FIELD.test(name))) {
    url.search = new URLSearchParams(
      params.map(([name, value]) => [name, SECRET_FIELD.test(name) ? REDACTED : value]),
    ).toString();
    changed = true;
  }
  return changed ? url.href : raw;
}

function queryOf(url: string): HarNameValue[] {
  try {
    return [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
  } catch {
    return [];
  }
}

function maskDeep<T>(value: T, mask: (text: string) => string): T {
  if (typeof value === 'string') return mask(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, mask)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, mask);
    return out as T;
  }
  return value;
}

export class HarRecorder {
  private readonly tracked = new Map<Request, Tracked>();
  private readonly done: Tracked[] = [];
  private readonly pages: HarPage[] = [];
  private readonly pageStates = new WeakMap<Page, PageState>();
  private readonly detachers: (() => void)[] = [];
  private readonly redactHeaders: Set<string>;
  private seq = 0;
  private dropped = 0;
  private readonly blocked: { at: string; method: string; url: string; reason: string }[] = [];
  private stopped: Promise<Har> | null = null;

  private constructor(
    private readonly context: BrowserContext,
    private readonly options: HarOptions,
  ) {
    this.redactHeaders = new Set((options.redactHeaders ?? []).map((h) => h.toLowerCase()));
  }

  /** Starts recording the context's traffic; requests already in flight are not included. */
  static start(context: BrowserContext, options: HarOptions = {}): HarRecorder {
    const rec = new HarRecorder(context, options);
    rec.listen();
    return rec;
  }

  private listen(): void {
    const ctx = this.context;
    const onPage = (p: Page) => this.watchPage(p);
    const onRequest = (r: Request) => this.onRequest(r);
    const onResponse = (r: Response) => {
      const t = this.tracked.get(r.request());
      if (t) t.response = r;
    };
    const onFinished = (r: Request) => this.onDone(r, null);
    const onFailed = (r: Request) => this.onDone(r, r.failure()?.errorText ?? 'failed');
    ctx.on('page', onPage);
    ctx.on('request', onRequest);
    ctx.on('response', onResponse);
    ctx.on('requestfinished', onFinished);
    ctx.on('requestfailed', onFailed);
    this.detachers.push(() => {
      ctx.off('page', onPage);
      ctx.off('request', onRequest);
      ctx.off('response', onResponse);
      ctx.off('requestfinished', onFinished);
      ctx.off('requestfailed', onFailed);
    });
    for (const p of ctx.pages()) this.watchPage(p);
  }

  private watchPage(page: Page): void {
    if (this.pageStates.has(page)) return;
    const state: PageState = { current: null };
    this.pageStates.set(page, state);
    const mark = (field: 'onContentLoad' | 'onLoad') => () => {
      const cur = state.current;
      if (!cur || cur.page.pageTimings[field] >= 0) return;
      cur.page.pageTimings[field] = ms(Date.now() - cur.startMs);
      if (field === 'onLoad') {
        void settle(page.title(), '').then((title) => {
          if (title) cur.page.title = title;
        });
      }
    };
    const onDcl = mark('onContentLoad');
    const onLoad = mark('onLoad');
    page.on('domcontentloaded', onDcl);
    page.on('load', onLoad);
    this.detachers.push(() => {
      page.off('domcontentloaded', onDcl);
      page.off('load', onLoad);
    });
  }

  private pageOf(request: Request): Page | null {
    let frame: Frame;
    try {
      frame = request.frame();
    } catch {
      return null; // a service worker's request
    }
    try {
      return frame.page();
    } catch {
      return null;
    }
  }

  private onRequest(request: Request): void {
    if (this.stopped) return;
    if (this.tracked.size + this.done.length >= (this.options.maxEntries ?? 10_000)) {
      this.dropped++;
      return;
    }
    const page = this.pageOf(request);
    let pageref: string | undefined;
    if (page) {
      this.watchPage(page);
      const state = this.pageStates.get(page)!;
      const mainNavigation =
        request.isNavigationRequest() &&
        request.redirectedFrom() === null &&
        (() => {
          try {
            return request.frame() === page.mainFrame();
          } catch {
            return false;
          }
        })();
      if (mainNavigation || !state.current) {
        const startMs = request.timing().startTime || Date.now();
        const harPage: HarPage = {
          startedDateTime: new Date(startMs).toISOString(),
          id: `page_${this.pages.length + 1}`,
          title: redactUrl(request.url()),
          pageTimings: { onContentLoad: -1, onLoad: -1 },
        };
        this.pages.push(harPage);
        state.current = { page: harPage, startMs };
      }
      pageref = state.current?.page.id;
    }
    this.tracked.set(request, {
      seq: ++this.seq,
      request,
      pageref,
      fallbackStart: Date.now(),
      response: null,
      entry: null,
    });
  }

  private onDone(request: Request, failure: string | null): void {
    const t = this.tracked.get(request);
    if (!t || t.entry) return;
    this.tracked.delete(request);
    t.entry = this.build(t, failure, true).catch(() => null); // one odd request never costs the log
    this.done.push(t);
  }

  private headerValue(name: string, value: string): string {
    const lower = name.toLowerCase();
    if (this.redactHeaders.has(lower) || SECRET_HEADER.test(lower)) return REDACTED;
    if (lower === 'referer' || lower === 'location' || lower === 'content-location')
      return redactUrl(value);
    return value;
  }

  private headers(list: { name: string; value: string }[]): HarNameValue[] {
    return list.map(({ name, value }) => ({ name, value: this.headerValue(name, value) }));
  }

  private async build(t: Tracked, failure: string | null, finished: boolean): Promise<HarEntry> {
    const { request } = t;
    const response = t.response ?? (finished ? await settle(request.response(), null) : null);
    const maxBody = this.options.maxBodyBytes ?? 0;
    const [reqHeaders, resHeaders, sizes, server] = await Promise.all([
      settle(
        request.headersArray(),
        Object.entries(request.headers()).map(([name, value]) => ({ name, value })),
      ),
      response
        ? settle(
            response.headersArray(),
            Object.entries(response.headers()).map(([name, value]) => ({ name, value })),
          )
        : Promise.resolve([]),
      response && finished && !failure ? settle(request.sizes(), null) : Promise.resolve(null),
      response ? settle(response.serverAddr(), null) : Promise.resolve(null),
    ]);
    const header = (list: { name: string; value: string }[], name: string) =>
      list.find((h) => h.name.toLowerCase() === name)?.value ?? '';
    const mimeType = header(resHeaders, 'content-type');

    let text: string | undefined;
    let bodyComment = 'body not recorded';
    if (response && finished && !failure && maxBody > 0 && TEXTUAL.test(mimeType)) {
      const encoded = sizes?.responseBodySize ?? 0;
      if (encoded <= maxBody) {
        const body = await settle(response.body(), null);
        if (body && body.length <= maxBody) text = body.toString('utf8');
        else bodyComment = body ? `body over ${maxBody} bytes, not recorded` : bodyComment;
      } else bodyComment = `body over ${maxBody} bytes, not recorded`;
    }

    const timing = request.timing();
    const { timings, time } = harTimings(timing);
    const url = redactUrl(request.url());
    const postSize = sizes?.requestBodySize ?? request.postDataBuffer()?.length ?? 0;
    const reqType = header(reqHeaders, 'content-type');
    let postData: HarEntry['request']['postData'];
    if (request.postDataBuffer() !== null || postSize > 0) {
      const params = /^application\/x-www-form-urlencoded/i.test(reqType)
        ? [...new URLSearchParams(request.postData() ?? '')].map(([name]) => ({
            name,
            value: REDACTED,
          }))
        : [];
      postData = {
        mimeType: reqType,
        params,
        text: '',
        comment: 'request body not recorded (it may hold credentials or codes)',
      };
    }
    const bodySize = sizes?.responseBodySize ?? -1;
    const entry: HarEntry = {
      ...(t.pageref ? { pageref: t.pageref } : {}),
      startedDateTime: new Date(timing.startTime || t.fallbackStart).toISOString(),
      time,
      request: {
        method: request.method(),
        url,
        httpVersion: '',
        cookies: parseCookieHeader(header(reqHeaders, 'cookie')),
        headers: this.headers(reqHeaders),
        queryString: queryOf(url),
        ...(postData ? { postData } : {}),
        headersSize: sizes?.requestHeadersSize ?? -1,
        bodySize: postSize,
      },
      response: {
        status: response?.status() ?? 0,
        statusText: response?.statusText() ?? '',
        httpVersion: '',
        cookies: resHeaders
          .filter((h) => h.name.toLowerCase() === 'set-cookie')
          .flatMap((h) => h.value.split('\n'))
          .map(parseSetCookie),
        headers: this.headers(resHeaders),
        content: {
          size: text !== undefined ? Buffer.byteLength(text) : Math.max(bodySize, 0),
          mimeType,
          ...(text !== undefined
            ? {
                text,
                ...(bodySize >= 0 ? { compression: Buffer.byteLength(text) - bodySize } : {}),
              }
            : { comment: bodyComment }),
        },
        redirectURL: redactUrl(header(resHeaders, 'location')),
        headersSize: sizes?.responseHeadersSize ?? -1,
        bodySize,
        ...(failure
          ? { comment: `request failed: ${failure}` }
          : !finished
            ? { comment: 'no complete response before the run ended' }
            : {}),
      },
      cache: {},
      timings,
      ...(server ? { serverIPAddress: server.ipAddress, connection: String(server.port) } : {}),
      _resourceType: request.resourceType(),
    };
    return entry;
  }

  /** A connection the egress proxy refused: listed in the log and marked on its entries. */
  noteBlocked(blocked: { at: string; method: string; url: string; reason: string }): void {
    if (this.blocked.length < 1000) this.blocked.push(blocked);
  }

  /** The refusal behind an entry: its URL (plain HTTP) or its origin (a refused tunnel). */
  private blockedReason(url: string): string | undefined {
    let origin = '';
    try {
      origin = new URL(url).origin;
    } catch {
      return undefined;
    }
    return this.blocked.find((b) => b.url === url || (b.method === 'CONNECT' && b.url === origin))
      ?.reason;
  }

  /**
   * Stops listening and returns the log: finished requests, then those still in flight (with
   * what is known). Call while the context is still open. Idempotent.
   */
  stop(): Promise<Har> {
    if (!this.stopped) this.stopped = this.finish();
    return this.stopped;
  }

  private async finish(): Promise<Har> {
    for (const detach of this.detachers.splice(0)) detach();
    for (const t of this.tracked.values()) {
      t.entry = this.build(t, null, false).catch(() => null);
      this.done.push(t);
    }
    this.tracked.clear();
    const ordered = [...this.done].sort((a, b) => a.seq - b.seq);
    const entries = (await Promise.all(ordered.map((t) => t.entry))).filter(
      (e): e is HarEntry => e !== null && e !== undefined,
    );
    entries.sort((a, b) => a.startedDateTime.localeCompare(b.startedDateTime));
    for (const e of entries) {
      const reason = this.blocked.length ? this.blockedReason(e.request.url) : undefined;
      if (reason) e._blocked = reason;
    }
    // A page starts with its first request (timing is not always known when the request event fires).
    for (const page of this.pages) {
      const first = entries.find((e) => e.pageref === page.id);
      if (!first || first.startedDateTime >= page.startedDateTime) continue;
      const earlier = Date.parse(page.startedDateTime) - Date.parse(first.startedDateTime);
      page.startedDateTime = first.startedDateTime;
      for (const k of ['onContentLoad', 'onLoad'] as const)
        if (page.pageTimings[k] >= 0) page.pageTimings[k] = ms(page.pageTimings[k] + earlier);
    }
    const version = this.context.browser()?.version() ?? '';
    const har: Har = {
      log: {
        version: '1.2',
        creator: this.options.creator ?? { name: 'Wren', version: '' },
        ...(version ? { browser: { name: 'Chromium', version } } : {}),
        pages: this.pages,
        entries,
        ...(this.dropped > 0
          ? { comment: `${this.dropped} later requests not recorded (entry limit reached)` }
          : {}),
        ...(this.blocked.length ? { _blocked: [...this.blocked] } : {}),
      },
    };
    const mask = this.options.mask;
    return mask ? maskDeep(har, mask) : har;
  }
}
