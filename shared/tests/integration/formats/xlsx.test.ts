import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { detectDatasetOfSheet } from '../../../src/datasets/registry';
import type { SourceItem } from '../../../src/formats/records';
import { SourceFormatError } from '../../../src/formats/records';
import type { SheetReport, XlsxReadOptions } from '../../../src/formats/xlsx';
import { readXlsx } from '../../../src/formats/xlsx';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Reads as the vitals normalizer does: vitals headers wanted, other datasets named in the report. */
async function readVitals(input: Readable, extra: Partial<XlsxReadOptions> = {}) {
  const report: SheetReport[] = [];
  const items: SourceItem[] = [];
  const options: XlsxReadOptions = {
    isHeader: (fields, sheetName) => detectDatasetOfSheet(sheetName, fields)?.name === 'vitals',
    describeHeader: (fields, sheetName) => detectDatasetOfSheet(sheetName, fields)?.name,
    report,
    ...extra,
  };
  for await (const batch of readXlsx(input, options)) items.push(...batch);
  return { items, report };
}

describe('readXlsx', () => {
  it('reads a workbook written by openpyxl: header below title rows, date cells as wall-clock text, numbers stored as text, every sheet reported', async () => {
    const { items, report } = await readVitals(createReadStream(join(fixtures, 'vitals-openpyxl.xlsx')));
    expect(items[0]).toEqual({
      kind: 'header',
      fields: ['Patient ID', 'device_serial', 'recorded_at', 'site', 'heart_rate_bpm', 'spo2_pct'],
      dialect: { format: 'xlsx', encoding: 'utf-8', bom: false, decimalComma: false },
    });
    expect(items.slice(1)).toEqual([
      {
        kind: 'row',
        record: 1,
        line: 5,
        sheet: 1,
        fields: ['SG-MRN-81001', 'PLW-2A-81001', '2024-03-01T08:30:00', 'SG', '72', '97'],
      },
      {
        kind: 'row',
        record: 2,
        line: 6,
        sheet: 1,
        fields: ['SG-MRN-81002', 'PLW-2A-81002', '2024-03-01T09:00:00+08:00', 'SG', '81', '98'],
      },
      {
        kind: 'row',
        record: 3,
        line: 7,
        sheet: 1,
        fields: ['SG-MRN-81003', 'PLW-2A-81003', '2024-03-01T10:15:30', 'SG', '900', '96'],
      },
      {
        kind: 'row',
        record: 4,
        line: 9,
        sheet: 1,
        fields: ['SG-MRN-81004', 'PLW-2A-81004', '2024-03-02', 'SG', '64', '95'],
      },
    ]);
    expect(report).toEqual([
      { sheet: 1, status: 'read', rows: 4 },
      { sheet: 2, status: 'other_dataset', dataset: 'gait' },
      { sheet: 3, status: 'hidden' },
      { sheet: 4, status: 'no_header' },
    ]);
  });

  it('reads a header merged down over two rows, a header cell merged across columns, and tells sheets of other datasets by name or header', async () => {
    // Prepare: openpyxl's ward export (make-openpyxl-fixtures.py): a cover sheet, then vitals, ECG and gait sheets
    const input = createReadStream(join(fixtures, 'ward-export-openpyxl.xlsx'));
    // Act
    const { items, report } = await readVitals(input);
    // Assess: site comes from the cell merged down from the group row; recorded_at's second column is blank
    expect(items[0]).toMatchObject({
      kind: 'header',
      fields: ['patient_id', 'device_serial', 'recorded_at', '', 'site', 'heart_rate_bpm'],
    });
    expect(items.slice(1)).toEqual([
      {
        kind: 'row',
        record: 1,
        line: 3,
        sheet: 2,
        fields: ['SG-MRN-85001', 'PLW-2A-85001', '2024-03-04T07:00:00', '', 'SG', '71'],
      },
      {
        kind: 'row',
        record: 2,
        line: 4,
        sheet: 2,
        fields: ['SG-MRN-85002', 'PLW-2A-85002', '2024-03-04T07:05:00', '', 'SG', '66'],
      },
    ]);
    expect(report).toEqual([
      { sheet: 1, status: 'no_header' },
      { sheet: 2, status: 'read', rows: 2 },
      // Its header alone reads as vitals; the sheet is named ECG.
      { sheet: 3, status: 'other_dataset', dataset: 'ecg' },
      { sheet: 4, status: 'other_dataset', dataset: 'gait' },
    ]);
  });

  it('reads formulas by their cached result, rich text as text, and keeps error cells visible', async () => {
    // Prepare: a workbook as Excel saves it, with computed results stored beside the formulas
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Vitals');
    sheet.addRow(['patient_id', 'device_serial', 'recorded_at', 'site', 'heart_rate_bpm', 'spo2_pct']);
    sheet.addRow([
      { richText: [{ text: 'SG-MRN-' }, { text: '82001', font: { bold: true } }] },
      'PLW-1',
      '2024-03-01T08:00:00Z',
      'SG',
      { formula: '70+2', result: 72 },
      { error: '#N/A' },
    ]);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    // Act
    const { items } = await readVitals(Readable.from([bytes]));
    // Assess
    expect(items[1]).toEqual({
      kind: 'row',
      record: 1,
      line: 2,
      sheet: 1,
      fields: ['SG-MRN-82001', 'PLW-1', '2024-03-01T08:00:00Z', 'SG', '72', '#N/A'],
    });
  });

  it('refuses a workbook past its cell limit, and bytes that are no workbook, with a reason', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Vitals');
    for (let i = 0; i < 50; i++) sheet.addRow(['SG-MRN-1', 'PLW-1', '2024-03-01T08:00:00Z', 'SG', 70, 97]);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    await expect(readVitals(Readable.from([bytes]), { maxCells: 100 })).rejects.toThrow(/more than 100 cells/);
    await expect(readVitals(Readable.from([Buffer.from('patient_id,site\nP-1,SG\n')]))).rejects.toThrow(
      SourceFormatError,
    );
  });

  it('refuses a workbook that unpacks past its size limit before reading a row (zip bombs)', async () => {
    // Prepare: 40,000 identical rows: a small file that unpacks to several MiB
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Vitals');
    for (let i = 0; i < 40_000; i++) sheet.addRow(['SG-MRN-1', 'PLW-1', '2024-03-01T08:00:00Z', 'SG', 70, 97]);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    // Act + Assess
    expect(bytes.length).toBeLessThan(1024 * 1024);
    await expect(readVitals(Readable.from([bytes]), { maxUncompressedBytes: 1024 * 1024 })).rejects.toThrow(
      /the workbook unpacks to \d+ MiB, more than the 1 MiB allowed/,
    );
  });

  it('reads an openpyxl workbook the same every time, though its sheets come before the parts they depend on', async () => {
    const reads = await Promise.all(
      Array.from({ length: 8 }, () => readVitals(createReadStream(join(fixtures, 'vitals-openpyxl.xlsx')))),
    );
    for (const { items, report } of reads) {
      expect(report[0]).toEqual({ sheet: 1, status: 'read', rows: 4 });
      expect(items[1]).toMatchObject({
        fields: ['SG-MRN-81001', 'PLW-2A-81001', '2024-03-01T08:30:00', 'SG', '72', '97'],
      });
    }
  });
});
