/** The fleet's one seeded random sequence; every draw is taken in the same order, so a seed always gives the same files. */

/** mulberry32: small, fast, and good enough for synthetic data. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws from one random sequence: a real in a range, a whole number in a range (both ends in), an item. */
export interface Draws {
  random: () => number;
  between: (min: number, max: number) => number;
  int: (min: number, max: number) => number;
  pick: <T>(items: readonly T[]) => T;
}

export function drawsFrom(random: () => number): Draws {
  const between = (min: number, max: number) => min + random() * (max - min);
  return {
    random,
    between,
    int: (min, max) => Math.floor(between(min, max + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T,
  };
}

/** `value` to `digits` decimals, as a number. */
export const round = (value: number, digits: number) => Number(value.toFixed(digits));
