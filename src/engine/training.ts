// Training ensembles: a fixed number of slots resident on the engine; the scheduler loads a run
// into a free slot, advances every active slot, reads a few numbers per slot, and retires runs.
import type { Activation, Architecture } from '../model/architecture.js';
import type { Dataset } from '../data/dataset.js';
import type { OptimizerConfig } from '../optim/optimizers.js';
import type { Backend } from './engine.js';
import type { DiagnosticsSettings, RunDiagnostics } from '../analysis/diagnostics.js';

export interface SlotRun {
  /** flat initial parameters (length P) */
  params: Float64Array;
  /** the run's dataset (count 1, `samples` as the ensemble's) */
  data: Dataset;
  /** minibatch randomness: Philox key and run index (see minibatchIndex in numerics/rng.ts) */
  seed: number;
  runIndex: number;
  /** the run's activation, one of the ensemble's `activations` (default: the ensemble's arch.activation) */
  activation?: Activation;
}

/** Where a slot stands after the last advance; loss and gradient are those of the current parameters. */
export interface SlotStatus {
  active: boolean;
  /** optimiser steps taken (gradient flow: accepted steps) */
  steps: number;
  /** gradient evaluations (gradient flow: right-hand-side evaluations, rejected steps included) */
  evaluations: number;
  /** simulated time of gradient flow (Σ accepted h); 0 for the discrete optimisers */
  time: number;
  loss: number;
  barrier: number;
  gradInf: number;
  weightNorm: number;
  /** false once a non-finite value appeared; the slot is then frozen */
  finite: boolean;
  /** gradient flow: the next step size */
  stepSize: number;
  /**
   * stiff gradient flow: the last attempt could not factorise I + h·d·H. A slot that stalls (or is
   * frozen at the step floor) with this set stopped for its Hessian (a non-finite one), not for θ.
   */
  factorizationFailed?: boolean;
}

export interface EnsembleOptions {
  arch: Architecture;
  optimizer: OptimizerConfig;
  /** samples per run's dataset */
  samples: number;
  slots: number;
  /** norm barrier threshold; Infinity disables it */
  maxnorm: number;
  /** one dataset for every slot (stored once); runs loaded then carry this same dataset */
  sharedData?: Dataset;
  /**
   * The activations of the runs it will hold, arch.activation among them, when more than one: only
   * for an engine with activationGroup, all of one group (each run names its own, SlotRun.activation).
   * Default: arch.activation alone.
   */
  activations?: readonly Activation[];
  /**
   * The slot count the GPU's kernel plan is made for (at least `slots`; default `slots`). Where the
   * stiff kernel's Hessian dispatches and their sample blocks depend on the slot count, so do a run's
   * last bits: a shard's or a resume's smaller ensemble planned for the whole sweep's count trains
   * each run exactly as the uninterrupted sweep does. The CPU engine ignores it.
   */
  planSlots?: number;
}

/**
 * How a training ensemble computes: the CPU engine in float64; the GPU kernels in float32, the stiff
 * kernel with group coordinates for one hidden layer, or in double-float (two floats per value) for
 * deeper networks of a smooth activation (src/engine/gpu/mlp-kernels.ts StiffPrecision).
 */
export type Arithmetic = 'float64' | 'float32' | 'float32, group coordinates' | 'double-float';

export interface TrainingEnsemble {
  /** what trains the runs (an engine may hand a solver it lacks to another backend) */
  readonly backend: Backend;
  readonly description: string;
  /** the arithmetic the runs are trained in (records keep it: what a result's precision was) */
  readonly arithmetic: Arithmetic;
  readonly slots: number;
  readonly options: EnsembleOptions;
  /** puts a run into a slot, resetting the optimiser state */
  load(slot: number, run: SlotRun): Promise<void>;
  /** marks a slot empty: it is skipped by advance */
  release(slot: number): void;
  /**
   * Advances every active slot by up to `steps` steps (gradient flow: accepted steps, and never past
   * `untilTime` when given). A slot whose values turn non-finite stops there and is marked.
   * `stopAt`, when given, holds per slot a step count not to pass (the scheduler's next event of
   * each run), so one call can take every slot to its own event.
   */
  advance(steps: number, untilTime?: number, stopAt?: ArrayLike<number>): Promise<void>;
  status(): Promise<SlotStatus[]>;
  parameters(slot: number): Promise<Float64Array>;
  /** every slot's parameters at once (slots × P; empty slots hold stale values): one readback */
  allParameters(): Promise<Float64Array>;
  /**
   * Diagnostics of the current parameters of `slots` (default: every loaded slot, ascending), in
   * that order: loss, gradient, closest neuron pairs, extreme and (P ≤ FULL_SPECTRUM_MAX_PARAMETERS,
   * 320) all Hessian eigenvalues (src/analysis/diagnostics.ts). An empty slot is an error.
   */
  diagnostics(slots?: readonly number[], settings?: DiagnosticsSettings): Promise<RunDiagnostics[]>;
  dispose(): void;
}

/** Refuses several activations in one ensemble, for engines whose kernels serve one (no activationGroup). */
export function checkOneActivation(options: Pick<EnsembleOptions, 'arch' | 'activations'>, engine: string): void {
  const others = (options.activations ?? []).filter((activation) => activation !== options.arch.activation);
  if (others.length > 0) throw new RangeError(`the ${engine} engine trains one activation per ensemble (${options.arch.activation}), not also ${others.join(', ')}`);
}

/** Refuses a slot index outside an ensemble of `slots` slots (every engine's ensemble checks the same way). */
export function checkSlotIndex(slot: number, slots: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= slots) throw new RangeError(`slot ${slot} out of range 0..${slots - 1}`);
}
