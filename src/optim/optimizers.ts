// Optimisers as (state, update) pairs over one network's flat parameters (float64, the reference the
// GPU kernels are tested against). Gradient flow's integrators live in integrators.ts.
import { portablePow } from '../numerics/portable-math.js';

// `batch` draws a fresh minibatch of that many samples every step (Philox, identical on CPU and
// GPU: minibatchIndex in numerics/rng.ts); without it the step uses the whole dataset.
export type OptimizerConfig =
  | { kind: 'gd'; lr: number }
  | { kind: 'momentum'; lr: number; beta: number; batch?: number }
  | { kind: 'adam'; lr: number; beta1: number; beta2: number; eps: number; batch?: number }
  | { kind: 'sgd'; lr: number; batch: number }
  | { kind: 'flow'; solver: FlowSolver; rtol: number; atol: number; maxStepSize?: number; hessianReuse?: number };

/**
 * Gradient-flow integrators: 'dopri5' explicit Dormand–Prince 5(4) (stalls at channel entrances:
 * its steps are bounded by 1/λ_max); the linearly implicit, L-stable Rosenbrock methods with the
 * exact Hessian, which follow channels out to the norm barrier: 'rosenbrock23' (ode23s, order 2)
 * and 'rodas4' (order 4, stiffly accurate; stays on the flow's trajectory at the paper's rtol 1e-3
 * where ode23s needs 1e-4) and 'ros34pw2' (order 3, a W-method: keeps its order with an inexact
 * Hessian, the float32 GPU's case; the default, closest to a tight reference at rtol 1e-3:
 * src/optim/stiff-solvers.ts).
 */
export const FLOW_SOLVERS = ['dopri5', 'rosenbrock23', 'rodas4', 'ros34pw2'] as const;
export type FlowSolver = (typeof FLOW_SOLVERS)[number];

export type DiscreteOptimizer = Exclude<OptimizerConfig, { kind: 'flow' }>;

/** minibatch size of a step, or null for full-batch steps */
export function minibatchSize(config: OptimizerConfig): number | null {
  return 'batch' in config && config.batch !== undefined ? config.batch : null;
}

/** Per-parameter state vectors an optimiser keeps (momentum: velocity; Adam: two moments). */
export function stateVectors(config: OptimizerConfig): number {
  switch (config.kind) {
    case 'momentum':
      return 1;
    case 'adam':
      return 2;
    default:
      return 0;
  }
}

/**
 * One step in place: θ ← update(θ, g). `state` holds stateVectors(config) × P values; `step` counts
 * from 1 (Adam's bias correction).
 */
export function applyUpdate(config: DiscreteOptimizer, theta: Float64Array, gradient: Float64Array, state: Float64Array, step: number): void {
  const P = theta.length;
  switch (config.kind) {
    case 'gd':
    case 'sgd':
      for (let k = 0; k < P; k++) theta[k] -= config.lr * gradient[k];
      return;
    case 'momentum':
      // heavy ball: v ← βv + g, θ ← θ − ηv
      for (let k = 0; k < P; k++) {
        state[k] = config.beta * state[k] + gradient[k];
        theta[k] -= config.lr * state[k];
      }
      return;
    case 'adam': {
      // portablePow: the same bias corrections in every JavaScript engine (`**` differs between V8 versions)
      const correction1 = 1 - portablePow(config.beta1, step);
      const correction2 = 1 - portablePow(config.beta2, step);
      for (let k = 0; k < P; k++) {
        const m = (state[k] = config.beta1 * state[k] + (1 - config.beta1) * gradient[k]);
        const v = (state[P + k] = config.beta2 * state[P + k] + (1 - config.beta2) * gradient[k] * gradient[k]);
        theta[k] -= (config.lr * (m / correction1)) / (Math.sqrt(v / correction2) + config.eps);
      }
      return;
    }
  }
}
