// The float64 CPU reference engine: loss, gradient (backprop) and the exact Hessian-vector product
// (Pearlmutter's R-operator: a forward and a backward R-pass) of L + R for every network, with
// compensated sums over samples. It is the yardstick the float32 GPU engine is checked against.
//
// Notation (layers l = 1..L+1, the last one the identity output neuron, a₀ = x, Ra₀ = 0):
//   z_l = W_l a_{l−1} + b_l, a_l = σ(z_l);  Rz_l = VW_l a_{l−1} + W_l Ra_{l−1} + Vb_l, Ra_l = σ′(z_l) Rz_l
//   δ_{L+1} = f − y, Rδ_{L+1} = Rf;  u_l = W_{l+1}ᵀδ_{l+1}, Ru_l = VW_{l+1}ᵀδ_{l+1} + W_{l+1}ᵀRδ_{l+1}
//   δ_l = u_l⊙σ′(z_l), Rδ_l = Ru_l⊙σ′(z_l) + u_l⊙σ″(z_l)⊙Rz_l
//   ∇_{W_l} ∝ Σₙ δ_l a_{l−1}ᵀ, (Hv)_{W_l} ∝ Σₙ (Rδ_l a_{l−1}ᵀ + δ_l Ra_{l−1}ᵀ), both times 2/N at the end.
import { parameterLayout, validateArchitecture, type Architecture, type ParameterLayout } from '../../model/architecture.js';
import { activationFunctions, type ActivationFunctions } from '../../model/activations.js';
import { pairCoordinates } from '../../model/groups.js';
import { datasetIndexFor, validateDataset, type Dataset } from '../../data/dataset.js';
import { barrierTerms, DEFAULT_MAXNORM, type Engine, type Evaluation, type EvaluationRequest } from '../engine.js';
import { CompensatedSum, CompensatedSums } from '../../numerics/compensated-sum.js';
import type { EnsembleOptions, TrainingEnsemble } from '../training.js';
import { CpuEnsemble } from './cpu-ensemble.js';
import { loadInputTile, neuronPreActivations } from './sample-tiles.js';

export interface NetworkEvaluationOptions {
  /** also return the gradient of loss + barrier */
  gradient?: boolean;
  /** direction v (length P) for the Hessian-vector product; omitted: no HVP */
  direction?: Float64Array;
  /** norm barrier threshold (default DEFAULT_MAXNORM); Infinity disables the barrier */
  maxnorm?: number;
}

export interface NetworkEvaluation {
  /** mean squared error (no ½) */
  loss: number;
  /** barrier term R(θ) */
  barrier: number;
  /** ∇(L + R), when requested */
  gradient?: Float64Array;
  /** ∇²(L + R)·v, when a direction was given */
  hvp?: Float64Array;
}

/**
 * Scratch buffers for one architecture, reused across samples and networks. Level 0 is the input,
 * levels 1..L the hidden layers, level L+1 the output neuron (identity: σ′ = 1, σ″ = 0).
 */
class Workspace {
  readonly layout: ParameterLayout;
  readonly widths: number[];
  readonly activation: ActivationFunctions;
  readonly z: Float64Array[];
  readonly a: Float64Array[];
  readonly slope: Float64Array[];
  readonly curvature: Float64Array[];
  readonly rz: Float64Array[];
  readonly ra: Float64Array[];
  readonly delta: Float64Array[];
  readonly rdelta: Float64Array[];
  readonly derivatives = new Float64Array(4);
  private tile: GradientTile | undefined;
  private deepTile: DeepGradientTile | undefined;

  constructor(readonly arch: Architecture) {
    this.layout = parameterLayout(arch);
    this.widths = [arch.inputDim, ...arch.hidden, 1];
    this.activation = activationFunctions(arch.activation);
    const perLevel = () => this.widths.map((width) => new Float64Array(width));
    this.z = perLevel();
    this.a = perLevel();
    this.slope = perLevel();
    this.curvature = perLevel();
    this.rz = perLevel();
    this.ra = perLevel(); // ra[0] stays 0: the inputs do not depend on θ
    this.delta = perLevel();
    this.rdelta = perLevel();
  }

  /** oneHiddenLayerGradient's scratch, made on its first call */
  gradientTile(): GradientTile {
    return (this.tile ??= new GradientTile(this.widths[1]));
  }

  /** deepGradient's scratch, made on its first call */
  deepGradientTile(): DeepGradientTile {
    return (this.deepTile ??= new DeepGradientTile(this.widths));
  }
}

/** Loss, barrier and (optionally) gradient and HVP of ONE network on dataset `datasetIndex`. */
export function evaluateNetwork(
  arch: Architecture,
  data: Dataset,
  datasetIndex: number,
  theta: Float64Array,
  options: NetworkEvaluationOptions = {},
): NetworkEvaluation {
  validateArchitecture(arch);
  validateDataset(data);
  checkDataset(arch, data);
  const P = parameterLayout(arch).count;
  if (theta.length !== P) throw new RangeError(`parameters hold ${theta.length} values, the architecture has ${P}`);
  if (options.direction && options.direction.length !== P) {
    throw new RangeError(`direction holds ${options.direction.length} values, expected ${P}`);
  }
  if (!Number.isInteger(datasetIndex) || datasetIndex < 0 || datasetIndex >= data.count) {
    throw new RangeError(`dataset index ${datasetIndex} out of range: the dataset holds ${data.count}`);
  }
  const maxnorm = options.maxnorm ?? DEFAULT_MAXNORM;
  checkMaxnorm(maxnorm);
  return evaluateUnchecked(workspaceFor(arch), data, datasetIndex, theta, options.gradient ?? false, options.direction, maxnorm);
}

// one Workspace per architecture object: the solvers call evaluateNetwork thousands of times per run
const workspaces = new WeakMap<Architecture, Workspace>();
function workspaceFor(arch: Architecture): Workspace {
  let workspace = workspaces.get(arch);
  if (!workspace) workspaces.set(arch, (workspace = new Workspace(arch)));
  return workspace;
}

function evaluateUnchecked(
  ws: Workspace,
  data: Dataset,
  datasetIndex: number,
  theta: Float64Array,
  wantGradient: boolean,
  direction: Float64Array | undefined,
  maxnorm: number,
): NetworkEvaluation {
  if (wantGradient && !direction) {
    return ws.widths.length === 3 ? oneHiddenLayerGradient(ws, data, datasetIndex, theta, maxnorm) : deepGradient(ws, data, datasetIndex, theta, maxnorm);
  }
  const { layout, widths, activation, z, a, slope, curvature, rz, ra, delta, rdelta, derivatives } = ws;
  const P = layout.count;
  const levels = widths.length - 1; // L + 1 layers with parameters
  const wantHvp = direction !== undefined;
  const v = direction ?? theta; // never read without a direction; avoids a nullable in the inner loops
  const N = data.samples;
  const d = data.inputDim;

  const lossSum = new CompensatedSum();
  const gradientSums = wantGradient ? new CompensatedSums(P) : undefined;
  const hvpSums = wantHvp ? new CompensatedSums(P) : undefined;

  for (let n = 0; n < N; n++) {
    const sample = datasetIndex * N + n;
    for (let i = 0; i < d; i++) a[0][i] = data.x[sample * d + i];

    // forward pass and forward R-pass
    for (let level = 1; level <= levels; level++) {
      const { fanIn, fanOut, weightOffset, biasOffset } = layout.layers[level - 1];
      const aPrev = a[level - 1];
      const raPrev = ra[level - 1];
      const hidden = level < levels;
      for (let j = 0; j < fanOut; j++) {
        const row = weightOffset + j * fanIn;
        let zj = biasOffset >= 0 ? theta[biasOffset + j] : 0;
        for (let i = 0; i < fanIn; i++) zj += theta[row + i] * aPrev[i];
        z[level][j] = zj;
        if (hidden) {
          activation.evaluate(zj, derivatives);
          a[level][j] = derivatives[0];
          slope[level][j] = derivatives[1];
          curvature[level][j] = derivatives[2];
        } else {
          a[level][j] = zj;
          slope[level][j] = 1;
          curvature[level][j] = 0;
        }
        if (wantHvp) {
          let rzj = biasOffset >= 0 ? v[biasOffset + j] : 0;
          for (let i = 0; i < fanIn; i++) rzj += v[row + i] * aPrev[i] + theta[row + i] * raPrev[i];
          rz[level][j] = rzj;
          ra[level][j] = slope[level][j] * rzj;
        }
      }
    }

    const residual = z[levels][0] - data.y[sample];
    lossSum.add(residual * residual);
    if (!gradientSums && !hvpSums) continue;

    // backward pass and backward R-pass; the factor 2/N is applied once at the end
    delta[levels][0] = residual;
    rdelta[levels][0] = wantHvp ? rz[levels][0] : 0;
    for (let level = levels; level >= 1; level--) {
      const { fanIn, fanOut, weightOffset, biasOffset } = layout.layers[level - 1];
      const aPrev = a[level - 1];
      const raPrev = ra[level - 1];
      const dl = delta[level];
      const rdl = rdelta[level];
      for (let j = 0; j < fanOut; j++) {
        const row = weightOffset + j * fanIn;
        if (gradientSums) {
          for (let i = 0; i < fanIn; i++) gradientSums.add(row + i, dl[j] * aPrev[i]);
          if (biasOffset >= 0) gradientSums.add(biasOffset + j, dl[j]);
        }
        if (hvpSums) {
          for (let i = 0; i < fanIn; i++) hvpSums.add(row + i, rdl[j] * aPrev[i] + dl[j] * raPrev[i]);
          if (biasOffset >= 0) hvpSums.add(biasOffset + j, rdl[j]);
        }
      }
      if (level === 1) break;
      // propagate to the layer below: u = Wᵀδ, Ru = VWᵀδ + WᵀRδ
      const below = level - 1;
      for (let i = 0; i < fanIn; i++) {
        let u = 0;
        let ru = 0;
        for (let j = 0; j < fanOut; j++) {
          const w = weightOffset + j * fanIn + i;
          u += theta[w] * dl[j];
          if (wantHvp) ru += v[w] * dl[j] + theta[w] * rdl[j];
        }
        delta[below][i] = u * slope[below][i];
        if (wantHvp) rdelta[below][i] = ru * slope[below][i] + u * curvature[below][i] * rz[below][i];
      }
    }
  }

  return withBarrier(layout.count, theta, lossSum.value / N, N, maxnorm, gradientSums, hvpSums && direction ? { sums: hvpSums, direction } : undefined);
}

/** Samples per tile of the gradient-only paths (oneHiddenLayerGradient, deepGradient): their scratch rows stay in the L1 cache. */
const GRADIENT_TILE = 64;

/** The one-hidden-layer gradient's scratch: per tile, each neuron's pre-activations, values and slopes, and one row of terms. */
class GradientTile {
  readonly z: Float64Array;
  readonly value: Float64Array;
  readonly slope: Float64Array;
  readonly residual = new Float64Array(GRADIENT_TILE);
  readonly terms = new Float64Array(GRADIENT_TILE);
  /** residual × output weight × slope of the neuron at hand: the backpropagated term */
  readonly delta = new Float64Array(GRADIENT_TILE);

  constructor(width: number) {
    this.z = new Float64Array(width * GRADIENT_TILE);
    this.value = new Float64Array(width * GRADIENT_TILE);
    this.slope = new Float64Array(width * GRADIENT_TILE);
  }
}

/**
 * The gradient alone of a one-hidden-layer network (the explicit solvers' and optimisers' only
 * call, and four of a stiff step's five evaluations): evaluateUnchecked's loops unrolled for
 * f(x) = Σⱼ aⱼσ(wⱼ·x + bⱼ) + c₀, with σ and σ′ only, tile by tile of samples: the activation runs
 * over a neuron's tile in one call, and each parameter's compensated sum takes a tile's terms in
 * one pass (CompensatedSums.addAll). Every parameter still sums its terms sample by sample in the
 * same order with the same arithmetic as one sample at a time, so the bits are the same; it is
 * 1.25–1.33× faster than that (softplus and erf, d = 2, r = 4 and 8, N = 1024; 2-core development
 * machine, benchmarks/cpu-engine.ts).
 */
function oneHiddenLayerGradient(ws: Workspace, data: Dataset, datasetIndex: number, theta: Float64Array, maxnorm: number): NetworkEvaluation {
  const { layout, activation } = ws;
  const tile = ws.gradientTile();
  const [hidden, output] = layout.layers;
  const d = hidden.fanIn;
  const r = hidden.fanOut;
  const W = hidden.weightOffset;
  const B = hidden.biasOffset;
  const A = output.weightOffset;
  const C = output.biasOffset;
  const N = data.samples;
  const { x, y } = data;
  const { z, value, slope, residual, terms, delta } = tile;
  const lossSum = new CompensatedSum();
  const sums = new CompensatedSums(layout.count);
  for (let first = 0; first < N; first += GRADIENT_TILE) {
    const count = Math.min(GRADIENT_TILE, N - first);
    const firstSample = datasetIndex * N + first;
    for (let j = 0; j < r; j++) {
      const row = j * GRADIENT_TILE;
      for (let t = 0; t < count; t++) {
        const xOffset = (firstSample + t) * d;
        let zt = B >= 0 ? theta[B + j] : 0;
        for (let i = 0; i < d; i++) zt += theta[W + j * d + i] * x[xOffset + i];
        z[row + t] = zt;
      }
      activation.valuesAndSlopes(z, row, count, value, slope);
    }
    for (let t = 0; t < count; t++) {
      let f = C >= 0 ? theta[C] : 0;
      for (let j = 0; j < r; j++) f += theta[A + j] * value[j * GRADIENT_TILE + t];
      const rt = f - y[firstSample + t];
      residual[t] = rt;
      lossSum.add(rt * rt);
    }
    if (C >= 0) sums.addAll(C, residual, 0, count);
    for (let j = 0; j < r; j++) {
      const row = j * GRADIENT_TILE;
      const a = theta[A + j];
      for (let t = 0; t < count; t++) {
        terms[t] = residual[t] * value[row + t];
        delta[t] = residual[t] * a * slope[row + t];
      }
      sums.addAll(A + j, terms, 0, count);
      for (let i = 0; i < d; i++) {
        for (let t = 0; t < count; t++) terms[t] = delta[t] * x[(firstSample + t) * d + i];
        sums.addAll(W + j * d + i, terms, 0, count);
      }
      if (B >= 0) sums.addAll(B + j, delta, 0, count);
    }
  }
  return withBarrier(layout.count, theta, lossSum.value / N, N, maxnorm, sums);
}

/** deepGradient's scratch: per level, each neuron's row of a tile (unit u at u·GRADIENT_TILE). */
class DeepGradientTile {
  readonly z: Float64Array[];
  readonly value: Float64Array[];
  readonly slope: Float64Array[];
  readonly delta: Float64Array[];

  constructor(widths: number[]) {
    const perLevel = () => widths.map((width) => new Float64Array(width * GRADIENT_TILE));
    this.z = perLevel();
    this.value = perLevel();
    this.slope = perLevel();
    this.delta = perLevel();
  }
}

/**
 * The gradient alone of a network with two or more hidden layers (four of a stiff step's five
 * evaluations): evaluateUnchecked's forward and backward passes tile by tile of samples, as
 * oneHiddenLayerGradient does for one hidden layer: each layer's pre-activations for the tile, the
 * activation over a neuron's tile in one call (σ and σ′ only), the δs of the tile, then each
 * parameter's compensated sum over the tile's terms in one pass. Every parameter still sums its
 * terms in sample order with the same arithmetic, and every z and δ is summed over its inputs in the
 * same order, so the bits are the same as one sample at a time (tests/engine/cpu-engine.test.ts);
 * 1.3–1.6× faster than that at hidden [4, 4] and [4, 4, 4], d = 2 and 16, N = 1024
 * (benchmarks/results/cpu-engine-deep-2026-12-07.md).
 */
function deepGradient(ws: Workspace, data: Dataset, datasetIndex: number, theta: Float64Array, maxnorm: number): NetworkEvaluation {
  const { layout, widths, activation } = ws;
  const { z, value, slope, delta } = ws.deepGradientTile();
  const T = GRADIENT_TILE;
  const levels = widths.length - 1;
  const N = data.samples;
  const { y } = data;
  const lossSum = new CompensatedSum();
  const sums = new CompensatedSums(layout.count);
  for (let first = 0; first < N; first += T) {
    const count = Math.min(T, N - first);
    const firstSample = datasetIndex * N + first;
    loadInputTile(data, datasetIndex, first, count, T, value[0]);
    for (let level = 1; level <= levels; level++) {
      const { fanIn, fanOut, weightOffset, biasOffset } = layout.layers[level - 1];
      const inputs = value[level - 1];
      // the output neuron is the identity: its z is f
      const zs = level < levels ? z[level] : value[level];
      for (let j = 0; j < fanOut; j++) {
        neuronPreActivations(theta, weightOffset + j * fanIn, biasOffset >= 0 ? theta[biasOffset + j] : 0, fanIn, inputs, T, count, zs, j * T);
        if (level < levels) activation.valuesAndSlopes(zs, j * T, count, value[level], slope[level]);
      }
    }
    const outputs = value[levels];
    const residuals = delta[levels];
    for (let t = 0; t < count; t++) {
      const residual = outputs[t] - y[firstSample + t];
      residuals[t] = residual;
      lossSum.add(residual * residual);
    }
    // backward pass; the factor 2/N is applied once at the end
    for (let level = levels; level >= 1; level--) {
      const { fanIn, fanOut, weightOffset, biasOffset } = layout.layers[level - 1];
      const inputs = value[level - 1];
      const deltas = delta[level];
      for (let j = 0; j < fanOut; j++) {
        const row = weightOffset + j * fanIn;
        const jt = j * T;
        for (let i = 0; i < fanIn; i++) sums.addProducts(row + i, deltas, jt, inputs, i * T, count);
        if (biasOffset >= 0) sums.addAll(biasOffset + j, deltas, jt, count);
      }
      if (level === 1) break;
      // propagate to the layer below: δ = (Wᵀδ)⊙σ′, Wᵀδ summed from 0 over j in order
      const below = level - 1;
      for (let i = 0; i < fanIn; i++) {
        for (let t = 0; t < count; t++) {
          let u = 0;
          for (let j = 0; j < fanOut; j++) u += theta[weightOffset + j * fanIn + i] * deltas[j * T + t];
          delta[below][i * T + t] = u * slope[below][i * T + t];
        }
      }
    }
  }
  return withBarrier(layout.count, theta, lossSum.value / N, N, maxnorm, sums);
}

/** Loss, barrier, and the gradient and HVP (along `hvp.direction`) totals ×2/N with the barrier's terms added. */
function withBarrier(
  P: number,
  theta: Float64Array,
  loss: number,
  N: number,
  maxnorm: number,
  gradientSums: CompensatedSums | undefined,
  hvp?: { sums: CompensatedSums; direction: Float64Array },
): NetworkEvaluation {
  // barrier R = (wn − maxnorm)³/3 with wn = Σθ²/(2P): ∇R = R′θ/P, ∇²R·v = R″(θ·v)/P²·θ + R′v/P
  const squares = new CompensatedSum();
  const thetaDotV = new CompensatedSum();
  for (let k = 0; k < P; k++) {
    squares.add(theta[k] * theta[k]);
    if (hvp) thetaDotV.add(theta[k] * hvp.direction[k]);
  }
  const barrier = barrierTerms(squares.value / (2 * P), maxnorm);
  const result: NetworkEvaluation = { loss, barrier: barrier.value };
  if (gradientSums) {
    const gradient = gradientSums.totals(2 / N);
    if (barrier.slope !== 0) for (let k = 0; k < P; k++) gradient[k] += (barrier.slope / P) * theta[k];
    result.gradient = gradient;
  }
  if (hvp) {
    const totals = hvp.sums.totals(2 / N);
    if (barrier.slope !== 0 || barrier.curvature !== 0) {
      const alongTheta = (barrier.curvature * thetaDotV.value) / (P * P);
      for (let k = 0; k < P; k++) totals[k] += alongTheta * theta[k] + (barrier.slope / P) * hvp.direction[k];
    }
    result.hvp = totals;
  }
  return result;
}

function checkDataset(arch: Architecture, data: Dataset): void {
  if (data.inputDim !== arch.inputDim) {
    throw new RangeError(`dataset has ${data.inputDim} inputs, the network expects ${arch.inputDim}`);
  }
}

function checkMaxnorm(maxnorm: number): void {
  if (typeof maxnorm !== 'number' || Number.isNaN(maxnorm) || maxnorm < 0) {
    throw new RangeError(`maxnorm must be a non-negative number or Infinity, got ${maxnorm}`);
  }
}

function asFloat64(values: Float64Array | Float32Array): Float64Array {
  return values instanceof Float64Array ? values : Float64Array.from(values);
}

export interface CpuEngineOptions {
  /** worker threads a training ensemble spreads its slots over (default 1: the calling thread) */
  threads?: number;
  /**
   * builds an ensemble on worker threads: Node's is threadedCpuEngine() in threaded-ensemble.ts,
   * kept out of this module so that the browser bundles (dashboard, report) never reach
   * node:worker_threads
   */
  threadedEnsemble?: (options: EnsembleOptions, threads: number, description: string) => TrainingEnsemble;
}

const CPU_DESCRIPTION = 'CPU, float64, compensated sums over samples (reference engine)';

export class CpuEngine implements Engine {
  readonly backend = 'cpu' as const;
  readonly description: string;
  /** what its runs' records name as their device: the same whatever the thread count, since the results are */
  readonly runDescription = CPU_DESCRIPTION;
  readonly threads: number;
  private readonly threadedEnsemble: CpuEngineOptions['threadedEnsemble'];

  constructor(options: CpuEngineOptions = {}) {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`CPU threads must be a positive integer, got ${threads}`);
    if (threads > 1 && !options.threadedEnsemble) throw new RangeError('CPU threads > 1 need a threadedEnsemble (threadedCpuEngine() in Node)');
    this.threads = threads;
    this.threadedEnsemble = options.threadedEnsemble;
    this.description = threads > 1 ? `${this.runDescription}, ${threads} threads` : this.runDescription;
  }

  async evaluate(request: EvaluationRequest): Promise<Evaluation> {
    return this.evaluateSync(request);
  }

  async createEnsemble(options: EnsembleOptions): Promise<TrainingEnsemble> {
    if (this.threads > 1 && options.slots > 1) return this.threadedEnsemble!(options, this.threads, this.runDescription);
    return new CpuEnsemble(options, this.runDescription);
  }

  /** The same as evaluate(), without the Promise. */
  evaluateSync(request: EvaluationRequest): Evaluation {
    const pairs = request.pairs ?? 0;
    if (pairs !== 0) {
      // float64 loses nothing to the change of variables: evaluate in network coordinates
      const { arch, params, directions } = request;
      const inNetwork = (v: ArrayLike<number>) => pairCoordinates(arch, v, pairs);
      const result = this.evaluateSync({ ...request, pairs: 0, params: inNetwork(params), directions: directions && inNetwork(directions) });
      if (result.gradient) result.gradient = inNetwork(result.gradient);
      if (result.hvp) result.hvp = inNetwork(result.hvp);
      return result;
    }
    const { arch, data, params, directions } = request;
    validateArchitecture(arch);
    validateDataset(data);
    checkDataset(arch, data);
    const P = parameterLayout(arch).count;
    const B = params.length / P;
    if (!Number.isInteger(B) || B < 1) {
      throw new RangeError(`parameters hold ${params.length} values, not a whole number of networks of ${P} parameters`);
    }
    if (directions && directions.length !== params.length) {
      throw new RangeError(`directions hold ${directions.length} values, expected ${params.length} (${B} networks × ${P})`);
    }
    if (data.count !== 1 && data.count !== B) {
      throw new RangeError(`dataset count must be 1 (shared) or ${B} (one per network), got ${data.count}`);
    }
    const maxnorm = request.maxnorm ?? DEFAULT_MAXNORM;
    checkMaxnorm(maxnorm);
    const wantGradient = request.gradient ?? false;

    const workspace = new Workspace(arch);
    const loss = new Float64Array(B);
    const barrier = new Float64Array(B);
    const gradient = wantGradient ? new Float64Array(B * P) : undefined;
    const hvp = directions ? new Float64Array(B * P) : undefined;
    for (let net = 0; net < B; net++) {
      const theta = asFloat64(params.subarray(net * P, (net + 1) * P));
      const direction = directions ? asFloat64(directions.subarray(net * P, (net + 1) * P)) : undefined;
      const result = evaluateUnchecked(workspace, data, datasetIndexFor(data, net), theta, wantGradient, direction, maxnorm);
      loss[net] = result.loss;
      barrier[net] = result.barrier;
      if (gradient && result.gradient) gradient.set(result.gradient, net * P);
      if (hvp && result.hvp) hvp.set(result.hvp, net * P);
    }
    const evaluation: Evaluation = { loss, barrier };
    if (gradient) evaluation.gradient = gradient;
    if (hvp) evaluation.hvp = hvp;
    return evaluation;
  }

  dispose(): void {
    // nothing to release
  }
}
