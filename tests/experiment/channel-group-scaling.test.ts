// Pair channels and three-neuron channels follow different laws as the barrier rises (committed
// float64 records, benchmarks/results/channel-groups-scaling: the same runs trained to maxnorm 10³,
// 10⁴, 10⁵). Per tenfold rise the outgoing weights grow by √10; a pair's spread shrinks by √10
// (ε ∝ 1/o) and its T_2 by 10, while three neurons' spread shrinks by 10^{1/4} (ε ∝ o^{−1/2}) and
// their T_2 stays put: the σ″ term of their limit is real (channel-limit.ts).
//
// Tolerances: measured ratios per decade are 3.17–3.23 (pair spread), 1.80–1.94 (three's spread),
// ‖T_2‖ within 4.5% across two decades; asserted to [2.9, 3.4], [1.6, 2.1] and 6%.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { channelLimit } from '../../src/analysis/channel-limit.js';
import type { RunRecord } from '../../src/experiment/results.js';
import { parseParameterFile } from '../../src/model/params-file.js';

const recordsOf = (width: string): RunRecord[] =>
  readFileSync(new URL(`../../benchmarks/results/channel-groups-scaling/${width}/runs.jsonl`, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

/** the run's channel at each barrier, carried by `members` (read off the flow sweep's analysis) */
function followed(width: string, seed: number, members: number[]) {
  return recordsOf(width)
    .filter((record) => record.seed === seed && record.stopReason === 'barrier')
    .map((record) => ({ record, maxnorm: (record.config as { maxnorm: number }).maxnorm }))
    .sort((p, q) => p.maxnorm - q.maxnorm)
    .map(({ record, maxnorm }) => {
      const { arch, theta } = parseParameterFile(JSON.stringify(record.params), record.id);
      const limit = channelLimit(arch, theta, 0, members);
      const spread = Math.max(...limit.offsets.map((offset) => Math.hypot(...offset)));
      return { maxnorm, spread, sizes: limit.sizes.map((size) => size[0]), weight: Math.max(...limit.outgoing.map((o) => Math.abs(o[0]))) };
    });
}

describe('channels as the barrier rises tenfold and a hundredfold', () => {
  it('a pair: spread ∝ 1/o, T_0 and T_1 fixed, T_2 → 0 like ε²', () => {
    for (const [width, seed, members] of [['r4', 11, [1, 2]], ['r4', 14, [0, 1]], ['r8', 1, [0, 7]]] as const) {
      const levels = followed(width, seed, [...members]);
      expect(levels.length, `${width} seed ${seed}`).toBeGreaterThanOrEqual(2);
      for (let k = 1; k < levels.length; k++) {
        const [before, after] = [levels[k - 1], levels[k]];
        expect(after.weight / before.weight).toBeGreaterThan(2.9);
        expect(before.spread / after.spread).toBeGreaterThan(2.9);
        expect(before.spread / after.spread).toBeLessThan(3.4);
        expect(Math.abs(after.sizes[1] / before.sizes[1] - 1)).toBeLessThan(0.01);
        expect(before.sizes[2] / after.sizes[2]).toBeGreaterThan(8);
      }
    }
  });

  it('three neurons: spread ∝ o^(−1/2), T_0, T_1 and T_2 fixed, T_3 → 0', () => {
    for (const [width, seed, members] of [['r4', 13, [0, 1, 2]], ['r4', 54, [0, 2, 3]], ['r8', 0, [0, 3, 4]], ['r8', 77, [0, 1, 6]]] as const) {
      const levels = followed(width, seed, [...members]);
      expect(levels, `${width} seed ${seed}`).toHaveLength(3);
      for (let k = 1; k < levels.length; k++) {
        const [before, after] = [levels[k - 1], levels[k]];
        expect(after.weight / before.weight).toBeGreaterThan(2.9);
        expect(before.spread / after.spread).toBeGreaterThan(1.6);
        expect(before.spread / after.spread).toBeLessThan(2.1);
        expect(before.sizes[3] / after.sizes[3]).toBeGreaterThan(2.5);
      }
      const t2 = levels.map((level) => level.sizes[2]);
      expect(Math.max(...t2) / Math.min(...t2), `${width} seed ${seed}`).toBeLessThan(1.06);
    }
  });
});
