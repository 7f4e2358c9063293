import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { scanCsvChunks } from '../../../src/formats/csv-chunks';
import { readCsv } from '../../../src/formats/csv';
import type { SourceItem } from '../../../src/formats/records';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The bytes as a stream of small pieces, so records straddle pieces as they do in S3 bodies. */
const streamOf = (bytes: Buffer, piece = 7) => Readable.from(Array.from({ length: Math.ceil(bytes.length / piece) }, (_, i) => bytes.subarray(i * piece, (i + 1) * piece)));

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
    const input = Buffer.concat([bytes.subarray(header.start, header.end + 1), bytes.subarray(chunk.range.start, chunk.range.end + 1)]);
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
    for (const [name, delimiter] of [['semicolon-decimal-comma.csv', ';'], ['quoted.csv', ','], ['ragged.csv', ','], ['bom-crlf.csv', ','], ['blank-lines.csv', ',']] as const) {
      const bytes = readFileSync(join(fixtures, name));
      const whole = await itemsOf(streamOf(bytes)).then(([, ...rest]) => rest, () => []);
      const { items } = await readInChunks(bytes, 16, delimiter);
      expect({ name, items }).toEqual({ name, items: whole });
    }
  });

  it('has no chunk for a file that is only a header, or only blank lines', async () => {
    expect((await scanCsvChunks(streamOf(Buffer.from('a,b\n')), { size: 4, chunkBytes: 1, delimiter: ',' })).chunks).toEqual([]);
    expect((await scanCsvChunks(streamOf(Buffer.from('\n\n , \n')), { size: 7, chunkBytes: 1, delimiter: ',' })).chunks).toEqual([]);
  });
});
