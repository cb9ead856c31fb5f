import { describe, expect, it } from 'vitest';
import { newtonCg, type NewtonObjective } from '../../src/optim/newton-cg.js';
import { integrateRosenbrock } from '../../src/optim/stiff-solvers.js';
import { hessianMatrix, matVec, symmetricEigen } from '../../src/numerics/linalg.js';
import { toyPairCoordinates, toyDataset, toyStart, TOY_ARCHITECTURE } from '../helpers/toy.js';
import { networkFlowField, networkObjective } from '../../src/engine/cpu/flow-field.js';
import { parameterCount, weightNorm, type Architecture } from '../../src/model/architecture.js';
import { glorotNormal } from '../../src/model/init.js';
import { RandomStream, STREAMS } from '../../src/numerics/rng.js';
import { randomTeacherNetwork, teacherNetworkValues } from '../../src/data/teacher-network.js';
import { makeRandom, normalArray } from '../helpers/random.js';

/** The Hessian's eigenvalues are ≥ −1e-8·max|λ|: positive semi-definite up to rounding. */
function expectPositiveSemiDefinite(objective: NewtonObjective, theta: Float64Array): Float64Array {
  const P = theta.length;
  const H = hessianMatrix((v, out) => out.set(objective.hvp(theta, v)), P);
  const { values } = symmetricEigen(H, P);
  const scale = Math.max(Math.abs(values[0]), Math.abs(values[P - 1]));
  expect(values[0]).toBeGreaterThanOrEqual(-1e-8 * scale);
  return values;
}

describe('trust-region Newton–CG', () => {
  it('solves a convex quadratic in a few iterations', () => {
    const n = 20;
    const random = makeRandom(3);
    const b = normalArray(random, n * n);
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = i === j ? 0.5 : 0;
      for (let k = 0; k < n; k++) s += (b[i * n + k] * b[j * n + k]) / n;
      A[i * n + j] = s;
    }
    const c = normalArray(random, n);
    const quadratic: NewtonObjective = {
      value: (x) => {
        const ax = matVec(A, n, x);
        let s = 0;
        for (let i = 0; i < n; i++) s += 0.5 * x[i] * ax[i] - c[i] * x[i];
        return s;
      },
      gradient: (x) => {
        const g = matVec(A, n, x);
        for (let i = 0; i < n; i++) g[i] -= c[i];
        return g;
      },
      hvp: (_x, v) => matVec(A, n, v),
    };
    const result = newtonCg(quadratic, new Float64Array(n), { initialRadius: 100 });
    expect(result.converged).toBe(true);
    expect(result.reason).toBe('converged');
    expect(result.gradInf).toBeLessThanOrEqual(1e-10);
    // inexact Newton: CG stops at residual min(0.5, √‖g‖)·‖g‖, so a few outer iterations even here
    expect(result.iterations).toBeLessThanOrEqual(10);
  });

  it('minimises the Rosenbrock banana from (−1.2, 1), through regions of negative curvature', () => {
    const banana: NewtonObjective = {
      value: ([x, y]) => 100 * (y - x * x) ** 2 + (1 - x) ** 2,
      gradient: ([x, y]) => Float64Array.from([-400 * x * (y - x * x) - 2 * (1 - x), 200 * (y - x * x)]),
      hvp: ([x, y], [u, v]) =>
        Float64Array.from([(1200 * x * x - 400 * y + 2) * u - 400 * x * v, -400 * x * u + 200 * v]),
    };
    const result = newtonCg(banana, Float64Array.from([-1.2, 1]));
    expect(result.converged).toBe(true);
    expect(result.gradInf).toBeLessThanOrEqual(1e-10);
    expect(result.theta[0]).toBeCloseTo(1, 10);
    expect(result.theta[1]).toBeCloseTo(1, 10);
    expect(result.iterations).toBeLessThan(60);
    // an iteration cap is reported, not hidden
    const capped = newtonCg(banana, Float64Array.from([-1.2, 1]), { maxIterations: 2 });
    expect(capped).toMatchObject({ converged: false, reason: 'max-iterations', iterations: 2 });
  });

  it('leaves a saddle point along negative curvature and finds a minimum', () => {
    // f = x⁴/4 − x²/2 + y²: saddle at 0, minima at (±1, 0); start next to the saddle
    const doubleWell: NewtonObjective = {
      value: ([x, y]) => x ** 4 / 4 - x ** 2 / 2 + y * y,
      gradient: ([x, y]) => Float64Array.from([x ** 3 - x, 2 * y]),
      hvp: ([x], [u, v]) => Float64Array.from([(3 * x * x - 1) * u, 2 * v]),
    };
    const result = newtonCg(doubleWell, Float64Array.from([1e-3, 0.5]));
    expect(result.converged).toBe(true);
    expect(Math.abs(result.theta[0])).toBeCloseTo(1, 10);
    expect(result.theta[1]).toBeCloseTo(0, 10);
  });

  it('polishes a small network to ‖∇‖∞ ≤ 1e-10 from near a minimum; the Hessian there is PSD', () => {
    // student d=2, [2] tanh with biases on a wider random teacher ([4]): a non-zero-loss minimum,
    // approached first by gradient flow (ode23s, 1,000 gradient-evaluation equivalents)
    const seed = 4;
    const teacherArch: Architecture = { inputDim: 2, hidden: [4], activation: 'tanh', biases: true };
    const arch: Architecture = { inputDim: 2, hidden: [2], activation: 'tanh', biases: true };
    const N = 256;
    const x = new RandomStream(seed, 0, STREAMS.inputs).fillNormal(new Float64Array(N * 2));
    const data = { inputDim: 2, samples: N, count: 1, x, y: teacherNetworkValues(randomTeacherNetwork(teacherArch, seed, 2), x) };
    const start = glorotNormal(arch, new RandomStream(seed, 0, STREAMS.init));
    const flow = integrateRosenbrock(networkFlowField(arch, data), start, { rtol: 1e-3, atol: 1e-6, maxEvaluations: 1000 });
    const objective = networkObjective(arch, data);
    const before = objective.gradient(flow.theta).reduce((m, g) => Math.max(m, Math.abs(g)), 0);
    expect(before).toBeGreaterThan(1e-8); // the flow alone is not there yet

    const result = newtonCg(objective, flow.theta, { tol: 1e-10 });
    expect(result.converged).toBe(true);
    expect(result.gradInf).toBeLessThanOrEqual(1e-10);
    expect(result.iterations).toBeGreaterThan(0);
    expect(result.loss).toBeLessThanOrEqual(objective.value(flow.theta));
    expect(result.loss).toBeGreaterThan(1e-3); // the student cannot fit the teacher: a genuine non-zero minimum
    expect(weightNorm(result.theta)).toBeLessThan(10);
    const values = expectPositiveSemiDefinite(objective, result.theta);
    expect(values.length).toBe(parameterCount(arch));
  });

  it('the toy channel ends at the norm barrier in a minimum of L + R: flow, then polish', () => {
    // default maxnorm 1e3; N = 512 samples keeps this under a few seconds
    const data = toyDataset(512, 1);
    const flow = integrateRosenbrock(networkFlowField(TOY_ARCHITECTURE, data), toyStart(), {
      rtol: 1e-3,
      atol: 1e-6,
      maxEvaluations: 4000,
      stop: (theta) => weightNorm(theta) > 1e3,
    });
    expect(flow.reason).toBe('stop');
    const objective = networkObjective(TOY_ARCHITECTURE, data);
    const result = newtonCg(objective, flow.theta, { tol: 1e-10 });
    expect(result.converged).toBe(true);
    expect(result.gradInf).toBeLessThanOrEqual(1e-10);
    expect(weightNorm(result.theta)).toBeGreaterThan(1e3);
    const end = toyPairCoordinates(result.theta);
    expect(end.inverseEpsilon).toBeGreaterThan(80);
    const values = expectPositiveSemiDefinite(objective, result.theta);
    // one stiff direction, λ_max ∝ 1/ε² (≈ 2.5e3 here)
    expect(values[3]).toBeGreaterThan(1e3);
  });
});
