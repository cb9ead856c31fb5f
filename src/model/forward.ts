// The network function itself, in float64: f(x) and the hidden pre-activations for one input.
import { activationFunctions } from './activations.js';
import { parameterLayout, validateArchitecture, type Architecture } from './architecture.js';

/** The network's output f(x) for one input x (length inputDim). */
export function forward(arch: Architecture, theta: Float64Array, x: Float64Array): number {
  return forwardLayers(arch, theta, x);
}

/** Every hidden layer's pre-activations z_l for one input (e.g. to find relu kinks). */
export function hiddenPreActivations(arch: Architecture, theta: Float64Array, x: Float64Array): Float64Array[] {
  const layers: Float64Array[] = [];
  forwardLayers(arch, theta, x, (z) => layers.push(z));
  return layers;
}

function forwardLayers(arch: Architecture, theta: Float64Array, x: Float64Array, onHiddenPreActivation?: (z: Float64Array) => void): number {
  validateArchitecture(arch);
  const layout = parameterLayout(arch);
  if (theta.length !== layout.count) throw new RangeError(`parameters hold ${theta.length} values, the architecture has ${layout.count}`);
  if (x.length !== arch.inputDim) throw new RangeError(`input has ${x.length} values, the network expects ${arch.inputDim}`);
  const sigma = activationFunctions(arch.activation).value;
  let previous: Float64Array = x;
  const levels = layout.layers.length;
  for (let level = 1; level <= levels; level++) {
    const { fanIn, fanOut, weightOffset, biasOffset } = layout.layers[level - 1];
    const z = new Float64Array(fanOut);
    for (let j = 0; j < fanOut; j++) {
      const row = weightOffset + j * fanIn;
      let zj = biasOffset >= 0 ? theta[biasOffset + j] : 0;
      for (let i = 0; i < fanIn; i++) zj += theta[row + i] * previous[i];
      z[j] = zj;
    }
    if (level === levels) return z[0];
    onHiddenPreActivation?.(z);
    previous = z.map(sigma);
  }
  throw new Error('unreachable: a network has an output layer');
}
