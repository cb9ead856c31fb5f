// Stiff solvers for gradient flow θ̇ = f(θ) = −∇(L + R): the linearly implicit Rosenbrock 2(3)
// pair of Shampine & Reichelt (MATLAB's ode23s; SIAM J. Sci. Comput. 18, 1997) and Hairer & Wanner's
// Rodas4 (order 4, stiffly accurate; rodas4Step below), both with the exact
// Jacobian J = ∂f/∂θ = −H, H the Hessian of L + R (science.md, "Why gradient flow needs a stiff
// integrator"). It plugs into the same controller as the explicit Dormand–Prince solver
// (integrators.ts: scaledErrorNorm, nextStepSize), diffrax style: solver, controller and vector
// field stay apart.
//
// Why Rosenbrock methods: along a channel λ_max(H) grows like 1/ε² while the motion along the channel
// slows, so an explicit solver is held to h ≲ 3/λ_max by stability. ode23s and Rodas4 (below) are
// L-stable (the stability function tends to 0 as hλ → −∞), so h is limited by the accuracy of the
// slow motion only. Each step costs one Hessian (P HVPs, which dominates for every P > 2), one
// Cholesky and a few solves; ode23s needs two new gradients, Rodas4 six, ROS34PW2 four. Rodas4 over ode23s:
// at the paper's rtol 1e-3, ode23s drifts off the flow's trajectory on networks with several slow
// modes and then crawls (measured on d = 2, r = 8, N = 256 Rosenbrock runs: by t = 1e6 its weight norm
// is 43 where rtol 1e-4 and 1e-5 agree on 23.5, and after 8,000 steps it has not reached the barrier
// that the accurate trajectory reaches in 3,600), while Rodas4 at 1e-3 stays on that trajectory. ode23s
// is also a W-method of order 2 (second order with an inexact or stale Jacobian).
// ROS34PW2 (below) is the default. At rtol 1e-3 it ends where a tight reference (Rodas4 at rtol 1e-5)
// ends, for fewer gradients than Rodas4, and it copes with the float32 Hessian. Measured on d = 2,
// r = 8, N = 256, the five seeds of 0–19 where the two first disagreed: ROS34PW2 reaches the
// reference's end state on all five. Rodas4 at 1e-3 gets the reference's verdict on four, but on
// seed 2 it ends in another channel (1/ε 6.6 against 173), and on seed 9 it crawls: 1.4·10⁶
// evaluations without reaching the barrier, where the reference takes 10,500 steps. ROS34PW2 used 35%
// fewer evaluations over the 20 seeds (benchmarks/results/float32-flow-2026-11-23.md).
//
// Scheme (autonomous, d = 1/(2+√2), e32 = 6+√2, W = I − h·d·J = I + h·d·H):
//   k1 = W⁻¹F0;  F1 = f(θ + h/2·k1);  k2 = W⁻¹(F1 − k1) + k1;  θ₁ = θ + h·k2;  F2 = f(θ₁)
//   k3 = W⁻¹(F2 − e32·(k2 − F1) − 2·(k1 − F0));  err = h/6·(k1 − 2k2 + k3)
// θ₁ is second order (local error O(h³)); err estimates that local error, so the controller's
// exponent is −1/3 (ROSENBROCK23.order = 3, as DOPRI5.order = 5 for its O(h⁵) estimate).
//
// W is symmetric, and positive definite whenever every eigenvalue of H exceeds −1/(h·d): always for
// convex regions, and for small enough h near saddles. When H has a large negative eigenvalue and h
// is large, W is indefinite and its Cholesky factorisation fails; the step then reports
// `factorizationFailed` with an infinite error and the caller must shrink h (a failed pivot only
// proves λ_min(H) ≤ −1/(h·d), i.e. that the admissible h is below the one tried, so
// integrateRosenbrock multiplies h by FACTORIZATION_SHRINK and retries with the same Hessian).
// Deliberately no indefinite fallback: for an unstable
// direction of a saddle (J-eigenvalue μ = −λ_H > 0, z = hμ) the growth factor R(z) = 1 + 2z/w −
// z/w² + z²/(2w²), w = 1 − d·z, has a pole at z = 1/d and falls back to R(∞) = 0 (L-stability
// cuts both ways), so steps past h·d·|λ_min| = 1 would damp a saddle escape instead of following
// it; a smaller step is the right answer.
import { cholesky, choleskySolve } from '../numerics/linalg.js';
import type { FlowSolver } from './optimizers.js';
import { DEFAULT_MAX_STEP_SIZE, initialStepSize, nextStepSize, scaledErrorNorm, type SolverStep, type Tolerances, type VectorField } from './integrators.js';

/** A gradient-flow vector field with its exact (negative) Jacobian. */
export interface StiffVectorField {
  /** f(θ) = −∇(L + R), written into out */
  f: VectorField;
  /** the Hessian H = ∇²(L + R) at θ, symmetric, row-major P×P, written into out; J = ∂f/∂θ = −H */
  hessian: (theta: Float64Array, out: Float64Array) => void;
  /**
   * gradient-evaluation equivalents one hessian() call costs, for the evaluation count: P by
   * default (P Hessian-vector products, each counted as one gradient evaluation)
   */
  hessianCost?: number;
  /**
   * How W x = v is solved for W = I + hγ·H (row-major P×P): a solver, or null when W is not
   * positive definite. By default a float64 Cholesky factorisation; an emulation of other arithmetic
   * (benchmarks/float32-deep-flow.ts) puts its own here.
   */
  solver?: (W: Float64Array, P: number) => ((v: Float64Array) => Float64Array) | null;
}

export interface RosenbrockStep extends SolverStep {
  /** W = I + h·d·H was not positive definite: nothing was computed beyond H; shrink h and retry */
  factorizationFailed?: boolean;
  /** the Hessian at the step's start (reuse it for a retry from the same θ: pass it back as `hessian`) */
  hessian: Float64Array;
}

/** The ode23s coefficients and the order the step-size controller uses. */
export const ROSENBROCK23 = {
  d: 1 / (2 + Math.SQRT2),
  e32: 6 + Math.SQRT2,
  /** exponent −1/order in nextStepSize: the error estimate is O(h³) */
  order: 3,
  /** stages that need new f evaluations (F1, F2); F0 comes from the previous step */
  evaluationsPerStep: 2,
} as const;

/** When W cannot be factorised and no better bound is known, h is multiplied by this. */
export const FACTORIZATION_SHRINK = 0.25;

/**
 * One ode23s step from θ with step h. f0 = f(θ) (first same as last: the previous step's
 * `derivative`). `hessian`, when given, is H(θ) and is used instead of calling field.hessian (a
 * retry after a rejection or a failed factorisation: θ is unchanged, so is H). One Cholesky of W per
 * step; the three solves reuse it. `evaluations` counts f calls plus field.hessianCost (default P)
 * when the Hessian was computed here.
 */
export function rosenbrockStep(
  field: StiffVectorField,
  theta: Float64Array,
  f0: Float64Array,
  h: number,
  tol: Tolerances,
  hessian?: Float64Array,
): RosenbrockStep {
  const P = theta.length;
  const { d, e32 } = ROSENBROCK23;
  const prepared = prepareStep(field, theta, f0, h * d, hessian);
  let evaluations = prepared.evaluations;
  const H = prepared.hessian;
  if (!prepared.solve) {
    // W is indefinite (or H non-finite): λ_min(H) ≤ −1/(h·d); the caller shrinks h
    return { theta, derivative: f0, error: Infinity, evaluations, factorizationFailed: true, hessian: H };
  }
  const solve = prepared.solve;

  const k1 = solve(f0);
  const point = new Float64Array(P);
  for (let k = 0; k < P; k++) point[k] = theta[k] + 0.5 * h * k1[k];
  const f1 = new Float64Array(P);
  field.f(point, f1);
  evaluations++;

  const rhs = new Float64Array(P);
  for (let k = 0; k < P; k++) rhs[k] = f1[k] - k1[k];
  const k2 = solve(rhs);
  for (let k = 0; k < P; k++) k2[k] += k1[k];

  const next = new Float64Array(P);
  for (let k = 0; k < P; k++) next[k] = theta[k] + h * k2[k];
  const f2 = new Float64Array(P);
  field.f(next, f2);
  evaluations++;

  for (let k = 0; k < P; k++) rhs[k] = f2[k] - e32 * (k2[k] - f1[k]) - 2 * (k1[k] - f0[k]);
  const k3 = solve(rhs);

  const error = new Float64Array(P);
  for (let k = 0; k < P; k++) error[k] = (h / 6) * (k1[k] - 2 * k2[k] + k3[k]);
  return { theta: next, derivative: f2, error: scaledErrorNorm(error, theta, next, tol), evaluations, hessian: H };
}

/**
 * Rodas4 (Hairer & Wanner, Solving ODEs II, §VI.4; the coefficients of their RODAS code, METH = 1):
 * a stiffly accurate, L-stable Rosenbrock method of order 4 with an embedded order-3 solution, in
 * their transformed variables. With E = I/(hγ) + H (= W/(hγ), W = I + hγ·H, γ = 1/4):
 *   uᵢ = θ + Σⱼ<ᵢ aᵢⱼ kⱼ (u₁ = θ, u₆ = u₅ + k₅);  kᵢ = E⁻¹(f(uᵢ) + Σⱼ<ᵢ (cᵢⱼ/h) kⱼ)
 *   θ₁ = u₆ + k₆, error estimate k₆ (θ₁ minus the embedded u₆), O(h⁴): controller order 4.
 * Why beside ode23s: at the paper's tolerances (rtol 1e-3, atol 1e-6) ode23s leaves the flow's
 * trajectory on networks with several slow modes (d = 2, r = 8, Rosenbrock teacher: by t = 1e6 its
 * weight norm is 43 where rtol 1e-4 and 1e-5 agree on 23.5) and then crawls (8,000 steps without
 * reaching the barrier), while Rodas4 at 1e-3 follows the accurate trajectory to it; on r = 4 ode23s
 * rejects 40–50% of its steps, Rodas4 3–7%. Per step: one Hessian (P evaluations), one Cholesky, six solves and six f
 * evaluations (five stages and f(θ₁), the next step's f0) against ode23s's two: ~10% more at P = 33.
 */
export const RODAS4 = {
  gamma: 0.25,
  /** aᵢⱼ, stages 2..5 (u₆ = u₅ + k₅) */
  a: [[1.544], [0.9466785280815826, 0.2557011698983284], [3.314825187068521, 2.896124015972201, 0.9986419139977817], [1.221224509226641, 6.019134481288629, 12.53708332932087, -0.687886036105895]],
  /** cᵢⱼ, stages 2..6 */
  c: [
    [-5.6688],
    [-2.430093356833875, -0.2063599157091915],
    [-0.1073529058151375, -9.594562251023355, -20.47028614809616],
    [7.496443313967647, -10.24680431464352, -33.99990352819905, 11.7089089320616],
    [8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054],
  ],
  order: 4,
  /** f at the five stages after the first and at θ₁ (f0 comes from the previous step) */
  evaluationsPerStep: 6,
} as const;

/** One Rodas4 step; the same contract as rosenbrockStep (f0 = f(θ), `hessian` reused on retries). */
export function rodas4Step(
  field: StiffVectorField,
  theta: Float64Array,
  f0: Float64Array,
  h: number,
  tol: Tolerances,
  hessian?: Float64Array,
): RosenbrockStep {
  const P = theta.length;
  const prepared = prepareStep(field, theta, f0, h * RODAS4.gamma, hessian);
  if (!prepared.solve) return { theta, derivative: f0, error: Infinity, evaluations: prepared.evaluations, factorizationFailed: true, hessian: prepared.hessian };
  const solveE = scaledSolver(prepared.solve, P, h * RODAS4.gamma);
  const ks: Float64Array[] = [solveE(f0)];
  const u = new Float64Array(P);
  const fu = new Float64Array(P);
  const rhs = new Float64Array(P);
  for (let stage = 1; stage <= 5; stage++) {
    if (stage <= 4) stagePoint(theta, RODAS4.a[stage - 1], ks, u);
    else for (let k = 0; k < P; k++) u[k] += ks[4][k]; // u₆ = u₅ + k₅
    field.f(u, fu);
    ks.push(solveE(stageRhs(fu, RODAS4.c[stage - 1], h, ks, rhs)));
  }
  const next = new Float64Array(P);
  for (let k = 0; k < P; k++) next[k] = u[k] + ks[5][k];
  const derivative = new Float64Array(P);
  field.f(next, derivative);
  return { theta: next, derivative, error: scaledErrorNorm(ks[5], theta, next, tol), evaluations: prepared.evaluations + RODAS4.evaluationsPerStep, hessian: prepared.hessian };
}

/**
 * A Rosenbrock method in Hairer & Wanner's transformed variables (Solving ODEs II, §IV.7), for any
 * number of stages s. With E = I/(hγ) + H:
 *   uᵢ = θ + Σⱼ<ᵢ aᵢⱼ kⱼ (u₁ = θ);  kᵢ = E⁻¹(f(uᵢ) + Σⱼ<ᵢ (cᵢⱼ/h) kⱼ);  θ₁ = θ + Σⱼ mⱼ kⱼ;  error Σⱼ eⱼ kⱼ
 * (e = m − m̂, the difference to the embedded solution). The GPU kernel (shaders/mlp_stiff.wgsl) takes
 * these same numbers as constants.
 */
export interface TransformedRosenbrock {
  gamma: number;
  /** aᵢⱼ for stages i = 2..s (row i − 2 has i − 1 entries) */
  a: number[][];
  /** cᵢⱼ for stages i = 2..s */
  c: number[][];
  m: number[];
  e: number[];
  /** the order of the error estimate, for the controller (exponent −1/order) */
  order: number;
  /** f evaluations per step: stages 2..s and f(θ₁), the next step's f0 */
  evaluationsPerStep: number;
}

/**
 * Published coefficients (αᵢⱼ, γᵢⱼ with the diagonal γ, b, the embedded b̂) to the transformed
 * form: Γ = (γᵢⱼ), a = αΓ⁻¹, c = diag(1/γ) − Γ⁻¹, m = bΓ⁻¹, m̂ = b̂Γ⁻¹ (autonomous fields: the
 * time-derivative terms vanish).
 */
export function transformRosenbrock(method: { gamma: number; alpha: number[][]; gammas: number[][]; b: number[]; bEmbedded: number[]; order: number }): TransformedRosenbrock {
  const s = method.b.length;
  const G = method.gammas.map((row, i) => row.map((v, j) => (i === j ? method.gamma : j < i ? v : 0)));
  // Γ⁻¹ by forward substitution (Γ is lower triangular)
  const inv = G.map(() => new Array<number>(s).fill(0));
  for (let j = 0; j < s; j++) {
    for (let i = j; i < s; i++) {
      let v = i === j ? 1 : 0;
      for (let k = j; k < i; k++) v -= G[i][k] * inv[k][j];
      inv[i][j] = v / G[i][i];
    }
  }
  const times = (row: number[]) => inv[0].map((_, j) => row.reduce((acc, v, k) => acc + v * inv[k][j], 0));
  const m = times(method.b);
  const mEmbedded = times(method.bEmbedded);
  const stages = Array.from({ length: s - 1 }, (_, r) => r + 1);
  return {
    gamma: method.gamma,
    a: stages.map((i) => times(method.alpha[i]).slice(0, i)),
    c: stages.map((i) => inv[i].slice(0, i).map((v) => -v)),
    m,
    e: m.map((v, j) => v - mEmbedded[j]),
    order: method.order,
    evaluationsPerStep: s,
  };
}

/**
 * ROS34PW2 (Rang & Angermann, BIT 45, 2005): 4 stages, order 3 with an embedded order 2, L-stable,
 * stiffly accurate, and a W-method: it keeps order 3 when the Jacobian is only approximate. That is
 * what float32 needs. The GPU's Hessian carries rounding errors of ~1e-7·λ_max (≈ 1e-3 absolute at
 * the barrier, comparable to the curvature along a channel), and Rodas4, whose order conditions need
 * the exact Jacobian, then falls to order 1; its errors are real, the controller cuts the step, and
 * it takes ~6× more steps to the barrier than in float64 (d = 2, r = 4, N = 256, seed 5: 16,100 steps
 * on the GPU without reaching it, 2,700 on the CPU). ROS34PW2 does not rely on the Jacobian for its order; it also needs only four gradients per
 * step against Rodas4's six. benchmarks/results/float32-flow-2026-11-23.md has the measurements.
 */
export const ROS34PW2: TransformedRosenbrock = transformRosenbrock({
  gamma: 4.3586652150845900e-1,
  alpha: [
    [0, 0, 0, 0],
    [8.7173304301691801e-1, 0, 0, 0],
    [8.4457060015369423e-1, -1.1299064236484185e-1, 0, 0],
    [0, 0, 1, 0],
  ],
  gammas: [
    [0, 0, 0, 0],
    [-8.7173304301691801e-1, 0, 0, 0],
    [-9.0338057013044082e-1, 5.4180672388095326e-2, 0, 0],
    [2.4212380706095346e-1, -1.2232505839045147, 5.4526025533510214e-1, 0],
  ],
  b: [2.4212380706095346e-1, -1.2232505839045147, 1.5452602553351020, 4.3586652150845900e-1],
  bEmbedded: [3.7810903145819369e-1, -9.6042292212423178e-2, 0.5, 2.1793326075422950e-1],
  order: 3,
});

/** One step of a transformed Rosenbrock method; the same contract as rosenbrockStep. */
export function transformedRosenbrockStep(
  method: TransformedRosenbrock,
  field: StiffVectorField,
  theta: Float64Array,
  f0: Float64Array,
  h: number,
  tol: Tolerances,
  hessian?: Float64Array,
): RosenbrockStep {
  const P = theta.length;
  const hg = h * method.gamma;
  const prepared = prepareStep(field, theta, f0, hg, hessian);
  if (!prepared.solve) return { theta, derivative: f0, error: Infinity, evaluations: prepared.evaluations, factorizationFailed: true, hessian: prepared.hessian };
  const solveE = scaledSolver(prepared.solve, P, hg);
  const ks: Float64Array[] = [solveE(f0)];
  const u = new Float64Array(P);
  const fu = new Float64Array(P);
  const rhs = new Float64Array(P);
  method.a.forEach((a, row) => {
    field.f(stagePoint(theta, a, ks, u), fu);
    ks.push(solveE(stageRhs(fu, method.c[row], h, ks, rhs)));
  });
  const next = new Float64Array(P);
  const error = new Float64Array(P);
  for (let k = 0; k < P; k++) {
    let value = theta[k];
    let estimate = 0;
    for (let j = 0; j < ks.length; j++) {
      value += method.m[j] * ks[j][k];
      estimate += method.e[j] * ks[j][k];
    }
    next[k] = value;
    error[k] = estimate;
  }
  const derivative = new Float64Array(P);
  field.f(next, derivative);
  return { theta: next, derivative, error: scaledErrorNorm(error, theta, next, tol), evaluations: prepared.evaluations + method.evaluationsPerStep, hessian: prepared.hessian };
}

/** One ROS34PW2 step (transformedRosenbrockStep with ROS34PW2). */
export function ros34pw2Step(field: StiffVectorField, theta: Float64Array, f0: Float64Array, h: number, tol: Tolerances, hessian?: Float64Array): RosenbrockStep {
  return transformedRosenbrockStep(ROS34PW2, field, theta, f0, h, tol, hessian);
}

/** E⁻¹v = hγ·W⁻¹v from a solver of W (a fresh vector per call: the stages keep them). */
function scaledSolver(solve: (v: Float64Array) => Float64Array, P: number, hGamma: number): (v: Float64Array) => Float64Array {
  return (v) => {
    const x = solve(v);
    for (let k = 0; k < P; k++) x[k] *= hGamma;
    return x;
  };
}

/** u ← θ + Σⱼ aⱼ kⱼ (a stage point) */
function stagePoint(theta: Float64Array, a: readonly number[], ks: Float64Array[], u: Float64Array): Float64Array {
  for (let k = 0; k < theta.length; k++) {
    let value = theta[k];
    for (let j = 0; j < a.length; j++) value += a[j] * ks[j][k];
    u[k] = value;
  }
  return u;
}

/** rhs ← f(u) + Σⱼ (cⱼ/h) kⱼ (a stage's right-hand side) */
function stageRhs(fu: Float64Array, c: readonly number[], h: number, ks: Float64Array[], rhs: Float64Array): Float64Array {
  for (let k = 0; k < fu.length; k++) {
    let value = fu[k];
    for (let j = 0; j < c.length; j++) value += (c[j] / h) * ks[j][k];
    rhs[k] = value;
  }
  return rhs;
}

/** H(θ) (computed unless given) and a solver of W = I + hγ·H, or null when W is not positive definite. */
function prepareStep(field: StiffVectorField, theta: Float64Array, f0: Float64Array, hGamma: number, hessian?: Float64Array): { hessian: Float64Array; solve: ((v: Float64Array) => Float64Array) | null; evaluations: number } {
  const P = theta.length;
  if (f0.length !== P) throw new RangeError(`f0 holds ${f0.length} values, θ has ${P}`);
  let evaluations = 0;
  let H = hessian;
  if (!H) {
    H = new Float64Array(P * P);
    field.hessian(theta, H);
    evaluations += field.hessianCost ?? P;
  } else if (H.length !== P * P) throw new RangeError(`hessian holds ${H.length} values, expected ${P}×${P}`);
  const W = new Float64Array(P * P);
  for (let k = 0; k < P * P; k++) W[k] = hGamma * H[k];
  for (let i = 0; i < P; i++) W[i * P + i] += 1;
  return { hessian: H, solve: (field.solver ?? choleskySolver)(W, P), evaluations };
}

/** W x = v by a float64 Cholesky factorisation of W, or null when W is not positive definite. */
export function choleskySolver(W: Float64Array, P: number): ((v: Float64Array) => Float64Array) | null {
  const factorization = cholesky(W, P);
  if (!factorization.ok) return null;
  const factor = factorization.factor;
  return (v) => choleskySolve(factor, P, v);
}

/**
 * The stiff gradient-flow solvers: their step, the controller's order, and whether they are
 * W-methods (their order holds with an approximate Jacobian, so a Hessian may serve several steps).
 */
export type StiffSolver = Exclude<FlowSolver, 'dopri5'>;
/** every stiff solver of FLOW_SOLVERS has its entry (a solver added there without one does not compile) */
export const STIFF_METHODS: Readonly<Record<StiffSolver, { step: typeof rosenbrockStep; order: number; wMethod: boolean }>> = {
  rosenbrock23: { step: rosenbrockStep, order: ROSENBROCK23.order, wMethod: true },
  rodas4: { step: rodas4Step, order: RODAS4.order, wMethod: false },
  ros34pw2: { step: ros34pw2Step, order: ROS34PW2.order, wMethod: true },
};

/**
 * Hessian reuse (W-methods): a Hessian serves at most `reuse` accepted steps (1: a new one at every
 * new point). `uses` counts the accepted steps it has served. After an attempt that was not accepted
 * (rejected, non-finite, W not factorisable) a fresh Hessian stays (θ did not move), while a reused
 * one is dropped, since its staleness may be why the attempt failed. Returns the Hessian's new
 * `uses`, or null when the next attempt needs a new one. The GPU kernel (mlp_stiff.wgsl) applies
 * the same rule.
 */
export function hessianAfterAttempt(uses: number, accepted: boolean, reuse: number): number | null {
  if (accepted) return uses + 1 < reuse ? uses + 1 : null;
  return uses === 0 ? 0 : null;
}

/** A stiff run's Hessian for its next attempt (undefined: compute one) and the accepted steps it has served. */
export interface HeldHessian {
  hessian?: Float64Array;
  hessianUses: number;
}

/** Applies hessianAfterAttempt to `held`: keeps the Hessian, or drops it for a new one. */
export function updateHeldHessian(held: HeldHessian, accepted: boolean, reuse: number): void {
  const uses = hessianAfterAttempt(held.hessianUses, accepted, reuse);
  if (uses === null) held.hessian = undefined;
  held.hessianUses = uses ?? 0;
}

export function isStiffSolver(solver: string): solver is StiffSolver {
  return Object.hasOwn(STIFF_METHODS, solver);
}

/**
 * Why `solver` cannot reuse a Hessian over several steps, or null when it can: only a W-method
 * (ros34pw2, rosenbrock23) keeps its order with a stale Hessian; rodas4 needs the exact one at every
 * step and dopri5 uses none. The spec (naming the field) and every engine refuse on it.
 */
export function hessianReuseRefusal(solver: FlowSolver): string | null {
  if (isStiffSolver(solver) && STIFF_METHODS[solver].wMethod) return null;
  return solver === 'dopri5' ? 'uses no Hessian' : 'needs the exact Hessian at every step';
}

/** Refuses a Hessian reuse the solver cannot take (hessianReuseRefusal), or one below 1. */
export function checkHessianReuse(solver: FlowSolver, hessianReuse: number | undefined): void {
  const reuse = hessianReuse ?? 1;
  if (!Number.isInteger(reuse) || reuse < 1) throw new RangeError(`hessianReuse must be a positive integer, got ${reuse}`);
  const refusal = reuse > 1 ? hessianReuseRefusal(solver) : null;
  if (refusal) throw new RangeError(`hessianReuse ${reuse} needs a W-method (ros34pw2, rosenbrock23): ${solver} ${refusal}`);
}

export interface RosenbrockOptions extends Tolerances {
  /** the stiff method (default rosenbrock23) */
  method?: StiffSolver;
  /** integrate to this time (default Infinity: until a budget ends) */
  tEnd?: number;
  /** first step size (default: Hairer's guess, initialStepSize of integrators.ts) */
  initialStep?: number;
  /** largest allowed step */
  maxStepSize?: number;
  /** stop after this many accepted steps */
  maxSteps?: number;
  /** accepted steps one Hessian may serve (W-methods only; default 1, hessianAfterAttempt) */
  hessianReuse?: number;
  /** stop once this many gradient-evaluation equivalents were spent (f calls + Hessian costs) */
  maxEvaluations?: number;
  /** stop when an accepted state satisfies this (e.g. a distance along a channel) */
  stop?: (theta: Float64Array, t: number) => boolean;
  /** called after every accepted step */
  onStep?: (theta: Float64Array, t: number, h: number) => void;
}

export interface RosenbrockRun {
  theta: Float64Array;
  /** f at the final θ */
  derivative: Float64Array;
  t: number;
  steps: number;
  rejected: number;
  factorizationFailures: number;
  /** gradient-evaluation equivalents: f calls + one per HVP (P per Hessian) */
  evaluations: number;
  /** the step size the controller proposes next */
  stepSize: number;
  reason: 'time' | 'steps' | 'evaluations' | 'stop' | 'step-underflow' | 'non-finite';
}

/** Below this step size the integration gives up (the flow is not resolvable). */
const MIN_STEP = 1e-300;

/**
 * Adaptive ode23s integration of θ̇ = f(θ) with the shared controller (nextStepSize, order 3; no
 * growth right after a rejection, as in the explicit loop of cpu-ensemble.ts). A failed
 * factorisation shrinks h and retries with the same Hessian. A reference driver for tests and the
 * toy problem; the ensemble drives rosenbrockStep itself, chunk by chunk.
 */
export function integrateRosenbrock(field: StiffVectorField, theta0: Float64Array, options: RosenbrockOptions): RosenbrockRun {
  const P = theta0.length;
  const tEnd = options.tEnd ?? Infinity;
  const maxSteps = options.maxSteps ?? Infinity;
  const maxEvaluations = options.maxEvaluations ?? Infinity;
  const maxStepSize = options.maxStepSize ?? DEFAULT_MAX_STEP_SIZE;
  const method = STIFF_METHODS[options.method ?? 'rosenbrock23'];
  let theta: Float64Array = theta0.slice();
  let derivative: Float64Array = new Float64Array(P);
  field.f(theta, derivative);
  let evaluations = 1;
  let t = 0;
  let steps = 0;
  let rejected = 0;
  let factorizationFailures = 0;
  let h = Math.min(options.initialStep ?? initialStepSize(theta, derivative, options, maxStepSize), maxStepSize);
  let rejectedLast = false;
  checkHessianReuse(options.method ?? 'rosenbrock23', options.hessianReuse);
  const reuse = options.hessianReuse ?? 1;
  const held: HeldHessian = { hessianUses: 0 };
  const afterAttempt = (accepted: boolean) => updateHeldHessian(held, accepted, reuse);
  const finish = (reason: RosenbrockRun['reason']): RosenbrockRun => ({
    theta, derivative, t, steps, rejected, factorizationFailures, evaluations, stepSize: h, reason,
  });
  for (;;) {
    if (t >= tEnd) return finish('time');
    if (steps >= maxSteps) return finish('steps');
    if (evaluations >= maxEvaluations) return finish('evaluations');
    if (h < MIN_STEP) return finish('step-underflow');
    const stepH = Math.min(h, tEnd - t);
    const step = method.step(field, theta, derivative, stepH, options, held.hessian);
    evaluations += step.evaluations;
    held.hessian = step.hessian;
    if (step.factorizationFailed) {
      factorizationFailures++;
      h = stepH * FACTORIZATION_SHRINK;
      rejectedLast = true;
      afterAttempt(false);
      continue;
    }
    if (!Number.isFinite(step.error) || !allFinite(step.theta)) {
      rejected++;
      h = stepH * FACTORIZATION_SHRINK;
      rejectedLast = true;
      afterAttempt(false);
      continue;
    }
    const accepted = step.error <= 1;
    afterAttempt(accepted);
    if (accepted) {
      theta = step.theta;
      derivative = step.derivative;
      t += stepH;
      steps++;
      options.onStep?.(theta, t, stepH);
      if (!allFinite(derivative)) return finish('non-finite');
      if (options.stop?.(theta, t)) {
        h = nextStepSize(stepH, step.error, method.order, !rejectedLast, maxStepSize);
        return finish('stop');
      }
    } else rejected++;
    h = nextStepSize(stepH, step.error, method.order, accepted && !rejectedLast, maxStepSize);
    rejectedLast = !accepted;
  }
}

function allFinite(values: Float64Array): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}
