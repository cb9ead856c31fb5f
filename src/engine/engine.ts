// The one interface both engines implement: callers need not know which one runs, except where
// precision matters (engine.backend, an ensemble's `arithmetic`: float64, float32 or double-float).
import type { Activation, Architecture } from '../model/architecture.js';
import type { Dataset } from '../data/dataset.js';
import type { EnsembleOptions, TrainingEnsemble } from './training.js';

export type Backend = 'gpu' | 'cpu';

/** Default norm barrier: R = (weightnorm − maxnorm)³/3 above it (science.md). */
export const DEFAULT_MAXNORM = 1e3;

export interface EvaluationRequest {
  arch: Architecture;
  data: Dataset;
  /** B networks' flat parameters back to back (B × P) */
  params: Float64Array | Float32Array;
  /** Hessian-vector product directions, B × P; omitted: no HVP */
  directions?: Float64Array | Float32Array;
  /** what to compute; the loss is always computed */
  gradient?: boolean;
  /** norm barrier threshold; Infinity disables the barrier */
  maxnorm?: number;
  /**
   * One hidden layer: params, directions and the returned gradient and HVP are in pair coordinates
   * for this many neuron pairs (src/model/groups.ts); default 0. The GPU computes in them (gradients
   * only), the CPU transforms to network coordinates and back.
   */
  pairs?: number;
}

export interface Evaluation {
  /** B mean-squared errors (no ½) */
  loss: Float64Array;
  /** B barrier terms R(θ) */
  barrier: Float64Array;
  /** B × P gradients of loss + barrier, when requested */
  gradient?: Float64Array;
  /** B × P Hessian-vector products of loss + barrier, when directions were given */
  hvp?: Float64Array;
}

export interface Engine {
  readonly backend: Backend;
  /** one line: what runs the computation */
  readonly description: string;
  /** what its runs' records name as their device, where that is less than `description` (the CPU engine's: without its thread count, which changes no result) */
  readonly runDescription?: string;
  evaluate(request: EvaluationRequest): Promise<Evaluation>;
  /** a training ensemble of `options.slots` slots resident on this engine */
  createEnsemble(options: EnsembleOptions): Promise<TrainingEnsemble>;
  /**
   * The most slots an ensemble of these options can have here (its per-slot buffers against the
   * device's binding limits); absent when there is no such limit.
   */
  maxSlots?(options: Omit<EnsembleOptions, 'slots'>): number;
  /**
   * Runs whose activations have the same group can share one ensemble (EnsembleOptions.activations:
   * one kernel reads each slot's activation), so they share its dispatches: a sweep over activations
   * then waits for one slowest run per group rather than one per activation. Absent: one activation
   * per ensemble.
   */
  activationGroup?(activation: Activation): string;
  /**
   * How many groups (ensembles) the scheduler should train at once on this engine: more than one
   * where one group's host work can overlap another's device work. Absent: one.
   */
  readonly groupsInFlight?: number;
  dispose(): void;
}

/** Barrier value and its first two derivative factors for weight norm `wn` over P parameters. */
export function barrierTerms(wn: number, maxnorm: number): { value: number; slope: number; curvature: number } {
  if (!(wn > maxnorm)) return { value: 0, slope: 0, curvature: 0 };
  const excess = wn - maxnorm;
  // R = excess³/3, dR/dwn = excess², d²R/dwn² = 2·excess
  return { value: (excess * excess * excess) / 3, slope: excess * excess, curvature: 2 * excess };
}
