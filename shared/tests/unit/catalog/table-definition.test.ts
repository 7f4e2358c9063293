import { curatedColumns } from '../../../src/datasets/contract';
import type { DatasetContract } from '../../../src/datasets/contract';
import { vitals } from '../../../src/datasets/vitals';
import { DATASETS } from '../../../src/datasets/registry';
import { databaseFor, partitionInput, tableInput } from '../../../src/catalog/table-definition';
import { lakeNames } from '../../../src/lake/names';
import { LakeKeyError } from '../../../src/lake/keys';

const names = lakeNames('dev');

describe('table definition from a contract', () => {
  it('describes vitals as an external Parquet table without direct identifier columns', () => {
    // Act
    const table = tableInput(vitals, names);

    // Assess
    const columnNames = table.StorageDescriptor.Columns.map((c) => c.Name);
    expect(columnNames).toEqual(curatedColumns(vitals).map((c) => c.name));
    expect(columnNames).not.toContain('patient_id');
    expect(columnNames).not.toContain('device_serial');
    expect(columnNames).not.toContain('site');
    expect(columnNames).toEqual(
      expect.arrayContaining(['patient_token', 'device_token', '_source_hash', '_ingested_at']),
    );
    expect(table.StorageDescriptor.Columns.some((c) => c.Parameters?.['pulse_lake.pii'] === 'direct')).toBe(false);
    expect(table.TableType).toBe('EXTERNAL_TABLE');
    expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    );
    expect(table.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat');
    expect(table.StorageDescriptor.OutputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat');
    expect(table.StorageDescriptor.Location).toBe('s3://pulse-lake-dev-curated/curated/vitals/');
  });

  it('has the partition keys site and dt as strings', () => {
    expect(tableInput(vitals, names).PartitionKeys.map((k) => [k.Name, k.Type])).toEqual([
      ['site', 'string'],
      ['dt', 'string'],
    ]);
  });

  it('maps contract types to Hive types and carries unit and PII class per column', () => {
    const columns = new Map(tableInput(vitals, names).StorageDescriptor.Columns.map((c) => [c.Name, c]));

    expect(columns.get('heart_rate_bpm')).toEqual({
      Name: 'heart_rate_bpm',
      Type: 'double',
      Comment: 'Heart rate (bpm)',
      Parameters: { 'pulse_lake.pii': 'none', 'pulse_lake.unit': 'bpm' },
    });
    expect(columns.get('recorded_at')?.Type).toBe('timestamp');
    expect(columns.get('_source_line')?.Type).toBe('bigint');
    expect(columns.get('patient_token')?.Parameters).toEqual({ 'pulse_lake.pii': 'identifier' });
  });

  it('records the dataset, contract version, stage and curated dedupe key as table parameters', () => {
    expect(tableInput(vitals, names).Parameters).toEqual({
      classification: 'parquet',
      EXTERNAL: 'TRUE',
      'pulse_lake.dataset': 'vitals',
      'pulse_lake.contract_version': '1',
      'pulse_lake.dedupe_key': 'patient_token,device_token,recorded_at',
      'pulse_lake.stage': 'curated',
    });
  });

  it('puts staging contracts in the staging database under the staging prefix', () => {
    const trial: DatasetContract = { ...vitals, name: 'vitals_trial', stage: 'staging' };

    expect(databaseFor(trial, names)).toBe(names.databases.staging);
    expect(databaseFor(vitals, names)).toBe(names.databases.curated);
    expect(tableInput(trial, names).StorageDescriptor.Location).toBe(
      's3://pulse-lake-dev-curated/staging/vitals_trial/',
    );
  });

  it('locates a partition under its site and date', () => {
    const partition = partitionInput(vitals, names, { site: 'SG', dt: '2024-03-01' });

    expect(partition.Values).toEqual(['SG', '2024-03-01']);
    expect(partition.StorageDescriptor.Location).toBe(
      's3://pulse-lake-dev-curated/curated/vitals/site=SG/dt=2024-03-01/',
    );
    expect(partition.StorageDescriptor.Columns).toEqual(tableInput(vitals, names).StorageDescriptor.Columns);
  });

  it('refuses a partition whose date is not a date', () => {
    expect(() => partitionInput(vitals, names, { site: 'SG', dt: '03/01/2024' })).toThrow(LakeKeyError);
  });

  it.each(DATASETS.map((d) => [d.name, d] as const))(
    'derives a table for %s with no direct identifier column and no column named like a raw identifier',
    (_name, contract) => {
      const table = tableInput(contract, names);

      const columnNames = new Set(table.StorageDescriptor.Columns.map((c) => c.Name));
      const rawIdentifierNames = contract.columns
        .filter((c) => c.pii === 'direct' || c.pii === 'identifier')
        .map((c) => c.name);
      expect(rawIdentifierNames.filter((name) => columnNames.has(name))).toEqual([]);
      expect(table.StorageDescriptor.Columns.every((c) => c.Parameters?.['pulse_lake.pii'] !== 'direct')).toBe(true);
      expect(table.PartitionKeys.map((k) => k.Name)).toEqual(['site', 'dt']);
    },
  );
});
