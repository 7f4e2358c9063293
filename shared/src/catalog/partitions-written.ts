/**
 * What the catalog function does with a `Partitions Written` event: register
 * the partitions from the dataset's contract, then, for a staging dataset, kick
 * the staging crawler (debounced) so sources written beside it without a
 * contract are discovered too. Curated datasets never kick a crawler: their
 * tables come from contracts alone.
 */
import type { DatasetContract } from '../datasets/contract';
import { getContract } from '../datasets/registry';
import type { PartitionsWrittenDetail } from '../lake/messages';
import type { LakeDeps } from '../ports';
import type { CrawlerKick } from './crawler-kicks';
import { kickCrawlerDebounced } from './crawler-kicks';
import type { RegisteredPartitions } from './register-partitions';
import { registerPartitions } from './register-partitions';

export interface CatalogedPartitions extends RegisteredPartitions {
  /** What became of the staging crawler: kicked (`started`, `already-running`), `debounced`, or `none` for a curated dataset. */
  crawler: CrawlerKick | 'none';
}

/**
 * Registers the announced partitions, then kicks the staging crawler for a
 * staging dataset. Registration comes first and does not depend on the crawler;
 * a crawler that cannot be started throws after the partitions are registered
 * (so the event is retried, and registration is idempotent).
 */
export async function catalogPartitionsWritten(
  deps: Pick<LakeDeps, 'catalog' | 'crawlers' | 'store' | 'clock' | 'names'>,
  detail: PartitionsWrittenDetail,
  contractOf: (dataset: string) => DatasetContract = getContract,
): Promise<CatalogedPartitions> {
  const registered = await registerPartitions(deps, detail, contractOf);
  const stage = contractOf(detail.dataset).stage;
  const crawler = stage === 'staging' ? await kickCrawlerDebounced(deps, deps.names.crawlers.staging) : 'none';
  return { ...registered, crawler };
}
