import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { scanCsvChunks } from '../../../src/formats/csv-chunks';
import { readCsv } from '../../../src/formats/csv';
import type { SourceItem } from '../../../src/formats/records';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The bytes as a stream of small pieces, so records straddle pieces as they do in S3 bodies. */
const streamOf = (bytes: Buffer, piece = 7) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / piece) }, (_, i) => bytes.subarray(i * piece, (i + 1) * piece)),
  );

async function itemsOf(input: Readable, options: Parameters<typeof readCsv>[1] = {}): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const batch of readCsv(input, options)) items.push(...batch);
  return items;
}

/** Reads every chunk as a normalizer would (header bytes, then the chunk's range) and joins the items after each header. */
async function readInChunks(bytes: Buffer, chunkBytes: number, delimiter: ',' | ';' | '\t' = ',') {
  const { header, chunks } = await scanCsvChunks(streamOf(bytes), { size: bytes.length, chunkBytes, delimiter });
  const items: SourceItem[] = [];
  for (const chunk of chunks) {
    const input = Buffer.concat([
      bytes.subarray(header.start, header.end + 1),
      bytes.subarray(chunk.range.start, chunk.range.end + 1),
    ]);
    const [, ...rest] = await itemsOf(streamOf(input), { continueAt: { record: chunk.record, line: chunk.line } });
    items.push(...rest);
  }
  return { header, chunks, items };
}

describe('scanCsvChunks', () => {
  const awkward = Buffer.from(
    '\ufeff\r\n' +
      'patient_id,note,site\r\n' +
      'P-1,"dizzy, then fine",SG\r\n' +
      '\r\n' +
      ' , ,\r\n' +
      'P-2,"line one\r\nline two\nline three",US\r\n' +
      'P-3,"said ""ok""\n, twice",SG\r\n' +
      'P-4,5\'10" tall,US\r\n' +
      'P-5,too,many,fields\r\n' +
      '"P-6","",SG\r\n' +
      'P-7,last without newline,US',
    'utf8',
  );

  it('cuts only between records, whatever the chunk size, and every chunk reads back to the same rows, numbers and lines as the whole file', async () => {
    // Prepare: the whole file read at once is the reference
    const [, ...whole] = await itemsOf(streamOf(awkward));
    expect(whole.filter((i) => i.kind === 'row')).toHaveLength(6);
    for (let chunkBytes = 1; chunkBytes <= awkward.length + 1; chunkBytes++) {
      // Act
      const { items, chunks } = await readInChunks(awkward, chunkBytes);
      // Assess
      expect({ chunkBytes, items }).toEqual({ chunkBytes, items: whole });
      for (const [i, chunk] of chunks.entries()) {
        if (i > 0) expect(chunk.range.start).toBe((chunks[i - 1]?.range.end ?? -2) + 1);
        expect(awkward[chunk.range.start - 1]).toBe(0x0a);
      }
      expect(chunks.at(-1)?.range.end).toBe(awkward.length - 1);
    }
  });

  it('cuts a large file into near-equal chunks of about the chunk size', async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => `P-${i},"note ${i}\nsecond line",SG\n`).join('');
    const bytes = Buffer.from(`patient_id,note,site\n${rows}`);
    const { chunks, items } = await readInChunks(bytes, 64 * 1024);
    expect(chunks).toHaveLength(Math.ceil(bytes.length / (64 * 1024)));
    const sizes = chunks.map((c) => c.range.end - c.range.start + 1);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(100);
    expect(items).toHaveLength(10_000);
    expect(items.at(-1)).toMatchObject({ kind: 'row', record: 10_000, line: 20_000 });
  });

  it('reads semicolon exports and real fixtures the same in chunks as whole', async () => {
    for (const [name, delimiter] of [
      ['semicolon-decimal-comma.csv', ';'],
      ['quoted.csv', ','],
      ['ragged.csv', ','],
      ['bom-crlf.csv', ','],
      ['blank-lines.csv', ','],
    ] as const) {
      const bytes = readFileSync(join(fixtures, name));
      const whole = await itemsOf(streamOf(bytes)).then(
        ([, ...rest]) => rest,
        () => [],
      );
      const { items } = await readInChunks(bytes, 16, delimiter);
      expect({ name, items }).toEqual({ name, items: whole });
    }
  });

  it('has no chunk for a file that is only a header, or only blank lines', async () => {
    expect(
      (await scanCsvChunks(streamOf(Buffer.from('a,b\n')), { size: 4, chunkBytes: 1, delimiter: ',' })).chunks,
    ).toEqual([]);
    expect(
      (await scanCsvChunks(streamOf(Buffer.from('\n\n , \n')), { size: 7, chunkBytes: 1, delimiter: ',' })).chunks,
    ).toEqual([]);
  });
});

describe('readCsv on quote-free text (split directly, without csv-parse)', () => {
  /** A deterministic mess of quote-free lines: LF and CRLF, blank and ragged lines, stray CRs, trailing delimiters, non-ASCII. */
  function messyText(seed: number, delimiter: string): string {
    let state = seed;
    const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const cells = ['P-1', '', ' 72 ', 'Zoë', '36.6', 'a\rb', '東京', '2024-03-01T08:00:00Z'];
    const lines = ['patient_id,heart_rate_bpm,site'.replace(/,/g, delimiter)];
    for (let i = 0; i < 300; i++) {
      const width = random() < 0.1 ? Math.floor(random() * 5) : 3;
      lines.push(Array.from({ length: width }, () => cells[Math.floor(random() * cells.length)]).join(delimiter));
    }
    return (
      lines.map((line) => line + (random() < 0.3 ? '\r\n' : '\n')).join('') +
      (seed % 2 ? 'P-9;9;SG'.replace(/;/g, delimiter) : '')
    );
  }

  it.each([',', ';', '\t'])(
    'gives exactly the records csv-parse gives, with the same line numbers (delimiter %j)',
    async (delimiter) => {
      const { parse } = await import('csv-parse/sync');
      for (const seed of [1, 2, 3, 4]) {
        const text = messyText(seed, delimiter);
        // Reference: csv-parse over the whole text; quote-free, so record n is physical line n.
        const reference = (
          parse(text, { delimiter, record_delimiter: ['\r\n', '\n'], relax_column_count: true }) as string[][]
        )
          .map((fields, index) => ({ fields, line: index + 1 }))
          .filter(({ fields }) => fields.some((f) => f.trim() !== ''));
        const [header, ...items] = await itemsOf(streamOf(Buffer.from(text), 13), {
          delimiter: delimiter as ',' | ';' | '\t',
        });
        expect(header).toMatchObject({ kind: 'header', fields: reference[0]?.fields });
        const width = reference[0]?.fields.length ?? 0;
        const trimmed = (fields: string[]) =>
          fields.length > width && fields.slice(width).every((f) => f.trim() === '') ? fields.slice(0, width) : fields;
        expect(
          items.map((item) => [item.kind === 'header' ? 0 : item.line, item.kind === 'row' ? item.fields : item.kind]),
        ).toEqual(
          reference
            .slice(1)
            .map(({ fields, line }) => [line, trimmed(fields).length === width ? trimmed(fields) : 'problem']),
        );
      }
    },
  );
});
