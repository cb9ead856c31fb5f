// Reading one network's flat parameter vector neuron by neuron, and a float64 forward pass that can
// replace a channel's neurons by their limit (glu.ts for a pair, channel-limit.ts for a group).
// Shared by channels.ts, glu.ts and channel-limit.ts.
//
// Conventions of src/analysis:
//   - hidden layers are numbered from 0: hidden layer `layer` has arch.hidden[layer] neurons; its
//     incoming weights are parameterLayout(arch).layers[layer] and its outgoing weights (the next
//     layer's weight matrix; for the last hidden layer the output weights a_j) are layers[layer + 1];
//   - a neuron's INPUT VECTOR is its row of incoming weights followed, when biases are on, by its
//     bias: ũ = (w, b), so that w·x + b = ũ·x̃ with x̃ = (x, 1) (the paper's convention);
//   - a neuron's OUTGOING VECTOR is column j of the next layer's weight matrix (length = width of
//     the next layer; length 1, the output weight a_j, for the last hidden layer).
import { inputCoordinates, outgoingCoordinates, parameterLayout, validateArchitecture, type Architecture, type ParameterLayout } from '../model/architecture.js';
import { activationFunctions } from '../model/activations.js';
import { datasetIndexFor, validateDataset, type Dataset } from '../data/dataset.js';

/** Two neurons of one hidden layer. */
export interface NeuronPair {
  /** hidden layer (0-based); default: the last hidden layer */
  layer?: number;
  i: number;
  j: number;
}

export function checkTheta(arch: Architecture, theta: ArrayLike<number>): ParameterLayout {
  validateArchitecture(arch);
  const layout = parameterLayout(arch);
  if (theta.length !== layout.count) throw new RangeError(`parameters hold ${theta.length} values, the architecture has ${layout.count}`);
  return layout;
}

export function checkLayer(arch: Architecture, layer: number): void {
  if (!Number.isInteger(layer) || layer < 0 || layer >= arch.hidden.length) {
    throw new RangeError(`hidden layer ${layer} out of range: the network has ${arch.hidden.length} hidden layer(s), numbered from 0`);
  }
}

export function checkNeuron(arch: Architecture, layer: number, neuron: number): void {
  if (!Number.isInteger(neuron) || neuron < 0 || neuron >= arch.hidden[layer]) {
    throw new RangeError(`neuron ${neuron} out of range: hidden layer ${layer} has ${arch.hidden[layer]} neurons`);
  }
}

/** The pair's layer (the last hidden layer when not given), validated, with i ≠ j. */
export function resolvePair(arch: Architecture, pair: NeuronPair): { layer: number; i: number; j: number } {
  const layer = pair.layer ?? arch.hidden.length - 1;
  checkLayer(arch, layer);
  checkNeuron(arch, layer, pair.i);
  checkNeuron(arch, layer, pair.j);
  if (pair.i === pair.j) throw new RangeError(`a pair needs two different neurons, got ${pair.i} twice`);
  return { layer, i: pair.i, j: pair.j };
}

/** The dataset's index for `datasetIndex` (shared data: 0), after checking the dataset fits the network. */
export function checkDatasetFor(arch: Architecture, data: Dataset, datasetIndex: number): number {
  validateDataset(data);
  if (data.inputDim !== arch.inputDim) throw new RangeError(`dataset has ${data.inputDim} inputs, the network expects ${arch.inputDim}`);
  const index = datasetIndexFor(data, datasetIndex);
  if (!Number.isInteger(index) || index < 0 || index >= data.count) throw new RangeError(`dataset index ${datasetIndex} out of range: the dataset holds ${data.count}`);
  return index;
}

/** Input x of sample n of dataset `index` (a view). */
export function sampleInput(data: Dataset, index: number, n: number): Float64Array {
  const start = (index * data.samples + n) * data.inputDim;
  return data.x.subarray(start, start + data.inputDim);
}

function gather(theta: ArrayLike<number>, indices: number[]): Float64Array {
  const out = new Float64Array(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = theta[indices[k]];
  return out;
}

/** Input vector ũ = (w, b) of one neuron (bias entry only when biases are on). */
export function inputVector(arch: Architecture, theta: ArrayLike<number>, layer: number, neuron: number): Float64Array {
  const layout = checkTheta(arch, theta);
  checkLayer(arch, layer);
  checkNeuron(arch, layer, neuron);
  return gather(theta, inputCoordinates(layout, layer, neuron));
}

/** Every neuron's input vector in hidden layer `layer`. */
export function layerInputVectors(arch: Architecture, theta: ArrayLike<number>, layer: number): Float64Array[] {
  const layout = checkTheta(arch, theta);
  checkLayer(arch, layer);
  return Array.from({ length: arch.hidden[layer] }, (_, n) => gather(theta, inputCoordinates(layout, layer, n)));
}

/** Every neuron's outgoing vector in hidden layer `layer` (length 1 = a_j for the last hidden layer). */
export function layerOutgoingVectors(arch: Architecture, theta: ArrayLike<number>, layer: number): Float64Array[] {
  const layout = checkTheta(arch, theta);
  checkLayer(arch, layer);
  return Array.from({ length: arch.hidden[layer] }, (_, n) => gather(theta, outgoingCoordinates(layout, layer, n)));
}

export function dot(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < u.length; k++) sum += u[k] * v[k];
  return sum;
}

export function norm(u: ArrayLike<number>): number {
  return Math.sqrt(dot(u, u));
}

/** ũ·x̃ = Σ u_k x_k (+ u_last when the vector carries a bias entry beyond x's length). */
export function affine(u: ArrayLike<number>, x: ArrayLike<number>): number {
  let z = u.length > x.length ? u[x.length] : 0;
  for (let k = 0; k < x.length; k++) z += u[k] * x[k];
  return z;
}

/**
 * Neurons of hidden layer `layer` taken out of a forward pass and replaced by one term added to every
 * next-layer neuron's pre-activation: a channel's limit (the GLU c·σ(w·x̃) + a·(Δ·x̃)·σ′(w·x̃) for a
 * pair, glu.ts; its higher-order analogue for a group, channel-limit.ts).
 */
export interface NeuronReplacement {
  layer: number;
  /** the neurons removed from the layer */
  members: readonly number[];
  /** writes into `out` (one entry per neuron of the next layer) what replaces them, for the layer's input `input` (without the appended 1) */
  contribution(input: Float64Array, out: Float64Array): void;
}

/** Per-level values of one forward pass: input[l] is hidden layer l's input (x for l = 0). */
export interface ForwardTrace {
  output: number;
  /** input[l]: the input of hidden layer l (without the appended 1) */
  inputs: Float64Array[];
  /** activations of each hidden layer (for replaced neurons, their entries are 0 and unused) */
  activations: Float64Array[];
}

/** Float64 forward pass of one network, optionally with some neurons replaced by their channel's limit. */
export function forwardTrace(arch: Architecture, theta: ArrayLike<number>, x: ArrayLike<number>, replacement?: NeuronReplacement): ForwardTrace {
  const layout = checkTheta(arch, theta);
  if (x.length !== arch.inputDim) throw new RangeError(`input has ${x.length} values, the network expects ${arch.inputDim}`);
  const act = activationFunctions(arch.activation);
  const inputs: Float64Array[] = [];
  const activations: Float64Array[] = [];
  let previous = Float64Array.from(x);
  /** extra pre-activation terms for the next level, from replaced neurons */
  let extra: Float64Array | null = null;
  const levels = layout.layers.length;
  for (let level = 0; level < levels; level++) {
    const { fanIn, fanOut, weightOffset, biasOffset } = layout.layers[level];
    const hidden = level < levels - 1;
    const skip = replacement && replacement.layer === level - 1 ? new Set(replacement.members) : null;
    const z = new Float64Array(fanOut);
    for (let j = 0; j < fanOut; j++) {
      const row = weightOffset + j * fanIn;
      let zj = biasOffset >= 0 ? theta[biasOffset + j] : 0;
      for (let i = 0; i < fanIn; i++) {
        if (skip?.has(i)) continue;
        zj += theta[row + i] * previous[i];
      }
      if (extra) zj += extra[j];
      z[j] = zj;
    }
    if (!hidden) return { output: z[0], inputs, activations };
    inputs.push(previous);
    const h = z.map((value) => act.value(value));
    extra = null;
    if (replacement && replacement.layer === level) {
      for (const member of replacement.members) h[member] = 0;
      extra = new Float64Array(layout.layers[level + 1].fanOut);
      replacement.contribution(previous, extra);
    }
    activations.push(h);
    previous = h;
  }
  throw new Error('unreachable: a network has an output layer');
}

/** Every hidden neuron's pre-activation range over the data: [layer][neuron] = { min, max } of ũ·x̃. */
export function preActivationRanges(arch: Architecture, theta: ArrayLike<number>, data: Dataset, datasetIndex = 0): { min: number; max: number }[][] {
  const dataset = checkDatasetFor(arch, data, datasetIndex);
  const vectors = arch.hidden.map((_, layer) => layerInputVectors(arch, theta, layer));
  const ranges = arch.hidden.map((width) => Array.from({ length: width }, () => ({ min: Infinity, max: -Infinity })));
  for (let n = 0; n < data.samples; n++) {
    const { inputs } = forwardTrace(arch, theta, sampleInput(data, dataset, n));
    vectors.forEach((layerVectors, layer) =>
      layerVectors.forEach((u, neuron) => {
        const z = affine(u, inputs[layer]);
        const range = ranges[layer][neuron];
        if (z < range.min) range.min = z;
        if (z > range.max) range.max = z;
      }),
    );
  }
  return ranges;
}

/**
 * What a neuron computes over the data, from its pre-activation range, where that says something:
 * 'linear' (σ ≈ affine on every sample: softplus, g, gelu above 3, relu above 0), 'exponential tail'
 * (softplus, g, sigmoid below −3: o·σ depends on o and b only through o·e^b), 'saturated' (erf, tanh,
 * sigmoid beyond ±3: nearly constant), 'off' (relu below 0, gelu below −3); null in between.
 */
export function neuronRegime(activation: Architecture['activation'], range: { min: number; max: number }): 'linear' | 'exponential tail' | 'saturated' | 'off' | null {
  const [far, low, high] = [3, range.min, range.max];
  switch (activation) {
    case 'relu':
      return low > 0 ? 'linear' : high < 0 ? 'off' : null;
    case 'softplus':
    case 'g':
      return low > far ? 'linear' : high < -far ? 'exponential tail' : null;
    case 'gelu':
      return low > far ? 'linear' : high < -far ? 'off' : null;
    case 'sigmoid':
      return low > far ? 'saturated' : high < -far ? 'exponential tail' : null;
    case 'erf':
    case 'tanh':
      return low > far || high < -far ? 'saturated' : null;
  }
}
