import { DuckDBInstance } from '@duckdb/node-api';
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import { cleanup, filesUnder, json, lake, readableText, tempDir, writeCsv } from './cli-helpers';

const PATIENTS_HEADER =
  'patient_id,first_name,last_name,email,phone,street_address,postal_code,birth_date,sex,site,partner_id,enrolled_at';
// Identifiable people: every one of these strings must stay out of curated/ and rejects/.
const PEOPLE = [
  {
    id: 'SG-MRN-73001',
    first: 'Wei Ling',
    last: 'Tanaka-Goh',
    email: 'weiling.tanakagoh@example.com',
    phone: '+65 9123 4567',
    street: 'Blk 221 Ang Mo Kio Ave 3 #07-119',
    postal: '560221',
    birth: '1941-03-09',
    site: 'SG',
    partner: 'clinic-sg',
  },
  {
    id: 'SG-MRN-73002',
    first: 'Boon Huat',
    last: 'Kowalczyk',
    email: 'bh.kowalczyk@example.com',
    phone: '+65 9876 5432',
    street: 'Blk 88 Toa Payoh Lorong 1 #03-45',
    postal: '310088',
    birth: '1929-11-30',
    site: 'SG',
    partner: 'clinic-sg',
  },
  {
    id: 'US-MRN-73003',
    first: 'Dorothy',
    last: 'Vanderbilt-Ruiz',
    email: 'dorothy.vruiz@example.com',
    phone: '+1 (555) 0142-7788',
    street: '4417 Lakeview Dr, Madison, WI',
    postal: '53703',
    birth: '1946-07-04',
    site: 'US',
    partner: 'clinic-us',
  },
];
const VITALS_HEADER = 'patient_id,device_serial,recorded_at,site,heart_rate_bpm,spo2_pct';

async function writePatients(dir: string): Promise<string> {
  return writeCsv(dir, 'patients.csv', [
    PATIENTS_HEADER,
    ...PEOPLE.map((p) =>
      [
        p.id,
        p.first,
        p.last,
        p.email,
        p.phone,
        `"${p.street}"`,
        p.postal,
        p.birth,
        'F',
        p.site,
        p.partner,
        '2025-06-01T09:00:00Z',
      ].join(','),
    ),
  ]);
}

/** Three SG readings for the first patient, two for the second, one US reading, one rejected (HR 900). */
async function writeVitals(dir: string, name = 'vitals.csv'): Promise<string> {
  const [a, b, c] = PEOPLE;
  return writeCsv(dir, name, [
    VITALS_HEADER,
    `${a?.id},PLW-2A-11110001,2026-03-02T09:00:00+08:00,SG,60,95`,
    `${a?.id},PLW-2A-11110001,2026-03-02T10:00:00+08:00,SG,70,97`,
    `${a?.id},PLW-2A-11110001,2026-03-02T11:00:00+08:00,SG,80,99`,
    `${b?.id},PLW-2A-11110002,2026-03-02T09:30:00+08:00,SG,90,94`,
    `${b?.id},PLW-2A-11110002,2026-03-02T10:30:00+08:00,SG,100,96`,
    `${c?.id},PLW-2B-11110003,2026-03-02T09:00:00-05:00,US,75,98`,
    `${b?.id},PLW-2A-11110002,2026-03-02T11:30:00+08:00,SG,900,96`,
  ]);
}

interface IngestJson {
  ok: boolean;
  files: {
    status: string;
    dataset?: string;
    totals?: { rowsIn: number; rowsWritten: number; rowsRejected: number };
    reason?: string;
    manifest?: { key: string };
  }[];
}

describe('the lake CLI, end to end on a temp LAKE_HOME', () => {
  let home: string;
  let inputs: string;

  beforeEach(async () => {
    home = await tempDir('home');
    inputs = await tempDir('inputs');
  });
  afterEach(async () => {
    await cleanup(home, inputs);
  });

  it('ingests patients and vitals, then answers daily_vitals for one partner only', async () => {
    // Prepare
    const files = [await writePatients(inputs), await writeVitals(inputs)];
    // Act
    const ingest = await lake(home, ['ingest', ...files, '--json']);
    const query = await lake(home, [
      'query',
      'daily_vitals',
      '--partner',
      'clinic-sg',
      '--param',
      'from=2026-03-01',
      '--param',
      'to=2026-03-03',
      '--format',
      'json',
    ]);
    // Assess
    expect(ingest.stderr).toBe('');
    expect(ingest.code).toBe(0);
    const ingested = json<IngestJson>(ingest);
    expect(ingested.files.map((f) => [f.dataset, f.totals?.rowsWritten, f.totals?.rowsRejected])).toEqual([
      ['patients', 3, 0],
      ['vitals', 6, 1],
    ]);
    expect(query.code).toBe(0);
    const rows = json<Record<string, unknown>[]>(query);
    expect(rows).toHaveLength(2);
    const numbers = rows.map((r) =>
      Object.values(r)
        .filter((v): v is number => typeof v === 'number')
        .sort((x, y) => x - y),
    );
    // Patient A: HR 60/70/80, SpO2 95/97/99; patient B: HR 90/95/100, SpO2 94/95/96. The US patient is not clinic-sg's.
    expect(numbers).toEqual(
      expect.arrayContaining([
        expect.arrayContaining([60, 70, 80, 95, 97, 99]),
        expect.arrayContaining([90, 95, 100, 94, 96]),
      ]),
    );
    expect(query.stdout).not.toContain('MRN');
  });

  it('keeps names, emails, phones, ids, birth dates and addresses out of curated and rejects, with stable tokens and a 0600 key', async () => {
    // Prepare
    const files = [await writePatients(inputs), await writeVitals(inputs)];
    const secondHome = await tempDir('home2');
    const otherKeyHome = await tempDir('home3');
    const duck = await DuckDBInstance.create(':memory:');
    try {
      // Act
      expect((await lake(home, ['ingest', ...files])).code).toBe(0);
      await mkdir(join(secondHome, 'keys'), { recursive: true, mode: 0o700 });
      await copyFile(join(home, 'keys', 'pseudonymization.key'), join(secondHome, 'keys', 'pseudonymization.key'));
      expect((await lake(secondHome, ['ingest', ...files])).code).toBe(0);
      expect((await lake(otherKeyHome, ['ingest', ...files])).code).toBe(0);
      const tokens = async (h: string) =>
        json<{ patient_token: string }[]>(
          await lake(h, ['sql', 'SELECT DISTINCT patient_token FROM patients ORDER BY 1', '--format', 'json']),
        ).map((r) => r.patient_token);

      // Assess
      const stored = [
        ...(await filesUnder(join(home, 's3', 'pulse-lake-local-curated'))),
        ...(await filesUnder(join(home, 's3', 'pulse-lake-local-rejects'))),
      ];
      expect(stored.some((f) => f.endsWith('.parquet'))).toBe(true);
      expect(stored.some((f) => f.includes(`${join('pulse-lake-local-rejects', 'rejects')}`))).toBe(true);
      const forbidden = PEOPLE.flatMap((p) => [
        p.id,
        p.first,
        p.last,
        p.email,
        p.phone,
        p.street,
        p.birth,
        'PLW-2A-11110001',
      ]);
      for (const file of stored) {
        const text = await readableText(file, duck);
        for (const value of forbidden)
          expect({ file, leaked: text.includes(value) ? value : undefined }).toEqual({ file, leaked: undefined });
      }
      const first = await tokens(home);
      expect(first).toHaveLength(3);
      expect(await tokens(secondHome)).toEqual(first);
      expect((await tokens(otherKeyHome)).some((t) => first.includes(t))).toBe(false);
      expect((await stat(join(home, 'keys', 'pseudonymization.key'))).mode & 0o777).toBe(0o600);
    } finally {
      duck.closeSync();
      await cleanup(secondHome, otherKeyHome);
    }
  });

  it('quarantines a file of no known dataset, exits non-zero and keeps the file with its reason', async () => {
    // Prepare
    const mystery = await writeCsv(inputs, 'mystery.csv', ['colour,flavour', 'red,cherry', 'green,lime']);
    // Act
    const run = await lake(home, ['ingest', mystery]);
    // Assess
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/mystery\.csv was quarantined: .+/);
    // The file is raw data: kept in the raw bucket; its reason, in rejects, names neither the file nor its content.
    const kept = (await filesUnder(join(home, 's3', 'pulse-lake-local-raw', '_quarantine'))).find((f) =>
      f.endsWith('.csv'),
    );
    const reasonFile = (await filesUnder(join(home, 's3', 'pulse-lake-local-rejects', 'quarantine'))).find((f) =>
      f.endsWith('reason.json'),
    );
    expect(kept && (await readFile(kept, 'utf8'))).toContain('red,cherry');
    expect(await filesUnder(join(home, 's3', 'pulse-lake-local-rejects', 'quarantine'))).toEqual([reasonFile]);
    expect(await readFile(reasonFile ?? '', 'utf8')).not.toMatch(/mystery|cherry/);
    expect(reasonFile).toBeDefined();
    const reason = JSON.parse(await readFile(reasonFile ?? '', 'utf8')) as { reason: string };
    expect(run.stderr).toContain(reason.reason);
  });

  it('reports per dataset what landed, what was rejected and what was quarantined', async () => {
    // Prepare
    await lake(home, [
      'ingest',
      await writePatients(inputs),
      await writeVitals(inputs),
      await writeCsv(inputs, 'mystery.csv', ['colour,flavour', 'red,cherry']),
    ]);
    // Act
    const table = await lake(home, ['status']);
    const report = json<{
      datasets: {
        dataset: string;
        files: number;
        rowsIn: number;
        rowsWritten: number;
        rowsRejected: number;
        rejectRate: number;
        partitions: number;
        lastIngestAt?: string;
      }[];
      quarantinedUnknown: number;
    }>(await lake(home, ['status', '--json']));
    // Assess
    const vitals = report.datasets.find((d) => d.dataset === 'vitals');
    expect(vitals).toMatchObject({ files: 1, rowsIn: 7, rowsWritten: 6, rowsRejected: 1, partitions: 2 });
    expect(vitals?.rejectRate).toBeCloseTo(1 / 7);
    expect(vitals?.lastIngestAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(report.datasets.find((d) => d.dataset === 'patients')).toMatchObject({ files: 1, rowsWritten: 3 });
    expect(report.datasets.find((d) => d.dataset === 'ecg')).toMatchObject({ files: 0, rowsIn: 0, partitions: 0 });
    expect(report.quarantinedUnknown).toBe(1);
    expect(table.stdout).toMatch(/vitals\s+\|\s+1\s+\|\s+0\s+\|\s+7\s+\|\s+6\s+\|\s+1\s+\|\s+14\.3 %/);
    expect(table.stdout).toContain('1 file(s) quarantined before their dataset was known');
  });

  it('lists the chunks parked in the dead-letter queue and redrives them to the normalize queue', async () => {
    // Prepare: a chunk that failed every retry, as the normalize consumer parks it
    const parked = buildLocalLake(home, { stage: 'local' });
    const body = {
      kind: 'normalize-chunk',
      dataset: 'vitals',
      format: 'csv',
      raw: { bucket: parked.names.buckets.raw, key: `vitals/dropzone/${'a'.repeat(64)}.csv` },
      contentHash: 'a'.repeat(64),
      ingestedAt: '2026-03-02T00:00:00.000Z',
      chunk: { index: 1, count: 3 },
    };
    await parked.queue.send(parked.names.queues.normalizeDlq, [{ id: 'm1', body: JSON.stringify(body) }]);
    // Act
    const listed = await lake(home, ['dlq', 'list']);
    const listedJson = json<Record<string, { dataset: string; raw: string; chunk: string }[]>>(
      await lake(home, ['dlq', 'list', '--json']),
    )['pulse-lake-local-normalize-dlq'];
    const redrive = await lake(home, ['dlq', 'redrive']);
    const after = await lake(home, ['dlq', 'list']);
    // Assess
    expect(listed.stdout).toContain(`vitals/dropzone/${'a'.repeat(64)}.csv`);
    expect(listedJson).toEqual([
      expect.objectContaining({ dataset: 'vitals', raw: `vitals/dropzone/${'a'.repeat(64)}.csv`, chunk: '2/3' }),
    ]);
    expect(redrive.stdout).toMatch(
      /^1 message\(s\) moved from pulse-lake-local-normalize-dlq back to pulse-lake-local-normalize/,
    );
    expect(after.stdout).toContain('pulse-lake-local-normalize-dlq is empty');
    expect((await parked.queue.list(parked.names.queues.normalize)).map((m) => JSON.parse(m.body) as unknown)).toEqual([
      body,
    ]);
    await parked.close();
  });

  it('ingests an Excel workbook made by another tool: finds its vitals sheet below the title rows, ingests its gait sheet as gait, and reports the other sheets', async () => {
    // Prepare: written by openpyxl, with a gait sheet, a hidden sheet and a notes sheet beside the readings
    const workbook = join(inputs, 'ward3.xlsx');
    await copyFile(
      fileURLToPath(
        new URL('../../../shared/tests/integration/formats/fixtures/vitals-openpyxl.xlsx', import.meta.url),
      ),
      workbook,
    );
    // Act: no dataset folder: the sheets' headers say what they hold
    const run = await lake(home, ['ingest', workbook, '--json']);
    // Assess
    const files = json<IngestJson>(run).files;
    expect(files.map((f) => [f.dataset, f.status, f.totals]).sort()).toEqual([
      ['gait', 'processed', expect.objectContaining({ rowsIn: 1, rowsWritten: 1, rowsRejected: 0 })],
      ['vitals', 'processed', expect.objectContaining({ rowsIn: 4, rowsWritten: 3, rowsRejected: 1 })],
    ]);
    const vitals = files.find((f) => f.dataset === 'vitals');
    const chunk = JSON.parse(
      await readFile(
        join(home, 's3', 'pulse-lake-local-curated', (vitals?.manifest?.key ?? '').replace(/\.json$/, '/chunk-0.json')),
        'utf8',
      ),
    ) as { sheets: unknown[] };
    expect(chunk.sheets).toEqual([
      { sheet: 1, status: 'read', rows: 4 },
      { sheet: 2, status: 'other_dataset', dataset: 'gait' },
      { sheet: 3, status: 'hidden' },
      { sheet: 4, status: 'no_header' },
    ]);
    // The wall-clock date cell (Singapore site) is stored in UTC.
    const at = json<{ at: string }[]>(
      await lake(home, [
        'sql',
        "SELECT strftime(recorded_at, '%Y-%m-%dT%H:%M:%S') AS at FROM vitals ORDER BY recorded_at LIMIT 1",
        '--format',
        'json',
      ]),
    );
    expect(at).toEqual([{ at: '2024-03-01T00:30:00' }]);
  });

  it('ingests each sheet of a workbook holding three datasets into its own table, whatever the header cells merged over', async () => {
    // Prepare: openpyxl's ward export: a cover sheet, vitals under a merged two-row header, an ECG sheet told by its name, a gait sheet
    const workbook = join(inputs, 'ward5.xlsx');
    await copyFile(
      fileURLToPath(
        new URL('../../../shared/tests/integration/formats/fixtures/ward-export-openpyxl.xlsx', import.meta.url),
      ),
      workbook,
    );
    // Act
    const run = await lake(home, ['ingest', workbook, '--json']);
    // Assess
    expect(run.code).toBe(0);
    expect(
      json<IngestJson>(run)
        .files.map((f) => [f.dataset, f.totals?.rowsWritten])
        .sort(),
    ).toEqual([
      ['ecg', 1],
      ['gait', 2],
      ['vitals', 2],
    ]);
    const counts = json<{ t: string; n: number }[]>(
      await lake(home, [
        'sql',
        "SELECT 'vitals' AS t, count(*) AS n FROM vitals UNION ALL SELECT 'ecg', count(*) FROM ecg UNION ALL SELECT 'gait', sum(step_count) FROM gait ORDER BY t",
        '--format',
        'json',
      ]),
    );
    expect(counts).toEqual([
      { t: 'ecg', n: 1 },
      { t: 'gait', n: 3600 },
      { t: 'vitals', n: 2 },
    ]);
  });

  it('quarantines the dataset a workbook was dropped for when no sheet holds it, listing each sheet by position (never its name), and ingests the sheets it does hold', async () => {
    const path = join(inputs, 'wrong.xlsx');
    await copyFile(
      fileURLToPath(
        new URL('../../../shared/tests/integration/formats/fixtures/no-vitals-openpyxl.xlsx', import.meta.url),
      ),
      path,
    );
    const run = await lake(home, ['ingest', path, '--dataset', 'vitals']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      'no sheet of the workbook has a vitals header: sheet 1 (holds gait), sheet 2 (no known header in its first rows)',
    );
    // Its gait sheet has a header and no rows yet.
    expect(run.stdout).toMatch(/wrong\.xlsx -> gait: 0 rows in, 0 written/);
  });

  it('lists the catalog with column types, PII classes, partitions and sizes, and the curated Parquet reads the same without it', async () => {
    // Prepare
    expect((await lake(home, ['ingest', await writePatients(inputs), await writeVitals(inputs)])).code).toBe(0);
    // Act
    const listed = await lake(home, ['catalog', '--json']);
    const text = await lake(home, ['catalog']);
    const viaCatalog = await lake(home, [
      'sql',
      'SELECT patient_token, recorded_at, heart_rate_bpm, site, dt FROM vitals ORDER BY ALL',
      '--format',
      'json',
    ]);
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    const glob = join(home, 's3', 'pulse-lake-local-curated', 'curated', 'vitals', '**', '*.parquet');
    const direct = await connection.runAndReadAll(
      `SELECT patient_token, strftime(recorded_at, '%Y-%m-%d %H:%M:%S') AS recorded_at, heart_rate_bpm, site, dt FROM read_parquet('${glob}', hive_partitioning = true) ORDER BY ALL`,
    );
    connection.closeSync();
    duck.closeSync();
    // Assess
    const tables =
      json<
        {
          database: string;
          table: string;
          partitions: number;
          files: number;
          bytes: number;
          columns: { name: string; type: string; pii?: string; partitionKey?: boolean }[];
        }[]
      >(listed);
    const vitals = tables.find((t) => t.database === 'pulse_lake_local_curated' && t.table === 'vitals');
    expect(vitals).toMatchObject({ partitions: 2, files: 2 });
    expect(vitals?.bytes).toBeGreaterThan(0);
    expect(vitals?.columns).toEqual(
      expect.arrayContaining([
        { name: 'patient_token', type: 'string', pii: 'identifier', comment: expect.any(String) },
        { name: 'heart_rate_bpm', type: 'double', pii: 'none', comment: expect.any(String) },
        expect.objectContaining({ name: 'dt', partitionKey: true }),
      ]),
    );
    expect(text.stdout).toMatch(/pulse_lake_local_curated\.vitals +\(parquet; 2 partition\(s\), 2 file\(s\)/);
    expect(direct.getRowObjectsJson()).toEqual(
      json<Record<string, unknown>[]>(viaCatalog).map((r) => ({
        ...r,
        recorded_at: String(r.recorded_at).slice(0, 19),
      })),
    );
  });

  it('makes a partner key, shows its secret once, and lists partners without secrets', async () => {
    const added = await lake(home, ['partners', 'add', 'clinic-sg', '--datasets', 'vitals,dosage']);
    const listed = await lake(home, ['partners', 'list', '--json']);
    const refused = await lake(home, ['partners', 'add', 'clinic-xx', '--datasets', 'payroll']);

    expect(added.code).toBe(0);
    const key = json<{
      partnerId: string;
      accessKeyId: string;
      secretAccessKey: string;
      datasets: string[];
      region: string;
      service: string;
    }>(added);
    expect(key).toMatchObject({
      partnerId: 'clinic-sg',
      datasets: ['vitals', 'dosage'],
      region: 'ap-southeast-1',
      service: 'execute-api',
    });
    expect(added.stderr).toContain('shown this once');
    expect(json<unknown[]>(listed)).toEqual([
      {
        partnerId: 'clinic-sg',
        accessKeyId: key.accessKeyId,
        datasets: ['vitals', 'dosage'],
        createdAt: expect.any(String),
      },
    ]);
    expect(listed.stdout).not.toContain(key.secretAccessKey);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('payroll is not a known dataset');
  });

  it('adds no rows when the same file is ingested twice, and its manifest says so', async () => {
    // Prepare
    const vitals = await writeVitals(inputs);
    const patients = await writePatients(inputs);
    await lake(home, ['ingest', patients]);
    const count = async () =>
      json<{ n: number }[]>(await lake(home, ['sql', 'SELECT count(*) AS n FROM vitals', '--format', 'json']))[0]?.n;
    // Act
    const first = json<IngestJson>(await lake(home, ['ingest', vitals, '--json']));
    const before = await count();
    const again = json<IngestJson>(await lake(home, ['ingest', vitals, '--json']));
    const after = await count();
    // Assess
    expect(first.files[0]?.status).toBe('processed');
    expect(again.ok).toBe(true);
    expect(again.files[0]?.status).toBe('duplicate');
    expect(before).toBe(6);
    expect(after).toBe(before);
    const manifestKey = again.files[0]?.manifest?.key ?? '';
    const manifest = JSON.parse(await readFile(join(home, 's3', 'pulse-lake-local-curated', manifestKey), 'utf8')) as {
      duplicateDrops: unknown[];
    };
    expect(manifest.duplicateDrops).toHaveLength(1);
  });
});

/** `lake ingest` as a user runs it from a shell with `env`; resolves with its exit code and output. */
async function runLakeIngest(home: string, args: string[], env: Record<string, string>) {
  const bin = fileURLToPath(new URL('../../bin/lake.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'ingest', ...args], {
    env: { ...process.env, LAKE_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  // A process killed by a signal has no exit code: -1 keeps it a failure.
  return { code: code ?? -1, stdout, stderr };
}

describe('lake ingest of a CSV larger than a chunk', () => {
  it('cuts it into chunks, normalizes them in worker processes, and lands what one process lands', async () => {
    // Prepare: ~600 readings, cut into 8 KiB chunks
    const home = await tempDir('chunks');
    const inputs = await tempDir('chunk-inputs');
    try {
      // One reading per minute, so no two rows share a dedupe key (chunks dedupe within themselves only).
      const rows = Array.from(
        { length: 600 },
        (_, i) =>
          `SG-MRN-${7000 + (i % 40)},PLW-2A-${11110000 + (i % 40)},2026-03-0${1 + (i % 3)}T${String(8 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00+08:00,SG,${i % 97 === 0 ? 900 : 60 + (i % 40)},${90 + (i % 10)}`,
      );
      const file = await writeCsv(inputs, 'big.csv', [VITALS_HEADER, ...rows]);
      // Act
      const fanned = await runLakeIngest(home, [file, '--json', '--workers', '2'], {
        NORMALIZE_CHUNK_MIB: '0.0078125',
      });
      const single = await runLakeIngest(join(home, 'single'), [file, '--json', '--workers', '0'], {});
      // Assess
      expect({ code: fanned.code, stderr: fanned.stderr }).toEqual({ code: 0, stderr: '' });
      const [chunked] = json<IngestJson>(fanned).files;
      const [whole] = json<IngestJson>(single).files;
      expect(chunked?.status).toBe('processed');
      expect(chunked?.totals).toEqual(whole?.totals);
      expect(chunked?.totals).toMatchObject({ rowsIn: 600, rowsRejected: 7 });
      const manifest = JSON.parse(
        await readFile(join(home, 's3', 'pulse-lake-local-curated', chunked?.manifest?.key ?? ''), 'utf8'),
      ) as { chunkCount: number; status: string };
      expect(manifest).toMatchObject({ status: 'complete' });
      expect(manifest.chunkCount).toBeGreaterThanOrEqual(3);
    } finally {
      await cleanup(home, inputs);
    }
  }, 120_000);
});

/** `lake up` as a user runs it: a child process whose output can be waited on and which stops on Ctrl-C (SIGINT). */
function spawnLakeUp(home: string, args: string[]) {
  const bin = fileURLToPath(new URL('../../bin/lake.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'up', ...args], {
    env: { ...process.env, LAKE_HOME: home, LAKE_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    out,
    /** Resolves once stdout contains `text`; fails if the process exits first or it takes 90 s. */
    waitFor: (text: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no "${text}" within 90 s; stdout:\n${out.stdout}\nstderr:\n${out.stderr}`)),
          90_000,
        );
        const check = () => {
          if (!out.stdout.includes(text)) return;
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve();
        };
        child.stdout.on('data', check);
        check();
        child.once('exit', () => {
          clearTimeout(timer);
          reject(new Error(`lake up exited before "${text}"; stdout:\n${out.stdout}\nstderr:\n${out.stderr}`));
        });
      }),
    /** Ctrl-C, then the exit code and signal. */
    stop: async () => {
      child.kill('SIGINT');
      return exited;
    },
    /** Any other signal (SIGKILL: a crash), then the exit code and signal. */
    kill: async (signal: NodeJS.Signals) => {
      child.kill(signal);
      return exited;
    },
  };
}

describe('lake up after being killed mid-chunk', () => {
  it('retries the chunk it held as soon as it is restarted, and lands every row once', async () => {
    // Prepare: 200,000 readings (a few seconds of normalizing for one worker)
    const home = await tempDir('killed');
    const inputs = await tempDir('killed-inputs');
    try {
      const rows = Array.from(
        { length: 200_000 },
        (_, i) =>
          `SG-MRN-${70000 + (i % 500)},PLW-2A-${11110000 + (i % 500)},${new Date(Date.UTC(2026, 2, 1) + i * 60_000).toISOString()},SG,${60 + (i % 40)},${90 + (i % 10)}`,
      );
      const file = await writeCsv(inputs, 'big.csv', [VITALS_HEADER, ...rows]);
      const first = spawnLakeUp(home, ['--workers', '1']);
      await first.waitFor('watching ');
      const inflight = join(home, 'queues', 'pulse-lake-local-normalize', 'inflight');
      await mkdir(join(home, 's3', 'pulse-lake-local-dropzone', 'vitals'), { recursive: true });
      await copyFile(file, join(home, 's3', 'pulse-lake-local-dropzone', 'vitals', 'big.csv'));
      // Act: kill it hard while the chunk is in flight
      await until(async () => (await filesUnder(inflight).catch(() => [])).length > 0, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const killed = await first.kill('SIGKILL');
      const beforeRestart = json<{ datasets: { dataset: string; files: number; filesInProgress: number }[] }>(
        await lake(home, ['status', '--json']),
      );
      const second = spawnLakeUp(home, ['--workers', '1']);
      await second.waitFor('watching ');
      await until(
        async () =>
          json<{ datasets: { dataset: string; files: number }[] }>(
            await lake(home, ['status', '--json']),
          ).datasets.find((d) => d.dataset === 'vitals')?.files === 1,
        90_000,
      );
      const stopped = await second.stop();
      // Assess
      expect(killed.signal).toBe('SIGKILL');
      expect(beforeRestart.datasets.find((d) => d.dataset === 'vitals')).toMatchObject({
        files: 0,
        filesInProgress: 1,
      });
      expect(second.out.stdout).toContain('recovered: 1 queued chunk(s)');
      expect({ ...stopped, stderr: second.out.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
      const counted = json<{ n: number; lines: number }[]>(
        await lake(home, [
          'sql',
          'SELECT count(*)::INTEGER AS n, count(DISTINCT _source_line)::INTEGER AS lines FROM vitals',
          '--format',
          'json',
        ]),
      );
      expect(counted).toEqual([{ n: 200_000, lines: 200_000 }]);
    } finally {
      await cleanup(home, inputs);
    }
  }, 180_000);
});

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('lake up --demo', () => {
  it('generates the fleet, reports it landed, pulls from the fake third-party sources, prints a signed curl line that works, and stops on Ctrl-C', async () => {
    // Prepare
    const home = await tempDir('up');
    try {
      // Act
      // A busy fleet: the lake is never idle once it is live, so nothing in the demo may wait for idle after it starts.
      const up = spawnLakeUp(home, ['--demo', '--patients', '6', '--days', '1', '--readings-per-second', '50']);
      await up.waitFor('watching ');
      // The printed curl line, pasted as a partner would.
      const curlLine = up.out.stdout
        .split('\n')
        .find((line) => line.trim().startsWith('curl --aws-sigv4') && line.trim().endsWith('/v1/queries'));
      const listed = await promisify(execFile)('sh', ['-c', curlLine ?? 'false']);
      const credentialsMode = (await stat(join(home, 'demo-credentials.json'))).mode & 0o777;
      // The wearables are live: their readings become queryable within seconds.
      const wentLive = new Date(Date.now() - 1000).toISOString().slice(0, 19).replace('T', ' ');
      const liveReadings = async () =>
        json<{ n: number }[]>(
          await lake(home, [
            'sql',
            `SELECT count(*)::INTEGER AS n FROM vitals WHERE recorded_at >= TIMESTAMP '${wentLive}'`,
            '--format',
            'json',
          ]),
        )[0]?.n ?? 0;
      await until(async () => (await liveReadings()) > 0, 30_000);
      const connectors = json<{ connectors: { connector: string; lastRun: { outcome: string } }[] }>(
        await lake(home, ['connectors', 'list', '--json']),
      );
      const exit = await up.stop();
      // Assess
      expect(up.out.stdout).toMatch(/landed:\n\s+patients\s+1 file\(s\)\s+6 rows in\s+6 written/);
      expect(up.out.stdout).toMatch(/vitals\s+3 file\(s\)/);
      expect(up.out.stdout).toContain('npm run lake -- query daily_vitals --partner clinic-sg');
      expect(JSON.parse(listed.stdout)).toMatchObject({
        queries: expect.arrayContaining([expect.objectContaining({ name: 'daily_vitals' })]),
      });
      expect(credentialsMode).toBe(0o600);
      expect(up.out.stdout).toContain(
        'device fleet: 6 wearables writing 50 readings/s into pulse-lake-local-telemetry',
      );
      expect(up.out.stdout).toMatch(/demo-pharmacy: complete, \d+ page\(s\), 18 record\(s\) read/);
      expect(up.out.stdout).toMatch(/demo-fhir: complete/);
      expect(connectors.connectors.map((c) => [c.connector, c.lastRun.outcome])).toEqual([
        ['demo-fhir', 'complete'],
        ['demo-pharmacy', 'complete'],
      ]);
      // No Glue crawler runs here, and lake up says so, and where a kick would be recorded.
      expect(up.out.stdout).toContain(
        `NOT run locally: Glue crawler pulse-lake-local-staging-crawler (every local table comes from a contract); its kicks are recorded in ${join(home, 'crawlers', 'pulse-lake-local-staging-crawler.json')}`,
      );
      expect({ ...exit, stderr: up.out.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    } finally {
      await cleanup(home);
    }
  }, 120_000);
});
