import { lakeNames } from '../../../src/lake/names';
import {
  chunkManifestKey,
  completionMarkerKey,
  crawlerStateKey,
  curatedPartKey,
  datasetLocation,
  extensionOf,
  fileManifestKey,
  LakeKeyError,
  parseRawKey,
  partitionLocation,
  quarantineCopyKey,
  quarantineReasonKey,
  rawKey,
  rejectsKey,
} from '../../../src/lake/keys';

const HASH = `ab12cd34ef56ab78${'0'.repeat(48)}`;

describe('lake keys', () => {
  it('builds a raw key and reads it back', () => {
    // Act
    const key = rawKey('vitals', 'dropzone', HASH, 'csv');

    // Assess
    expect(key).toBe(`vitals/dropzone/${HASH}.csv`);
    expect(parseRawKey(key)).toEqual({ dataset: 'vitals', source: 'dropzone', contentHash: HASH, ext: 'csv' });
  });

  it('does not read keys outside the raw layout', () => {
    expect(parseRawKey(`vitals/elsewhere/${HASH}.csv`)).toBeUndefined();
    expect(parseRawKey('vitals/dropzone/not-a-hash.csv')).toBeUndefined();
    expect(parseRawKey(`Vitals/dropzone/${HASH}.csv`)).toBeUndefined();
  });

  it('names curated part files by hash prefix and 4-digit chunk, under site and dt', () => {
    expect(curatedPartKey('curated', 'vitals', 'SG', '2024-03-01', HASH, 7)).toBe(
      'curated/vitals/site=SG/dt=2024-03-01/part-ab12cd34ef56ab78-0007.parquet',
    );
    expect(curatedPartKey('staging', 'gait', 'US', '2024-12-31', HASH, 0)).toBe(
      'staging/gait/site=US/dt=2024-12-31/part-ab12cd34ef56ab78-0000.parquet',
    );
  });

  it('refuses partition values that would break the layout', () => {
    expect(() => curatedPartKey('curated', 'vitals', 'FR', '2024-03-01', HASH, 0)).toThrow(LakeKeyError);
    expect(() => curatedPartKey('curated', 'vitals', 'SG', '2024-02-30', HASH, 0)).toThrow(/not a calendar date/);
    expect(() => curatedPartKey('curated', 'vitals', 'SG', '2024-02-01', 'abc', 0)).toThrow(/64 lower-case hex/);
    expect(() => curatedPartKey('curated', 'vitals', 'SG', '2024-02-01', HASH, 10000)).toThrow(/0\.\.9999/);
  });

  it('places manifests, markers, rejects and quarantine where the interfaces say', () => {
    expect(fileManifestKey('vitals', HASH)).toBe(`_manifests/vitals/${HASH}.json`);
    expect(chunkManifestKey('vitals', HASH, 3)).toBe(`_manifests/vitals/${HASH}/chunk-3.json`);
    expect(completionMarkerKey('vitals', HASH)).toBe(`_manifests/vitals/${HASH}/complete.json`);
    expect(rejectsKey('vitals', HASH, 12)).toBe('rejects/vitals/ab12cd34ef56ab78-0012.jsonl');
    expect(quarantineCopyKey(undefined, HASH, 'inbox/2024/Tan Mei Ling.csv')).toBe(
      `_quarantine/_unknown/${HASH}/${HASH}.csv`,
    );
    expect(quarantineCopyKey('vitals', HASH, 'vitals/no extension')).toBe(`_quarantine/vitals/${HASH}/${HASH}.bin`);
    expect(quarantineReasonKey('vitals', HASH)).toBe(`quarantine/vitals/${HASH}/reason.json`);
  });

  it('never lets a quarantined file named reason.json overwrite its reason', () => {
    expect(quarantineCopyKey('vitals', HASH, 'vitals/reason.json')).not.toBe(quarantineReasonKey('vitals', HASH));
  });

  it('gives s3 locations of tables and partitions in the curated bucket', () => {
    const names = lakeNames('dev');
    expect(datasetLocation(names, 'curated', 'vitals')).toBe('s3://pulse-lake-dev-curated/curated/vitals/');
    expect(partitionLocation(names, 'staging', 'gait', 'US', '2024-01-02')).toBe(
      's3://pulse-lake-dev-curated/staging/gait/site=US/dt=2024-01-02/',
    );
  });

  it('reads extensions case-insensitively', () => {
    expect(extensionOf('Vitals/Export.CSV')).toBe('csv');
    expect(extensionOf('vitals/README')).toBe('');
    expect(extensionOf('vitals/.hidden')).toBe('');
  });

  it("keeps a crawler's last kick under _state/crawlers/, and refuses a name that would leave that folder", () => {
    expect(crawlerStateKey(lakeNames('dev').crawlers.staging)).toBe(
      '_state/crawlers/pulse-lake-dev-staging-crawler.json',
    );
    expect(() => crawlerStateKey('../_manifests/vitals')).toThrow(LakeKeyError);
    expect(() => crawlerStateKey('')).toThrow(LakeKeyError);
  });
});
