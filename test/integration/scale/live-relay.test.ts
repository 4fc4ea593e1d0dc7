/**
 * The live view through an API node for a run executing on a worker process: real PostgreSQL,
 * one `--role api` process and one `--role worker` process, real Chromium, the fake model. The
 * model holds the run's second step so it stays in progress with its browser open; a viewer on
 * the API node gets the worker's JPEG frames (relayed from its internal endpoint) and `end` when
 * the run completes. The worker's internal endpoint refuses requests without a genuine credential
 * and never streams a run to another organization.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApiKey } from '../../../src/api/index.js';
import { LiveRelayTokens } from '../../../src/api/live-relay.js';
import { SecretBox, secretKeyFromSetting } from '../../../src/credentials/index.js';
import type { Store } from '../../../src/store/index.js';
import { actorReply, roleOf } from '../../support/agent-harness.js';
import { type Cluster, startCluster, type WorkerProcess } from '../../support/cluster.js';
import type { FakeModelServer, FakeResponse } from '../../support/fake-model-server.js';
import type { FixtureServer } from '../../support/fixture-server.js';
import type { ServerProcess } from '../../support/process.js';
import { until } from '../../support/wait.js';

const KEY = 'wren_relay_test_key_0123456789';
const SECRET = 'a shared deployment secret for the relay test';

let cluster: Cluster;
let store: Store;
let fake: FakeModelServer;
let site: FixtureServer;
let api: ServerProcess;
let worker: WorkerProcess;
let otherKey: string;
let releaseStep: (() => void) | null = null;

beforeAll(async () => {
  cluster = await startCluster({
    apiKey: KEY,
    dirPrefix: 'wren-relay-',
    env: { WREN_SECRET_KEY: SECRET, WREN_LEASE_SECONDS: '8' },
  });
  ({ fake, site } = cluster);
  let actorCalls = 0;
  fake.setPolicy((req) => {
    const role = roleOf(req);
    if (role === 'verifier')
      return { json: { evidence: 'the shop is shown', goal_achieved: true, missing: '' } };
    if (role !== 'actor') return undefined;
    actorCalls++;
    if (actorCalls === 1) return actorReply([{ type: 'scroll', id: null, direction: 'down' }]);
    if (actorCalls === 2) {
      // The run's second step waits here, browser open, until the test lets it complete.
      return new Promise<FakeResponse>((resolve) => {
        releaseStep = () => resolve(actorReply([{ type: 'complete', answer: null }]));
      });
    }
    return actorReply([{ type: 'complete', answer: null }]);
  });
  // The API node migrates the fresh database first.
  api = await cluster.server(['--role', 'api', '--data-dir', cluster.tempDir()]);
  worker = await cluster.worker();
  store = await cluster.store();
  await store.apiKeys.createOrganization({
    id: 'o_relay_other',
    name: 'other',
    createdAt: new Date().toISOString(),
  });
  otherKey = await createApiKey(store, 'o_relay_other', 'other org');
}, 90_000);

afterAll(async () => {
  releaseStep?.();
  await cluster?.close();
});

type Message = { binary: true; data: Buffer } | { binary: false; json: Record<string, unknown> };

/** A WebSocket client that queues what it receives, how it closed, or the HTTP refusal. */
class Viewer {
  readonly socket: WebSocket;
  readonly messages: Message[] = [];
  closeCode: number | null = null;
  refusedWith: number | null = null;
  private readonly opened: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.socket = new WebSocket(url, { headers });
    this.socket.on('message', (data: Buffer, isBinary) => {
      this.messages.push(
        isBinary
          ? { binary: true, data }
          : { binary: false, json: JSON.parse(data.toString('utf8')) as Record<string, unknown> },
      );
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('unexpected-response', (request, response) => {
        this.refusedWith = response.statusCode ?? 0;
        request.destroy();
        this.closeCode = -1;
        resolve();
      });
      this.socket.once('error', reject);
    });
    this.socket.on('close', (code) => {
      this.closeCode = code;
    });
  }

  static async api(runId: string, apiKey: string): Promise<Viewer> {
    const viewer = new Viewer(`${api.url.replace(/^http/, 'ws')}/v1/runs/${runId}/live`);
    await viewer.opened;
    viewer.socket.send(JSON.stringify({ type: 'auth', api_key: apiKey }));
    return viewer;
  }

  async settled(): Promise<this> {
    await this.opened;
    return this;
  }

  async until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
    await until(what, done, { timeoutMs, explain: () => `: ${this.describe()}` });
  }

  async closed(): Promise<number> {
    await this.until('the close', () => this.closeCode !== null);
    return this.closeCode as number;
  }

  frames = () => this.messages.flatMap((m) => (m.binary ? [m.data] : []));
  json = () => this.messages.flatMap((m) => (m.binary ? [] : [m.json]));
  describe = () =>
    JSON.stringify({ frames: this.frames().length, json: this.json(), close: this.closeCode });
}

const isJpeg = (b: Buffer) => b.length > 1000 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { 'x-api-key': KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('live view through an API node for a run on a worker process', () => {
  it('relays the worker’s frames, refuses other organizations and forged credentials, ends with the run', async () => {
    const created = await call('POST', '/v1/run/tasks', {
      engine: 'skyvern-1.0',
      prompt: 'Look around the shop.',
      url: `${site.url}/agent/shop.html`,
      max_steps: 10,
    });
    expect(created.status).toBe(200);
    const runId = created.body['run_id'] as string;

    // Connected while the run is queued or starting: the API node waits, then relays.
    const viewer = await Viewer.api(runId, KEY);
    await viewer.until('a frame', () => viewer.frames().length > 0 || viewer.closeCode !== null);
    expect(viewer.frames()[0] && isJpeg(viewer.frames()[0] as Buffer), viewer.describe()).toBe(
      true,
    );
    expect((await call('GET', `/v1/runs/${runId}`)).body['status']).toBe('running');
    const liveUrl = await store.workers.liveUrl(worker.id);
    expect(liveUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);

    // Another organization, through the API node: not found, no frame.
    const other = await Viewer.api(runId, otherKey);
    expect(await other.closed()).toBe(1000);
    expect(other.json()).toEqual([{ type: 'error', message: `Task run not found ${runId}` }]);
    const wrongKey = await Viewer.api(runId, 'wren_not_a_key');
    expect(await wrongKey.closed()).toBe(1008);
    expect(wrongKey.json()).toEqual([{ type: 'error', message: 'Invalid credentials' }]);

    // The worker's internal endpoint: no credential, a forged one, or one for another run: 401.
    const internal = `${liveUrl}/runs/${runId}`;
    const genuine = LiveRelayTokens.fromSecretBox(new SecretBox(secretKeyFromSetting(SECRET)));
    const forger = LiveRelayTokens.fromSecretBox(
      new SecretBox(secretKeyFromSetting('not the deployment secret at all')),
    );
    const attempts = [
      new Viewer(internal),
      new Viewer(internal, { authorization: 'Wren-Live not.a-token' }),
      new Viewer(internal, {
        authorization: `Wren-Live ${forger.sign({ runId, organizationId: 'o_relay_other' })}`,
      }),
      new Viewer(internal, {
        authorization: `Wren-Live ${genuine.sign({ runId: 'tsk_other', organizationId: 'o_relay_other' })}`,
      }),
    ];
    for (const attempt of attempts) {
      await attempt.settled();
      expect(attempt.refusedWith, attempt.describe()).toBe(401);
      expect(attempt.frames()).toHaveLength(0);
    }
    // A genuine credential for another organization still gets nothing of this run.
    const crossOrg = await new Viewer(internal, {
      authorization: `Wren-Live ${genuine.sign({ runId, organizationId: 'o_relay_other' })}`,
    }).settled();
    expect(await crossOrg.closed()).toBe(1000);
    expect(crossOrg.json()).toEqual([{ type: 'error', message: `Task run not found ${runId}` }]);
    expect(crossOrg.frames()).toHaveLength(0);

    // A worker the API node cannot reach: the viewer is told so in words.
    await store.workers.announce(worker.id, 'ws://127.0.0.1:1', new Date().toISOString());
    const stranded = await Viewer.api(runId, KEY);
    expect(await stranded.closed()).toBe(1011);
    await store.workers.announce(worker.id, liveUrl as string, new Date().toISOString());
    expect(stranded.json()).toEqual([
      {
        type: 'error',
        message: `the worker executing run ${runId} is not reachable for the live view (ECONNREFUSED); API nodes must reach each worker's WREN_LIVE_ADVERTISE_URL`,
      },
    ]);

    // The run completes on the worker: the relayed viewer gets `end`.
    expect(viewer.closeCode).toBeNull();
    // Frames may have come during the first step: let the run reach the held second one.
    await viewer.until('the held step', () => releaseStep !== null);
    releaseStep?.();
    expect(await viewer.closed()).toBe(1000);
    expect(viewer.json()).toEqual([{ type: 'end' }]);
    expect(viewer.frames().every(isJpeg)).toBe(true);
    await expect
      .poll(async () => (await call('GET', `/v1/runs/${runId}`)).body['status'], {
        timeout: 10_000,
        interval: 100,
      })
      .toBe('completed');
  });
});
