// Philox4x32-10, a counter-based generator (Salmon et al., SC'11): a value depends only on
// (seed, run, stream, counter), never on what was drawn before, so runs are reproducible in any
// order and the WGSL twin can draw the same numbers on the GPU.

import { portableCosTwoPi, portableLog } from './portable-math.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** high 32 bits of the 64-bit product of two u32 (JavaScript numbers are exact only to 2⁵³) */
function mulhi32(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const lh = al * bh, hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox4x32-10 of counter (c0..c3) under key (k0, k1): four independent u32. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): [number, number, number, number] {
  let x0 = c0 >>> 0, x1 = c1 >>> 0, x2 = c2 >>> 0, x3 = c3 >>> 0;
  let key0 = k0 >>> 0, key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi32(M0, x0), lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi32(M1, x2), lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  return [x0, x1, x2, x3];
}

/** u32 → uniform in [0, 1) on a 2⁻²⁴ grid, exactly representable in float32 */
export function toUniform(u: number): number {
  return (u >>> 8) * 5.9604644775390625e-8;
}

/** Named streams keep unrelated draws of one run apart. */
export const STREAMS = { inputs: 1, teacher: 2, init: 3, minibatch: 4, verify: 5, direction: 6 } as const;

/** A cursor over one (seed, run, stream): draw k gives the same value whoever asks. */
export class RandomStream {
  private counter = 0;
  private buffer: number[] = [];

  constructor(
    private readonly seed: number,
    private readonly run: number,
    private readonly stream: number,
  ) {}

  private nextU32(): number {
    if (this.buffer.length === 0) {
      const seedLo = this.seed >>> 0;
      const seedHi = Math.floor(this.seed / 4294967296) >>> 0;
      this.buffer = philox4x32(this.counter++, this.run, this.stream, 0, seedLo, seedHi).reverse();
    }
    return this.buffer.pop()!;
  }

  /** uniform in [0, 1) */
  uniform(): number {
    return toUniform(this.nextU32());
  }

  /** uniform in [low, high) */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /**
   * standard normal (Box–Muller; u1 is kept away from 0), by portable-math.ts's log and cos: the same
   * bits in every JavaScript engine, so data and initial parameters are too
   */
  normal(): number {
    const u1 = this.uniform() + 2.9802322387695312e-8;
    const u2 = this.uniform();
    return Math.sqrt(-2 * portableLog(u1)) * portableCosTwoPi(u2);
  }

  fillNormal(out: Float64Array, scale = 1): Float64Array {
    for (let k = 0; k < out.length; k++) out[k] = scale * this.normal();
    return out;
  }
}

/** The Philox key of a seed: its low and high 32 bits (as RandomStream uses them). */
export function seedKey(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/**
 * u32 → uniform index in 0..n−1 (n ≥ 1): floor(toUniform(u)·n) clamped to n − 1, with the product
 * rounded to float32 as random_index in shaders/philox.wgsl does (bit for bit the same result).
 */
export function randomIndex(u: number, n: number): number {
  // both factors are exact float32 and their exact product fits a double: fround rounds it once, as f32 does
  return Math.min(Math.floor(Math.fround(toUniform(u) * Math.fround(n))), n - 1);
}

/**
 * Index (in 0..samples−1) of sample b of the minibatch of SGD step `step` of run `run`: with
 * g = step·batch + b, word (g mod 4) of philox4x32(⌊g/4⌋, run, STREAMS.minibatch, 0, seedLo, seedHi)
 * through randomIndex, i.e. draw g of RandomStream(seed, run, STREAMS.minibatch). minibatch_index in
 * shaders/philox.wgsl draws the same, so CPU and GPU train on identical minibatches. Needs g < 2³⁴.
 */
export function minibatchIndex(seed: number, run: number, step: number, batch: number, b: number, samples: number): number {
  if (!Number.isInteger(step) || step < 0 || !Number.isInteger(batch) || batch < 1 || !Number.isInteger(b) || b < 0 || b >= batch) {
    throw new RangeError(`minibatchIndex: need integers step ≥ 0, batch ≥ 1 and 0 ≤ b < batch (got ${step}, ${batch}, ${b})`);
  }
  if (!Number.isInteger(samples) || samples < 1 || samples > 0xffffffff) {
    throw new RangeError(`minibatchIndex: samples must be an integer in 1..2³²−1 (got ${samples})`);
  }
  const draw = step * batch + b;
  const block = Math.floor(draw / 4);
  if (!Number.isSafeInteger(draw) || block > 0xffffffff) {
    throw new RangeError(`minibatchIndex: draw ${draw} is past the 2³⁴ draws of one minibatch stream`);
  }
  const [seedLo, seedHi] = seedKey(seed);
  return randomIndex(philox4x32(block, run, STREAMS.minibatch, 0, seedLo, seedHi)[draw % 4], samples);
}
