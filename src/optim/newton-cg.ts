// The second-order polish after gradient flow (science.md, "Training"): trust-region Newton–CG.
// Each outer iteration solves the Newton system H·p = −g approximately by conjugate gradients on
// Hessian-vector products, truncated at the trust-region boundary or at negative curvature
// (Steihaug–Toint), and updates the radius from the ratio of actual to predicted reduction
// (Nocedal & Wright, Algorithms 4.1 and 7.2). No Hessian is ever formed.

/** A twice-differentiable function of θ, its gradient and Hessian-vector products. */
export interface NewtonObjective {
  value(theta: Float64Array): number;
  gradient(theta: Float64Array): Float64Array;
  /** H(θ)·v */
  hvp(theta: Float64Array, v: Float64Array): Float64Array;
}

export interface NewtonCgOptions {
  /** stop when ‖∇‖∞ ≤ tol (default 1e-10) */
  tol?: number;
  /** outer (Newton) iterations at most (default 200) */
  maxIterations?: number;
  /** first trust-region radius, Euclidean (default 1) */
  initialRadius?: number;
  /** largest radius (default 1e4) */
  maxRadius?: number;
  /** accept a step when actual/predicted reduction > eta (default 1e-4) */
  eta?: number;
  /** CG iterations per Newton step at most (default 2P + 20) */
  maxCgIterations?: number;
}

export type NewtonCgReason =
  /** ‖∇‖∞ ≤ tol */
  | 'converged'
  | 'max-iterations'
  /** the radius collapsed below 1e-14·(1 + ‖θ‖): no step reduces the function any more */
  | 'radius-collapsed'
  | 'non-finite';

export interface NewtonCgResult {
  theta: Float64Array;
  /** outer iterations taken */
  iterations: number;
  /** ‖∇‖∞ at theta */
  gradInf: number;
  /** the function value at theta */
  loss: number;
  converged: boolean;
  reason: NewtonCgReason;
  /** Hessian-vector products used, all CG iterations together */
  hvps: number;
  /** gradients evaluated */
  gradients: number;
  /** steps accepted */
  accepted: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

export function infNorm(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

export function allFinite(values: Float64Array): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

/** τ ≥ 0 with ‖z + τd‖ = radius (z inside the ball). */
function toBoundary(z: Float64Array, d: Float64Array, radius: number): number {
  const dd = dot(d, d);
  const zd = dot(z, d);
  const zz = dot(z, z);
  const discriminant = Math.max(0, zd * zd + dd * (radius * radius - zz));
  // the positive root, written without cancellation
  return zd >= 0 ? (radius * radius - zz) / (zd + Math.sqrt(discriminant)) : (-zd + Math.sqrt(discriminant)) / dd;
}

interface SteihaugResult {
  step: Float64Array;
  /** H·step, accumulated along the CG recurrence */
  hStep: Float64Array;
  hvps: number;
  onBoundary: boolean;
}

/** Steihaug–Toint truncated CG for min gᵀp + ½pᵀHp subject to ‖p‖ ≤ radius. */
function steihaugCg(hvp: (v: Float64Array) => Float64Array, g: Float64Array, radius: number, tolerance: number, maxIterations: number): SteihaugResult {
  const P = g.length;
  const z = new Float64Array(P);
  const hz = new Float64Array(P);
  const r = g.slice();
  const d = new Float64Array(P);
  for (let k = 0; k < P; k++) d[k] = -r[k];
  let rr = dot(r, r);
  let hvps = 0;
  for (let it = 0; it < maxIterations; it++) {
    const hd = hvp(d);
    hvps++;
    const dhd = dot(d, hd);
    if (!(dhd > 0)) {
      // negative (or zero) curvature: go to the boundary along d
      const tau = toBoundary(z, d, radius);
      for (let k = 0; k < P; k++) {
        z[k] += tau * d[k];
        hz[k] += tau * hd[k];
      }
      return { step: z, hStep: hz, hvps, onBoundary: true };
    }
    const alpha = rr / dhd;
    let zz = 0;
    for (let k = 0; k < P; k++) zz += (z[k] + alpha * d[k]) ** 2;
    if (Math.sqrt(zz) >= radius) {
      const tau = toBoundary(z, d, radius);
      for (let k = 0; k < P; k++) {
        z[k] += tau * d[k];
        hz[k] += tau * hd[k];
      }
      return { step: z, hStep: hz, hvps, onBoundary: true };
    }
    for (let k = 0; k < P; k++) {
      z[k] += alpha * d[k];
      hz[k] += alpha * hd[k];
      r[k] += alpha * hd[k];
    }
    const rrNext = dot(r, r);
    if (Math.sqrt(rrNext) <= tolerance) break;
    const beta = rrNext / rr;
    rr = rrNext;
    for (let k = 0; k < P; k++) d[k] = -r[k] + beta * d[k];
  }
  return { step: z, hStep: hz, hvps, onBoundary: false };
}

/**
 * Judges a trial step by ρ, the ratio of actual to predicted reduction (−∞: reject); accepted when
 * ρ > eta. When the predicted reduction is at the rounding level of f (f ≈ 1e-2, reductions ≈
 * 1e-20) the actual one drowns in rounding, so the step is judged by the gradient norm instead —
 * ρ = 1 when ‖∇‖ fell and f did not rise beyond its rounding. An accepted step comes with the
 * candidate's gradient; `gradients` counts the gradient evaluations made here.
 */
export function judgeStep(
  objective: NewtonObjective,
  value: number,
  candidate: Float64Array,
  candidateValue: number,
  predicted: number,
  gradientNorm: number,
  eta: number,
): { rho: number; accepted: boolean; gradient?: Float64Array; gradients: number } {
  if (!Number.isFinite(candidateValue) || !(predicted > 0)) return { rho: -Infinity, accepted: false, gradients: 0 };
  const rounding = 1e-13 * (1 + Math.abs(value));
  if (predicted > rounding) {
    const rho = (value - candidateValue) / predicted;
    return rho > eta ? { rho, accepted: true, gradient: objective.gradient(candidate), gradients: 1 } : { rho, accepted: false, gradients: 0 };
  }
  const gradient = objective.gradient(candidate);
  const better = candidateValue - value <= rounding && allFinite(gradient) && Math.sqrt(dot(gradient, gradient)) < gradientNorm;
  return better ? { rho: 1, accepted: true, gradient, gradients: 1 } : { rho: -Infinity, accepted: false, gradients: 1 };
}

/**
 * Trust-region Newton–CG from theta0 until ‖∇‖∞ ≤ tol. CG stops at relative residual
 * min(0.5, √‖g‖)·‖g‖ (superlinear, then quadratic convergence). Near convergence the actual
 * reduction f(θ) − f(θ + p) drowns in rounding (f ≈ 1e-2, reductions ≈ 1e-20): when the predicted
 * reduction is below 1e-13·(1 + |f|) a step is judged by the gradient instead (judgeStep) — accepted
 * when ‖∇‖ decreased and f did not rise beyond that rounding — so the polish reaches gradients of
 * 1e-10 and below.
 */
export function newtonCg(objective: NewtonObjective, theta0: Float64Array, options: NewtonCgOptions = {}): NewtonCgResult {
  const P = theta0.length;
  const tol = options.tol ?? 1e-10;
  const maxIterations = options.maxIterations ?? 200;
  const maxRadius = options.maxRadius ?? 1e4;
  const eta = options.eta ?? 1e-4;
  const maxCg = options.maxCgIterations ?? 2 * P + 20;
  let radius = Math.min(options.initialRadius ?? 1, maxRadius);

  let theta = theta0.slice();
  let value = objective.value(theta);
  let g = objective.gradient(theta);
  let gradients = 1;
  let hvps = 0;
  let accepted = 0;
  let iterations = 0;
  const result = (reason: NewtonCgReason): NewtonCgResult => ({
    theta, iterations, gradInf: infNorm(g), loss: value, converged: reason === 'converged', reason, hvps, gradients, accepted,
  });
  if (!Number.isFinite(value) || !allFinite(g)) return result('non-finite');

  for (; ; iterations++) {
    if (infNorm(g) <= tol) return result('converged');
    if (iterations >= maxIterations) return result('max-iterations');
    const gNorm = Math.sqrt(dot(g, g));
    const cgTolerance = Math.min(0.5, Math.sqrt(gNorm)) * gNorm;
    const base = theta;
    const cg = steihaugCg((v) => objective.hvp(base, v), g, radius, cgTolerance, maxCg);
    hvps += cg.hvps;
    const p = cg.step;
    const predicted = -(dot(g, p) + 0.5 * dot(p, cg.hStep));
    const pNorm = Math.sqrt(dot(p, p));
    const candidate = new Float64Array(P);
    for (let k = 0; k < P; k++) candidate[k] = theta[k] + p[k];
    const candidateValue = objective.value(candidate);

    const step = judgeStep(objective, value, candidate, candidateValue, predicted, gNorm, eta);
    gradients += step.gradients;
    if (step.rho < 0.25) radius = 0.25 * Math.min(radius, pNorm);
    else if (step.rho > 0.75 && cg.onBoundary) radius = Math.min(2 * radius, maxRadius);

    if (step.accepted) {
      [theta, value, g] = [candidate, candidateValue, step.gradient!];
      accepted++;
      if (!allFinite(g)) return result('non-finite');
    } else if (radius < 1e-14 * (1 + Math.sqrt(dot(theta, theta)))) {
      iterations++;
      return result('radius-collapsed');
    }
  }
}
