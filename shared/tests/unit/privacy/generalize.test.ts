import { birthYear, truncatePostal } from '../../../src/privacy/generalize';

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

describe('birthYear', () => {
  it('keeps the birth year of a patient under 90', () => {
    expect(birthYear(day('1950-06-15'), day('2026-01-05'), 90)).toBe(1950);
  });

  it('top-codes ages over 89', () => {
    // 97 years old: reported as born 90 years before the ingest year.
    expect(birthYear(day('1928-03-01'), day('2026-01-05'), 90)).toBe(1936);
  });

  it('top-codes from the 90th birthday on, not from the 90th birth year', () => {
    const asOf = day('2026-06-01');
    expect(birthYear(day('1936-06-02'), asOf, 90)).toBe(1936); // still 89
    expect(birthYear(day('1936-06-01'), asOf, 90)).toBe(1936); // 90 today: top-coded to the same year
    expect(birthYear(day('1935-12-31'), asOf, 90)).toBe(1936); // 90: reported as 1936, not 1935
  });

  it('returns nothing for a birth date after the reference date', () => {
    expect(birthYear(day('2027-01-01'), day('2026-01-05'), 90)).toBeUndefined();
  });
});

describe('truncatePostal', () => {
  it('keeps the first three characters without spaces or dashes', () => {
    expect(truncatePostal('560123', 3, 'SG')).toBe('560');
    expect(truncatePostal('02139-4307', 3, 'US')).toBe('021');
    expect(truncatePostal(' sw1a 1aa', 3)).toBe('SW1');
  });

  it('publishes sparsely populated US ZIP3s as 000', () => {
    expect(truncatePostal('03601', 3, 'US')).toBe('000');
    expect(truncatePostal('89301', 3, 'US')).toBe('000');
    // The same digits are an ordinary prefix in Singapore.
    expect(truncatePostal('036010', 3, 'SG')).toBe('036');
  });

  it('returns nothing for an empty code', () => {
    expect(truncatePostal('  ', 3, 'US')).toBeUndefined();
  });
});
