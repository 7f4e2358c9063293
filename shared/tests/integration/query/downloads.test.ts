/**
 * Result downloads as each platform delivers them: the file itself where the
 * store has no URLs (the local lake), a presigned link to the file put in the
 * query results bucket where it has (S3), with suppressed cells empty.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalLake, type LocalLake } from '../../../src/adapters/local/index';
import type { QueryEngine, QueryResultPage } from '../../../src/ports';
import { deliverDownload, MAX_INLINE_DOWNLOAD_BYTES } from '../../../src/query/downloads';
import type { ExecutionRecord } from '../../../src/query/executions';

/** An engine holding one finished cohort_summary result, paged as Athena pages it (header row first). */
function finishedEngine(rows: (string | null)[][]): QueryEngine {
  const columns = [
    { name: 'site', type: 'varchar' },
    { name: 'age_band', type: 'varchar' },
    { name: 'patients', type: 'bigint' },
  ];
  return {
    dialect: 'athena',
    start: async () => 'q-1',
    status: async (id) => ({
      id,
      state: 'SUCCEEDED',
      submittedAt: new Date('2026-01-01T00:00:00Z'),
      completedAt: new Date('2026-01-01T00:00:01Z'),
    }),
    results: async (_id, options = {}): Promise<QueryResultPage> => {
      const all = [columns.map((c) => c.name), ...rows];
      const offset = Number(options.nextToken ?? 0);
      const size = options.pageSize ?? 1000;
      const page: QueryResultPage = { columns, rows: all.slice(offset, offset + size) };
      if (offset + size < all.length) page.nextToken = String(offset + size);
      return page;
    },
  };
}

const record: ExecutionRecord = {
  executionId: '6f1c2a9e-1111-4222-8333-944445555666',
  partnerId: 'clinic-sg',
  query: 'cohort_summary',
  version: 1,
  parameters: { as_of: '2026-01-01', site: null },
  engineQueryId: 'q-1',
  submittedAt: '2026-01-01T00:00:00Z',
};
const options = { smallCellThreshold: 11, reuseMinutes: 60 };

describe('result downloads', () => {
  let home: string;
  let lake: LocalLake;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'pulse-lake-downloads-'));
    lake = buildLocalLake(home);
  });
  afterEach(async () => {
    await lake.close();
    await rm(home, { recursive: true, force: true });
  });

  it('gives the file itself where objects have no URL, across result pages, small cells empty', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => ['SG', `band ${i}`, String(i % 20)]);
    const delivered = await deliverDownload({ ...lake, engine: finishedEngine(rows) }, record, 'csv', options);
    if (delivered.kind !== 'file') throw new Error('expected the file');
    const lines = delivered.file.body
      .toString('utf8')
      .replace(/^\ufeff/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines).toHaveLength(2501);
    expect(lines.slice(1, 3)).toEqual(['SG,band 0,0', 'SG,band 1,']);
    expect(lines[12]).toBe('SG,band 11,11');
    expect(delivered.file.rows).toBe(2500);
  });

  it('refuses a file over the response limit with a way out', async () => {
    const rows = Array.from({ length: 120_000 }, (_, i) => [
      'SG',
      `a long age band label to make the file large ${i}`,
      '12',
    ]);
    const failure = deliverDownload({ ...lake, engine: finishedEngine(rows) }, record, 'csv', options);
    await expect(failure).rejects.toMatchObject({ kind: 'invalid', code: 'result_too_large' });
    await expect(failure).rejects.toThrow(`larger than ${MAX_INLINE_DOWNLOAD_BYTES / 2 ** 20} MiB`);
  });

  it('puts the file in the query results bucket and gives a short-lived link where the store makes URLs', async () => {
    const presigned: unknown[] = [];
    const store = Object.assign(Object.create(lake.store) as typeof lake.store, {
      presignGet: async (bucket: string, key: string, how: { expiresSeconds: number; fileName: string }) => {
        presigned.push({ bucket, key, ...how });
        return `https://${bucket}.s3.example/${key}?X-Amz-Signature=abc`;
      },
    });
    const delivered = await deliverDownload(
      { ...lake, store, engine: finishedEngine([['US', 'under 65', '40']]) },
      record,
      'xlsx',
      options,
    );
    expect(delivered).toMatchObject({
      kind: 'url',
      url: `https://pulse-lake-local-query-results.s3.example/downloads/${record.executionId}.xlsx?X-Amz-Signature=abc`,
      fileName: `cohort_summary-${record.executionId}.xlsx`,
      rows: 1,
    });
    expect(presigned).toEqual([
      {
        bucket: 'pulse-lake-local-query-results',
        key: `downloads/${record.executionId}.xlsx`,
        expiresSeconds: 900,
        fileName: `cohort_summary-${record.executionId}.xlsx`,
      },
    ]);
    expect(
      await lake.store.head('pulse-lake-local-query-results', `downloads/${record.executionId}.xlsx`),
    ).toMatchObject({ size: expect.any(Number) });
  });
});
