/**
 * The parts of a live view connection shared by the public WebSockets (live-routes.ts) and a
 * worker's internal endpoint (live-internal.ts): finding a run's browser, streaming it, and
 * answering problems with `{"type":"error"}` and a close (protocol in docs/ui.md).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { type LiveBrowsers, type LiveEntry, startScreencast } from '../browser/index.js';
import { isTerminalStatus, ServiceError } from '../core/index.js';
import type { RunService } from '../runs/index.js';

/** Frames are dropped while this much is still unsent to a slow viewer. */
export const MAX_BUFFERED_BYTES = 2 * 1024 * 1024;
export const POLICY_VIOLATION = 1008;
export const INTERNAL_ERROR = 1011;

/** A problem told to the viewer as `{"type":"error","message"}` before closing with `code`. */
export class LiveError extends Error {
  constructor(
    message: string,
    readonly code = 1000,
  ) {
    super(message);
  }
}

export function sendJson(socket: WebSocket, message: Record<string, unknown>): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

/** Answers `error` on the socket (LiveError and service errors as they are, others generically). */
export function failWith(
  socket: WebSocket,
  error: unknown,
  logger: FastifyBaseLogger,
  context: Record<string, unknown>,
): void {
  let message: string;
  let code = 1000;
  if (error instanceof LiveError) {
    if (error.message === 'closed') return;
    message = error.message;
    code = error.code;
  } else if (error instanceof ServiceError) {
    message = error.message;
  } else {
    logger.error({ err: error, ...context }, 'live view failed');
    message = 'the live view failed; see the server log';
    code = INTERNAL_ERROR;
  }
  sendJson(socket, { type: 'error', message });
  socket.close(code);
}

/** Pings keep idle connections (a still page sends no frames) open through proxies. */
export function keepAlive(socket: WebSocket): () => void {
  const ping = setInterval(() => {
    if (socket.readyState === socket.OPEN) socket.ping();
  }, 30_000);
  ping.unref();
  return () => clearInterval(ping);
}

/** Streams the entry's JPEG frames until the browser goes away (then `end`) or `closed` aborts. */
export async function streamEntry(
  socket: WebSocket,
  entry: LiveEntry,
  closed: AbortSignal,
): Promise<void> {
  const cast = startScreencast(entry, (jpeg) => {
    if (socket.readyState === socket.OPEN && socket.bufferedAmount < MAX_BUFFERED_BYTES) {
      socket.send(jpeg, { binary: true });
    }
  });
  const ended = await Promise.race([
    entry.ended.then(() => true),
    new Promise<false>((resolve) => {
      if (closed.aborted) resolve(false);
      closed.addEventListener('abort', () => resolve(false), { once: true });
    }),
  ]);
  await cast.stop();
  if (ended) {
    sendJson(socket, { type: 'end' });
    socket.close(1000);
  }
}

/** Where a run can be watched: this process's registry, or a worker's internal endpoint. */
export type RunTarget = { entry: LiveEntry } | { worker: string; liveUrl: string };

export interface RunLocatorOptions {
  live: LiveBrowsers;
  runs: RunService;
  /** This process executes runs: a run it holds is watched from the local registry. */
  executesRuns: boolean;
  /** Set where several processes share PostgreSQL: runs held by other workers are relayed. */
  relay?: {
    /** This process's worker id (lease owner), when it executes runs. */
    self: string | null;
  } | null;
  /** How often a waiting viewer re-reads the run, ms. */
  statusPollMs: number;
}

/**
 * Finds where `runId` (of `organizationId`) can be watched, waiting while it is queued or its
 * browser is starting; null when `closed` aborts first. Throws LiveError when there is nothing
 * to watch (finished, or executing where no live view is served) and ServiceError (not found)
 * for another organization's run.
 */
export function runLocator(options: RunLocatorOptions) {
  const { live, runs, executesRuns, statusPollMs } = options;
  const relay = options.relay ?? null;

  const check = async (organizationId: string, runId: string) => {
    const run = await runs.getRun(organizationId, runId);
    if (isTerminalStatus(run.status)) {
      throw new LiveError(
        `run ${runId} has finished (${run.status}); the live view shows active runs only`,
      );
    }
    return run;
  };

  const locate = async (runId: string, status: string): Promise<RunTarget | null> => {
    const entry = live.get('run', runId);
    if (entry) return { entry };
    if (!relay || status !== 'running') return null;
    const executor = await runs.executor(runId);
    if (!executor || executor.worker === relay.self) return null;
    const { worker: owner, liveUrl } = executor;
    if (!liveUrl) {
      throw new LiveError(
        `run ${runId} executes on worker ${owner}, which serves no live view (a Wren version without it, or its endpoint is not announced)`,
      );
    }
    return { worker: owner, liveUrl };
  };

  return async (
    organizationId: string,
    runId: string,
    closed: AbortSignal,
  ): Promise<RunTarget | null> => {
    const run = await check(organizationId, runId);
    const now = await locate(runId, run.status);
    if (now) return now;
    if (!executesRuns && !relay) {
      throw new LiveError(
        `run ${runId} executes in a worker process; its live view is served only by the process running it`,
      );
    }
    if (closed.aborted) return null;
    return new Promise<RunTarget | null>((resolve, reject) => {
      const stop = new AbortController();
      let settled = false;
      let polling = false;
      const settle = (done: () => void) => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        closed.removeEventListener('abort', onClosed);
        stop.abort();
        done();
      };
      const onClosed = () => settle(() => resolve(null));
      closed.addEventListener('abort', onClosed, { once: true });
      if (executesRuns) {
        void live.waitFor('run', runId, stop.signal).then((entry) => {
          if (entry) settle(() => resolve({ entry }));
        });
      }
      const poll = setInterval(() => {
        if (polling || settled) return;
        polling = true;
        check(organizationId, runId)
          .then((current) => locate(runId, current.status))
          .then(
            (target) => {
              if (target) settle(() => resolve(target));
            },
            (error: unknown) => settle(() => reject(error)),
          )
          .finally(() => {
            polling = false;
          });
      }, statusPollMs);
    });
  };
}
