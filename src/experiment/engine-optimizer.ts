// The engines' optimiser for a spec's optimiser. Browser-safe (no file system): the command line
// and the dashboard's worker share it, so both train exactly the same runs.
import type { OptimizerConfig } from '../optim/optimizers.js';
import type { OptimizerSpec } from './spec.js';

/** The engines' optimiser for a spec's optimiser (every optimiser a spec can write, both engines train). */
export function engineOptimizer(optimizer: OptimizerSpec): OptimizerConfig {
  switch (optimizer.kind) {
    case 'gd':
      return { kind: 'gd', lr: optimizer.lr };
    case 'momentum':
      return { kind: 'momentum', lr: optimizer.lr, beta: optimizer.beta };
    case 'adam':
      // both engines draw Adam's minibatches like SGD's (Philox, the same samples on CPU and GPU)
      return {
        kind: 'adam',
        lr: optimizer.lr,
        beta1: optimizer.beta1,
        beta2: optimizer.beta2,
        eps: optimizer.eps,
        ...(optimizer.batch !== undefined ? { batch: optimizer.batch } : {}),
      };
    case 'sgd':
      return { kind: 'sgd', lr: optimizer.lr, batch: optimizer.batch };
    case 'flow':
      return {
        kind: 'flow',
        solver: optimizer.solver,
        rtol: optimizer.rtol,
        atol: optimizer.atol,
        ...(optimizer.maxStepSize !== undefined ? { maxStepSize: optimizer.maxStepSize } : {}),
        ...(optimizer.hessianReuse !== undefined ? { hessianReuse: optimizer.hessianReuse } : {}),
      };
  }
}
