/**
 * Fetches a run's `har` artifact through the artifacts API and checks the HAR 1.2 shape every
 * consumer relies on (log.version/creator/pages/entries; per entry the required request,
 * response, cache and timings fields with the right types), so tests can then assert content.
 */
import { expect } from 'vitest';
import type { Har, HarEntry } from '../../src/browser/har.js';
import type { TestWren } from './wren.js';

export interface FetchedHar {
  har: Har;
  /** The bytes as served, for substring checks (secrets must not appear). */
  text: string;
  artifact: Record<string, unknown>;
}

export async function fetchRunHar(wren: TestWren, runId: string): Promise<FetchedHar> {
  const listed = await wren.call('GET', `/v1/runs/${runId}/artifacts?artifact_type=har`);
  expect(listed.status, listed.text).toBe(200);
  const artifacts = listed.body as Record<string, unknown>[];
  expect(artifacts).toHaveLength(1);
  const artifact = artifacts[0]!;
  expect(artifact['content_type']).toBe('application/json');
  const content = await wren.call(
    'GET',
    `/v1/artifacts/${String(artifact['artifact_id'])}/content`,
  );
  expect(content.status).toBe(200);
  expect(Buffer.byteLength(content.text)).toBe(artifact['file_size']);
  const har = JSON.parse(content.text) as Har;
  expectHar12(har);
  return { har, text: content.text, artifact };
}

const num = expect.any(Number);
const str = expect.any(String);
const nameValues = (list: unknown) => {
  expect(Array.isArray(list)).toBe(true);
  for (const nv of list as unknown[]) expect(nv).toMatchObject({ name: str, value: str });
};

/** The fields HAR 1.2 marks as required, with their types; pagerefs point at listed pages. */
export function expectHar12(har: Har): void {
  expect(har.log.version).toBe('1.2');
  expect(har.log.creator).toMatchObject({ name: str, version: str });
  const pageIds = new Set<string>();
  for (const page of har.log.pages) {
    expect(page).toMatchObject({
      startedDateTime: str,
      id: str,
      title: str,
      pageTimings: expect.any(Object),
    });
    expect(Number.isNaN(Date.parse(page.startedDateTime))).toBe(false);
    pageIds.add(page.id);
  }
  expect(pageIds.size).toBe(har.log.pages.length);
  for (const e of har.log.entries) expectEntry(e, pageIds);
}

function expectEntry(e: HarEntry, pageIds: Set<string>): void {
  if (e.pageref !== undefined) expect(pageIds.has(e.pageref)).toBe(true);
  expect(Number.isNaN(Date.parse(e.startedDateTime))).toBe(false);
  expect(e.time).toBeGreaterThanOrEqual(0);
  expect(e.request).toMatchObject({
    method: str,
    url: str,
    httpVersion: str,
    headersSize: num,
    bodySize: num,
  });
  nameValues(e.request.cookies);
  nameValues(e.request.headers);
  nameValues(e.request.queryString);
  expect(e.response).toMatchObject({
    status: num,
    statusText: str,
    httpVersion: str,
    redirectURL: str,
    headersSize: num,
    bodySize: num,
    content: { size: num, mimeType: str },
  });
  nameValues(e.response.cookies);
  nameValues(e.response.headers);
  expect(e.cache).toEqual({});
  for (const k of ['send', 'wait', 'receive'] as const)
    expect(e.timings[k]).toBeGreaterThanOrEqual(0);
  for (const k of ['blocked', 'dns', 'connect', 'ssl'] as const)
    expect(e.timings[k]).toBeGreaterThanOrEqual(-1);
}

/** The entries for a path on the fixture site (any origin), in order. */
export function entriesFor(har: Har, path: string, method = 'GET'): HarEntry[] {
  return har.log.entries.filter(
    (e) => e.request.method === method && new URL(e.request.url).pathname === path,
  );
}

export function headerOf(
  list: { name: string; value: string }[],
  name: string,
): string | undefined {
  return list.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}
