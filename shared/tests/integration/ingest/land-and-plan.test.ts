import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalLake } from '../../../src/adapters/local/index';
import { buildLocalLake } from '../../../src/adapters/local/index';
import { isLakeRecordKey, rawKey } from '../../../src/lake/keys';
import { landDroppedObject, type LandDroppedObjectResult } from '../../../src/ingest/land-dropped-object';
import { completeIfAllChunksDone, readFileManifest, writeChunkManifest } from '../../../src/lake/manifest';
import type { NormalizeChunkMessage } from '../../../src/lake/messages';
import { planRawObject, RawObjectLayoutError } from '../../../src/ingest/plan-raw-object';

const VITALS_CSV = [
  'patient_id,device_serial,recorded_at,site,heart_rate_bpm,spo2_pct',
  'P-000123,SN-9981,2024-03-01T08:00:00Z,SG,72,97',
  'P-000124,SN-9982,2024-03-01T08:05:00Z,US,80,95',
  '',
].join('\n');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('landing dropped files and planning raw objects', () => {
  let home: string;
  let lake: LocalLake;
  const now = new Date('2024-03-01T12:00:00Z');

  async function drop(key: string, content: string | Uint8Array) {
    await lake.store.put(lake.names.buckets.dropzone, key, content);
    return landDroppedObject(lake, { bucket: lake.names.buckets.dropzone, key });
  }

  /** The raw object a drop of one dataset landed as. */
  function rawOf(result: LandDroppedObjectResult): { bucket: string; key: string } {
    if (result.outcome === 'quarantined' || result.landings.length !== 1)
      throw new Error(`expected one landing, got ${JSON.stringify(result)}`);
    return result.landings[0]!.raw;
  }

  async function rawKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of lake.store.list(lake.names.buckets.raw, ''))
      if (!isLakeRecordKey(item.key)) keys.push(item.key);
    return keys;
  }

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-land-'));
    lake = buildLocalLake(home, { clock: { now: () => now } });
  });
  afterEach(async () => {
    await lake.close();
    await rm(home, { recursive: true, force: true });
  });

  it('lands a CSV under a dataset folder as the raw object named by its hash', async () => {
    // Act
    const result = await drop('Vitals/2024/clinic export.csv', VITALS_CSV);

    // Assess
    const key = rawKey('vitals', 'dropzone', sha256(VITALS_CSV), 'csv');
    expect(result).toEqual({
      outcome: 'landed',
      contentHash: sha256(VITALS_CSV),
      landings: [{ outcome: 'landed', dataset: 'vitals', raw: { bucket: lake.names.buckets.raw, key } }],
    });
    expect(await readFile(lake.store.objectPath(lake.names.buckets.raw, key), 'utf8')).toBe(VITALS_CSV);
    const info = await lake.store.head(lake.names.buckets.raw, key);
    expect(info?.metadata).toMatchObject({
      'original-bucket': lake.names.buckets.dropzone,
      'original-key': 'Vitals/2024/clinic export.csv',
      'landed-at': now.toISOString(),
      dataset: 'vitals',
      'content-sha256': sha256(VITALS_CSV),
    });
  });

  it('lands a CSV outside any dataset folder by its header', async () => {
    // Prepare: semicolon-delimited, with a BOM, as spreadsheet exports write it.
    const csv = `\ufeff${VITALS_CSV.replace(/,/g, ';')}`;

    // Act
    const result = await drop('inbox/readings.csv', csv);

    // Assess
    expect(result.outcome).toBe('landed');
    expect(result.outcome !== 'quarantined' && result.landings.map((l) => l.dataset)).toEqual(['vitals']);
    expect(await rawKeys()).toEqual([rawKey('vitals', 'dropzone', sha256(csv), 'csv')]);
  });

  it('records the same file dropped twice as a duplicate, with no new raw object, and the manifest lists both drops', async () => {
    // Prepare
    const first = await drop('vitals/monday.csv', VITALS_CSV);
    if (first.outcome === 'quarantined') throw new Error('first drop was quarantined');
    await planRawObject(lake, rawOf(first));

    // Act
    const second = await drop('vitals/monday (copy).csv', VITALS_CSV);

    // Assess
    expect(second.outcome).toBe('duplicate');
    expect(await rawKeys()).toHaveLength(1);
    const manifest = await readFileManifest(lake.store, lake.names, 'vitals', first.contentHash);
    expect(manifest?.source).toEqual({ bucket: lake.names.buckets.dropzone, key: 'vitals/monday.csv' });
    expect(manifest?.duplicateDrops.map((d) => d.key)).toEqual(['vitals/monday (copy).csv']);
  });

  it('treats a redelivered event for the same drop as the same landing, not a duplicate', async () => {
    // Prepare
    const first = await drop('vitals/tuesday.csv', VITALS_CSV);

    // Act
    const again = await landDroppedObject(lake, { bucket: lake.names.buckets.dropzone, key: 'vitals/tuesday.csv' });

    // Assess
    expect(again).toEqual(first);
    if (first.outcome === 'quarantined') throw new Error('drop was quarantined');
    await planRawObject(lake, rawOf(first));
    expect((await readFileManifest(lake.store, lake.names, 'vitals', first.contentHash))?.duplicateDrops).toEqual([]);
  });

  it('quarantines a file of an unknown dataset with a reason, and keeps the source', async () => {
    // Prepare
    const csv = 'colour,flavour\nred,cherry\n';

    // Act
    const result = await drop('inbox/foo.csv', csv);

    // Assess
    expect(result.outcome).toBe('quarantined');
    if (result.outcome !== 'quarantined') return;
    expect(result.reason).toMatch(
      /^cannot tell which dataset the file holds: put it under a dataset folder \(.*vitals\/.*\) or use headers of a known dataset$/,
    );
    // The copy is raw data, kept in the restricted raw bucket; the reason in rejects names neither the file nor its content.
    expect(result.quarantine).toEqual({
      bucket: lake.names.buckets.raw,
      key: `_quarantine/_unknown/${sha256(csv)}/${sha256(csv)}.csv`,
    });
    expect(await lake.store.head(lake.names.buckets.dropzone, 'inbox/foo.csv')).toBeDefined();
    const reason = JSON.parse(
      await readFile(
        lake.store.objectPath(lake.names.buckets.rejects, `quarantine/_unknown/${sha256(csv)}/reason.json`),
        'utf8',
      ),
    );
    expect(reason).toEqual({
      reason: result.reason,
      copy: result.quarantine,
      contentHash: sha256(csv),
      at: now.toISOString(),
    });
    expect(JSON.stringify(reason)).not.toContain('foo.csv');
    expect(await rawKeys()).toEqual([]);
  });

  it('quarantines an empty file, an Excel 97-2003 workbook, and bytes that are no workbook, with reasons the dropper can act on', async () => {
    // Act
    const empty = await drop('vitals/empty.csv', '');
    const old = await drop('vitals/readings.xls', Buffer.from('\u00d0\u00cf\u0011\u00e0 an OLE2 workbook'));
    const broken = await drop('inbox/readings.xlsx', Buffer.from('PK\u0003\u0004 not really a workbook'));

    // Assess
    expect(empty.outcome === 'quarantined' && empty.reason).toMatch(/^empty file/);
    expect(old.outcome === 'quarantined' && old.reason).toMatch(
      /Excel 97-2003 workbook \(\.xls\), which the lake cannot read: save it as \.xlsx or CSV/,
    );
    expect(old.outcome === 'quarantined' && old.quarantine.key).toMatch(
      /^_quarantine\/vitals\/([0-9a-f]{64})\/\1\.xls$/,
    );
    expect(broken.outcome === 'quarantined' && broken.reason).toMatch(/cannot tell which dataset the file holds/);
    for (const result of [empty, old, broken])
      expect(result.outcome === 'quarantined' && result.reason).not.toMatch(/readings|empty\.csv/);
    expect(await rawKeys()).toEqual([]);
  });

  it('lands a workbook once per dataset its sheets hold, and a second drop of it as a duplicate of each', async () => {
    // Prepare: vitals, ECG (by sheet name) and gait (by header) sheets beside a cover sheet
    const workbook = await readFile(
      fileURLToPath(new URL('../formats/fixtures/ward-export-openpyxl.xlsx', import.meta.url)),
    );
    // Act
    const first = await drop('inbox/ward 5.xlsx', workbook);
    const again = await drop('inbox/ward 5 (copy).xlsx', workbook);
    // Assess
    const hash = createHash('sha256').update(workbook).digest('hex');
    const landings = (result: LandDroppedObjectResult) =>
      result.outcome === 'quarantined' ? [] : result.landings.map((l) => [l.outcome, l.dataset, l.raw.key]);
    expect(first.outcome).toBe('landed');
    expect(landings(first)).toEqual(
      ['vitals', 'ecg', 'gait'].map((d) => ['landed', d, rawKey(d, 'dropzone', hash, 'xlsx')]),
    );
    expect(again.outcome).toBe('duplicate');
    expect(landings(again)).toEqual(
      ['vitals', 'ecg', 'gait'].map((d) => ['duplicate', d, rawKey(d, 'dropzone', hash, 'xlsx')]),
    );
    expect(await rawKeys()).toHaveLength(3);
  });

  it('accepts JSON Lines and detects its dataset from the field names', async () => {
    // Prepare
    const jsonl = '{"patient_id":"P-1","recorded_at":"2024-03-01T08:00:00Z","site":"SG","heart_rate_bpm":70}\n';

    // Act
    const result = await drop('partner/feed.jsonl', jsonl);

    // Assess
    expect(result.outcome === 'landed' && rawOf(result).key).toBe(rawKey('vitals', 'dropzone', sha256(jsonl), 'jsonl'));
  });

  it('plans a raw object into one NormalizeChunkMessage and a planned manifest', async () => {
    // Prepare
    const landed = await drop('vitals/wednesday.csv', VITALS_CSV);
    if (landed.outcome === 'quarantined') throw new Error('drop was quarantined');

    // Act
    const plan = await planRawObject(lake, rawOf(landed));

    // Assess
    expect(plan).toEqual({ dataset: 'vitals', contentHash: landed.contentHash, chunks: 1, alreadyComplete: false });
    const messages = await lake.queue.list(lake.names.queues.normalize);
    expect(messages).toHaveLength(1);
    const body = JSON.parse(messages[0]?.body ?? 'null') as NormalizeChunkMessage;
    const expected: NormalizeChunkMessage = {
      kind: 'normalize-chunk',
      dataset: 'vitals',
      format: 'csv',
      raw: rawOf(landed),
      contentHash: landed.contentHash,
      ingestedAt: now.toISOString(),
      chunk: { index: 0, count: 1 },
    };
    expect(body).toEqual(expected);
    const manifest = await readFileManifest(lake.store, lake.names, 'vitals', landed.contentHash);
    expect(manifest).toMatchObject({
      status: 'planned',
      chunkCount: 1,
      format: 'csv',
      raw: rawOf(landed),
      landedAt: now.toISOString(),
    });
  });

  it('sends nothing for a raw object whose file manifest is already complete', async () => {
    // Prepare
    const landed = await drop('vitals/thursday.csv', VITALS_CSV);
    if (landed.outcome === 'quarantined') throw new Error('drop was quarantined');
    await planRawObject(lake, rawOf(landed));
    await writeChunkManifest(lake.store, lake.names, {
      dataset: 'vitals',
      contentHash: landed.contentHash,
      raw: rawOf(landed),
      index: 0,
      rowsIn: 2,
      rowsWritten: 2,
      rowsRejected: 0,
      rowsDuplicate: 0,
      outputKeys: [],
      partitions: [],
      writtenAt: now.toISOString(),
    });
    await completeIfAllChunksDone(lake.store, lake.names, 'vitals', landed.contentHash);
    const before = (await lake.queue.list(lake.names.queues.normalize)).length;

    // Act
    const plan = await planRawObject(lake, rawOf(landed));

    // Assess
    expect(plan.alreadyComplete).toBe(true);
    expect(await lake.queue.list(lake.names.queues.normalize)).toHaveLength(before);
  });

  it('refuses to plan an object outside the raw layout', async () => {
    await lake.store.put(lake.names.buckets.raw, 'vitals/readme.txt', 'hello');

    await expect(planRawObject(lake, { bucket: lake.names.buckets.raw, key: 'vitals/readme.txt' })).rejects.toThrow(
      RawObjectLayoutError,
    );
  });
});
