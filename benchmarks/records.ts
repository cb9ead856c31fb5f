// The emulation benchmarks' input: one run of a committed records file (runs.jsonl), by seed and,
// where a file holds several widths, by the first hidden layer's width.
import { readFileSync } from 'node:fs';
import type { RunRecord } from '../src/experiment/results.js';
import type { RunConfig } from '../src/experiment/spec.js';

/** The record of `seed` (and `hidden` neurons) in `file`; says what is missing and exits 2 when none. */
export function recordOfSeed(file: string, seed: number, hidden?: number): RunRecord & { config: RunConfig } {
  const record = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .find((r) => r.seed === seed && (hidden === undefined || r.config.architecture.hidden[0] === hidden));
  if (!record) {
    console.error(`${file} has no run with seed ${seed}${hidden === undefined ? '' : ` and ${hidden} hidden neurons`}`);
    process.exit(2);
  }
  return record;
}
