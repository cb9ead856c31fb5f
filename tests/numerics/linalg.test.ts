import { describe, expect, it } from 'vitest';
import {
  cholesky,
  choleskySolve,
  hessianMatrix,
  matVec,
  symmetricEigen,
  symmetrize,
} from '../../src/numerics/linalg.js';
import { evaluateNetwork } from '../../src/engine/cpu/cpu-engine.js';
import { parameterCount, type Architecture } from '../../src/model/architecture.js';
import { makeRandom, normalArray, randomOrthogonal, type TestRandom } from '../helpers/random.js';

function norm(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

/** A = B·Bᵀ/n + shift·I, symmetric positive definite. */
function randomSpd(random: TestRandom, n: number, shift = 0.1): Float64Array {
  const b = normalArray(random, n * n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
      a[i * n + j] = a[j * n + i] = s / n + (i === j ? shift : 0);
    }
  }
  return a;
}

/** Q·diag(λ)·Qᵀ */
function withSpectrum(q: Float64Array, lambda: number[]): Float64Array {
  const n = lambda.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * lambda[k] * q[j * n + k];
      a[i * n + j] = s;
    }
  }
  symmetrize(a, n);
  return a;
}

describe('Cholesky', () => {
  it.each([1, 2, 7, 40, 150])('factorises and solves a random SPD system of size %i to 1e-10 relative residual', (n) => {
    const random = makeRandom(100 + n);
    const a = randomSpd(random, n);
    const result = cholesky(a, n);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const l = result.factor;
    // L is lower triangular and L·Lᵀ = A
    let reconstruction = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j > i) expect(l[i * n + j]).toBe(0);
        let s = 0;
        for (let k = 0; k < n; k++) s += l[i * n + k] * l[j * n + k];
        reconstruction = Math.max(reconstruction, Math.abs(s - a[i * n + j]));
        scale = Math.max(scale, Math.abs(a[i * n + j]));
      }
    }
    expect(reconstruction).toBeLessThanOrEqual(1e-13 * scale);
    const b = normalArray(random, n);
    const x = choleskySolve(l, n, b);
    const residual = matVec(a, n, x);
    for (let i = 0; i < n; i++) residual[i] -= b[i];
    expect(norm(residual) / norm(b)).toBeLessThanOrEqual(1e-10);
    // in place: out may alias b
    const inPlace = b.slice();
    choleskySolve(l, n, inPlace, inPlace);
    for (let i = 0; i < n; i++) expect(inPlace[i]).toBe(x[i]);
  });

  it('reports the failing pivot of an indefinite matrix', () => {
    // eigenvalues 3 and −1: the second pivot is 1 − 2²/1 = −3
    const twoByTwo = cholesky(Float64Array.from([1, 2, 2, 1]), 2);
    expect(twoByTwo).toEqual({ ok: false, pivot: 1, value: -3 });
    // positive leading 2×2 block, indefinite as a whole: the pivot at index 2 fails
    const q = randomOrthogonal(makeRandom(7), 3);
    const third = cholesky(Float64Array.from([4, 1, 0, 1, 3, 2, 0, 2, -5]), 3);
    expect(third.ok).toBe(false);
    if (!third.ok) {
      expect(third.pivot).toBe(2);
      expect(third.value).toBeLessThan(0);
    }
    // indefinite with a hidden negative eigenvalue (all diagonal entries positive)
    const hidden = withSpectrum(q, [2, 1, -0.5]);
    const hiddenResult = cholesky(hidden, 3);
    expect(hiddenResult.ok).toBe(false);
    // singular (semi-definite) and non-finite matrices fail too
    expect(cholesky(new Float64Array(4), 2)).toEqual({ ok: false, pivot: 0, value: 0 });
    const nan = cholesky(Float64Array.from([1, 0, 0, NaN]), 2);
    expect(nan.ok).toBe(false);
    if (!nan.ok) expect(nan.pivot).toBe(1);
  });

  it('rejects a matrix of the wrong size', () => {
    expect(() => cholesky(new Float64Array(5), 2)).toThrow(RangeError);
  });
});

describe('symmetric eigenvalues (cyclic Jacobi)', () => {
  it('matches a 2×2 closed form', () => {
    // [[2, 1], [1, 2]]: 1 and 3
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2, { vectors: true });
    expect(values[0]).toBeCloseTo(1, 14);
    expect(values[1]).toBeCloseTo(3, 14);
    // columns (v₀, v₂) and (v₁, v₃) are orthogonal, and the one for 3 is ±(1, 1)/√2
    const v = vectors!;
    expect(Math.abs(v[0] * v[1] + v[2] * v[3])).toBeLessThan(1e-15);
    expect(Math.abs(v[1])).toBeCloseTo(Math.SQRT1_2, 14);
    expect(v[1] * v[3]).toBeGreaterThan(0);
  });

  it.each([
    ['mixed signs, a repeated value and a wide range', [-3, -1e-3, 0, 1, 1, 2.5, 1e4]],
    ['a channel-like spectrum: one stiff direction, the rest tiny', [2.5e3, 0.4, 0.02, 1e-6, -5e-9]],
    ['40 random values', Array.from({ length: 40 }, (_, k) => Math.sin(k * 1.7) * 10 ** ((k % 5) - 2))],
    ['128 values', Array.from({ length: 128 }, (_, k) => k - 64 + 0.25 * Math.cos(k))],
  ])('recovers a known spectrum: %s', (_name, lambda) => {
    const n = lambda.length;
    const random = makeRandom(n);
    const a = withSpectrum(randomOrthogonal(random, n), lambda);
    const { values, vectors, sweeps } = symmetricEigen(a, n, { vectors: true });
    const expected = [...lambda].sort((x, y) => x - y);
    const scale = Math.max(...lambda.map(Math.abs));
    for (let k = 0; k < n; k++) expect(Math.abs(values[k] - expected[k])).toBeLessThanOrEqual(1e-12 * scale);
    expect(sweeps).toBeLessThan(20);
    // A·v = λ·v and the vectors are orthonormal
    for (let k = 0; k < n; k++) {
      const v = Float64Array.from({ length: n }, (_, i) => vectors![i * n + k]);
      expect(norm(v)).toBeCloseTo(1, 12);
      const av = matVec(a, n, v);
      let r = 0;
      for (let i = 0; i < n; i++) r = Math.max(r, Math.abs(av[i] - values[k] * v[i]));
      expect(r).toBeLessThanOrEqual(1e-12 * scale);
      if (k > 0) {
        let d = 0;
        for (let i = 0; i < n; i++) d += v[i] * vectors![i * n + k - 1];
        expect(Math.abs(d)).toBeLessThan(1e-12);
      }
    }
  });

  it('handles diagonal and 1×1 matrices', () => {
    expect(Array.from(symmetricEigen(Float64Array.from([5]), 1).values)).toEqual([5]);
    const diagonal = Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]);
    expect(Array.from(symmetricEigen(diagonal, 3).values)).toEqual([-1, 2, 3]);
  });
});

describe('hessianMatrix', () => {
  it('assembles the exact Hessian from HVPs; it matches finite differences of gradients', () => {
    const random = makeRandom(11);
    const arch: Architecture = { inputDim: 2, hidden: [3], activation: 'tanh', biases: true };
    const P = parameterCount(arch);
    const N = 64;
    const data = { inputDim: 2, samples: N, count: 1, x: normalArray(random, 2 * N), y: normalArray(random, N) };
    const theta = normalArray(random, P, 0.8);
    let hvps = 0;
    const H = hessianMatrix((v, out) => {
      hvps++;
      out.set(evaluateNetwork(arch, data, 0, theta, { direction: v }).hvp!);
    }, P);
    expect(hvps).toBe(P);
    for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) expect(H[i * P + j]).toBe(H[j * P + i]);

    // central differences of the gradient, column by column: O(δ²) truncation, O(1e-16/δ) rounding
    const delta = 1e-5;
    let worst = 0;
    let scale = 0;
    for (let j = 0; j < P; j++) {
      const plus = theta.slice();
      const minus = theta.slice();
      plus[j] += delta;
      minus[j] -= delta;
      const gp = evaluateNetwork(arch, data, 0, plus, { gradient: true }).gradient!;
      const gm = evaluateNetwork(arch, data, 0, minus, { gradient: true }).gradient!;
      for (let i = 0; i < P; i++) {
        const fd = (gp[i] - gm[i]) / (2 * delta);
        worst = Math.max(worst, Math.abs(fd - H[i * P + j]));
        scale = Math.max(scale, Math.abs(H[i * P + j]));
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-7 * scale);
  });

  it('symmetrises an HVP that is not exactly symmetric', () => {
    // H·v with H = [[1, 2], [4, 3]]: the assembled matrix is (H + Hᵀ)/2
    const H = hessianMatrix((v, out) => {
      out[0] = v[0] + 2 * v[1];
      out[1] = 4 * v[0] + 3 * v[1];
    }, 2);
    expect(Array.from(H)).toEqual([1, 3, 3, 3]);
  });
});
