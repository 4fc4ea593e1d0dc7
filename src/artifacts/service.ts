/**
 * The artifact service: records what a run produced (bytes in an ArtifactStorage, a row in the
 * store), lists it in the contract's Artifact shape with signed URLs, fills the run response's
 * screenshot_urls / recording_url / downloaded_files, and deletes artifacts past retention.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { TaskRunResponse } from '../contract/index.js';
import { ARTIFACT_TYPES, type Artifact } from '../contract/index.js';
import { newId } from '../core/index.js';
import type { ArtifactRecord, Store } from '../store/index.js';
import type { ArtifactUrlSigner } from './signing.js';
import type { ArtifactStorage, ByteRange } from './storage.js';
import type { ArtifactInput, ArtifactSink, ArtifactType, StoredArtifact } from './types.js';

/** Skyvern's run response (docs/api.md): the run shows this many action screenshots, newest first. */
export const SCREENSHOT_URL_COUNT = 3;

export interface ArtifactServiceOptions {
  store: Store;
  storage: ArtifactStorage;
  signer: ArtifactUrlSigner;
  logger: Logger;
  urlTtlSeconds: number;
  retentionDays: number;
  /** Base URL of the API for signed links; null until known (embedded mode keeps file:// links). */
  baseUrl?: string | null;
}

export class ArtifactInputError extends Error {}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'video/webm': 'webm',
  'application/json': 'json',
  'text/plain': 'txt',
  'text/html': 'html',
  'application/pdf': 'pdf',
  'application/zip': 'zip',
};

function extensionFor(contentType: string, filename: string | null): string {
  const fromName = filename?.match(/\.([A-Za-z0-9]{1,10})$/)?.[1];
  if (fromName) return fromName.toLowerCase();
  return EXTENSIONS[contentType.split(';')[0]?.trim().toLowerCase() ?? ''] ?? 'bin';
}

/** Keeps a caller-visible file name printable and path-free. */
function cleanFilename(name: string | null | undefined): string | null {
  if (!name) return null;
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = [...base]
    .filter((ch) => ch !== '"' && ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f)
    .join('')
    .trim()
    .slice(0, 200);
  return cleaned || null;
}

export class ArtifactService {
  private baseUrl: string | null;
  private retentionTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: ArtifactServiceOptions) {
    this.baseUrl = options.baseUrl ?? null;
  }

  get storage(): ArtifactStorage {
    return this.options.storage;
  }

  get signer(): ArtifactUrlSigner {
    return this.options.signer;
  }

  /** Set once the server listens (unless WREN_PUBLIC_URL gave one). */
  setBaseUrl(url: string): void {
    this.baseUrl = url.replace(/\/+$/, '');
  }

  hasBaseUrl(): boolean {
    return this.baseUrl !== null;
  }

  /** Stores one artifact of a run and returns its row. */
  async put(runId: string, input: ArtifactInput): Promise<ArtifactRecord> {
    if (!(ARTIFACT_TYPES as readonly string[]).includes(input.type))
      throw new ArtifactInputError(`artifact type "${input.type}" is not a known ArtifactType`);
    if ((input.bytes === undefined) === (input.stream === undefined))
      throw new ArtifactInputError('artifact needs exactly one of bytes or stream');
    if (!input.contentType) throw new ArtifactInputError('artifact needs a contentType');
    const run = await this.options.store.runs.getById(runId);
    if (!run) throw new ArtifactInputError(`artifact for unknown run ${runId}`);
    const id = newId('a');
    let filename = cleanFilename(input.filename);
    if (input.type === 'download' && !filename)
      filename = `download-${Date.now()}-${randomBytes(4).toString('hex')}.${extensionFor(input.contentType, null)}`;
    const key = `${run.organizationId}/${run.id}/${id}.${extensionFor(input.contentType, filename)}`;
    const source: Uint8Array | Readable =
      input.stream ??
      (typeof input.bytes === 'string'
        ? Buffer.from(input.bytes, 'utf8')
        : (input.bytes as Uint8Array));
    const stored = await this.options.storage.write(key, source);
    const at = new Date().toISOString();
    const record: ArtifactRecord = {
      id,
      organizationId: run.organizationId,
      runId: run.id,
      stepId: input.stepId ?? null,
      artifactType: input.type,
      storageKey: key,
      contentType: input.contentType,
      filename,
      checksum: stored.sha256,
      fileSize: stored.size,
      createdAt: at,
      modifiedAt: at,
    };
    try {
      await this.options.store.results.insertArtifact(record);
    } catch (error) {
      await this.options.storage.delete(key);
      throw error;
    }
    return record;
  }

  /** A sink bound to one run for engines; storage problems are logged, never thrown. */
  sinkFor(runId: string): ArtifactSink {
    return {
      put: async (input): Promise<StoredArtifact | null> => {
        try {
          const record = await this.put(runId, input);
          return {
            artifactId: record.id,
            type: record.artifactType as ArtifactType,
            size: record.fileSize,
            sha256: record.checksum,
            filename: record.filename,
          };
        } catch (error) {
          if (error instanceof ArtifactInputError) throw error;
          this.options.logger.warn(
            { err: error, run_id: runId, artifact_type: input.type },
            'could not store an artifact',
          );
          return null;
        }
      },
    };
  }

  /** The artifact when it belongs to `organizationId` (null otherwise: callers answer 404). */
  async get(artifactId: string, organizationId?: string): Promise<ArtifactRecord | null> {
    const record = await this.options.store.results.getArtifact(artifactId);
    if (!record) return null;
    if (organizationId !== undefined && record.organizationId !== organizationId) return null;
    return record;
  }

  async listForRun(runId: string, types: readonly string[] = []): Promise<Artifact[]> {
    const records = await this.options.store.results.artifactsForRun(runId, types);
    return records.map((r) => this.toWire(r));
  }

  read(record: ArtifactRecord, range?: ByteRange): Readable {
    return this.options.storage.read(record.storageKey, range);
  }

  signedUrl(record: ArtifactRecord, nowMs = Date.now()): string {
    if (this.baseUrl === null) {
      const local = this.options.storage.localPath?.(record.storageKey);
      if (local) return `file://${local}`;
    }
    const expiry = Math.floor(nowMs / 1000) + this.options.urlTtlSeconds;
    return `${this.baseUrl ?? ''}/v1/artifacts/${record.id}/content?${this.options.signer.query(record.id, expiry)}`;
  }

  toWire(record: ArtifactRecord): Artifact {
    const local = this.options.storage.localPath?.(record.storageKey);
    return {
      artifact_id: record.id,
      artifact_type: record.artifactType as ArtifactType,
      uri: local ? `file://${local}` : record.storageKey,
      signed_url: this.signedUrl(record),
      archived: false,
      task_id: record.runId,
      step_id: record.stepId,
      run_id: record.runId,
      workflow_run_id: null,
      workflow_run_block_id: null,
      browser_session_id: null,
      observer_cruise_id: null,
      observer_thought_id: null,
      ai_suggestion_id: null,
      bundle_key: null,
      checksum: record.checksum,
      file_size: record.fileSize,
      organization_id: record.organizationId,
      created_at: record.createdAt,
      modified_at: record.modifiedAt,
      content_type: record.contentType,
      filename: record.filename,
    };
  }

  /** The run-response fields that point at artifacts (docs/api.md "POST /v1/run/tasks"), plus the final screenshot. */
  async runResults(runId: string): Promise<{
    screenshot_urls: string[] | null;
    recording_url: string | null;
    downloaded_files: TaskRunResponse['downloaded_files'];
    final_screenshot_url: string | null;
  }> {
    const records = await this.options.store.results.artifactsForRun(runId, [
      'screenshot_action',
      'screenshot_final',
      'recording',
      'download',
    ]);
    const of = (type: string) => records.filter((r) => r.artifactType === type);
    const shots = of('screenshot_action').slice(-SCREENSHOT_URL_COUNT).reverse();
    const recording = of('recording').at(-1);
    const finalShot = of('screenshot_final').at(-1);
    const downloads = of('download');
    return {
      screenshot_urls: shots.length ? shots.map((r) => this.signedUrl(r)) : null,
      recording_url: recording ? this.signedUrl(recording) : null,
      downloaded_files: downloads.length
        ? downloads.map((r) => ({
            url: this.signedUrl(r),
            checksum: r.checksum,
            filename: r.filename,
            file_size: r.fileSize,
            modified_at: r.modifiedAt,
            artifact_id: r.id,
          }))
        : null,
      final_screenshot_url: finalShot ? this.signedUrl(finalShot) : null,
    };
  }

  /** Deletes artifacts older than the retention period; returns how many. */
  async sweep(nowMs = Date.now()): Promise<number> {
    const days = this.options.retentionDays;
    if (days <= 0) return 0;
    const cutoff = new Date(nowMs - days * 86_400_000).toISOString();
    let deleted = 0;
    for (;;) {
      const batch = await this.options.store.results.artifactsCreatedBefore(cutoff, 200);
      if (batch.length === 0) return deleted;
      for (const record of batch) {
        await this.options.storage.delete(record.storageKey);
        await this.options.store.results.deleteArtifact(record.id);
        deleted++;
      }
    }
  }

  /** Sweeps now and then hourly. */
  startRetention(intervalMs = 3_600_000): void {
    if (this.retentionTimer || this.options.retentionDays <= 0) return;
    const run = () =>
      this.sweep()
        .then((n) => {
          if (n > 0) this.options.logger.info({ deleted: n }, 'artifact retention sweep');
        })
        .catch((error) =>
          this.options.logger.warn({ err: error }, 'artifact retention sweep failed'),
        );
    void run();
    this.retentionTimer = setInterval(run, intervalMs);
    this.retentionTimer.unref();
  }

  stopRetention(): void {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = null;
  }
}
