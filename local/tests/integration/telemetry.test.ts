/**
 * Device telemetry end to end on the local lake: `lake telemetry put` writes
 * readings into the telemetry table, its stream lands them, and they come back
 * from `lake sql` and `lake status`.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { jest } from '@jest/globals';
import { join } from 'node:path';
import { vitals } from '@pulse-lake/shared/datasets/vitals';
import { lakeNames } from '@pulse-lake/shared/lake/names';
import { TELEMETRY_KEY } from '@pulse-lake/shared/lake/telemetry-items';
import { latestVersionsSql } from '@pulse-lake/shared/query/scoping';
import type { RunningLake } from '../../src/runtime/runtime';
import { startLake } from '../../src/runtime/runtime';
import { cleanup, json, lake, tempDir } from './cli-helpers';

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('device telemetry on the local lake', () => {
  let home: string;
  let inputs: string;
  let running: RunningLake;
  const lakeErrors: string[] = [];

  beforeAll(async () => {
    home = await tempDir('telemetry-home');
    inputs = await tempDir('telemetry-inputs');
    running = await startLake({
      home,
      streamBatchWindowSeconds: 0,
      onError: (component, error) => void lakeErrors.push(`${component}: ${String(error)}`),
    });
  });

  afterAll(async () => {
    await running?.stop();
    await cleanup(home, inputs);
  });

  async function putFile(name: string, lines: unknown[]): Promise<Awaited<ReturnType<typeof lake>>> {
    const path = join(inputs, name);
    await writeFile(path, lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n'));
    return lake(home, ['telemetry', 'put', path]);
  }

  it('serves the telemetry stream from serverless.yml, whose table has the key devices write', () => {
    expect(running.served.join('\n')).toContain(
      `stream.on-telemetry-record <- dynamodb stream ${lakeNames('local').tables.telemetry}`,
    );
    expect(running.unserved.filter((u) => u.kind === 'stream')).toEqual([]);
    const stream = running.wiring.functions
      .find((f) => f.name === 'on-telemetry-record')
      ?.events.find((e) => e.kind === 'stream');
    expect(stream).toMatchObject({ table: lakeNames('local').tables.telemetry, keySchema: TELEMETRY_KEY });
  });

  it('makes a reading put into the table queryable, once however often it is delivered, and corrections win', async () => {
    // Prepare: three devices, four readings each, minutes old.
    const readings = ['PLW-71', 'PLW-72', 'PLW-73'].flatMap((serial, d) =>
      [4, 3, 2, 1].map((ago) => ({
        type: 'vitals',
        patient_id: `SG-MRN-7${d}`,
        device_serial: serial,
        site: 'SG',
        recorded_at: minutesAgo(ago),
        heart_rate_bpm: 60 + ago,
        spo2_pct: 97,
      })),
    );
    // Act: put them, then again (a gateway retrying), with one reading corrected.
    const first = await putFile('readings.jsonl', readings);
    await running.drain({ timeoutMs: 60_000 });
    const corrected = { ...readings[0], heart_rate_bpm: 99 };
    const again = await putFile('again.jsonl', [...readings.slice(1), corrected]);
    await running.drain({ timeoutMs: 60_000 });

    // Assess
    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining('put 12 item(s)') as unknown });
    expect(again.code).toBe(0);
    const latest = latestVersionsSql('duckdb', lakeNames('local').databases.curated, vitals);
    const rows = json<{ readings: number; corrected: number }[]>(
      await lake(home, [
        'sql',
        `SELECT count(*)::INTEGER AS readings, max(heart_rate_bpm)::INTEGER AS corrected FROM (${latest}) AS v`,
        '--format',
        'json',
      ]),
    );
    expect(rows).toEqual([{ readings: 12, corrected: 99 }]);
    // The curated zone never holds a patient id or device serial in the clear.
    const tokens = json<{ patient_token: string }[]>(
      await lake(home, ['sql', 'SELECT DISTINCT patient_token FROM vitals', '--format', 'json']),
    );
    expect(tokens).toHaveLength(3);
    expect(JSON.stringify(tokens)).not.toContain('SG-MRN');
    expect(lakeErrors).toEqual([]);
  }, 120_000);

  it('reports per dataset how old the newest queryable reading is', async () => {
    const status = json<{
      datasets: { dataset: string; newestReadingAt?: string; newestReadingAgeSeconds?: number }[];
    }>(await lake(home, ['status', '--json']));
    const vitalsStatus = status.datasets.find((d) => d.dataset === 'vitals');
    expect(vitalsStatus?.newestReadingAt).toBeDefined();
    // The newest reading was taken a minute before it was put.
    expect(vitalsStatus?.newestReadingAgeSeconds).toBeGreaterThanOrEqual(55);
    expect(vitalsStatus?.newestReadingAgeSeconds).toBeLessThan(600);
    expect(status.datasets.find((d) => d.dataset === 'ecg')?.newestReadingAt).toBeUndefined();
    const table = await lake(home, ['status']);
    expect(table.stdout).toMatch(/freshness/);
  });

  it('refuses a file with lines that are not items, naming the lines and writing none', async () => {
    const refused = await putFile('bad.jsonl', [
      {
        type: 'vitals',
        patient_id: 'SG-MRN-99',
        device_serial: 'PLW-99',
        site: 'SG',
        recorded_at: minutesAgo(1),
        heart_rate_bpm: 70,
      },
      '{ not json',
      { type: 'sleep', device_serial: 'PLW-99', minutes: 400 },
      { type: 'vitals', patient_id: 'Tan Ah Kow', site: 'SG', recorded_at: minutesAgo(1) },
    ]);
    await running.drain({ timeoutMs: 30_000 });

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('3 line(s)');
    expect(refused.stderr).toContain('line 2 is not JSON');
    expect(refused.stderr).toContain('line 3 has a type that names no dataset');
    expect(refused.stderr).toContain('line 4');
    expect(refused.stderr).not.toContain('Tan Ah Kow');
    const count = json<{ n: number }[]>(
      await lake(home, [
        'sql',
        'SELECT count(*)::INTEGER AS n FROM vitals WHERE heart_rate_bpm = 70',
        '--format',
        'json',
      ]),
    );
    expect(count).toEqual([{ n: 0 }]);
  });
});

describe('a telemetry record the stream function can never persist', () => {
  it('is retried, then parked in the stream DLQ serverless.yml names, which lake dlq list shows; readings after it still land', async () => {
    // Prepare: a stream whose first record carries an AttributeValue of no DynamoDB type (a corrupted record), then a good reading.
    const home = await tempDir('telemetry-dlq-home');
    // The function logs each failed attempt as one JSON line at ERROR, which its logger writes to stderr (Lambda
    // sends it to CloudWatch): kept, and checked below; whatever else goes to stderr passes through.
    const logged: string[] = [];
    const stderrWrite = process.stderr.write.bind(process.stderr);
    const quiet = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      const text = String(chunk);
      if (text.startsWith('{"level":"ERROR"')) logged.push(text);
      else stderrWrite(chunk);
      return true;
    });
    const running = await startLake({ home, streamBatchWindowSeconds: 0, onError: () => undefined });
    try {
      const table = lakeNames('local').tables.telemetry;
      const shards = join(home, 'dynamodb', table, 'shards');
      // The shards' folders appear as their pollers take their leases.
      let shard: string | undefined;
      while (shard === undefined) {
        shard = (await readdir(shards).catch(() => [] as string[])).sort()[0];
        if (shard === undefined) await new Promise((wake) => setTimeout(wake, 20));
      }
      const sequence = '100000000000000000001';
      const poison = {
        eventID: 'c0ffee00c0ffee00c0ffee00c0ffee00',
        eventName: 'INSERT',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'ap-southeast-1',
        dynamodb: {
          ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
          Keys: { pk: { S: 'device#PLW-99' }, sk: { S: 'vitals#x' } },
          NewImage: { pk: { S: 'device#PLW-99' }, type: { S: 'vitals' }, heart_rate_bpm: { Q: '71' } },
          SequenceNumber: sequence,
          SizeBytes: 40,
          StreamViewType: 'NEW_IMAGE',
        },
        eventSourceARN: `arn:aws:dynamodb:ap-southeast-1:000000000000:table/${table}/stream/x`,
      };
      await mkdir(join(shards, shard ?? '', 'records'), { recursive: true });
      await writeFile(
        join(shards, shard ?? '', 'records', `${sequence}.jsonl`),
        `${JSON.stringify({ record: poison, arrivedAtMs: Date.now() })}\n`,
      );
      await writeFile(join(home, 'dynamodb', table, 'sequence'), '1');
      // Act
      const put = join(home, 'after.jsonl');
      await writeFile(
        put,
        JSON.stringify({
          type: 'vitals',
          patient_id: 'SG-MRN-99',
          device_serial: 'PLW-99',
          site: 'SG',
          recorded_at: minutesAgo(1),
          heart_rate_bpm: 77,
        }),
      );
      expect((await lake(home, ['telemetry', 'put', put])).code).toBe(0);
      await running.drain({ timeoutMs: 60_000 });
      // Assess
      const parked = json<Record<string, { shard: string; firstSequence: string; records: number }[]>>(
        await lake(home, ['dlq', 'list', '--json']),
      );
      expect(parked[lakeNames('local').queues.telemetryStreamDlq]).toEqual([
        expect.objectContaining({ shard, firstSequence: sequence, records: 1 }),
      ]);
      const listed = await lake(home, ['dlq', 'list']);
      expect(listed.stdout).toContain('telemetry stream batches given up on');
      expect(listed.stdout).not.toContain('PLW-99');
      const landed = json<{ n: number }[]>(
        await lake(home, [
          'sql',
          'SELECT count(*)::INTEGER AS n FROM vitals WHERE heart_rate_bpm = 77',
          '--format',
          'json',
        ]),
      );
      expect(landed).toEqual([{ n: 1 }]);
      // One line per attempt: the first and five retries, naming the record by sequence number and never its values.
      expect(logged).toHaveLength(6);
      expect(
        logged.every((line) => line.includes(`"failedSequenceNumber":"${sequence}"`) && !line.includes('PLW-99')),
      ).toBe(true);
    } finally {
      quiet.mockRestore();
      await running.stop();
      await cleanup(home);
    }
  }, 120_000);
});
