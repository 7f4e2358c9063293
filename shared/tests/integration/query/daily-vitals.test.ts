/**
 * daily_vitals end to end on REAL DuckDB over REAL Parquet laid out as the lake
 * lays it out (hive partitions site/dt), with views created the way the local
 * engine creates them, and the rendered SQL run as a prepared statement.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { patients } from '../../../src/datasets/patients';
import { vitals } from '../../../src/datasets/vitals';
import type { QueryParameter } from '../../../src/ports';
import { dailyVitals } from '../../../src/query/daily-vitals';
import { NAMED_QUERIES } from '../../../src/query/named-queries';
import { ParameterError } from '../../../src/query/parameters';
import { renderWithContracts } from '../../../src/query/scoping';
import { tokenize } from '../../../src/query/sql-text';
import { fixtureContracts } from '../../unit/query/fixtures';
import { createScratchLake, token, type ScratchLake } from './scratch-lake';

const DB = 'pulse_lake_test_curated';
const [P1, P2, P3, P4] = ['p1', 'p2', 'p3', 'p4'].map(token) as [string, string, string, string];
const [FILE_1, FILE_2] = [token('file-1'), token('file-2')];
const DEVICE = token('device-1');

let lake: ScratchLake;
let connection: ScratchLake['connection'];

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

async function run(sql: string, parameters: QueryParameter[]): Promise<Record<string, unknown>[]> {
  return lake.run(sql, parameters);
}

async function dailyVitalsFor(partnerId: string, params: Record<string, string>) {
  const rendered = renderWithContracts(
    dailyVitals,
    params,
    { partnerId },
    { curatedDatabase: DB, dialect: 'duckdb' },
    fixtureContracts,
  );
  return run(rendered.sql, rendered.parameters);
}

beforeAll(async () => {
  lake = await createScratchLake(DB);
  connection = lake.connection;
  const { createScratch, writeParts } = lake;

  // Patients: P4 belonged to partner A in file 1 and moved to partner B in file 2 (the later ingest wins).
  const patientColumns = await createScratch(patients);
  await connection.run(`INSERT INTO patients (patient_token, partner_id, birth_year, _source_hash, _source_line, _ingested_at, site, dt) VALUES
    ('${P1}', 'clinic-a', 1940, '${FILE_1}', 1, TIMESTAMP '2024-03-01 00:00:00', 'SG', '2024-03-01'),
    ('${P2}', 'clinic-a', 1938, '${FILE_1}', 2, TIMESTAMP '2024-03-01 00:00:00', 'US', '2024-03-01'),
    ('${P3}', 'clinic-b', 1945, '${FILE_1}', 3, TIMESTAMP '2024-03-01 00:00:00', 'SG', '2024-03-01'),
    ('${P4}', 'clinic-a', 1950, '${FILE_1}', 4, TIMESTAMP '2024-03-01 00:00:00', 'SG', '2024-03-01'),
    ('${P4}', 'clinic-b', 1950, '${FILE_2}', 1, TIMESTAMP '2024-03-05 00:00:00', 'SG', '2024-03-05')`);
  await writeParts('patients', patientColumns);

  // Vitals: P1's 08:00 reading on 2024-03-01 arrives in both files; file 2 (later) corrects HR 80 -> 82.
  const vitalsColumns = await createScratch(vitals);
  const row = (p: string, at: string, hr: number, spo2: number, file: string, line: number, site: string) =>
    `('${p}', '${DEVICE}', TIMESTAMP '${at}', ${hr}, ${spo2}, 120, 80, 36.6, 16, '${file}', ${line}, TIMESTAMP '${file === FILE_1 ? '2024-03-03 00:00:00' : '2024-03-04 00:00:00'}', '${site}', '${at.slice(0, 10)}')`;
  await connection.run(`INSERT INTO vitals (patient_token, device_token, recorded_at, heart_rate_bpm, spo2_pct, systolic_mmhg, diastolic_mmhg, temperature_c,
    respiratory_rate_bpm, _source_hash, _source_line, _ingested_at, site, dt) VALUES
    ${row(P1, '2024-02-29 23:00:00', 200, 80, FILE_1, 1, 'SG')},
    ${row(P1, '2024-03-01 06:00:00', 60, 95, FILE_1, 2, 'SG')},
    ${row(P1, '2024-03-01 07:00:00', 70, 97, FILE_1, 3, 'SG')},
    ${row(P1, '2024-03-01 08:00:00', 80, 99, FILE_1, 4, 'SG')},
    ${row(P1, '2024-03-01 08:00:00', 82, 99, FILE_2, 1, 'SG')},
    ${row(P1, '2024-03-02 09:00:00', 65, 96, FILE_1, 5, 'SG')},
    ${row(P2, '2024-03-01 10:00:00', 90, 92, FILE_1, 6, 'US')},
    ${row(P2, '2024-03-01 11:00:00', 100, 94, FILE_1, 7, 'US')},
    ${row(P3, '2024-03-01 12:00:00', 120, 88, FILE_1, 8, 'SG')},
    ${row(P4, '2024-03-01 13:00:00', 50, 90, FILE_1, 9, 'SG')}`);
  await writeParts('vitals', vitalsColumns);
});

afterAll(async () => {
  await lake?.close();
});

describe('daily_vitals on DuckDB over Parquet', () => {
  it('returns exact min/avg/max per patient-day, counting a record duplicated across files once (latest version wins)', async () => {
    // Act
    const rows = await dailyVitalsFor('clinic-a', { from: '2024-03-01', to: '2024-03-02' });
    // Assess
    const expected = [
      {
        patient_token: P1,
        reading_date: '2024-03-01',
        site: 'SG',
        readings: '3',
        min_heart_rate_bpm: 60,
        avg_heart_rate_bpm: 70.7,
        max_heart_rate_bpm: 82,
        min_spo2_pct: 95,
        avg_spo2_pct: 97,
        max_spo2_pct: 99,
      },
      {
        patient_token: P1,
        reading_date: '2024-03-02',
        site: 'SG',
        readings: '1',
        min_heart_rate_bpm: 65,
        avg_heart_rate_bpm: 65,
        max_heart_rate_bpm: 65,
        min_spo2_pct: 96,
        avg_spo2_pct: 96,
        max_spo2_pct: 96,
      },
      {
        patient_token: P2,
        reading_date: '2024-03-01',
        site: 'US',
        readings: '2',
        min_heart_rate_bpm: 90,
        avg_heart_rate_bpm: 95,
        max_heart_rate_bpm: 100,
        min_spo2_pct: 92,
        avg_spo2_pct: 93,
        max_spo2_pct: 94,
      },
    ].sort((a, b) => a.patient_token.localeCompare(b.patient_token) || a.reading_date.localeCompare(b.reading_date));
    expect(rows).toEqual(expected);
    expect(rows.map((r) => Object.keys(r))).toEqual(rows.map(() => dailyVitals.columns.map((c) => c.name)));
  });

  it('filters by patient token and site', async () => {
    expect(
      (await dailyVitalsFor('clinic-a', { from: '2024-03-01', to: '2024-03-02', site: 'us' })).map(
        (r) => r.patient_token,
      ),
    ).toEqual([P2]);
    expect(
      (await dailyVitalsFor('clinic-a', { from: '2024-03-01', to: '2024-03-01', patient_token: P1 })).map(
        (r) => r.readings,
      ),
    ).toEqual(['3']);
  });

  it("never shows partner A another partner's patients, whatever parameters it sends", async () => {
    // Prepare: every combination a partner could send, including the other partner's tokens.
    const attempts: Record<string, string>[] = [];
    for (const patient of [undefined, P1, P3, P4]) {
      for (const site of [undefined, 'SG', 'US']) {
        const params: Record<string, string> = { from: '2024-01-01', to: '2024-12-31' };
        if (patient !== undefined) params.patient_token = patient;
        if (site !== undefined) params.site = site;
        attempts.push(params);
      }
    }
    // Act + Assess
    for (const params of attempts) {
      const seen = new Set((await dailyVitalsFor('clinic-a', params)).map((r) => r.patient_token));
      expect(seen.has(P3)).toBe(false);
      expect(seen.has(P4)).toBe(false); // P4 moved to clinic-b in the later patients file
    }
    const partnerB = new Set(
      (await dailyVitalsFor('clinic-b', { from: '2024-01-01', to: '2024-12-31' })).map((r) => r.patient_token),
    );
    expect([...partnerB].sort()).toEqual([P3, P4].sort());
  });

  it('binds a hostile partner id as a value: it matches no partner and changes no SQL', async () => {
    expect(await dailyVitalsFor("clinic-a' OR '1'='1", { from: '2024-01-01', to: '2024-12-31' })).toEqual([]);
    expect(await dailyVitalsFor("x') OR 1=1 OR ('", { from: '2024-01-01', to: '2024-12-31' })).toEqual([]);
  });

  it('refuses hostile parameter values before any SQL exists', async () => {
    await expect(
      dailyVitalsFor('clinic-a', { from: '2024-01-01', to: '2024-12-31', patient_token: `${P3}' OR '1'='1` }),
    ).rejects.toThrow(ParameterError);
    await expect(dailyVitalsFor('clinic-a', { from: "2024-01-01' OR 1=1 --", to: '2024-12-31' })).rejects.toThrow(
      ParameterError,
    );
  });
});

describe('named queries, as DuckDB parses them', () => {
  /** Every table reference and table function in a DuckDB parse tree. */
  function references(node: unknown, found: { tables: string[]; functions: string[]; ctes: string[] }): void {
    if (Array.isArray(node)) {
      for (const child of node) references(child, found);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'BASE_TABLE')
      found.tables.push([record.catalog_name, record.schema_name, record.table_name].filter((p) => p !== '').join('.'));
    if (record.type === 'TABLE_FUNCTION') found.functions.push(JSON.stringify(record.function).slice(0, 80));
    const cteMap = record.cte_map as { map?: { key?: string }[] } | undefined;
    for (const entry of cteMap?.map ?? []) if (typeof entry.key === 'string') found.ctes.push(entry.key);
    for (const child of Object.values(record)) references(child, found);
  }

  it.each(NAMED_QUERIES.map((q) => [q.name, q] as const))(
    "%s reads only its logical tables (checked with DuckDB's own parser)",
    async (_name, query) => {
      // Prepare: logical tables as bare names, parameters as ?
      const sql = tokenize(query.sql)
        .map((t) => (t.kind === 'placeholder' ? `__logical_${t.name ?? ''}` : t.kind === 'parameter' ? '?' : t.text))
        .join('');
      // Act
      const parsed = await connection.runAndReadAll(`SELECT json_serialize_sql(${literal(sql)})`);
      const tree = JSON.parse(String(parsed.getRows()[0]?.[0])) as { error: boolean; statements: unknown[] };
      const found = { tables: [] as string[], functions: [] as string[], ctes: [] as string[] };
      references(tree.statements, found);
      // Assess
      expect(tree.error).toBe(false);
      expect(tree.statements).toHaveLength(1);
      expect(found.functions).toEqual([]);
      expect(found.tables.filter((t) => !t.startsWith('__logical_') && !found.ctes.includes(t))).toEqual([]);
      expect(found.tables.length).toBeGreaterThan(0);
    },
  );
});
