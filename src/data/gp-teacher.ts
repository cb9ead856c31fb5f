// Gaussian-process teachers (science.md, "Data"): a draw from a zero-mean GP with the Matérn-3/2
// kernel k(r) = (1 + √3·s·r)·e^{−√3·s·r}, r = ‖x − x′‖ (s = 0.1, 0.5, 2, 10: larger s, rougher).
//
// APPROXIMATION. An exact draw needs the Cholesky factor of the N×N kernel matrix, O(N³): about
// 3·10¹¹ flops at N = 10⁴, far too slow in JavaScript. We draw instead from the GP whose kernel is
// the random-Fourier-feature estimate (Rahimi & Recht 2007) of k:
//
//   f(x) = M^{−1/2} Σ_{m=1..M} [αₘ cos(ωₘ·x) + βₘ sin(ωₘ·x)],   αₘ, βₘ ~ N(0, 1),
//
// with M frequencies ωₘ from the spectral density of k. By Bochner's theorem k(r) = E[cos(ω·Δ)]
// for ‖Δ‖ = r, and the Matérn-3/2 spectral density is a multivariate Student-t with ν = 3 degrees
// of freedom and scale s: ω = s·z/√(χ²₃/3), z ~ N(0, I_d), χ²₃ independent (equivalently
// ω = √3·s·z/√χ²₃; the characteristic function of a unit Student-t₃ is (1 + √3|t|)e^{−√3|t|}).
// Given the frequencies, f is exactly Gaussian with covariance
//
//   k̂(x, x′) = (1/M) Σₘ cos(ωₘ·(x − x′)),
//
// an unbiased estimate of k(‖x − x′‖) with standard deviation at most 1/√(2M) per pair (0.011 at
// the default M = 4096); k̂(x, x) = 1 exactly, so every target has variance 1. Measured over the
// ~20,000 pairs of 200 standard-normal points in d = 2 and d = 8, s ∈ {0.1, 0.5, 2, 10}: the largest
// |k̂ − k| is at most 0.052 and the RMS error at most 0.013 (tests/data/gp-teacher.test.ts asserts
// < 0.06 and < 0.015). Limitation: k̂ has rank ≤ 2M, so on N > 2M points (N = 10⁴, M = 4096) the target
// vector lies in a 2M-dimensional subspace; this matters only for very rough teachers (s = 10,
// nearly white noise) and is lifted by raising `frequencies` to N/2 or more.
// Cost: N·M·(d + 2) operations, about 2 s for N = 10⁴, d = 2 (3.5 s at d = 16) in Node.
//
// Determinism: the function depends only on (seed, run, s, d, M) — draws come from the Philox
// stream (seed, run, STREAMS.teacher) — and not on the inputs it is evaluated at.
import { portableSinCos } from '../numerics/portable-math.js';
import { RandomStream, STREAMS } from '../numerics/rng.js';

/** Frequencies (cos/sin pairs) of the random-Fourier-feature draw unless told otherwise. */
export const DEFAULT_GP_FREQUENCIES = 4096;

/** The Matérn-3/2 kernel k(r) = (1 + √3·s·r)·e^{−√3·s·r}. */
export function matern32(distance: number, s: number): number {
  const scaled = Math.sqrt(3) * s * distance;
  return (1 + scaled) * Math.exp(-scaled);
}

/**
 * `count` frequencies (count × inputDim, row-major) from the Matérn-3/2 spectral density with
 * roughness s: ω = s·z/√(χ²₃/3), a multivariate Student-t with 3 degrees of freedom.
 */
export function sampleMatern32Frequencies(inputDim: number, s: number, count: number, random: RandomStream): Float64Array {
  const frequencies = new Float64Array(count * inputDim);
  for (let m = 0; m < count; m++) {
    for (let i = 0; i < inputDim; i++) frequencies[m * inputDim + i] = random.normal();
    let chiSquared3 = 0;
    for (let k = 0; k < 3; k++) chiSquared3 += random.normal() ** 2;
    const factor = s / Math.sqrt(chiSquared3 / 3);
    for (let i = 0; i < inputDim; i++) frequencies[m * inputDim + i] *= factor;
  }
  return frequencies;
}

/** k̂(Δ) = (1/M) Σₘ cos(ωₘ·Δ): the covariance of the feature draw between points Δ apart. */
export function featureKernel(frequencies: Float64Array, inputDim: number, difference: ArrayLike<number>): number {
  const count = frequencies.length / inputDim;
  let sum = 0;
  for (let m = 0; m < count; m++) {
    let phase = 0;
    for (let i = 0; i < inputDim; i++) phase += frequencies[m * inputDim + i] * difference[i];
    sum += Math.cos(phase);
  }
  return sum / count;
}

export interface GpTeacherOptions {
  /** Philox run index (default 0): a different run is an independent draw under the same seed */
  run?: number;
  /** number of frequencies M (default DEFAULT_GP_FREQUENCIES) */
  frequencies?: number;
}

/** One draw f of the (feature-approximated) Matérn-3/2 GP: a function of one input. */
export interface GpDraw {
  inputDim: number;
  s: number;
  /** M × inputDim */
  frequencies: Float64Array;
  /** M cosine and M sine coefficients, already divided by √M */
  cosineWeights: Float64Array;
  sineWeights: Float64Array;
}

/** Draws the function f (frequencies and coefficients) from the Philox stream (seed, run, STREAMS.teacher). */
export function drawGp(inputDim: number, s: number, seed: number, options: GpTeacherOptions = {}): GpDraw {
  if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`the GP roughness s must be a positive number, got ${s}`);
  const count = options.frequencies ?? DEFAULT_GP_FREQUENCIES;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`the number of GP frequencies must be a positive integer, got ${count}`);
  const random = new RandomStream(seed, options.run ?? 0, STREAMS.teacher);
  const frequencies = sampleMatern32Frequencies(inputDim, s, count, random);
  const normalization = 1 / Math.sqrt(count);
  const cosineWeights = random.fillNormal(new Float64Array(count), normalization);
  const sineWeights = random.fillNormal(new Float64Array(count), normalization);
  return { inputDim, s, frequencies, cosineWeights, sineWeights };
}

/** f at every row of x (samples × inputDim, row-major). */
export function evaluateGp(draw: GpDraw, x: Float64Array): Float64Array {
  const { inputDim, frequencies, cosineWeights, sineWeights } = draw;
  const samples = x.length / inputDim;
  if (!Number.isInteger(samples)) throw new RangeError(`inputs hold ${x.length} values, not a whole number of ${inputDim}-dimensional points`);
  const count = cosineWeights.length;
  const y = new Float64Array(samples);
  // portable sin and cos: the teacher's values, like its draw, are the same bits in every JavaScript engine
  const sineCosine = new Float64Array(2);
  for (let n = 0; n < samples; n++) {
    const row = n * inputDim;
    let value = 0;
    for (let m = 0; m < count; m++) {
      let phase = 0;
      for (let i = 0; i < inputDim; i++) phase += frequencies[m * inputDim + i] * x[row + i];
      portableSinCos(phase, sineCosine);
      value += cosineWeights[m] * sineCosine[1] + sineWeights[m] * sineCosine[0];
    }
    y[n] = value;
  }
  return y;
}

/** Targets of a GP teacher with roughness s on inputs x: evaluateGp(drawGp(…), x). */
export function gpTeacherValues(x: Float64Array, inputDim: number, s: number, seed: number, options: GpTeacherOptions = {}): Float64Array {
  return evaluateGp(drawGp(inputDim, s, seed, options), x);
}
