// Gradient flow θ̇ = f(θ) = −∇(L + R), integrated adaptively. As in diffrax, a solver (one step with
// an error estimate), a step-size controller and the vector field are kept apart, so the stiff
// solver of a later stage plugs into the same controller and stopping rules.

import { portablePow } from '../numerics/portable-math.js';

/** f(θ) written into out */
export type VectorField = (theta: Float64Array, out: Float64Array) => void;

export interface SolverStep {
  /** the proposed next state */
  theta: Float64Array;
  /** f at the proposed state (first-same-as-last: the next step's first stage) */
  derivative: Float64Array;
  /** scaled RMS error estimate; ≤ 1 means accept */
  error: number;
  evaluations: number;
}

export interface Tolerances {
  rtol: number;
  atol: number;
}

/** RMS of e/(atol + rtol·max(|a|,|b|)): Hairer's scaled error norm. */
export function scaledErrorNorm(error: Float64Array, a: Float64Array, b: Float64Array, tol: Tolerances): number {
  let sum = 0;
  for (let k = 0; k < error.length; k++) {
    const scale = tol.atol + tol.rtol * Math.max(Math.abs(a[k]), Math.abs(b[k]));
    const ratio = error[k] / scale;
    sum += ratio * ratio;
  }
  return Math.sqrt(sum / error.length);
}

// Dormand–Prince 5(4) tableau (Hairer, Nørsett & Wanner, Table 5.2)
export const DOPRI5 = {
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
  ],
  /** b − b̂: fifth- minus fourth-order weights, for the error estimate (7 stages, FSAL) */
  errorWeights: [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40],
  order: 5,
} as const;

/** One Dormand–Prince step from θ with step h; k1 = f(θ) is reused from the previous step. */
export function dopri5Step(f: VectorField, theta: Float64Array, k1: Float64Array, h: number, tol: Tolerances): SolverStep {
  const P = theta.length;
  const stages: Float64Array[] = [k1];
  const point = new Float64Array(P);
  for (let s = 1; s < 7; s++) {
    const row = DOPRI5.a[s];
    for (let k = 0; k < P; k++) {
      let increment = 0;
      for (let j = 0; j < s; j++) increment += row[j] * stages[j][k];
      point[k] = theta[k] + h * increment;
    }
    const stage = new Float64Array(P);
    f(point, stage);
    stages.push(stage);
  }
  // the seventh stage point is the fifth-order solution
  const next = point.slice();
  const error = new Float64Array(P);
  for (let k = 0; k < P; k++) {
    let e = 0;
    for (let s = 0; s < 7; s++) e += DOPRI5.errorWeights[s] * stages[s][k];
    error[k] = h * e;
  }
  return { theta: next, derivative: stages[6], error: scaledErrorNorm(error, theta, next, tol), evaluations: 6 };
}

/** Integral step-size control on the scaled error, as in Hairer's DOPRI5 (safety 0.9, factor in [0.2, 10]). */
export const STEP_CONTROL = { safety: 0.9, minFactor: 0.2, maxFactor: 10 } as const;

/**
 * The largest step when the spec sets none. At a fixed point (a run resting at the norm barrier with
 * stop.gradTol 0) the error estimate vanishes and h grows tenfold per step: without a cap it
 * overflows, simulated time becomes infinite and the record's time unreadable. 1e30 is far beyond any
 * time scale of the flow (1/λ for the tiniest curvature) and leaves float32 room for ~1e8 steps.
 */
export const DEFAULT_MAX_STEP_SIZE = 1e30;

export function nextStepSize(h: number, error: number, order: number, accepted: boolean, maxStepSize = DEFAULT_MAX_STEP_SIZE): number {
  // portablePow: the same step sizes in every JavaScript engine (`**` differs between V8 versions)
  const raw = error > 0 ? STEP_CONTROL.safety * portablePow(error, -1 / order) : STEP_CONTROL.maxFactor;
  let factor = Math.min(STEP_CONTROL.maxFactor, Math.max(STEP_CONTROL.minFactor, raw));
  if (!accepted) factor = Math.min(1, factor);
  return Math.min(h * factor, maxStepSize);
}

/** Hairer's first guess: h₀ = 0.01·‖θ‖/‖f(θ)‖ in the scaled norm (1e-6 when either is tiny). */
export function initialStepSize(theta: Float64Array, f0: Float64Array, tol: Tolerances, maxStepSize = DEFAULT_MAX_STEP_SIZE): number {
  const d0 = scaledErrorNorm(theta, theta, theta, tol);
  const d1 = scaledErrorNorm(f0, theta, theta, tol);
  const h = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
  return Math.min(h, maxStepSize);
}

/**
 * Work per chunk: the GPU integrates in dispatches of FLOW_CHUNK accepted steps, each allowed at
 * most FLOW_ATTEMPT_FACTOR·FLOW_CHUNK + 16 attempts; the CPU reference chunks the same way.
 */
export const FLOW_CHUNK = 16;
export const FLOW_ATTEMPT_FACTOR = 4;
export function flowAttemptBudget(chunkSteps: number): number {
  return FLOW_ATTEMPT_FACTOR * chunkSteps + 16;
}
