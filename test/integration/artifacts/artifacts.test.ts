import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactUrlSigner } from '../../../src/artifacts/index.js';
import { addApiKey } from '../../../src/credentials/index.js';
import { EngineRegistry } from '../../../src/engines/registry.js';
import type { EngineEvent } from '../../../src/engines/types.js';
import { engineFrom } from '../../support/engines.js';
import { until } from '../../support/wait.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from '../../support/wren.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const shot = (n: number) => Buffer.from(`\x89PNG fake screenshot number ${n} `.repeat(20));
const CSV = Buffer.from('id,price\n1,42.00\n2,17.50\n');
const VIDEO = Buffer.from('webm bytes '.repeat(100));

let t: TestWren;
let runId: string;
let run: Record<string, unknown>;
const sinkAnswers: unknown[] = [];

beforeAll(async () => {
  const engines = new EngineRegistry().register(
    engineFrom('skyvern-1.0', async (ctx) => {
      const sink = ctx.artifacts;
      if (!sink) throw new Error('the worker gave no artifact sink');
      for (let i = 1; i <= 4; i++) {
        sinkAnswers.push(
          await sink.put({
            type: 'screenshot_action',
            stepId: `step_${i}`,
            contentType: 'image/png',
            bytes: shot(i),
          }),
        );
      }
      await sink.put({ type: 'screenshot_final', contentType: 'image/png', bytes: shot(99) });
      await sink.put({
        type: 'html_scrape',
        stepId: 'step_1',
        contentType: 'text/plain; charset=utf-8',
        bytes: 'Price: 42.00 €',
      });
      sinkAnswers.push(
        await sink.put({
          type: 'download',
          contentType: 'text/csv',
          bytes: CSV,
          filename: '../../etc/report "q1".csv',
        }),
      );
      await sink.put({ type: 'recording', contentType: 'video/webm', bytes: VIDEO });
      ctx.emit({
        type: 'model_call',
        stepIndex: 0,
        role: 'planner',
        model: 'fake/model',
        durationMs: 5,
        usage: { inputTokens: 1, outputTokens: 1, costUsd: 0 },
        prompt: { system: 'You drive a browser.', text: 'Find the price' },
        response: '{"action":"click","id":12}',
      } as unknown as EngineEvent);
      return {
        outcome: { status: 'completed', output: { ok: true } },
        errors: [],
        stepCount: 4,
        usage: { inputTokens: 1, outputTokens: 1, costUsd: 0 },
      };
    }),
    { requiresModel: false },
  );
  t = await startTestWren({ engines });
  const res = await t.call('POST', '/v1/run/tasks', { prompt: 'p', engine: 'skyvern-1.0' });
  runId = (res.body as { run_id: string }).run_id;
  await waitForRun(t, runId, isTerminalRun);
  // model_call artifacts are written by the worker right after the event; wait for them.
  await until(
    'the llm artifacts',
    async () => {
      const llm = await t.call('GET', `/v1/runs/${runId}/artifacts?artifact_type=llm_response`);
      return (llm.body as unknown[]).length === 1;
    },
    { intervalMs: 20 },
  );
  run = (await t.call('GET', `/v1/runs/${runId}`)).body as Record<string, unknown>;
});

afterAll(async () => {
  await t?.close();
});

async function fetchBytes(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

interface WireArtifact {
  artifact_id: string;
  artifact_type: string;
  signed_url: string;
  checksum: string;
  file_size: number;
  step_id: string | null;
  run_id: string;
  organization_id: string;
  filename: string | null;
  uri: string;
}

async function list(query = ''): Promise<WireArtifact[]> {
  const res = await t.call('GET', `/v1/runs/${runId}/artifacts${query}`);
  expect(res.status).toBe(200);
  return res.body as WireArtifact[];
}

describe('artifacts', () => {
  it('the sink answers with id, size and sha256', () => {
    expect(sinkAnswers[0]).toMatchObject({
      type: 'screenshot_action',
      size: shot(1).length,
      sha256: sha256(shot(1)),
    });
    expect((sinkAnswers[0] as { artifactId: string }).artifactId).toMatch(/^a_\d+$/);
  });

  it('the run shows the last 3 action screenshots newest first, the recording and the downloads', async () => {
    const urls = run['screenshot_urls'] as string[];
    expect(urls).toHaveLength(3);
    const got = await Promise.all(urls.map((u) => fetchBytes(u)));
    expect(got.map((g) => g.status)).toEqual([200, 200, 200]);
    expect(got.map((g) => g.bytes.toString())).toEqual([shot(4), shot(3), shot(2)].map(String));

    const recording = await fetchBytes(run['recording_url'] as string);
    expect(recording.status).toBe(200);
    expect(recording.headers.get('content-type')).toBe('video/webm');
    expect(recording.bytes.equals(VIDEO)).toBe(true);

    const files = run['downloaded_files'] as Array<Record<string, unknown>>;
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({
      file_size: CSV.length,
      checksum: sha256(CSV),
    });
    // Only the last path segment survives, without quotes.
    expect(files[0]!['filename']).toBe('report q1.csv');
    const download = await fetchBytes(files[0]!['url'] as string);
    expect(download.bytes.equals(CSV)).toBe(true);
    expect(sha256(download.bytes)).toBe(files[0]!['checksum']);
    expect(download.headers.get('content-disposition')).toContain(
      'attachment; filename="report q1.csv"',
    );
  });

  it('lists artifacts in the contract shape, filtered by repeated artifact_type', async () => {
    const all = await list();
    expect(all.map((a) => a.artifact_type).sort()).toEqual(
      [
        'download',
        'html_scrape',
        'llm_prompt',
        'llm_response',
        'recording',
        'screenshot_action',
        'screenshot_action',
        'screenshot_action',
        'screenshot_action',
        'screenshot_final',
      ].sort(),
    );
    const some = await list('?artifact_type=screenshot_action&artifact_type=download');
    expect(some.map((a) => a.artifact_type).sort()).toEqual([
      'download',
      'screenshot_action',
      'screenshot_action',
      'screenshot_action',
      'screenshot_action',
    ]);
    expect(some[0]).toMatchObject({ run_id: runId, step_id: 'step_1', archived: false });
    expect(some[0]!.uri.startsWith('file://')).toBe(true);
    expect(existsSync(some[0]!.uri.slice('file://'.length))).toBe(true);
    expect((await t.call('GET', `/v1/runs/${runId}/artifacts?artifact_type=nope`)).status).toBe(
      422,
    );

    const [prompt] = await list('?artifact_type=llm_prompt');
    const [response] = await list('?artifact_type=llm_response');
    const p = await fetchBytes(prompt!.signed_url);
    expect(JSON.parse(p.bytes.toString())).toEqual({
      role: 'planner',
      model: 'fake/model',
      prompt: { system: 'You drive a browser.', text: 'Find the price' },
    });
    expect((await fetchBytes(response!.signed_url)).bytes.toString()).toBe(
      '{"action":"click","id":12}',
    );
    const [text] = await list('?artifact_type=html_scrape');
    expect((await fetchBytes(text!.signed_url)).bytes.toString()).toBe('Price: 42.00 €');
  });

  it('serves content with x-api-key and byte ranges (206, suffix, 416)', async () => {
    const [csv] = await list('?artifact_type=download');
    const path = `${t.url}/v1/artifacts/${csv!.artifact_id}/content`;
    const key = { 'x-api-key': t.apiKey };
    const whole = await fetchBytes(path, key);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.bytes.equals(CSV)).toBe(true);

    const part = await fetchBytes(path, { ...key, range: 'bytes=3-7' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 3-7/${CSV.length}`);
    expect(part.bytes.equals(CSV.subarray(3, 8))).toBe(true);

    const tail = await fetchBytes(path, { ...key, range: 'bytes=-6' });
    expect(tail.status).toBe(206);
    expect(tail.bytes.equals(CSV.subarray(CSV.length - 6))).toBe(true);

    const open = await fetchBytes(path, { ...key, range: 'bytes=10-' });
    expect(open.bytes.equals(CSV.subarray(10))).toBe(true);

    const beyond = await fetchBytes(path, { ...key, range: `bytes=${CSV.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${CSV.length}`);

    expect((await fetchBytes(path)).status).toBe(403);
    expect((await fetchBytes(path, { 'x-api-key': 'wrong' })).status).toBe(403);
    expect((await fetchBytes(`${t.url}/v1/artifacts/a_404/content`, key)).status).toBe(404);
  });

  it('signed URLs work without a key; tampered or expired ones get 403', async () => {
    const [csv] = await list('?artifact_type=download');
    const signed = new URL(csv!.signed_url);
    expect(signed.origin).toBe(t.url);
    expect([...signed.searchParams.keys()].sort()).toEqual(['expiry', 'kid', 'sig']);
    expect((await fetchBytes(signed.toString(), { range: 'bytes=0-1' })).bytes.toString()).toBe(
      'id',
    );

    const tampered = new URL(signed);
    tampered.searchParams.set('sig', '0'.repeat(64));
    expect((await fetchBytes(tampered.toString())).status).toBe(403);

    // A valid signature for another artifact does not open this one.
    const [shotArtifact] = await list('?artifact_type=screenshot_final');
    const swapped = new URL(shotArtifact!.signed_url);
    swapped.pathname = signed.pathname;
    expect((await fetchBytes(swapped.toString())).status).toBe(403);

    const signer = ArtifactUrlSigner.fromDataDir(t.dataDir);
    const past = Math.floor(Date.now() / 1000) - 10;
    const expired = await fetchBytes(
      `${t.url}/v1/artifacts/${csv!.artifact_id}/content?${signer.query(csv!.artifact_id, past)}`,
    );
    expect(expired.status).toBe(403);
    expect(JSON.parse(expired.bytes.toString())).toEqual({ detail: 'Signed URL has expired' });
  });

  it("another organization's key sees neither the run's artifacts nor their content", async () => {
    const other = { id: 'o_other', name: 'other', createdAt: new Date().toISOString() };
    await t.wren.store.apiKeys.createOrganization(other);
    await addApiKey(t.wren.store, other.id, 'wren_other_org_key_0123456789');
    const headers = { 'x-api-key': 'wren_other_org_key_0123456789' };
    const [csv] = await list('?artifact_type=download');
    expect((await t.call('GET', `/v1/runs/${runId}/artifacts`, undefined, headers)).status).toBe(
      404,
    );
    const res = await fetchBytes(`${t.url}/v1/artifacts/${csv!.artifact_id}/content`, headers);
    expect(res.status).toBe(404);
  });

  it('retention deletes artifacts older than WREN_ARTIFACT_RETENTION_DAYS, files included', async () => {
    const [csv] = await list('?artifact_type=download');
    const file = csv!.uri.slice('file://'.length);
    expect(await t.wren.artifacts.sweep(Date.now())).toBe(0);
    const deleted = await t.wren.artifacts.sweep(Date.now() + 31 * 86_400_000);
    expect(deleted).toBe(10);
    expect(existsSync(file)).toBe(false);
    expect(await list()).toEqual([]);
    const gone = await fetchBytes(`${t.url}/v1/artifacts/${csv!.artifact_id}/content`, {
      'x-api-key': t.apiKey,
    });
    expect(gone.status).toBe(404);
  });
});
