/**
 * Live view WebSockets: GET /v1/runs/{id}/live and /v1/browser_sessions/{id}/live stream the
 * browser as binary JPEG messages (protocol in docs/ui.md).
 *
 * Browsers cannot set headers on a WebSocket and keys stay out of URLs, so the client's first
 * message is `{"type":"auth","api_key":"…"}`. Anything wrong is answered with one
 * `{"type":"error","message":…}` and a close; the end of the browser with `{"type":"end"}`.
 * A run is watchable only from the process executing it (the registry is per process).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import {
  type LiveBrowsers,
  type LiveEntry,
  type LiveKind,
  startScreencast,
} from '../browser/index.js';
import { ServiceError } from '../runs/errors.js';
import type { RunService } from '../runs/service.js';
import { isTerminal } from '../runs/status.js';
import type { SessionManager } from '../sessions/index.js';
import type { ApiKeyAuthenticator } from './keys.js';

export interface LiveRoutesOptions {
  live: LiveBrowsers;
  runs: RunService;
  sessions?: SessionManager;
  auth: ApiKeyAuthenticator;
  /**
   * This process executes runs (role all or worker): a queued run's viewer waits for its
   * browser. Otherwise (role api) runs execute elsewhere and cannot be watched here.
   */
  executesRuns: boolean;
  /** How long the first message may take, ms. Default 10000. */
  authTimeoutMs?: number;
  /** How often a waiting viewer re-reads the run's status, ms. Default 1000. */
  statusPollMs?: number;
}

/** Frames are dropped while this much is still unsent to a slow viewer. */
const MAX_BUFFERED_BYTES = 2 * 1024 * 1024;
const POLICY_VIOLATION = 1008;

class LiveError extends Error {
  constructor(
    message: string,
    readonly code = 1000,
  ) {
    super(message);
  }
}

function firstMessage(socket: WebSocket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new LiveError('send {"type":"auth","api_key":"…"} as the first message', POLICY_VIOLATION),
      );
    }, timeoutMs);
    const onMessage = (data: Buffer, isBinary: boolean) => {
      cleanup();
      resolve(isBinary ? '' : data.toString('utf8'));
    };
    const onClose = () => {
      cleanup();
      reject(new LiveError('closed'));
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('close', onClose);
    };
    socket.on('message', onMessage);
    socket.on('close', onClose);
  });
}

function apiKeyOf(text: string): string | null {
  try {
    const message = JSON.parse(text) as { type?: unknown; api_key?: unknown };
    if (message?.type === 'auth' && typeof message.api_key === 'string') return message.api_key;
  } catch {
    // not JSON: answered below like a missing key
  }
  return null;
}

export async function registerLiveRoutes(
  app: FastifyInstance,
  options: LiveRoutesOptions,
): Promise<void> {
  const { live, runs, sessions, auth } = options;
  const statusPollMs = options.statusPollMs ?? 1000;

  /** The run's live browser, waiting for it while the run is queued or starting here. */
  async function runEntry(
    organizationId: string,
    runId: string,
    closed: AbortSignal,
  ): Promise<LiveEntry | null> {
    const check = async () => {
      const run = await runs.getRun(organizationId, runId);
      if (isTerminal(run.status)) {
        throw new LiveError(
          `run ${runId} has finished (${run.status}); the live view shows active runs only`,
        );
      }
    };
    await check();
    const found = live.get('run', runId);
    if (found) return found;
    if (!options.executesRuns) {
      throw new LiveError(
        `run ${runId} executes in a worker process; its live view is served only by the process running it`,
      );
    }
    const stop = new AbortController();
    const onClosed = () => stop.abort();
    closed.addEventListener('abort', onClosed, { once: true });
    let failure: unknown = null;
    const poll = setInterval(() => {
      check().catch((e: unknown) => {
        failure = e;
        stop.abort();
      });
    }, statusPollMs);
    try {
      const entry = await live.waitFor('run', runId, stop.signal);
      if (failure) throw failure;
      return entry;
    } finally {
      clearInterval(poll);
      closed.removeEventListener('abort', onClosed);
    }
  }

  async function sessionEntry(organizationId: string, id: string): Promise<LiveEntry | null> {
    if (!sessions) throw new LiveError('browser sessions are not enabled on this server');
    const record = await sessions.get(organizationId, id);
    const entry = live.get('session', id);
    if (!entry) {
      throw new LiveError(
        `browser session ${id} is not running in this server process (status ${record.status})`,
      );
    }
    return entry;
  }

  async function serve(socket: WebSocket, kind: LiveKind, id: string): Promise<void> {
    const closed = new AbortController();
    socket.once('close', () => closed.abort());
    const send = (message: Record<string, unknown>) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    };
    const fail = (message: string, code = 1000) => {
      send({ type: 'error', message });
      socket.close(code);
    };
    let entry: LiveEntry | null;
    try {
      const key = apiKeyOf(await firstMessage(socket, options.authTimeoutMs ?? 10_000));
      if (!key) {
        throw new LiveError(
          'the first message must be {"type":"auth","api_key":"…"}',
          POLICY_VIOLATION,
        );
      }
      const organization = await auth.authenticate(key);
      if (!organization) throw new LiveError('Invalid credentials', POLICY_VIOLATION);
      entry =
        kind === 'run'
          ? await runEntry(organization.id, id, closed.signal)
          : await sessionEntry(organization.id, id);
      // Ids are unique, so this only guards against a registry mix-up.
      if (entry && entry.organizationId !== organization.id) {
        throw new LiveError(`${kind === 'run' ? 'Task run' : 'Browser session'} not found ${id}`);
      }
    } catch (e) {
      if (e instanceof LiveError) {
        if (e.message !== 'closed') fail(e.message, e.code);
      } else if (e instanceof ServiceError) fail(e.message);
      else {
        app.log.error({ err: e, kind, id }, 'live view failed');
        fail('the live view failed; see the server log', 1011);
      }
      return;
    }
    if (!entry || closed.signal.aborted) return;

    // Pings keep idle connections (a still page sends no frames) open through proxies.
    const ping = setInterval(() => {
      if (socket.readyState === socket.OPEN) socket.ping();
    }, 30_000);
    ping.unref();
    const cast = startScreencast(entry, (jpeg) => {
      if (socket.readyState === socket.OPEN && socket.bufferedAmount < MAX_BUFFERED_BYTES) {
        socket.send(jpeg, { binary: true });
      }
    });
    const ended = await Promise.race([
      entry.ended.then(() => true),
      new Promise<false>((resolve) =>
        closed.signal.addEventListener('abort', () => resolve(false)),
      ),
    ]);
    clearInterval(ping);
    await cast.stop();
    if (ended) {
      send({ type: 'end' });
      socket.close(1000);
    }
  }

  // A plain GET (no upgrade) gets a JSON answer saying how to connect.
  const notUpgraded = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.code(426).header('upgrade', 'websocket').send({
      detail:
        'This is a WebSocket: connect with ws:// (or wss://) and send {"type":"auth","api_key":"…"} as the first message',
    });
  app.route<{ Params: { run_id: string } }>({
    method: 'GET',
    url: '/v1/runs/:run_id/live',
    schema: { hide: true },
    handler: notUpgraded,
    wsHandler: (socket, request) => {
      void serve(socket, 'run', request.params.run_id);
    },
  });
  app.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/v1/browser_sessions/:id/live',
    schema: { hide: true },
    handler: notUpgraded,
    wsHandler: (socket, request) => {
      void serve(socket, 'session', request.params.id);
    },
  });
}
