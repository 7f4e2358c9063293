import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { CuratedColumn, CuratedValue } from '../../../src/datasets/contract';
import { openParquetWriter } from '../../../src/formats/parquet';
import { ParquetValueError } from '../../../src/formats/parquet-staging';

const column = (name: string, type: CuratedColumn['type']): CuratedColumn => ({
  name,
  type,
  description: name,
  pii: 'none',
});
const COLUMNS = [
  column('note', 'string'),
  column('count', 'integer'),
  column('reading', 'double'),
  column('flag', 'boolean'),
  column('day', 'date'),
  column('at', 'timestamp'),
  column('_source_hash', 'string'),
  column('_ingested_at', 'timestamp'),
];
const INGESTED = new Date('2026-01-02T03:04:05.678Z');

describe('the curated Parquet writer', () => {
  let dir: string;
  let db: DuckDBInstance;

  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-parquet-it-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function readBack(path: string): Promise<Record<string, unknown>[]> {
    const connection = await db.connect();
    try {
      const sql = `SELECT note, count, reading, flag, CAST(day AS VARCHAR) AS day, epoch_ms("at") AS "at", _source_hash, epoch_ms(_ingested_at) AS ingested FROM read_parquet('${path}')`;
      return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    } finally {
      connection.closeSync();
    }
  }

  it('writes every column type, awkward text and nulls as given, and constant lineage columns on every row', async () => {
    // Prepare
    const path = join(dir, 'out.parquet');
    const writer = await openParquetWriter(path, COLUMNS, {
      constants: { _source_hash: 'abc123', _ingested_at: INGESTED },
    });
    const rows: CuratedValue[][] = [
      ['plain', 1, 36.6, true, '2024-03-01', new Date('2024-03-01T08:00:00.123Z'), 'ignored', null],
      [
        'comma, "quotes"\nand a newline\x1fand a unit separator',
        -5,
        -0.5,
        false,
        '1950-12-31',
        new Date('1999-12-31T23:59:59Z'),
        null,
        null,
      ],
      ['', null, null, null, null, null, 'ignored', 'ignored'],
      [null, 0, 0, false, '2024-02-29', new Date(0), null, null],
    ];
    // Act
    for (const row of rows) writer.append(row);
    await writer.close();
    // Assess
    expect(await readBack(path)).toEqual([
      {
        note: 'plain',
        count: '1',
        reading: 36.6,
        flag: true,
        day: '2024-03-01',
        at: '1709280000123',
        _source_hash: 'abc123',
        ingested: String(INGESTED.getTime()),
      },
      {
        note: 'comma, "quotes"\nand a newline\x1fand a unit separator',
        count: '-5',
        reading: -0.5,
        flag: false,
        day: '1950-12-31',
        at: String(Date.parse('1999-12-31T23:59:59Z')),
        _source_hash: 'abc123',
        ingested: String(INGESTED.getTime()),
      },
      {
        note: '',
        count: null,
        reading: null,
        flag: null,
        day: null,
        at: null,
        _source_hash: 'abc123',
        ingested: String(INGESTED.getTime()),
      },
      {
        note: null,
        count: '0',
        reading: 0,
        flag: false,
        day: '2024-02-29',
        at: '0',
        _source_hash: 'abc123',
        ingested: String(INGESTED.getTime()),
      },
    ]);
    expect(readdirSync(dir)).toEqual(['out.parquet']);
  });

  it('refuses a value of the wrong type, and a constant for a column it does not have, before writing anything', async () => {
    const writer = await openParquetWriter(join(dir, 'bad.parquet'), COLUMNS);
    expect(() => writer.append(['x', 1.5, 1, true, '2024-03-01', null, null, null])).toThrow(ParquetValueError);
    expect(() => writer.append(['x', 1, 1, true, '01/03/2024', null, null, null])).toThrow('column day is date');
    writer.abort();
    await expect(openParquetWriter(join(dir, 'other.parquet'), COLUMNS, { constants: { nope: 'x' } })).rejects.toThrow(
      ParquetValueError,
    );
    await expect(openParquetWriter(join(dir, 'other.parquet'), COLUMNS, { constants: { count: 1.5 } })).rejects.toThrow(
      'column count is integer',
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('converts many files closed at once in one process, as concurrent normalizers do, within its memory cap', async () => {
    // Prepare: six writers of 30,000 rows each
    const rows = 30_000;
    const writers = await Promise.all(
      Array.from({ length: 6 }, (_, w) =>
        openParquetWriter(join(dir, `part-${w}.parquet`), COLUMNS, {
          constants: { _source_hash: `h${w}`, _ingested_at: INGESTED },
        }),
      ),
    );
    for (const [w, writer] of writers.entries()) {
      for (let i = 0; i < rows; i++)
        writer.append([
          `note ${w}-${i}`,
          i,
          i / 7,
          i % 2 === 0,
          '2024-03-01',
          new Date(1709280000000 + i * 1000),
          null,
          null,
        ]);
    }
    // Act: all closed at once
    const closed = await Promise.all(writers.map((writer) => writer.close()));
    // Assess
    expect(closed.map((c) => c.rows)).toEqual(Array(6).fill(rows));
    const connection = await db.connect();
    try {
      const counts = (
        await connection.runAndReadAll(
          `SELECT _source_hash, count(*)::INTEGER AS n FROM read_parquet('${join(dir, 'part-*.parquet')}') GROUP BY ALL ORDER BY 1`,
        )
      ).getRowObjectsJson();
      expect(counts).toEqual(Array.from({ length: 6 }, (_, w) => ({ _source_hash: `h${w}`, n: rows })));
    } finally {
      connection.closeSync();
    }
  });
});
