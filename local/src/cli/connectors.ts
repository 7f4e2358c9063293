/**
 * Connectors on the local lake: what `lake connectors list` shows, and the
 * demo's fake third-party sources with the two connectors that pull from them
 * (`lake up --demo`). Their files live in `$LAKE_HOME/connectors/`, their
 * secrets in `$LAKE_HOME/secrets/connectors.json` (0600).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalLake } from '@pulse-lake/shared/adapters/local/index';
import type { ConnectorConfig } from '@pulse-lake/shared/connectors/config';
import { FHIR_RESOURCES, parseConnectorConfig } from '@pulse-lake/shared/connectors/config';
import type { ConnectorRunResult } from '@pulse-lake/shared/connectors/run-connector';
import { isDue } from '@pulse-lake/shared/connectors/run-connector';
import type { ConnectorState } from '@pulse-lake/shared/connectors/state';
import { readConnectorState } from '@pulse-lake/shared/connectors/state';
import { nextFireTime } from '@pulse-lake/shared/schedules/schedule-expressions';
import type { FakeSources } from '../demo/third-party';
import { PHARMACY_DOSAGE_MAPPING, startFakeSources } from '../demo/third-party';
import { fhirResources, pharmacyRecords } from '../demo/third-party-records';

export interface ConnectorListing {
  connector: string;
  kind: ConnectorConfig['kind'];
  datasets: string[];
  schedule: string;
  /** Per stream: the committed cursor, and whether a walk is part-way. */
  streams: { stream: string; cursor: string | null; resumesPartWay: boolean }[];
  lastRun: ConnectorState['lastRun'] | null;
  lastSuccessAt: string | null;
  nextRunAt: string;
}

/** Every connector of the lake with its state: cursor, last run and outcome, next run. */
export async function listConnectors(
  lake: LocalLake,
  now: Date,
): Promise<{ connectors: ConnectorListing[]; problems: string[] }> {
  const { connectors, problems } = await lake.connectors.load();
  const listed: ConnectorListing[] = [];
  for (const config of connectors) {
    const { state } = await readConnectorState(lake, config.name);
    const lastRun = state.lastRun;
    listed.push({
      connector: config.name,
      kind: config.kind,
      datasets: config.kind === 'fhir' ? config.resources.map((r) => FHIR_RESOURCES[r]) : [config.dataset],
      schedule: config.schedule,
      streams: Object.entries(state.streams).map(([stream, s]) => ({
        stream,
        cursor: s.cursor ?? null,
        resumesPartWay: s.resume !== undefined,
      })),
      lastRun: lastRun ?? null,
      lastSuccessAt: state.lastSuccessAt ?? null,
      nextRunAt: (isDue(config, lastRun, now)
        ? now
        : nextFireTime(config.schedule, new Date(lastRun?.startedAt ?? now))
      ).toISOString(),
    });
  }
  return { connectors: listed, problems };
}

export const DEMO_CONNECTORS = ['demo-pharmacy', 'demo-fhir'] as const;

export interface DemoConnectors {
  sources: FakeSources;
  connectors: ConnectorConfig[];
  /** Stops the fake sources and removes their connector files (their state stays in the lake). */
  close(): Promise<void>;
}

/**
 * Starts the fake pharmacy and FHIR sources on loopback (paging, a 429 every
 * 7th request and a 500 every 11th), fills them with records of the demo
 * fleet's first patients from `start`, and writes the two connectors and their secrets.
 */
export async function startDemoConnectors(
  lake: LocalLake,
  fleet: { start: Date; days: number; patients: number },
): Promise<DemoConnectors> {
  const { start, days } = fleet;
  const secrets = {
    apiKey: `demo-pharmacy-key-${Date.now().toString(36)}`,
    clientSecret: `demo-fhir-secret-${Date.now().toString(36)}`,
  };
  const sources = await startFakeSources({
    apiKey: secrets.apiKey,
    clientId: 'pulse-lake-demo',
    clientSecret: secrets.clientSecret,
    faults: { every429: 7, every500: 11, retryAfterSeconds: 1 },
  });
  // Fleet MRNs: even indexes are SG, odd US (local/src/demo/fleet.ts).
  const mrn = (i: number) => `${i % 2 === 0 ? 'SG' : 'US'}-MRN-${String(i + 1).padStart(5, '0')}`;
  const patients = Array.from({ length: Math.min(20, fleet.patients) }, (_, i) => ({
    mrn: mrn(i),
    site: i % 2 === 0 ? 'SG' : 'US',
  }));
  sources.pharmacy.push(...pharmacyRecords(patients, start, patients.length * days * 3, 8 * 60));
  sources.fhir.push(
    ...fhirResources(
      patients.filter((p) => p.site === 'SG').map((p) => p.mrn),
      start,
      days * 8,
      3 * 60,
    ),
  );
  await lake.secrets.put({ 'demo-pharmacy/api-key': secrets.apiKey, 'demo-fhir/client-secret': secrets.clientSecret });
  const incremental = { start: start.toISOString(), lookbackMinutes: 10 };
  const limits = { backoffBaseMs: 200, maxRetryAfterSeconds: 5, runTimeoutSeconds: 120 };
  const files: Record<(typeof DEMO_CONNECTORS)[number], unknown> = {
    'demo-pharmacy': {
      name: 'demo-pharmacy',
      kind: 'rest',
      schedule: 'rate(2 minutes)',
      baseUrl: sources.pharmacyUrl,
      path: '/cursor/administrations',
      dataset: 'dosage',
      recordsPath: 'data',
      pageSize: 25,
      pageSizeParam: 'limit',
      auth: { type: 'api_key', header: 'X-Api-Key', secret: 'demo-pharmacy/api-key' },
      pagination: { type: 'cursor', cursorParam: 'cursor', nextCursorPath: 'next_cursor' },
      incremental: { ...incremental, param: 'updated_since', field: 'updated_at' },
      limits,
      mapping: PHARMACY_DOSAGE_MAPPING,
    },
    'demo-fhir': {
      name: 'demo-fhir',
      kind: 'fhir',
      schedule: 'rate(5 minutes)',
      baseUrl: sources.fhirUrl,
      site: 'SG',
      resources: ['Observation', 'MedicationAdministration'],
      pageSize: 40,
      auth: {
        type: 'oauth2_client_credentials',
        tokenUrl: sources.tokenUrl,
        clientId: 'pulse-lake-demo',
        clientSecret: 'demo-fhir/client-secret',
      },
      incremental,
      limits,
    },
  };
  await mkdir(lake.connectorsDir, { recursive: true });
  const connectors: ConnectorConfig[] = [];
  for (const [name, file] of Object.entries(files)) {
    connectors.push(parseConnectorConfig(file, `${name}.json`, name));
    await writeFile(join(lake.connectorsDir, `${name}.json`), `${JSON.stringify(file, null, 2)}\n`);
  }
  return {
    sources,
    connectors,
    async close() {
      await sources.close();
      await Promise.all(DEMO_CONNECTORS.map((name) => rm(join(lake.connectorsDir, `${name}.json`), { force: true })));
    },
  };
}

/** One line on a connector run: outcome, pages, records read, rows landed, requests, and why it failed. */
export function describeConnectorRun(run: ConnectorRunResult): string {
  const rows = run.landed.reduce((sum, l) => sum + l.rows, 0);
  return `${run.connector}: ${run.outcome}, ${run.pages} page(s), ${run.records} record(s) read, ${rows} row(s) landed in ${run.landed.length} raw object(s), ${run.requests} request(s)${run.reason !== undefined ? `: ${run.reason}` : ''}`;
}
