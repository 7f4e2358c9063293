/**
 * Who consumes a shard of a local DynamoDB stream, and how far: the lease and
 * checkpoint a stream consumer keeps beside the shard (as the KCL keeps them in
 * a lease table), so one process at a time reads a shard and a restart resumes
 * after the last finished record. Under the shard's folder:
 *   consumer.lease   held by one process, refreshed while it reads
 *   checkpoint       the last sequence number the consumer finished
 */
import { readFile, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { tryTakeLockFile, writeFileAtomic } from './files';

/** A shard lease not refreshed for this long belongs to a process that died. */
const LEASE_STALE_MS = 10_000;

export interface ShardLease {
  /** Takes the lease unless a live process holds it. */
  tryTake(): Promise<boolean>;
  /** Refreshes the held lease, so other processes see its holder alive. */
  renew(): Promise<void>;
  release(): Promise<void>;
  /** The last sequence number finished ('' before the first). */
  readCheckpoint(): Promise<string>;
  writeCheckpoint(sequence: string): Promise<void>;
}

/** The lease and checkpoint of the shard whose folder is `shardDir` (`tmp` holds atomic writes). */
export function shardLease(shardDir: string, tmp: string): ShardLease {
  const leaseFile = join(shardDir, 'consumer.lease');
  const checkpointFile = join(shardDir, 'checkpoint');
  return {
    tryTake: () => tryTakeLockFile(leaseFile, LEASE_STALE_MS),
    async renew() {
      const t = new Date();
      await utimes(leaseFile, t, t).catch(() => undefined);
    },
    release: () => unlink(leaseFile).catch(() => undefined),
    readCheckpoint: async () => (await readFile(checkpointFile, 'utf8').catch(() => '')).trim(),
    writeCheckpoint: (sequence) => writeFileAtomic(tmp, checkpointFile, sequence),
  };
}
