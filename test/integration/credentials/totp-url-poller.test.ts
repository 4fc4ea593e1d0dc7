import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTotpResolver,
  totpSourcesForRun,
  verifyBodySignature,
} from '../../../src/credentials/index.js';

const API_KEY = 'wren_test_key_0123456789';

interface Received {
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  contentType: string | undefined;
}

/** A caller's totp_url endpoint on loopback, answering from a script. */
async function startEndpoint(
  answer: (n: number, req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: req.headers['x-skyvern-signature'] as string | undefined,
        timestamp: req.headers['x-skyvern-timestamp'] as string | undefined,
        contentType: req.headers['content-type'],
      });
      answer(received.length, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/totp`, received, server };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

describe('totp_url polling over real HTTP', () => {
  it('gets an empty code twice, then the code; every request is signed', async () => {
    const ep = await startEndpoint((n, _req, res) =>
      json(res, 200, { verification_code: n < 3 ? '' : '908172' }),
    );
    server = ep.server;
    const sources = totpSourcesForRun({
      organizationId: 'o_1',
      runId: 'tsk_poll_1',
      startedAt: new Date(),
      totpUrl: ep.url,
      apiKey: API_KEY,
    });
    const started = Date.now();
    const r = await createTotpResolver(sources, { pollIntervalMs: 50, timeoutMs: 5_000 }).resolve({
      runId: 'tsk_poll_1',
    });
    expect(r).toEqual({ ok: true, value: '908172', otpType: 'totp', source: 'totp_url' });
    expect(ep.received).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100); // two intervals were waited
    for (const got of ep.received) {
      expect(got.body).toBe('{"task_id":"tsk_poll_1"}');
      expect(got.contentType).toBe('application/json');
      expect(verifyBodySignature(got.body, API_KEY, got.signature ?? '')).toBe(true);
      expect(Math.abs(Number(got.timestamp) - Date.now() / 1000)).toBeLessThan(10);
    }
  });

  it('ends with OTP_TIMEOUT when the endpoint never has a code', async () => {
    const ep = await startEndpoint((_n, _req, res) => json(res, 200, { verification_code: '' }));
    server = ep.server;
    const sources = totpSourcesForRun({
      organizationId: 'o_1',
      runId: 'tsk_poll_2',
      startedAt: new Date(),
      totpUrl: ep.url,
      apiKey: API_KEY,
    });
    const r = await createTotpResolver(sources, { pollIntervalMs: 40, timeoutMs: 300 }).resolve({
      runId: 'tsk_poll_2',
    });
    expect(r).toEqual({
      ok: false,
      errorCode: 'OTP_TIMEOUT',
      reason: 'no verification code received within 300 ms',
    });
    expect(ep.received.length).toBeGreaterThanOrEqual(3);
  });

  it('ends with OTP_ERROR naming the status when the endpoint always fails', async () => {
    const ep = await startEndpoint((_n, _req, res) => json(res, 503, { detail: 'down' }));
    server = ep.server;
    const sources = totpSourcesForRun({
      organizationId: 'o_1',
      runId: 'tsk_poll_3',
      startedAt: new Date(),
      totpUrl: ep.url,
      apiKey: API_KEY,
    });
    const r = await createTotpResolver(sources, { pollIntervalMs: 40, timeoutMs: 200 }).resolve({
      runId: 'tsk_poll_3',
    });
    expect(r).toMatchObject({ ok: false, errorCode: 'OTP_ERROR' });
    if (!r.ok) expect(r.reason).toContain('totp_url: HTTP 503');
  });

  it('does not follow a redirect with the signed request', async () => {
    const ep = await startEndpoint((_n, _req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere' });
      res.end();
    });
    server = ep.server;
    const [src] = totpSourcesForRun({
      organizationId: 'o_1',
      runId: 'tsk_poll_4',
      startedAt: new Date(),
      totpUrl: ep.url,
      apiKey: API_KEY,
    });
    expect(await src!.poll({ runId: 'tsk_poll_4' })).toEqual({
      status: 'failed',
      detail: 'HTTP 302',
    });
  });
});
