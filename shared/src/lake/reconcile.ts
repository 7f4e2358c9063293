/**
 * The reconciliation sweep: S3 event notifications are at-least-once but can
 * be lost (a misconfigured filter, a failed async invoke past its retries). A
 * raw object with no file manifest was never planned; planning it now
 * (idempotent) means a lost event loses nothing. Objects planned but not
 * complete are reported, not re-planned: their chunks are running, waiting to
 * retry, or parked in the DLQ, and re-sending them would bypass the DLQ.
 */
import type { LakeDeps } from '../ports';
import { parseRawKey } from './keys';
import { readFileManifest } from './manifest';
import type { PlanOptions } from './plan-raw-object';
import { planRawObject } from './plan-raw-object';

export interface ReconcileOutcome {
  /** Raw objects looked at. */
  scanned: number;
  /** Raw objects that had no manifest and were planned now. */
  planned: { dataset: string; contentHash: string; key: string; chunks: number }[];
  /** Raw objects planned longer ago than `stuckAfterMs` and still not complete. */
  stuck: { dataset: string; contentHash: string; key: string; plannedAt: string }[];
}

export interface ReconcileOptions extends PlanOptions {
  /** A planned object older than this is reported as stuck (default 6 hours). */
  stuckAfterMs?: number;
}

/** Sweeps the raw bucket (see the module comment). */
export async function reconcileRawObjects(deps: Pick<LakeDeps, 'store' | 'queue' | 'clock' | 'names'>, options: ReconcileOptions = {}): Promise<ReconcileOutcome> {
  const { store, names, clock } = deps;
  const stuckBefore = clock.now().getTime() - (options.stuckAfterMs ?? 6 * 3_600_000);
  const outcome: ReconcileOutcome = { scanned: 0, planned: [], stuck: [] };
  for await (const item of store.list(names.buckets.raw, '')) {
    // Keys outside the raw layout (such as stream records of unknown datasets under _unknown/) are not planned here.
    const parsed = parseRawKey(item.key);
    if (parsed === undefined) continue;
    outcome.scanned++;
    const manifest = await readFileManifest(store, names, parsed.dataset, parsed.contentHash);
    if (manifest === undefined) {
      const plan = await planRawObject(deps, { bucket: names.buckets.raw, key: item.key }, options);
      outcome.planned.push({ dataset: plan.dataset, contentHash: plan.contentHash, key: item.key, chunks: plan.chunks });
    } else if (manifest.status !== 'complete' && Date.parse(manifest.plannedAt) < stuckBefore) {
      outcome.stuck.push({ dataset: parsed.dataset, contentHash: parsed.contentHash, key: item.key, plannedAt: manifest.plannedAt });
    }
  }
  return outcome;
}
