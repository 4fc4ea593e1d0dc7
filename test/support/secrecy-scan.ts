/**
 * Looks for secrets everywhere a run leaves text behind: the bodies the fake model received,
 * the server's log lines, every file under the data dir, every database row and the run API's
 * answers. Images and video are skipped (they show what the page shows); so is `totp_codes`,
 * the inbox that holds pushed codes by design.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { generateSync } from 'otplib';
import type { FakeRequest } from './fake-model/parse.js';
import type { TestWren } from './wren.js';

/** Every code of a base32 secret (SHA1, 6 digits, 30 s) whose window overlaps [fromMs, toMs]. */
export function totpCodesBetween(secret: string, fromMs: number, toMs: number): string[] {
  const codes: string[] = [];
  for (let w = Math.floor(fromMs / 30_000); w <= Math.floor(toMs / 30_000); w++) {
    codes.push(generateSync({ secret, epoch: w * 30, digits: 6, period: 30 }));
  }
  return codes;
}

export interface SecrecyScanInput {
  wren: TestWren;
  modelRequests: readonly FakeRequest[];
  logLines: readonly string[];
  /** Runs whose API answers (run, timeline, artifacts) are scanned too. */
  runIds: readonly string[];
  /** Matched as substrings, raw and in their URL- and JSON-encoded forms. */
  secrets: readonly string[];
  /** Matched as whole digit tokens (not inside a longer number such as a timestamp). */
  codes: readonly string[];
}

export interface SecrecyScanResult {
  /** `<where>: <what kind of secret>`, e.g. `log line 12: code`. Empty when nothing leaked. */
  leaks: string[];
  scanned: {
    modelRequests: number;
    logLines: number;
    files: number;
    rows: number;
    api: number;
    /** HAR artifacts of the runs, fetched through the artifacts API and scanned as served. */
    har: number;
  };
}

/** Tables whose purpose is to hold a secret-bearing value (pushed codes, as Skyvern keeps them). */
const INBOX_TABLES = new Set(['totp_codes']);
const DB_FILES = /^wren\.db(-wal|-shm|-journal)?$/;

export async function scanForSecrets(input: SecrecyScanInput): Promise<SecrecyScanResult> {
  const leaks: string[] = [];
  const needles = input.secrets.flatMap((secret, i) =>
    [
      secret,
      encodeURIComponent(secret),
      encodeURIComponent(secret).replace(/%20/g, '+'),
      JSON.stringify(secret).slice(1, -1),
    ].map((form) => ({ form, label: `secret #${i + 1}` })),
  );
  const codePatterns = input.codes.map((code) => new RegExp(`(?<![0-9])${code}(?![0-9])`));
  const check = (where: string, text: string) => {
    for (const { form, label } of needles)
      if (text.includes(form)) leaks.push(`${where}: ${label}`);
    // A short code can equal a JSON number by chance (a 4-digit CVV was an artifact's
    // `"file_size": 8264`); codes are typed as text, so numeric JSON values are not matched.
    const textual = text.replace(/(":\s*)-?\d+(?:\.\d+)?(?=\s*[,}\]])/g, (_, key) => `${key}0`);
    for (const pattern of codePatterns) if (pattern.test(textual)) leaks.push(`${where}: code`);
  };

  input.modelRequests.forEach((req, i) => {
    check(`model request ${i}`, withoutImages(req.rawBody));
  });
  input.logLines.forEach((line, i) => {
    check(`log line ${i}`, line);
  });

  let files = 0;
  for (const path of walk(input.wren.dataDir)) {
    const name = relative(input.wren.dataDir, path);
    if (DB_FILES.test(name) || name === 'secret.key') continue;
    const bytes = readFileSync(path);
    if (isImageOrVideo(bytes)) continue;
    files++;
    check(`file ${name}`, bytes.toString('utf8'));
  }

  let rows = 0;
  const db = new BetterSqlite3(join(input.wren.dataDir, 'wren.db'), { readonly: true });
  try {
    const tables = db
      .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
      .all() as Array<{ name: string }>;
    for (const { name } of tables) {
      if (INBOX_TABLES.has(name)) continue;
      const all = db.prepare(`select * from "${name}"`).all() as Array<Record<string, unknown>>;
      all.forEach((row, i) => {
        rows++;
        check(`row ${name}[${i}]`, JSON.stringify(row, bufferAsText));
      });
    }
  } finally {
    db.close();
  }

  let api = 0;
  let har = 0;
  for (const runId of input.runIds) {
    // The network log holds what the browser sent (form posts, cookies, URLs): scanned as served.
    const hars = await input.wren.call('GET', `/v1/runs/${runId}/artifacts?artifact_type=har`);
    for (const a of hars.body as Array<{ artifact_id: string }>) {
      const content = await input.wren.call('GET', `/v1/artifacts/${a.artifact_id}/content`);
      har++;
      check(`HAR ${a.artifact_id} of ${runId}`, content.text);
    }
    for (const path of [
      `/v1/runs/${runId}`,
      `/v1/runs/${runId}/timeline`,
      `/v1/runs/${runId}/artifacts`,
    ]) {
      const answer = await input.wren.call('GET', path);
      api++;
      check(`GET ${path}`, answer.text);
    }
  }

  return {
    leaks,
    scanned: {
      modelRequests: input.modelRequests.length,
      logLines: input.logLines.length,
      files,
      rows,
      api,
      har,
    },
  };
}

/** Screenshots travel as long base64 runs; they are images, not text the model reads. */
function withoutImages(body: string): string {
  return body.replace(/[A-Za-z0-9+/]{400,}={0,2}/g, '[image]');
}

function isImageOrVideo(bytes: Buffer): boolean {
  const starts = (...b: number[]) => b.every((v, i) => bytes[i] === v);
  return (
    starts(0x89, 0x50, 0x4e, 0x47) || // PNG
    starts(0xff, 0xd8, 0xff) || // JPEG
    starts(0x1a, 0x45, 0xdf, 0xa3) || // WebM / Matroska
    bytes.subarray(4, 8).toString('latin1') === 'ftyp' // MP4
  );
}

function bufferAsText(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString('utf8');
  }
  return value;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
