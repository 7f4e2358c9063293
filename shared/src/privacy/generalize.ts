/**
 * Generalization of quasi-identifiers (HIPAA Safe Harbor): birth dates become
 * birth years with the very old top-coded, postal codes keep a short prefix.
 */

/**
 * The birth year to publish for someone born on `birth` (UTC midnight of the
 * birth date), as of `asOf`. Whoever is `topCodeAge` or older is reported as
 * born in `asOf`'s year minus `topCodeAge`, so a 97-year-old and a 90-year-old
 * are indistinguishable. Returns undefined for a birth date after `asOf`.
 */
export function birthYear(birth: Date, asOf: Date, topCodeAge: number): number | undefined {
  if (birth.getTime() > asOf.getTime()) return undefined;
  const year = birth.getUTCFullYear();
  const nowYear = asOf.getUTCFullYear();
  const hadBirthday =
    asOf.getUTCMonth() > birth.getUTCMonth() ||
    (asOf.getUTCMonth() === birth.getUTCMonth() && asOf.getUTCDate() >= birth.getUTCDate());
  const age = nowYear - year - (hadBirthday ? 0 : 1);
  return age >= topCodeAge ? nowYear - topCodeAge : year;
}

/**
 * US 3-digit ZIP prefixes covering 20,000 people or fewer (2000 Census, as
 * listed by HHS for Safe Harbor): they must be published as `000`.
 */
export const RESTRICTED_ZIP3: ReadonlySet<string> = new Set([
  '036',
  '059',
  '063',
  '102',
  '203',
  '556',
  '692',
  '790',
  '821',
  '823',
  '830',
  '831',
  '878',
  '879',
  '884',
  '890',
  '893',
]);

/**
 * The first `keep` characters of a postal code, spaces and dashes removed and
 * upper-cased (`"SW1A 1AA"` -> `"SW1"`). For the US site a sparsely populated
 * ZIP3 becomes `000`. Returns undefined for an empty code.
 */
export function truncatePostal(code: string, keep: number, site?: string): string | undefined {
  let compact = '';
  for (let i = 0; i < code.length && compact.length < keep; i++) {
    const c = code[i];
    if (c !== undefined && c !== ' ' && c !== '-' && c !== '\u00a0') compact += c;
  }
  if (compact.length === 0) return undefined;
  compact = compact.toUpperCase();
  if (site === 'US' && keep === 3 && RESTRICTED_ZIP3.has(compact)) return '000';
  return compact;
}
