/**
 * The file work under the folder-backed S3: spooling a body into a fsynced temp
 * file while hashing it (the ETag), hashing a file written by hand, walking a
 * bucket folder, and pruning the folders a delete left empty.
 */
import type { Dirent } from 'node:fs';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectBody } from '../../ports';
import { errorCode, openNewFile, TEMP_PREFIX, tempPath } from './files';

/** A body written to a temp file, with what its sidecar records. */
export interface SpooledBody {
  path: string;
  etag: string;
  size: number;
  mtimeMs: number;
}

/** The hex MD5 of a file (the ETag of one written by hand, which has no sidecar). */
export async function md5OfFile(path: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Writes the body into a fsynced temp file under `tmpDir`, hashing on the way, on one
 * handle (write, fsync, stat): a body held in memory (every pushed batch, manifest
 * and message) is one write; a stream is written chunk by chunk.
 */
export async function spool(tmpDir: string, body: ObjectBody): Promise<SpooledBody> {
  const path = tempPath(tmpDir);
  const hash = createHash('md5');
  let size = 0;
  const handle = await openNewFile(path);
  try {
    // Not a write stream: one on the handle would hold the handle open until the stream closes.
    const chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string> =
      typeof body === 'string' || body instanceof Uint8Array ? [body] : body;
    for await (const chunk of chunks) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      hash.update(bytes);
      size += bytes.byteLength;
      await handle.writeFile(bytes);
    }
    await handle.sync();
    // rename/link keep the mtime, so the sidecar can name the exact file version it describes.
    const stats = await handle.stat();
    await handle.close();
    return { path, etag: `"${hash.digest('hex')}"`, size, mtimeMs: stats.mtimeMs };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
}

/** Every file under `dir`, temp files skipped; a folder that is not there holds none. */
export async function* walkFiles(dir: string): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return;
    throw error;
  }
  for (const entry of entries) {
    if (entry.name.startsWith(TEMP_PREFIX)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walkFiles(path);
    else if (entry.isFile()) yield path;
  }
}

/** Removes now-empty folders from `from` up to `root`; S3 has no folders, so an empty one is noise. */
export async function pruneEmptyFolders(root: string, from: string): Promise<void> {
  for (let dir = from; dir.startsWith(root + sep); dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return;
    }
  }
}
