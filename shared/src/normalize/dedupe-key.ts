/**
 * The dedupe key of an accepted row as one number: equal fingerprints are the
 * same record, so a chunk keeps 8 bytes per row to drop its duplicates.
 */
import type { CuratedValue, DatasetContract, Site } from '../datasets/contract';
import { KeyFingerprint } from './fingerprint-set';

/**
 * The fingerprinter of `contract`'s dedupe key over a row's curated values
 * (`slotOf`: the values slot of each curated source column). The site column
 * has no slot (it lives in the path): the row's site stands for it.
 */
export function dedupeKeyFingerprinter(
  contract: DatasetContract,
  slotOf: ReadonlyMap<string, number>,
): (values: readonly CuratedValue[], site: Site) => number {
  const slots = contract.dedupeKey.map((name) => slotOf.get(name) ?? -1);
  const isSite = contract.dedupeKey.map((name) => name === contract.siteColumn);
  const keyPrint = new KeyFingerprint();
  return (values, site) => {
    const print = keyPrint.start();
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k] ?? -1;
      const value = slot >= 0 ? values[slot] : isSite[k] === true ? site : null;
      if (typeof value === 'string') print.addString(value);
      else if (value instanceof Date) print.addNumber(value.getTime());
      else if (typeof value === 'number') print.addNumber(value);
      else if (typeof value === 'boolean') print.addNumber(value ? 1 : 0);
      else print.addNull();
    }
    return print.value();
  };
}
