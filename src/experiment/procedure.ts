// What the procedure experiments (saddle-perturbation, channel-jump) share: the student setup, the
// context they run in, and a converged r-neuron network: trained by gradient flow on the engine (one run through the scheduler, so it runs on the GPU when
// there is one), then polished by trust-region Newton–CG in float64 on the CPU to a critical point
// (the saddle-line construction is exact only at one, and float32 cannot resolve gradients below
// ~1e-3 near large weights).
import type { Dataset } from '../data/dataset.js';
import type { Engine } from '../engine/engine.js';
import { CpuEngine } from '../engine/cpu/cpu-engine.js';
import { networkFlowField, networkObjective } from '../engine/cpu/flow-field.js';
import { parameterCount, type Activation, type Architecture } from '../model/architecture.js';
import { symmetricEigen } from '../numerics/linalg.js';
import { newtonCg } from '../optim/newton-cg.js';
import type { FlowSolver, OptimizerConfig } from '../optim/optimizers.js';
import type { BatchEvaluator } from '../analysis/saddle-line.js';
import { architectureOf, barrierThreshold, datasetFor, initialParameters } from './grid.js';
import type { RunRecord, StopReason } from './results.js';
import { runSweep } from './scheduler.js';
import { parseConfig, type RunConfig, type RunConfigInput } from './spec.js';

/** What a procedure runs with: the engine for its flows, and a callback per finished record. */
export interface ProcedureContext<R> {
  engine: Engine;
  onRecord?: (record: R) => void | Promise<void>;
  /** ensemble slots for the flows (default: the scheduler's) */
  slots?: number;
  /** a line on how far a long procedure has got (the command line writes it to stderr) */
  progress?: (line: string) => void;
}

/** A procedure as a preset registry can list and run it. */
export interface Procedure<O, R, Result> {
  name: string;
  description: string;
  /** the paper-sized options */
  defaults: O;
  /** options that finish in seconds on the CPU engine */
  quick: O;
  run(options: Partial<O>, context: ProcedureContext<R>): Promise<Result>;
  formatMarkdown(result: Result): string;
}

/** The student and its data, as a spec writes them (spec.ts), plus the flow that trains it. */
export interface StudentSetup {
  /** one hidden layer of r neurons (deeper nets: hidden as an array) */
  architecture: { inputDim: number; hidden: number | number[]; activation: Activation; biases: boolean };
  /** the data section of a spec: inputs, teacher, samples, seed */
  data: NonNullable<RunConfigInput['data']>;
  /** norm barrier (null: none) */
  maxnorm: number | null;
  flow: { solver: FlowSolver; rtol: number; atol: number };
  /** Glorot-normal scale of the initial parameters (spec.ts init.scale; default 1) */
  init?: { scale: number };
}

export interface TrainingBudget {
  /** solver steps of the r-neuron training */
  maxSteps: number;
  /** simulated-time budget (optional) */
  maxTime?: number;
  /** scaled gradient tolerance of the training (spec.ts stop.gradTol) */
  gradTol: number;
  checkEvery: number;
}

export interface PolishOptions {
  /** Newton–CG stops at ‖∇‖∞ ≤ tol */
  tol: number;
  maxIterations: number;
}

/**
 * A RunConfig for the setup with the given hidden widths and stop rules (validated like a spec),
 * trained by the setup's gradient flow or by `optimizer`.
 */
export function setupConfig(
  setup: StudentSetup,
  hidden: number[],
  stop: { maxSteps: number; maxTime?: number; gradTol: number; checkEvery: number; patience?: number },
  trajectoryPoints = 20,
  optimizer: RunConfigInput['optimizer'] = { kind: 'flow', ...setup.flow },
): RunConfig {
  return parseConfig(
    {
      architecture: { ...setup.architecture, hidden },
      data: setup.data,
      ...(setup.init ? { init: { scale: setup.init.scale } } : {}),
      optimizer,
      maxnorm: setup.maxnorm,
      stop: { ...stop },
      trajectory: { points: trajectoryPoints },
    },
    'procedure setup',
  );
}

export function flowOptimizer(setup: StudentSetup): OptimizerConfig {
  return { kind: 'flow', solver: setup.flow.solver, rtol: setup.flow.rtol, atol: setup.flow.atol };
}

/** Float64 CPU evaluation of networks on one dataset (Engine.evaluate's shape), for Hessians and spectra. */
export function float64Evaluator(data: Dataset, maxnorm: number): BatchEvaluator {
  const cpu = new CpuEngine();
  return async (request) => cpu.evaluateSync({ ...request, data, maxnorm });
}

/** Largest and smallest eigenvalue of the dense Hessian of L + R at θ (float64): small networks only (P² entries). */
export function hessianExtremes(arch: Architecture, data: Dataset, maxnorm: number, theta: Float64Array): { max: number; min: number } {
  const P = parameterCount(arch);
  const hessian = new Float64Array(P * P);
  networkFlowField(arch, data, { maxnorm }).hessian(theta, hessian);
  const { values } = symmetricEigen(hessian, P);
  return { max: values[P - 1], min: values[0] };
}

export interface ConvergedNetwork {
  arch: Architecture;
  data: Dataset;
  /** the polished parameters */
  theta: Float64Array;
  /** MSE (no ½) and ‖∇(L + R)‖∞ after the polish */
  loss: number;
  gradInf: number;
  /** the gradient-flow training, or null when the network was given */
  training: { stopReason: StopReason; steps: number; loss: number; gradInf: number; weightNorm: number; backend: string } | null;
  polish: { converged: boolean; reason: string; iterations: number; gradInf: number };
}

/**
 * Trains (or takes) an r-neuron network and polishes it to a critical point. `given`: parameters
 * in the flat layout of the setup's architecture, trained elsewhere.
 */
export async function convergedNetwork(
  setup: StudentSetup,
  seed: number,
  budget: TrainingBudget,
  polish: PolishOptions,
  engine: Engine,
  given?: ArrayLike<number>,
): Promise<ConvergedNetwork> {
  const hidden = typeof setup.architecture.hidden === 'number' ? [setup.architecture.hidden] : [...setup.architecture.hidden];
  const config = setupConfig(setup, hidden, budget);
  const arch = architectureOf(config);
  const data = datasetFor(config, seed);
  let start: Float64Array;
  let training: ConvergedNetwork['training'] = null;
  if (given) {
    start = Float64Array.from(given);
  } else {
    let record: RunRecord | undefined;
    await runSweep([{ id: `base-s${seed}`, configIndex: 0, seed, config }], {
      engine,
      slots: 1,
      samples: () => data.samples,
      optimizer: () => flowOptimizer(setup),
      prepare: () => ({ params: initialParameters(config, seed), data }),
      onRecord: (r) => {
        record = r;
      },
    });
    if (!record) throw new Error('the training of the r-neuron network produced no record');
    start = Float64Array.from(record.recentParams[record.recentParams.length - 1]);
    training = { stopReason: record.stopReason, steps: record.steps, loss: record.loss, gradInf: record.gradInf, weightNorm: record.weightNorm, backend: record.backend };
  }
  const maxnorm = barrierThreshold(config);
  const polished = newtonCg(networkObjective(arch, data, { maxnorm }), start, { tol: polish.tol, maxIterations: polish.maxIterations });
  const loss = (await float64Evaluator(data, maxnorm)({ arch, params: polished.theta })).loss[0];
  return {
    arch,
    data,
    theta: polished.theta,
    loss,
    gradInf: polished.gradInf,
    training,
    polish: { converged: polished.converged, reason: polished.reason, iterations: polished.iterations, gradInf: polished.gradInf },
  };
}
