/**
 * The dialect of a CSV file, guessed from a sample of its first bytes: the
 * delimiter (`,`, or `;` and tabs from European locales) and the encoding
 * (UTF-8 when the sample decodes strictly, else windows-1252).
 */

export type CsvDelimiter = ',' | ';' | '\t';

const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t'];

/** Picks the delimiter that occurs most often outside quotes on the first line; `,` on a tie or none. */
export function sniffDelimiter(text: string): CsvDelimiter {
  const counts = new Map<CsvDelimiter, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && (c === ',' || c === ';' || c === '\t')) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let best: CsvDelimiter = ',';
  for (const d of DELIMITERS) if ((counts.get(d) ?? 0) > (counts.get(best) ?? 0)) best = d;
  return best;
}

/** UTF-8 when the sample decodes strictly (a multi-byte character cut at the sample's end is fine), else windows-1252. */
export function sniffEncoding(sample: Buffer): 'utf-8' | 'windows-1252' {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

// Node's TextDecoder('windows-1252') decodes 0x80..0x9F as C1 controls (latin1), not as
// windows-1252's € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ: map them here.
const CP1252_C1 =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
const HAS_C1 = /[\u0080-\u009f]/;
const C1_CONTROLS = /[\u0080-\u009f]/g;

/** Fixes Node's latin1-style decoding of windows-1252 bytes 0x80..0x9F. */
export function fixWindows1252(text: string): string {
  return HAS_C1.test(text) ? text.replace(C1_CONTROLS, (c) => CP1252_C1[c.charCodeAt(0) - 0x80] ?? c) : text;
}
