// Newton's method on the exact, dense Hessian, for small problems (P ≤ a few hundred) that are too
// ill-conditioned for Newton–CG: deep in a channel λ_max grows like 1/ε² (1/ε⁴ for three carriers)
// while the flat directions keep curvature O(1) or less, and CG on HVPs needs far more than P
// iterations to resolve a condition number of 1e10 (newton-cg.ts stalls at ‖∇‖∞ ≈ 1e-6…1e-3 there).
// Here each iteration forms H (P HVPs, or the objective's own Hessian), diagonalises it (Jacobi,
// linalg.ts) and takes the Levenberg–Marquardt step p = −(H + μI)⁻¹g in the eigenbasis, with μ
// adapted from the ratio of actual to predicted reduction — a trust region in its multiplier form
// (Nocedal & Wright §4.3). Negative curvature is shifted out (μ > −λ_min), and eigenvalues below
// the rounding level of the largest (|λ| ≤ 1e-13·max|λ|, where Jacobi's absolute accuracy ends)
// get a floor of that size instead of dividing a rounding-level gradient by a rounding-level λ.
import { hessianMatrix, symmetricEigen } from '../numerics/linalg.js';
import { allFinite, infNorm, judgeStep, type NewtonCgReason, type NewtonCgResult, type NewtonObjective } from './newton-cg.js';

export interface NewtonEigenObjective extends NewtonObjective {
  /** the dense Hessian at θ (row-major P×P); when absent it is formed from P HVPs */
  hessian?(theta: Float64Array): Float64Array;
}

export interface NewtonEigenResult extends NewtonCgResult {
  /**
   * The Newton decrement ½·gᵀH⁺⁻¹g at the final θ (H⁺: eigenvalues floored at Jacobi's accuracy, 1e-16·max|λ|):
   * how far the objective may still lie above the minimum the quadratic model sees. Infinity at
   * negative curvature beyond rounding. A model's estimate, not a bound: once λ_max ≳ 1e9 the flat
   * directions' curvature is below the Hessian's own rounding, and there the loss kept falling by
   * 5e-9 over iterations after the decrement read 3e-11 (channel-jump, flow sweep r = 8 seed 77).
   */
  decrement: number;
  /** the eigenvalues of H at the final θ, ascending (the last diagonalisation's), or null when θ ended non-finite */
  eigenvalues: Float64Array | null;
}

export interface NewtonEigenOptions {
  /** stop when ‖∇‖∞ ≤ tol (default 1e-10) */
  tol?: number;
  /** Newton iterations (Hessians formed) at most (default 100) */
  maxIterations?: number;
}

/** Jacobi finds eigenvalues to about this times max|λ|, absolute (linalg.ts symmetricEigen). */
const EIGENVALUE_ACCURACY = 1e-16;
/** Relative size below which a step treats an eigenvalue as rounding (a margin of 1,000 over the accuracy). */
const ROUNDING_EIGENVALUE = 1e-13;

/**
 * Levenberg–Marquardt Newton on the dense Hessian from theta0 until ‖∇‖∞ ≤ tol. μ starts at 0 (a
 * pure Newton step where H is positive definite), grows fourfold on every rejected step and shrinks
 * fourfold after a good one. As in newtonCg, a step whose predicted reduction is at the rounding
 * level of f is judged by the gradient norm instead, so the gradient can go below 1e-10.
 * Reason 'radius-collapsed' when μ grew past 1e16·max|λ| without an acceptable step. The result's
 * `hvps` counts Hessian columns, P per Hessian formed (from HVPs, or the objective's own Hessian at
 * about the same cost: the CPU engine's closed form counts as P gradient evaluations too).
 */
export function newtonEigen(objective: NewtonEigenObjective, theta0: Float64Array, options: NewtonEigenOptions = {}): NewtonEigenResult {
  const P = theta0.length;
  const tol = options.tol ?? 1e-10;
  const maxIterations = options.maxIterations ?? 100;
  let theta = theta0.slice();
  let value = objective.value(theta);
  let g = objective.gradient(theta);
  let gradients = 1;
  let hvps = 0;
  let accepted = 0;
  let iterations = 0;
  let mu = 0;
  let decrement = Infinity;
  // of the Hessian at the current θ; null once θ has moved past it
  let eigenvalues: Float64Array | null = null;
  const result = (reason: NewtonCgReason): NewtonEigenResult => ({
    theta, iterations, gradInf: infNorm(g), loss: value, converged: reason === 'converged', reason, hvps, gradients, accepted, decrement, eigenvalues,
  });
  if (!Number.isFinite(value) || !allFinite(g)) return result('non-finite');
  const hessianAt = (at: Float64Array): Float64Array => {
    hvps += P;
    return objective.hessian ? objective.hessian(at) : hessianMatrix((v, out) => out.set(objective.hvp(at, v)), P);
  };

  // the Hessian at every θ reached, the last one too: its decrement goes with the result
  for (; ; iterations++) {
    const hessian = hessianAt(theta);
    if (!allFinite(hessian)) return result('non-finite');
    const { values, vectors } = symmetricEigen(hessian, P, { vectors: true });
    eigenvalues = values;
    const scale = Math.max(Math.abs(values[0]), Math.abs(values[P - 1]));
    const floor = ROUNDING_EIGENVALUE * scale;
    // g in the eigenbasis
    const gk = new Float64Array(P);
    for (let k = 0; k < P; k++) for (let i = 0; i < P; i++) gk[k] += vectors![i * P + k] * g[i];
    // the decrement floors at Jacobi's accuracy, not the step's floor: an upper estimate, not a hopeful one
    const accuracy = EIGENVALUE_ACCURACY * scale;
    decrement = values[0] < -floor ? Infinity : 0.5 * gk.reduce((sum, component, k) => (component === 0 ? sum : sum + component ** 2 / Math.max(values[k], accuracy)), 0);
    if (infNorm(g) <= tol) return result('converged');
    if (iterations >= maxIterations) return result('max-iterations');
    const gNorm = Math.hypot(...g);
    // negative curvature shifted out: every λ_k + shift ≥ floor
    const shift = Math.max(0, floor - values[0]);
    let stepTaken = false;
    while (!stepTaken) {
      const p = new Float64Array(P);
      let predicted = 0;
      for (let k = 0; k < P; k++) {
        if (gk[k] === 0) continue;
        const curvature = Math.max(values[k] + shift, floor) + mu;
        const alpha = -gk[k] / curvature;
        // model reduction −(g_k·α + ½·λ_k·α²) along eigenvector k
        predicted -= gk[k] * alpha + 0.5 * values[k] * alpha * alpha;
        for (let i = 0; i < P; i++) p[i] += vectors![i * P + k] * alpha;
      }
      const candidate = theta.map((v, i) => v + p[i]);
      const candidateValue = objective.value(candidate);
      const step = judgeStep(objective, value, candidate, candidateValue, predicted, gNorm, 1e-4);
      gradients += step.gradients;
      if (step.accepted) {
        [theta, value, g] = [candidate, candidateValue, step.gradient!];
        eigenvalues = null;
        accepted++;
        if (!allFinite(g)) return result('non-finite');
        if (step.rho > 0.75) mu = mu / 4 < floor ? 0 : mu / 4;
        else if (step.rho < 0.25) mu = Math.max(4 * mu, floor);
        stepTaken = true;
      } else {
        mu = Math.max(4 * mu, floor, 1e-12);
        if (mu > 1e16 * Math.max(scale, 1)) {
          iterations++;
          return result('radius-collapsed');
        }
      }
    }
  }
}
