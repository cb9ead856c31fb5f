// A small deterministic PRNG for tests (mulberry32 + Box–Muller): same seed, same numbers, on any
// machine. Not for the library itself, which uses the counter-based Philox streams (src/numerics/rng.ts).
import type { Dataset } from '../../src/data/dataset.js';

export interface TestRandom {
  /** uniform on [0, 1) */
  uniform(): number;
  /** standard normal */
  normal(): number;
}

export function makeRandom(seed: number): TestRandom {
  let state = seed >>> 0;
  const uniform = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u1 = 1 - uniform(); // (0, 1]: log stays finite
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  return { uniform, normal };
}

/** `length` independent N(0, scale²) draws. */
export function normalArray(random: TestRandom, length: number, scale = 1): Float64Array {
  const values = new Float64Array(length);
  for (let k = 0; k < length; k++) values[k] = scale * random.normal();
  return values;
}

/** `count` datasets of `samples` standard-normal inputs in `inputDim` dimensions with standard-normal targets. */
export function randomDataset(random: TestRandom, inputDim: number, samples: number, count = 1): Dataset {
  return {
    inputDim,
    samples,
    count,
    x: normalArray(random, count * samples * inputDim),
    y: normalArray(random, count * samples),
  };
}

/** A random orthogonal matrix: modified Gram–Schmidt on the columns of a Gaussian matrix (twice). */
export function randomOrthogonal(random: TestRandom, n: number): Float64Array {
  const q = normalArray(random, n * n);
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < j; k++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i * n + j] * q[i * n + k];
        for (let i = 0; i < n; i++) q[i * n + j] -= d * q[i * n + k];
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += q[i * n + j] ** 2;
      s = Math.sqrt(s);
      for (let i = 0; i < n; i++) q[i * n + j] /= s;
    }
  }
  return q;
}
