import { describe, expect, it } from 'vitest';
import { hessianAfterAttempt, integrateRosenbrock, rodas4Step, RODAS4, ros34pw2Step, ROS34PW2, rosenbrockStep, ROSENBROCK23, type StiffVectorField } from '../../src/optim/stiff-solvers.js';
import { dopri5Step, initialStepSize, nextStepSize, DOPRI5, type Tolerances, type VectorField } from '../../src/optim/integrators.js';
import { hessianMatrix, matVec, symmetricEigen, symmetrize } from '../../src/numerics/linalg.js';
import { toyPairCoordinates, toyDataset, toyStart, TOY_ARCHITECTURE } from '../helpers/toy.js';
import { networkFlowField, type EvaluationCounter } from '../../src/engine/cpu/flow-field.js';
import { evaluateNetwork } from '../../src/engine/cpu/cpu-engine.js';
import { weightNorm } from '../../src/model/architecture.js';
import { makeRandom, randomOrthogonal } from '../helpers/random.js';

const PAPER_TOLERANCES: Tolerances = { rtol: 1e-3, atol: 1e-6 };

/** The linear gradient flow y' = −A·y of the quadratic ½yᵀAy, A = Q·diag(λ)·Qᵀ, with its exact solution. */
function linearFlow(lambda: number[], seed: number) {
  const n = lambda.length;
  const q = randomOrthogonal(makeRandom(seed), n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * lambda[k] * q[j * n + k];
      a[i * n + j] = s;
    }
  }
  symmetrize(a, n);
  let evaluations = 0;
  const f: VectorField = (y, out) => {
    evaluations++;
    matVec(a, n, y, out);
    for (let i = 0; i < n; i++) out[i] = -out[i];
  };
  const field: StiffVectorField = { f, hessian: (_y, out) => out.set(a), hessianCost: 0 };
  /** exp(−tA)·y0 through the eigenbasis */
  const exact = (y0: Float64Array, t: number): Float64Array => {
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      let c = 0;
      for (let i = 0; i < n; i++) c += q[i * n + k] * y0[i];
      c *= Math.exp(-lambda[k] * t);
      for (let i = 0; i < n; i++) out[i] += c * q[i * n + k];
    }
    return out;
  };
  return { a, f, field, exact, n, evaluations: () => evaluations };
}

function maxAbsDifference(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

function rms(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s / v.length);
}

/** atol 1 and rtol 0: the scaled error norm is the plain RMS of the error estimate */
const RAW: Tolerances = { rtol: 0, atol: 1 };

describe('ROS34PW2 step (a Rosenbrock W-method)', () => {
  const problem = linearFlow([0.5, 1, 2, 3], 5);
  const y0 = Float64Array.from([1, -0.5, 0.25, 2]);
  const f0 = new Float64Array(4);
  problem.f(y0, f0);

  /** the same flow with a wrong Hessian, A + D (D symmetric, ‖D‖ about half of ‖A‖): what a float32 Hessian is, greatly magnified */
  const wrong = new Float64Array(problem.a);
  const perturbation = [0.4, -0.3, 0.2, 0.5, -0.25, 0.35, 0.15, -0.2, 0.3, 0.45];
  for (let i = 0, n = 0; i < 4; i++) for (let j = 0; j <= i; j++, n++) {
    wrong[i * 4 + j] += perturbation[n];
    if (i !== j) wrong[j * 4 + i] += perturbation[n];
  }
  const inexact: StiffVectorField = { f: problem.f, hessian: (_y, out) => out.set(wrong), hessianCost: 0 };

  function globalErrors(step: typeof ros34pw2Step, field: StiffVectorField): number[] {
    return [10, 20, 40, 80].map((steps) => {
      let y: Float64Array = y0.slice();
      let f: Float64Array = f0.slice();
      for (let s = 0; s < steps; s++) {
        const next = step(field, y, f, 1 / steps, RAW);
        y = next.theta;
        f = next.derivative;
      }
      return maxAbsDifference(y, problem.exact(y0, 1));
    });
  }
  const ratios = (errors: number[]) => errors.slice(1).map((e, i) => errors[i] / e);

  it('is stiffly accurate in transformed form: m is the last stage row of a, then 1', () => {
    expect(ROS34PW2.a.map((row) => row.length)).toEqual([1, 2, 3]);
    ROS34PW2.a[2].forEach((v, j) => expect(ROS34PW2.m[j]).toBeCloseTo(v, 12));
    expect(ROS34PW2.m[3]).toBeCloseTo(1, 12);
    expect(ROS34PW2.evaluationsPerStep).toBe(4);
  });

  it('has local error O(h⁴) (ratio 16 when h halves) and an error estimate O(h³) (ratio 8)', () => {
    const local: number[] = [];
    const estimate: number[] = [];
    for (const h of [0.1, 0.05, 0.025, 0.0125]) {
      const step = ros34pw2Step(problem.field, y0, f0, h, RAW);
      local.push(rms(Float64Array.from(step.theta, (v, k) => v - problem.exact(y0, h)[k])));
      estimate.push(step.error);
      expect(step.evaluations).toBe(ROS34PW2.evaluationsPerStep); // hessianCost 0 here
    }
    // h = 0.1 is not yet asymptotic (12.8), the later halvings are
    for (const r of ratios(local)) expect(r).toBeGreaterThan(12), expect(r).toBeLessThan(19);
    for (const r of ratios(estimate)) expect(r).toBeGreaterThan(6.5), expect(r).toBeLessThan(9.5);
  });

  it('keeps global order 3 (ratio 8) with a wrong Hessian, where Rodas4 falls to order 1 (ratio 2)', () => {
    const exactJ = ratios(globalErrors(ros34pw2Step, problem.field));
    const wrongJ = ratios(globalErrors(ros34pw2Step, inexact));
    const rodasWrongJ = ratios(globalErrors(rodas4Step, inexact));
    console.log(`global error ratios as h halves: ROS34PW2 exact H ${exactJ.map((r) => r.toFixed(2))}, wrong H ${wrongJ.map((r) => r.toFixed(2))}; Rodas4 wrong H ${rodasWrongJ.map((r) => r.toFixed(2))}`);
    for (const r of [...exactJ, ...wrongJ]) expect(r).toBeGreaterThan(7), expect(r).toBeLessThan(9.5);
    for (const r of rodasWrongJ) expect(r).toBeLessThan(4.5);
  });

  it('is L-stable: one huge step damps the stiff components to nothing and keeps the slow one accurate', () => {
    const stiff = linearFlow([1e-3, 1e6, 1e8], 9);
    const y = Float64Array.from([1, 2, -1]);
    const f = new Float64Array(3);
    stiff.f(y, f);
    const step = ros34pw2Step(stiff.field, y, f, 10, PAPER_TOLERANCES);
    expect(maxAbsDifference(step.theta, stiff.exact(y, 10))).toBeLessThan(1e-6);
    // the embedded order-2 solution is not L-stable, so a step across a stiff transient reports a large
    // error (and would be retried smaller); once on the slow manifold, as a gradient flow is after its
    // first steps, the same huge step passes
    expect(step.error).toBeGreaterThan(1);
    const next = ros34pw2Step(stiff.field, step.theta, step.derivative, 10, PAPER_TOLERANCES);
    expect(maxAbsDifference(next.theta, stiff.exact(y, 20))).toBeLessThan(1e-6);
    expect(next.error).toBeLessThan(1);
  });

  it('drives integrateRosenbrock to the exact end at tight tolerance', () => {
    const problem2 = linearFlow([1e-2, 1, 1e4], 3);
    const start = Float64Array.from([1, 1, 1]);
    const run = integrateRosenbrock(problem2.field, start, { rtol: 1e-8, atol: 1e-11, tEnd: 50, method: 'ros34pw2' });
    expect(maxAbsDifference(run.theta, problem2.exact(start, 50))).toBeLessThan(1e-7);
  });
});

describe('Rodas4 step', () => {
  const problem = linearFlow([0.5, 1, 2, 3], 5);
  const y0 = Float64Array.from([1, -0.5, 0.25, 2]);
  const f0 = new Float64Array(4);
  problem.f(y0, f0);

  it('has local error O(h⁵) (ratio 32 when h halves) and an error estimate O(h⁴) (ratio 16)', () => {
    const local: number[] = [];
    const estimate: number[] = [];
    for (const h of [0.1, 0.05, 0.025, 0.0125]) {
      const step = rodas4Step(problem.field, y0, f0, h, RAW);
      const error = new Float64Array(4);
      const exact = problem.exact(y0, h);
      for (let k = 0; k < 4; k++) error[k] = step.theta[k] - exact[k];
      local.push(rms(error));
      estimate.push(step.error);
      expect(step.evaluations).toBe(RODAS4.evaluationsPerStep); // hessianCost 0 here
      const fNew = new Float64Array(4);
      problem.f(step.theta, fNew);
      expect(maxAbsDifference(fNew, step.derivative)).toBe(0); // the next step's f0
    }
    for (let i = 1; i < local.length; i++) {
      expect(local[i - 1] / local[i]).toBeGreaterThan(26);
      expect(local[i - 1] / local[i]).toBeLessThan(38);
      expect(estimate[i - 1] / estimate[i]).toBeGreaterThan(13);
      expect(estimate[i - 1] / estimate[i]).toBeLessThan(19);
    }
  });

  it('converges with global order 4 (ratio 16 when h halves) at a fixed step', () => {
    const errors: number[] = [];
    for (const steps of [5, 10, 20, 40]) {
      let y: Float64Array = y0.slice();
      let f: Float64Array = f0.slice();
      for (let s = 0; s < steps; s++) {
        const step = rodas4Step(problem.field, y, f, 1 / steps, RAW);
        y = step.theta;
        f = step.derivative;
      }
      errors.push(maxAbsDifference(y, problem.exact(y0, 1)));
    }
    for (let i = 1; i < errors.length; i++) {
      expect(errors[i - 1] / errors[i]).toBeGreaterThan(13);
      expect(errors[i - 1] / errors[i]).toBeLessThan(19);
    }
  });

  it('is L-stable: one huge step damps the stiff components to nothing and keeps the slow one accurate', () => {
    const stiff = linearFlow([1e-3, 1e6, 1e8], 9);
    const y = Float64Array.from([1, 2, -1]);
    const f = new Float64Array(3);
    stiff.f(y, f);
    const h = 10; // h·λ = 1e7 and 1e9 on the stiff modes
    const step = rodas4Step(stiff.field, y, f, h, PAPER_TOLERANCES);
    // the exact solution keeps only the slow mode (e^{−0.01} of it); the stiff ones are e^{−1e7} = 0,
    // which an L-stable method matches up to its stability function's R(z) = O(1/z): 1e-7 relative
    expect(maxAbsDifference(step.theta, stiff.exact(y, h))).toBeLessThan(1e-6);
    expect(step.error).toBeLessThan(1);
  });

  it('drives integrateRosenbrock to the same end as ode23s at tight tolerance, in fewer steps', () => {
    const problem2 = linearFlow([1e-2, 1, 1e4], 3);
    const start = Float64Array.from([1, 1, 1]);
    const tight = { rtol: 1e-8, atol: 1e-11 };
    const a = integrateRosenbrock(problem2.field, start, { ...tight, tEnd: 50, method: 'rodas4' });
    const b = integrateRosenbrock(problem2.field, start, { ...tight, tEnd: 50 });
    const exact = problem2.exact(start, 50);
    expect(maxAbsDifference(a.theta, exact)).toBeLessThan(1e-7);
    expect(maxAbsDifference(b.theta, exact)).toBeLessThan(1e-7);
    expect(a.steps).toBeLessThan(b.steps / 5);
  });
});

describe('Rosenbrock 2(3) (ode23s) step', () => {
  const problem = linearFlow([0.5, 1, 2, 3], 5);
  const y0 = Float64Array.from([1, -0.5, 0.25, 2]);
  const f0 = new Float64Array(4);
  problem.f(y0, f0);

  it('has local error O(h³) (ratio 8 when h halves) and an error estimate of the same order', () => {
    const local: number[] = [];
    const estimate: number[] = [];
    for (const h of [0.04, 0.02, 0.01, 0.005]) {
      const step = rosenbrockStep(problem.field, y0, f0, h, RAW);
      expect(step.factorizationFailed).toBeUndefined();
      const error = new Float64Array(4);
      const exact = problem.exact(y0, h);
      for (let k = 0; k < 4; k++) error[k] = step.theta[k] - exact[k];
      local.push(rms(error));
      estimate.push(step.error);
      // FSAL: the returned derivative is f at the new point
      const fNew = new Float64Array(4);
      problem.f(step.theta, fNew);
      expect(maxAbsDifference(fNew, step.derivative)).toBe(0);
    }
    for (let i = 1; i < local.length; i++) {
      expect(local[i - 1] / local[i]).toBeGreaterThan(7);
      expect(local[i - 1] / local[i]).toBeLessThan(9);
      expect(estimate[i - 1] / estimate[i]).toBeGreaterThan(7);
      expect(estimate[i - 1] / estimate[i]).toBeLessThan(9);
    }
    // the estimate has the size of the true local error (within a small factor)
    expect(estimate[3] / local[3]).toBeGreaterThan(0.2);
    expect(estimate[3] / local[3]).toBeLessThan(5);
  });

  it('converges with global order 2 (ratio 4 when h halves) at a fixed step', () => {
    const T = 1;
    const errors: number[] = [];
    for (const steps of [20, 40, 80, 160]) {
      const h = T / steps;
      let y: Float64Array = y0.slice();
      let f: Float64Array = f0.slice();
      for (let s = 0; s < steps; s++) {
        const step = rosenbrockStep(problem.field, y, f, h, RAW);
        y = step.theta;
        f = step.derivative;
      }
      errors.push(maxAbsDifference(y, problem.exact(y0, T)));
    }
    for (let i = 1; i < errors.length; i++) {
      expect(errors[i - 1] / errors[i]).toBeGreaterThan(3.6);
      expect(errors[i - 1] / errors[i]).toBeLessThan(4.4);
    }
  });

  it('counts one Hessian (hessianCost, default P) plus two f calls, and reuses a Hessian passed back in', () => {
    const field: StiffVectorField = { f: problem.f, hessian: problem.field.hessian };
    const first = rosenbrockStep(field, y0, f0, 0.1, PAPER_TOLERANCES);
    expect(first.evaluations).toBe(4 + ROSENBROCK23.evaluationsPerStep);
    let hessianCalls = 0;
    const counting: StiffVectorField = { ...field, hessian: (y, out) => { hessianCalls++; field.hessian(y, out); } };
    const retry = rosenbrockStep(counting, y0, f0, 0.05, PAPER_TOLERANCES, first.hessian);
    expect(hessianCalls).toBe(0);
    expect(retry.evaluations).toBe(2);
  });

  it('reports a failed factorisation when W = I + h·d·H is indefinite, and succeeds with a smaller h', () => {
    // H has eigenvalue −10: W is positive definite only for h < 1/(10·d) ≈ 0.34
    const saddle = linearFlow([-10, 1, 4], 9);
    const y = Float64Array.from([0.1, 1, -1]);
    const f = new Float64Array(3);
    saddle.f(y, f);
    const failed = rosenbrockStep(saddle.field, y, f, 1, PAPER_TOLERANCES);
    expect(failed.factorizationFailed).toBe(true);
    expect(failed.error).toBe(Infinity);
    expect(failed.theta).toBe(y); // nothing moved
    const ok = rosenbrockStep(saddle.field, y, f, 0.2 / (10 * ROSENBROCK23.d), PAPER_TOLERANCES, failed.hessian);
    expect(ok.factorizationFailed).toBeUndefined();
    expect(Number.isFinite(ok.error)).toBe(true);
    // the driver shrinks h after a failure and follows the unstable direction out (escapes the saddle)
    const run = integrateRosenbrock(saddle.field, y, { ...PAPER_TOLERANCES, tEnd: 0.5, initialStep: 1 });
    expect(run.factorizationFailures).toBeGreaterThan(0);
    expect(run.t).toBe(0.5);
    const exact = saddle.exact(y, 0.5);
    // the unstable mode grew e^{10·0.5} ≈ 148-fold (the state's RMS about 3-fold), amplifying the local
    // errors (tolerance 1e-3) to a few per cent
    expect(rms(run.theta) / rms(y)).toBeGreaterThan(2);
    expect(maxAbsDifference(run.theta, exact) / rms(exact)).toBeLessThan(5e-2);
  });
});

describe('stiff linear gradient flow, λ from 1 to 1e6', () => {
  const lambda = Array.from({ length: 10 }, (_, k) => 10 ** ((6 * k) / 9));
  const y0 = Float64Array.from({ length: 10 }, (_, k) => Math.cos(k + 0.3));

  it('ode23s reaches t = 10 in few steps (L-stable: steps limited by accuracy, not stability)', () => {
    const problem = linearFlow(lambda, 21);
    const run = integrateRosenbrock(problem.field, y0, { ...PAPER_TOLERANCES, tEnd: 10 });
    expect(run.reason).toBe('time');
    expect(run.t).toBeCloseTo(10, 12);
    expect(run.steps).toBeLessThan(200);
    expect(run.factorizationFailures).toBe(0);
    // and accurately: only the λ = 1 mode survives, e^{−10} of its initial size
    const exact = problem.exact(y0, 10);
    expect(maxAbsDifference(run.theta, exact)).toBeLessThan(1e-3 * Math.max(...y0.map(Math.abs)) + 1e-6);
  });

  it('DOPRI5 is held to h ≈ 3.3/λ_max: after 6·10⁴ evaluations it has not covered t = 0.1', () => {
    const problem = linearFlow(lambda, 21);
    let y: Float64Array = y0.slice();
    let k1: Float64Array = new Float64Array(10);
    problem.f(y, k1);
    let h = initialStepSize(y, k1, PAPER_TOLERANCES);
    let t = 0;
    let evaluations = 1;
    let rejectedLast = false;
    while (evaluations < 6e4 && t < 10) {
      const step = dopri5Step(problem.f, y, k1, h, PAPER_TOLERANCES);
      evaluations += step.evaluations;
      const ok = step.error <= 1;
      if (ok) {
        y = step.theta;
        k1 = step.derivative;
        t += h;
      }
      h = nextStepSize(h, step.error, DOPRI5.order, ok && !rejectedLast);
      rejectedLast = !ok;
    }
    // 10⁴ steps of at most ~3.3e-6: t ≈ 0.03; reaching t = 10 would take ~3·10⁶ steps, ~2·10⁷ evaluations
    expect(t).toBeLessThan(0.1);
    expect(h * lambda[9]).toBeLessThan(5);
    const evaluationsToT10 = (evaluations * 10) / t;
    expect(evaluationsToT10).toBeGreaterThan(1e6);
  });
});

/**
 * THE KEY SCIENCE TEST (science.md, "Why gradient flow needs a stiff integrator"). The 1-D toy
 * (two erf neurons, no biases, N = 4,096 standard-normal samples, toy teacher), from toyStart()
 * near the channel entrance, with the paper's tolerances (rtol 1e-3, atol 1e-6) and the same budget
 * of 2,000 gradient-evaluation equivalents for both solvers. Counting: one gradient = 1; one
 * Hessian-vector product = 1 (an HVP costs about one to two gradients); the Rosenbrock step's
 * Hessian = P = 4 HVPs. So an ode23s step costs 6, a DOPRI5 step 6 (FSAL) as well.
 *
 * maxnorm is 1e4 here: with the default 1e3 the barrier ends this toy's channel at 1/ε ≈ 84–89
 * (the pair's GLU has a ≈ 1.5, so weightnorm ≈ (a/ε)²/16), and the test is about how far the flow
 * gets, not where the barrier is; with 1e4 the channel ends at 1/ε ≈ 280.
 *
 * Measured (this machine, 2 cores): ode23s 334 steps, 0 rejected, t ≈ 2.3e10, 1/ε ≈ 171 (≈ 6 s);
 * DOPRI5 300 steps + 33 rejected, t ≈ 216, 1/ε ≈ 2.9 with h ≈ 0.76 ≈ 3.3/λ_max (≈ 5–7 s).
 */
describe('the 1-D toy channel: implicit vs explicit gradient flow at equal cost', () => {
  const BUDGET = 2000;
  const MAXNORM = 1e4;
  const data = toyDataset(4096, 1);

  it('ode23s follows the channel to 1/ε ≥ 100; DOPRI5 stalls at the entrance (1/ε of order 1)', () => {
    const start = toyStart();
    expect(toyPairCoordinates(start).inverseEpsilon).toBeLessThan(2);

    const rosenbrockCount: EvaluationCounter = { gradients: 0, hvps: 0 };
    const field = networkFlowField(TOY_ARCHITECTURE, data, { maxnorm: MAXNORM, counter: rosenbrockCount });
    const implicit = integrateRosenbrock(field, start, { ...PAPER_TOLERANCES, maxEvaluations: BUDGET });
    expect(implicit.evaluations).toBe(rosenbrockCount.gradients + rosenbrockCount.hvps);
    expect(implicit.evaluations).toBeLessThanOrEqual(BUDGET + 6);
    expect(implicit.evaluations).toBeGreaterThan(BUDGET - 6);
    const implicitEnd = toyPairCoordinates(implicit.theta);

    const explicitCount: EvaluationCounter = { gradients: 0, hvps: 0 };
    const explicitField = networkFlowField(TOY_ARCHITECTURE, data, { maxnorm: MAXNORM, counter: explicitCount });
    let theta: Float64Array = start.slice();
    let k1: Float64Array = new Float64Array(4);
    explicitField.f(theta, k1);
    let h = initialStepSize(theta, k1, PAPER_TOLERANCES);
    let t = 0;
    let rejectedLast = false;
    while (explicitCount.gradients + DOPRI5.a.length - 1 <= BUDGET) {
      const step = dopri5Step(explicitField.f, theta, k1, h, PAPER_TOLERANCES);
      const ok = step.error <= 1;
      if (ok) {
        theta = step.theta;
        k1 = step.derivative;
        t += h;
      }
      h = nextStepSize(h, step.error, DOPRI5.order, ok && !rejectedLast);
      rejectedLast = !ok;
    }
    expect(explicitCount.hvps).toBe(0);
    expect(explicitCount.gradients).toBeGreaterThan(BUDGET - 6);
    const explicitEnd = toyPairCoordinates(theta);

    console.log(
      `toy channel, ${BUDGET} gradient-evaluation equivalents: ode23s ${implicit.steps} steps (${implicit.rejected} rejected), ` +
        `t=${implicit.t.toExponential(2)}, 1/ε=${implicitEnd.inverseEpsilon.toFixed(1)}; ` +
        `DOPRI5 t=${t.toExponential(2)}, h=${h.toExponential(2)}, 1/ε=${explicitEnd.inverseEpsilon.toFixed(2)}`,
    );

    // the stiff integrator is deep in the channel: ε small, same pair, a GLU with a ≈ 1.5
    expect(implicitEnd.inverseEpsilon).toBeGreaterThanOrEqual(100);
    expect(Math.sign(implicit.theta[2])).not.toBe(Math.sign(implicit.theta[3]));
    expect(implicitEnd.a).toBeGreaterThan(1.3);
    expect(implicitEnd.a).toBeLessThan(1.7);
    expect(weightNorm(implicit.theta)).toBeLessThan(MAXNORM);
    // the explicit one is still at the entrance ...
    expect(explicitEnd.inverseEpsilon).toBeLessThan(5);
    expect(explicitEnd.epsilon).toBeGreaterThan(0.2);
    // ... because stability holds its step to ~3.3/λ_max (λ_max(H) ≈ 4.5 there), not accuracy
    const H = new Float64Array(16);
    hessianMatrix((v, out) => out.set(evaluateNetwork(TOY_ARCHITECTURE, data, 0, theta, { direction: v, maxnorm: MAXNORM }).hvp!), 4, H);
    const lambdaMax = symmetricEigen(H, 4).values[3];
    expect(h * lambdaMax).toBeGreaterThan(1.5);
    expect(h * lambdaMax).toBeLessThan(5);
    // and the loss tells the same story: the channel keeps going down
    const lossImplicit = evaluateNetwork(TOY_ARCHITECTURE, data, 0, implicit.theta).loss;
    const lossExplicit = evaluateNetwork(TOY_ARCHITECTURE, data, 0, theta).loss;
    expect(lossImplicit).toBeLessThan(lossExplicit);
  });
});

describe('step size at a fixed point', () => {
  it('grows tenfold per step with a vanishing error, but only up to DEFAULT_MAX_STEP_SIZE: simulated time stays finite', async () => {
    const { DEFAULT_MAX_STEP_SIZE } = await import('../../src/optim/integrators.js');
    let h = 1;
    let time = 0;
    for (let k = 0; k < 400; k++) {
      time += h;
      h = nextStepSize(h, 0, 3, true);
    }
    expect(h).toBe(DEFAULT_MAX_STEP_SIZE);
    expect(Number.isFinite(time)).toBe(true);
    expect(nextStepSize(1, 0, 3, true, 5)).toBe(5); // a spec's own cap still wins
  });
});

describe('Hessian reuse (W-methods)', () => {
  it('keeps a Hessian for `reuse` accepted steps, and after a failed attempt only while it is fresh', () => {
    expect(hessianAfterAttempt(0, true, 1)).toBeNull(); // reuse 1: a new Hessian at every new point
    expect(hessianAfterAttempt(0, true, 3)).toBe(1);
    expect(hessianAfterAttempt(1, true, 3)).toBe(2);
    expect(hessianAfterAttempt(2, true, 3)).toBeNull();
    expect(hessianAfterAttempt(0, false, 3)).toBe(0); // same θ, same fresh Hessian
    expect(hessianAfterAttempt(2, false, 3)).toBeNull(); // stale: maybe why the attempt failed
  });

  it('ROS34PW2 on the toy channel: the same end state at tight tolerance with a Hessian every 4 steps, for fewer evaluations', () => {
    // the Hessian costs P = 4 gradient equivalents here; tight tolerances make both runs accurate
    const data = toyDataset(512, 1);
    const field = networkFlowField(TOY_ARCHITECTURE, data, { maxnorm: 1e4 });
    const options = { rtol: 1e-6, atol: 1e-9, tEnd: 200, method: 'ros34pw2' as const };
    const fresh = integrateRosenbrock(field, toyStart(), options);
    const reused = integrateRosenbrock(field, toyStart(), { ...options, hessianReuse: 4 });
    expect(fresh.reason).toBe('time');
    expect(reused.reason).toBe('time');
    const scale = Math.max(...Array.from(fresh.theta, Math.abs));
    expect(maxAbsDifference(reused.theta, fresh.theta) / scale).toBeLessThan(1e-4);
    expect(reused.evaluations).toBeLessThan(fresh.evaluations);
    console.log(`toy, t = 200, rtol 1e-6: Hessian every step ${fresh.steps} steps / ${fresh.evaluations} evaluations; every 4 steps ${reused.steps} / ${reused.evaluations}`);
  });

  it('is refused for Rodas4, whose order needs the exact Hessian', () => {
    const problem = linearFlow([1, 10], 5);
    expect(() => integrateRosenbrock(problem.field, Float64Array.from([1, 1]), { ...PAPER_TOLERANCES, tEnd: 1, method: 'rodas4', hessianReuse: 2 })).toThrow(/needs a W-method/);
  });
});
