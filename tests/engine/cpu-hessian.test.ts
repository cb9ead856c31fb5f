// The closed-form Hessian of one-hidden-layer networks (the stiff solver's Jacobian on the CPU)
// against the Hessian assembled column by column from the engine's exact R-operator HVPs.
import { describe, expect, it } from 'vitest';
import { evaluateNetwork } from '../../src/engine/cpu/cpu-engine.js';
import { deepNetworkHessian, hasClosedFormHessian, networkHessian, networkHessianInBasis } from '../../src/engine/cpu/hessian.js';
import { ACTIVATIONS, parameterCount, parameterLayout, type Architecture } from '../../src/model/architecture.js';
import { hessianMatrix } from '../../src/numerics/linalg.js';
import { activationFunctions } from '../../src/model/activations.js';
import { barrierTerms } from '../../src/engine/engine.js';
import { makeRandom, normalArray, randomDataset } from '../helpers/random.js';

/** relative to the largest entry: both are float64 sums of the same terms in a different order */
const TOLERANCE = 1e-11;

function hessianFromHvps(arch: Architecture, data: ReturnType<typeof randomDataset>, theta: Float64Array, maxnorm: number): Float64Array {
  const P = parameterCount(arch);
  const out = new Float64Array(P * P);
  hessianMatrix((v, hv) => hv.set(evaluateNetwork(arch, data, 0, theta, { direction: v, maxnorm }).hvp!), P, out);
  return out;
}

describe('closed-form Hessian (one hidden layer)', () => {
  for (const activation of ACTIVATIONS) {
    for (const biases of [true, false]) {
      it(`equals the HVP-assembled Hessian: ${activation}, biases ${biases}, with and without the barrier active`, () => {
        const random = makeRandom(7);
        const arch: Architecture = { inputDim: 3, hidden: [4], activation, biases };
        const P = parameterCount(arch);
        const data = randomDataset(random, 3, 24);
        const theta = normalArray(random, P);
        // a near-channel pair: neurons 0 and 1 almost equal, output weights ±150 (large, cancelling)
        const outputWeights = parameterLayout(arch).layers[1].weightOffset;
        for (let t = 0; t < 3; t++) theta[3 + t] = theta[t] + 1e-3 * (t + 1);
        theta[outputWeights] = 150;
        theta[outputWeights + 1] = -150;
        for (const maxnorm of [Infinity, 10]) {
          const closed = new Float64Array(P * P);
          networkHessian(arch, data, 0, theta, maxnorm, closed);
          const reference = hessianFromHvps(arch, data, theta, maxnorm);
          const scale = Math.max(...reference.map(Math.abs));
          const worst = Math.max(...closed.map((h, k) => Math.abs(h - reference[k])));
          expect(worst / scale).toBeLessThan(TOLERANCE);
          for (let k = 0; k < P; k++) for (let l = 0; l < P; l++) expect(closed[k * P + l]).toBe(closed[l * P + k]);
        }
      });
    }
  }

  it('refuses deeper networks (deepNetworkHessian is theirs)', () => {
    const arch: Architecture = { inputDim: 2, hidden: [3, 3], activation: 'softplus', biases: true };
    expect(hasClosedFormHessian(arch)).toBe(false);
    const P = parameterCount(arch);
    expect(() => networkHessian(arch, randomDataset(makeRandom(1), 2, 4), 0, new Float64Array(P), Infinity, new Float64Array(P * P))).toThrow(/one hidden layer/);
  });
});

describe('deep-network Hessian (cached R-operator columns)', () => {
  const shapes: [string, number[]][] = [
    ['two hidden layers', [4, 3]],
    ['three hidden layers', [3, 2, 3]],
    ['one hidden layer (the general path too)', [3]],
  ];
  for (const [name, hidden] of shapes) {
    for (const activation of ACTIVATIONS) {
      for (const biases of [true, false]) {
        it(`equals the HVP-assembled Hessian: ${name}, ${activation}, biases ${biases}, with and without the barrier active`, () => {
          const random = makeRandom(11);
          const arch: Architecture = { inputDim: 3, hidden, activation, biases };
          const P = parameterCount(arch);
          const data = randomDataset(random, 3, 20);
          const theta = normalArray(random, P);
          // first-layer neurons 0 and 1 nearly equal, their outgoing weights ±150 (large, cancelling)
          const [first, second] = parameterLayout(arch).layers;
          for (let t = 0; t < 3; t++) theta[first.weightOffset + 3 + t] = theta[first.weightOffset + t] + 1e-3 * (t + 1);
          for (let j = 0; j < second.fanOut; j++) {
            theta[second.weightOffset + j * second.fanIn] = 150;
            theta[second.weightOffset + j * second.fanIn + 1] = -150;
          }
          for (const maxnorm of [Infinity, 10]) {
            const cached = new Float64Array(P * P);
            deepNetworkHessian(arch, data, 0, theta, maxnorm, cached);
            const reference = hessianFromHvps(arch, data, theta, maxnorm);
            const scale = Math.max(...reference.map(Math.abs));
            const worst = Math.max(...cached.map((h, k) => Math.abs(h - reference[k])));
            expect(worst / scale).toBeLessThan(TOLERANCE);
            for (let k = 0; k < P; k++) for (let l = 0; l < P; l++) expect(cached[k * P + l]).toBe(cached[l * P + k]);
          }
        });
      }
    }
  }
});

describe('deep-network Hessian by tiles of samples', () => {
  /**
   * deepNetworkHessian one sample at a time: per sample the forward and backward pass, then per
   * column e_j the R-forward pass from j's layer and the R-backward pass down to it, adding
   * R(∂ℓ/∂θ_p) to entry (p, j) for p ≥ j; then ×2/N, the barrier and the mirror as addBarrierAndMirror.
   */
  function perSampleHessian(arch: Architecture, data: ReturnType<typeof randomDataset>, index: number, theta: Float64Array, maxnorm: number): Float64Array {
    const { layers, count: P } = parameterLayout(arch);
    const sigma = activationFunctions(arch.activation);
    const derivatives = new Float64Array(4);
    const L = layers.length;
    const sums = new Float64Array(P * P);
    const N = data.samples;
    for (let n = index * N; n < (index + 1) * N; n++) {
      const a: number[][] = [Array.from(data.x.subarray(n * arch.inputDim, (n + 1) * arch.inputDim))];
      const slope: number[][] = [[]];
      const curvature: number[][] = [[]];
      for (const [level, { fanIn, fanOut, weightOffset, biasOffset }] of layers.entries()) {
        a.push([]);
        slope.push([]);
        curvature.push([]);
        for (let j = 0; j < fanOut; j++) {
          let z = biasOffset >= 0 ? theta[biasOffset + j] : 0;
          for (let i = 0; i < fanIn; i++) z += theta[weightOffset + j * fanIn + i] * a[level][i];
          if (level === L - 1) {
            a[level + 1].push(z);
            continue;
          }
          sigma.evaluate(z, derivatives);
          a[level + 1].push(derivatives[0]);
          slope[level + 1].push(derivatives[1]);
          curvature[level + 1].push(derivatives[2]);
        }
      }
      const delta: number[][] = a.map(() => []);
      const curved: number[][] = a.map(() => []);
      delta[L] = [a[L][0] - data.y[n]];
      for (let level = L; level > 1; level--) {
        const { fanIn, fanOut, weightOffset } = layers[level - 1];
        for (let i = 0; i < fanIn; i++) {
          let back = 0;
          for (let j = 0; j < fanOut; j++) back += theta[weightOffset + j * fanIn + i] * delta[level][j];
          delta[level - 1][i] = slope[level - 1][i] * back;
          curved[level - 1][i] = curvature[level - 1][i] * back;
        }
      }
      for (let column = 0; column < P; column++) {
        const first = layers.findIndex((layer) => column < layer.weightOffset + layer.fanIn * layer.fanOut || (layer.biasOffset >= 0 && column < layer.biasOffset + layer.fanOut)) + 1;
        const { fanIn: columnFanIn, weightOffset: columnWeights, biasOffset: columnBiases } = layers[first - 1];
        const isBias = columnBiases >= 0 && column >= columnBiases;
        const neuron = isBias ? column - columnBiases : Math.floor((column - columnWeights) / columnFanIn);
        const input = isBias ? -1 : (column - columnWeights) % columnFanIn;
        const rz: number[][] = a.map(() => []);
        const ra: number[][] = a.map(() => []);
        const rdelta: number[][] = a.map(() => []);
        for (let level = first; level <= L; level++) {
          const { fanIn, fanOut, weightOffset } = layers[level - 1];
          for (let j = 0; j < fanOut; j++) {
            let value = 0;
            if (level === first) {
              if (j === neuron) value = input < 0 ? 1 : a[level - 1][input];
            } else {
              for (let i = 0; i < fanIn; i++) value += theta[weightOffset + j * fanIn + i] * ra[level - 1][i];
            }
            rz[level][j] = value;
            ra[level][j] = level < L ? slope[level][j] * value : 0;
          }
        }
        rdelta[L] = [rz[L][0]];
        for (let level = L; level >= first; level--) {
          const { fanIn, fanOut, weightOffset, biasOffset } = layers[level - 1];
          const above = level > first;
          for (let j = 0; j < fanOut; j++) {
            for (let i = 0; i < fanIn; i++) {
              const p = weightOffset + j * fanIn + i;
              if (p >= column) sums[p * P + column] += rdelta[level][j] * a[level - 1][i] + (above ? delta[level][j] * ra[level - 1][i] : 0);
            }
            if (biasOffset >= 0 && biasOffset + j >= column) sums[(biasOffset + j) * P + column] += rdelta[level][j];
          }
          if (!above) break;
          for (let i = 0; i < fanIn; i++) {
            let back = 0;
            for (let j = 0; j < fanOut; j++) back += theta[weightOffset + j * fanIn + i] * rdelta[level][j];
            rdelta[level - 1][i] = slope[level - 1][i] * back + curved[level - 1][i] * rz[level - 1][i];
          }
        }
      }
    }
    let squares = 0;
    for (let k = 0; k < P; k++) squares += theta[k] * theta[k];
    const barrier = barrierTerms(squares / (2 * P), maxnorm);
    const out = new Float64Array(P * P);
    for (let k = 0; k < P; k++) {
      for (let l = k; l < P; l++) {
        let value = (2 / N) * sums[l * P + k] + (barrier.curvature / (P * P)) * theta[k] * theta[l];
        if (k === l) value += barrier.slope / P;
        out[k * P + l] = value;
        out[l * P + k] = value;
      }
    }
    return out;
  }

  const bits = (values: Float64Array) => Array.from(new BigUint64Array(values.buffer));
  const cases = [
    ['softplus', true, [4, 4], 2, 100],
    ['erf', true, [4, 4, 4], 16, 33],
    ['gelu', false, [3, 5], 3, 64],
    ['g', true, [2, 1, 3], 1, 7],
    ['tanh', false, [5, 4, 2], 2, 65],
    ['relu', true, [3, 2], 5, 31],
    ['sigmoid', true, [4], 2, 40],
  ] as const;
  for (const [activation, biases, hidden, inputDim, samples] of cases) {
    it(`gives the bits of a one-sample-at-a-time loop: ${activation}, biases ${biases}, hidden [${hidden.join(', ')}], d = ${inputDim}, N = ${samples}`, () => {
      const random = makeRandom(31);
      const arch: Architecture = { inputDim, hidden: [...hidden], activation, biases };
      const P = parameterCount(arch);
      const data = randomDataset(random, inputDim, samples, 2);
      const theta = normalArray(random, P, 1.5);
      for (const maxnorm of [Infinity, 0.5]) {
        const tiled = new Float64Array(P * P);
        deepNetworkHessian(arch, data, 1, theta, maxnorm, tiled);
        expect(bits(tiled)).toEqual(bits(perSampleHessian(arch, data, 1, theta, maxnorm)));
      }
    });
  }
});

describe('the Hessian in a basis (θ = θ₀ + M·y: MᵀHM)', () => {
  /** MᵀHM from the full matrix, plain float64 */
  function congruence(full: Float64Array, basis: { matrix: Float64Array; columns: number }, P: number): Float64Array {
    const Q = basis.columns;
    const out = new Float64Array(Q * Q);
    for (let k = 0; k < Q; k++) for (let l = 0; l < Q; l++) {
      let sum = 0;
      for (let p = 0; p < P; p++) for (let q = 0; q < P; q++) sum += basis.matrix[p * Q + k] * full[p * P + q] * basis.matrix[q * Q + l];
      out[k * Q + l] = sum;
    }
    return out;
  }
  for (const hidden of [[4], [3, 2]]) {
    it(`equals MᵀHM for a random basis: hidden [${hidden.join(', ')}], with and without the barrier active`, () => {
      const random = makeRandom(5);
      const arch: Architecture = { inputDim: 2, hidden, activation: 'softplus', biases: true };
      const P = parameterCount(arch);
      const Q = P - 3;
      const data = randomDataset(random, 2, 30);
      const theta = normalArray(random, P);
      const basis = { matrix: normalArray(random, P * Q), columns: Q };
      for (const maxnorm of [Infinity, 0.2]) {
        const full = new Float64Array(P * P);
        (hasClosedFormHessian(arch) ? networkHessian : deepNetworkHessian)(arch, data, 0, theta, maxnorm, full);
        const reference = congruence(full, basis, P);
        const projected = new Float64Array(Q * Q);
        networkHessianInBasis(arch, data, 0, theta, maxnorm, basis, projected);
        const scale = Math.max(...reference.map(Math.abs));
        expect(Math.max(...projected.map((h, k) => Math.abs(h - reference[k]))) / scale).toBeLessThan(TOLERANCE);
        for (let k = 0; k < Q; k++) for (let l = 0; l < Q; l++) expect(projected[k * Q + l]).toBe(projected[l * Q + k]);
      }
      expect(() => networkHessianInBasis(arch, data, 0, theta, Infinity, { matrix: new Float64Array(P), columns: Q }, new Float64Array(Q * Q))).toThrow(/basis of \d+ directions in \d+ parameters/);
    });
  }
});
