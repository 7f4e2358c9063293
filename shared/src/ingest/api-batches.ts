/**
 * What the push API remembers of each batch, in the raw bucket's `_state/`:
 * which partner pushed it (`_state/api-batches/<partner>/<batch id>.json`, so a
 * partner can ask about its own batches and no one else's), and which batch
 * an Idempotency-Key stood for (`_state/idempotency/<partner>/<sha256 of the
 * key>.json`, written with a conditional put, so a retried push lands once even
 * when two retries race). The batch's outcome is read from what the pipeline
 * wrote: its file manifest, quarantine reason and reject lines.
 */
import { createHash } from 'node:crypto';
import { RefusalError } from '../refusal';
import type { LakeDeps } from '../ports';
import { PreconditionFailedError } from '../ports';
import type { ApiBatchLanded, PreparedApiBatch } from './land-api-batch';
import { LAKE_STATE_PREFIX, quarantineReasonKey } from '../lake/keys';
import { readFileManifest } from '../lake/manifest';
import { readJsonIfPresent, readObjectText } from '../lake/objects';
import type { QuarantineReason } from '../lake/quarantine';

/** Printable ASCII, as HTTP header values are, and not absurdly long. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const BATCH_ID = /^[0-9a-f]{64}$/;
/** Reject lines a batch outcome lists: enough to fix a sender, not a copy of the rejects. */
const MAX_REJECTS_LISTED = 20;

interface PushedBatch {
  batchId: string;
  dataset: string;
  records: number;
  receivedAt: string;
}

/** A push the caller can fix. */
export class ApiBatchRequestError extends RefusalError {
  override name = 'ApiBatchRequestError';
}

const pushedBatch = (batch: Pick<PushedBatch, 'batchId' | 'dataset' | 'records'>, at: Date): PushedBatch => ({
  batchId: batch.batchId,
  dataset: batch.dataset,
  records: batch.records,
  receivedAt: at.toISOString(),
});
const batchKey = (partnerId: string, batchId: string) => `${LAKE_STATE_PREFIX}api-batches/${partnerId}/${batchId}.json`;
const idempotencyKeyOf = (partnerId: string, key: string) =>
  `${LAKE_STATE_PREFIX}idempotency/${partnerId}/${createHash('sha256').update(key).digest('hex')}.json`;

/** Checks an Idempotency-Key header before anything lands. */
export function checkIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw new ApiBatchRequestError(
      'invalid',
      'invalid_idempotency_key',
      'Idempotency-Key must be 1 to 255 printable ASCII characters (a UUID is a good one)',
    );
  }
}

/**
 * Binds `idempotencyKey` to this batch for `partnerId`, before it lands.
 * Returns whether the key already stood for this same batch (a retry: the
 * landing that follows is then a no-op); throws 422 when it stood for another.
 */
export async function claimIdempotencyKey(
  deps: Pick<LakeDeps, 'store' | 'names' | 'clock'>,
  partnerId: string,
  idempotencyKey: string,
  batch: PreparedApiBatch,
): Promise<{ replayed: boolean }> {
  const bucket = deps.names.buckets.raw;
  const key = idempotencyKeyOf(partnerId, idempotencyKey);
  try {
    await deps.store.put(bucket, key, JSON.stringify(pushedBatch(batch, deps.clock.now())), {
      contentType: 'application/json',
      ifNoneMatch: '*',
    });
    return { replayed: false };
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
  }
  const earlier = await readJsonIfPresent<PushedBatch>(deps.store, bucket, key);
  if (earlier?.batchId !== batch.batchId) {
    throw new ApiBatchRequestError(
      'conflict',
      'idempotency_key_reused',
      'this Idempotency-Key was already used for a different batch; use a new key for new data',
    );
  }
  return { replayed: true };
}

/** Records a landed batch as `partnerId`'s, so the partner can ask what became of it. */
export async function recordPushedBatch(
  deps: Pick<LakeDeps, 'store' | 'names' | 'clock'>,
  partnerId: string,
  landed: ApiBatchLanded,
): Promise<void> {
  await deps.store.put(
    deps.names.buckets.raw,
    batchKey(partnerId, landed.batchId),
    JSON.stringify(pushedBatch(landed, deps.clock.now())),
    { contentType: 'application/json' },
  );
}

export interface BatchOutcome {
  batchId: string;
  dataset: string;
  records: number;
  receivedAt: string;
  /** received: landed, not normalized yet; processed: its rows are in curated; quarantined: refused whole, see reason. */
  status: 'received' | 'processed' | 'quarantined';
  rowsWritten?: number;
  rowsRejected?: number;
  rowsDuplicate?: number;
  reason?: string;
  /** The first rejected records: their record number in the batch, the rule and the reason (never the values). */
  rejects?: { record: number; column?: string; rule: string; reason: string }[];
}

/** The outcome of `partnerId`'s batch `batchId`; another partner's batch is as unknown as one never pushed. */
export async function batchOutcome(
  deps: Pick<LakeDeps, 'store' | 'names'>,
  partnerId: string,
  batchId: string,
): Promise<BatchOutcome> {
  const pushed = BATCH_ID.test(batchId)
    ? await readJsonIfPresent<PushedBatch>(deps.store, deps.names.buckets.raw, batchKey(partnerId, batchId))
    : undefined;
  if (pushed === undefined)
    throw new ApiBatchRequestError('not_found', 'unknown_batch', 'there is no batch with this id for your key');
  const base = { batchId, dataset: pushed.dataset, records: pushed.records, receivedAt: pushed.receivedAt };
  const quarantine = await readJsonIfPresent<QuarantineReason>(
    deps.store,
    deps.names.buckets.rejects,
    quarantineReasonKey(pushed.dataset, batchId),
  );
  if (quarantine !== undefined) return { ...base, status: 'quarantined', reason: quarantine.reason };
  const manifest = await readFileManifest(deps.store, deps.names, pushed.dataset, batchId);
  if (manifest?.status !== 'complete') return { ...base, status: 'received' };
  const quarantined = manifest.chunks.find((c) => c.quarantined !== undefined)?.quarantined;
  if (quarantined !== undefined) return { ...base, status: 'quarantined', reason: quarantined };
  const rejects: NonNullable<BatchOutcome['rejects']> = [];
  for (const chunk of manifest.chunks) {
    if (chunk.rejectsKey === undefined || rejects.length >= MAX_REJECTS_LISTED) continue;
    const lines = (await readObjectText(deps.store, deps.names.buckets.rejects, chunk.rejectsKey))
      .split('\n')
      .filter((l) => l.trim() !== '');
    for (const line of lines.slice(0, MAX_REJECTS_LISTED - rejects.length)) {
      const reject = JSON.parse(line) as { line: number; column?: string; rule: string; reason: string };
      rejects.push({
        record: reject.line,
        ...(reject.column !== undefined ? { column: reject.column } : {}),
        rule: reject.rule,
        reason: reject.reason,
      });
    }
  }
  const { rowsWritten, rowsRejected, rowsDuplicate } = manifest.totals;
  return { ...base, status: 'processed', rowsWritten, rowsRejected, rowsDuplicate, rejects };
}
