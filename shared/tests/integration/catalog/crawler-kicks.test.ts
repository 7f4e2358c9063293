import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalLake } from '../../../src/adapters/local/index';
import { buildLocalLake } from '../../../src/adapters/local/index';
import { CRAWLER_KICK_INTERVAL_MS, kickCrawlerDebounced } from '../../../src/catalog/crawler-kicks';
import { crawlerStateKey } from '../../../src/lake/keys';
import { readJsonIfPresent } from '../../../src/lake/objects';

describe('kicking the staging crawler, debounced', () => {
  let home: string;
  let lake: LocalLake;
  let now: Date;
  let crawler: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-crawler-kicks-'));
    now = new Date('2026-03-02T08:00:00Z');
    lake = buildLocalLake(home, { clock: { now: () => now } });
    crawler = lake.names.crawlers.staging;
  });
  afterEach(async () => {
    await lake.close();
    await rm(home, { recursive: true, force: true });
  });

  const minutesLater = (minutes: number) => (now = new Date(now.getTime() + minutes * 60_000));

  it('kicks once for two writes within the interval', async () => {
    // Act
    const first = await kickCrawlerDebounced(lake, crawler);
    minutesLater(5);
    const second = await kickCrawlerDebounced(lake, crawler);

    // Assess
    expect([first, second]).toEqual(['started', 'debounced']);
    expect(await lake.crawlers.kicks(crawler)).toEqual({
      name: crawler,
      kicks: 1,
      lastKickedAt: '2026-03-02T08:00:00.000Z',
    });
    expect(await readJsonIfPresent(lake.store, lake.names.buckets.curated, crawlerStateKey(crawler))).toEqual({
      crawler,
      kickedAt: '2026-03-02T08:00:00.000Z',
    });
  });

  it('kicks again once the interval has passed', async () => {
    // Prepare
    await kickCrawlerDebounced(lake, crawler);
    minutesLater(CRAWLER_KICK_INTERVAL_MS / 60_000);

    // Act
    const again = await kickCrawlerDebounced(lake, crawler);

    // Assess
    expect(again).toBe('started');
    expect(await lake.crawlers.kicks(crawler)).toEqual({
      name: crawler,
      kicks: 2,
      lastKickedAt: '2026-03-02T08:15:00.000Z',
    });
  });

  it('kicks once when several catalog invocations ask at the same moment, first kick or not', async () => {
    // Act: the first kick ever (the record does not exist yet), then a later interval (the record is rewritten).
    const firstRound = await Promise.all([1, 2, 3, 4].map(() => kickCrawlerDebounced(lake, crawler)));
    minutesLater(20);
    const secondRound = await Promise.all([1, 2, 3, 4].map(() => kickCrawlerDebounced(lake, crawler)));

    // Assess
    expect(firstRound.filter((kick) => kick === 'started')).toHaveLength(1);
    expect(secondRound.filter((kick) => kick === 'started')).toHaveLength(1);
    expect([...firstRound, ...secondRound].filter((kick) => kick !== 'started')).toEqual(Array(6).fill('debounced'));
    expect((await lake.crawlers.kicks(crawler))?.kicks).toBe(2);
  });

  it('counts a crawl already running as kicked, so the next write within the interval does not ask again', async () => {
    // Prepare
    let asked = 0;
    const deps = { ...lake, crawlers: { start: async () => (asked++, 'already-running' as const) } };

    // Act
    const kicks = [
      await kickCrawlerDebounced(deps, crawler),
      (minutesLater(1), await kickCrawlerDebounced(deps, crawler)),
    ];

    // Assess
    expect(kicks).toEqual(['already-running', 'debounced']);
    expect(asked).toBe(1);
  });

  it('gives the interval back when the crawler cannot be started, so the retried event kicks', async () => {
    // Prepare: an earlier kick, then Glue failing once after the interval.
    await kickCrawlerDebounced(lake, crawler);
    minutesLater(30);
    const failing = { ...lake, crawlers: { start: () => Promise.reject(new Error('Glue is unavailable')) } };

    // Act
    await expect(kickCrawlerDebounced(failing, crawler)).rejects.toThrow('Glue is unavailable');
    const retried = await kickCrawlerDebounced(lake, crawler);

    // Assess
    expect(retried).toBe('started');
    expect(await lake.crawlers.kicks(crawler)).toEqual({
      name: crawler,
      kicks: 2,
      lastKickedAt: '2026-03-02T08:30:00.000Z',
    });
  });

  it('gives the first claim back too, leaving no record behind', async () => {
    const failing = { ...lake, crawlers: { start: () => Promise.reject(new Error('Glue is unavailable')) } };

    await expect(kickCrawlerDebounced(failing, crawler)).rejects.toThrow('Glue is unavailable');

    expect(await lake.store.head(lake.names.buckets.curated, crawlerStateKey(crawler))).toBeUndefined();
    await expect(kickCrawlerDebounced(lake, crawler)).resolves.toBe('started');
  });
});
