// The gated-linear-unit limit of a channel (science.md, "The phenomenon"): two neurons i, j of one
// hidden layer with input vectors ũ_{i,j} = w ± εΔ and outgoing weights o_{i,j} compute, as ε → 0
// with c = o_i + o_j and a = ε(o_i − o_j) fixed,
//   o_i·σ(ũ_i·x̃) + o_j·σ(ũ_j·x̃) → c·σ(w·x̃) + a·(Δ·x̃)·σ′(w·x̃) + O(ε²),
// the O(ε²) term being ε²[(c/2)(Δ·x̃)²σ″(w·x̃) + (a/6)(Δ·x̃)³σ‴(w·x̃)].
// x̃ is the layer's input with a 1 appended when biases are on; w and Δ include the bias entry.
//
// Any hidden layer: for a pair in an earlier layer c and a are vectors (one entry per neuron of the
// next layer, from the columns of the next weight matrix); for the last hidden layer they have one
// entry, the output weights' sum and scaled difference. lossAtInfinity needs the pair in the LAST
// hidden layer (there the network output is linear in the output weights) and returns null otherwise.
import type { Architecture } from '../model/architecture.js';
import { activationFunctions } from '../model/activations.js';
import type { Dataset } from '../data/dataset.js';
import { affine, checkTheta, forwardTrace, inputVector, layerOutgoingVectors, resolvePair, type NeuronPair } from './network.js';
import { refitLimit, replacementDeviation, type FittableReplacement, type LimitDeviation } from './limit-network.js';

export interface GluParameters {
  /** hidden layer (0-based) and the pair */
  layer: number;
  i: number;
  j: number;
  /** w = (ũ_i + ũ_j)/2, bias entry last when biases are on */
  w: Float64Array;
  /** Δ = (ũ_i − ũ_j)/‖ũ_i − ũ_j‖ (all zeros when ũ_i = ũ_j exactly) */
  delta: Float64Array;
  /** ε = ‖ũ_i − ũ_j‖/2 */
  epsilon: number;
  /** c = o_i + o_j, one entry per neuron of the next layer (one entry, a_i + a_j, for the last hidden layer) */
  c: Float64Array;
  /** a = ε(o_i − o_j), same shape as c */
  a: Float64Array;
}

/** The GLU reparametrisation of pair (i, j) (default layer: the last hidden layer). */
export function gluParameters(arch: Architecture, theta: ArrayLike<number>, pair: NeuronPair): GluParameters {
  checkTheta(arch, theta);
  const { layer, i, j } = resolvePair(arch, pair);
  const ui = inputVector(arch, theta, layer, i);
  const uj = inputVector(arch, theta, layer, j);
  const outgoing = layerOutgoingVectors(arch, theta, layer);
  const oi = outgoing[i];
  const oj = outgoing[j];
  const w = new Float64Array(ui.length);
  const difference = new Float64Array(ui.length);
  for (let k = 0; k < ui.length; k++) {
    w[k] = (ui[k] + uj[k]) / 2;
    difference[k] = ui[k] - uj[k];
  }
  let length = 0;
  for (const value of difference) length += value * value;
  length = Math.sqrt(length);
  const epsilon = length / 2;
  const delta = length > 0 ? difference.map((value) => value / length) : new Float64Array(ui.length);
  const c = new Float64Array(oi.length);
  const a = new Float64Array(oi.length);
  for (let k = 0; k < oi.length; k++) {
    c[k] = oi[k] + oj[k];
    a[k] = epsilon === 0 ? 0 : epsilon * (oi[k] - oj[k]);
  }
  return { layer, i, j, w, delta, epsilon, c, a };
}

/**
 * The GLU limit c·σ(w·x̃) + a·(Δ·x̃)·σ′(w·x̃) for the pair's layer input `input` (the network input x
 * for the first hidden layer, the previous hidden layer's activations otherwise; WITHOUT the
 * appended 1, which is added when w carries a bias entry). One entry per neuron of the next layer.
 */
export function gluLimitOutput(glu: GluParameters, activation: Architecture['activation'], input: ArrayLike<number>): Float64Array {
  checkInput(glu, input);
  const derivatives = activationFunctions(activation).evaluate;
  const values = new Float64Array(4);
  derivatives(affine(glu.w, input), values);
  const gate = affine(glu.delta, input);
  return glu.c.map((c, k) => c * values[0] + glu.a[k] * gate * values[1]);
}

/** The pair's actual contribution o_i·σ(ũ_i·x̃) + o_j·σ(ũ_j·x̃) for the layer input `input` (as in gluLimitOutput). */
export function pairOutput(arch: Architecture, theta: ArrayLike<number>, pair: NeuronPair, input: ArrayLike<number>): Float64Array {
  checkTheta(arch, theta);
  const { layer, i, j } = resolvePair(arch, pair);
  const sigma = activationFunctions(arch.activation).value;
  const si = sigma(affine(inputVector(arch, theta, layer, i), input));
  const sj = sigma(affine(inputVector(arch, theta, layer, j), input));
  const outgoing = layerOutgoingVectors(arch, theta, layer);
  return outgoing[i].map((oi, k) => oi * si + outgoing[j][k] * sj);
}

function checkInput(glu: GluParameters, input: ArrayLike<number>): void {
  if (input.length !== glu.w.length && input.length !== glu.w.length - 1) {
    throw new RangeError(`layer input has ${input.length} values, the pair's input vectors have ${glu.w.length} (bias included)`);
  }
}

/** The pair replaced by its GLU: features σ(w·x̃) and (Δ·x̃)·σ′(w·x̃), weighted by c and a. */
function replacementOf(glu: GluParameters, activation: Architecture['activation']): FittableReplacement {
  const act = activationFunctions(activation);
  const values = new Float64Array(4);
  return {
    layer: glu.layer,
    members: [glu.i, glu.j],
    contribution: (input, out) => out.set(gluLimitOutput(glu, activation, input)),
    featureCount: 2,
    features(input, out) {
      act.evaluate(affine(glu.w, input), values);
      out[0] = values[0];
      out[1] = affine(glu.delta, input) * values[1];
    },
  };
}

/** Pair (i, j) replaced by its GLU, for forward passes (network.ts forwardTrace) and refits (channel-limit.ts refitLimit). */
export function gluReplacement(arch: Architecture, theta: ArrayLike<number>, pair: NeuronPair): FittableReplacement {
  return replacementOf(gluParameters(arch, theta, pair), arch.activation);
}

/** f(x) of the network itself (float64 forward pass). */
export function networkOutput(arch: Architecture, theta: ArrayLike<number>, x: ArrayLike<number>): number {
  return forwardTrace(arch, theta, x).output;
}

/** f(x) of the network with pair (i, j) replaced by its GLU limit; everything else unchanged. */
export function gluNetworkOutput(arch: Architecture, theta: ArrayLike<number>, pair: NeuronPair, x: ArrayLike<number>): number {
  return forwardTrace(arch, theta, x, gluReplacement(arch, theta, pair)).output;
}

/** max, argmax and root mean square over the samples of |f(x) − f_GLU(x)| */
export type GluDeviation = LimitDeviation;

/**
 * How far the network is from its GLU limit on a dataset: the largest |f(x) − f_GLU(x)| over the
 * samples (dataset `datasetIndex`, or the shared one). For a channel this is O(ε²).
 */
export function gluDeviation(arch: Architecture, theta: ArrayLike<number>, pair: NeuronPair, data: Dataset, datasetIndex = 0): GluDeviation {
  return replacementDeviation(arch, theta, gluReplacement(arch, theta, pair), data, datasetIndex);
}

export interface LossAtInfinity {
  /** L∞: the smallest MSE (no ½) of the limit network over its output layer, w, Δ and every other parameter fixed */
  loss: number;
  /** MSE of the network itself */
  networkLoss: number;
  /** MSE of the limit network at the network's own output weights (c, a from the pair) */
  gluLoss: number;
  /** the optimal output layer of the limit network */
  outputWeights: {
    /** the other neurons of the last hidden layer, ascending */
    neurons: number[];
    /** their optimal output weights, in the order of `neurons` */
    others: Float64Array;
    c: number;
    a: number;
    /** optimal output bias c₀, or null without biases */
    bias: number | null;
  };
  /** numerical rank of the least-squares design matrix (less than its columns: some weights are not determined; a basic solution is returned) */
  rank: number;
  columns: number;
}

/**
 * L∞ = min over the output layer of the MSE of the limit network, with the GLU's w and Δ, every
 * other neuron's input vector and all earlier layers held fixed. Only for a pair in the LAST hidden
 * layer (null otherwise): there the limit network's output is linear in
 *   [σ(other neurons of the layer) …, σ(w·h̃), (Δ·h̃)·σ′(w·h̃), 1 (biases on)]
 * with h̃ the last hidden layer's input (x̃ for one hidden layer), so L∞ is a linear least-squares
 * problem, solved by Householder QR with column pivoting. L∞ ≤ gluLoss always (the limit network
 * at its own weights is one candidate); L∞ ≤ networkLoss + O(ε²).
 * `outputOffset`, when given, is a fixed term added to the output of both networks (held, not
 * refitted): the uncancelled linear term of softplus reflections (channels.ts applyReflections), so
 * that a reflected θ plus the offset is the network as trained.
 */
export function lossAtInfinity(
  arch: Architecture,
  theta: ArrayLike<number>,
  pair: NeuronPair,
  data: Dataset,
  datasetIndex = 0,
  outputOffset?: (x: Float64Array) => number,
): LossAtInfinity | null {
  const fit = refitLimit(arch, theta, gluReplacement(arch, theta, pair), data, datasetIndex, outputOffset);
  if (!fit) return null;
  return {
    loss: fit.loss,
    networkLoss: fit.networkLoss,
    gluLoss: fit.limitLoss,
    outputWeights: { neurons: fit.neurons, others: fit.others, c: fit.coefficients[0], a: fit.coefficients[1], bias: fit.bias },
    rank: fit.rank,
    columns: fit.columns,
  };
}
