// Pair coordinates of a one-hidden-layer network: hidden neurons (2q, 2q + 1), q < pairs, are stored
// as m = (w_i + w_j)/√2 and h = (w_i − w_j)/√2 (input weights and bias), s = (a_i + a_j)/√2 and
// t = (a_i − a_j)/√2 (output weights); every other parameter as it is. The map is orthogonal and
// symmetric, hence its own inverse, and gradients (and Hessian-vector products) transform as θ does.
// Why: near a channel w_i ≈ w_j and a_i ≈ −a_j are large, and float32 in network coordinates loses
// the pair's small difference (benchmarks/results/pair-coordinates-2026-12-04.md); the GPU core
// computes in these coordinates when asked (shaders/mlp_core.wgsl, PAIRED).
import { parameterLayout, type Architecture } from './architecture.js';

/** Refuses a pair count the coordinates cannot have: an integer from 0 to width/2, one hidden layer. */
export function checkPairCount(arch: Architecture, pairs: number): void {
  if (!Number.isInteger(pairs) || pairs < 0) throw new RangeError(`pairs must be a non-negative integer, got ${pairs}`);
  if (pairs === 0) return;
  if (arch.hidden.length !== 1) throw new RangeError(`pair coordinates need one hidden layer, got hidden [${arch.hidden.join(', ')}]`);
  if (2 * pairs > arch.hidden[0]) throw new RangeError(`${pairs} pairs need ${2 * pairs} hidden neurons, the layer has ${arch.hidden[0]}`);
}

/** The parameter indices of hidden neuron j: input weights, bias (with biases), output weight. */
function neuronParameters(arch: Architecture, j: number): number[] {
  const [hidden, output] = parameterLayout(arch).layers;
  const indices = Array.from({ length: arch.inputDim }, (_, k) => hidden.weightOffset + j * arch.inputDim + k);
  if (hidden.biasOffset >= 0) indices.push(hidden.biasOffset + j);
  indices.push(output.weightOffset + j);
  return indices;
}

/**
 * Network ↔ pair coordinates (the same map both ways) of `count` consecutive parameter vectors
 * (an ensemble's, or one): a new array.
 */
export function pairCoordinates(arch: Architecture, theta: ArrayLike<number>, pairs: number): Float64Array {
  checkPairCount(arch, pairs);
  const P = parameterLayout(arch).count;
  if (theta.length % P !== 0) throw new RangeError(`parameter vectors of length ${P} expected, got ${theta.length} values`);
  const out = Float64Array.from(theta);
  const neurons = Array.from({ length: pairs }, (_, q) => [neuronParameters(arch, 2 * q), neuronParameters(arch, 2 * q + 1)]);
  for (let base = 0; base < theta.length; base += P) {
    for (const [first, second] of neurons) {
      for (let k = 0; k < first.length; k++) {
        const [u, v] = [theta[base + first[k]], theta[base + second[k]]];
        out[base + first[k]] = (u + v) * Math.SQRT1_2;
        out[base + second[k]] = (u - v) * Math.SQRT1_2;
      }
    }
  }
  return out;
}
