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
import { CompensatedSum } from '../engine/cpu/compensated-sum.js';
import { affine, checkDatasetFor, checkTheta, forwardTrace, inputVector, layerOutgoingVectors, resolvePair, sampleInput, type NeuronPair, type PairReplacement } from './network.js';
import { leastSquares } from './least-squares.js';

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

function replacementOf(glu: GluParameters): PairReplacement {
  return { layer: glu.layer, i: glu.i, j: glu.j, w: glu.w, delta: glu.delta, c: glu.c, a: glu.a };
}

/** f(x) of the network itself (float64 forward pass). */
export function networkOutput(arch: Architecture, theta: ArrayLike<number>, x: ArrayLike<number>): number {
  return forwardTrace(arch, theta, x).output;
}

/** f(x) of the network with pair (i, j) replaced by its GLU limit; everything else unchanged. */
export function gluNetworkOutput(arch: Architecture, theta: ArrayLike<number>, pair: NeuronPair, x: ArrayLike<number>): number {
  const glu = gluParameters(arch, theta, pair);
  return forwardTrace(arch, theta, x, replacementOf(glu)).output;
}

export interface GluDeviation {
  /** max over samples of |f(x) − f_GLU(x)| */
  max: number;
  /** sample index where the max is attained */
  at: number;
  /** root mean square of f(x) − f_GLU(x) */
  rms: number;
}

/**
 * How far the network is from its GLU limit on a dataset: the largest |f(x) − f_GLU(x)| over the
 * samples (dataset `datasetIndex`, or the shared one). For a channel this is O(ε²).
 */
export function gluDeviation(arch: Architecture, theta: ArrayLike<number>, pair: NeuronPair, data: Dataset, datasetIndex = 0): GluDeviation {
  const index = checkDatasetFor(arch, data, datasetIndex);
  const replacement = replacementOf(gluParameters(arch, theta, pair));
  let max = 0;
  let at = 0;
  const squares = new CompensatedSum();
  for (let n = 0; n < data.samples; n++) {
    const x = sampleInput(data, index, n);
    const deviation = forwardTrace(arch, theta, x).output - forwardTrace(arch, theta, x, replacement).output;
    squares.add(deviation * deviation);
    if (Math.abs(deviation) > max || Number.isNaN(deviation)) {
      max = Math.abs(deviation);
      at = n;
    }
  }
  return { max, at, rms: Math.sqrt(squares.value / data.samples) };
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
  const glu = gluParameters(arch, theta, pair);
  const lastHidden = arch.hidden.length - 1;
  if (glu.layer !== lastHidden) return null;
  const index = checkDatasetFor(arch, data, datasetIndex);
  const N = data.samples;
  const width = arch.hidden[lastHidden];
  const neurons = Array.from({ length: width }, (_, n) => n).filter((n) => n !== glu.i && n !== glu.j);
  const columnCount = neurons.length + 2 + (arch.biases ? 1 : 0);
  const columns = Array.from({ length: columnCount }, () => new Float64Array(N));
  const labels = data.y.subarray(index * N, (index + 1) * N);
  // the fit's target: y less the held offset
  const y = outputOffset ? labels.map((value, n) => value - outputOffset(sampleInput(data, index, n))) : labels;
  const act = activationFunctions(arch.activation);
  const values = new Float64Array(4);
  const replacement = replacementOf(glu);
  const networkSquares = new CompensatedSum();
  const gluSquares = new CompensatedSum();
  for (let n = 0; n < N; n++) {
    const x = sampleInput(data, index, n);
    const plain = forwardTrace(arch, theta, x);
    const residual = plain.output - y[n];
    networkSquares.add(residual * residual);
    const limit = forwardTrace(arch, theta, x, replacement);
    const gluResidual = limit.output - y[n];
    gluSquares.add(gluResidual * gluResidual);
    const h = limit.activations[lastHidden];
    const input = limit.inputs[lastHidden];
    neurons.forEach((m, col) => (columns[col][n] = h[m]));
    act.evaluate(affine(glu.w, input), values);
    columns[neurons.length][n] = values[0];
    columns[neurons.length + 1][n] = affine(glu.delta, input) * values[1];
    if (arch.biases) columns[neurons.length + 2][n] = 1;
  }
  const solution = leastSquares(columns, y);
  return {
    loss: solution.residualSumOfSquares / N,
    networkLoss: networkSquares.value / N,
    gluLoss: gluSquares.value / N,
    outputWeights: {
      neurons,
      others: solution.x.slice(0, neurons.length),
      c: solution.x[neurons.length],
      a: solution.x[neurons.length + 1],
      bias: arch.biases ? solution.x[neurons.length + 2] : null,
    },
    rank: solution.rank,
    columns: columnCount,
  };
}
