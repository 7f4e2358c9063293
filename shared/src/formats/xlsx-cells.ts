/**
 * Workbook cells as the text a CSV export would hold: formulas give their cached
 * result, dates (real date cells, or serials in a date format) their wall-clock
 * ISO text without an offset, rich text its plain text, numbers stored as text
 * stay text.
 */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A date cell as wall-clock text: exceljs reads the serial as UTC, so the UTC fields are the wall clock. */
function dateText(date: Date): string {
  const day = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  const ms = date.getUTCMilliseconds();
  if (date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0 && ms === 0) return day;
  return `${day}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${ms > 0 ? `.${pad(ms, 3)}` : ''}`;
}

/** A cell value as the text a CSV export would hold. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : dateText(value);
  if (typeof value === 'object') {
    const cell = value as {
      result?: unknown;
      formula?: unknown;
      sharedFormula?: unknown;
      richText?: { text?: unknown }[];
      text?: unknown;
      error?: unknown;
    };
    if ('formula' in cell || 'sharedFormula' in cell) return cellText(cell.result);
    if (Array.isArray(cell.richText))
      return cell.richText.map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
    if (typeof cell.text === 'string') return cell.text;
    // '#N/A', '#DIV/0!': kept, so the row's rejection names what the cell held.
    if (typeof cell.error === 'string') return cell.error;
  }
  return '';
}
