/**
 * The bytes of Storage objects on local disk. Each upload is a version (a random uuid, what
 * storage.objects.version holds) stored once, under `<root>/<first two characters>/<version>`, and
 * never changed: new content is a new version, a copy a hard link to the same bytes under a new
 * version, a move keeps its version. Names never reach the file system, so no object name can
 * escape the root. A file is written to `<root>/tmp/` and renamed into place only once complete
 * (rename is atomic on one file system), so a reader never sees a partial file and a crash leaves
 * at most a temporary file behind. Removing a version's file is idempotent.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";

export interface StoredFile {
  version: string;
  size: number;
  /** Hex MD5 of the content: the ETag S3 and Supabase Storage give. */
  md5: string;
}

/** The body ended above the limit: nothing was kept. */
export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`content larger than ${limit} bytes`);
  }
}

const VERSION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class FileStore {
  private readonly tmp: string;
  private ready: Promise<void> | null = null;

  constructor(readonly root: string) {
    this.tmp = join(root, "tmp");
  }

  private prepare(): Promise<void> {
    return this.ready ??= Deno.mkdir(this.tmp, { recursive: true });
  }

  /** Where a version's bytes are. */
  path(version: string): string {
    if (!VERSION.test(version)) throw new Error(`not a file version: ${version}`);
    return join(this.root, version.slice(0, 2), version);
  }

  /**
   * Writes a body to a new version: counted against `limit` as it comes (past it, the write stops
   * and TooLargeError is thrown), hashed, then moved into place.
   */
  async write(body: ReadableStream<Uint8Array> | null, limit: number): Promise<StoredFile> {
    await this.prepare();
    const version = crypto.randomUUID();
    const temp = join(this.tmp, `${version}.part`);
    const hash = createHash("md5");
    let size = 0;
    const file = await Deno.open(temp, { write: true, createNew: true });
    try {
      if (body) {
        const reader = body.getReader();
        try {
          while (true) {
            const { done, value } = await reader.read();
            if (done) break;
            size += value.byteLength;
            if (size > limit) throw new TooLargeError(limit);
            hash.update(value);
            let written = 0;
            while (written < value.byteLength) written += await file.write(value.subarray(written));
          }
        } catch (e) {
          await reader.cancel().catch(() => {});
          throw e;
        }
      }
    } catch (e) {
      file.close();
      await Deno.remove(temp).catch(() => {});
      throw e;
    }
    file.close();
    await this.place(temp, version);
    return { version, size, md5: hash.digest("hex") };
  }

  /** Writes bytes already in memory (tests, small bodies). */
  writeBytes(bytes: Uint8Array, limit = Infinity): Promise<StoredFile> {
    return this.write(new Blob([bytes as BlobPart]).stream(), limit);
  }

  private async place(temp: string, version: string): Promise<void> {
    const target = this.path(version);
    try {
      await Deno.rename(temp, target);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      await Deno.mkdir(join(this.root, version.slice(0, 2)), { recursive: true });
      await Deno.rename(temp, target);
    }
  }

  /** A new version with the same bytes (a hard link; a copy where links are not possible). */
  async duplicate(version: string): Promise<string> {
    await this.prepare();
    const copy = crypto.randomUUID();
    const temp = join(this.tmp, `${copy}.part`);
    try {
      await Deno.link(this.path(version), temp);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw e;
      await Deno.copyFile(this.path(version), temp);
    }
    await this.place(temp, copy);
    return copy;
  }

  /** Opens a version for reading; null when its file is gone. */
  async open(version: string): Promise<{ file: Deno.FsFile; size: number; mtime: Date | null } | null> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.path(version), { read: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
    const info = await file.stat();
    return { file, size: info.size, mtime: info.mtime };
  }

  /** Removes a version's bytes; removing one that is gone does nothing. */
  async remove(version: string | null | undefined): Promise<void> {
    if (!version || !VERSION.test(version)) return;
    await Deno.remove(this.path(version)).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
}
