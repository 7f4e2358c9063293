/**
 * Which items of a local DynamoDB table exist, per shard, for telling an
 * INSERT from a MODIFY and a REMOVE from a delete of nothing. Under each shard:
 *   keys/<hour>.log   `+<key hash>` / `-<key hash>` per UTC hour of the write
 * Items are kept ITEM_TTL_HOURS, as in a hot telemetry table with a TTL, so the
 * index stays bounded in a long demo; their expiry is not streamed here
 * (DynamoDB streams it as a service REMOVE, which the lake records).
 */
import { appendFile, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** How long the local table keeps an item after its last write (its TTL). */
export const ITEM_TTL_HOURS = 6;
const HOUR_MS = 3_600_000;

export interface KeyIndex {
  /** Key hash -> whether the item exists, and the hour of its last write (for expiry). */
  items: Map<string, { exists: boolean; hour: number }>;
  /** Bytes already read of each hour's log. */
  offsets: Map<number, number>;
  /** The hour expired entries were last dropped in. */
  prunedAt: number;
}

export interface KeyIndexes {
  /**
   * Brings this process's view of a shard's items up to date with its hourly key
   * logs (other processes append too). Called under the table's lock, so once an
   * hour it also deletes the logs whose items have all expired.
   */
  read(keysDir: string, nowMs: number): Promise<KeyIndex>;
  /** Logs puts (`+hash`) and deletes (`-hash`) written at `atMs`. */
  append(keysDir: string, atMs: number, lines: readonly string[]): Promise<void>;
}

const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/** The key indexes of one process, one per shard's keys folder, read incrementally. */
export function buildKeyIndexes(): KeyIndexes {
  const indexes = new Map<string, KeyIndex>();

  return {
    async read(keysDir, nowMs) {
      const index = indexes.get(keysDir) ?? { items: new Map(), offsets: new Map(), prunedAt: 0 };
      indexes.set(keysDir, index);
      const oldest = hourOf(nowMs) - ITEM_TTL_HOURS * HOUR_MS;
      const logged = (await readdir(keysDir).catch(() => [] as string[]))
        .map((name) => Number(name.replace(/\.log$/, '')))
        .filter((hour) => Number.isFinite(hour));
      const hours = logged.filter((hour) => hour >= oldest).sort((a, b) => a - b);
      for (const hour of hours) {
        const handle = await open(join(keysDir, `${hour}.log`), 'r').catch(() => undefined);
        if (handle === undefined) continue;
        try {
          const { size } = await handle.stat();
          const offset = index.offsets.get(hour) ?? 0;
          if (size <= offset) continue;
          const buffer = Buffer.alloc(size - offset);
          await handle.read(buffer, 0, buffer.length, offset);
          // Only whole lines: an append in progress is read next time.
          const text = buffer.toString('utf8');
          const end = text.lastIndexOf('\n') + 1;
          for (const line of text.slice(0, end).split('\n')) {
            if (line.startsWith('+')) index.items.set(line.slice(1), { exists: true, hour });
            else if (line.startsWith('-')) index.items.set(line.slice(1), { exists: false, hour });
          }
          index.offsets.set(hour, offset + Buffer.byteLength(text.slice(0, end)));
        } finally {
          await handle.close();
        }
      }
      if (index.prunedAt !== hourOf(nowMs)) {
        for (const [hash, item] of index.items) if (item.hour < oldest) index.items.delete(hash);
        for (const hour of index.offsets.keys()) if (hour < oldest) index.offsets.delete(hour);
        // An hour's log is kept one hour past its items, for a reader in another process still catching up.
        for (const hour of logged)
          if (hour < oldest - HOUR_MS) await unlink(join(keysDir, `${hour}.log`)).catch(() => undefined);
        index.prunedAt = hourOf(nowMs);
      }
      return index;
    },

    async append(keysDir, atMs, lines) {
      await mkdir(keysDir, { recursive: true });
      await appendFile(join(keysDir, `${hourOf(atMs)}.log`), lines.join(''));
    },
  };
}
