/**
 * The partner query API under load, on loopback: a lake grown to 10 million
 * vitals rows (written straight to curated Parquet in the lake's layout and
 * registered in the local catalog, as the normalizer and etl-trigger would),
 * then every named query through the signed API (start, poll, read results),
 * p50/p95; requests/s of 16 signed clients on a cached query; and the cost of
 * verifying one signature.
 *
 *   node --import tsx src/query-api.ts [--rows N] [--only daily_vitals,...]   (default 10,000,000 rows; the lake is kept in bench/scratch and reused)
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NodeSha256 } from '@pulse-lake/shared/auth/node-sha256';
import { SignatureV4 } from '@smithy/signature-v4';
import { buildLocalLake, type LocalLake } from '@pulse-lake/shared/adapters/local/index';
import { newPartnerKey } from '@pulse-lake/shared/auth/partners';
import type { PartnerKey } from '@pulse-lake/shared/ports';
import { verifySignature, type SignedRequest } from '@pulse-lake/shared/auth/sigv4';
import { partitionInput, tableInput } from '@pulse-lake/shared/catalog/table-definition';
import { DATASETS, getContract } from '@pulse-lake/shared/datasets/registry';
import { datasetPrefix } from '@pulse-lake/shared/lake/keys';
import { signedFetch, type SignedFetch } from '@pulse-lake/local/client/signed-fetch';
import { startLake } from '@pulse-lake/local/runtime/runtime';
import { percentile } from './child';

const SCRATCH = fileURLToPath(new URL('../scratch/query-api', import.meta.url));
const REGION = 'ap-southeast-1';
const PATIENTS = 2000;
const DAYS = 365;
const FIRST_DAY = '2025-01-01';
const token = (text: string) => createHash('sha256').update(text).digest('hex');

/** Writes the patients and `rows` vitals rows as curated Parquet and registers every partition. */
async function growLake(home: string, rows: number): Promise<void> {
  const lake = buildLocalLake(home, { stage: 'local', region: REGION });
  const curated = lake.store.bucketPath(lake.names.buckets.curated);
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const db = await instance.connect();
  try {
    const perPatient = Math.ceil(rows / PATIENTS);
    for (const name of ['patients', 'vitals'])
      mkdirSync(join(curated, datasetPrefix('curated', name)), { recursive: true });
    await db.run(
      `CREATE TABLE p AS SELECT i, CASE WHEN i % 2 = 0 THEN 'SG' ELSE 'US' END AS site FROM range(${PATIENTS}) t(i)`,
    );
    await db.run(`CREATE MACRO tok(x) AS sha256(x)`);
    await db.run(
      `COPY (SELECT tok('patient-' || i) AS patient_token, substr(tok('postal-' || i), 1, 2) AS postal_prefix, 1930 + i % 30 AS birth_year, CASE WHEN i % 3 = 0 THEN 'M' ELSE 'F' END AS sex,
         CASE WHEN site = 'SG' THEN 'clinic-sg' ELSE 'clinic-us' END AS partner_id, TIMESTAMP '2024-06-01 09:00:00' AS enrolled_at,
         tok('bench-patients') AS _source_hash, i + 1 AS _source_line, TIMESTAMP '2025-01-01 00:00:00' AS _ingested_at, site, '2024-06-01' AS dt FROM p)
       TO '${join(curated, datasetPrefix('curated', 'patients'))}' (FORMAT PARQUET, PARTITION_BY (site, dt), OVERWRITE_OR_IGNORE)`,
    );
    // Readings spread over the year, heart rate with patient-specific baselines and occasional runs above 120.
    await db.run(
      `COPY (SELECT tok('patient-' || (n % ${PATIENTS})) AS patient_token, tok('device-' || (n % ${PATIENTS})) AS device_token,
         TIMESTAMP '${FIRST_DAY}' + INTERVAL (((n // ${PATIENTS}) * ${Math.floor((DAYS * 86400) / perPatient)}) + (n % ${PATIENTS})) SECOND AS recorded_at,
         CASE WHEN (n // ${PATIENTS}) % 97 < 4 THEN 125 + n % 20 ELSE 60 + (n * 7919) % 35 END::DOUBLE AS heart_rate_bpm,
         (92 + (n * 31) % 8)::DOUBLE AS spo2_pct, (110 + n % 30)::DOUBLE AS systolic_mmhg, (70 + n % 15)::DOUBLE AS diastolic_mmhg,
         (36.2 + (n % 10) / 10)::DOUBLE AS temperature_c, (14 + n % 6)::DOUBLE AS respiratory_rate_bpm,
         tok('bench-vitals-' || (n // 1000000)) AS _source_hash, (n % 1000000 + 1)::BIGINT AS _source_line, TIMESTAMP '2026-01-01 00:00:00' AS _ingested_at,
         CASE WHEN (n % ${PATIENTS}) % 2 = 0 THEN 'SG' ELSE 'US' END AS site,
         strftime(TIMESTAMP '${FIRST_DAY}' + INTERVAL (((n // ${PATIENTS}) * ${Math.floor((DAYS * 86400) / perPatient)}) + (n % ${PATIENTS})) SECOND, '%Y-%m-%d') AS dt
       FROM range(${rows}) t(n))
       TO '${join(curated, datasetPrefix('curated', 'vitals'))}' (FORMAT PARQUET, PARTITION_BY (site, dt), OVERWRITE_OR_IGNORE, COMPRESSION zstd)`,
    );
    await registerGrown(lake, db, ['patients', 'vitals']);
  } finally {
    db.closeSync();
    instance.closeSync();
    await lake.close();
  }
}

/** Registers every dataset's table and the partitions Parquet was written to for `datasets`, as etl-trigger would. */
export async function registerGrown(lake: LocalLake, db: DuckDBConnection, datasets: readonly string[]): Promise<void> {
  const curated = lake.store.bucketPath(lake.names.buckets.curated);
  for (const contract of DATASETS) {
    await lake.catalog.ensureDatabase(lake.names.databases.curated);
    await lake.catalog.upsertTable(lake.names.databases.curated, tableInput(contract, lake.names));
  }
  for (const name of datasets) {
    const partitions = await db.runAndReadAll(
      `SELECT DISTINCT site, dt FROM read_parquet('${join(curated, datasetPrefix('curated', name))}**/*.parquet', hive_partitioning = true, hive_types = {'site': VARCHAR, 'dt': VARCHAR})`,
    );
    const contract = getContract(name);
    const inputs = (partitions.getRows() as [string, string][]).map(([site, dt]) =>
      partitionInput(contract, lake.names, { site, dt }),
    );
    for (let i = 0; i < inputs.length; i += 100)
      await lake.catalog.addPartitions(lake.names.databases.curated, name, inputs.slice(i, i + 100));
  }
}

interface Client {
  call: SignedFetch;
}

function signedClient(baseUrl: string, key: PartnerKey): Client {
  return { call: signedFetch(baseUrl, key, REGION) };
}

/** Start, poll every 10 ms, read the first page: what a partner waits for. */
async function runQuery(
  client: Client,
  name: string,
  parameters: Record<string, string>,
): Promise<{ ms: number; rows: number }> {
  const started = Date.now();
  const run = await client.call('POST', `/v1/queries/${name}/executions`, { parameters });
  if (run.status !== 202) throw new Error(`${name}: ${run.status} ${JSON.stringify(run.body)}`);
  const id = String(run.body.executionId);
  for (;;) {
    const status = await client.call('GET', `/v1/executions/${id}`);
    if (status.body.status === 'SUCCEEDED') break;
    if (status.body.status === 'FAILED' || status.body.status === 'CANCELLED')
      throw new Error(`${name} ${String(status.body.status)}`);
    await new Promise((wake) => setTimeout(wake, 10));
  }
  const page = await client.call('GET', `/v1/executions/${id}/results`);
  if (page.status !== 200) throw new Error(`${name} results: ${page.status}`);
  return { ms: Date.now() - started, rows: (page.body.rows as unknown[]).length };
}

/** Signature verification alone: one signed request verified `times` times against an in-memory key. */
async function signatureCost(key: PartnerKey, times: number): Promise<number> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    region: REGION,
    service: 'execute-api',
    sha256: NodeSha256,
  });
  const body = JSON.stringify({ parameters: { from: '2025-03-01', to: '2025-03-31' } });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    path: '/v1/queries/daily_vitals/executions',
    query: {},
    headers: { host: '127.0.0.1', 'content-type': 'application/json' },
    body,
  });
  const request: SignedRequest = {
    method: 'POST',
    path: '/v1/queries/daily_vitals/executions',
    query: {},
    headers: signed.headers,
    body: Buffer.from(body),
  };
  const options = {
    region: REGION,
    service: 'execute-api',
    now: new Date(),
    secretOf: async () => key.secretAccessKey,
  };
  for (let i = 0; i < 1000; i++) await verifySignature(request, options);
  const start = process.hrtime.bigint();
  for (let i = 0; i < times; i++) await verifySignature(request, options);
  return Number(process.hrtime.bigint() - start) / 1e6 / times;
}

export async function benchQueryApi(rows: number, only?: readonly string[]): Promise<Record<string, unknown>[]> {
  const home = join(SCRATCH, `lake-${rows}`);
  const marker = join(home, 'grown.json');
  let grownMs = 0;
  if (!existsSync(marker)) {
    rmSync(home, { recursive: true, force: true });
    mkdirSync(home, { recursive: true });
    const start = Date.now();
    await growLake(home, rows);
    grownMs = Date.now() - start;
    writeFileSync(marker, JSON.stringify({ rows, grownMs }));
  }
  const figures: Record<string, unknown>[] = [];
  const patient = token('patient-0'); // clinic-sg's first patient
  const month = { from: '2025-03-01', to: '2025-03-31' };
  const queries: [string, Record<string, string>][] = [
    ['daily_vitals', { ...month, patient_token: patient }],
    ['daily_vitals', month],
    ['abnormal_heart_rate_episodes', { ...month, patient_token: patient }],
    ['qtc_prolongation', month],
    ['gait_fall_risk', month],
    ['dosage_adherence', month],
    ['cohort_summary', { as_of: '2026-01-01' }],
  ];

  // Every run a new scan: reuse off.
  process.env.QUERY_RESULT_REUSE_MINUTES = '0';
  let running = await startLake({ home, httpPort: 0, region: REGION, onError: () => undefined });
  const key = newPartnerKey('clinic-sg', new Date());
  await running.lake.partners.add(key);
  try {
    const client = signedClient(running.http?.url ?? '', key);
    for (const [name, parameters] of queries.filter(([n]) => only === undefined || only.includes(n))) {
      await runQuery(client, name, parameters);
      await runQuery(client, name, parameters);
      const times: number[] = [];
      let resultRows = 0;
      for (let i = 0; i < 30; i++) {
        const run = await runQuery(client, name, parameters);
        times.push(run.ms);
        resultRows = run.rows;
      }
      figures.push({
        bench: 'query-api latency',
        query: name,
        scope: parameters.patient_token !== undefined ? 'one patient' : 'partner',
        parameters: { ...parameters, ...(parameters.patient_token ? { patient_token: 'one patient' } : {}) },
        lakeRows: rows,
        runs: times.length,
        resultRows,
        p50Ms: percentile(times, 50),
        p95Ms: percentile(times, 95),
      });
    }
  } finally {
    await running.stop();
  }

  // A cached query: 16 clients repeating the same request, each start reusing the first result.
  process.env.QUERY_RESULT_REUSE_MINUTES = '60';
  running = await startLake({ home, httpPort: 0, region: REGION, onError: () => undefined });
  try {
    const client = signedClient(running.http?.url ?? '', key);
    await runQuery(client, 'daily_vitals', { ...month, patient_token: patient });
    let requests = 0;
    const until = Date.now() + 10_000;
    const start = Date.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        const own = signedClient(running.http?.url ?? '', key);
        while (Date.now() < until) {
          const run = await own.call('POST', '/v1/queries/daily_vitals/executions', {
            parameters: { ...month, patient_token: patient },
          });
          const page = await own.call('GET', `/v1/executions/${String(run.body.executionId)}/results`);
          if (page.status !== 200) throw new Error(`cached results: ${page.status}`);
          requests += 2;
        }
      }),
    );
    figures.push({
      bench: 'query-api cached',
      clients: 16,
      seconds: (Date.now() - start) / 1000,
      requests,
      requestsPerSecond: Math.round(requests / ((Date.now() - start) / 1000)),
    });
  } finally {
    await running.stop();
    delete process.env.QUERY_RESULT_REUSE_MINUTES;
  }
  figures.push({
    bench: 'sigv4 verification',
    requests: 20_000,
    msPerRequest: Number((await signatureCost(key, 20_000)).toFixed(4)),
  });
  if (grownMs > 0) figures.push({ bench: 'query-api lake grown', rows, ms: grownMs });
  return figures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, only: { type: 'string' } } });
  for (const figures of await benchQueryApi(Number(values.rows ?? 10_000_000), values.only?.split(',')))
    console.log(JSON.stringify(figures));
}
