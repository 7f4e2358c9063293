/**
 * Issue 3's workbook bench: a generated 200,000-row vitals workbook (written by
 * exceljs's streaming writer, shared strings on, as Excel saves) normalized by
 * normalizeChunk on the local lake, in a child process so its peak RSS is its own.
 *
 *   node --import tsx src/normalize-xlsx.ts [rows]
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Figures } from './child';
import { runChild } from './child';
import { normalizeWholeFile } from './whole-file';

/** Writes the workbook: a title row, the header, then `rows` readings with real date cells. */
async function generateWorkbook(path: string, rows: number): Promise<void> {
  const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: true });
  const sheet = writer.addWorksheet('Readings');
  sheet.addRow(['Ward vitals export']).commit();
  sheet
    .addRow(['patient_id', 'device_serial', 'recorded_at', 'site', 'heart_rate_bpm', 'spo2_pct', 'temperature_c'])
    .commit();
  const start = Date.UTC(2024, 2, 1);
  for (let i = 0; i < rows; i++) {
    const patient = (i * 7919) % 5_000;
    const row = sheet.addRow([
      `SG-MRN-${String(patient).padStart(6, '0')}`,
      `PLW-2A-${String(patient).padStart(8, '0')}`,
      new Date(start + i * 15_000),
      'SG',
      55 + (i % 50),
      92 + (i % 8),
      36 + (i % 16) / 10,
    ]);
    row.getCell(3).numFmt = 'yyyy-mm-dd hh:mm:ss';
    row.commit();
  }
  sheet.commit();
  await writer.commit();
}

/** Generates the workbook and normalizes it in a child process. */
export async function benchNormalizeXlsx(rows: number): Promise<Figures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-xlsx-'));
  try {
    const path = join(dir, 'vitals.xlsx');
    await generateWorkbook(path, rows);
    const figures = await runChild(import.meta.url, ['--pipeline', path]);
    return [{ ...figures, file_mib: Math.round((statSync(path).size / 2 ** 20) * 10) / 10 }];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [, , mode, first] = process.argv;
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  if (mode === '--pipeline' && first !== undefined) {
    const contentHash = createHash('sha256').update(readFileSync(first)).digest('hex');
    console.log(
      JSON.stringify(await normalizeWholeFile(first, { contentHash, format: 'xlsx', bench: 'normalize-xlsx' })),
    );
  } else for (const figures of await benchNormalizeXlsx(Number(mode ?? 200_000))) console.log(JSON.stringify(figures));
}
