/**
 * What every QueryEngine does: run by query-engine.local.test.ts (DuckDB over a
 * temp LAKE_HOME) and query-engine.aws.test.ts (Athena over fakes/athena.ts).
 * Results are read as the core reads them (query/run.ts): the first page starts
 * with the header row, as Athena's pages do, and dataRowsOfFirstPage drops it.
 */
import type { QueryEngine, QueryResultPage, QueryStatus } from '../../src/ports';
import { dataRowsOfFirstPage } from '../../src/query/run';

/** The queries the suite runs; the Athena runner answers them from canned results. */
export const QUERIES = {
  values: "SELECT * FROM (VALUES (1, 'SG', NULL), (2, 'US', 'it''s'), (3, 'SG', '')) t(n, site, note) ORDER BY n",
  echo: 'SELECT ? AS echoed',
  broken: 'SELECT no_such_column FROM (VALUES (1)) t(n)',
};

async function settle(engine: QueryEngine, id: string): Promise<QueryStatus> {
  for (;;) {
    const status = await engine.status(id);
    if (status.state !== 'QUEUED' && status.state !== 'RUNNING') return status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function allRows(engine: QueryEngine, id: string, pageSize: number): Promise<QueryResultPage['rows']> {
  const first = await engine.results(id, { pageSize });
  const rows = [...dataRowsOfFirstPage(first)];
  for (let token = first.nextToken; token !== undefined; ) {
    const page = await engine.results(id, { pageSize, nextToken: token });
    rows.push(...page.rows);
    token = page.nextToken;
  }
  return rows;
}

/** Defines the QueryEngine contract; `open` gives an engine per test. */
export function queryEngineContract(open: () => Promise<QueryEngine>): void {
  let engine: QueryEngine;
  beforeEach(async () => {
    engine = await open();
  });

  it('runs a query from start through polling to SUCCEEDED, with where its CSV result is stored', async () => {
    const id = await engine.start(QUERIES.values);

    const done = await settle(engine, id);

    expect(done).toMatchObject({ id, state: 'SUCCEEDED' });
    expect(done.outputLocation).toMatch(/^s3:\/\/.+\.csv$/);
    expect(done.completedAt?.getTime()).toBeGreaterThanOrEqual(done.submittedAt.getTime());
  });

  it('answers columns typed as Athena types them, and rows as text with NULL apart from empty text, page by page', async () => {
    const id = await engine.start(QUERIES.values);
    await settle(engine, id);

    const first = await engine.results(id);

    expect(first.columns).toEqual([
      { name: 'n', type: 'integer' },
      { name: 'site', type: 'varchar' },
      { name: 'note', type: 'varchar' },
    ]);
    const expected = [
      ['1', 'SG', null],
      ['2', 'US', "it's"],
      ['3', 'SG', ''],
    ];
    expect(dataRowsOfFirstPage(first)).toEqual(expected);
    expect(await allRows(engine, id, 1)).toEqual(expected);
  });

  it('starts the first page with the header row and holds at most the page size asked', async () => {
    const id = await engine.start(QUERIES.values);
    await settle(engine, id);

    const first = await engine.results(id, { pageSize: 2 });

    expect(first.rows).toEqual([
      ['n', 'site', 'note'],
      ['1', 'SG', null],
    ]);
    expect(first.nextToken).toBeDefined();
  });

  it('binds parameters as values, never as SQL', async () => {
    const id = await engine.start(QUERIES.echo, { parameters: ["it's'; DROP TABLE x; --"] });
    await settle(engine, id);

    expect(dataRowsOfFirstPage(await engine.results(id))).toEqual([["it's'; DROP TABLE x; --"]]);
  });

  it('ends a query that cannot run FAILED with the reason, and has no results for it', async () => {
    const id = await engine.start(QUERIES.broken);

    const done = await settle(engine, id);

    expect(done.state).toBe('FAILED');
    expect(done.reason).toMatch(/no_such_column|cannot be resolved/i);
    await expect(engine.results(id)).rejects.toThrow();
  });

  it('refuses the status of a query it never started', async () => {
    await expect(engine.status('00000000-0000-4000-8000-000000000000')).rejects.toThrow();
  });
}
