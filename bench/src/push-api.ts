/**
 * Issue 5's push bench: concurrent SigV4-signed clients posting 500-record
 * vitals batches to `POST /v1/ingest/vitals` on loopback, against the whole
 * local lake as `lake up` runs it (each landed batch is planned, and normalized
 * by one worker process, while the pushes go on). The clients run in their own
 * process, so they do not share the server's event loop.
 *
 *   node --import tsx src/push-api.ts [--clients 8] [--seconds 10] [--batch 500]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newPartnerKey } from '@pulse-lake/shared/auth/partners';
import { databaseFor } from '@pulse-lake/shared/catalog/table-definition';
import { getContract } from '@pulse-lake/shared/datasets/registry';
import { runToCompletion } from '@pulse-lake/shared/query/run';
import { signedFetch } from '@pulse-lake/local/client/signed-fetch';
import { startLake } from '@pulse-lake/local/runtime/runtime';
import type { Figures } from './child';
import { peakRssMib, percentile, runChild } from './child';

const REGION = 'ap-southeast-1';

const round = (n: number) => Math.round(n * 10) / 10;

/** One batch of distinct readings: client `c`'s batch `b`. */
function batch(c: number, b: number, size: number): Record<string, unknown>[] {
  const base = Date.UTC(2026, 2, 1) + (c * 1_000_000 + b) * size * 1000;
  return Array.from({ length: size }, (_, i) => ({
    patient_id: `SG-MRN-${String((c * 97 + i) % 5000).padStart(5, '0')}`,
    device_serial: `PLW-2A-${String((c * 97 + i) % 5000).padStart(8, '0')}`,
    recorded_at: new Date(base + i * 1000).toISOString(),
    site: 'SG',
    heart_rate_bpm: 55 + ((b + i) % 60),
    spo2_pct: 92 + (i % 8),
  }));
}

/** The clients' side, in the child: `clients` loops posting for `seconds`; latencies of accepted (202) pushes. */
async function pushLoad(
  baseUrl: string,
  accessKeyId: string,
  secretAccessKey: string,
  clients: number,
  seconds: number,
  size: number,
): Promise<Figures> {
  const call = signedFetch(baseUrl, { accessKeyId, secretAccessKey }, REGION);
  const latencies: number[] = [];
  let refused = 0;
  const until = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let b = 0; Date.now() < until; b++) {
        const body = batch(c, b, size);
        const t0 = performance.now();
        const response = await call('POST', '/v1/ingest/vitals', body);
        const ms = performance.now() - t0;
        if (response.status === 202) latencies.push(ms);
        else refused += 1;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  return {
    batches: latencies.length,
    refused,
    records: latencies.length * size,
    seconds: round(elapsed),
    recordsPerSecond: Math.round((latencies.length * size) / elapsed),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    client_peak_rss_mib: peakRssMib(),
  };
}

/** Starts the lake with its HTTP API, makes a gateway key, and runs the clients in a child process. */
export async function benchPushApi(options: {
  clients: number;
  seconds: number;
  batchSize: number;
}): Promise<Figures[]> {
  const home = mkdtempSync(join(tmpdir(), 'pulse-bench-push-'));
  const running = await startLake({
    home,
    stage: 'local',
    region: REGION,
    httpPort: 0,
    workers: 1,
    onError: () => undefined,
  });
  try {
    const key = newPartnerKey('bench-gateway', new Date(), ['vitals']);
    await running.lake.partners.add(key);
    const url = running.http?.url ?? '';
    const figures = await runChild(import.meta.url, [
      '--load',
      url,
      key.accessKeyId,
      key.secretAccessKey,
      String(options.clients),
      String(options.seconds),
      String(options.batchSize),
    ]);
    // Accepting is half of keeping up: the lake must also have normalized every accepted record.
    const pushesEnded = Date.now();
    await running.drain({ timeoutMs: 600_000 });
    const drainSeconds = (Date.now() - pushesEnded) / 1000;
    const counted = await runToCompletion(
      running.lake.engine,
      `SELECT count(*) FROM "${databaseFor(getContract('vitals'), running.lake.names)}"."vitals"`,
      { firstPollMs: 5 },
    );
    const queryable = Number(counted.rows[0]?.[0] ?? 0);
    return [
      {
        bench: 'push-api',
        clients: options.clients,
        batchSize: options.batchSize,
        ...figures,
        drained_after_s: round(drainSeconds),
        queryable_records: queryable,
        all_queryable: queryable === figures['records'],
        server_peak_rss_mib: peakRssMib(),
        note: 'server RSS includes the tsx loader and the planner; the normalizer runs in one worker process; drained_after_s: from the last push until every accepted batch was normalized',
      },
    ];
  } finally {
    await running.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

const [, , mode] = process.argv;
if (mode === '--load') {
  const [, , , baseUrl = '', id = '', secret = '', clients = '8', seconds = '10', size = '500'] = process.argv;
  console.log(JSON.stringify(await pushLoad(baseUrl, id, secret, Number(clients), Number(seconds), Number(size))));
} else if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  const { values } = parseArgs({
    options: { clients: { type: 'string' }, seconds: { type: 'string' }, batch: { type: 'string' } },
  });
  for (const figures of await benchPushApi({
    clients: Number(values.clients ?? 8),
    seconds: Number(values.seconds ?? 10),
    batchSize: Number(values.batch ?? 500),
  }))
    console.log(JSON.stringify(figures));
}
