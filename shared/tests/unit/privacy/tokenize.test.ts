import { createTokenizer, keptTokenizer, PseudonymizationKeyError } from '../../../src/privacy/tokenize';

const keyA = Buffer.alloc(32, 1);
const keyB = Buffer.alloc(32, 2);

describe('tokenize', () => {
  it('tokens are stable for the same key and differ across keys', () => {
    // Prepare
    const first = createTokenizer(keyA);
    const again = createTokenizer(Buffer.from(keyA));
    const other = createTokenizer(keyB);
    // Act
    const token = first.token('patient_token', 'SG-MRN-00001');
    // Assess
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(again.token('patient_token', 'SG-MRN-00001')).toBe(token);
    expect(other.token('patient_token', 'SG-MRN-00001')).not.toBe(token);
    expect(token).not.toContain('MRN');
  });

  it('gives a patient id and a device serial with the same text different tokens', () => {
    const tokenizer = createTokenizer(keyA);
    expect(tokenizer.token('patient_token', 'ABC-123')).not.toBe(tokenizer.token('device_token', 'ABC-123'));
  });

  it('treats case and surrounding spaces as the same identifier', () => {
    const tokenizer = createTokenizer(keyA);
    expect(tokenizer.token('patient_token', '  sg-mrn-00001 ')).toBe(tokenizer.token('patient_token', 'SG-MRN-00001'));
  });

  it('keeps giving the same token once the cache has evicted a value', () => {
    // Prepare: a cache of two, filled past its bound
    const tokenizer = createTokenizer(keyA, { cacheSize: 2 });
    const before = tokenizer.token('patient_token', 'P-1');
    tokenizer.token('patient_token', 'P-2');
    tokenizer.token('patient_token', 'P-3');
    // Act + Assess
    expect(tokenizer.token('patient_token', 'P-1')).toBe(before);
  });

  it('refuses a key too short to be a secret', () => {
    expect(() => createTokenizer(Buffer.alloc(8, 1))).toThrow(PseudonymizationKeyError);
    expect(() => createTokenizer(Buffer.alloc(8, 1))).toThrow(/8 bytes; at least 16/);
  });

  it('is not affected by the caller reusing its key buffer', () => {
    const key = Buffer.alloc(32, 3);
    const tokenizer = createTokenizer(key);
    const before = createTokenizer(Buffer.alloc(32, 3)).token('patient_token', 'P-1');
    key.fill(0);
    expect(tokenizer.token('patient_token', 'P-1')).toBe(before);
  });
});

describe('a tokenizer for one namespace', () => {
  it('gives the tokens token() gives in that namespace', () => {
    const tokenizer = createTokenizer(Buffer.alloc(32, 3));
    const patient = tokenizer.forNamespace('patient_token');
    expect(patient('SG-MRN-1')).toBe(tokenizer.token('patient_token', 'SG-MRN-1'));
    expect(patient(' sg-mrn-1 ')).toBe(tokenizer.token('patient_token', 'SG-MRN-1'));
    expect(patient('SG-MRN-1')).not.toBe(tokenizer.token('device_token', 'SG-MRN-1'));
  });
});

describe('the kept tokenizer', () => {
  it('is the same tokenizer while the key is the same, and a new one with new tokens when the key changes', () => {
    const key = Buffer.alloc(32, 7);
    const first = keptTokenizer(key);
    expect(keptTokenizer(Buffer.from(key))).toBe(first);

    const rotated = keptTokenizer(Buffer.alloc(32, 8));
    expect(rotated).not.toBe(first);
    expect(rotated.token('patient_token', 'SG-MRN-001')).toBe(
      createTokenizer(Buffer.alloc(32, 8)).token('patient_token', 'SG-MRN-001'),
    );
    expect(rotated.token('patient_token', 'SG-MRN-001')).not.toBe(
      createTokenizer(key).token('patient_token', 'SG-MRN-001'),
    );
  });
});
