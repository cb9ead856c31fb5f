// The second-order polish after training (science.md, "Training": gradient flow, then Newton to the
// nearest minimum): trust-region Newton–CG on L + R in float64 from a run's final parameters, with
// the CPU engine's exact Hessian-vector products, or Levenberg–Marquardt Newton on its dense
// Hessian (newton-eigen.ts). It runs on the CPU whatever trained the run: the GPU's float32 HVPs
// (~1e-2 relative near a channel) could not take the gradient to 1e-10.
//
// Why the dense kind: in a channel at the barrier the Hessian's condition number reaches 1e10 and
// more, and CG needs far more than P iterations. On the nine float64 r = 8 records of
// benchmarks/results/channel-groups-scaling (barriers 1e3 … 1e5, P = 33), Newton–CG reached
// ‖∇‖∞ ≤ 1e-10 on none (2.6e-10 … 7.6e-6, 0.1–11 s each); the dense solve on five, the rest within
// 3.8e-10 … 1e-8, in 17–660 ms.
import type { Dataset } from '../data/dataset.js';
import { evaluateNetwork } from '../engine/cpu/cpu-engine.js';
import { networkFlowField, networkObjective } from '../engine/cpu/flow-field.js';
import { weightNorm, type Architecture } from '../model/architecture.js';
import { formatParameterFile, type ParameterFile } from '../model/params-file.js';
import { FULL_SPECTRUM_MAX_PARAMETERS } from '../analysis/diagnostics.js';
import { symmetricEigen } from '../numerics/linalg.js';
import { newtonCg, type NewtonCgReason } from '../optim/newton-cg.js';
import { newtonEigen } from '../optim/newton-eigen.js';

export interface PolishConfig {
  kind: 'newton-cg' | 'newton-dense';
  maxIterations: number;
  gradTol: number;
}

/** Where the polish ended; a record keeps it beside the end of training. */
export interface PolishResult {
  params: ParameterFile;
  /** MSE (no barrier) */
  loss: number;
  barrier: number;
  gradInf: number;
  weightNorm: number;
  iterations: number;
  reason: NewtonCgReason;
  converged: boolean;
  /** Hessian-vector products and gradients used */
  hvps: number;
  gradients: number;
  /** every eigenvalue of ∇²(L + R) at the polished point, ascending, when P ≤ FULL_SPECTRUM_MAX_PARAMETERS; else null */
  hessianEigenvalues: number[] | null;
}

export function polishNetwork(arch: Architecture, data: Dataset, theta: Float64Array, maxnorm: number, config: PolishConfig): PolishResult {
  const objective = networkObjective(arch, data, { maxnorm });
  const options = { tol: config.gradTol, maxIterations: config.maxIterations };
  const result = config.kind === 'newton-dense' ? newtonEigen(objective, Float64Array.from(theta), options) : { ...newtonCg(objective, Float64Array.from(theta), options), eigenvalues: null };
  const end = evaluateNetwork(arch, data, 0, result.theta, { maxnorm });
  const P = result.theta.length;
  let spectrum: number[] | null = null;
  if (P <= FULL_SPECTRUM_MAX_PARAMETERS) {
    // the dense polish diagonalised this very Hessian last; otherwise the stiff solver's Hessian:
    // closed form for one hidden layer, P HVPs otherwise
    if (result.eigenvalues) spectrum = Array.from(result.eigenvalues);
    else {
      const hessian = new Float64Array(P * P);
      networkFlowField(arch, data, { maxnorm }).hessian(result.theta, hessian);
      spectrum = Array.from(symmetricEigen(hessian, P).values);
    }
  }
  return {
    params: formatParameterFile(arch, result.theta),
    loss: end.loss,
    barrier: end.barrier,
    gradInf: result.gradInf,
    weightNorm: weightNorm(result.theta),
    iterations: result.iterations,
    reason: result.reason,
    converged: result.converged,
    hvps: result.hvps,
    gradients: result.gradients,
    hessianEigenvalues: spectrum,
  };
}
