// Architecture of a scalar-output MLP and the flat parameter layout every engine shares.
//
// Flat layout (one network): for each layer l = 1..L+1 (the last is the identity output layer
// with one neuron), the weights row-major (neuron j, input i) followed, when biases are on, by
// the layer's biases. The output layer's bias is c0.

export const ACTIVATIONS = ['softplus', 'g', 'erf', 'sigmoid', 'tanh', 'relu', 'gelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Names the paper (and its Julia package, MLPGradientFlow.jl) gives activations that channelscope calls otherwise */
const PAPER_NAMES: Readonly<Record<string, Activation>> = { sigmoid2: 'erf' };

/** For an activation name channelscope does not know but the paper uses: which one to write (else ''). */
export function paperActivationHint(name: unknown): string {
  const ours = typeof name === 'string' ? PAPER_NAMES[name] : undefined;
  return ours ? `; "${name}" is the paper's name for ${ours === 'erf' ? 'erf(x/√2)' : ours}: write "${ours}"` : '';
}

export function isActivation(name: unknown): name is Activation {
  return typeof name === 'string' && (ACTIVATIONS as readonly string[]).includes(name);
}

export interface Architecture {
  /** input dimension d */
  inputDim: number;
  /** hidden layer widths, 1 to 3 layers */
  hidden: number[];
  activation: Activation;
  biases: boolean;
}

export interface LayerLayout {
  fanIn: number;
  fanOut: number;
  /** offset of W[0][0] in the flat vector */
  weightOffset: number;
  /** offset of b[0], or -1 without biases */
  biasOffset: number;
}

export interface ParameterLayout {
  layers: LayerLayout[];
  /** number of parameters P */
  count: number;
}

export const MAX_HIDDEN_LAYERS = 3;

export function validateArchitecture(arch: Architecture): void {
  if (!Number.isInteger(arch.inputDim) || arch.inputDim < 1) {
    throw new RangeError(`input dimension must be a positive integer, got ${arch.inputDim}`);
  }
  if (arch.hidden.length < 1 || arch.hidden.length > MAX_HIDDEN_LAYERS) {
    throw new RangeError(`between 1 and ${MAX_HIDDEN_LAYERS} hidden layers are supported, got ${arch.hidden.length}`);
  }
  for (const width of arch.hidden) {
    if (!Number.isInteger(width) || width < 1) throw new RangeError(`hidden widths must be positive integers, got ${width}`);
  }
  if (!isActivation(arch.activation)) {
    throw new RangeError(`unknown activation "${String(arch.activation)}"; allowed: ${ACTIVATIONS.join(', ')}`);
  }
}

export function parameterLayout(arch: Architecture): ParameterLayout {
  const widths = [arch.inputDim, ...arch.hidden, 1];
  const layers: LayerLayout[] = [];
  let offset = 0;
  for (let l = 1; l < widths.length; l++) {
    const fanIn = widths[l - 1];
    const fanOut = widths[l];
    const weightOffset = offset;
    offset += fanIn * fanOut;
    const biasOffset = arch.biases ? offset : -1;
    if (arch.biases) offset += fanOut;
    layers.push({ fanIn, fanOut, weightOffset, biasOffset });
  }
  return { layers, count: offset };
}

/** Indices into θ of neuron `neuron`'s input vector: its weight row, then its bias (when on). */
export function inputCoordinates(layout: ParameterLayout, layer: number, neuron: number): number[] {
  const { fanIn, weightOffset, biasOffset } = layout.layers[layer];
  const indices: number[] = [];
  for (let i = 0; i < fanIn; i++) indices.push(weightOffset + neuron * fanIn + i);
  if (biasOffset >= 0) indices.push(biasOffset + neuron);
  return indices;
}

/** Indices into θ of neuron `neuron`'s outgoing vector (column `neuron` of the next weight matrix). */
export function outgoingCoordinates(layout: ParameterLayout, layer: number, neuron: number): number[] {
  const next = layout.layers[layer + 1];
  const indices: number[] = [];
  for (let k = 0; k < next.fanOut; k++) indices.push(next.weightOffset + k * next.fanIn + neuron);
  return indices;
}

export function parameterCount(arch: Architecture): number {
  return parameterLayout(arch).count;
}

/** Σθ²/(2P): the weight norm used by the barrier and the channel criteria. */
export function weightNorm(theta: ArrayLike<number>, offset = 0, count = theta.length - offset): number {
  let sum = 0;
  for (let k = 0; k < count; k++) sum += theta[offset + k] * theta[offset + k];
  return sum / (2 * count);
}

export function describeArchitecture(arch: Architecture): string {
  return `d=${arch.inputDim} hidden=[${arch.hidden.join(',')}] ${arch.activation}${arch.biases ? ' +biases' : ''}`;
}
