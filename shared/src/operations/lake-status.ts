/**
 * What the lake holds, per dataset: files landed and still in progress, rows,
 * reject rate, partitions in the catalog, the last ingest, and quarantined
 * files. Read from the manifests, the quarantine records and the catalog: the
 * same facts on AWS and locally (`lake status`).
 */
import { registeredPartitions } from '../catalog/table-definition';
import { DATASETS } from '../datasets/registry';
import type { LakeDeps } from '../ports';
import { fileManifestKey, UNKNOWN_DATASET } from '../lake/keys';
import { readFileManifest } from '../lake/manifest';

export interface DatasetStatus {
  dataset: string;
  /** Files fully normalized. */
  files: number;
  /** Files planned whose chunks are not all done (running, waiting to retry, or in the DLQ). */
  filesInProgress: number;
  rowsIn: number;
  rowsWritten: number;
  rowsRejected: number;
  /** rowsRejected / rowsIn over the complete files; 0 when nothing came in. */
  rejectRate: number;
  /** Partitions registered in the catalog. */
  partitions: number;
  /** When the last complete file finished (ISO 8601 UTC). */
  lastIngestAt?: string;
  quarantinedFiles: number;
}

export interface LakeStatus {
  datasets: DatasetStatus[];
  /** Files quarantined before their dataset was known (unrecognised headers, unreadable files). */
  quarantinedUnknown: number;
}

const HASH_MANIFEST = /^_manifests\/[a-z0-9_]+\/([0-9a-f]{64})\.json$/;

async function countQuarantined(deps: Pick<LakeDeps, 'store' | 'names'>, dataset: string): Promise<number> {
  let count = 0;
  for await (const item of deps.store.list(deps.names.buckets.rejects, `quarantine/${dataset}/`))
    if (item.key.endsWith('/reason.json')) count++;
  return count;
}

/** The status of every dataset in the registry (see the module comment). */
export async function lakeStatus(deps: Pick<LakeDeps, 'store' | 'catalog' | 'names'>): Promise<LakeStatus> {
  const { store, catalog, names } = deps;
  const datasets: DatasetStatus[] = [];
  for (const contract of DATASETS) {
    const status: DatasetStatus = {
      dataset: contract.name,
      files: 0,
      filesInProgress: 0,
      rowsIn: 0,
      rowsWritten: 0,
      rowsRejected: 0,
      rejectRate: 0,
      partitions: 0,
      quarantinedFiles: 0,
    };
    for await (const item of store.list(names.buckets.curated, `_manifests/${contract.name}/`)) {
      const hash = HASH_MANIFEST.exec(item.key)?.[1];
      if (hash === undefined || item.key !== fileManifestKey(contract.name, hash)) continue;
      const manifest = await readFileManifest(store, names, contract.name, hash);
      if (manifest === undefined) continue;
      if (manifest.status !== 'complete') {
        status.filesInProgress++;
        continue;
      }
      status.files++;
      status.rowsIn += manifest.totals.rowsIn;
      status.rowsWritten += manifest.totals.rowsWritten;
      status.rowsRejected += manifest.totals.rowsRejected;
      if (
        manifest.completedAt !== undefined &&
        (status.lastIngestAt === undefined || manifest.completedAt > status.lastIngestAt)
      )
        status.lastIngestAt = manifest.completedAt;
    }
    status.rejectRate = status.rowsIn === 0 ? 0 : status.rowsRejected / status.rowsIn;
    status.partitions = (await registeredPartitions(catalog, names, contract)).length;
    status.quarantinedFiles = await countQuarantined(deps, contract.name);
    datasets.push(status);
  }
  return { datasets, quarantinedUnknown: await countQuarantined(deps, UNKNOWN_DATASET) };
}
