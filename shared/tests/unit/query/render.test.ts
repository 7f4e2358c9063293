import { describe, expect, it } from '@jest/globals';
import { vitals } from '../../../src/datasets/vitals';
import { dailyVitals } from '../../../src/query/daily-vitals';
import { defineNamedQuery, type NamedQuery } from '../../../src/query/named-query';
import { ParameterError } from '../../../src/query/parameters';
import { QueryScopeError, renderWithContracts, type RenderTarget } from '../../../src/query/scoping';
import { fixtureContracts } from './fixtures';

const target: RenderTarget = { curatedDatabase: 'pulse_lake_dev_curated', dialect: 'athena' };
const params = { from: '2024-03-01', to: '2024-03-07' };

describe('renderWithContracts', () => {
  it('binds the partner id and every parameter in placeholder order, splicing none of them', () => {
    // Prepare
    const partnerId = "clinic-sg' OR '1'='1";
    // Act
    const rendered = renderWithContracts(
      dailyVitals,
      { ...params, site: 'SG' },
      { partnerId },
      target,
      fixtureContracts,
    );
    // Assess
    expect(rendered.parameters).toEqual([
      '2024-03-01',
      '2024-03-07',
      null,
      null,
      partnerId,
      '2024-03-01',
      '2024-03-07',
      null,
      null,
      'SG',
      'SG',
    ]);
    expect(rendered.sql.split('?').length - 1).toBe(rendered.parameters.length);
    expect(rendered.sql).not.toContain('clinic-sg');
    expect(rendered.sql).not.toContain('2024-03');
    expect(rendered.sql).not.toMatch(/:\w/);
  });

  it('reads only the physical curated tables, deduplicated by the contract key, latest ingest first', () => {
    // Act
    const { sql } = renderWithContracts(dailyVitals, params, { partnerId: 'p' }, target, fixtureContracts);
    // Assess
    expect(sql.match(/FROM "[a-z_]+"\."[a-z_]+"/g)).toEqual([
      'FROM "pulse_lake_dev_curated"."vitals"',
      'FROM "pulse_lake_dev_curated"."patients"',
    ]);
    expect(sql).toContain(
      'row_number() OVER (PARTITION BY "patient_token", "device_token", "recorded_at" ORDER BY "_ingested_at" DESC, "_source_hash" DESC, "_source_line" DESC)',
    );
    expect(sql).toContain('row_number() OVER (PARTITION BY "patient_token" ORDER BY "_ingested_at" DESC');
    expect(sql).toContain('"patient_token" IN (SELECT "patient_token" FROM (SELECT');
    expect(sql).toContain('WHERE "_pl_rn" = 1 AND "partner_id" = ?');
    // Partitions are pruned below the dedupe window, where Athena can use them.
    expect(sql).toContain(
      'FROM "pulse_lake_dev_curated"."vitals" WHERE "dt" BETWEEN ? AND ? AND (CAST(? AS VARCHAR) IS NULL OR "patient_token" = ?)',
    );
  });

  it('narrows the dedupe window to one patient when the query asks for one, and only by a dedupe-key column', () => {
    const token = 'a'.repeat(64);
    const one = renderWithContracts(
      dailyVitals,
      { ...params, patient_token: token },
      { partnerId: 'p' },
      target,
      fixtureContracts,
    );
    expect(one.parameters.slice(0, 4)).toEqual(['2024-03-01', '2024-03-07', token, token]);
    const bySite = defineNamedQuery({
      ...dailyVitals,
      name: 'by_site',
      prune: { vitals: { from: 'from', to: 'to', keys: { site: 'site' } } },
    });
    expect(() => renderWithContracts(bySite, params, { partnerId: 'p' }, target, fixtureContracts)).toThrow(
      new QueryScopeError(
        'named query by_site narrows {{vitals}} by site before deduplicating, but site is not in its dedupe key',
      ),
    );
  });

  it('projects exactly the contract columns plus site and dt, without the helper row number (no EXCLUDE, which Trino lacks)', () => {
    const { sql } = renderWithContracts(dailyVitals, params, { partnerId: 'p' }, target, fixtureContracts);
    expect(sql).toContain(
      'SELECT "patient_token", "device_token", "recorded_at", "heart_rate_bpm", "spo2_pct", "systolic_mmhg", "diastolic_mmhg", "temperature_c", "respiratory_rate_bpm", "_source_hash", "_source_line", "_ingested_at", "site", "dt" FROM (',
    );
    expect(sql).not.toMatch(/EXCLUDE/i);
  });

  it('renders the same text for DuckDB and Athena', () => {
    const athena = renderWithContracts(dailyVitals, params, { partnerId: 'p' }, target, fixtureContracts);
    const duckdb = renderWithContracts(
      dailyVitals,
      params,
      { partnerId: 'p' },
      { ...target, dialect: 'duckdb' },
      fixtureContracts,
    );
    expect(duckdb).toEqual(athena);
  });

  it('validates parameters before rendering', () => {
    expect(() =>
      renderWithContracts(
        dailyVitals,
        { from: "2024-03-01'; DROP TABLE vitals; --", to: '2024-03-07' },
        { partnerId: 'p' },
        target,
        fixtureContracts,
      ),
    ).toThrow(ParameterError);
  });

  it('refuses to render without a partner', () => {
    expect(() => renderWithContracts(dailyVitals, params, { partnerId: ' ' }, target, fixtureContracts)).toThrow(
      new QueryScopeError('a query must be scoped to a partner: partnerId is empty'),
    );
  });

  it('refuses a database name that is not a plain identifier', () => {
    expect(() =>
      renderWithContracts(
        dailyVitals,
        params,
        { partnerId: 'p' },
        { ...target, curatedDatabase: 'x"; --' },
        fixtureContracts,
      ),
    ).toThrow(QueryScopeError);
  });

  it('scopes the patients table by its own partner_id', () => {
    // Prepare
    const query: NamedQuery = defineNamedQuery({
      name: 'patient_count',
      version: 1,
      title: 'patients',
      problem: 'how many patients',
      parameters: [],
      columns: [{ name: 'n', type: 'bigint', description: 'patients' }],
      sql: 'SELECT count(*) AS n FROM {{patients}} p',
    });
    // Act
    const rendered = renderWithContracts(query, {}, { partnerId: 'clinic-us' }, target, fixtureContracts);
    // Assess
    expect(rendered.parameters).toEqual(['clinic-us']);
    expect(rendered.sql).toMatch(/WHERE "_pl_rn" = 1 AND "partner_id" = \?\) p$/);
  });

  it('refuses tables that are unknown, staging, or cannot be scoped to a partner', () => {
    const over = (table: string) =>
      defineNamedQuery({
        name: 'probe',
        version: 1,
        title: 't',
        problem: 'p',
        parameters: [],
        columns: [{ name: 'n', type: 'bigint', description: 'n' }],
        sql: `SELECT count(*) AS n FROM {{${table}}} t`,
      });
    const render = (table: string) => () =>
      renderWithContracts(over(table), {}, { partnerId: 'p' }, target, fixtureContracts);
    expect(render('nope')).toThrow('named query probe reads {{nope}}, which is not a dataset of the lake');
    expect(render('trial_feed')).toThrow('a staging dataset; partners only see curated datasets');
    const devices = {
      ...vitals,
      name: 'devices',
      dedupeKey: ['device_serial'],
      columns: vitals.columns.filter((c) => c.name !== 'patient_id'),
    };
    const noTokens = (name: string) => (name === 'devices' ? devices : fixtureContracts(name));
    expect(() => renderWithContracts(over('devices'), {}, { partnerId: 'p' }, target, noTokens)).toThrow(
      'which has no patient_token column, so it cannot be scoped to a partner',
    );
  });
});
