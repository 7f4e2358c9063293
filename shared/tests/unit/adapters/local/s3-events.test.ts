import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { buildLocalObjectStore } from '../../../../src/adapters/local/object-store';
import { encodeS3EventKey } from '../../../../src/adapters/local/s3-events';

/** The documented example (S3 user guide, "Event message structure"). */
const documented = JSON.parse(
  readFileSync(new URL('../../../events/s3/object-created.json', import.meta.url), 'utf8'),
) as S3Event;

/** The shape of a JSON value: object keys and value types, recursively. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, shape(v)]),
    );
  }
  return typeof value;
}

describe('S3 ObjectCreated notifications', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-s3ev-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('are shaped exactly like the documented S3 event (versionId only exists on versioned buckets)', async () => {
    // Prepare
    const store = buildLocalObjectStore(home, { region: 'us-west-2' });
    const records: S3EventRecord[] = [];
    store.onObjectCreated('drop-bucket', (r) => void records.push(r));

    // Act
    const { etag } = await store.put('drop-bucket', 'vitals/My Export (1).csv', 'a,b\n1,2\n');
    await store.idle();

    // Assess
    const expected = structuredClone(documented.Records[0]) as S3EventRecord;
    delete expected.s3.object.versionId;
    expect(records).toHaveLength(1);
    const record = records[0] as S3EventRecord;
    expect(shape(record)).toEqual(shape(expected));
    expect(record.eventVersion).toBe('2.1');
    expect(record.eventSource).toBe('aws:s3');
    expect(record.eventName).toBe('ObjectCreated:Put');
    expect(record.awsRegion).toBe('us-west-2');
    expect(record.s3.s3SchemaVersion).toBe('1.0');
    expect(record.s3.bucket).toEqual({
      name: 'drop-bucket',
      ownerIdentity: { principalId: expect.any(String) },
      arn: 'arn:aws:s3:::drop-bucket',
    });
    expect(record.s3.object.key).toBe('vitals/My+Export+%281%29.csv');
    expect(decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '))).toBe('vitals/My Export (1).csv');
    expect(record.s3.object.size).toBe(8);
    expect(`"${record.s3.object.eTag}"`).toBe(etag);
    expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]+$/);
    expect(new Date(record.eventTime).toISOString()).toBe(record.eventTime);
  });

  it('announce a copy as ObjectCreated:Copy, with growing sequencers', async () => {
    const store = buildLocalObjectStore(home);
    const records: S3EventRecord[] = [];
    store.onObjectCreated(undefined, (r) => void records.push(r));

    await store.put('bucket-a', 'k.csv', 'x');
    await store.idle();
    await store.copy({ bucket: 'bucket-a', key: 'k.csv' }, { bucket: 'bucket-b', key: 'copied/k.csv' });
    await store.idle();

    expect(records.map((r) => [r.eventName, r.s3.bucket.name])).toEqual([
      ['ObjectCreated:Put', 'bucket-a'],
      ['ObjectCreated:Copy', 'bucket-b'],
    ]);
    const [first, second] = records.map((r) => r.s3.object.sequencer.padStart(24, '0'));
    expect((second ?? '') > (first ?? '')).toBe(true);
  });

  it('encode keys as S3 does: spaces as +, = and unicode percent-encoded, / kept', () => {
    expect(encodeS3EventKey('curated/vitals/site=SG/dt=2024-01-01/part-1.parquet')).toBe(
      'curated/vitals/site%3DSG/dt%3D2024-01-01/part-1.parquet',
    );
    expect(encodeS3EventKey('a b+c.csv')).toBe('a+b%2Bc.csv');
    expect(encodeS3EventKey('Überweisung.xlsx')).toBe('%C3%9Cberweisung.xlsx');
  });
});
