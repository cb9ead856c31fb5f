// The closed-form Hessian of one-hidden-layer networks (the stiff solver's Jacobian on the CPU)
// against the Hessian assembled column by column from the engine's exact R-operator HVPs.
import { describe, expect, it } from 'vitest';
import { evaluateNetwork } from '../../src/engine/cpu/cpu-engine.js';
import { deepNetworkHessian, hasClosedFormHessian, networkHessian, networkHessianInBasis } from '../../src/engine/cpu/hessian.js';
import { ACTIVATIONS, parameterCount, parameterLayout, type Architecture } from '../../src/model/architecture.js';
import { hessianMatrix } from '../../src/numerics/linalg.js';
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
