import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../../../src/formats/csv';
import { sniffDelimiter } from '../../../src/formats/csv-dialect';
import type { CsvReadOptions } from '../../../src/formats/csv';
import { readJsonl, scanJsonlHeader } from '../../../src/formats/jsonl';
import type { SourceItem } from '../../../src/formats/records';
import { EmptySourceError, SourceFormatError } from '../../../src/formats/records';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const open = (name: string, highWaterMark?: number) =>
  createReadStream(join(fixtures, name), highWaterMark ? { highWaterMark } : {});

async function collect(batches: AsyncIterable<SourceItem[]>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}

async function readFixture(name: string, options?: CsvReadOptions) {
  const items = await collect(readCsv(open(name), options));
  const [header, ...rest] = items;
  if (header?.kind !== 'header') throw new Error(`${name} yielded no header first`);
  return {
    header,
    rows: rest.flatMap((i) => (i.kind === 'row' ? [i] : [])),
    problems: rest.flatMap((i) => (i.kind === 'problem' ? [i] : [])),
  };
}

describe('readCsv', () => {
  it('refuses an empty file with EmptySourceError', async () => {
    await expect(collect(readCsv(open('empty.csv')))).rejects.toThrow(EmptySourceError);
    await expect(collect(readCsv(open('blank-lines.csv')))).rejects.toThrow('the file is empty: it has no header row');
  });

  it('yields the header and no rows for a header-only file', async () => {
    const { header, rows, problems } = await readFixture('header-only.csv');
    expect(header.fields).toEqual(['patient_id', 'recorded_at', 'site', 'heart_rate_bpm']);
    expect(rows).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('strips a UTF-8 BOM and reads CRLF line endings', async () => {
    const { header, rows } = await readFixture('bom-crlf.csv');
    expect(header.fields[0]).toBe('patient_id');
    expect(header.dialect).toEqual({
      format: 'csv',
      delimiter: ',',
      encoding: 'utf-8',
      bom: true,
      decimalComma: false,
    });
    expect(rows.map((r) => r.fields)).toEqual([
      ['P-1001', '2024-03-01T08:00:00Z', 'SG', '72'],
      ['P-1002', '2024-03-01T08:05:00Z', 'US', '65'],
    ]);
    expect(rows.map((r) => [r.record, r.line])).toEqual([
      [1, 2],
      [2, 3],
    ]);
  });

  it('keeps quoted commas, quoted newlines and doubled quotes inside one field, counting physical lines', async () => {
    const { rows } = await readFixture('quoted.csv');
    expect(rows.map((r) => r.fields[1])).toEqual(['dizzy, then fine', 'line one\nline two', 'said "ok"']);
    expect(rows.map((r) => [r.record, r.line])).toEqual([
      [1, 2],
      [2, 3],
      [3, 5],
    ]);
  });

  it('detects a semicolon export and reports its decimal comma', async () => {
    const { header, rows } = await readFixture('semicolon-decimal-comma.csv');
    expect(header.dialect.delimiter).toBe(';');
    expect(header.dialect.decimalComma).toBe(true);
    expect(rows.map((r) => r.fields[3])).toEqual(['36,6', '37,1']);
  });

  it('detects a tab-separated file', async () => {
    const { header, rows } = await readFixture('tab.tsv');
    expect(header.dialect.delimiter).toBe('\t');
    expect(rows[0]?.fields).toEqual(['P-1', '2024-03-01T08:00:00Z', 'SG']);
  });

  it('decodes windows-1252 bytes (Zürich, São Paulo, the euro sign) when the file is not UTF-8', async () => {
    const { header, rows } = await readFixture('windows-1252.csv');
    expect(header.dialect.encoding).toBe('windows-1252');
    expect(rows.map((r) => r.fields[1])).toEqual(['Zürich', 'São Paulo €']);
  });

  it('reads the same records whatever the stream chunk size', async () => {
    const whole = await collect(readCsv(open('quoted.csv')));
    const tiny = await collect(readCsv(open('quoted.csv', 3)));
    expect(tiny).toEqual(whole);
  });

  it('turns ragged rows into row-level problems without field values, and tolerates trailing empty fields and blank lines', async () => {
    const { rows, problems } = await readFixture('ragged.csv');
    expect(rows.map((r) => [r.fields[0], r.record, r.line])).toEqual([
      ['P-1', 1, 2],
      ['P-4', 4, 5],
      ['P-5', 5, 7],
    ]);
    expect(rows[1]?.fields).toHaveLength(3);
    expect(problems).toEqual([
      {
        kind: 'problem',
        record: 2,
        line: 3,
        rule: 'field_count',
        reason: 'record 2 (line 3) has 2 fields but the header has 3; a delimiter or quote is missing or extra',
      },
      {
        kind: 'problem',
        record: 3,
        line: 4,
        rule: 'field_count',
        reason: 'record 3 (line 4) has 4 fields but the header has 3; a delimiter or quote is missing or extra',
      },
    ]);
    expect(JSON.stringify(problems)).not.toContain('P-2');
  });

  it('refuses a file whose bytes stop being UTF-8 after a UTF-8 start', async () => {
    const { Readable } = await import('node:stream');
    const input = Readable.from([
      Buffer.from('patient_id,city\nP-1,Zürich\n'),
      Buffer.from([0x50, 0x2d, 0x32, 0x2c, 0xfc, 0x0a]),
    ]);
    await expect(collect(readCsv(input, { sampleBytes: 8 }))).rejects.toThrow(SourceFormatError);
  });
});

describe('sniffDelimiter', () => {
  it('ignores delimiters inside quotes and defaults to a comma', () => {
    expect(sniffDelimiter('"a;b;c",d,e\n1;2;3;4;5')).toBe(',');
    expect(sniffDelimiter('single column\n')).toBe(',');
    expect(sniffDelimiter('a;b;c\r\n')).toBe(';');
  });
});

describe('readJsonl', () => {
  it('derives the header from the union of keys in order first seen', async () => {
    const header = await scanJsonlHeader(open('vitals.jsonl'));
    expect(header).toEqual([
      'patient_id',
      'recorded_at',
      'site',
      'heart_rate_bpm',
      'spo2_pct',
      'flags',
      'device_serial',
      'ok',
    ]);
  });

  it('yields rows in header order and malformed lines as row-level problems', async () => {
    const header = await scanJsonlHeader(open('vitals.jsonl'));
    const items = await collect(readJsonl(open('vitals.jsonl'), header));
    expect(items[0]).toEqual({
      kind: 'header',
      fields: header,
      dialect: { format: 'jsonl', encoding: 'utf-8', bom: false, decimalComma: false },
    });
    expect(items.slice(1)).toEqual([
      { kind: 'row', record: 1, line: 1, fields: ['P-1', '2024-03-01T08:00:00Z', 'SG', '72', '', '', '', ''] },
      { kind: 'row', record: 2, line: 2, fields: ['P-2', '', 'US', '', '97.5', '["a"]', '', ''] },
      { kind: 'problem', record: 3, line: 4, rule: 'malformed_json', reason: 'record 3 (line 4) is not a JSON object' },
      { kind: 'problem', record: 4, line: 5, rule: 'malformed_json', reason: 'record 4 (line 5) is not a JSON object' },
      { kind: 'row', record: 5, line: 6, fields: ['P-3', '2024-03-01T09:00:00Z', 'US', '', '', '', '', 'true'] },
    ]);
  });

  it('refuses a file without any JSON object', async () => {
    await expect(scanJsonlHeader(open('empty.jsonl'))).rejects.toThrow(EmptySourceError);
  });
});
