/**
 * Promoting a staging dataset to curated without re-ingesting its raw data:
 * once a contract tried out as `stage: 'staging'` is declared `curated`, its
 * staged Parquet is copied from `staging/<dataset>/` to `curated/<dataset>/`
 * (same partitions, same part names), registered in the curated database
 * (schema evolution checked as for any registration), and only then dropped
 * from the staging database and prefix. Re-running a promotion that stopped
 * half-way finishes it: copies overwrite themselves, registration tolerates
 * what exists.
 */
import type { DatasetContract } from '../datasets/contract';
import { findContract } from '../datasets/registry';
import { datasetPrefix } from '../lake/keys';
import type { LakeDeps } from '../ports';
import { assertEvolvable } from './schema-evolution';
import { partitionInput, tableInput } from './table-definition';

/** A promotion that cannot be done as asked; the message says what to do. */
export class PromoteError extends Error {
  override name = 'PromoteError';
}

export interface Promotion {
  dataset: string;
  objects: number;
  partitions: number;
}

const PARTITION_PATH = /site=([^/]+)\/dt=([^/]+)\//;

export async function promoteDataset(
  deps: Pick<LakeDeps, 'store' | 'catalog' | 'names'>,
  dataset: string,
  contracts: (name: string) => DatasetContract | undefined = findContract,
): Promise<Promotion> {
  const { store, catalog, names } = deps;
  const contract = contracts(dataset);
  if (contract === undefined) throw new PromoteError(`unknown dataset ${JSON.stringify(dataset.slice(0, 64))}`);
  if (contract.stage !== 'curated') {
    throw new PromoteError(
      `${dataset} is still declared stage: 'staging'; set stage: 'curated' in its contract (so new data goes to curated too), then promote what was staged`,
    );
  }
  const bucket = names.buckets.curated;
  const from = datasetPrefix('staging', contract.name);
  const to = datasetPrefix('curated', contract.name);
  const staged: string[] = [];
  for await (const object of store.list(bucket, from)) staged.push(object.key);
  const stagedTable = await catalog.getTable(names.databases.staging, contract.name);
  if (staged.length === 0 && stagedTable === undefined)
    throw new PromoteError(`nothing of ${dataset} is staged: there is no staging table and no staged file`);

  const desired = tableInput(contract, names);
  assertEvolvable(await catalog.getTable(names.databases.curated, contract.name), desired);
  const partitions = new Map<string, { site: string; dt: string }>();
  for (const key of staged) {
    await store.copy({ bucket, key }, { bucket, key: `${to}${key.slice(from.length)}` });
    const match = PARTITION_PATH.exec(key.slice(from.length));
    if (match !== null) partitions.set(`${match[1]}/${match[2]}`, { site: match[1] ?? '', dt: match[2] ?? '' });
  }
  await catalog.ensureDatabase(names.databases.curated);
  await catalog.upsertTable(names.databases.curated, desired);
  const inputs = [...partitions.values()].map((p) => partitionInput(contract, names, p));
  for (let i = 0; i < inputs.length; i += 100)
    await catalog.addPartitions(names.databases.curated, contract.name, inputs.slice(i, i + 100));

  // Only now, with every row readable in curated, does staging let go.
  await catalog.deleteTable(names.databases.staging, contract.name);
  for (const key of staged) await store.delete(bucket, key);
  return { dataset: contract.name, objects: staged.length, partitions: partitions.size };
}
