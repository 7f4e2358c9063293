import { describe, expect, it } from '@jest/globals';
import { NAMED_QUERIES, UnknownQueryError, getNamedQuery } from '../../../src/query/named-queries';
import { NamedQueryDefinitionError, defineNamedQuery, type NamedQuery } from '../../../src/query/named-query';
import { checkQueryText, logicalTables } from '../../../src/query/query-text';
import { findContract } from '../../../src/datasets/registry';

const base: NamedQuery = {
  name: 'probe',
  version: 1,
  title: 'probe',
  problem: 'probe',
  parameters: [{ name: 'from', type: 'date', required: true, description: 'day' }],
  columns: [{ name: 'n', type: 'bigint', description: 'count' }],
  sql: 'SELECT count(*) AS n FROM {{vitals}} v WHERE v.dt >= :from',
};

describe('the named query basket', () => {
  it.each(NAMED_QUERIES.map((q) => [`${q.name} v${q.version}`, q] as const))(
    '%s reads only logical tables of curated datasets',
    (_label, query) => {
      // Assess: the registration check passes, and every logical table is a scoped-able dataset.
      expect(checkQueryText(query.sql)).toEqual([]);
      for (const table of logicalTables(query.sql)) {
        const contract = findContract(table);
        expect(contract?.stage).toBe('curated');
      }
      expect(query.sql).not.toMatch(/read_\w+\s*\(|\w+\.\w+\.\w+/i);
    },
  );

  it('holds each name and version once', () => {
    const keys = NAMED_QUERIES.map((q) => `${q.name}@${q.version}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('finds the latest version by name, and lists the basket for an unknown name', () => {
    expect(getNamedQuery('daily_vitals').version).toBe(1);
    const basket =
      'daily_vitals v1, abnormal_heart_rate_episodes v1, qtc_prolongation v1, gait_fall_risk v1, dosage_adherence v1, cohort_summary v1';
    expect(() => getNamedQuery('all_patients')).toThrow(
      new UnknownQueryError(`there is no named query all_patients; the queries are: ${basket}`),
    );
    expect(() => getNamedQuery("x' OR 1=1")).toThrow(`there is no named query that name; the queries are: ${basket}`);
  });
});

describe('defineNamedQuery', () => {
  it("checks a default like a caller's value, and refuses one on a required parameter", () => {
    const withDefault = (spec: NamedQuery['parameters'][number]) => () =>
      defineNamedQuery({
        ...base,
        parameters: [...base.parameters, spec],
        sql: `${base.sql} AND v.heart_rate_bpm > :limit`,
      });
    expect(
      withDefault({ name: 'limit', type: 'integer', min: 1, max: 10, default: '5', description: 'x' }),
    ).not.toThrow();
    expect(withDefault({ name: 'limit', type: 'integer', min: 1, max: 10, default: '50', description: 'x' })).toThrow(
      'default of limit: must be a whole number from 1 to 10',
    );
    expect(withDefault({ name: 'limit', type: 'integer', required: true, default: '5', description: 'x' })).toThrow(
      'parameter limit is required, so its default would never apply',
    );
  });

  it('refuses to suppress a column that is not a count', () => {
    expect(() => defineNamedQuery({ ...base, suppress: { columns: ['n', 'site'] } })).toThrow(
      'suppress names site, which is not a bigint result column',
    );
  });

  it('accepts a query over logical tables, aliases, CTEs and EXTRACT ... FROM', () => {
    const sql = `WITH daily AS (SELECT v.patient_token, EXTRACT(HOUR FROM v.recorded_at) AS h FROM {{vitals}} AS v WHERE v.dt >= :from)
      SELECT count(*) AS n FROM daily d JOIN {{patients}} p ON p.patient_token = d.patient_token, daily e`;
    expect(checkQueryText(sql)).toEqual([]);
  });

  it.each([
    [
      'a physical table',
      'SELECT count(*) AS n FROM vitals WHERE dt >= :from',
      'FROM vitals: tables must be logical ({{dataset}}) so the platform can scope them to the partner',
    ],
    [
      'a schema-qualified table',
      'SELECT count(*) AS n FROM pulse_lake_dev_curated.vitals WHERE dt >= :from',
      'FROM pulse_lake_dev_curated: tables must be logical',
    ],
    [
      'a quoted schema-qualified table',
      'SELECT count(*) AS n FROM {{vitals}} v JOIN "db"."patients" p ON true WHERE v.dt >= :from',
      'JOIN "db": tables must be logical',
    ],
    [
      'read_parquet',
      "SELECT count(*) AS n FROM read_parquet('/lake/**/*.parquet') WHERE dt >= :from",
      'read_parquet(...) reads outside',
    ],
    [
      'read_csv in a scalar subquery',
      "SELECT (SELECT count(*) FROM read_csv('/etc/passwd')) AS n FROM {{vitals}} v WHERE v.dt >= :from",
      'read_csv(...) reads outside',
    ],
    [
      'a comma join to a physical table',
      'SELECT count(*) AS n FROM {{vitals}} v, db.patients p WHERE v.dt >= :from',
      'FROM ... , db',
    ],
    [
      'a qualified column of an unknown qualifier',
      'SELECT count(*) AS n FROM {{vitals}} v WHERE v.dt >= :from AND x.y = 1',
      'x.y: x is not an alias of a logical table',
    ],
    [
      'two statements',
      'SELECT count(*) AS n FROM {{vitals}} v WHERE v.dt >= :from; DROP TABLE x',
      'only one statement is allowed',
    ],
    ['a comment', 'SELECT count(*) AS n FROM {{vitals}} v -- hidden\n WHERE v.dt >= :from', 'comments are not allowed'],
    [
      'a positional placeholder',
      'SELECT count(*) AS n FROM {{vitals}} v WHERE v.dt >= :from AND v.site = ?',
      'use named parameters (:name), not ?',
    ],
    [
      'a DuckDB-only cast',
      'SELECT count(*) AS n FROM {{vitals}} v WHERE v.dt >= :from::VARCHAR',
      '`::` casts are DuckDB-only',
    ],
    ['getenv', "SELECT getenv('HOME') AS n FROM {{vitals}} v WHERE v.dt >= :from", 'getenv(...) reads outside'],
  ])('refuses %s', (_label, sql, expected) => {
    // Act
    const define = () => defineNamedQuery({ ...base, sql });
    // Assess
    expect(define).toThrow(NamedQueryDefinitionError);
    expect(define).toThrow(expected);
  });

  it('refuses parameters used but not declared, and declared but not used', () => {
    const define = () =>
      defineNamedQuery({ ...base, sql: 'SELECT count(*) AS n FROM {{vitals}} v WHERE v.dt >= :since' });
    expect(define).toThrow(
      'named query probe: :since is used but not declared; parameter from is declared but not used',
    );
  });

  it('does not mistake text inside string literals for SQL', () => {
    expect(checkQueryText("SELECT 'FROM db.vitals; --' AS n FROM {{vitals}} v WHERE v.dt >= :from")).toEqual([]);
  });
});
