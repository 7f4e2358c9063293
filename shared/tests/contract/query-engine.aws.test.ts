/** The QueryEngine contract on the Athena adapter, over fakes/athena.ts (query-engine.contract.ts). */
import { DEFAULT_RETRY } from '../../src/adapters/aws/retry';
import { buildAthenaQueryEngine } from '../../src/adapters/aws/athena-query-engine';
import { answerKey, type CannedResult, fakeAthena } from './fakes/athena';
import { QUERIES, queryEngineContract } from './query-engine.contract';

/** What Athena answers for the suite's queries. */
const answers = new Map<string, CannedResult>([
  [
    answerKey(QUERIES.values),
    {
      columns: [
        { name: 'n', type: 'integer' },
        { name: 'site', type: 'varchar' },
        { name: 'note', type: 'varchar' },
      ],
      rows: [
        ['1', 'SG', null],
        ['2', 'US', "it's"],
        ['3', 'SG', ''],
      ],
    },
  ],
  [
    answerKey(QUERIES.echo, ["'it''s''; DROP TABLE x; --'"]),
    { columns: [{ name: 'echoed', type: 'varchar' }], rows: [["it's'; DROP TABLE x; --"]] },
  ],
]);

describe('QueryEngine contract: Athena', () => {
  queryEngineContract(async () =>
    buildAthenaQueryEngine(fakeAthena(answers, 's3://pulse-lake-test-query-results/'), {
      workGroup: 'pulse-lake-test',
      retry: { ...DEFAULT_RETRY, sleep: async () => undefined },
    }),
  );
});
