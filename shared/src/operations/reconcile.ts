/**
 * The reconciliation sweep: S3 event notifications are at-least-once but can
 * be lost (a misconfigured filter, a failed async invoke past its retries). A
 * raw object with no file manifest was never planned; planning it now
 * (idempotent) means a lost event loses nothing. Objects planned but not
 * complete are reported, not re-planned: their chunks are running, waiting to
 * retry, or parked in the DLQ, and re-sending them would bypass the DLQ.
 * A complete file whose partitions the catalog lacks lost its Partitions
 * Written announcement (a process killed between publishing and delivering it
 * locally; a catalog failure past its retries on AWS): it is announced again.
 */
import { registeredPartitions } from '../catalog/table-definition';
import type { DatasetContract } from '../datasets/contract';
import { findContract } from '../datasets/registry';
import type { LakeDeps } from '../ports';
import { partitionsWrittenEvent } from '../lake/messages';
import { parseRawKey } from '../lake/keys';
import { readFileManifest } from '../lake/manifest';
import type { PlanOptions } from '../ingest/plan-raw-object';
import { planRawObject } from '../ingest/plan-raw-object';

export interface ReconcileOutcome {
  /** Raw objects looked at. */
  scanned: number;
  /** Raw objects that had no manifest and were planned now. */
  planned: { dataset: string; contentHash: string; key: string; chunks: number }[];
  /** Raw objects planned longer ago than `stuckAfterMs` and still not complete. */
  stuck: { dataset: string; contentHash: string; key: string; plannedAt: string }[];
  /** Complete files whose partitions were missing from the catalog, announced again. */
  reannounced: { dataset: string; contentHash: string; partitions: number }[];
}

export interface ReconcileOptions extends PlanOptions {
  /** A planned object older than this is reported as stuck (default 6 hours). */
  stuckAfterMs?: number;
}

/** Sweeps the raw bucket (see the module comment). */
export async function reconcileRawObjects(
  deps: Pick<LakeDeps, 'store' | 'queue' | 'clock' | 'names' | 'catalog' | 'bus'>,
  options: ReconcileOptions = {},
): Promise<ReconcileOutcome> {
  const { store, names, clock } = deps;
  const stuckBefore = clock.now().getTime() - (options.stuckAfterMs ?? 6 * 3_600_000);
  const outcome: ReconcileOutcome = { scanned: 0, planned: [], stuck: [], reannounced: [] };
  // Each table's registered partitions, read once per sweep.
  const registered = new Map<string, Promise<Set<string>>>();
  const registeredOf = (contract: DatasetContract): Promise<Set<string>> => {
    let known = registered.get(contract.name);
    if (known === undefined) {
      known = registeredPartitions(deps.catalog, names, contract).then(
        (partitions) => new Set(partitions.map((p) => p.Values.join('/'))),
      );
      registered.set(contract.name, known);
    }
    return known;
  };
  for await (const item of store.list(names.buckets.raw, '')) {
    // Keys outside the raw layout (such as stream records of unknown datasets under _unknown/) are not planned here.
    const parsed = parseRawKey(item.key);
    if (parsed === undefined) continue;
    outcome.scanned++;
    const manifest = await readFileManifest(store, names, parsed.dataset, parsed.contentHash);
    if (manifest === undefined) {
      const plan = await planRawObject(deps, { bucket: names.buckets.raw, key: item.key }, options);
      outcome.planned.push({
        dataset: plan.dataset,
        contentHash: plan.contentHash,
        key: item.key,
        chunks: plan.chunks,
      });
    } else if (manifest.status !== 'complete') {
      if (Date.parse(manifest.plannedAt) < stuckBefore)
        outcome.stuck.push({
          dataset: parsed.dataset,
          contentHash: parsed.contentHash,
          key: item.key,
          plannedAt: manifest.plannedAt,
        });
    } else if (manifest.partitions.length > 0) {
      const contract = findContract(parsed.dataset);
      if (contract === undefined) continue;
      const known = await registeredOf(contract);
      const missing = manifest.partitions.filter((p) => !known.has(`${p.site}/${p.dt}`));
      if (missing.length === 0) continue;
      await deps.bus.publish([partitionsWrittenEvent(names, contract, parsed.contentHash, missing)]);
      for (const p of missing) known.add(`${p.site}/${p.dt}`);
      outcome.reannounced.push({ dataset: contract.name, contentHash: parsed.contentHash, partitions: missing.length });
    }
  }
  return outcome;
}
