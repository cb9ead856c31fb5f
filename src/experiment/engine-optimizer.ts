// The engines' optimiser for a spec's optimiser. Browser-safe (no file system): the command line
// and the dashboard's worker share it, so both train exactly the same runs.
import { InputError } from '../model/input-error.js';
import type { OptimizerConfig } from '../optim/optimizers.js';
import type { OptimizerSpec } from './spec.js';

/** The engines' optimiser for a spec's optimiser; InputError for what the engines cannot do. */
export function engineOptimizer(optimizer: OptimizerSpec): OptimizerConfig {
  switch (optimizer.kind) {
    case 'gd':
      return { kind: 'gd', lr: optimizer.lr };
    case 'momentum':
      return { kind: 'momentum', lr: optimizer.lr, beta: optimizer.beta };
    case 'adam':
      if (optimizer.batch !== undefined) {
        throw new InputError('optimizer.batch: minibatch Adam is not supported by the training engines yet (omit "batch" for full-batch Adam, or use "sgd")');
      }
      return { kind: 'adam', lr: optimizer.lr, beta1: optimizer.beta1, beta2: optimizer.beta2, eps: optimizer.eps };
    case 'sgd':
      return { kind: 'sgd', lr: optimizer.lr, batch: optimizer.batch };
    case 'flow':
      return {
        kind: 'flow',
        solver: optimizer.solver,
        rtol: optimizer.rtol,
        atol: optimizer.atol,
        ...(optimizer.maxStepSize !== undefined ? { maxStepSize: optimizer.maxStepSize } : {}),
      };
  }
}
