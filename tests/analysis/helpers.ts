// Shared constructions for the analysis tests: networks with a planted channel pair or a
// duplicated neuron, written into the flat parameter layout.
import { inputCoordinates, outgoingCoordinates, parameterLayout, type Architecture } from '../../src/model/architecture.js';
import type { GluParameters } from '../../src/analysis/glu.js';
import { makeRandom, normalArray } from '../helpers/random.js';

/** Random parameters (N(0, scale²)) for `arch`. */
export function randomTheta(arch: Architecture, seed: number, scale = 0.8): Float64Array {
  return normalArray(makeRandom(seed), parameterLayout(arch).count, scale);
}

/** Writes neuron `neuron`'s input vector (bias last) and outgoing vector into θ. */
export function setNeuron(arch: Architecture, theta: Float64Array, layer: number, neuron: number, input: ArrayLike<number>, outgoing?: ArrayLike<number>): void {
  const layout = parameterLayout(arch);
  const rows = inputCoordinates(layout, layer, neuron);
  if (rows.length !== input.length) throw new Error(`input vector of ${input.length}, expected ${rows.length}`);
  rows.forEach((index, k) => (theta[index] = input[k]));
  if (outgoing) {
    const cols = outgoingCoordinates(layout, layer, neuron);
    if (cols.length !== outgoing.length) throw new Error(`outgoing vector of ${outgoing.length}, expected ${cols.length}`);
    cols.forEach((index, k) => (theta[index] = outgoing[k]));
  }
}

export function unit(v: number[]): Float64Array {
  const length = Math.hypot(...v);
  return Float64Array.from(v, (x) => x / length);
}

/** a channel pair to plant: the GLU parameters it should recover */
export type PlantedChannel = GluParameters;

/** Plants ũ_{i,j} = w ± εΔ and o_{i,j} = c/2 ± a/(2ε) into θ (a copy is returned). */
export function plantChannel(arch: Architecture, base: Float64Array, channel: PlantedChannel): Float64Array {
  const theta = Float64Array.from(base);
  const { layer, i, j, w, delta, epsilon, c, a } = channel;
  const plus = w.map((value, k) => value + epsilon * delta[k]);
  const minus = w.map((value, k) => value - epsilon * delta[k]);
  setNeuron(arch, theta, layer, i, plus, c.map((value, k) => value / 2 + a[k] / (2 * epsilon)));
  setNeuron(arch, theta, layer, j, minus, c.map((value, k) => value / 2 - a[k] / (2 * epsilon)));
  return theta;
}

export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let error = 0;
  let scale = 0;
  for (let k = 0; k < expected.length; k++) {
    error = Math.max(error, Math.abs(actual[k] - expected[k]));
    scale = Math.max(scale, Math.abs(expected[k]));
  }
  return error / scale;
}
