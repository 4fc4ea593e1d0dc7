/**
 * The live view WebSockets against a real server: a skyvern-1.0 run on the fixture site (the fake
 * model holds its second step, so the run stays in progress with its browser open) and a real
 * browser session, watched over real WebSockets.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApiKey, KEY_REVOKED } from '../../src/api/index.js';
import {
  type AgentHarness,
  actorReply,
  roleOf,
  startAgentHarness,
} from '../support/agent-harness.js';
import { until as waitUntil } from '../support/wait.js';
import { startTestWren } from '../support/wren.js';

let h: AgentHarness;
let otherKey: string;
beforeAll(async () => {
  h = await startAgentHarness();
  const store = h.wren.wren.store;
  await store.apiKeys.createOrganization({
    id: 'o_live_other',
    name: 'other',
    createdAt: new Date().toISOString(),
  });
  otherKey = await createApiKey(store, 'o_live_other', 'other org');
}, 60_000);
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.fake.reset();
});

type Message = { binary: true; data: Buffer } | { binary: false; json: Record<string, unknown> };

/** A WebSocket client that queues what it receives and how it closed. */
class Viewer {
  readonly socket: WebSocket;
  readonly messages: Message[] = [];
  closeCode: number | null = null;
  closeReason = '';

  constructor(path: string) {
    this.socket = new WebSocket(`${h.wren.url.replace(/^http/, 'ws')}${path}`);
    this.socket.on('message', (data: Buffer, isBinary) => {
      this.messages.push(
        isBinary
          ? { binary: true, data }
          : { binary: false, json: JSON.parse(data.toString('utf8')) as Record<string, unknown> },
      );
    });
    this.socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString('utf8');
    });
  }

  async open(authMessage: unknown): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.send(JSON.stringify(authMessage));
    return this;
  }

  /** Waits until `until` holds over what arrived so far (or the socket closed). */
  async until(until: (messages: Message[]) => boolean, timeoutMs = 30_000): Promise<void> {
    await waitUntil('the messages', () => this.closeCode !== null || until(this.messages), {
      timeoutMs,
      explain: () => `; got ${this.describe()}`,
    });
  }

  async closed(timeoutMs = 30_000): Promise<number> {
    await this.until(() => false, timeoutMs);
    return this.closeCode ?? -1;
  }

  frames(): Buffer[] {
    return this.messages.flatMap((m) => (m.binary ? [m.data] : []));
  }

  json(): Record<string, unknown>[] {
    return this.messages.flatMap((m) => (m.binary ? [] : [m.json]));
  }

  describe(): string {
    return JSON.stringify({
      frames: this.frames().length,
      json: this.json(),
      close: this.closeCode,
    });
  }
}

const auth = (apiKey: string) => ({ type: 'auth', api_key: apiKey });
const isJpeg = (b: Buffer) => b.length > 1000 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** A run that opens the shop, then waits on the model (which never answers) until canceled. */
async function runInProgress(): Promise<string> {
  let actorCalls = 0;
  h.fake.setPolicy((req) => {
    if (roleOf(req) !== 'actor') return undefined;
    actorCalls++;
    return actorCalls === 1
      ? actorReply([{ type: 'scroll', id: null, direction: 'down' }])
      : { hang: true };
  });
  return h.submit({
    engine: 'skyvern-1.0',
    prompt: 'Look around the shop.',
    url: `${h.site.url}/agent/shop.html`,
    max_steps: 10,
  });
}

describe('live view WebSocket', () => {
  it('streams a run as JPEG frames to its organization and ends when the run does', async () => {
    const runId = await runInProgress();
    // Connected while the run is still queued or starting: the viewer waits for the browser.
    const viewer = await new Viewer(`/v1/runs/${runId}/live`).open(auth(h.wren.apiKey));

    // Another organization is told the run does not exist, and gets no frame.
    const other = await new Viewer(`/v1/runs/${runId}/live`).open(auth(otherKey));
    expect(await other.closed()).toBe(1000);
    expect(other.json()).toEqual([{ type: 'error', message: `Task run not found ${runId}` }]);
    expect(other.frames()).toHaveLength(0);

    await viewer.until((m) => m.some((x) => x.binary));
    const [first] = viewer.frames();
    expect(first && isJpeg(first), viewer.describe()).toBe(true);
    const status = (await h.wren.call('GET', `/v1/runs/${runId}`)).body as { status: string };
    expect(status.status).toBe('running');

    expect((await h.wren.call('POST', `/v1/runs/${runId}/cancel`)).status).toBe(200);
    expect(await viewer.closed()).toBe(1000);
    expect(viewer.json()).toEqual([{ type: 'end' }]);
    expect(viewer.frames().every(isJpeg)).toBe(true);
    expect((await h.waitForRun(runId))['status']).toBe('canceled');

    // Once finished there is nothing live to show, and the answer says so.
    const late = await new Viewer(`/v1/runs/${runId}/live`).open(auth(h.wren.apiKey));
    expect(await late.closed()).toBe(1000);
    expect(late.json()).toEqual([
      {
        type: 'error',
        message: `run ${runId} has finished (canceled); the live view shows active runs only`,
      },
    ]);
  });

  it('requires the API key as the first message, never in the URL', async () => {
    const runId = await runInProgress();
    try {
      const wrongKey = await new Viewer(`/v1/runs/${runId}/live`).open(auth('wren_not_a_key'));
      expect(await wrongKey.closed()).toBe(1008);
      expect(wrongKey.json()).toEqual([{ type: 'error', message: 'Invalid credentials' }]);

      const noAuth = await new Viewer(`/v1/runs/${runId}/live?api_key=${h.wren.apiKey}`).open({
        type: 'hello',
      });
      expect(await noAuth.closed()).toBe(1008);
      expect(noAuth.json()).toEqual([
        { type: 'error', message: 'the first message must be {"type":"auth","api_key":"…"}' },
      ]);
      expect(wrongKey.frames().length + noAuth.frames().length).toBe(0);

      const unknown = await new Viewer('/v1/runs/tsk_404/live').open(auth(h.wren.apiKey));
      expect(await unknown.closed()).toBe(1000);
      expect(unknown.json()).toEqual([{ type: 'error', message: 'Task run not found tsk_404' }]);

      // A plain HTTP GET is told how to connect (and is never the web app's page).
      const plain = await fetch(`${h.wren.url}/v1/runs/${runId}/live`);
      expect(plain.status).toBe(426);
      expect(((await plain.json()) as { detail: string }).detail).toContain('WebSocket');
    } finally {
      await h.wren.call('POST', `/v1/runs/${runId}/cancel`);
      await h.waitForRun(runId);
    }
  });

  it('streams a browser session until it is closed', async () => {
    const created = await h.wren.call('POST', '/v1/browser_sessions', {
      url: `${h.site.url}/agent/shop.html`,
    });
    expect(created.status, created.text).toBe(200);
    const id = (created.body as { browser_session_id: string }).browser_session_id;

    const other = await new Viewer(`/v1/browser_sessions/${id}/live`).open(auth(otherKey));
    expect(await other.closed()).toBe(1000);
    expect(other.json()).toEqual([{ type: 'error', message: `Browser session ${id} not found` }]);

    const viewer = await new Viewer(`/v1/browser_sessions/${id}/live`).open(auth(h.wren.apiKey));
    await viewer.until((m) => m.some((x) => x.binary));
    expect(viewer.frames().every(isJpeg)).toBe(true);

    expect((await h.wren.call('POST', `/v1/browser_sessions/${id}/close`)).status).toBe(200);
    expect(await viewer.closed()).toBe(1000);
    expect(viewer.json()).toEqual([{ type: 'end' }]);

    const late = await new Viewer(`/v1/browser_sessions/${id}/live`).open(auth(h.wren.apiKey));
    expect(await late.closed()).toBe(1000);
    expect(late.json()[0]?.['message']).toMatch(/is not running in this server process/);
  });

  it('closes an open viewer within seconds once its key is revoked through the API', async () => {
    const made = await h.wren.call('POST', '/v1/api_keys', { label: 'viewer' });
    expect(made.status, made.text).toBe(200);
    const { api_key: key, id: keyId } = made.body as { api_key: string; id: string };
    const created = await h.wren.call('POST', '/v1/browser_sessions', {
      url: `${h.site.url}/agent/shop.html`,
    });
    expect(created.status, created.text).toBe(200);
    const id = (created.body as { browser_session_id: string }).browser_session_id;
    try {
      const viewer = await new Viewer(`/v1/browser_sessions/${id}/live`).open(auth(key));
      await viewer.until((m) => m.some((x) => x.binary));

      const revokedAt = Date.now();
      expect((await h.wren.call('POST', `/v1/api_keys/${keyId}/revoke`)).status).toBe(200);
      expect(await viewer.closed(10_000)).toBe(1008);
      expect(Date.now() - revokedAt).toBeLessThan(5000);
      expect(viewer.closeReason).toBe('API key revoked');
      expect(viewer.json()).toEqual([{ type: 'error', message: KEY_REVOKED }]);
      // Only the viewer ended: the session runs on, and a valid key still watches it.
      const session = (await h.wren.call('GET', `/v1/browser_sessions/${id}`)).body;
      expect((session as { status: string }).status).toBe('running');
      const again = await new Viewer(`/v1/browser_sessions/${id}/live`).open(auth(h.wren.apiKey));
      await again.until((m) => m.some((x) => x.binary));
      again.socket.close();
    } finally {
      await h.wren.call('POST', `/v1/browser_sessions/${id}/close`);
    }
  });

  it('an API-only process says runs are watched where they execute', async () => {
    const api = await startTestWren({ config: { role: 'api' } });
    try {
      const created = await api.call('POST', '/v1/run/tasks', {
        prompt: 'Open the shop',
        url: `${h.site.url}/agent/shop.html`,
        engine: 'skyvern-1.0',
      });
      const runId = (created.body as { run_id: string }).run_id;
      const socket = new WebSocket(`${api.url.replace(/^http/, 'ws')}/v1/runs/${runId}/live`);
      const got: string[] = [];
      socket.on('message', (data: Buffer) => got.push(data.toString('utf8')));
      socket.once('open', () => socket.send(JSON.stringify(auth(api.apiKey))));
      const code = await new Promise<number>((resolve) => socket.once('close', resolve));
      expect(code).toBe(1000);
      expect(got.map((m) => JSON.parse(m))).toEqual([
        {
          type: 'error',
          message: `run ${runId} executes in a worker process; its live view is served only by the process running it`,
        },
      ]);
    } finally {
      await api.close();
    }
  });
});
