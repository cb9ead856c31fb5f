import { describe, expect, it } from 'vitest';
import { newtonEigen, type NewtonEigenObjective } from '../../src/optim/newton-eigen.js';
import { newtonCg } from '../../src/optim/newton-cg.js';
import { matVec } from '../../src/numerics/linalg.js';
import { makeRandom, normalArray } from '../helpers/random.js';

const banana: NewtonEigenObjective = {
  value: ([x, y]) => 100 * (y - x * x) ** 2 + (1 - x) ** 2,
  gradient: ([x, y]) => Float64Array.from([-400 * x * (y - x * x) - 2 * (1 - x), 200 * (y - x * x)]),
  hvp: ([x, y], [u, v]) => Float64Array.from([(1200 * x * x - 400 * y + 2) * u - 400 * x * v, -400 * x * u + 200 * v]),
};

/**
 * ½xᵀAx − cᵀx + (κ/4)·Σx⁴ with A = Q·diag(λ)·Qᵀ, λ log-spaced over [1e-3, 1e8] (condition 1e11, as
 * deep in a channel where λ_max ∝ 1/ε⁴), Q a random rotation. Quartic: the Hessian changes along the way.
 */
function stiffQuartic(n: number, seed: number): NewtonEigenObjective {
  const random = makeRandom(seed);
  // Gram–Schmidt on a Gaussian matrix: an orthogonal Q
  const q = Array.from({ length: n }, () => normalArray(random, n));
  q.forEach((column, k) => {
    for (let j = 0; j < k; j++) {
      const d = column.reduce((s, v, i) => s + v * q[j][i], 0);
      column.forEach((_, i) => (column[i] -= d * q[j][i]));
    }
    const norm = Math.hypot(...column);
    column.forEach((_, i) => (column[i] /= norm));
  });
  const lambda = Array.from({ length: n }, (_, k) => 10 ** (-3 + (11 * k) / (n - 1)));
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) A[i * n + j] += q[k][i] * lambda[k] * q[k][j];
  const c = normalArray(random, n);
  const kappa = 0.1;
  return {
    value: (x) => {
      const ax = matVec(A, n, x);
      let s = 0;
      for (let i = 0; i < n; i++) s += 0.5 * x[i] * ax[i] - c[i] * x[i] + (kappa / 4) * x[i] ** 4;
      return s;
    },
    gradient: (x) => {
      const g = matVec(A, n, x);
      for (let i = 0; i < n; i++) g[i] += -c[i] + kappa * x[i] ** 3;
      return g;
    },
    hvp: (x, v) => {
      const hv = matVec(A, n, v);
      for (let i = 0; i < n; i++) hv[i] += 3 * kappa * x[i] ** 2 * v[i];
      return hv;
    },
  };
}

describe('Levenberg–Marquardt Newton on the dense Hessian', () => {
  it('minimises the Rosenbrock banana from (−1.2, 1) to ‖∇‖∞ ≤ 1e-10; a cap is reported', () => {
    const result = newtonEigen(banana, Float64Array.from([-1.2, 1]));
    expect(result).toMatchObject({ converged: true, reason: 'converged' });
    expect(result.gradInf).toBeLessThanOrEqual(1e-10);
    expect(result.theta[0]).toBeCloseTo(1, 10);
    expect(result.theta[1]).toBeCloseTo(1, 10);
    expect(result.iterations).toBeLessThan(40);
    // Hessians from HVPs, P = 2 columns each, at every point reached (the last one for the decrement)
    expect(result.hvps).toBe(2 * (result.iterations + 1));
    // ½gᵀH⁻¹g at ‖g‖ ≤ 1e-10, λ ≥ 0.4 at (1, 1)
    expect(result.decrement).toBeLessThan(1e-19);
    const capped = newtonEigen(banana, Float64Array.from([-1.2, 1]), { maxIterations: 2 });
    expect(capped).toMatchObject({ converged: false, reason: 'max-iterations', iterations: 2 });
    // two steps in, the model still sees a way down
    expect(capped.decrement).toBeGreaterThan(1e-3);
  });

  it('leaves a saddle point along negative curvature and finds a minimum', () => {
    // f = x⁴/4 − x²/2 + y²: saddle at 0, minima at (±1, 0); start next to the saddle
    const doubleWell: NewtonEigenObjective = {
      value: ([x, y]) => x ** 4 / 4 - x ** 2 / 2 + y * y,
      gradient: ([x, y]) => Float64Array.from([x ** 3 - x, 2 * y]),
      hvp: ([x], [u, v]) => Float64Array.from([(3 * x * x - 1) * u, 2 * v]),
      hessian: ([x]) => Float64Array.from([3 * x * x - 1, 0, 0, 2]),
    };
    const result = newtonEigen(doubleWell, Float64Array.from([1e-3, 0.5]));
    expect(result.converged).toBe(true);
    expect(Math.abs(result.theta[0])).toBeCloseTo(1, 10);
    expect(result.theta[1]).toBeCloseTo(0, 10);
    // the objective's own Hessian counts P columns each time, as HVP-built ones do
    expect(result.hvps).toBe(2 * (result.iterations + 1));
  });

  it('converges on a condition number of 1e11 in a few iterations, where Newton–CG stalls (why channel-jump uses it)', () => {
    const objective = stiffQuartic(24, 5);
    const start = new Float64Array(24).fill(1);
    const result = newtonEigen(objective, start, { tol: 1e-7 });
    expect(result.converged).toBe(true);
    expect(result.gradInf).toBeLessThanOrEqual(1e-7);
    expect(result.iterations).toBeLessThanOrEqual(10);
    expect(result.hvps).toBe(24 * (result.iterations + 1));
    expect(result.decrement).toBeLessThan(1e-12);
    // Newton–CG after 1,000 iterations (~1,700 HVPs) is still at ‖∇‖∞ ≈ 4e-4
    const cg = newtonCg(objective, start, { tol: 1e-7, maxIterations: 1000 });
    expect(cg.converged).toBe(false);
    expect(cg.gradInf).toBeGreaterThan(1e-5);
    expect(result.loss).toBeLessThan(cg.loss);
  });

  it('reports a non-finite start', () => {
    expect(newtonEigen(banana, Float64Array.from([Number.NaN, 1]))).toMatchObject({ converged: false, reason: 'non-finite' });
  });
});
