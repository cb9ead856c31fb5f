// Small run records for the dashboard's tests: a d = 2 softplus network with a planted channel.
import type { RunRecord } from '../../src/experiment/results.js';
import { parseConfig } from '../../src/experiment/spec.js';
import type { Architecture } from '../../src/model/architecture.js';
import { formatParameterFile } from '../../src/model/params-file.js';

export const arch: Architecture = { inputDim: 2, hidden: [2], activation: 'softplus', biases: true };

/** θ = [W (2×2), b (2), a (2), c0]: neurons at w ± εΔ with output weights ±a/(2ε)-ish, opposite signs. */
export function channelTheta(epsilon: number): number[] {
  const a = 1.5;
  return [0.6 + epsilon, -0.4, 0.6 - epsilon, -0.4, 0.1, 0.1, 0.8 + a / (2 * epsilon), 0.8 - a / (2 * epsilon), 0.05];
}

export const finiteTheta = [0.6, -0.4, -0.3, 0.9, 0.1, -0.2, 1.1, 0.7, 0.05];

export const config = parseConfig({
  architecture: { inputDim: 2, hidden: [2], activation: 'softplus', biases: true },
  data: { inputs: { kind: 'normal' }, teacher: { kind: 'rosenbrock', standardize: true }, samples: 64, seed: 3 },
  optimizer: { kind: 'flow', solver: 'rosenbrock23' },
  maxnorm: 1000,
});

export function record(id: string, theta: number[], options: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    configIndex: 0,
    seed: 0,
    config,
    backend: 'cpu',
    device: 'test',
    params0: formatParameterFile(arch, finiteTheta),
    params: formatParameterFile(arch, theta),
    loss: 0.05,
    barrier: 0,
    gradInf: 1e-9,
    weightNorm: theta.reduce((s, v) => s + v * v, 0) / (2 * theta.length),
    steps: 100,
    evaluations: 600,
    time: 10,
    wallSeconds: 0.1,
    stopReason: 'converged',
    trajectory: [
      { step: 0, time: 0, loss: 1, gradInf: 1, weightNorm: 0.2 },
      { step: 10, time: 1, loss: 0.1, gradInf: 0.1, weightNorm: 1 },
      { step: 100, time: 10, loss: 0.05, gradInf: 1e-9, weightNorm: 10 },
    ],
    recentParams: [theta],
    ...options,
  };
}
