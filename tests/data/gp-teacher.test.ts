// The GP teacher is a random-Fourier-feature approximation (see src/data/gp-teacher.ts): given its
// M frequencies, the draw is exactly Gaussian with covariance k̂(Δ) = (1/M) Σ cos(ωₘ·Δ), an unbiased
// estimate of the Matérn-3/2 kernel k. These tests check k̂ against k and the draws against both.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GP_FREQUENCIES,
  drawGp,
  evaluateGp,
  featureKernel,
  gpTeacherValues,
  matern32,
  sampleMatern32Frequencies,
} from '../../src/data/gp-teacher.js';
import { normalInputs } from '../../src/data/inputs.js';
import { RandomStream, STREAMS } from '../../src/numerics/rng.js';

const ROUGHNESS = [0.1, 0.5, 2, 10];

describe('Matérn-3/2 kernel', () => {
  it('k(r) = (1 + √3·s·r)·e^{−√3·s·r}', () => {
    expect(matern32(0, 2)).toBe(1);
    expect(matern32(1, 1)).toBeCloseTo((1 + Math.sqrt(3)) * Math.exp(-Math.sqrt(3)), 15);
    expect(matern32(0.5, 2)).toBe(matern32(1, 1)); // depends on s·r only
    expect(matern32(2, 1)).toBeLessThan(matern32(1, 1));
  });
});

describe('random Fourier features of the Matérn-3/2 kernel', () => {
  // With M = 4096 frequencies, k̂ at one Δ has sd ≤ 1/√(2M) = 0.011; tolerance 0.05 ≈ 4.5 sd.
  const TOLERANCE = 0.05;
  for (const d of [1, 2, 8]) {
    for (const s of ROUGHNESS) {
      it(`k̂ matches k at distances r·s ∈ {0.05 … 3}, d = ${d}, s = ${s} (within ${TOLERANCE})`, () => {
        const random = new RandomStream(5, d, STREAMS.teacher);
        const frequencies = sampleMatern32Frequencies(d, s, DEFAULT_GP_FREQUENCIES, random);
        const directions = new RandomStream(6, d, STREAMS.verify);
        for (const scaledDistance of [0.05, 0.2, 0.5, 1, 2, 3]) {
          const r = scaledDistance / s;
          const direction = directions.fillNormal(new Float64Array(d));
          const norm = Math.hypot(...direction);
          const difference = direction.map((v) => (v / norm) * r);
          expect(Math.abs(featureKernel(frequencies, d, difference) - matern32(r, s))).toBeLessThan(TOLERANCE);
        }
        expect(featureKernel(frequencies, d, new Float64Array(d))).toBe(1);
      });
    }
  }

  it('RFF kernel matrix vs the exact kernel matrix on 200 standard-normal points: max |k̂ − k| < 0.06, RMS < 0.015', () => {
    // measured: max 0.052, RMS 0.013 at worst over d ∈ {2, 8} × s ∈ {0.1, 0.5, 2, 10} × 3 seeds
    const N = 200;
    const M = DEFAULT_GP_FREQUENCIES;
    for (const d of [2, 8]) {
      const x = normalInputs(N, d, 7);
      for (const s of ROUGHNESS) {
        const frequencies = sampleMatern32Frequencies(d, s, M, new RandomStream(0, 0, STREAMS.teacher));
        // feature matrix: k̂(xᵢ, xⱼ) = (1/M) Σₘ [cos(ωₘ·xᵢ)cos(ωₘ·xⱼ) + sin(ωₘ·xᵢ)sin(ωₘ·xⱼ)] = (1/M) Σₘ cos(ωₘ·(xᵢ − xⱼ))
        const cosines = new Float64Array(N * M);
        const sines = new Float64Array(N * M);
        for (let i = 0; i < N; i++) {
          for (let m = 0; m < M; m++) {
            let phase = 0;
            for (let k = 0; k < d; k++) phase += frequencies[m * d + k] * x[i * d + k];
            cosines[i * M + m] = Math.cos(phase);
            sines[i * M + m] = Math.sin(phase);
          }
        }
        let maxError = 0;
        let squaredError = 0;
        let pairs = 0;
        for (let i = 0; i < N; i++) {
          for (let j = i + 1; j < N; j++) {
            let sum = 0;
            for (let m = 0; m < M; m++) sum += cosines[i * M + m] * cosines[j * M + m] + sines[i * M + m] * sines[j * M + m];
            let r2 = 0;
            for (let k = 0; k < d; k++) r2 += (x[i * d + k] - x[j * d + k]) ** 2;
            const error = sum / M - matern32(Math.sqrt(r2), s);
            maxError = Math.max(maxError, Math.abs(error));
            squaredError += error * error;
            pairs++;
          }
        }
        expect(maxError, `d=${d} s=${s}`).toBeLessThan(0.06);
        expect(Math.sqrt(squaredError / pairs), `d=${d} s=${s}`).toBeLessThan(0.015);
      }
    }
  });

  it('featureKernel is the feature-matrix product', () => {
    const frequencies = sampleMatern32Frequencies(2, 1, 16, new RandomStream(1, 0, STREAMS.teacher));
    const a = [0.3, -1.2];
    const b = [-0.4, 0.5];
    let sum = 0;
    for (let m = 0; m < 16; m++) {
      const pa = frequencies[2 * m] * a[0] + frequencies[2 * m + 1] * a[1];
      const pb = frequencies[2 * m] * b[0] + frequencies[2 * m + 1] * b[1];
      sum += Math.cos(pa) * Math.cos(pb) + Math.sin(pa) * Math.sin(pb);
    }
    expect(featureKernel(frequencies, 2, [a[0] - b[0], a[1] - b[1]])).toBeCloseTo(sum / 16, 14);
  });
});

describe('GP teacher draws', () => {
  it('across draws, Cov(f(x), f(x + Δ)) ≈ k(‖Δ‖) (2000 draws: sd ≈ 0.03, tolerance 0.12)', () => {
    // Over draws the frequencies vary too, so the covariance is E[k̂] = k exactly, whatever M.
    const d = 2;
    const s = 2;
    const draws = 2000;
    const points = Float64Array.from([0.3, -0.2, 0.3 + 0.1, -0.2, 0.3, -0.2 + 0.4, -1, 1]); // distances 0.1, 0.4, and far
    const r = [0.1, 0.4, Math.hypot(1.3, 1.2)];
    const products = [0, 0, 0];
    let variance = 0;
    for (let seed = 0; seed < draws; seed++) {
      const f = evaluateGp(drawGp(d, s, seed, { frequencies: 64 }), points);
      variance += (f[0] * f[0]) / draws;
      products[0] += (f[0] * f[1]) / draws;
      products[1] += (f[0] * f[2]) / draws;
      products[2] += (f[0] * f[3]) / draws;
    }
    expect(Math.abs(variance - 1)).toBeLessThan(0.12);
    products.forEach((product, k) => expect(Math.abs(product - matern32(r[k], s)), `r=${r[k]}`).toBeLessThan(0.12));
  });

  it('is rougher for larger s, with the kernel correlation between close neighbours', () => {
    const d = 2;
    const x = normalInputs(1000, d, 3);
    const neighbours = Float64Array.from(x, (v, k) => (k % 2 === 0 ? v + 0.05 : v));
    const correlation: number[] = [];
    for (const s of ROUGHNESS) {
      const draw = drawGp(d, s, 1, { frequencies: 1024 });
      const y = evaluateGp(draw, x);
      const yNear = evaluateGp(draw, neighbours);
      let square = 0;
      let squareNear = 0;
      let product = 0;
      for (let n = 0; n < y.length; n++) {
        square += (y[n] * y[n]) / y.length;
        squareNear += (yNear[n] * yNear[n]) / y.length;
        product += (y[n] * yNear[n]) / y.length;
      }
      // only the roughest draw has enough effective samples (correlation length 0.06) for its variance to be near 1
      if (s === 10) expect(Math.abs(square - 1)).toBeLessThan(0.15);
      correlation.push(product / Math.sqrt(square * squareNear));
    }
    // neighbours 0.05 apart: k = 0.99996 (s = 0.1), 0.999, 0.987, 0.785 (s = 10)
    for (let k = 1; k < correlation.length; k++) expect(correlation[k]).toBeLessThan(correlation[k - 1]);
    expect(Math.abs(correlation[3] - matern32(0.05, 10))).toBeLessThan(0.1);
  });

  it('is deterministic in (seed, run) and independent of where it is evaluated', () => {
    const x = normalInputs(300, 3, 1);
    const y = gpTeacherValues(x, 3, 0.5, 9);
    expect(gpTeacherValues(x, 3, 0.5, 9)).toEqual(y);
    expect(gpTeacherValues(x, 3, 0.5, 10)).not.toEqual(y);
    expect(gpTeacherValues(x, 3, 0.5, 9, { run: 1 })).not.toEqual(y);
    // the function does not depend on the other inputs: evaluating a subset gives the same values
    expect(gpTeacherValues(x.slice(30, 60), 3, 0.5, 9)).toEqual(y.slice(10, 20));
  });

  it('refuses a non-positive roughness or frequency count', () => {
    expect(() => drawGp(2, 0, 0)).toThrow(/positive/);
    expect(() => drawGp(2, 1, 0, { frequencies: 0 })).toThrow(/positive integer/);
  });
});
