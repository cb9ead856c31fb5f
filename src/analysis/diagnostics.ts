// Per-run diagnostics: the numbers a verdict is decided on (science.md, "Classifying where a run
// ended"), computed for every slot of a training ensemble at the scheduler's checks and at the end of
// each run. The GPU computes them in one kernel (shaders/mlp_diagnostics.wgsl); this file defines
// what they are and computes them in float64 from the loss, gradient and exact Hessian-vector
// products of a network — the reference the kernel is tested against.
//
// Everything refers to the objective the optimiser minimises, L + R (the norm barrier included):
// the gradient ∞-norm and every Hessian eigenvalue are those of L + R; `loss` is the data loss L.
import type { Architecture } from '../model/architecture.js';
import { parameterCount, weightNorm } from '../model/architecture.js';
import { hessianMatrix, symmetricEigen, type HessianVectorProduct } from '../numerics/linalg.js';
import { closestPairs } from './channels.js';
import { dot, layerOutgoingVectors, norm } from './network.js';
import { lanczosExtremes, MAX_LANCZOS_STEPS, powerIterationMax } from './spectrum.js';

/**
 * All Hessian eigenvalues are computed up to this many parameters (P HVPs and a P×P eigen-solve):
 * every student of the presets (the largest, d = 16 r = 16, has 289), whose λ_min then needs no
 * Krylov method. Lanczos finds a small negative eigenvalue under a spread-out spectrum slowly: at 15
 * points near saddles of d = 16 softplus networks (P = 145 to 289, λ_min −6e-4 to −2.4e-2, λ_max
 * 140 to 350) 30 steps missed the negative curvature (beyond the verdict's tolerance) at 12, and 64
 * steps at 2 (benchmarks/lanczos-vs-spectrum.ts, benchmarks/results/lanczos-vs-spectrum-2026-12-08.md).
 */
export const FULL_SPECTRUM_MAX_PARAMETERS = 320;

export interface DiagnosticsSettings {
  /** power iterations for λ_max (Hessian-vector products) */
  powerIterations: number;
  /** Lanczos steps for λ_min (at most MAX_LANCZOS_STEPS; fewer when P is smaller) */
  lanczosSteps: number;
}

/** Lanczos takes as many steps as the GPU kernel holds: what λ_min a larger network has rests on it alone. */
export const DEFAULT_DIAGNOSTICS_SETTINGS: Readonly<DiagnosticsSettings> = Object.freeze({ powerIterations: 100, lanczosSteps: MAX_LANCZOS_STEPS });

export function checkDiagnosticsSettings(settings: DiagnosticsSettings): void {
  const { powerIterations, lanczosSteps } = settings;
  if (!Number.isInteger(powerIterations) || powerIterations < 1) throw new RangeError(`powerIterations must be a positive integer, got ${powerIterations}`);
  if (!Number.isInteger(lanczosSteps) || lanczosSteps < 1 || lanczosSteps > MAX_LANCZOS_STEPS) {
    throw new RangeError(`lanczosSteps must be an integer from 1 to ${MAX_LANCZOS_STEPS}, got ${lanczosSteps}`);
  }
}

/** The closest pair of a hidden layer by one distance, with the pair's outgoing weights. */
export interface DiagnosedPair {
  i: number;
  j: number;
  distance: number;
  /**
   * The pair's outgoing weights (s_i, s_j). Last hidden layer: the output weights (a_i, a_j).
   * Earlier layers: the signed norms of the outgoing vectors o (columns of the next weight matrix),
   * s = sign(o·r)·‖o‖ with r the one of larger norm (the first on a tie) — neuronGroups' convention,
   * so s_i·s_j < 0 means the two neurons feed the next layer in opposite directions.
   */
  outgoing: [number, number];
  /** |s_i| + |s_j| */
  sumAbsOutgoing: number;
  /** s_i·s_j < 0: the channel signature */
  oppositeSigns: boolean;
}

export interface LayerDiagnostics {
  /** hidden layer, 0-based */
  layer: number;
  /** smallest cosine distance of input vectors, bias included, computed as ‖û − v̂‖²/2; null for a 1-neuron layer */
  cosine: DiagnosedPair | null;
  /** smallest L2 distance ‖ũ_i − ũ_j‖ of input vectors, bias included */
  l2: DiagnosedPair | null;
}

export interface RunDiagnostics {
  parameters: number;
  /** data loss L (mean squared error, no ½) */
  loss: number;
  /** norm barrier R */
  barrier: number;
  /** Σθ²/(2P) */
  weightNorm: number;
  /** ‖∇(L + R)‖∞ */
  gradInf: number;
  layers: LayerDiagnostics[];
  /**
   * Largest Hessian eigenvalue by power iteration (Rayleigh quotient after `powerIterations`
   * iterations, shifted by min(lambdaMin, 0)). A lower bound that may not have converged when the
   * top eigenvalues are close; lanczosLambdaMax is another lower bound, usually tighter.
   */
  lambdaMax: number;
  /** smallest Hessian eigenvalue by Lanczos (smallest Ritz value, an upper bound) */
  lambdaMin: number;
  /** largest Ritz value of the same Lanczos run */
  lanczosLambdaMax: number;
  /** Lanczos steps taken (min(lanczosSteps, P), fewer at a breakdown) */
  lanczosSteps: number;
  powerIterations: number;
  /** every Hessian eigenvalue, ascending, when P ≤ FULL_SPECTRUM_MAX_PARAMETERS; otherwise null */
  hessianEigenvalues: number[] | null;
}

/** What the diagnostics need of a network at θ: values of L + R and its exact Hessian-vector products. */
export interface NetworkDerivatives {
  loss: number;
  barrier: number;
  /** ∇(L + R) */
  gradient: ArrayLike<number>;
  hvp: HessianVectorProduct;
}

/** The pair's outgoing weights (s_i, s_j) as DiagnosedPair.outgoing defines them. */
export function pairOutgoing(arch: Architecture, theta: ArrayLike<number>, layer: number, i: number, j: number): [number, number] {
  const outgoing = layerOutgoingVectors(arch, theta, layer);
  const [oi, oj] = [outgoing[i], outgoing[j]];
  if (layer === arch.hidden.length - 1) return [oi[0], oj[0]];
  const reference = norm(oj) > norm(oi) ? oj : oi;
  return [Math.sign(dot(oi, reference)) * norm(oi), Math.sign(dot(oj, reference)) * norm(oj)];
}

function diagnosedPair(arch: Architecture, theta: ArrayLike<number>, layer: number, pair: { i: number; j: number; distance: number } | null): DiagnosedPair | null {
  if (!pair) return null;
  const outgoing = pairOutgoing(arch, theta, layer, pair.i, pair.j);
  return {
    i: pair.i,
    j: pair.j,
    distance: pair.distance,
    outgoing,
    sumAbsOutgoing: Math.abs(outgoing[0]) + Math.abs(outgoing[1]),
    oppositeSigns: outgoing[0] * outgoing[1] < 0,
  };
}

/**
 * The better of the iterative λ_max estimates: power iteration's and Lanczos's largest Ritz value
 * both bound λ_max from below, so the larger (power iteration shifted by a λ_min that Lanczos
 * overestimated can even settle on the most negative eigenvalue of an indefinite Hessian). Records
 * from before lanczosLambdaMax was kept have power iteration's alone.
 */
export function lambdaMaxEstimate(diagnostics: Pick<RunDiagnostics, 'lambdaMax'> & { lanczosLambdaMax?: number }): number {
  return Math.max(diagnostics.lambdaMax, diagnostics.lanczosLambdaMax ?? -Infinity);
}

/** Closest pairs of every hidden layer by cosine and by L2 distance, with their outgoing weights. */
export function layerDiagnostics(arch: Architecture, theta: ArrayLike<number>): LayerDiagnostics[] {
  return closestPairs(arch, theta).map((entry) => ({
    layer: entry.layer,
    cosine: diagnosedPair(arch, theta, entry.layer, entry.cosine),
    l2: diagnosedPair(arch, theta, entry.layer, entry.l2),
  }));
}

/** The diagnostics of one network in float64 (the reference of the GPU kernel). */
export function computeRunDiagnostics(
  arch: Architecture,
  theta: ArrayLike<number>,
  at: NetworkDerivatives,
  settings: DiagnosticsSettings = DEFAULT_DIAGNOSTICS_SETTINGS,
): RunDiagnostics {
  checkDiagnosticsSettings(settings);
  const P = parameterCount(arch);
  let gradInf = 0;
  for (let k = 0; k < P; k++) gradInf = Math.max(gradInf, Math.abs(at.gradient[k]));
  const lanczos = lanczosExtremes(at.hvp, P, settings.lanczosSteps);
  const lambdaMax = powerIterationMax(at.hvp, P, settings.powerIterations, lanczos.min);
  const spectrum = P <= FULL_SPECTRUM_MAX_PARAMETERS ? Array.from(symmetricEigen(hessianMatrix(at.hvp, P), P).values) : null;
  return {
    parameters: P,
    loss: at.loss,
    barrier: at.barrier,
    weightNorm: weightNorm(theta),
    gradInf,
    layers: layerDiagnostics(arch, theta),
    lambdaMax,
    lambdaMin: lanczos.min,
    lanczosLambdaMax: lanczos.max,
    lanczosSteps: lanczos.steps,
    powerIterations: settings.powerIterations,
    hessianEigenvalues: spectrum,
  };
}
