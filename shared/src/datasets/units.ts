/**
 * Units: the spellings sources use for them, and the conversions to each
 * column's canonical unit. A contract names units by their canonical id
 * (`C`, `mcg`, `ms`); sources may write `°F`, `µg`, `msec`, ...
 */

/** A conversion from a source unit to a canonical one. */
export type Conversion = (value: number) => number;

const SPELLINGS: Readonly<Record<string, readonly string[]>> = {
  C: ['c', '°c', 'degc', 'deg c', 'celsius', 'centigrade', 'ºc'],
  F: ['f', '°f', 'degf', 'deg f', 'fahrenheit', 'ºf'],
  mg: ['mg', 'milligram', 'milligrams', 'mgs'],
  mcg: ['mcg', 'µg', 'μg', 'ug', 'microgram', 'micrograms'],
  g: ['g', 'gram', 'grams', 'gm'],
  ms: ['ms', 'msec', 'millisecond', 'milliseconds'],
  s: ['s', 'sec', 'secs', 'second', 'seconds'],
  m: ['m', 'meter', 'meters', 'metre', 'metres'],
  cm: ['cm', 'centimeter', 'centimeters', 'centimetre', 'centimetres'],
  'm/s': ['m/s', 'mps', 'meters per second', 'metres per second'],
  'km/h': ['km/h', 'kmh', 'kph', 'km/hr'],
  'cm/s': ['cm/s', 'cms'],
  bpm: ['bpm', 'beats/min', 'beats per minute', '/min'],
  '%': ['%', 'pct', 'percent'],
  mmHg: ['mmhg', 'mm hg'],
  'breaths/min': ['breaths/min', 'breaths per minute', 'rpm'],
  'steps/min': ['steps/min', 'spm', 'steps per minute'],
  steps: ['steps', 'step'],
  deg: ['deg', '°', 'degrees', 'degree', 'º'],
};

const BY_SPELLING = new Map<string, string>();
for (const [unit, spellings] of Object.entries(SPELLINGS)) {
  BY_SPELLING.set(unit.toLowerCase(), unit);
  for (const spelling of spellings) BY_SPELLING.set(spelling, unit);
}

/** Canonical-unit conversions: `CONVERSIONS[to][from]`. */
const CONVERSIONS: Readonly<Record<string, Readonly<Record<string, Conversion>>>> = {
  C: { F: (f) => ((f - 32) * 5) / 9 },
  F: { C: (c) => (c * 9) / 5 + 32 },
  mg: { mcg: (v) => v / 1000, g: (v) => v * 1000 },
  mcg: { mg: (v) => v * 1000, g: (v) => v * 1_000_000 },
  ms: { s: (v) => v * 1000 },
  s: { ms: (v) => v / 1000 },
  m: { cm: (v) => v / 100 },
  'm/s': { 'km/h': (v) => v / 3.6, 'cm/s': (v) => v / 100 },
};

/**
 * The canonical id of a unit as a source spells it (`°F` -> `F`, `µg` -> `mcg`),
 * or undefined when the spelling is not known. Case and surrounding spaces are ignored.
 */
export function canonicalUnit(spelling: string): string | undefined {
  const key = spelling.trim().toLowerCase();
  return BY_SPELLING.get(key) ?? BY_SPELLING.get(key.replace(/\s+/g, ''));
}

/**
 * The conversion from `from` to `to` (both canonical ids): identity when equal,
 * undefined when there is none.
 */
export function conversion(from: string, to: string): Conversion | undefined {
  if (from === to) return identity;
  return CONVERSIONS[to]?.[from];
}

const identity: Conversion = (value) => value;
