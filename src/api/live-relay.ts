/**
 * Watching a run that executes on another worker: the API node opens a WebSocket to the worker's
 * internal live endpoint (live-internal.ts) with a short-lived credential and relays what it
 * sends. The credential is an HMAC over the run id, the viewer's organization and an expiry,
 * keyed with a key derived from WREN_SECRET_KEY, so every node of a deployment must share that
 * key (it already must: stored credentials are sealed with it).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import WebSocket from 'ws';
import type { SecretBox } from '../credentials/index.js';
import { INTERNAL_ERROR, MAX_BUFFERED_BYTES, sendJson } from './live-stream.js';

/** The scheme of the Authorization header a worker's internal endpoint accepts. */
export const LIVE_AUTH_SCHEME = 'Wren-Live';
const PURPOSE = 'live-relay/v1';

export interface LiveGrant {
  runId: string;
  organizationId: string;
}

/** Signs and checks the credential an API node presents to a worker for one run's live view. */
export class LiveRelayTokens {
  constructor(
    /** The current key first; the others are still accepted (key rotation). */
    private readonly keys: readonly Buffer[],
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    if (keys.length === 0) throw new Error('LiveRelayTokens needs a key');
  }

  static fromSecretBox(box: SecretBox): LiveRelayTokens {
    return new LiveRelayTokens(box.derivedKeys(PURPOSE));
  }

  sign(grant: LiveGrant): string {
    const payload = Buffer.from(
      JSON.stringify({
        r: grant.runId,
        o: grant.organizationId,
        e: Math.floor((this.now() + this.ttlMs) / 1000),
      }),
    ).toString('base64url');
    return `${payload}.${mac(this.keys[0] as Buffer, payload)}`;
  }

  /** The grant if `token` is genuine, unexpired and for `runId`; null otherwise. */
  verify(token: string, runId: string): LiveGrant | null {
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) return null;
    const given = Buffer.from(signature, 'base64url');
    const genuine = this.keys.some((key) => {
      const expected = Buffer.from(mac(key, payload), 'base64url');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!genuine) return null;
    let claims: { r?: unknown; o?: unknown; e?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (claims.r !== runId || typeof claims.o !== 'string' || typeof claims.e !== 'number') {
      return null;
    }
    if (claims.e * 1000 < this.now()) return null;
    return { runId, organizationId: claims.o };
  }
}

function mac(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

export interface RelayTarget {
  runId: string;
  organizationId: string;
  /** The worker's lease owner id (for logs). */
  worker: string;
  liveUrl: string;
}

/**
 * Relays the worker's stream of `target` to `viewer` until either side ends. Frames and the
 * worker's `end`/`error` messages pass through; a worker that cannot be reached, refuses the
 * credential or drops the connection is reported to the viewer in words.
 */
export function relayFromWorker(
  viewer: WebSocket,
  target: RelayTarget,
  tokens: LiveRelayTokens,
  logger: FastifyBaseLogger,
  closed: AbortSignal,
  connectTimeoutMs = 10_000,
): Promise<void> {
  const { runId, worker, liveUrl } = target;
  const upstream = new WebSocket(`${liveUrl}/runs/${encodeURIComponent(runId)}`, {
    headers: { authorization: `${LIVE_AUTH_SCHEME} ${tokens.sign(target)}` },
    handshakeTimeout: connectTimeoutMs,
    maxPayload: 32 * 1024 * 1024,
  });
  return new Promise<void>((resolve) => {
    let opened = false;
    /** The worker sent `end` or an error in words: its close needs no explanation. */
    let told = false;
    let done = false;
    const finish = (problem: string | null, code = 1000) => {
      if (done) return;
      done = true;
      closed.removeEventListener('abort', onViewerClosed);
      if (problem !== null) {
        logger.warn(
          { run_id: runId, worker, live_url: liveUrl, problem },
          'live view relay failed',
        );
        sendJson(viewer, { type: 'error', message: problem });
      }
      if (viewer.readyState === viewer.OPEN) viewer.close(code);
      if (upstream.readyState === upstream.OPEN) upstream.close(1000);
      else if (upstream.readyState === upstream.CONNECTING) upstream.terminate();
      resolve();
    };
    const onViewerClosed = () => finish(null);
    if (closed.aborted) return finish(null);
    closed.addEventListener('abort', onViewerClosed, { once: true });

    upstream.on('unexpected-response', (request, response) => {
      request.destroy();
      const status = response.statusCode ?? 0;
      finish(
        status === 401
          ? `the worker executing run ${runId} refused this API node's live view credential; every node must share WREN_SECRET_KEY`
          : `the worker executing run ${runId} answered HTTP ${status} to the live view relay`,
        INTERNAL_ERROR,
      );
    });
    upstream.on('error', (error: Error & { code?: string }) => {
      if (opened) return; // the close that follows says it
      finish(
        `the worker executing run ${runId} is not reachable for the live view (${error.code ?? error.message}); API nodes must reach each worker's WREN_LIVE_ADVERTISE_URL`,
        INTERNAL_ERROR,
      );
    });
    upstream.on('open', () => {
      opened = true;
    });
    upstream.on('message', (data: Buffer, isBinary: boolean) => {
      if (viewer.readyState !== viewer.OPEN) return;
      if (!isBinary) {
        told = true;
        viewer.send(data.toString('utf8'));
      } else if (viewer.bufferedAmount < MAX_BUFFERED_BYTES) viewer.send(data, { binary: true });
    });
    upstream.on('close', (code: number) => {
      if (!opened) return finish(`the live view relay to run ${runId}'s worker failed`, 1011);
      // The worker closes after `end` or an error message it sent (both forwarded).
      if (told) return finish(null, [1000, 1008, 1011].includes(code) ? code : 1000);
      finish(
        `the worker executing run ${runId} stopped streaming (close ${code}); reconnect to watch the run again`,
        INTERNAL_ERROR,
      );
    });
  });
}
