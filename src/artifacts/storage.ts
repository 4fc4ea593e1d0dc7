/**
 * Where artifact bytes live. The interface is small so an object store can replace the local
 * filesystem later; keys are opaque relative paths chosen by the artifact service.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredObject {
  size: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
}

/** Inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ArtifactStorage {
  write(key: string, source: Uint8Array | Readable): Promise<StoredObject>;
  read(key: string, range?: ByteRange): Readable;
  size(key: string): Promise<number | null>;
  delete(key: string): Promise<void>;
  /** A local path for the key when the storage is a filesystem (embedded mode links to it). */
  localPath?(key: string): string;
}

/** Files under `<root>/<key>`, written to a temporary name and renamed, so readers never see half a file. */
export class LocalArtifactStorage implements ArtifactStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  localPath(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep))
      throw new Error(`artifact key escapes the store: ${key}`);
    return path;
  }

  async write(key: string, source: Uint8Array | Readable): Promise<StoredObject> {
    const path = this.localPath(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.part-${process.pid}-${Date.now()}`;
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const input = source instanceof Readable ? source : Readable.from([Buffer.from(source)]);
    try {
      await pipeline(input, meter, createWriteStream(temp, { mode: 0o600 }));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { size, sha256: hash.digest('hex') };
  }

  read(key: string, range?: ByteRange): Readable {
    return createReadStream(
      this.localPath(key),
      range ? { start: range.start, end: range.end } : {},
    );
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.localPath(key))).size;
    } catch {
      return null;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
  }
}
