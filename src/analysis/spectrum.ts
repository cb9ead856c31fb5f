// Extreme Hessian eigenvalues from Hessian-vector products alone, with fixed iteration counts (a
// caller outside the diagnostics may let power iteration stop once it settles): the float64
// reference of the GPU diagnostics kernel (shaders/mlp_diagnostics.wgsl), which runs the
// same algorithms in the same order from the same start vector, so the two can be compared number by
// number even where an iteration has not converged.
import { symmetricEigen, type HessianVectorProduct } from '../numerics/linalg.js';

/** Lanczos steps the GPU kernel can hold (its tridiagonal coefficients live in fixed-size arrays). */
export const MAX_LANCZOS_STEPS = 64;

/**
 * Lanczos stops early ("breakdown": the Krylov space is invariant) when the new residual norm β is
 * below this times the running scale max(|α| + β + β_prev) ≈ ‖H‖. Small: near a channel ‖H‖ is
 * ~1e5 while the eigenvalues that matter (λ_min) are ~1, so a β of 1e-5·‖H‖ still carries them.
 * With full reorthogonalisation a β just above float32 noise only adds a direction orthogonal to the
 * basis, which is harmless.
 */
export const LANCZOS_BREAKDOWN = 1e-7;

/**
 * Entry p of the deterministic start vector (before normalisation): an integer hash of p mapped to
 * [−1, 1). Pseudo-random rather than all ones, so that it is not orthogonal to eigenvectors that are
 * antisymmetric between two neurons (the channel direction is one). The WGSL twin is start_entry.
 */
export function startVectorEntry(p: number): number {
  let x = Math.imul(p + 1, 0x9e3779b9) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return ((x >>> 8) / 16777216) * 2 - 1;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

function unitStartVector(P: number): Float64Array {
  const v = Float64Array.from({ length: P }, (_, p) => startVectorEntry(p));
  const n = Math.sqrt(dot(v, v));
  for (let k = 0; k < P; k++) v[k] /= n;
  return v;
}

export interface LanczosResult {
  /** smallest and largest Ritz value of the tridiagonal matrix */
  min: number;
  max: number;
  /** steps taken: min(requested, P), fewer at a breakdown */
  steps: number;
}

/**
 * `steps` Lanczos steps (at most P) with full reorthogonalisation (two Gram–Schmidt passes against
 * every basis vector), from the start vector of startVectorEntry; the extreme Ritz values.
 */
export function lanczosExtremes(hvp: HessianVectorProduct, P: number, steps: number): LanczosResult {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`Lanczos needs at least one step, got ${steps}`);
  const limit = Math.min(steps, P);
  const basis: Float64Array[] = [unitStartVector(P)];
  const alphas: number[] = [];
  const betas: number[] = [];
  const w = new Float64Array(P);
  let scale = 0;
  let betaPrevious = 0;
  for (let s = 0; s < limit; s++) {
    const q = basis[s];
    w.fill(0);
    hvp(q, w);
    const alpha = dot(q, w);
    alphas.push(alpha);
    if (s + 1 === limit) break;
    for (let k = 0; k < P; k++) w[k] -= alpha * q[k];
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j <= s; j++) {
        const c = dot(basis[j], w);
        for (let k = 0; k < P; k++) w[k] -= c * basis[j][k];
      }
    }
    const beta = Math.sqrt(dot(w, w));
    scale = Math.max(scale, Math.abs(alpha) + beta + betaPrevious);
    if (!(beta > LANCZOS_BREAKDOWN * scale)) break;
    betas.push(beta);
    basis.push(Float64Array.from(w, (x) => x / beta));
    betaPrevious = beta;
  }
  const m = alphas.length;
  const t = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    t[i * m + i] = alphas[i];
    if (i + 1 < m) t[i * m + i + 1] = t[(i + 1) * m + i] = betas[i];
  }
  const ritz = symmetricEigen(t, m).values;
  return { min: ritz[0], max: ritz[m - 1], steps: m };
}

/**
 * The largest eigenvalue by `iterations` power iterations on H − shift·I (shift = min(lowerBound, 0),
 * lowerBound an estimate of the smallest eigenvalue, e.g. Lanczos's) from the start vector of
 * startVectorEntry: the shift makes λ_max the dominant eigenvalue even when a negative one is larger
 * in magnitude. Returns the Rayleigh quotient vᵀHv of the last iterate, or of the first whose change
 * from the one before is at most `relativeChange` of it (default 0: every iteration runs).
 */
export function powerIterationMax(hvp: HessianVectorProduct, P: number, iterations: number, lowerBound: number, relativeChange = 0): number {
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`power iteration needs at least one iteration, got ${iterations}`);
  const shift = Math.min(lowerBound, 0);
  let v = unitStartVector(P);
  const w = new Float64Array(P);
  let lambda = NaN;
  for (let it = 0; it < iterations; it++) {
    w.fill(0);
    hvp(v, w);
    const previous = lambda;
    lambda = dot(v, w);
    if (it + 1 === iterations || (relativeChange > 0 && Math.abs(lambda - previous) <= relativeChange * Math.abs(lambda))) break;
    for (let k = 0; k < P; k++) w[k] -= shift * v[k];
    const n = Math.sqrt(dot(w, w));
    if (!(n > 0)) break;
    v = Float64Array.from(w, (x) => x / n);
  }
  return lambda;
}
