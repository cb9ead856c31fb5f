// The limit of a neuron sharpening towards a kink or a step (classify.ts cause 'sharpening',
// channels.ts sharpeningNeurons). With ũ = λû and λ → ∞, at ẑ = û·x̃ (x̃ the layer input, 1 appended
// when biases are on):
//   softplus, gelu:  σ(λẑ)/λ → relu(ẑ), so o·σ(ũ·x̃) with s = o·‖ũ‖ held → s·relu(ẑ) (a kink);
//                    for softplus |o·σ(λẑ) − s·relu(ẑ)| = |o|·log(1 + e^(−λ|ẑ|)) ≤ |s|·log 2/λ;
//   g = sigmoid(4x) + softplus(x): the same kink plus a step o·H(ẑ) from the sigmoid part;
//   erf, tanh:       σ(λẑ) → sign(ẑ): o·sign(ẑ) (a step; o itself stays finite);
//   sigmoid:         σ(λẑ) → H(ẑ), the unit step.
// relu has no such limit (relu(λẑ)/λ = relu(ẑ): rescaling is an exact symmetry, not a road).
//
// sharpeningLossAtInfinity answers "what does the run head for?": the network with the sharpening
// neurons replaced by their limit features, its output layer refitted by least squares, the
// analogue of the GLU's loss at infinity for a channel (glu.ts lossAtInfinity). Both functions take
// neurons of the LAST hidden layer, where the output is linear in the output weights.
import type { Activation, Architecture } from '../model/architecture.js';
import type { Dataset } from '../data/dataset.js';
import { refitLimit, replacementDeviation, type FittableReplacement, type LimitDeviation } from './limit-network.js';
import { affine, checkNeuron, checkTheta, inputVector, layerOutgoingVectors, norm } from './network.js';

/** What σ(λz) tends to: a kink (relu), a step, or both (g); null for relu (no limit: an exact symmetry). */
export type SharpeningShape = 'kink' | 'step' | 'kink+step';

export function sharpeningShape(activation: Activation): SharpeningShape | null {
  switch (activation) {
    case 'softplus':
    case 'gelu':
      return 'kink';
    case 'g':
      return 'kink+step';
    case 'erf':
    case 'tanh':
    case 'sigmoid':
      return 'step';
    case 'relu':
      return null;
  }
}

/** The limit features of a neuron at ẑ = û·x̃: relu(ẑ) for a kink; sign(ẑ) (erf, tanh) or H(ẑ) (sigmoid, g) for a step. */
function limitFeatures(activation: Activation, zHat: number): number[] {
  const relu = Math.max(zHat, 0);
  const unitStep = zHat > 0 ? 1 : zHat < 0 ? 0 : 0.5;
  switch (sharpeningShape(activation)) {
    case 'kink':
      return [relu];
    case 'kink+step':
      return [relu, unitStep];
    case 'step':
      return [activation === 'sigmoid' ? unitStep : Math.sign(zHat)];
    case null:
      throw new RangeError('relu neurons have no sharpening limit (rescaling is an exact symmetry)');
  }
}

/**
 * The neuron's limit at its own weights: s·relu(ẑ) with s = o·‖ũ‖ (kink), o·sign(ẑ) or o·H(ẑ)
 * (step), both for g (o·‖ũ‖·relu(ẑ) + o·H(ẑ)); o is its output weight (last hidden layer).
 */
function limitAtOwnWeights(activation: Activation, outgoing: number, inputNorm: number, zHat: number): number {
  const features = limitFeatures(activation, zHat);
  switch (sharpeningShape(activation)) {
    case 'kink':
      return outgoing * inputNorm * features[0];
    case 'kink+step':
      return outgoing * inputNorm * features[0] + outgoing * features[1];
    default:
      return outgoing * features[0];
  }
}

function checkLastLayerNeurons(arch: Architecture, neurons: readonly number[]): number {
  const last = arch.hidden.length - 1;
  if (neurons.length === 0) throw new RangeError('no sharpening neurons given');
  for (const n of neurons) checkNeuron(arch, last, n);
  if (new Set(neurons).size !== neurons.length) throw new RangeError(`a neuron is given twice: ${neurons.join(', ')}`);
  if (sharpeningShape(arch.activation) === null) throw new RangeError('relu neurons have no sharpening limit (rescaling is an exact symmetry)');
  return last;
}

/**
 * The given last-hidden-layer neurons replaced by their limits: at their own weights each is
 * limitAtOwnWeights (for the deviation); refitted, each contributes its limit features
 * (relu(ẑ), a step, or both) with free output weights (for the loss at infinity).
 */
function sharpeningReplacement(arch: Architecture, theta: ArrayLike<number>, neurons: readonly number[]): FittableReplacement {
  checkTheta(arch, theta);
  const last = checkLastLayerNeurons(arch, neurons);
  const inputs = neurons.map((n) => inputVector(arch, theta, last, n));
  const norms = inputs.map((u) => norm(u));
  const directions = inputs.map((u, k) => u.map((value) => value / norms[k]));
  const outgoing = layerOutgoingVectors(arch, theta, last);
  const perNeuron = sharpeningShape(arch.activation) === 'kink+step' ? 2 : 1;
  return {
    layer: last,
    members: neurons,
    contribution(input, out) {
      out[0] = 0;
      neurons.forEach((neuron, k) => (out[0] += limitAtOwnWeights(arch.activation, outgoing[neuron][0], norms[k], affine(directions[k], input))));
    },
    featureCount: neurons.length * perNeuron,
    features(input, out) {
      directions.forEach((direction, k) => limitFeatures(arch.activation, affine(direction, input)).forEach((value, f) => (out[k * perNeuron + f] = value)));
    },
  };
}

/** max, argmax and root mean square over the samples of |f(x) − f_limit(x)|, the limit at the neurons' own weights */
export type SharpeningDeviation = LimitDeviation;

/**
 * How far the network is from the limit of the given last-hidden-layer neurons at their own
 * weights (each replaced by limitAtOwnWeights). For softplus at most Σ|s|·log 2/‖ũ‖: O(1/λ).
 */
export function sharpeningDeviation(arch: Architecture, theta: ArrayLike<number>, neurons: readonly number[], data: Dataset, datasetIndex = 0): SharpeningDeviation {
  return replacementDeviation(arch, theta, sharpeningReplacement(arch, theta, neurons), data, datasetIndex);
}

export interface SharpeningLimit {
  /** the replaced neurons (last hidden layer) and what they tend to */
  neurons: number[];
  shape: SharpeningShape;
  /** L∞: the smallest MSE (no ½) of the limit network over its output layer, every input vector held */
  loss: number;
  /** MSE of the network itself */
  networkLoss: number;
  /** numerical rank and column count of the least-squares design matrix */
  rank: number;
  columns: number;
}

/**
 * L∞ of sharpening neurons: min over the output layer of the MSE of the network with the given
 * neurons of the LAST hidden layer (indices in it) replaced by their limit features (relu(ẑ), a
 * step, or both), every other neuron and all earlier layers held. A linear least-squares problem
 * over [σ(other neurons) …, limit features …, 1 (biases on)]; L∞ ≤ the MSE of the limit network at
 * its own weights, which tends to the network's own MSE as the neurons sharpen.
 */
export function sharpeningLossAtInfinity(arch: Architecture, theta: ArrayLike<number>, neurons: readonly number[], data: Dataset, datasetIndex = 0): SharpeningLimit {
  const fit = refitLimit(arch, theta, sharpeningReplacement(arch, theta, neurons), data, datasetIndex)!;
  return { neurons: [...neurons], shape: sharpeningShape(arch.activation)!, loss: fit.loss, networkLoss: fit.networkLoss, rank: fit.rank, columns: fit.columns };
}
