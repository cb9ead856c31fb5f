// Float64 CPU adapters that turn a network and a dataset into the vector field of the stiff solver
// (with its exact Hessian) and the objective of Newton–CG.
import type { Dataset } from '../../data/dataset.js';
import { parameterCount, type Architecture } from '../../model/architecture.js';
import type { NewtonEigenObjective } from '../../optim/newton-eigen.js';
import type { StiffVectorField } from '../../optim/stiff-solvers.js';
import { DEFAULT_MAXNORM } from '../engine.js';
import { evaluateNetwork } from './cpu-engine.js';
import { deepNetworkHessian, hasClosedFormHessian, networkHessian, networkHessianInBasis, projectOnto, type HessianBasis } from './hessian.js';

/** Counts gradient-evaluation equivalents: every gradient and every HVP counts one. */
export interface EvaluationCounter {
  gradients: number;
  hvps: number;
}

/**
 * The gradient-flow field f = −∇(L + R) of one network on one dataset with its exact Hessian
 * (closed form for one hidden layer, else P cached R-operator columns, hessian.ts; counted as
 * hessianCost = P gradient evaluations either way, as on the GPU), float64 CPU engine. `counter`, when given, tallies the calls.
 */
export function networkFlowField(
  arch: Architecture,
  data: Dataset,
  options: { maxnorm?: number; datasetIndex?: number; counter?: EvaluationCounter } = {},
): StiffVectorField {
  const P = parameterCount(arch);
  const maxnorm = options.maxnorm ?? DEFAULT_MAXNORM;
  const index = options.datasetIndex ?? 0;
  const counter = options.counter;
  const closedForm = hasClosedFormHessian(arch);
  return {
    f(theta, out) {
      const g = evaluateNetwork(arch, data, index, theta, { gradient: true, maxnorm }).gradient!;
      for (let k = 0; k < P; k++) out[k] = -g[k];
      if (counter) counter.gradients++;
    },
    hessian(theta, out) {
      (closedForm ? networkHessian : deepNetworkHessian)(arch, data, index, theta, maxnorm, out);
      if (counter) counter.hvps += P;
    },
    hessianCost: P,
  };
}

/** L + R, its gradient, HVPs and dense Hessian of one network on one dataset (float64 CPU engine), for Newton–CG and dense Newton. */
export function networkObjective(
  arch: Architecture,
  data: Dataset,
  options: { maxnorm?: number; datasetIndex?: number; counter?: EvaluationCounter } = {},
): NewtonEigenObjective {
  const maxnorm = options.maxnorm ?? DEFAULT_MAXNORM;
  const index = options.datasetIndex ?? 0;
  const counter = options.counter;
  const field = networkFlowField(arch, data, options);
  const P = parameterCount(arch);
  return {
    hessian(theta) {
      const out = new Float64Array(P * P);
      field.hessian!(theta, out);
      return out;
    },
    value(theta) {
      const r = evaluateNetwork(arch, data, index, theta, { maxnorm });
      return r.loss + r.barrier;
    },
    gradient(theta) {
      if (counter) counter.gradients++;
      return evaluateNetwork(arch, data, index, theta, { gradient: true, maxnorm }).gradient!;
    },
    hvp(theta, v) {
      if (counter) counter.hvps++;
      return evaluateNetwork(arch, data, index, theta, { direction: v, maxnorm }).hvp!;
    },
  };
}

/**
 * The objective of networkObjective on the affine set θ = θ₀ + M·y (M: `basis`, P×Q), as a function
 * of y: value, Mᵀ∇, MᵀHMv and the dense MᵀHM formed in the basis (networkHessianInBasis: per sample
 * for one hidden layer, the precision channel coordinates need). `theta(y)` maps back.
 */
export function affineNetworkObjective(
  arch: Architecture,
  data: Dataset,
  theta0: Float64Array,
  basis: HessianBasis,
  options: { maxnorm?: number; datasetIndex?: number } = {},
): NewtonEigenObjective & { theta(y: Float64Array): Float64Array } {
  const maxnorm = options.maxnorm ?? DEFAULT_MAXNORM;
  const index = options.datasetIndex ?? 0;
  const full = networkObjective(arch, data, options);
  const P = theta0.length;
  const Q = basis.columns;
  const along = (v: Float64Array): Float64Array => {
    const out = new Float64Array(P);
    for (let p = 0; p < P; p++) {
      let sum = 0;
      for (let q = 0; q < Q; q++) sum += basis.matrix[p * Q + q] * v[q];
      out[p] = sum;
    }
    return out;
  };
  const theta = (y: Float64Array): Float64Array => {
    const step = along(y);
    return theta0.map((value, p) => value + step[p]);
  };
  return {
    theta,
    value: (y) => full.value(theta(y)),
    gradient: (y) => projectOnto(basis, full.gradient(theta(y))),
    hvp: (y, v) => projectOnto(basis, full.hvp(theta(y), along(v))),
    hessian(y) {
      const out = new Float64Array(Q * Q);
      networkHessianInBasis(arch, data, index, theta(y), maxnorm, basis, out);
      return out;
    },
  };
}
