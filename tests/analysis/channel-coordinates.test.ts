// Channel coordinates (src/analysis/channel-coordinates.ts): the basis channel-jump re-equilibrates
// in, and why — its Hessian stays accurate as ε → 0 where θ's own Hessian projected afterwards does not.
import { describe, expect, it } from 'vitest';
import { channelCoordinates, orthonormalisingCombinations } from '../../src/analysis/channel-coordinates.js';
import { networkHessian, networkHessianInBasis } from '../../src/engine/cpu/hessian.js';
import { inputCoordinates, outgoingCoordinates, parameterCount, parameterLayout, type Architecture } from '../../src/model/architecture.js';
import { plantChannel, randomTheta, unit } from './helpers.js';
import { makeRandom, randomDataset } from '../helpers/random.js';

const arch: Architecture = { inputDim: 2, hidden: [3], activation: 'softplus', biases: true };
const data = randomDataset(makeRandom(5), 2, 200);
const P = parameterCount(arch);
const layout = parameterLayout(arch);
/** neurons 0 and 2 a GLU pair at ε: ũ = w ± εΔ, o = c/2 ± a/(2ε) */
const pairAt = (epsilon: number) =>
  plantChannel(arch, randomTheta(arch, 4), { layer: 0, i: 0, j: 2, w: Float64Array.of(0.6, -0.5, 0.2), delta: unit([0.3, 0.4, -0.5]), epsilon, c: Float64Array.of(0.7), a: Float64Array.of(1.1) });

describe('channel coordinates', () => {
  it('V = R⁻¹ makes nearly parallel columns orthonormal (S·V = Q to 1e-7: forming S·V here costs cond(S)·1e-16 ≈ 1e-8 itself)', () => {
    const random = makeRandom(3);
    const base = Float64Array.from({ length: 50 }, () => random.normal());
    const bend = Float64Array.from({ length: 50 }, () => random.normal());
    // three columns a second difference of 1e-4 apart: S's condition number ~1e8
    const columns = [-1, 0, 1].map((s) => base.map((value, n) => value + 1e-4 * s * bend[n] + 1e-8 * s * s * bend[n] * bend[n]));
    const v = orthonormalisingCombinations(columns);
    const q = [0, 1, 2].map((l) => base.map((_, n) => columns.reduce((sum, column, m) => sum + column[n] * v[m * 3 + l], 0)));
    for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) expect(Math.abs(q[k].reduce((s, x, n) => s + x * q[l][n], 0) - (k === l ? 1 : 0))).toBeLessThan(1e-7);
    expect(() => orthonormalisingCombinations([base, base])).toThrow(/not distinct/);
  });

  it('holds the pair\'s difference: its two input vectors share columns, its outgoing weights move by V', () => {
    const theta = pairAt(0.01);
    const basis = channelCoordinates(arch, theta, { layer: 0, members: [0, 2] }, { first: 0, last: 1 }, data);
    // one input vector (3 entries with the bias) fewer than θ
    expect(basis.columns).toBe(P - 3);
    const Q = basis.columns;
    const [rowsI, rowsJ] = [inputCoordinates(layout, 0, 0), inputCoordinates(layout, 0, 2)];
    for (let q = 0; q < Q; q++) rowsI.forEach((row, t) => expect(basis.matrix[row * Q + q]).toBe(basis.matrix[rowsJ[t] * Q + q]));
    // outgoing weights: the columns touching them are V's, and a column of V moves f by an O(1) amount
    const [oI, oJ] = [outgoingCoordinates(layout, 0, 0)[0], outgoingCoordinates(layout, 0, 2)[0]];
    const touching = Array.from({ length: Q }, (_, q) => q).filter((q) => basis.matrix[oI * Q + q] !== 0 || basis.matrix[oJ * Q + q] !== 0);
    expect(touching).toHaveLength(2);
    // the second combination is the difference, (1, −1)/ε up to normalisation: tenfold at a tenth of ε
    const difference = (at: Float64Array) => {
      const { matrix, columns } = channelCoordinates(arch, at, { layer: 0, members: [0, 2] }, { first: 0, last: 1 }, data);
      const weights = touching.map((q) => [matrix[oI * columns + q], matrix[oJ * columns + q]]).find(([x, y]) => x * y < 0)!;
      expect(weights[0] / weights[1]).toBeCloseTo(-1, 1);
      return Math.abs(weights[0]);
    };
    expect(difference(pairAt(0.001)) / difference(theta)).toBeCloseTo(10, 0);
    expect(() => channelCoordinates(arch, theta, { layer: 0, members: [0, 2] }, { first: 0, last: 0 }, data)).toThrow(/held pair/);
  });

  it('its Hessian tends to a limit as ε → 0 (ε = 1e-6 and 1e-7 within 1e-7), where θ\'s Hessian projected afterwards is off by 1e-3 or more', () => {
    const hessians = (epsilon: number) => {
      const theta = pairAt(epsilon);
      const basis = channelCoordinates(arch, theta, { layer: 0, members: [0, 2] }, { first: 0, last: 1 }, data);
      const Q = basis.columns;
      const inBasis = new Float64Array(Q * Q);
      networkHessianInBasis(arch, data, 0, theta, Infinity, basis, inBasis);
      const full = new Float64Array(P * P);
      networkHessian(arch, data, 0, theta, Infinity, full);
      const afterwards = new Float64Array(Q * Q);
      for (let k = 0; k < Q; k++) for (let l = 0; l < Q; l++) {
        let sum = 0;
        for (let p = 0; p < P; p++) for (let q = 0; q < P; q++) sum += basis.matrix[p * Q + k] * full[p * P + q] * basis.matrix[q * Q + l];
        afterwards[k * Q + l] = sum;
      }
      return { inBasis, afterwards };
    };
    const [near, nearer] = [hessians(1e-6), hessians(1e-7)];
    const scale = Math.max(...nearer.inBasis.map(Math.abs));
    const worst = (a: Float64Array, b: Float64Array) => Math.max(...a.map((value, k) => Math.abs(value - b[k]))) / scale;
    // measured: 1e-8 (the basis's own O(ε) drift); θ's o² ~ 1e14 entries rounded then cancelled: 1.6e-2
    expect(worst(near.inBasis, nearer.inBasis)).toBeLessThan(1e-7);
    expect(worst(nearer.afterwards, nearer.inBasis)).toBeGreaterThan(1e-3);
  });
});
