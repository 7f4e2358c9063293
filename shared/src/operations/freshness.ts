/**
 * Freshness per dataset: the event time of the newest reading a query can see,
 * and its age. Asked of the query engine itself, so it measures "queryable",
 * not "landed". Readings stamped in the future (a device with a wrong clock)
 * are left out: they would make a stalled lake look fresh.
 */
import { databaseFor } from '../catalog/table-definition';
import { DATASETS } from '../datasets/registry';
import type { LakeDeps } from '../ports';
import { DIALECTS } from '../query/dialect';
import { engineTimestamp } from '../query/format';
import { runToCompletion } from '../query/run';

export interface DatasetFreshness {
  dataset: string;
  /** The newest event time not in the future (ISO 8601 UTC); undefined when the dataset has no reading yet. */
  newestReadingAt?: string;
  /** Seconds from that reading to now. */
  ageSeconds?: number;
}

/** Freshness of every dataset with an event time and a catalog table. */
export async function datasetFreshness(
  deps: Pick<LakeDeps, 'engine' | 'catalog' | 'names' | 'clock'>,
): Promise<DatasetFreshness[]> {
  const dialect = DIALECTS[deps.engine.dialect];
  const out: DatasetFreshness[] = [];
  for (const contract of DATASETS) {
    const column = contract.eventTimeColumn;
    if (column === undefined) continue;
    const database = databaseFor(contract, deps.names);
    if ((await deps.catalog.getTable(database, contract.name)) === undefined) {
      out.push({ dataset: contract.name });
      continue;
    }
    const now = deps.clock.now();
    const time = dialect.identifier(column);
    // Both engines print a timestamp as text; the format is read back below.
    const cutoff = now.toISOString().slice(0, 19).replace('T', ' ');
    const result = await runToCompletion(
      deps.engine,
      `SELECT CAST(max(${time}) AS VARCHAR) AS newest FROM ${dialect.table(database, contract.name)} WHERE ${time} <= TIMESTAMP '${cutoff}'`,
    );
    const newest = result.rows[0]?.[0];
    if (newest === null || newest === undefined || newest === '') {
      out.push({ dataset: contract.name });
      continue;
    }
    const at = engineTimestamp(newest);
    if (at === undefined)
      throw new RangeError(`the engine printed a timestamp this cannot read: ${JSON.stringify(newest.slice(0, 40))}`);
    out.push({
      dataset: contract.name,
      newestReadingAt: at.toISOString(),
      ageSeconds: Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000)),
    });
  }
  return out;
}
