/**
 * The curated Parquet files of a chunk: one per (site, dt) partition, staged in
 * the chunk's work folder while rows arrive, then closed and uploaded under keys
 * derived from the content hash and chunk index (a retry overwrites its own).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CuratedColumn, CuratedValue, DatasetContract, Site } from '../datasets/contract';
import type { ParquetFileWriter } from '../formats/parquet';
import { openParquetWriter } from '../formats/parquet';
import { curatedPartKey, partitionLocation } from '../lake/keys';
import type { LakeNames } from '../ports';
import type { WrittenPartition } from '../lake/messages';
import type { ObjectStore } from '../ports';

interface OpenPartition {
  site: Site;
  dt: string;
  path: string;
  writer: ParquetFileWriter;
}

/** What publishing the partitions wrote: object keys and partitions, in the same (site, dt) order. */
export interface PublishedPartitions {
  outputKeys: string[];
  written: WrittenPartition[];
}

export class CuratedPartitions {
  private readonly open: OpenPartition[] = [];
  // By site, then day: no key string built per row.
  private readonly bySite = new Map<Site, Map<string, OpenPartition>>();

  /**
   * @param work the folder the files are staged in
   * @param constants values equal on every row of the chunk (lineage), written once per file
   */
  constructor(
    private readonly work: string,
    private readonly columns: readonly CuratedColumn[],
    private readonly constants: Readonly<Record<string, CuratedValue>>,
  ) {}

  /** The writer of the partition, when it is already open (the common case: no await per row). */
  writerOf(site: Site, dt: string): ParquetFileWriter | undefined {
    return this.bySite.get(site)?.get(dt)?.writer;
  }

  /** Opens the partition's file. */
  async openWriter(site: Site, dt: string): Promise<ParquetFileWriter> {
    let days = this.bySite.get(site);
    if (days === undefined) this.bySite.set(site, (days = new Map()));
    const path = join(this.work, `part-${this.open.length}.parquet`);
    const partition: OpenPartition = {
      site,
      dt,
      path,
      writer: await openParquetWriter(path, this.columns, { constants: this.constants }),
    };
    days.set(dt, partition);
    this.open.push(partition);
    return partition.writer;
  }

  /**
   * Closes every file and uploads it to the curated bucket. All are closed at
   * once (the writer runs as many conversions side by side as the process
   * allows), and every one settles before a failure is thrown, so none is still
   * writing when the work folder goes.
   */
  async publish(
    store: ObjectStore,
    names: LakeNames,
    contract: DatasetContract,
    contentHash: string,
    chunkIndex: number,
  ): Promise<PublishedPartitions> {
    // Sorted, so outputs and manifests list partitions in the same order on every retry.
    const ordered = [...this.open].sort((a, b) => (a.site + a.dt).localeCompare(b.site + b.dt));
    const keys = ordered.map((partition) =>
      curatedPartKey(contract.stage, contract.name, partition.site, partition.dt, contentHash, chunkIndex),
    );
    const settled = await Promise.allSettled(
      ordered.map(async (partition, index) => {
        await partition.writer.close();
        await store.putFile(names.buckets.curated, keys[index] as string, partition.path, {
          contentType: 'application/vnd.apache.parquet',
        });
        rmSync(partition.path, { force: true });
      }),
    );
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const outputKeys: string[] = [];
    const written: WrittenPartition[] = [];
    for (const [index, partition] of ordered.entries()) {
      outputKeys.push(keys[index] as string);
      written.push({
        site: partition.site,
        dt: partition.dt,
        location: partitionLocation(names, contract.stage, contract.name, partition.site, partition.dt),
      });
    }
    return { outputKeys, written };
  }

  /** Aborts every writer, removing its files (harmless for one already published), and forgets the partitions. */
  abort(): void {
    for (const partition of this.open) partition.writer.abort();
    this.open.length = 0;
    this.bySite.clear();
  }
}
