/**
 * Live view WebSockets: GET /v1/runs/{id}/live and /v1/browser_sessions/{id}/live stream the
 * browser as binary JPEG messages (protocol in docs/ui.md).
 *
 * Browsers cannot set headers on a WebSocket and keys stay out of URLs, so the client's first
 * message is `{"type":"auth","api_key":"…"}`. Anything wrong is answered with one
 * `{"type":"error","message":…}` and a close; the end of the browser with `{"type":"end"}`.
 * A run executing in this process is streamed from its registry; one executing on another
 * worker (PostgreSQL deployments) is relayed from that worker's internal endpoint.
 *
 * An open live view keeps asking whether its key is still valid (every `keyCheckMs`, one indexed
 * read of the shared database): a key revoked anywhere closes its viewers within that time, with
 * `{"type":"error","message":"…revoked…"}` and close code 1008.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { LiveBrowsers, LiveEntry, LiveKind } from '../browser/index.js';
import type { RunService } from '../runs/index.js';
import type { SessionManager } from '../sessions/index.js';
import type { ApiKeyAuthenticator } from './keys.js';
import { type LiveRelayTokens, relayFromWorker } from './live-relay.js';
import {
  failWith,
  keepAlive,
  LiveError,
  POLICY_VIOLATION,
  type RunTarget,
  runLocator,
  sendJson,
  streamEntry,
} from './live-stream.js';

export interface LiveRoutesOptions {
  live: LiveBrowsers;
  runs: RunService;
  sessions?: SessionManager;
  auth: ApiKeyAuthenticator;
  /**
   * This process executes runs (role all or worker): a queued run's viewer waits for its
   * browser. Otherwise (role api) runs execute elsewhere: watchable here only through `relay`.
   */
  executesRuns: boolean;
  /**
   * Several processes share PostgreSQL: a run held by another worker is relayed from that
   * worker's internal live endpoint (live-relay.ts). Without it, only local runs are watchable.
   */
  relay?: {
    tokens: LiveRelayTokens;
    /** This process's worker id, when it executes runs. */
    self: string | null;
  } | null;
  /** How long the first message may take, ms. Default 10000. */
  authTimeoutMs?: number;
  /** How often a waiting viewer re-reads the run's status, ms. Default 1000. */
  statusPollMs?: number;
  /** How often an open viewer's key is checked again (revocation closes it), ms. Default 2000. */
  keyCheckMs?: number;
}

/** The message and close reason of a viewer whose key stopped being valid. */
export const KEY_REVOKED =
  'the API key of this live view was revoked (or its organization changed); the live view is closed';

/**
 * Checks `key` again every `everyMs` while the socket is open; once it no longer authenticates as
 * `organizationId` the viewer is told so and the socket closed (1008, reason "API key revoked").
 * A failed lookup (database unreachable) is retried at the next tick. Returns the stop function.
 */
function watchKey(
  socket: WebSocket,
  auth: ApiKeyAuthenticator,
  key: string,
  organizationId: string,
  everyMs: number,
  log: FastifyInstance['log'],
): () => void {
  let checking = false;
  const timer = setInterval(() => {
    if (checking || socket.readyState !== socket.OPEN) return;
    checking = true;
    auth
      .authenticate(key)
      .then((organization) => {
        if (organization?.id === organizationId) return;
        stop();
        sendJson(socket, { type: 'error', message: KEY_REVOKED });
        socket.close(POLICY_VIOLATION, 'API key revoked');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'live view: could not re-check the key'))
      .finally(() => {
        checking = false;
      });
  }, everyMs);
  timer.unref();
  const stop = () => clearInterval(timer);
  socket.once('close', stop);
  return stop;
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
  const relay = options.relay ?? null;
  const locateRun = runLocator({
    live,
    runs,
    executesRuns: options.executesRuns,
    relay: relay && { self: relay.self },
    statusPollMs: options.statusPollMs ?? 1000,
  });

  async function sessionEntry(organizationId: string, id: string): Promise<LiveEntry> {
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
    let organizationId: string;
    let target: RunTarget | null;
    let stopKeyWatch = () => {};
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
      organizationId = organization.id;
      // From here on (waiting for a queued run included) a revoked key closes the viewer.
      stopKeyWatch = watchKey(
        socket,
        auth,
        key,
        organization.id,
        options.keyCheckMs ?? 2000,
        app.log,
      );
      target =
        kind === 'run'
          ? await locateRun(organization.id, id, closed.signal)
          : { entry: await sessionEntry(organization.id, id) };
      // Ids are unique, so this only guards against a registry mix-up.
      if (target && 'entry' in target && target.entry.organizationId !== organization.id) {
        throw new LiveError(`${kind === 'run' ? 'Task run' : 'Browser session'} not found ${id}`);
      }
    } catch (e) {
      stopKeyWatch();
      failWith(socket, e, app.log, { kind, id });
      return;
    }
    if (!target || closed.signal.aborted) return;

    const stopPings = keepAlive(socket);
    try {
      if ('entry' in target) await streamEntry(socket, target.entry, closed.signal);
      else if (relay) {
        await relayFromWorker(
          socket,
          { runId: id, organizationId, worker: target.worker, liveUrl: target.liveUrl },
          relay.tokens,
          app.log,
          closed.signal,
        );
      }
    } finally {
      stopPings();
      stopKeyWatch();
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
