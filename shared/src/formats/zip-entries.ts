/**
 * Just enough of the ZIP format to read a workbook safely with a streaming
 * reader: the central directory (names, offsets, declared sizes) of a zip file
 * on disk, and a stream of its entries re-ordered, each entry's bytes (local
 * header, data, descriptor) copied verbatim. A streaming reader then sees the
 * parts it needs first before the parts that depend on them, whatever order
 * the writing tool chose.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** Where its local header starts. */
  offset: number;
  compressedSize: number;
  uncompressedSize: number;
}

/** The bytes are not a zip file this reader understands (not a zip, truncated, or ZIP64). */
export class ZipFormatError extends Error {
  override name = 'ZipFormatError';
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const MAX_COMMENT = 0xffff;

function read(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const got = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, got);
}

/** The entries of the zip file at `path`, from its central directory, and where that directory starts. */
export function centralDirectory(path: string): { entries: ZipEntry[]; directoryOffset: number; size: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const tailLength = Math.min(size, 22 + MAX_COMMENT);
    const tail = read(fd, size - tailLength, tailLength);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        at = i;
        break;
      }
    }
    if (at < 0) throw new ZipFormatError('no zip end-of-directory record');
    const count = tail.readUInt16LE(at + 10);
    const directorySize = tail.readUInt32LE(at + 12);
    const directoryOffset = tail.readUInt32LE(at + 16);
    if (count === 0xffff || directoryOffset === 0xffffffff)
      throw new ZipFormatError('ZIP64 archives are not supported');
    if (directoryOffset + directorySize > size)
      throw new ZipFormatError('the zip directory lies past the end of the file (truncated?)');
    const directory = read(fd, directoryOffset, directorySize);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > directory.length || directory.readUInt32LE(p) !== CENTRAL)
        throw new ZipFormatError('a zip directory record is damaged');
      const nameLength = directory.readUInt16LE(p + 28);
      const extraLength = directory.readUInt16LE(p + 30);
      const commentLength = directory.readUInt16LE(p + 32);
      entries.push({
        name: directory.toString('utf8', p + 46, p + 46 + nameLength),
        compressedSize: directory.readUInt32LE(p + 20),
        uncompressedSize: directory.readUInt32LE(p + 24),
        offset: directory.readUInt32LE(p + 42),
      });
      p += 46 + nameLength + extraLength + commentLength;
    }
    return { entries, directoryOffset, size };
  } finally {
    closeSync(fd);
  }
}

/** An entry to add to the stream that the file does not have. */
export interface AddedEntry {
  name: string;
  content: Buffer;
}

/** A stored (uncompressed) entry: local header, name, content. */
function storedEntry(entry: AddedEntry): Buffer {
  const name = Buffer.from(entry.name, 'utf8');
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(0x0800, 6); // UTF-8 name
  header.writeUInt16LE(0, 8); // stored
  header.writeUInt16LE(0, 10);
  header.writeUInt16LE(0x21, 12); // 1980-01-01
  header.writeUInt32LE(crc32(entry.content), 14);
  header.writeUInt32LE(entry.content.length, 18);
  header.writeUInt32LE(entry.content.length, 22);
  header.writeUInt16LE(name.length, 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, name, entry.content]);
}

/**
 * The zip file's entries as one stream, in the order `rank` gives (lower first,
 * ties in file order), then the original directory: what a streaming unzip reads.
 */
export function reorderedEntries(
  path: string,
  rank: (name: string) => number,
  added: readonly AddedEntry[] = [],
): Readable {
  const { entries, directoryOffset, size } = centralDirectory(path);
  const byOffset = [...entries].sort((a, b) => a.offset - b.offset);
  const extents: { entry: { name: string; offset: number }; end: number; bytes?: Buffer }[] = byOffset.map(
    (entry, i) => ({ entry, end: byOffset[i + 1]?.offset ?? directoryOffset }),
  );
  for (const extra of added)
    extents.push({ entry: { name: extra.name, offset: -1 }, end: -1, bytes: storedEntry(extra) });
  const ordered = extents
    .map((extent, index) => ({ ...extent, index }))
    .sort((a, b) => rank(a.entry.name) - rank(b.entry.name) || a.index - b.index);
  async function* bytes(): AsyncGenerator<Buffer> {
    const fd = openSync(path, 'r');
    try {
      const copy = function* (from: number, to: number) {
        for (let at = from; at < to; at += 1 << 20) yield read(fd, at, Math.min(1 << 20, to - at));
      };
      for (const { entry, end, bytes: own } of ordered) {
        if (own !== undefined) yield own;
        else yield* copy(entry.offset, end);
      }
      // The directory as it was (its offsets now stale): a streaming reader only needs it to see the entries end.
      yield* copy(directoryOffset, size);
    } finally {
      closeSync(fd);
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
