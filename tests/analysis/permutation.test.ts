import { describe, expect, it } from 'vitest';
import {
  canonicalize,
  distanceUpToPermutation,
  distinctSolutions,
  hungarian,
  matchNeurons,
  permuteNetwork,
  type NeuronPermutations,
} from '../../src/analysis/permutation.js';
import { forward } from '../../src/model/forward.js';
import type { Architecture } from '../../src/model/architecture.js';
import { makeRandom, normalArray, type TestRandom } from '../helpers/random.js';
import { randomTheta } from './helpers.js';

function randomPermutation(random: TestRandom, n: number): number[] {
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.uniform() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm;
}

function bruteForceMinimum(cost: Float64Array, n: number): number {
  let best = Infinity;
  const visit = (row: number, used: boolean[], sum: number) => {
    if (row === n) {
      best = Math.min(best, sum);
      return;
    }
    for (let col = 0; col < n; col++) {
      if (used[col]) continue;
      used[col] = true;
      visit(row + 1, used, sum + cost[row * n + col]);
      used[col] = false;
    }
  };
  visit(0, new Array(n).fill(false), 0);
  return best;
}

const shallow: Architecture = { inputDim: 3, hidden: [6], activation: 'softplus', biases: true };
const deep: Architecture = { inputDim: 2, hidden: [5, 4, 3], activation: 'tanh', biases: true };

describe('hungarian', () => {
  it('finds the minimum-cost assignment of random matrices (brute force, n ≤ 7)', () => {
    const random = makeRandom(11);
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + (trial % 7);
      // integer costs with many ties, and real-valued ones
      const cost = Float64Array.from({ length: n * n }, () => (trial % 2 === 0 ? Math.floor(random.uniform() * 5) : random.normal()));
      const { assignment, cost: total } = hungarian(cost, n);
      expect([...assignment].sort((p, q) => p - q)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(total).toBeCloseTo(bruteForceMinimum(cost, n), 10);
    }
  });

  it('recovers a planted permutation from a distance matrix', () => {
    const random = makeRandom(3);
    const n = 40;
    const perm = randomPermutation(random, n);
    const points = Array.from({ length: n }, () => normalArray(random, 3));
    const cost = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) cost[i * n + j] = points[i].reduce((s, v, k) => s + (v - points[perm[j]][k]) ** 2, 0);
    const { assignment, cost: total } = hungarian(cost, n);
    expect(total).toBeLessThan(1e-12);
    for (let i = 0; i < n; i++) expect(perm[assignment[i]]).toBe(i);
  });

  it('refuses non-finite costs and wrong sizes', () => {
    expect(() => hungarian([1, NaN, 2, 3], 2)).toThrow(/entry 1/);
    expect(() => hungarian([1, 2, 3], 2)).toThrow(/expected 2×2/);
  });
});

describe('permuting networks', () => {
  it('leaves the network function unchanged (one and three hidden layers)', () => {
    const random = makeRandom(5);
    for (const arch of [shallow, deep]) {
      const theta = randomTheta(arch, 21);
      const perms: NeuronPermutations = arch.hidden.map((width) => randomPermutation(random, width));
      const permuted = permuteNetwork(arch, theta, perms);
      expect(permuted).not.toEqual(theta);
      for (let n = 0; n < 10; n++) {
        const x = normalArray(random, arch.inputDim);
        expect(forward(arch, permuted, x)).toBeCloseTo(forward(arch, theta, x), 12);
      }
    }
  });

  it('matchNeurons undoes a permutation exactly (distance 0), in every layer of a deep net', () => {
    const random = makeRandom(8);
    for (const arch of [shallow, deep]) {
      for (let trial = 0; trial < 5; trial++) {
        const theta = randomTheta(arch, 100 + trial);
        const perms = arch.hidden.map((width) => randomPermutation(random, width));
        const permuted = permuteNetwork(arch, theta, perms);
        const match = matchNeurons(arch, theta, permuted);
        expect(match.distance).toBeLessThan(1e-12);
        expect(permuteNetwork(arch, permuted, match.permutations)).toEqual(theta);
      }
    }
  });

  it('distance up to permutation of a perturbed, permuted copy equals the perturbation (small noise)', () => {
    const random = makeRandom(9);
    for (const arch of [shallow, deep]) {
      const theta = randomTheta(arch, 7);
      const noise = normalArray(random, theta.length, 1e-3);
      const perturbed = theta.map((v, k) => v + noise[k]);
      const permuted = permuteNetwork(arch, perturbed, arch.hidden.map((width) => randomPermutation(random, width)));
      const noiseNorm = Math.hypot(...noise);
      const { distance, relative } = distanceUpToPermutation(arch, theta, permuted);
      expect(distance).toBeCloseTo(noiseNorm, 12);
      expect(relative).toBeCloseTo(noiseNorm / Math.max(Math.hypot(...theta), Math.hypot(...perturbed)), 12);
      // without matching, the permuted copy is far away
      expect(Math.hypot(...theta.map((v, k) => v - permuted[k]))).toBeGreaterThan(100 * noiseNorm);
    }
  });

  it('canonicalize gives permuted copies the same representative, and keeps the function', () => {
    const random = makeRandom(12);
    for (const arch of [shallow, deep]) {
      const theta = randomTheta(arch, 44);
      const canonical = canonicalize(arch, theta).theta;
      for (let trial = 0; trial < 4; trial++) {
        const permuted = permuteNetwork(arch, theta, arch.hidden.map((width) => randomPermutation(random, width)));
        expect(canonicalize(arch, permuted).theta).toEqual(canonical);
      }
      const x = normalArray(random, arch.inputDim);
      expect(forward(arch, canonical, x)).toBeCloseTo(forward(arch, theta, x), 12);
      const { permutations } = canonicalize(arch, theta);
      expect(permuteNetwork(arch, theta, permutations)).toEqual(canonical);
    }
  });
});

describe('distinctSolutions', () => {
  it('counts three solutions among permuted and slightly perturbed copies of three networks', () => {
    const random = makeRandom(15);
    for (const arch of [shallow, deep]) {
      const bases = [1, 2, 3].map((seed) => randomTheta(arch, 300 + seed));
      const networks: Float64Array[] = [];
      const truth: number[] = [];
      for (let copy = 0; copy < 4; copy++) {
        bases.forEach((base, b) => {
          const noise = normalArray(random, base.length, 1e-4);
          networks.push(permuteNetwork(arch, base.map((v, k) => v + noise[k]), arch.hidden.map((width) => randomPermutation(random, width))));
          truth.push(b);
        });
      }
      const result = distinctSolutions(arch, networks, 1e-2);
      expect(result.solutions.length).toBe(3);
      expect(result.levels).toBeNull();
      for (const solution of result.solutions) {
        const labels = new Set(solution.members.map((k) => truth[k]));
        expect(labels.size).toBe(1);
        expect(solution.members.length).toBe(4);
        expect(solution.spread).toBeGreaterThan(0);
        expect(solution.spread).toBeLessThan(1e-2);
      }
      // with a tolerance below the noise, every copy is its own solution
      expect(distinctSolutions(arch, networks, 1e-7).solutions.length).toBe(networks.length);
    }
  });

  it('splits by loss level first (relative 1e-3) and reports solutions per level; excludes non-finite networks', () => {
    const arch = shallow;
    const a = randomTheta(arch, 1);
    const b = randomTheta(arch, 2);
    const random = makeRandom(4);
    const networks = [a, permuteNetwork(arch, a, [randomPermutation(random, 6)]), b, permuteNetwork(arch, b, [randomPermutation(random, 6)]), a.map(() => NaN)];
    // a's copies share one level; b's copies sit in two levels (losses differ by 1%): same parameters, different solutions
    const losses = [0.1, 0.10005, 0.2, 0.202, 0.3];
    const result = distinctSolutions(arch, networks, 1e-2, { losses });
    expect(result.excluded).toEqual([4]);
    expect(result.levels!.map((level) => level.solutions)).toEqual([1, 1, 1, 0]);
    expect(result.solutions.map((s) => s.members)).toEqual([[0, 1], [2], [3]]);
    expect(result.solutions.map((s) => s.level)).toEqual([0, 1, 2]);
  });
});
