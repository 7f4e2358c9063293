/**
 * Deduplication memory for one chunk: a set of 53-bit fingerprints of dedupe
 * keys (KeyFingerprint) in a flat Float64Array (open addressing). A JS Set of a million such
 * numbers boxes each one and costs ~5x the memory and a good share of a
 * chunk's CPU; this costs 16 bytes per row at most and no garbage.
 */

const SEPARATOR = 0x1f;
const NULL_TAG = 0x100;
const NUMBER_TAG = 0x101;

/**
 * A 53-bit fingerprint of a dedupe key, fed part by part so no key string is
 * built per row (two 32-bit FNV-style lanes). The chance that two different
 * keys collide in a million-row chunk is about 5e-5. One instance is reused:
 * `start()`, then one `add*` per key part, then `value()`.
 */
export class KeyFingerprint {
  private a = 0;
  private b = 0;
  private parts = 0;
  private readonly float = new Float64Array(1);
  private readonly words = new Uint32Array(this.float.buffer);

  start(): this {
    this.a = 0x811c9dc5;
    this.b = 0x01000193;
    this.parts = 0;
    return this;
  }

  private mix(code: number): void {
    this.a = Math.imul(this.a ^ code, 0x01000193);
    this.b = Math.imul(this.b ^ code, 0x5bd1e995);
  }

  private next(): void {
    if (this.parts++ > 0) this.mix(SEPARATOR);
  }

  addString(text: string): this {
    this.next();
    for (let i = 0; i < text.length; i++) this.mix(text.charCodeAt(i));
    this.mix(text.length);
    return this;
  }

  /** A number by its exact bits (a timestamp as its epoch milliseconds). */
  addNumber(value: number): this {
    this.next();
    // -0 and 0 are the same value in every query.
    this.float[0] = value === 0 ? 0 : value;
    this.mix(NUMBER_TAG);
    this.mix(this.words[0] as number);
    this.mix(this.words[1] as number);
    return this;
  }

  addNull(): this {
    this.next();
    this.mix(NULL_TAG);
    return this;
  }

  /** The fingerprint: an integer in [1, 2^53). */
  value(): number {
    return (this.a >>> 0) * 0x200000 + ((this.b >>> 0) >>> 11) || 1;
  }
}

export class FingerprintSet {
  /** 0 marks an empty slot; fingerprints are never 0. */
  private slots: Float64Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 1 << 16) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.slots = new Float64Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds a KeyFingerprint value; false when it was already there (a duplicate). */
  add(print: number): boolean {
    if (!this.insert(this.slots, this.mask, print)) return false;
    this.count++;
    if (this.count * 2 > this.slots.length) this.grow();
    return true;
  }

  private insert(slots: Float64Array, mask: number, print: number): boolean {
    // The low bits of the fingerprint are as well mixed as the high ones.
    let at = print % (mask + 1);
    for (;;) {
      const held = slots[at] as number;
      if (held === 0) {
        slots[at] = print;
        return true;
      }
      if (held === print) return false;
      at = (at + 1) & mask;
    }
  }

  private grow(): void {
    const slots = new Float64Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (const print of this.slots) if (print !== 0) this.insert(slots, mask, print);
    this.slots = slots;
    this.mask = mask;
  }
}
