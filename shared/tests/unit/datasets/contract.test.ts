import middy from '@middy/core';
import { DuckDBInstance } from '@duckdb/node-api';
import { vitals } from '@pulse-lake/shared/datasets/vitals';
import { assertValidContract, curatedColumns } from '../../../src/datasets/contract';

describe('dataset contract', () => {
  it('derives curated columns with identifiers tokenized and the site left to the path', () => {
    assertValidContract(vitals);
    const names = curatedColumns(vitals).map((c) => c.name);
    expect(names).toContain('patient_token');
    expect(names).not.toContain('patient_id');
    expect(names).not.toContain('site');
  });
  it('smoke: esm deps load', async () => {
    expect(typeof middy).toBe('function');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const r = await c.runAndReadAll('select 42 as x');
    expect(r.getRows()[0]?.[0]).toBe(42);
  });
});
