// Coordinates in which a network deep in a channel is well conditioned, for re-equilibrating it at a
// fixed spread (channel-jump). In θ's own coordinates the k carriers' outgoing weights o_m grow like
// 1/ε^{k−1} and cancel: the Hessian has entries of size o² ~ 1/ε^{2(k−1)} whose combinations along
// the channel are O(1), and flat directions (the outgoing weights' highest difference) of
// curvature ~ε^{2(k−1)}. Past λ_max ≈ 1e9 float64 rounding of those entries hides the flat
// directions (the dense Newton re-equilibration stalled there on the flow sweep's r = 8 seed 77).
//
// The basis below is affine, θ = θ₀ + M·y, so the loss is the same function, only its derivatives are
// taken along better directions:
// - the two outermost carriers (whose difference is held) move together: one column per input
//   coordinate, 1 on both;
// - the inner carriers' input vectors and every other parameter keep their own unit columns;
// - the carriers' outgoing weights to each next-layer neuron are replaced by k combinations V whose
//   outputs are orthonormal on the data: S = QR (S: samples × carriers, σ of each carrier), V = R⁻¹,
//   so S·V = Q. The first is the common output (c), the next the first difference / ε (a for a pair),
//   then the second difference / ε², each of O(1) effect on f.
// The Hessian in y (networkHessianInBasis) is then formed from per-sample Jacobians projected before
// they are squared, and a diagonal scaling (channel-jump) leaves the slice's own conditioning.
import type { Dataset } from '../data/dataset.js';
import { activationFunctions } from '../model/activations.js';
import { inputCoordinates, outgoingCoordinates, type Architecture } from '../model/architecture.js';
import { affine, checkDatasetFor, checkLayer, checkNeuron, checkTheta, forwardTrace, layerInputVectors, sampleInput } from './network.js';

export interface ChannelCoordinates {
  /** M, row-major P×Q: θ = θ₀ + M·y */
  matrix: Float64Array;
  /** Q = P − (input length): the held difference removes one input vector's worth */
  columns: number;
  /** V (carriers × carriers, row-major): the outgoing weights' combinations, the same for every next-layer neuron */
  outgoingBasis: Float64Array;
}

/**
 * The basis above for carriers `members` (2 … 4 neurons of hidden layer `layer`) of which
 * members[held.first] and members[held.last] keep their input difference.
 */
export function channelCoordinates(
  arch: Architecture,
  theta: ArrayLike<number>,
  carriers: { layer: number; members: readonly number[] },
  held: { first: number; last: number },
  data: Dataset,
  datasetIndex = 0,
): ChannelCoordinates {
  const layout = checkTheta(arch, theta);
  const dataset = checkDatasetFor(arch, data, datasetIndex);
  const { layer, members } = carriers;
  checkLayer(arch, layer);
  for (const member of members) checkNeuron(arch, layer, member);
  const k = members.length;
  if (!(held.first !== held.last && held.first >= 0 && held.last >= 0 && held.first < k && held.last < k)) {
    throw new RangeError(`the held pair must be two of the ${k} carriers, got positions ${held.first} and ${held.last}`);
  }
  const P = layout.count;
  const outgoingBasis = orthonormalisingCombinations(carrierOutputs(arch, theta, layer, members, data, dataset));

  const columns: { index: number; weight: number }[][] = [];
  const claimed = new Set<number>();
  const claim = (entries: { index: number; weight: number }[]) => {
    for (const { index } of entries) claimed.add(index);
    columns.push(entries);
  };
  const firstRows = inputCoordinates(layout, layer, members[held.first]);
  const lastRows = inputCoordinates(layout, layer, members[held.last]);
  firstRows.forEach((index, t) => claim([{ index, weight: 1 }, { index: lastRows[t], weight: 1 }]));
  const outgoing = members.map((member) => outgoingCoordinates(layout, layer, member));
  for (let j = 0; j < outgoing[0].length; j++) {
    for (let l = 0; l < k; l++) claim(members.map((_, m) => ({ index: outgoing[m][j], weight: outgoingBasis[m * k + l] })));
  }
  for (let p = 0; p < P; p++) if (!claimed.has(p)) claim([{ index: p, weight: 1 }]);
  // the held partner's rows were claimed by the shared columns; every inner carrier's got a unit column above

  const Q = columns.length;
  const matrix = new Float64Array(P * Q);
  columns.forEach((entries, q) => entries.forEach(({ index, weight }) => (matrix[index * Q + q] = weight)));
  return { matrix, columns: Q, outgoingBasis };
}

/** S: for every carrier, σ of its pre-activation on every sample (samples × carriers, one array per carrier). */
function carrierOutputs(arch: Architecture, theta: ArrayLike<number>, layer: number, members: readonly number[], data: Dataset, dataset: number): Float64Array[] {
  const sigma = activationFunctions(arch.activation).value;
  const inputs = layerInputVectors(arch, theta, layer);
  const outputs = members.map(() => new Float64Array(data.samples));
  for (let n = 0; n < data.samples; n++) {
    // the carriers' layer input does not depend on the carriers themselves
    const input = forwardTrace(arch, theta, sampleInput(data, dataset, n)).inputs[layer];
    members.forEach((member, m) => (outputs[m][n] = sigma(affine(inputs[member], input))));
  }
  return outputs;
}

/**
 * V = R⁻¹ for S = QR (k × k, row-major), by Gram–Schmidt run twice per column ("twice is enough":
 * the columns are nearly parallel, one pass would leave Q far from orthogonal), so S·V = Q.
 */
export function orthonormalisingCombinations(columns: Float64Array[]): Float64Array {
  const k = columns.length;
  const q: Float64Array[] = [];
  const r = new Float64Array(k * k);
  columns.forEach((column, m) => {
    const v = Float64Array.from(column);
    for (let pass = 0; pass < 2; pass++) {
      for (let l = 0; l < m; l++) {
        let projection = 0;
        for (let n = 0; n < v.length; n++) projection += q[l][n] * v[n];
        r[l * k + m] += projection;
        for (let n = 0; n < v.length; n++) v[n] -= projection * q[l][n];
      }
    }
    let squares = 0;
    let original = 0;
    v.forEach((value, n) => {
      squares += value * value;
      original += column[n] * column[n];
    });
    const length = Math.sqrt(squares);
    // what is left at rounding level is no direction of its own
    if (!(length > 1e-14 * Math.sqrt(original))) throw new RangeError(`carrier ${m}'s output on the data is a combination of the others': the carriers are not distinct`);
    r[m * k + m] = length;
    q.push(v.map((value) => value / length));
  });
  // back substitution for the upper-triangular inverse, column by column
  const inverse = new Float64Array(k * k);
  for (let c = 0; c < k; c++) {
    for (let row = c; row >= 0; row--) {
      let value = row === c ? 1 : 0;
      for (let s = row + 1; s <= c; s++) value -= r[row * k + s] * inverse[s * k + c];
      inverse[row * k + c] = value / r[row * k + row];
    }
  }
  return inverse;
}
