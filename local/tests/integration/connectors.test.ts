/**
 * Connectors pulling from the fake third-party sources on loopback into a
 * real local lake (folders for S3, conditional writes, DuckDB for queries).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalLake } from '@pulse-lake/shared/adapters/local/index';
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import type { ConnectorConfig, RestConnectorConfig } from '@pulse-lake/shared/connectors/config';
import { parseConnectorConfig } from '@pulse-lake/shared/connectors/config';
import type { HttpDeps } from '@pulse-lake/shared/connectors/http';
import { systemHttp } from '@pulse-lake/shared/connectors/http';
import { linesLogger } from '@pulse-lake/shared/edge/logger';
import type { ConnectorDeps } from '@pulse-lake/shared/connectors/run-connector';
import { runConnector } from '@pulse-lake/shared/connectors/run-connector';
import { commitConnectorState, readConnectorState } from '@pulse-lake/shared/connectors/state';
import { readObjectText } from '@pulse-lake/shared/lake/objects';
import type { ObjectStore } from '@pulse-lake/shared/ports';
import { createHandler } from '../../../services/ingest-api/src/handlers/run-connectors';
import type { FakeSources, Faults } from '../../src/demo/third-party';
import { PHARMACY_DOSAGE_MAPPING, startFakeSources } from '../../src/demo/third-party';
import { fhirResources, pharmacyRecords } from '../../src/demo/third-party-records';
import { cleanup, filesUnder, lake as lakeCli, tempDir } from './cli-helpers';

const API_KEY = 'sk-live-pharmacy-0123456789abcdef';
const CLIENT_SECRET = 'fhir-client-secret-fedcba9876543210';
const START = new Date('2026-03-01T00:00:00Z');
const PATIENTS = [
  { mrn: 'SG-MRN-00001', site: 'SG' },
  { mrn: 'US-MRN-00002', site: 'US' },
  { mrn: 'SG-MRN-00003', site: 'SG' },
];

let home: string;
let lake: LocalLake;
let sources: FakeSources;

async function setUp(faults?: Faults): Promise<void> {
  home = await tempDir('connectors');
  lake = buildLocalLake(home, { stage: 'local' });
  sources = await startFakeSources({
    apiKey: API_KEY,
    clientId: 'lake',
    clientSecret: CLIENT_SECRET,
    ...(faults !== undefined ? { faults } : {}),
  });
  await lake.secrets.put({ 'pharmacy/api-key': API_KEY, 'fhir/client-secret': CLIENT_SECRET });
}

afterEach(async () => {
  await sources.close();
  await lake.close();
  await cleanup(home);
});

type Kind = 'cursor' | 'offset' | 'page' | 'link';
const PAGINATION: Record<Kind, unknown> = {
  cursor: { type: 'cursor', cursorParam: 'cursor', nextCursorPath: 'next_cursor' },
  offset: { type: 'offset', offsetParam: 'offset' },
  page: { type: 'page', pageParam: 'page', firstPage: 1 },
  link: { type: 'link_header' },
};

function pharmacyConnector(kind: Kind, overrides: Record<string, unknown> = {}): RestConnectorConfig {
  const file = {
    name: 'pharmacy',
    kind: 'rest',
    schedule: 'rate(15 minutes)',
    baseUrl: sources.pharmacyUrl,
    path: `/${kind}/administrations`,
    dataset: 'dosage',
    recordsPath: kind === 'link' ? '' : 'data',
    pageSize: 5,
    pageSizeParam: 'limit',
    auth: { type: 'api_key', header: 'X-Api-Key', secret: 'pharmacy/api-key' },
    pagination: PAGINATION[kind],
    incremental: { param: 'updated_since', field: 'updated_at', start: '2026-01-01T00:00:00Z', lookbackMinutes: 10 },
    limits: { backoffBaseMs: 10, backoffMaxMs: 100 },
    mapping: PHARMACY_DOSAGE_MAPPING,
    ...overrides,
  };
  return parseConnectorConfig(file, 'pharmacy.json', 'pharmacy') as RestConnectorConfig;
}

function fhirConnector(): ConnectorConfig {
  return parseConnectorConfig(
    {
      name: 'clinic-fhir',
      kind: 'fhir',
      schedule: 'cron(0/30 * * * ? *)',
      baseUrl: sources.fhirUrl,
      site: 'SG',
      resources: ['Observation', 'MedicationAdministration'],
      pageSize: 7,
      auth: {
        type: 'oauth2_client_credentials',
        tokenUrl: sources.tokenUrl,
        clientId: 'lake',
        clientSecret: 'fhir/client-secret',
      },
      incremental: { start: '2026-01-01T00:00:00Z', lookbackMinutes: 5 },
      limits: { backoffBaseMs: 10 },
    },
    'clinic-fhir.json',
    'clinic-fhir',
  );
}

/** Every row the connector landed, read back from the raw objects. */
async function landedRows(keys: readonly string[]): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const key of new Set(keys)) {
    const text = await readObjectText(lake.store, lake.names.buckets.raw, key);
    rows.push(
      ...text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
  }
  return rows;
}

const dataRequests = (kind: string) => sources.log.filter((r) => r.path === `/${kind}/administrations`);

describe('REST connector pagination', () => {
  it.each<Kind>(['cursor', 'offset', 'page', 'link'])(
    'reads every record exactly once with %s paging and commits the latest change as its cursor',
    async (kind) => {
      // Prepare
      await setUp();
      const records = pharmacyRecords(PATIENTS, START, 23);
      sources.pharmacy.push(...records);
      // Act
      const run = await runConnector(lake, pharmacyConnector(kind));
      // Assess
      expect(run).toMatchObject({ outcome: 'complete', pages: 5, records: 23 });
      const rows = await landedRows(run.landed.map((l) => l.key));
      expect(rows.map((r) => r.administered_at).sort()).toEqual(records.map((r) => r.given_at).sort());
      expect(rows[0]).toEqual({
        patient_id: 'SG-MRN-00001',
        site: 'SG',
        administered_at: records[0]?.given_at,
        medication: 'metformin',
        dose_mg: 500,
        dose_unit: 'mg',
        prescribed_max_mg: 1000,
        route: 'PO',
      });
      const { state } = await readConnectorState(lake, 'pharmacy');
      expect(state.streams.records).toEqual({
        cursor: records
          .map((r) => r.updated_at)
          .sort()
          .at(-1),
      });
      expect(state.lastRun).toMatchObject({ outcome: 'complete', pages: 5, records: 23 });
    },
  );

  it('asks the next run for changes since the cursor less the lookback: the new records land, and those in the lookback are read again', async () => {
    // Prepare
    await setUp();
    const first = pharmacyRecords(PATIENTS, START, 6);
    sources.pharmacy.push(...first);
    await runConnector(lake, pharmacyConnector('cursor'));
    const later = pharmacyRecords(PATIENTS, new Date(START.getTime() + 86_400_000), 4).map((r) => ({
      ...r,
      id: `${r.id}-b`,
    }));
    sources.pharmacy.push(...later);
    const cursor = (await readConnectorState(lake, 'pharmacy')).state.streams.records?.cursor ?? '';
    // Act
    const run = await runConnector(lake, pharmacyConnector('cursor'));
    // Assess
    expect(dataRequests('cursor').at(-1)?.query.get('updated_since')).toBe(
      new Date(Date.parse(cursor) - 10 * 60_000).toISOString(),
    );
    const rows = await landedRows(run.landed.map((l) => l.key));
    const since = Date.parse(cursor) - 10 * 60_000;
    const reread = first.filter((r) => Date.parse(r.updated_at) > since);
    expect(reread.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.administered_at).sort()).toEqual([...reread, ...later].map((r) => r.given_at).sort());
  });
});

describe('REST connector resilience', () => {
  it('honours Retry-After on 429 and backs off exponentially on 5xx, then completes', async () => {
    // Prepare
    await setUp({ every429: 3, every500: 4, retryAfterSeconds: 7 });
    sources.pharmacy.push(...pharmacyRecords(PATIENTS, START, 23));
    const waits: number[] = [];
    const http: HttpDeps = { ...systemHttp, sleep: async (ms) => void waits.push(ms), random: () => 1 };
    // Act
    const run = await runConnector({ ...lake, http }, pharmacyConnector('offset'));
    // Assess
    expect(run).toMatchObject({ outcome: 'complete', records: 23 });
    expect(sources.log.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(sources.log.filter((r) => r.status === 500).length).toBeGreaterThan(0);
    expect(waits).toContain(7000);
    // A 500 right after a fresh request waits the base backoff (10 ms); random 1 makes the jitter its full value.
    expect(waits.filter((w) => w !== 7000).every((w) => w === 10 || w === 20 || w === 40)).toBe(true);
    expect(run.requests).toBe(sources.log.length);
  });

  it('gives up after its retries, records the failure without secrets, and keeps the checkpoint', async () => {
    // Prepare
    await setUp({ every500: 1 });
    sources.pharmacy.push(...pharmacyRecords(PATIENTS, START, 5));
    // Act
    const run = await runConnector(lake, pharmacyConnector('cursor', { limits: { maxRetries: 2, backoffBaseMs: 1 } }));
    // Assess
    expect(run.outcome).toBe('failed');
    expect(run.reason).toBe('page 1 of pharmacy/records: the source answered 500, 3 times; giving up for this run');
    expect(sources.log).toHaveLength(3);
    expect((await readConnectorState(lake, 'pharmacy')).state.lastRun).toMatchObject({
      outcome: 'failed',
      reason: run.reason,
    });
  });

  it('stops at its request budget with a checkpoint, and the next runs continue without re-reading a page', async () => {
    // Prepare
    await setUp();
    const records = pharmacyRecords(PATIENTS, START, 23);
    sources.pharmacy.push(...records);
    const config = pharmacyConnector('page', { limits: { maxRequestsPerRun: 2 } });
    // Act
    const runs = [await runConnector(lake, config), await runConnector(lake, config), await runConnector(lake, config)];
    // Assess
    expect(runs.map((r) => r.outcome)).toEqual(['partial', 'partial', 'complete']);
    expect(runs[0]?.reason).toContain('request budget');
    expect(dataRequests('page').map((r) => r.query.get('page'))).toEqual(['1', '2', '3', '4', '5']);
    const rows = await landedRows(runs.flatMap((r) => r.landed.map((l) => l.key)));
    expect(rows).toHaveLength(23);
  });

  it('stops at its run timeout with a checkpoint that the next run continues from', async () => {
    // Prepare
    await setUp();
    sources.pharmacy.push(...pharmacyRecords(PATIENTS, START, 12));
    let now = 0;
    const http: HttpDeps = {
      ...systemHttp,
      now: () => now,
      fetch: async (url, init) => {
        now += 40_000;
        return fetch(url, init);
      },
    };
    const config = pharmacyConnector('cursor', { limits: { runTimeoutSeconds: 60 } });
    // Act
    const first = await runConnector({ ...lake, http }, config);
    const second = await runConnector({ ...lake, http }, config);
    // Assess
    expect(first).toMatchObject({ outcome: 'partial', pages: 2 });
    expect(first.reason).toContain('run timeout');
    expect(second).toMatchObject({ outcome: 'complete', pages: 1 });
    expect(await landedRows([...first.landed, ...second.landed].map((l) => l.key))).toHaveLength(12);
  });

  it('re-reads the page whose checkpoint a crash lost, and skips none', async () => {
    // Prepare: the process "dies" when committing the checkpoint after page 3 (page 3 is already durable).
    await setUp();
    const records = pharmacyRecords(PATIENTS, START, 23);
    sources.pharmacy.push(...records);
    let commits = 0;
    const dying: ObjectStore = {
      ...lake.store,
      put: async (bucket, key, body, options) => {
        // The claim is commit 1, page 1 to 3 commits 2 to 4: the 4th and every later write dies.
        if (key.startsWith('_state/connectors/') && ++commits >= 4) throw new Error('process killed');
        return lake.store.put(bucket, key, body, options);
      },
    };
    let clock = Date.parse('2026-03-10T00:00:00Z');
    const deps = (store: ObjectStore): ConnectorDeps => ({ ...lake, store, clock: { now: () => new Date(clock) } });
    await expect(runConnector(deps(dying), pharmacyConnector('cursor'))).rejects.toThrow('process killed');
    // Act: after the dead run's lease, the next run takes over.
    expect((await runConnector(deps(lake.store), pharmacyConnector('cursor'))).outcome).toBe('busy');
    clock += 10 * 60_000;
    const next = await runConnector(deps(lake.store), pharmacyConnector('cursor'));
    // Assess
    expect(next.outcome).toBe('complete');
    const cursors = dataRequests('cursor').map((r) => r.query.get('cursor'));
    expect(cursors.filter((c) => c === cursors[2])).toHaveLength(2);
    expect(next.landed[0]?.duplicate).toBe(true);
    const keys = (await filesUnder(join(home, 's3', lake.names.buckets.raw, 'dosage'))).map((f) =>
      f.slice(join(home, 's3', lake.names.buckets.raw).length + 1),
    );
    const rows = await landedRows(keys);
    expect(rows.map((r) => r.administered_at).sort()).toEqual(records.map((r) => r.given_at).sort());
  });
});

describe('overlapping runs', () => {
  it('lets only one of two simultaneous runs commit; the other does nothing', async () => {
    // Prepare
    await setUp();
    sources.pharmacy.push(...pharmacyRecords(PATIENTS, START, 12));
    // Act
    const runs = await Promise.all([
      runConnector(lake, pharmacyConnector('cursor')),
      runConnector(lake, pharmacyConnector('cursor')),
    ]);
    // Assess
    expect(runs.map((r) => r.outcome).sort()).toEqual(['busy', 'complete']);
    expect(runs.find((r) => r.outcome === 'busy')?.requests).toBe(0);
    expect(dataRequests('cursor')).toHaveLength(3);
  });

  it('stops a run whose state another run committed meanwhile, without overwriting it', async () => {
    // Prepare: while the first run reads page 2, another run (after the lease) commits the state.
    await setUp();
    sources.pharmacy.push(...pharmacyRecords(PATIENTS, START, 12));
    let requests = 0;
    const http: HttpDeps = {
      ...systemHttp,
      fetch: async (url, init) => {
        if (++requests === 2) {
          const { state, etag } = await readConnectorState(lake, 'pharmacy');
          await commitConnectorState(
            lake,
            { ...state, streams: { records: { cursor: '2026-02-01T00:00:00.000Z' } } },
            etag,
          );
        }
        return fetch(url, init);
      },
    };
    // Act
    const run = await runConnector({ ...lake, http }, pharmacyConnector('cursor'));
    // Assess
    expect(run.outcome).toBe('superseded');
    expect((await readConnectorState(lake, 'pharmacy')).state.streams.records).toEqual({
      cursor: '2026-02-01T00:00:00.000Z',
    });
  });
});

describe('FHIR R4 connector', () => {
  it('pulls Observations into vitals and MedicationAdministrations (with their MedicationRequests) into dosage, through Bundle paging', async () => {
    // Prepare
    await setUp({ every429: 5, retryAfterSeconds: 0 });
    sources.fhir.push(...fhirResources(['SG-MRN-00001', 'SG-MRN-00003'], START, 8));
    // Act
    const run = await runConnector(lake, fhirConnector());
    // Assess
    expect(run.outcome).toBe('complete');
    const vitals = await landedRows(run.landed.filter((l) => l.dataset === 'vitals').map((l) => l.key));
    const dosage = await landedRows(run.landed.filter((l) => l.dataset === 'dosage').map((l) => l.key));
    // Per patient 8 readings of HR and SpO2 at one instant each, pages of 7 Observations: some pairs are split by a page boundary.
    expect(new Set(vitals.map((r) => `${String(r.patient_id)} ${String(r.recorded_at)}`)).size).toBe(16);
    // The version the curated views keep (the last landed) is whole for every reading, split or not.
    const latest = new Map(vitals.map((r) => [`${String(r.patient_id)} ${String(r.recorded_at)}`, r]));
    expect(
      [...latest.values()].filter((r) => typeof r.heart_rate_bpm !== 'number' || typeof r.spo2_pct !== 'number'),
    ).toEqual([]);
    expect(vitals.length).toBeGreaterThan(16);
    expect(vitals.every((r) => r.site === 'SG' && typeof r.device_serial === 'string')).toBe(true);
    expect(dosage).toHaveLength(4);
    expect(dosage[0]).toMatchObject({
      patient_id: 'SG-MRN-00001',
      medication: 'metformin',
      dose_mg: 500,
      dose_unit: 'mg',
      prescribed_max_mg: 1000,
      route: 'oral',
      site: 'SG',
    });
    const searches = sources.log.filter((r) => r.path === '/fhir/Observation');
    expect(searches[0]?.query.get('_lastUpdated')).toBe('gt2026-01-01T00:00:00.000Z');
    expect(searches.some((r) => r.query.has('_offset'))).toBe(true);
    const { state } = await readConnectorState(lake, 'clinic-fhir');
    expect(Object.keys(state.streams).sort()).toEqual(['MedicationAdministration', 'Observation']);
  });
});

describe('the scheduled dispatcher (ingest-api run-connectors)', () => {
  it('runs the connectors that are due, logs one line per run, and skips them until their schedule fires again', async () => {
    // Prepare
    await setUp();
    sources.pharmacy.push(...pharmacyRecords(PATIENTS, START, 8));
    sources.fhir.push(...fhirResources(['SG-MRN-00001'], START, 2));
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(lake.connectorsDir, { recursive: true });
    await writeFile(join(lake.connectorsDir, 'pharmacy.json'), JSON.stringify(pharmacyConnector('offset')));
    await writeFile(join(lake.connectorsDir, 'clinic-fhir.json'), JSON.stringify(fhirConnector()));
    const lines: string[] = [];
    const handler = createHandler(
      lake,
      linesLogger((line) => lines.push(line)),
    );
    const context = { getRemainingTimeInMillis: () => 300_000 } as never;
    // Act
    const first = await handler({} as never, context);
    const second = await handler({} as never, context);
    // Assess
    expect(first.runs.map((r) => [r.connector, r.outcome]).sort()).toEqual([
      ['clinic-fhir', 'complete'],
      ['pharmacy', 'complete'],
    ]);
    expect(second.runs).toEqual([]);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toHaveLength(2);
    expect(logged).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'INFO',
          message: 'connector run',
          connector: 'pharmacy',
          outcome: 'complete',
          records: 8,
          rawObjects: 2,
        }),
        expect.objectContaining({
          level: 'INFO',
          message: 'connector run',
          connector: 'clinic-fhir',
          outcome: 'complete',
        }),
      ]),
    );
  });
});

describe('secrets', () => {
  it('never appear in raw objects, state, results, logs or errors', async () => {
    // Prepare
    await setUp();
    sources.pharmacy.push(...pharmacyRecords(PATIENTS, START, 8));
    sources.fhir.push(...fhirResources(['SG-MRN-00001'], START, 3));
    const wrongKey = pharmacyConnector('cursor', { name: 'pharmacy' });
    await lake.secrets.put({ 'pharmacy/wrong': 'sk-live-wrong-key-99999999' });
    const refused = { ...wrongKey, auth: { type: 'api_key' as const, header: 'X-Api-Key', secret: 'pharmacy/wrong' } };
    const lines: string[] = [];
    // Act
    const results = [await runConnector(lake, pharmacyConnector('cursor')), await runConnector(lake, fhirConnector())];
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(lake.connectorsDir, { recursive: true });
    await writeFile(join(lake.connectorsDir, 'pharmacy.json'), JSON.stringify(refused));
    const anHourLater = { ...lake, clock: { now: () => new Date(Date.now() + 3_600_000) } };
    const dispatched = await createHandler(
      anHourLater,
      linesLogger((line) => lines.push(line)),
    )({} as never, { getRemainingTimeInMillis: () => 60_000 } as never);
    const failed = dispatched.runs[0];
    // Assess
    expect(failed).toMatchObject({ outcome: 'failed', reason: 'page 1 of pharmacy/records: the source answered 401' });
    expect(lines.join('\n')).toContain('the source answered 401');
    const written = await Promise.all((await filesUnder(join(home, 's3'))).map((f) => readFile(f, 'utf8')));
    const everything = [...written, JSON.stringify(results), JSON.stringify(failed), ...lines].join('\n');
    expect(written.length).toBeGreaterThan(3);
    for (const secret of [API_KEY, CLIENT_SECRET, 'sk-live-wrong-key-99999999'])
      expect(everything).not.toContain(secret);
  });
});

describe('lake connectors (CLI) end to end', () => {
  it('runs a connector now, normalizes what it landed into queryable rows, and lists its state', async () => {
    // Prepare
    await setUp({ every429: 4, every500: 6, retryAfterSeconds: 0 });
    sources.pharmacy.push(...pharmacyRecords(PATIENTS, START, 14));
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(lake.connectorsDir, { recursive: true });
    const file = { ...JSON.parse(JSON.stringify(pharmacyConnector('link'))) };
    await writeFile(join(lake.connectorsDir, 'pharmacy.json'), JSON.stringify(file));
    await writeFile(
      join(lake.connectorsDir, 'broken.json'),
      JSON.stringify({ name: 'broken', kind: 'rest', schedule: 'rate(5 minute)' }),
    );
    // Act
    const run = await lakeCli(home, ['connectors', 'run', 'pharmacy', '--json']);
    const count = await lakeCli(home, [
      'sql',
      'SELECT count(*) AS n, count(DISTINCT patient_token) AS patients FROM dosage',
      '--format',
      'json',
    ]);
    const list = await lakeCli(home, ['connectors', 'list', '--json']);
    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'complete', records: 14 });
    expect(JSON.parse(count.stdout)).toEqual([{ n: 14, patients: 3 }]);
    const listing = JSON.parse(list.stdout) as {
      connectors: { connector: string; lastRun: { outcome: string }; streams: { cursor: string }[] }[];
      problems: string[];
    };
    expect(listing.connectors).toHaveLength(1);
    expect(listing.connectors[0]).toMatchObject({ connector: 'pharmacy', lastRun: { outcome: 'complete' } });
    expect(listing.problems[0]).toContain('broken.json');
    expect(listing.problems[0]).toContain('use the plural unit');
    // Manifests, curated Parquet and the local queues hold no credential either.
    const written = await Promise.all(
      (await filesUnder(home)).filter((f) => !f.includes(`${join(home, 'secrets')}`)).map((f) => readFile(f)),
    );
    expect(written.some((bytes) => bytes.includes(API_KEY))).toBe(false);
    expect((await filesUnder(join(home, 's3', lake.names.buckets.curated, '_manifests'))).length).toBeGreaterThan(0);
  });
});
