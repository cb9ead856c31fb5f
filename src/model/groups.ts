// Coordinates of close neurons: pairs, and groups of up to four, in which the GPU's float32 kernels
// compute near a channel, and the stiff kernel's grouping rule (closeNeuronGroups).
//
// Pair coordinates of a one-hidden-layer network: hidden neurons (2q, 2q + 1), q < pairs, are stored
// as m = (w_i + w_j)/√2 and h = (w_i − w_j)/√2 (input weights and bias), s = (a_i + a_j)/√2 and
// t = (a_i − a_j)/√2 (output weights); every other parameter as it is. The map is orthogonal and
// symmetric, hence its own inverse, and gradients (and Hessian-vector products) transform as θ does.
// Why: near a channel w_i ≈ w_j and a_i ≈ −a_j are large, and float32 in network coordinates loses
// the pair's small difference (benchmarks/results/pair-coordinates-2026-12-04.md); the GPU core
// computes in these coordinates when asked (shaders/mlp_core.wgsl, GROUPED).
import { inputCoordinates, outgoingCoordinates, parameterLayout, type Architecture } from './architecture.js';

/** Refuses a pair count the coordinates cannot have: an integer from 0 to width/2, one hidden layer. */
export function checkPairCount(arch: Architecture, pairs: number): void {
  if (!Number.isInteger(pairs) || pairs < 0) throw new RangeError(`pairs must be a non-negative integer, got ${pairs}`);
  if (pairs === 0) return;
  if (arch.hidden.length !== 1) throw new RangeError(`pair coordinates need one hidden layer, got hidden [${arch.hidden.join(', ')}]`);
  if (2 * pairs > arch.hidden[0]) throw new RangeError(`${pairs} pairs need ${2 * pairs} hidden neurons, the layer has ${arch.hidden[0]}`);
}

/**
 * The parameter indices of neuron j of hidden layer `layer` (0 the first): its input vector (weights,
 * then bias with biases), then its outgoing weights, one per neuron of the next layer (the output
 * weight for the last hidden layer).
 */
function neuronParameters(arch: Architecture, j: number, layer = 0): number[] {
  const layout = parameterLayout(arch);
  return [...inputCoordinates(layout, layer, j), ...outgoingCoordinates(layout, layer, j)];
}

/** The neuron groups of a pair count: (2q, 2q + 1) for q < count (EvaluationRequest.pairs). */
function adjacentPairs(arch: Architecture, count: number): number[][] {
  checkPairCount(arch, count);
  return Array.from({ length: count }, (_, q) => [2 * q, 2 * q + 1]);
}

/**
 * Network ↔ pair coordinates (the same map both ways) of consecutive parameter vectors (an
 * ensemble's, or one) for `count` pairs (2q, 2q + 1): a new array. Pairs are groups of two
 * (groupCoordinates), whose map is symmetric.
 */
export function pairCoordinates(arch: Architecture, theta: ArrayLike<number>, count: number): Float64Array {
  return groupCoordinates(arch, theta, adjacentPairs(arch, count), true);
}

// Group coordinates generalise pair coordinates to channels of more than two neurons (three-neuron
// channels, e.g. outgoing −74, +150, −74, are about one in eight of the flow sweep's channels). A
// group of n hidden neurons k_0 < … < k_{n−1} is stored in the Helmert basis U: the slot of k_0
// holds U₀·w = (Σ w_k)/√n (the group's mean direction) and the slot of k_j, j ≥ 1, holds U_j·w =
// (w_{k_0} + … + w_{k_{j−1}} − j·w_{k_j})/√(j(j+1)), for input vectors (bias included) and output
// weights alike. U is orthogonal, so gradient flow and the weight norm are the same in these
// coordinates; for n = 2 it is the pair map above. For n ≥ 3 U is not symmetric: the way back is Uᵀ.
// In a deep network any hidden layer's neurons can be grouped (channels form in every layer): a
// neuron's outgoing weights are then a vector, one per neuron of the next layer, turned alike. Maps of
// different layers commute (one mixes a weight matrix's rows, the other its columns), so a network's
// groups per layer (LayerGroups) turn in any order.

/** The most neurons in one group (the stiff kernel's limit, shaders/mlp_core.wgsl MAX_GROUP). */
export const MAX_GROUP_SIZE = 4;

/** Groups of hidden neurons, each listed in increasing order, each neuron in at most one group. */
export type NeuronGroups = readonly (readonly number[])[];

/** A network's groups, hidden layer by hidden layer (entry l: layer l's groups; missing: none). */
export type LayerGroups = readonly NeuronGroups[];

/** Row j of the n × n Helmert basis (entry k: U_jk). */
export function helmertRow(n: number, j: number): number[] {
  if (j === 0) return Array.from({ length: n }, () => 1 / Math.sqrt(n));
  const scale = 1 / Math.sqrt(j * (j + 1));
  return Array.from({ length: n }, (_, k) => (k < j ? scale : k === j ? -j * scale : 0));
}

function checkGroups(arch: Architecture, groups: NeuronGroups, layer: number): void {
  if (groups.length === 0) return;
  if (!Number.isInteger(layer) || layer < 0 || layer >= arch.hidden.length) {
    throw new RangeError(`group coordinates need a hidden layer (0–${arch.hidden.length - 1}), got layer ${layer} of hidden [${arch.hidden.join(', ')}]`);
  }
  const width = arch.hidden[layer];
  const seen = new Set<number>();
  for (const group of groups) {
    group.forEach((k, position) => {
      if (!Number.isInteger(k) || k < 0 || k >= width || seen.has(k) || (position > 0 && k <= group[position - 1])) {
        throw new RangeError(`neuron groups must list distinct neurons of the hidden layer (0–${width - 1}) in increasing order, got [${group.join(', ')}]`);
      }
      seen.add(k);
    });
  }
}

/**
 * Network → group coordinates (`toGroups` true) or back of consecutive parameter vectors, for groups
 * of hidden layer `layer`: a new array. Groups of one neuron are left as they are.
 */
export function groupCoordinates(arch: Architecture, theta: ArrayLike<number>, groups: NeuronGroups, toGroups: boolean, layer = 0): Float64Array {
  checkGroups(arch, groups, layer);
  const P = parameterLayout(arch).count;
  if (theta.length % P !== 0) throw new RangeError(`parameter vectors of length ${P} expected, got ${theta.length} values`);
  const out = Float64Array.from(theta);
  for (const group of groups) {
    const n = group.length;
    const basis = Array.from({ length: n }, (_, j) => helmertRow(n, j));
    const parameters = group.map((k) => neuronParameters(arch, k, layer));
    for (let base = 0; base < theta.length; base += P) {
      for (let e = 0; e < parameters[0].length; e++) {
        const values = parameters.map((indices) => theta[base + indices[e]]);
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let k = 0; k < n; k++) sum += (toGroups ? basis[j][k] : basis[k][j]) * values[k];
          out[base + parameters[j][e]] = sum;
        }
      }
    }
  }
  return out;
}

/** groupCoordinates for every hidden layer's groups (the maps commute): a new array. */
export function layerGroupCoordinates(arch: Architecture, theta: ArrayLike<number>, groups: LayerGroups, toGroups: boolean): Float64Array {
  return groups.reduce<Float64Array>((turned, layerGroups, layer) => groupCoordinates(arch, turned, layerGroups, toGroups, layer), Float64Array.from(theta));
}

/** T·M·Tᵀ of a P×P matrix M (a Hessian) for the map T of groupCoordinates (either way): a new array. */
export function groupCoordinatesOfMatrix(arch: Architecture, matrix: ArrayLike<number>, groups: NeuronGroups, toGroups: boolean, layer = 0): Float64Array {
  const P = parameterLayout(arch).count;
  if (matrix.length !== P * P) throw new RangeError(`a ${P}×${P} matrix expected, got ${matrix.length} values`);
  const transpose = (m: ArrayLike<number>) => {
    const out = new Float64Array(P * P);
    for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) out[j * P + i] = m[i * P + j];
    return out;
  };
  // T on every column (rows of Mᵀ), then on every row
  return groupCoordinates(arch, transpose(groupCoordinates(arch, transpose(matrix), groups, toGroups, layer)), groups, toGroups, layer);
}

/** groupCoordinatesOfMatrix for every hidden layer's groups: a new array. */
export function layerGroupCoordinatesOfMatrix(arch: Architecture, matrix: ArrayLike<number>, groups: LayerGroups, toGroups: boolean): Float64Array {
  return groups.reduce<Float64Array>((turned, layerGroups, layer) => groupCoordinatesOfMatrix(arch, turned, layerGroups, toGroups, layer), Float64Array.from(matrix));
}

/** The stiff kernel's grouping distance: input vectors within 25% of the longer one. */
export const GROUP_DISTANCE = 0.25;

/**
 * Groups of hidden neurons whose input vectors (bias included) are close, as the stiff kernel forms
 * them each dispatch (mlp_stiff.wgsl choose_groups): greedily, closest pair first, two neurons'
 * groups merge while the pair's distance is at most `threshold` times the longer vector and the
 * union has at most `maxSize` neurons. Hidden layer `layer` (0 the first); groups of one are left out.
 */
export function closeNeuronGroups(arch: Architecture, theta: ArrayLike<number>, threshold = GROUP_DISTANCE, maxSize = MAX_GROUP_SIZE, layer = 0): number[][] {
  checkGroups(arch, [[0]], layer);
  const r = arch.hidden[layer];
  const layout = parameterLayout(arch);
  const vectors = Array.from({ length: r }, (_, j) => inputCoordinates(layout, layer, j).map((p) => theta[p]));
  const candidates: [number, number, number][] = [];
  for (let i = 0; i < r; i++) {
    for (let j = i + 1; j < r; j++) {
      const [u, v] = [vectors[i], vectors[j]];
      const squared = u.reduce((sum, x, k) => sum + (x - v[k]) ** 2, 0);
      const longer = Math.max(...[u, v].map((w) => w.reduce((sum, x) => sum + x * x, 0)));
      if (squared <= threshold * threshold * longer) candidates.push([squared, i, j]);
    }
  }
  candidates.sort((x, y) => x[0] - y[0]);
  const groupOf = Array.from({ length: r }, (_, i) => [i]);
  for (const [, i, j] of candidates) {
    const [gi, gj] = [groupOf[i], groupOf[j]];
    if (gi === gj || gi.length + gj.length > maxSize) continue;
    const merged = [...gi, ...gj].sort((x, y) => x - y);
    for (const k of merged) groupOf[k] = merged;
  }
  return [...new Set(groupOf)].filter((group) => group.length > 1).sort((x, y) => x[0] - y[0]);
}

/** closeNeuronGroups in every hidden layer. */
export function closeLayerGroups(arch: Architecture, theta: ArrayLike<number>, threshold = GROUP_DISTANCE, maxSize = MAX_GROUP_SIZE): number[][][] {
  return arch.hidden.map((_, layer) => closeNeuronGroups(arch, theta, threshold, maxSize, layer));
}
