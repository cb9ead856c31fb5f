// Run ids ("75336c35b98c-s10": a configuration's hash and a seed) in the order a person counts them:
// digits compare as numbers, so seed 2 comes before seed 10, and a configuration's runs stay together.
const collator = new Intl.Collator('en', { numeric: true });

export function compareRunIds(a: string, b: string): number {
  // ids the collator finds equal ("s1", "s01") are still two runs: their text decides, so the order is total
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
