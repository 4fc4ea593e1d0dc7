/**
 * The relay between an API node and a worker's internal live endpoint, in one process with a
 * real Chromium page: a viewer that leaves makes the worker stop casting, and a worker that drops
 * the connection mid-stream is reported to the viewer in words.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  type InternalLiveServer,
  startInternalLiveServer,
} from '../../../src/api/live-internal.js';
import { LiveRelayTokens, relayFromWorker } from '../../../src/api/live-relay.js';
import { LiveBrowsers } from '../../../src/browser/index.js';
import { SecretBox, secretKeyFromBytes } from '../../../src/credentials/index.js';
import { createLogger } from '../../../src/log.js';
import { useBrowserHarness } from '../../support/browser-harness.js';

const h = useBrowserHarness();
const logger = createLogger('silent');
const tokens = LiveRelayTokens.fromSecretBox(
  new SecretBox(secretKeyFromBytes(Buffer.alloc(32, 7))),
);
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A worker's endpoint serving one registered run, and an "API node" relaying to it. */
async function relayPair() {
  const run = await h.openAt('agent/shop.html');
  const live = new LiveBrowsers();
  live.add('run', 'tsk_1', { organizationId: 'o_1', page: () => run.page() });
  // Aborts when the relay's upstream connection closes: the worker's cast stops on it.
  let upstream: AbortSignal | null = null;
  const worker: InternalLiveServer = await startInternalLiveServer({
    host: '127.0.0.1',
    port: 0,
    tokens,
    logger,
    locate: async (_org, runId, closed) => {
      upstream = closed;
      const entry = live.get('run', runId);
      return entry ? { entry } : null;
    },
  });
  cleanup.push(() => worker.close());
  const api = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  cleanup.push(() => new Promise<void>((r) => api.close(() => r())));
  api.on('connection', (socket) => {
    const closed = new AbortController();
    socket.once('close', () => closed.abort());
    void relayFromWorker(
      socket,
      { runId: 'tsk_1', organizationId: 'o_1', worker: 'w1', liveUrl: worker.address },
      tokens,
      logger,
      closed.signal,
    );
  });
  await new Promise((r) => api.once('listening', r));
  const viewer = new WebSocket(`ws://127.0.0.1:${(api.address() as AddressInfo).port}`);
  const received: { frames: number; json: unknown[]; close: number | null } = {
    frames: 0,
    json: [],
    close: null,
  };
  viewer.on('message', (data: Buffer, isBinary) => {
    if (isBinary) received.frames++;
    else received.json.push(JSON.parse(data.toString('utf8')));
  });
  viewer.on('close', (code) => {
    received.close = code;
  });
  return { viewer, worker, received, upstreamClosed: () => upstream?.aborted === true };
}

const within = { timeout: 15_000, interval: 50 };

describe('live view relay', () => {
  it('a viewer that leaves closes the upstream, which stops the worker casting', async () => {
    const { viewer, received, upstreamClosed } = await relayPair();
    await expect.poll(() => received.frames, within).toBeGreaterThan(0);
    expect(upstreamClosed()).toBe(false);
    viewer.close();
    // The worker's cast runs until this signal aborts (streamEntry in src/api/live-internal.ts).
    await expect.poll(upstreamClosed, within).toBe(true);
  });

  it('a worker that drops the stream is reported to the viewer', async () => {
    const { worker, received } = await relayPair();
    await expect.poll(() => received.frames, within).toBeGreaterThan(0);
    await worker.close();
    await expect.poll(() => received.close, within).toBe(1011);
    expect(received.json).toEqual([
      {
        type: 'error',
        message:
          'the worker executing run tsk_1 stopped streaming (close 1006); reconnect to watch the run again',
      },
    ]);
  });

  it('a port already taken stops the worker with the settings to change', async () => {
    const first = await startInternalLiveServer({
      host: '127.0.0.1',
      port: 0,
      tokens,
      logger,
      locate: async () => null,
    });
    cleanup.push(() => first.close());
    const port = Number(new URL(first.address.replace(/^ws/, 'http')).port);
    await expect(
      startInternalLiveServer({
        host: '127.0.0.1',
        port,
        tokens,
        logger,
        locate: async () => null,
      }),
    ).rejects.toThrow(
      `the worker's live view endpoint cannot listen on 127.0.0.1:${port} (WREN_LIVE_HOST, WREN_LIVE_PORT): listen EADDRINUSE`,
    );
  });
});
