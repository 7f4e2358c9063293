import { parseNumber } from '../../../src/normalize/values';

describe('parseNumber', () => {
  it.each([
    ['72', 72],
    ['-3', -3],
    ['36.6', 36.6],
    ['72.', 72],
    ['.5', 0.5],
    ['+4', 4],
    ['1e3', 1000],
    ['1 234.5', 1234.5],
  ])('reads %j as %p', (text, value) => {
    expect(parseNumber(text, false)).toBe(value);
  });

  it.each(['', '.', '-', '0x10', 'Infinity', '72 bpm', '1,5', '1.2.3', '--1'])('refuses %j', (text) => {
    expect(parseNumber(text, false)).toBeNaN();
  });

  it('reads a decimal comma, and dots as thousands beside one, when the source writes them', () => {
    expect(parseNumber('36,6', true)).toBe(36.6);
    // Without a comma a dot is still the decimal point: tools mix locales within one export.
    expect(parseNumber('36.6', true)).toBe(36.6);
    expect(parseNumber('1.234,5', true)).toBe(1234.5);
    expect(parseNumber('72', true)).toBe(72);
  });
});
