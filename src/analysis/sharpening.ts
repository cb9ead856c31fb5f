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
import { activationFunctions } from '../model/activations.js';
import type { Dataset } from '../data/dataset.js';
import { CompensatedSum } from '../engine/cpu/compensated-sum.js';
import { leastSquares } from './least-squares.js';
import { affine, checkDatasetFor, checkNeuron, checkTheta, forwardTrace, inputVector, layerOutgoingVectors, norm, sampleInput } from './network.js';

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

/** What both functions below start from: the checks, the dataset's index, each neuron's ũ and ‖ũ‖. */
function sharpeningSetup(arch: Architecture, theta: ArrayLike<number>, neurons: readonly number[], data: Dataset, datasetIndex: number) {
  checkTheta(arch, theta);
  const last = checkLastLayerNeurons(arch, neurons);
  const index = checkDatasetFor(arch, data, datasetIndex);
  const inputs = neurons.map((n) => inputVector(arch, theta, last, n));
  return { last, index, inputs, norms: inputs.map((u) => norm(u)) };
}

export interface SharpeningDeviation {
  /** max over samples of |f(x) − f_limit(x)|, the limit at the neurons' own weights */
  max: number;
  rms: number;
}

/**
 * How far the network is from the limit of the given last-hidden-layer neurons at their own
 * weights (each replaced by limitAtOwnWeights). For softplus at most Σ|s|·log 2/‖ũ‖: O(1/λ).
 */
export function sharpeningDeviation(arch: Architecture, theta: ArrayLike<number>, neurons: readonly number[], data: Dataset, datasetIndex = 0): SharpeningDeviation {
  const { last, index, inputs, norms } = sharpeningSetup(arch, theta, neurons, data, datasetIndex);
  const sigma = activationFunctions(arch.activation).value;
  const outgoing = layerOutgoingVectors(arch, theta, last);
  let max = 0;
  const squares = new CompensatedSum();
  for (let n = 0; n < data.samples; n++) {
    const input = forwardTrace(arch, theta, sampleInput(data, index, n)).inputs[last];
    let deviation = 0;
    neurons.forEach((neuron, k) => {
      const z = affine(inputs[k], input);
      deviation += outgoing[neuron][0] * sigma(z) - limitAtOwnWeights(arch.activation, outgoing[neuron][0], norms[k], z / norms[k]);
    });
    max = Math.max(max, Math.abs(deviation));
    squares.add(deviation * deviation);
  }
  return { max, rms: Math.sqrt(squares.value / data.samples) };
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
  const { last, index, inputs, norms } = sharpeningSetup(arch, theta, neurons, data, datasetIndex);
  const N = data.samples;
  const shape = sharpeningShape(arch.activation)!;
  const others = Array.from({ length: arch.hidden[last] }, (_, n) => n).filter((n) => !neurons.includes(n));
  const perNeuron = shape === 'kink+step' ? 2 : 1;
  const columnCount = others.length + neurons.length * perNeuron + (arch.biases ? 1 : 0);
  const columns = Array.from({ length: columnCount }, () => new Float64Array(N));
  const directions = inputs.map((u, k) => u.map((value) => value / norms[k]));
  const y = data.y.subarray(index * N, (index + 1) * N);
  const networkSquares = new CompensatedSum();
  for (let n = 0; n < N; n++) {
    const trace = forwardTrace(arch, theta, sampleInput(data, index, n));
    const residual = trace.output - y[n];
    networkSquares.add(residual * residual);
    const h = trace.activations[last];
    const input = trace.inputs[last];
    others.forEach((m, col) => (columns[col][n] = h[m]));
    directions.forEach((direction, k) => {
      limitFeatures(arch.activation, affine(direction, input)).forEach((value, f) => (columns[others.length + k * perNeuron + f][n] = value));
    });
    if (arch.biases) columns[columnCount - 1][n] = 1;
  }
  const solution = leastSquares(columns, y);
  return { neurons: [...neurons], shape, loss: solution.residualSumOfSquares / N, networkLoss: networkSquares.value / N, rank: solution.rank, columns: columnCount };
}
