// Tiles of samples for the deep-network paths (cpu-engine.ts deepGradient, hessian.ts
// deepNetworkHessian): each layer's units for a tile laid out unit by unit, sample t of the tile at
// unit·T + t, so a loop over the tile's samples reads consecutive memory.
import type { Dataset } from '../../data/dataset.js';

/** Samples first … first + count − 1 of dataset `datasetIndex` into `out`: input i of sample t at i·T + t. */
export function loadInputTile(data: Dataset, datasetIndex: number, first: number, count: number, T: number, out: Float64Array): void {
  const d = data.inputDim;
  const firstSample = datasetIndex * data.samples + first;
  for (let i = 0; i < d; i++) for (let t = 0; t < count; t++) out[i * T + t] = data.x[(firstSample + t) * d + i];
}

/**
 * One neuron's pre-activations over a tile into out[offset + t]: its bias (0 without biases) plus its
 * weights theta[row + i] times the inputs, added in input order: the order of one sample at a time,
 * so every path that starts here has that path's bits.
 */
export function neuronPreActivations(theta: Float64Array, row: number, bias: number, fanIn: number, inputs: Float64Array, T: number, count: number, out: Float64Array, offset: number): void {
  for (let t = 0; t < count; t++) {
    let z = bias;
    for (let i = 0; i < fanIn; i++) z += theta[row + i] * inputs[i * T + t];
    out[offset + t] = z;
  }
}
