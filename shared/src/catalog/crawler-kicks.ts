/**
 * Kicking a Glue crawler at most once per interval, however many catalog
 * invocations ask at once. The last kick is a small JSON record in the curated
 * bucket; claiming the interval is a conditional write (If-None-Match for the
 * first kick, If-Match on the record read), so of two invocations racing for
 * the same interval exactly one wins and kicks, and the other stands down.
 */
import { crawlerStateKey } from '../lake/keys';
import { readJsonIfPresent } from '../lake/objects';
import type { CrawlerStart, LakeDeps } from '../ports';
import { NoSuchKeyError, PreconditionFailedError } from '../ports';

/**
 * Glue bills a crawl for at least 10 minutes and a small prefix takes a few
 * minutes to crawl: kicking more often would pay for crawls that mostly
 * answer CrawlerRunningException. The crawler's daily schedule catches what
 * falls between kicks.
 */
export const CRAWLER_KICK_INTERVAL_MS = 15 * 60_000;

/** `debounced`: kicked within the interval already (by this invocation's predecessor or a concurrent one). */
export type CrawlerKick = CrawlerStart | 'debounced';

interface CrawlerKickRecord {
  crawler: string;
  kickedAt: string;
}

function isKickRecord(value: unknown): value is CrawlerKickRecord {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as CrawlerKickRecord).kickedAt === 'string' &&
    !Number.isNaN(Date.parse((value as CrawlerKickRecord).kickedAt))
  );
}

const body = (record: CrawlerKickRecord) => `${JSON.stringify(record)}\n`;

/**
 * Starts crawler `crawler` unless it was kicked less than `intervalMs` ago.
 * A crawl already running counts as kicked: it may have listed the prefix
 * before the newest files arrived, in which case the next kick after the
 * interval (or the daily schedule) picks them up. When starting fails for any
 * other reason, the claim is given back before the error is thrown, so
 * Lambda's retry of the event can kick again.
 */
export async function kickCrawlerDebounced(
  deps: Pick<LakeDeps, 'store' | 'crawlers' | 'clock' | 'names'>,
  crawler: string,
  intervalMs: number = CRAWLER_KICK_INTERVAL_MS,
): Promise<CrawlerKick> {
  const { store, clock } = deps;
  const bucket = deps.names.buckets.curated;
  const key = crawlerStateKey(crawler);
  const now = clock.now();

  const info = await store.head(bucket, key);
  const stored = info === undefined ? undefined : await readJsonIfPresent<unknown>(store, bucket, key);
  const previous = isKickRecord(stored) ? stored : undefined;
  if (previous !== undefined && now.getTime() - Date.parse(previous.kickedAt) < intervalMs) return 'debounced';

  let claim: { etag: string };
  try {
    claim = await store.put(bucket, key, body({ crawler, kickedAt: now.toISOString() }), {
      contentType: 'application/json',
      ...(info === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: info.etag }),
    });
  } catch (error) {
    // Another invocation claimed this interval between our read and our write.
    if (error instanceof PreconditionFailedError || error instanceof NoSuchKeyError) return 'debounced';
    throw error;
  }

  try {
    return await deps.crawlers.start(crawler);
  } catch (error) {
    await giveBackClaim(deps, bucket, key, claim.etag, previous);
    throw error;
  }
}

/** Restores the record as it was before our claim; a claim made since ours (If-Match fails) stands. */
async function giveBackClaim(
  deps: Pick<LakeDeps, 'store'>,
  bucket: string,
  key: string,
  claimEtag: string,
  previous: CrawlerKickRecord | undefined,
): Promise<void> {
  try {
    // No record before ours: nobody else can have claimed since (they would have read ours), so it is ours to delete.
    if (previous === undefined) await deps.store.delete(bucket, key);
    else await deps.store.put(bucket, key, body(previous), { contentType: 'application/json', ifMatch: claimEtag });
  } catch {
    // The start failure is what the caller must see; a claim left in place only delays the next kick by one interval.
  }
}
