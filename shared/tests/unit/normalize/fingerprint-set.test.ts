import { FingerprintSet } from '../../../src/normalize/fingerprint-set';

describe('FingerprintSet', () => {
  it('says a key is new once, and a duplicate after that, across many growths', () => {
    // Prepare: a set that starts tiny, so 50,000 keys make it grow a dozen times
    const seen = new FingerprintSet(1);
    const keys = Array.from({ length: 50_000 }, (_, i) => `token-${i % 7}\u001f2026-01-02T08:${String(i).padStart(6, '0')}`);
    // Act
    const firstTime = keys.map((key) => seen.add(key));
    const secondTime = keys.map((key) => seen.add(key));
    // Assess
    expect(firstTime.every(Boolean)).toBe(true);
    expect(secondTime.some(Boolean)).toBe(false);
    expect(seen.size).toBe(50_000);
  });

  it('tells apart keys that differ only in order or by one character', () => {
    const seen = new FingerprintSet();
    expect(seen.add('a\u001fb')).toBe(true);
    expect(seen.add('b\u001fa')).toBe(true);
    expect(seen.add('a\u001fc')).toBe(true);
    expect(seen.add('')).toBe(true);
    expect(seen.add('')).toBe(false);
  });
});
