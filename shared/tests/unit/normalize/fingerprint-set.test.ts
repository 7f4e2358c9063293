import { FingerprintSet, KeyFingerprint } from '../../../src/normalize/fingerprint-set';

const print = new KeyFingerprint();
const of = (...parts: (string | number | null)[]) => {
  print.start();
  for (const part of parts) {
    if (typeof part === 'string') print.addString(part);
    else if (typeof part === 'number') print.addNumber(part);
    else print.addNull();
  }
  return print.value();
};

describe('KeyFingerprint', () => {
  it('is the same for the same parts and differs when parts move, merge, or change by one character', () => {
    expect(of('token-a', 1709280000000)).toBe(of('token-a', 1709280000000));
    const variants = [
      of('token-a', 1709280000000),
      of('token-a', 1709280000001),
      of('token-b', 1709280000000),
      of(1709280000000, 'token-a'),
      of('ab', 'c'),
      of('a', 'bc'),
      of('abc'),
      of('', 'abc'),
      of(null, 'abc'),
      of('abc', null),
      of(0),
      of(null),
    ];
    expect(of(-0)).toBe(of(0));
    expect(new Set(variants).size).toBe(variants.length);
  });
});

describe('FingerprintSet', () => {
  it('says a key is new once, and a duplicate after that, across many growths', () => {
    // Prepare: a set that starts tiny, so 50,000 keys make it grow a dozen times
    const seen = new FingerprintSet(1);
    const prints = Array.from({ length: 50_000 }, (_, i) => of(`token-${i % 7}`, 1709280000000 + i));
    // Act
    const firstTime = prints.map((p) => seen.add(p));
    const secondTime = prints.map((p) => seen.add(p));
    // Assess
    expect(firstTime.every(Boolean)).toBe(true);
    expect(secondTime.some(Boolean)).toBe(false);
    expect(seen.size).toBe(50_000);
  });
});
