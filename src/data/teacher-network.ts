// Teacher networks (science.md, "Data"): a random MLP or one read from a parameter file; the
// targets are the network's outputs, y = f_teacher(x), by the float64 forward pass of model/.
import { forward } from '../model/forward.js';
import { parameterLayout, validateArchitecture, type Architecture } from '../model/architecture.js';
import { glorotNormal } from '../model/init.js';
import { RandomStream, STREAMS } from '../numerics/rng.js';

/** A teacher network: an architecture and its flat parameters (the layout of parameterLayout). */
export interface TeacherNetwork {
  arch: Architecture;
  theta: Float64Array;
}

/**
 * A random teacher MLP: weights Glorot normal times `scale` (sd = scale·√(2/(fan_in + fan_out)));
 * with biases, every bias is drawn with its layer's weight sd (a teacher with zero biases would
 * waste them). Draws come from the Philox stream (seed, run, STREAMS.teacher): weights first, then
 * biases layer by layer.
 */
export function randomTeacherNetwork(arch: Architecture, seed: number, scale = 1, run = 0): TeacherNetwork {
  validateArchitecture(arch);
  const random = new RandomStream(seed, run, STREAMS.teacher);
  const theta = glorotNormal(arch, random, scale);
  for (const layer of parameterLayout(arch).layers) {
    if (layer.biasOffset < 0) continue;
    const sd = scale * Math.sqrt(2 / (layer.fanIn + layer.fanOut));
    for (let j = 0; j < layer.fanOut; j++) theta[layer.biasOffset + j] = sd * random.normal();
  }
  return { arch, theta };
}

/** The teacher's outputs on every row of x (samples × arch.inputDim, row-major). */
export function teacherNetworkValues(teacher: TeacherNetwork, x: Float64Array): Float64Array {
  const d = teacher.arch.inputDim;
  const samples = x.length / d;
  if (!Number.isInteger(samples)) throw new RangeError(`inputs hold ${x.length} values, not a whole number of ${d}-dimensional points`);
  const y = new Float64Array(samples);
  for (let n = 0; n < samples; n++) y[n] = forward(teacher.arch, teacher.theta, x.subarray(n * d, (n + 1) * d));
  return y;
}
