/**
 * Deduplication memory for one chunk: a set of 53-bit fingerprints of dedupe
 * keys in a flat Float64Array (open addressing). A JS Set of a million such
 * numbers boxes each one and costs ~5x the memory and a good share of a
 * chunk's CPU; this costs 16 bytes per row at most and no garbage.
 */

/**
 * A 53-bit fingerprint of a dedupe key (two 32-bit FNV-style passes). The chance
 * that two different keys collide in a million-row chunk is about 5e-5.
 */
export function fingerprint(key: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) >>> 11);
}

export class FingerprintSet {
  /** 0 marks an empty slot, so the fingerprint 0 is stored as 1 (one more collision in 2^53). */
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

  /** Adds the fingerprint of `key`; false when it was already there (a duplicate). */
  add(key: string): boolean {
    const print = fingerprint(key) || 1;
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
