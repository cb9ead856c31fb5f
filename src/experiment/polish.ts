// The second-order polish after training (science.md, "Training": gradient flow, then Newton to the
// nearest minimum): trust-region Newton–CG on L + R in float64 from a run's final parameters, with
// the CPU engine's exact Hessian-vector products. It runs on the CPU whatever trained the run: the
// GPU's float32 HVPs (~1e-2 relative near a channel) could not take the gradient to 1e-10.
import type { Dataset } from '../data/dataset.js';
import { evaluateNetwork } from '../engine/cpu/cpu-engine.js';
import { networkFlowField, networkObjective } from '../engine/cpu/flow-field.js';
import { weightNorm, type Architecture } from '../model/architecture.js';
import { formatParameterFile, type ParameterFile } from '../model/params-file.js';
import { FULL_SPECTRUM_MAX_PARAMETERS } from '../analysis/diagnostics.js';
import { symmetricEigen } from '../optim/linalg.js';
import { newtonCg, type NewtonCgReason } from '../optim/newton-cg.js';

export interface PolishConfig {
  kind: 'newton-cg';
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
  /** every eigenvalue of ∇²(L + R) at the polished point, ascending, when P ≤ 128; else null */
  hessianEigenvalues: number[] | null;
}

export function polishNetwork(arch: Architecture, data: Dataset, theta: Float64Array, maxnorm: number, config: PolishConfig): PolishResult {
  const objective = networkObjective(arch, data, { maxnorm });
  const result = newtonCg(objective, Float64Array.from(theta), { tol: config.gradTol, maxIterations: config.maxIterations });
  const end = evaluateNetwork(arch, data, 0, result.theta, { maxnorm });
  const P = result.theta.length;
  let spectrum: number[] | null = null;
  if (P <= FULL_SPECTRUM_MAX_PARAMETERS) {
    // the stiff solver's Hessian: closed form for one hidden layer, P HVPs otherwise
    const hessian = new Float64Array(P * P);
    networkFlowField(arch, data, { maxnorm }).hessian(result.theta, hessian);
    spectrum = Array.from(symmetricEigen(hessian, P).values);
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
