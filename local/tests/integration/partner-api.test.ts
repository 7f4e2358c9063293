/**
 * The partner query API as a partner meets it: `lake up`'s HTTP gateway on
 * loopback, requests signed with SigV4 by curl and by the AWS SDK signer.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import ExcelJS from 'exceljs';
import { newPartnerKey } from '@pulse-lake/shared/auth/partners';
import type { PartnerKey } from '@pulse-lake/shared/ports';
import { signedFetch, type SignedResponse } from '../../src/client/signed-fetch';
import type { RunningLake } from '../../src/runtime/runtime';
import { REPO_ROOT, startLake } from '../../src/runtime/runtime';
import { readLakeWiring } from '../../src/runtime/service-files';
import { cleanup, lake, tempDir, writeCsv } from './cli-helpers';

const run = promisify(execFile);
const REGION = 'ap-southeast-1';

describe('the partner query API, signed, on lake up', () => {
  let home: string;
  let inputs: string;
  let running: RunningLake;
  let sg: PartnerKey;
  let us: PartnerKey;
  /** What the running lake reported as failing: none of these requests may make anything fail behind the API. */
  const lakeErrors: string[] = [];

  /** A request signed as `key` by the AWS SDK v3 signer, sent with fetch. */
  async function sdk(
    key: PartnerKey,
    method: string,
    pathAndQuery: string,
    body?: unknown,
    signingDate?: Date,
  ): Promise<SignedResponse> {
    return signedFetch(running.http?.url ?? '', key, REGION)(method, pathAndQuery, body, signingDate);
  }

  /** The same, signed by curl's --aws-sigv4 (as the demo prints it). */
  async function curl(
    key: PartnerKey,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const args = [
      '-s',
      '-X',
      method,
      '--aws-sigv4',
      `aws:amz:${REGION}:execute-api`,
      '--user',
      `${key.accessKeyId}:${key.secretAccessKey}`,
      '-w',
      '\n%{http_code}',
    ];
    if (body !== undefined) args.push('-H', 'content-type: application/json', '-d', JSON.stringify(body));
    const { stdout } = await run('curl', [...args, `${running.http?.url}${path}`]);
    const cut = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) as Record<string, unknown> };
  }

  async function finished(key: PartnerKey, executionId: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 200; i++) {
      const status = await sdk(key, 'GET', `/v1/executions/${executionId}`);
      if (status.body.status !== 'QUEUED' && status.body.status !== 'RUNNING') return status.body;
      await new Promise((wake) => setTimeout(wake, 50));
    }
    throw new Error('the execution did not finish');
  }

  beforeAll(async () => {
    home = await tempDir('api-home');
    inputs = await tempDir('api-inputs');
    const patients = await writeCsv(inputs, 'patients.csv', [
      'patient_id,first_name,last_name,birth_date,sex,site,partner_id,enrolled_at',
      'SG-MRN-74001,Mei,Tan,1940-01-02,F,SG,clinic-sg,2025-01-01T00:00:00Z',
      'SG-MRN-74002,Ah Kow,Lim,1938-05-06,M,SG,clinic-sg,2025-01-01T00:00:00Z',
      'US-MRN-74003,Ruth,Miller,1944-07-08,F,US,clinic-us,2025-01-01T00:00:00Z',
    ]);
    const vitals = await writeCsv(inputs, 'vitals.csv', [
      'patient_id,device_serial,recorded_at,site,heart_rate_bpm,spo2_pct',
      'SG-MRN-74001,PLW-1,2026-03-02T09:00:00+08:00,SG,60,95',
      'SG-MRN-74001,PLW-1,2026-03-02T10:00:00+08:00,SG,80,99',
      'SG-MRN-74002,PLW-2,2026-03-02T09:30:00+08:00,SG,90,94',
      'US-MRN-74003,PLW-3,2026-03-02T09:00:00-05:00,US,75,98',
    ]);
    expect((await lake(home, ['ingest', patients, vitals])).code).toBe(0);
    running = await startLake({
      home,
      httpPort: 0,
      region: REGION,
      onError: (component, error) =>
        void lakeErrors.push(`${component}: ${error instanceof Error ? error.message : String(error)}`),
    });
    sg = newPartnerKey('clinic-sg', new Date());
    us = newPartnerKey('clinic-us', new Date());
    await running.lake.partners.add(sg);
    await running.lake.partners.add(us);
  });

  afterAll(async () => {
    await running?.stop();
    await cleanup(home, inputs);
  });

  it('answers /health unsigned, and refuses an unsigned request on every /v1 route with the check that failed', async () => {
    const health = await fetch(`${running.http?.url}/health`);
    const id = '00000000-0000-4000-8000-000000000000';
    const routes: [string, string][] = [
      ['GET', '/v1/queries'],
      ['POST', '/v1/queries/daily_vitals/executions'],
      ['GET', `/v1/executions/${id}`],
      ['GET', `/v1/executions/${id}/results`],
      ['GET', '/v1/openapi.json'],
      ['POST', '/v1/ingest/vitals'],
      ['GET', `/v1/ingest/batches/${'0'.repeat(64)}`],
    ];
    const unsigned = await Promise.all(
      routes.map(async ([method, path]) => fetch(`${running.http?.url}${path}`, { method })),
    );
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    for (const response of unsigned) {
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({
        code: 'missing_authorization',
        message: expect.stringContaining('AWS Signature Version 4'),
      });
    }
  });

  it('lists the named queries to a request signed by curl --aws-sigv4', async () => {
    const listed = await curl(sg, 'GET', '/v1/queries');
    expect(listed.status).toBe(200);
    const queries = listed.body.queries as {
      name: string;
      parameters: { name: string }[];
      columns: { name: string }[];
    }[];
    expect(queries.map((q) => q.name)).toContain('daily_vitals');
    expect(queries.find((q) => q.name === 'daily_vitals')?.parameters.map((p) => p.name)).toEqual([
      'from',
      'to',
      'patient_token',
      'site',
    ]);
  });

  it('runs daily_vitals started by curl and read with the SDK signer, scoped to the calling partner', async () => {
    // Act
    const started = await curl(sg, 'POST', '/v1/queries/daily_vitals/executions', {
      parameters: { from: '2026-03-01', to: '2026-03-03' },
    });
    const executionId = String(started.body.executionId);
    const status = await finished(sg, executionId);
    const results = await sdk(sg, 'GET', `/v1/executions/${executionId}/results?pageSize=1`);
    const next = await sdk(
      sg,
      'GET',
      `/v1/executions/${executionId}/results?pageSize=1&pageToken=${String(results.body.nextPageToken)}`,
    );
    const usRun = await sdk(us, 'POST', '/v1/queries/daily_vitals/executions', {
      parameters: { from: '2026-03-01', to: '2026-03-03' },
    });
    await finished(us, String(usRun.body.executionId));
    const usRows = await sdk(us, 'GET', `/v1/executions/${String(usRun.body.executionId)}/results`);
    const stolen = await sdk(us, 'GET', `/v1/executions/${executionId}/results`);
    // Assess
    expect(started.status).toBe(202);
    expect(status).toMatchObject({
      executionId,
      query: 'daily_vitals',
      version: 1,
      status: 'SUCCEEDED',
      reused: false,
      parameters: { from: '2026-03-01', to: '2026-03-03', patient_token: null, site: null },
    });
    expect(typeof status.durationMs).toBe('number');
    const columns = (results.body.columns as { name: string }[]).map((c) => c.name);
    const rows = [...(results.body.rows as unknown[][]), ...(next.body.rows as unknown[][])].map((row) =>
      Object.fromEntries(columns.map((c, i) => [c, row[i]])),
    );
    expect(rows.map((r) => [r.readings, r.min_heart_rate_bpm, r.max_heart_rate_bpm]).sort()).toEqual([
      [1, 90, 90],
      [2, 60, 80],
    ]);
    expect(next.body.nextPageToken).toBeUndefined();
    expect((usRows.body.rows as unknown[][]).map((row) => row[columns.indexOf('site')])).toEqual(['US']);
    expect(stolen.status).toBe(404);
    expect(stolen.body.code).toBe('unknown_execution');
  });

  it('reuses the result of an identical request, and downloads it as CSV and as an Excel workbook', async () => {
    // Act
    const first = await sdk(sg, 'POST', '/v1/queries/daily_vitals/executions', {
      parameters: { from: '2026-03-02', to: '2026-03-02', site: 'sg' },
    });
    await finished(sg, String(first.body.executionId));
    const again = await sdk(sg, 'POST', '/v1/queries/daily_vitals/executions', {
      parameters: { site: 'SG', to: '2026-03-02', from: '2026-03-02' },
    });
    const id = String(again.body.executionId);
    await finished(sg, id);
    const csv = await sdk(sg, 'GET', `/v1/executions/${id}/results?format=csv`);
    const xlsx = await sdk(sg, 'GET', `/v1/executions/${id}/results?format=xlsx`);
    // Assess
    expect(again.body.reused).toBe(true);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="daily_vitals-${id}.csv"`);
    const lines = csv.raw
      .toString('utf8')
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe(
      'patient_token,reading_date,site,readings,min_heart_rate_bpm,avg_heart_rate_bpm,max_heart_rate_bpm,min_spo2_pct,avg_spo2_pct,max_spo2_pct',
    );
    expect(lines).toHaveLength(3);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.raw as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0];
    expect(sheet?.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet?.getRow(1).getCell(4).value).toBe('readings');
    expect(sheet?.rowCount).toBe(3);
    expect(typeof sheet?.getRow(2).getCell(4).value).toBe('number');
  });

  it('suppresses patient counts under 11 and says which cells it blanked, in pages and in downloads', async () => {
    // clinic-sg has two patients, both 85 and over in 2026.
    const started = await sdk(sg, 'POST', '/v1/queries/cohort_summary/executions', {
      parameters: { as_of: '2026-03-01' },
    });
    const id = String(started.body.executionId);
    await finished(sg, id);
    const page = await sdk(sg, 'GET', `/v1/executions/${id}/results`);
    const csv = await sdk(sg, 'GET', `/v1/executions/${id}/results?format=csv`);

    expect(page.body.rows).toEqual([['SG', '85 and over', null]]);
    expect(page.body.suppressed).toEqual([{ row: 0, column: 'patients' }]);
    expect(csv.raw.toString('utf8').replace(/^\ufeff/, '')).toBe('site,age_band,patients\r\nSG,85 and over,\r\n');
  });

  it('describes itself in OpenAPI 3.1: every route the service declares, and the responses the handlers give', async () => {
    // Prepare
    const document = (await sdk(sg, 'GET', '/v1/openapi.json')).body as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
      >;
    };
    const declared = readLakeWiring({ root: REPO_ROOT, stage: 'local', region: REGION })
      .functions.filter((f) => f.service === 'pulse-lake-query-api')
      .flatMap((f) => f.events.flatMap((e) => (e.kind === 'http' ? [`${e.method} ${e.path}`] : [])));
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ ...document, $id: 'api' });
    const check = (path: string, method: string, response: SignedResponse) => {
      const schema =
        document.paths[path]?.[method]?.responses[String(response.status)]?.content?.['application/json']?.schema;
      expect(schema).toBeDefined();
      const validate = ajv.compile({
        $ref: `api#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${response.status}/content/application~1json/schema`,
      });
      expect({ path, valid: validate(response.body), errors: validate.errors ?? null }).toEqual({
        path,
        valid: true,
        errors: null,
      });
    };
    // Act
    const started = await sdk(sg, 'POST', '/v1/queries/daily_vitals/executions', {
      parameters: { from: '2026-03-02', to: '2026-03-02' },
    });
    const id = String(started.body.executionId);
    const status = await sdk(sg, 'GET', `/v1/executions/${id}`);
    await finished(sg, id);
    const page = await sdk(sg, 'GET', `/v1/executions/${id}/results?pageSize=5`);
    const list = await sdk(sg, 'GET', '/v1/queries');
    const refused = await sdk(sg, 'POST', '/v1/queries/daily_vitals/executions', { parameters: {} });
    const missing = await sdk(sg, 'GET', '/v1/executions/00000000-0000-4000-8000-000000000000');
    // Assess
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(declared.sort());
    check('/v1/queries/{name}/executions', 'post', started);
    check('/v1/executions/{id}', 'get', status);
    check('/v1/executions/{id}/results', 'get', page);
    check('/v1/queries', 'get', list);
    check('/v1/queries/{name}/executions', 'post', refused);
    check('/v1/executions/{id}', 'get', missing);
    const rowSchema = ajv.compile({ $ref: 'api#/components/schemas/daily_vitals_row' });
    expect(page.body.rows).toHaveLength(2);
    for (const row of page.body.rows as unknown[]) expect(rowSchema(row)).toBe(true);
  });

  it('refuses hostile parameters, unknown queries, a wrong secret and a stale signature with a code a client can act on', async () => {
    const hostile = await sdk(sg, 'POST', '/v1/queries/daily_vitals/executions', {
      parameters: { from: "2026-03-01' OR '1'='1", to: '2026-03-03', partner_id: 'clinic-us' },
    });
    const unknown = await sdk(sg, 'POST', '/v1/queries/drop_table/executions', { parameters: {} });
    const wrongSecret = await sdk({ ...sg, secretAccessKey: `${sg.secretAccessKey}x` }, 'GET', '/v1/queries');
    const stale = await sdk(sg, 'GET', '/v1/queries', undefined, new Date(Date.now() - 6 * 60_000));
    const notJson = await run('curl', [
      '-s',
      '-X',
      'POST',
      '--aws-sigv4',
      `aws:amz:${REGION}:execute-api`,
      '--user',
      `${sg.accessKeyId}:${sg.secretAccessKey}`,
      '-d',
      '{nope',
      `${running.http?.url}/v1/queries/daily_vitals/executions`,
    ]);

    expect(hostile.status).toBe(400);
    expect(hostile.body.code).toBe('invalid_parameters');
    expect((hostile.body.details as { problems: string[] }).problems).toEqual([
      'partner_id is not a parameter of daily_vitals (it takes: from, to, patient_token, site)',
      'from: must be a real calendar date written YYYY-MM-DD (e.g. 2024-03-01)',
    ]);
    expect(JSON.stringify(hostile.body)).not.toContain("OR '1'");
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('unknown_query');
    expect(wrongSecret.status).toBe(403);
    expect(wrongSecret.body.code).toBe('signature_mismatch');
    expect(stale.status).toBe(403);
    expect(stale.body.code).toBe('clock_skew');
    expect(JSON.parse(notJson.stdout)).toMatchObject({ code: 'invalid_body' });
  });

  it('takes a batch pushed with curl --aws-sigv4 by a gateway, lands it once however often it is retried, and reports what became of it', async () => {
    // Prepare: a device gateway allowed to push vitals
    const gateway = newPartnerKey('gateway-sg', new Date(), ['vitals']);
    await running.lake.partners.add(gateway);
    const batch = [
      {
        patient_id: 'SG-MRN-74001',
        device_serial: 'PLW-1',
        recorded_at: '2026-03-04T09:00:00+08:00',
        site: 'SG',
        heart_rate_bpm: 72,
      },
      {
        patient_id: 'SG-MRN-74002',
        device_serial: 'PLW-2',
        recorded_at: '2026-03-04T09:05:00+08:00',
        site: 'SG',
        heart_rate_bpm: 900,
      },
    ];
    const push = async () => {
      const { stdout } = await run('curl', [
        '-s',
        '-X',
        'POST',
        '--aws-sigv4',
        `aws:amz:${REGION}:execute-api`,
        '--user',
        `${gateway.accessKeyId}:${gateway.secretAccessKey}`,
        '-H',
        'content-type: application/json',
        '-H',
        'Idempotency-Key: 7d9f3c1e-batch-0001',
        '-d',
        JSON.stringify(batch),
        '-w',
        '\n%{http_code}',
        `${running.http?.url}/v1/ingest/vitals`,
      ]);
      const cut = stdout.lastIndexOf('\n');
      return {
        status: Number(stdout.slice(cut + 1)),
        body: JSON.parse(stdout.slice(0, cut)) as Record<string, unknown>,
      };
    };
    // Act
    const first = await push();
    const retry = await push();
    const batchId = String(first.body.batchId);
    let outcome = await signedFetch(running.http?.url ?? '', gateway, REGION)('GET', `/v1/ingest/batches/${batchId}`);
    for (let i = 0; i < 200 && outcome.body.status === 'received'; i++) {
      await new Promise((wake) => setTimeout(wake, 50));
      outcome = await signedFetch(running.http?.url ?? '', gateway, REGION)('GET', `/v1/ingest/batches/${batchId}`);
    }
    const someoneElse = await sdk(sg, 'GET', `/v1/ingest/batches/${batchId}`);
    // Assess
    expect([first.status, first.body.replayed, retry.status, retry.body.replayed, retry.body.batchId]).toEqual([
      202,
      false,
      202,
      true,
      batchId,
    ]);
    expect(outcome.status).toBe(200);
    expect(outcome.body).toMatchObject({
      batchId,
      dataset: 'vitals',
      records: 2,
      status: 'processed',
      rowsWritten: 1,
      rowsRejected: 1,
    });
    expect(outcome.body.rejects).toEqual([
      {
        record: 2,
        column: 'heart_rate_bpm',
        rule: expect.any(String),
        reason: expect.stringContaining('heart_rate_bpm'),
      },
    ]);
    expect(JSON.stringify(outcome.body)).not.toContain('SG-MRN');
    expect([someoneElse.status, someoneElse.body.code]).toEqual([404, 'unknown_batch']);
    await running.lake.idle({ timeoutMs: 60_000 });
    expect(lakeErrors).toEqual([]);
  });

  it('audits every request into a table analysts can query: partner, query, validated parameters, rows returned, outcome', async () => {
    // Act
    const since = new Date().toISOString();
    const started = await sdk(us, 'POST', '/v1/queries/daily_vitals/executions', {
      parameters: { from: '2026-03-02', to: '2026-03-02', site: 'us' },
    });
    const id = String(started.body.executionId);
    await finished(us, id);
    await sdk(us, 'GET', `/v1/executions/${id}/results`);
    await sdk({ ...us, secretAccessKey: 'wrong' }, 'GET', '/v1/queries');
    const audit = await lake(home, [
      'sql',
      `SELECT partner_id, access_key_id, method, route, status, outcome, query, parameters, rows_returned FROM pulse_lake_local_audit.api_requests WHERE access_key_id = '${us.accessKeyId}' AND requested_at >= '${since}' AND (subject_id = '${id}' OR outcome <> 'ok') ORDER BY requested_at`,
      '--format',
      'json',
    ]);
    // Assess
    expect(audit.stderr).toBe('');
    const rows = JSON.parse(audit.stdout) as Record<string, unknown>[];
    const parameters = JSON.stringify({ from: '2026-03-02', to: '2026-03-02', patient_token: null, site: 'US' });
    expect(rows.filter((r) => r.route !== '/v1/executions/{id}')).toEqual([
      {
        partner_id: 'clinic-us',
        access_key_id: us.accessKeyId,
        method: 'POST',
        route: '/v1/queries/{name}/executions',
        status: 202,
        outcome: 'ok',
        query: 'daily_vitals',
        parameters,
        rows_returned: null,
      },
      {
        partner_id: 'clinic-us',
        access_key_id: us.accessKeyId,
        method: 'GET',
        route: '/v1/executions/{id}/results',
        status: 200,
        outcome: 'ok',
        query: 'daily_vitals',
        parameters,
        rows_returned: 1,
      },
      {
        partner_id: null,
        access_key_id: us.accessKeyId,
        method: 'GET',
        route: '/v1/queries',
        status: 403,
        outcome: 'signature_mismatch',
        query: null,
        parameters: null,
        rows_returned: null,
      },
    ]);
  });
});
