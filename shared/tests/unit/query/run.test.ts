import { describe, expect, it } from '@jest/globals';
import type { QueryEngine, QueryResultPage, QueryState, QueryStatus, StartQueryOptions } from '../../../src/ports';
import { QueryFailedError, runToCompletion } from '../../../src/query/run';

/** An engine that walks through `states` on successive polls and serves `rows` in pages, Athena-style (header row first). */
function scriptedEngine(states: QueryState[], rows: string[][], reason?: string) {
  const calls = {
    started: [] as { sql: string; options?: StartQueryOptions }[],
    polls: 0,
    pages: [] as (string | undefined)[],
  };
  const columns = [
    { name: 'a', type: 'varchar' },
    { name: 'n', type: 'bigint' },
  ];
  const all = [columns.map((c) => c.name), ...rows];
  const engine: QueryEngine = {
    dialect: 'athena',
    async start(sql, options) {
      calls.started.push({ sql, ...(options ? { options } : {}) });
      return 'q-1';
    },
    async status(id): Promise<QueryStatus> {
      const state = states[Math.min(calls.polls, states.length - 1)] ?? 'RUNNING';
      calls.polls += 1;
      return { id, state, submittedAt: new Date(0), ...(reason ? { reason } : {}) };
    },
    async results(_id, options = {}): Promise<QueryResultPage> {
      calls.pages.push(options.nextToken);
      const offset = Number(options.nextToken ?? '0');
      const size = options.pageSize ?? 1000;
      const page: QueryResultPage = { columns, rows: all.slice(offset, offset + size) };
      if (offset + size < all.length) page.nextToken = String(offset + size);
      return page;
    },
  };
  return { engine, calls };
}

describe('runToCompletion', () => {
  it('polls until the query succeeds, then collects every page without the header row', async () => {
    // Prepare
    const { engine, calls } = scriptedEngine(
      ['QUEUED', 'RUNNING', 'SUCCEEDED'],
      [
        ['x', '1'],
        ['y', '2'],
        ['z', '3'],
      ],
    );
    // Act
    const result = await runToCompletion(engine, 'SELECT 1', {
      parameters: ['p'],
      database: 'db',
      pageSize: 2,
      firstPollMs: 1,
    });
    // Assess
    expect(result).toEqual({
      queryId: 'q-1',
      columns: [
        { name: 'a', type: 'varchar' },
        { name: 'n', type: 'bigint' },
      ],
      rows: [
        ['x', '1'],
        ['y', '2'],
        ['z', '3'],
      ],
    });
    expect(calls.started).toEqual([{ sql: 'SELECT 1', options: { parameters: ['p'], database: 'db' } }]);
    expect(calls.polls).toBe(3);
    expect(calls.pages).toEqual([undefined, '2']);
  });

  it('throws the engine reason when the query fails', async () => {
    const { engine } = scriptedEngine(['RUNNING', 'FAILED'], [], 'Binder Error: column x not found');
    await expect(runToCompletion(engine, 'SELECT x', { firstPollMs: 1 })).rejects.toThrow(
      new QueryFailedError('q-1', 'FAILED', 'query q-1 failed: Binder Error: column x not found'),
    );
  });

  it('gives up after the timeout', async () => {
    const { engine } = scriptedEngine(['RUNNING'], []);
    await expect(runToCompletion(engine, 'SELECT 1', { firstPollMs: 5, timeoutMs: 20 })).rejects.toThrow(
      /did not finish within 20 ms \(last state RUNNING\)/,
    );
  });
});
