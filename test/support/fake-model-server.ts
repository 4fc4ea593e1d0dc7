/**
 * Fake model server: real HTTP on 127.0.0.1 speaking OpenAI Chat Completions (with SSE streaming),
 * OpenAI Responses (computer_call, previous_response_id), Anthropic Messages (tool_use) and Gemini
 * generateContent. Scripted per test with a queue of replies and/or a policy function; records
 * every request.
 *
 *   const fake = await startFakeModelServer();
 *   fake.enqueue({ error: { status: 429, retryAfter: 1 } }, { json: { ok: true } });
 *   fake.setPolicy((req) => ({ text: req.text.includes('Submit') ? 'click' : 'wait' }));
 *   const env = fake.env('openai/gpt-5-mini');   // WREN_MODEL + OPENAI_BASE_URL + OPENAI_API_KEY
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeRequest, parseRequest } from './fake-model/parse.js';
import { ProtocolState } from './fake-model/protocol.js';
import {
  buildChatCompletionChunks,
  buildErrorBody,
  buildReply,
  type FakeReply,
  type FakeResponse,
} from './fake-model/replies.js';

export type { FakeImage, FakeRequest } from './fake-model/parse.js';
export { imageSize } from './fake-model/parse.js';
export * from './fake-model/replies.js';

/** Decides the reply from the parsed request. Return undefined to fall back to an error. */
export type FakePolicy = (
  request: FakeRequest,
) => FakeResponse | undefined | Promise<FakeResponse | undefined>;

/** API keys the env() helper hands out, so tests can assert the auth headers. */
export const FAKE_KEYS = {
  openai: 'sk-fake-openai',
  anthropic: 'sk-ant-fake',
  google: 'fake-google-key',
  azure: 'fake-azure-key',
  compatible: 'fake-compatible-key',
} as const;

export interface FakeModelServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Every request received, in order (including ones answered with errors). */
  readonly requests: FakeRequest[];
  /** Replies served first, in order, before the policy is asked. */
  enqueue(...responses: FakeResponse[]): FakeModelServer;
  setPolicy(policy: FakePolicy | null): FakeModelServer;
  /** Replies still queued. */
  queued(): number;
  /** Requests whose prompt text (system + messages) matches. */
  findRequests(match: string | RegExp): FakeRequest[];
  lastRequest(): FakeRequest;
  /** Protocol violations answered with 400 (empty when every request was well-formed). */
  readonly violations: Array<{ index: number; message: string }>;
  /** Env vars that point `provider/model` at this server (WREN_MODEL, base URL, key). */
  env(model: string, extra?: Record<string, string>): Record<string, string>;
  /** Clears requests, queue, policy and conversation state. */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeServerOptions {
  /** Emulate the APIs' conversation checks (unanswered call ids etc.) with 400s. Default true. */
  strictProtocol?: boolean;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function delay(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    res.on('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

export async function startFakeModelServer(
  options: FakeServerOptions = {},
): Promise<FakeModelServer> {
  const strict = options.strictProtocol ?? true;
  const requests: FakeRequest[] = [];
  const violations: Array<{ index: number; message: string }> = [];
  const queue: FakeResponse[] = [];
  const protocol = new ProtocolState();
  let policy: FakePolicy | null = null;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    const parsed = parseRequest(requests.length, req.method ?? 'GET', url, lowerHeaders(req), raw);
    if (!parsed) {
      sendJson(res, 404, {
        error: { message: `fake model server: no route for ${req.method} ${url.pathname}` },
      });
      return;
    }
    requests.push(parsed);
    if (parsed.body === undefined) {
      sendJson(res, 400, buildErrorBody(parsed.dialect, 400, 'request body is not valid JSON'));
      return;
    }
    if (strict) {
      const problem = protocol.check(parsed);
      if (problem) {
        violations.push({ index: parsed.index, message: problem });
        sendJson(res, 400, buildErrorBody(parsed.dialect, 400, problem));
        return;
      }
    }

    let response: FakeResponse | undefined = queue.shift();
    if (!response && policy) response = await policy(parsed);
    if (!response) {
      const message =
        'fake model server: no scripted reply for this request (enqueue one or set a policy)';
      violations.push({ index: parsed.index, message });
      sendJson(res, 500, buildErrorBody(parsed.dialect, 500, message));
      return;
    }
    if ('hang' in response) return; // the client's timeout or close() ends it
    if (response.delayMs) await delay(response.delayMs, res);
    if (res.destroyed) return;

    if ('error' in response) {
      const { status, message, retryAfter, retryAfterMs } = response.error;
      const headers: Record<string, string> = {};
      if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
      if (retryAfterMs !== undefined) headers['retry-after-ms'] = String(retryAfterMs);
      sendJson(
        res,
        status,
        buildErrorBody(parsed.dialect, status, message ?? `fake error ${status}`),
        headers,
      );
      return;
    }
    if ('malformed' in response) {
      sendJson(res, response.status ?? 200, response.malformed);
      return;
    }
    if ('raw' in response) {
      sendJson(res, response.raw.status ?? 200, response.raw.body, response.raw.headers);
      return;
    }
    const reply: FakeReply = response;
    if (parsed.stream && parsed.dialect === 'openai-chat') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const chunk of buildChatCompletionChunks(reply, parsed))
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    if (parsed.stream) {
      sendJson(
        res,
        400,
        buildErrorBody(
          parsed.dialect,
          400,
          `fake model server: streaming is not emulated for ${parsed.dialect}`,
        ),
      );
      return;
    }
    const body = buildReply(reply, parsed);
    protocol.remember(parsed, body);
    sendJson(res, 200, body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      sendJson(res, 500, { error: { message: `fake model server crashed: ${String(error)}` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const fake: FakeModelServer = {
    url,
    requests,
    violations,
    enqueue(...responses) {
      queue.push(...responses);
      return fake;
    },
    setPolicy(p) {
      policy = p;
      return fake;
    },
    queued: () => queue.length,
    findRequests(match) {
      return requests.filter((r) =>
        typeof match === 'string' ? r.text.includes(match) : match.test(r.text),
      );
    },
    lastRequest() {
      const last = requests[requests.length - 1];
      if (!last) throw new Error('fake model server: no request received');
      return last;
    },
    env(model, extra = {}) {
      const provider = model.split('/')[0] ?? '';
      const env: Record<string, string> = { WREN_MODEL: model };
      switch (provider) {
        case 'openai':
        case 'openai-chat':
          env['OPENAI_API_KEY'] = FAKE_KEYS.openai;
          env['OPENAI_BASE_URL'] = `${url}/v1`;
          break;
        case 'anthropic':
          env['ANTHROPIC_API_KEY'] = FAKE_KEYS.anthropic;
          env['ANTHROPIC_BASE_URL'] = `${url}/v1`;
          break;
        case 'google':
          env['GOOGLE_GENERATIVE_AI_API_KEY'] = FAKE_KEYS.google;
          env['GOOGLE_GENERATIVE_AI_BASE_URL'] = `${url}/v1beta`;
          break;
        case 'azure':
        case 'azure-chat':
          env['AZURE_API_KEY'] = FAKE_KEYS.azure;
          env['AZURE_BASE_URL'] = `${url}/openai`;
          break;
        default:
          env['WREN_OPENAI_COMPATIBLE_BASE_URL'] = `${url}/v1`;
          env['WREN_OPENAI_COMPATIBLE_API_KEY'] = FAKE_KEYS.compatible;
          if (provider === 'openrouter') env['OPENROUTER_API_KEY'] = FAKE_KEYS.compatible;
          if (provider === 'doubao') env['ARK_API_KEY'] = FAKE_KEYS.compatible;
      }
      return { ...env, ...extra };
    },
    reset() {
      requests.length = 0;
      violations.length = 0;
      queue.length = 0;
      policy = null;
      protocol.reset();
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
