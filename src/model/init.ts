// Initialisation: Glorot normal, W ~ N(0, 2/(fan_in + fan_out)) (fan counts exclude biases), biases 0.
import type { RandomStream } from '../numerics/rng.js';
import { parameterLayout, type Architecture } from './architecture.js';

export function glorotNormal(arch: Architecture, random: RandomStream, scale = 1): Float64Array {
  const layout = parameterLayout(arch);
  const theta = new Float64Array(layout.count);
  for (const layer of layout.layers) {
    const sd = scale * Math.sqrt(2 / (layer.fanIn + layer.fanOut));
    for (let k = 0; k < layer.fanIn * layer.fanOut; k++) theta[layer.weightOffset + k] = sd * random.normal();
  }
  return theta;
}
