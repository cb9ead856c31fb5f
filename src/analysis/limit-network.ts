// A network with some neurons replaced by the limit they tend to (a channel's GLU, glu.ts; a
// channel group's higher-order limit, channel-limit.ts; sharpening neurons' kinks and steps,
// sharpening.ts): how far it is from the network on the data, and its loss at infinity, the best
// loss over its output layer with everything else held.
import type { Architecture } from '../model/architecture.js';
import type { Dataset } from '../data/dataset.js';
import { CompensatedSum } from '../numerics/compensated-sum.js';
import { leastSquares } from './least-squares.js';
import { checkDatasetFor, forwardTrace, sampleInput, type NeuronReplacement } from './network.js';

export interface LimitDeviation {
  /** max over samples of |f(x) − f_limit(x)| */
  max: number;
  /** sample index where the max is attained */
  at: number;
  /** root mean square of f(x) − f_limit(x) */
  rms: number;
}

/** How far the network is from the network with `replacement` in place, on dataset `datasetIndex` (or the shared one). */
export function replacementDeviation(arch: Architecture, theta: ArrayLike<number>, replacement: NeuronReplacement, data: Dataset, datasetIndex = 0): LimitDeviation {
  const index = checkDatasetFor(arch, data, datasetIndex);
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

/**
 * A limit whose output layer can be refitted: `features` writes the limit's terms for a layer input,
 * each to be weighted by one output coefficient; at the network's own weights the limit's output
 * is Σ coefficient·feature, and `contribution` is that sum.
 */
export interface FittableReplacement extends NeuronReplacement {
  featureCount: number;
  features(input: Float64Array, out: Float64Array): void;
}

export interface RefittedLimit {
  /** the smallest MSE (no ½) of the limit network over its output layer, everything else held */
  loss: number;
  /** MSE of the network itself */
  networkLoss: number;
  /** MSE of the limit network at the network's own output weights */
  limitLoss: number;
  /** the other neurons of the last hidden layer, ascending, and their optimal output weights */
  neurons: number[];
  others: Float64Array;
  /** the optimal coefficient of each feature */
  coefficients: Float64Array;
  /** optimal output bias, or null without biases */
  bias: number | null;
  /** numerical rank of the least-squares design matrix (below `columns`: some weights are not determined; a basic solution is returned) */
  rank: number;
  columns: number;
}

/**
 * The loss at infinity of a limit in the LAST hidden layer (null otherwise): the limit network's
 * output is linear in [σ(other neurons) …, the limit's features …, 1 (biases on)], so the best
 * output layer is a linear least-squares problem (Householder QR with column pivoting). The limit
 * at its own coefficients is one candidate, so loss ≤ limitLoss. `outputOffset`: a fixed term added
 * to the output of both networks, held, not refitted (the uncancelled linear term of softplus reflections,
 * channels.ts applyReflections, so that a reflected θ plus the offset is the network as trained).
 */
export function refitLimit(
  arch: Architecture,
  theta: ArrayLike<number>,
  replacement: FittableReplacement,
  data: Dataset,
  datasetIndex = 0,
  outputOffset?: (x: Float64Array) => number,
): RefittedLimit | null {
  const lastHidden = arch.hidden.length - 1;
  if (replacement.layer !== lastHidden) return null;
  const index = checkDatasetFor(arch, data, datasetIndex);
  const N = data.samples;
  const removed = new Set(replacement.members);
  const neurons = Array.from({ length: arch.hidden[lastHidden] }, (_, n) => n).filter((n) => !removed.has(n));
  const featureColumn = neurons.length;
  const columnCount = featureColumn + replacement.featureCount + (arch.biases ? 1 : 0);
  const columns = Array.from({ length: columnCount }, () => new Float64Array(N));
  const labels = data.y.subarray(index * N, (index + 1) * N);
  // the fit's target: y less the held offset
  const y = outputOffset ? labels.map((value, n) => value - outputOffset(sampleInput(data, index, n))) : labels;
  const features = new Float64Array(replacement.featureCount);
  const networkSquares = new CompensatedSum();
  const limitSquares = new CompensatedSum();
  for (let n = 0; n < N; n++) {
    const x = sampleInput(data, index, n);
    const residual = forwardTrace(arch, theta, x).output - y[n];
    networkSquares.add(residual * residual);
    const limit = forwardTrace(arch, theta, x, replacement);
    const limitResidual = limit.output - y[n];
    limitSquares.add(limitResidual * limitResidual);
    const h = limit.activations[lastHidden];
    neurons.forEach((m, col) => (columns[col][n] = h[m]));
    replacement.features(limit.inputs[lastHidden], features);
    features.forEach((value, f) => (columns[featureColumn + f][n] = value));
    if (arch.biases) columns[columnCount - 1][n] = 1;
  }
  const solution = leastSquares(columns, y);
  return {
    loss: solution.residualSumOfSquares / N,
    networkLoss: networkSquares.value / N,
    limitLoss: limitSquares.value / N,
    neurons,
    others: solution.x.slice(0, featureColumn),
    coefficients: solution.x.slice(featureColumn, featureColumn + replacement.featureCount),
    bias: arch.biases ? solution.x[columnCount - 1] : null,
    rank: solution.rank,
    columns: columnCount,
  };
}
