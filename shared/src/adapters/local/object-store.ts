/**
 * S3 on folders: `$LAKE_HOME/s3/<bucket>/<key>`. Bucket folders hold only
 * object bytes (so DuckDB, pandas or a file browser read them directly); ETag,
 * content type and user metadata live in a sidecar under
 * `$LAKE_HOME/s3-meta/<bucket>/<key>.json`. Writes go to a temp file under
 * `$LAKE_HOME/tmp/` and are renamed (or linked, for `ifNoneMatch`) into place.
 * Key rules are in object-keys.ts, the file work (spool, walk, prune) in object-files.ts.
 */
import type { FileHandle } from 'node:fs/promises';
import type { S3EventRecord } from 'aws-lambda';
import { createReadStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ByteRange, ObjectBody, ObjectInfo, ObjectStore, PutOptions } from '../../ports';
import { NoSuchKeyError, PreconditionFailedError } from '../../ports';
import {
  errorCode,
  linkInto,
  readJsonIfExists,
  renameInto,
  unlinkIfExists,
  withFileLock,
  writeFileAtomic,
} from './files';
import { md5OfFile, pruneEmptyFolders, spool, walkFiles } from './object-files';
import { checkBucket, checkKey } from './object-keys';
import { createPendingWork, reportToStderr } from './pending-work';
import type { ObjectCreatedEventName, S3EventSettings } from './s3-events';
import { objectCreatedRecord } from './s3-events';

export { InvalidObjectKeyError } from './object-keys';

/** Receives S3 ObjectCreated records; may be async (its failures go to `onListenerError`). */
export type ObjectCreatedListener = (record: S3EventRecord) => void | Promise<void>;

export interface LocalObjectStoreOptions {
  region?: string;
  configurationId?: string;
  now?: () => Date;
  /** Where listener failures go (default: one line on stderr, no stack). */
  onListenerError?: (error: unknown) => void;
}

export interface LocalObjectStore extends ObjectStore {
  readonly home: string;
  /** `$LAKE_HOME/s3/<bucket>` — the folder holding a bucket's objects. */
  bucketPath(bucket: string): string;
  /** The file holding an object's bytes. */
  objectPath(bucket: string, key: string): string;
  /** Creates the bucket folder (S3 CreateBucket); idempotent. */
  createBucket(bucket: string): Promise<void>;
  /** Subscribes to ObjectCreated notifications of `bucket` (or every bucket when `bucket` is undefined). Returns an unsubscribe function. */
  onObjectCreated(bucket: string | undefined, listener: ObjectCreatedListener): () => void;
  /** Announces an object as created (used by the folder watcher for files dropped by hand). */
  announce(bucket: string, key: string, eventName?: ObjectCreatedEventName): Promise<void>;
  /** True when the object's sidecar matches its file, i.e. it was written through the store. */
  writtenThroughStore(bucket: string, key: string): Promise<boolean>;
  /** Resolves when every notification delivered so far has been handled. */
  idle(): Promise<void>;
  /** Notifications still being handled. */
  inFlight(): number;
}

/** A byte range outside the object (S3 `InvalidRange`, HTTP 416). */
export class InvalidRangeError extends Error {
  override name = 'InvalidRangeError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    range: ByteRange,
    size: number,
  ) {
    super(`range bytes=${range.start}-${range.end} is not satisfiable for s3://${bucket}/${key} of ${size} bytes`);
  }
}

interface Sidecar {
  etag: string;
  size: number;
  mtimeMs: number;
  contentType?: string;
  metadata: Record<string, string>;
}

/**
 * Builds the folder-backed ObjectStore rooted at `home` (LAKE_HOME).
 * Writing to a bucket that has no folder yet creates it (the local lake has no deploy step).
 */
export function buildLocalObjectStore(home: string, options: LocalObjectStoreOptions = {}): LocalObjectStore {
  const s3Root = join(home, 's3');
  const metaRoot = join(home, 's3-meta');
  const tmpDir = join(home, 'tmp');
  const locksRoot = join(home, 'locks', 's3');
  const now = options.now ?? (() => new Date());
  const settings: S3EventSettings = {
    region: options.region ?? 'us-east-1',
    configurationId: options.configurationId ?? 'pulse-lake-local',
    principalId: 'pulse-lake-local',
  };
  const listeners = new Set<{ bucket: string | undefined; listener: ObjectCreatedListener }>();
  const pending = createPendingWork(options.onListenerError ?? reportToStderr('s3'));

  const objectPath = (bucket: string, key: string) => join(s3Root, bucket, ...key.split('/'));
  const sidecarPath = (bucket: string, key: string) => `${join(metaRoot, bucket, ...key.split('/'))}.json`;

  /** Info for a key, trusting the sidecar only while it describes the file as it is now. */
  async function info(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    checkKey(bucket, key);
    const path = objectPath(bucket, key);
    const stats = await stat(path).catch((error: unknown) => {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
      throw error;
    });
    if (stats === undefined || !stats.isFile()) return undefined;
    const sidecar = await readJsonIfExists<Sidecar>(sidecarPath(bucket, key));
    const fresh = sidecar !== undefined && sidecar.size === stats.size && sidecar.mtimeMs === stats.mtimeMs;
    const result: ObjectInfo = {
      bucket,
      key,
      size: stats.size,
      etag: fresh ? sidecar.etag : `"${await md5OfFile(path)}"`,
      lastModified: stats.mtime,
      metadata: fresh ? { ...sidecar.metadata } : {},
    };
    if (fresh && sidecar.contentType !== undefined) result.contentType = sidecar.contentType;
    return result;
  }

  function notify(bucket: string, key: string, size: number, etag: string, eventName: ObjectCreatedEventName): void {
    const targets = [...listeners].filter((l) => l.bucket === undefined || l.bucket === bucket);
    if (targets.length === 0) return;
    const record = objectCreatedRecord(settings, { bucket, key, size, etag, eventName, eventTime: now() });
    for (const target of targets) {
      pending.spawn(async () => {
        await target.listener(structuredClone(record));
      });
    }
  }

  async function write(
    bucket: string,
    key: string,
    body: ObjectBody,
    opts: PutOptions,
    eventName: ObjectCreatedEventName,
  ): Promise<{ etag: string }> {
    checkKey(bucket, key);
    const spooled = await spool(tmpDir, body);
    const target = objectPath(bucket, key);
    const sidecar: Sidecar = {
      etag: spooled.etag,
      size: spooled.size,
      mtimeMs: spooled.mtimeMs,
      metadata: { ...(opts.metadata ?? {}) },
    };
    if (opts.contentType !== undefined) sidecar.contentType = opts.contentType;
    // Set once the temp file has been renamed into place; until then it is removed on the way out.
    let renamed = false;
    try {
      if (opts.ifNoneMatch === '*') {
        // link() fails with EEXIST when the key exists: the check and the write are one atomic step, across processes.
        await linkInto(spooled.path, target).catch((error: unknown) => {
          throw errorCode(error) === 'EEXIST' ? new PreconditionFailedError(bucket, key, { cause: error }) : error;
        });
        await writeFileAtomic(tmpDir, sidecarPath(bucket, key), JSON.stringify(sidecar));
      } else if (opts.ifMatch !== undefined) {
        const expected = normalizeEtag(opts.ifMatch);
        await withFileLock(`${join(locksRoot, bucket, ...key.split('/'))}.lock`, async () => {
          const current = await info(bucket, key);
          if (current === undefined) throw new NoSuchKeyError(bucket, key);
          if (normalizeEtag(current.etag) !== expected) throw new PreconditionFailedError(bucket, key);
          await renameInto(spooled.path, target);
          renamed = true;
          await writeFileAtomic(tmpDir, sidecarPath(bucket, key), JSON.stringify(sidecar));
        });
      } else {
        await renameInto(spooled.path, target);
        renamed = true;
        await writeFileAtomic(tmpDir, sidecarPath(bucket, key), JSON.stringify(sidecar));
      }
    } finally {
      if (!renamed) await unlinkIfExists(spooled.path);
    }
    notify(bucket, key, spooled.size, spooled.etag, eventName);
    return { etag: spooled.etag };
  }

  const store: LocalObjectStore = {
    home,
    bucketPath: (bucket) => join(s3Root, bucket),
    objectPath: (bucket, key) => {
      checkKey(bucket, key);
      return objectPath(bucket, key);
    },
    async createBucket(bucket) {
      checkBucket(bucket);
      await mkdir(join(s3Root, bucket), { recursive: true });
    },
    put: (bucket, key, body, opts = {}) => write(bucket, key, body, opts, 'ObjectCreated:Put'),
    putFile: (bucket, key, path, opts = {}) => write(bucket, key, createReadStream(path), opts, 'ObjectCreated:Put'),
    async get(bucket, key, range) {
      checkKey(bucket, key);
      let handle: FileHandle;
      try {
        handle = await open(objectPath(bucket, key), 'r');
      } catch (error) {
        if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes(errorCode(error) ?? ''))
          throw new NoSuchKeyError(bucket, key, { cause: error });
        throw error;
      }
      // Reading through the open handle pins this version even if a put renames a new one over it.
      const stats = await handle.stat();
      if (!stats.isFile()) {
        await handle.close();
        throw new NoSuchKeyError(bucket, key);
      }
      if (range === undefined) return handle.createReadStream();
      if (range.start < 0 || range.end < range.start || range.start >= stats.size) {
        await handle.close();
        throw new InvalidRangeError(bucket, key, range, stats.size);
      }
      // Like S3, an end past the object is clamped to the last byte.
      return handle.createReadStream({ start: range.start, end: Math.min(range.end, stats.size - 1) });
    },
    head: (bucket, key) => info(bucket, key),
    async *list(bucket, prefix) {
      checkBucket(bucket);
      const bucketRoot = join(s3Root, bucket);
      // Start the walk at the deepest folder the prefix names, not at the bucket root.
      const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      const start = folder === '' ? bucketRoot : join(bucketRoot, ...folder.split('/'));
      const keys: string[] = [];
      for await (const path of walkFiles(start)) {
        const key = relative(bucketRoot, path).split(sep).join('/');
        if (key.startsWith(prefix)) keys.push(key);
      }
      // S3 lists in UTF-8 binary order.
      keys.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
      for (const key of keys) {
        const item = await info(bucket, key);
        if (item !== undefined) yield item;
      }
    },
    async copy(from, to, opts) {
      const source = await info(from.bucket, from.key);
      if (source === undefined) throw new NoSuchKeyError(from.bucket, from.key);
      // S3's MetadataDirective: COPY unless the caller gives new metadata or content type (REPLACE).
      const replace = opts?.metadata !== undefined || opts?.contentType !== undefined;
      const putOptions: PutOptions = { ...(opts ?? {}) };
      if (!replace) {
        putOptions.metadata = source.metadata;
        if (source.contentType !== undefined) putOptions.contentType = source.contentType;
      }
      return write(to.bucket, to.key, await store.get(from.bucket, from.key), putOptions, 'ObjectCreated:Copy');
    },
    async delete(bucket, key) {
      checkKey(bucket, key);
      for (const path of [objectPath(bucket, key), sidecarPath(bucket, key)]) await unlinkIfExists(path);
      await pruneEmptyFolders(join(s3Root, bucket), dirname(objectPath(bucket, key)));
      await pruneEmptyFolders(join(metaRoot, bucket), dirname(sidecarPath(bucket, key)));
    },
    onObjectCreated(bucket, listener) {
      const entry = { bucket, listener };
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    async announce(bucket, key, eventName = 'ObjectCreated:Put') {
      const item = await info(bucket, key);
      if (item === undefined) throw new NoSuchKeyError(bucket, key);
      notify(bucket, key, item.size, item.etag, eventName);
    },
    async writtenThroughStore(bucket, key) {
      checkKey(bucket, key);
      const stats = await stat(objectPath(bucket, key)).catch(() => undefined);
      if (stats === undefined) return false;
      const sidecar = await readJsonIfExists<Sidecar>(sidecarPath(bucket, key));
      return sidecar !== undefined && sidecar.size === stats.size && sidecar.mtimeMs === stats.mtimeMs;
    },
    idle: () => pending.idle(),
    inFlight: () => pending.size,
  };
  return store;
}

function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/"/g, '');
}
