import type { Readable } from 'node:stream';
import type { ArtifactType } from '../contract/index.js';

export type { ArtifactType } from '../contract/index.js';

/** One thing a run produced, as an engine or the worker hands it over. */
export interface ArtifactInput {
  type: ArtifactType;
  /** MIME type served back on download, e.g. `image/png`, `text/plain; charset=utf-8`. */
  contentType: string;
  /** The content: bytes, text (stored as UTF-8) or a stream. Exactly one of bytes/stream. */
  bytes?: Uint8Array | string;
  stream?: Readable;
  /** Original file name (downloads); only shown to callers, never used as a path. */
  filename?: string | null;
  /** Step the artifact belongs to, e.g. `step_3` (free text; shown as `step_id`). */
  stepId?: string | null;
}

export interface StoredArtifact {
  artifactId: string;
  type: ArtifactType;
  size: number;
  sha256: string;
  filename: string | null;
}

/**
 * What engines get as `ctx.artifacts`: bound to the run being executed. Recording never fails a
 * run: put() rejects only on programming errors (bad input); storage failures are logged and
 * answered with null.
 */
export interface ArtifactSink {
  put(input: ArtifactInput): Promise<StoredArtifact | null>;
}
