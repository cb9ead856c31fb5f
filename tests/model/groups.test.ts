// Group coordinates (src/model/pairs.ts): the Helmert map and its inverse, its agreement with the
// pair map for groups of two, the refusals, and the grouping rule the stiff kernel applies
// (mlp_stiff.wgsl choose_groups; the kernel's choice is checked in tests/engine/gpu-stiff.test.ts).
import { describe, expect, it } from 'vitest';
import { parameterCount, type Architecture } from '../../src/model/architecture.js';
import { closeNeuronGroups, groupCoordinates, groupCoordinatesOfMatrix, helmertRow, pairCoordinates } from '../../src/model/pairs.js';

const arch: Architecture = { inputDim: 3, hidden: [7], activation: 'softplus', biases: true };
const P = parameterCount(arch);
const squares = (v: ArrayLike<number>) => Array.from(v).reduce((sum, x) => sum + x * x, 0);

describe('group coordinates', () => {
  it('use an orthonormal Helmert basis whose first row is the mean direction', () => {
    for (const n of [2, 3, 4]) {
      const U = Array.from({ length: n }, (_, j) => helmertRow(n, j));
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const dot = U[i].reduce((sum, x, k) => sum + x * U[j][k], 0);
          expect(dot).toBeCloseTo(i === j ? 1 : 0, 14);
        }
      }
      for (const value of U[0]) expect(value).toBeCloseTo(1 / Math.sqrt(n), 15);
    }
  });

  it('turn there and back, keep the norm, leave other neurons alone, and equal the pair map for two', () => {
    const theta = Float64Array.from({ length: 2 * P }, (_, k) => Math.cos(3 * k + 1));
    const groups = [[0, 2, 5], [1, 3, 4, 6]];
    const turned = groupCoordinates(arch, theta, groups, true);
    const back = groupCoordinates(arch, turned, groups, false);
    for (let k = 0; k < theta.length; k++) expect(back[k]).toBeCloseTo(theta[k], 14);
    expect(squares(turned)).toBeCloseTo(squares(theta), 12);
    // the output bias is in no neuron's parameters
    expect(turned[P - 1]).toBe(theta[P - 1]);
    // the mean slot of group (0, 2, 5) holds (w₀ + w₂ + w₅)/√3 for the first input weight
    expect(turned[0]).toBeCloseTo((theta[0] + theta[2 * 3] + theta[5 * 3]) / Math.sqrt(3), 14);
    // a group of two is the pair map: slot 1 holds (w₁ + w₄)/√2, slot 4 (w₁ − w₄)/√2
    const pairs = groupCoordinates(arch, theta, [[1, 4]], true);
    const viaPairs = Float64Array.from(theta);
    for (const e of [0, 1, 2]) [viaPairs[3 + e], viaPairs[12 + e]] = [(theta[3 + e] + theta[12 + e]) * Math.SQRT1_2, (theta[3 + e] - theta[12 + e]) * Math.SQRT1_2];
    for (const [i, j] of [[21 + 1, 21 + 4], [28 + 1, 28 + 4]]) [viaPairs[i], viaPairs[j]] = [(theta[i] + theta[j]) * Math.SQRT1_2, (theta[i] - theta[j]) * Math.SQRT1_2];
    for (let k = 0; k < P; k++) expect(pairs[k]).toBeCloseTo(viaPairs[k], 15);
    expect(pairCoordinates(arch, theta, 1)).toEqual(groupCoordinates(arch, theta, [[0, 1]], true));
  });

  it('turn a matrix as T·M·Tᵀ: a quadratic form keeps its value', () => {
    const M = Float64Array.from({ length: P * P }, (_, k) => Math.sin(k));
    const v = Float64Array.from({ length: P }, (_, k) => Math.cos(k));
    const groups = [[2, 3, 6]];
    const form = (m: ArrayLike<number>, x: ArrayLike<number>) => {
      let sum = 0;
      for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) sum += x[i] * m[i * P + j] * x[j];
      return sum;
    };
    expect(form(groupCoordinatesOfMatrix(arch, M, groups, true), groupCoordinates(arch, v, groups, true))).toBeCloseTo(form(M, v), 10);
  });

  it('refuse groups that are not distinct neurons of one hidden layer in increasing order', () => {
    const theta = new Float64Array(P);
    expect(() => groupCoordinates(arch, theta, [[0, 0]], true)).toThrow('neuron groups must list distinct neurons of the hidden layer (0–6) in increasing order, got [0, 0]');
    expect(() => groupCoordinates(arch, theta, [[3, 1]], true)).toThrow('got [3, 1]');
    expect(() => groupCoordinates(arch, theta, [[0, 1], [1, 2]], true)).toThrow('got [1, 2]');
    expect(() => groupCoordinates(arch, theta, [[0, 7]], true)).toThrow('got [0, 7]');
    expect(() => groupCoordinates({ ...arch, hidden: [4, 4] }, theta, [[0, 1]], true)).toThrow('group coordinates need one hidden layer, got hidden [4, 4]');
  });

  it('group neurons within 25% greedily, closest first, at most four to a group', () => {
    // neuron j's input vector (3 weights, bias) is base·(1 + offsets[j]) for those near `base`
    const base = [1, -2, 0.5, 3];
    const theta = new Float64Array(P);
    const place = (j: number, vector: number[]) => {
      vector.slice(0, 3).forEach((x, e) => (theta[j * 3 + e] = x));
      theta[7 * 3 + j] = vector[3];
    };
    // 0, 2, 4, 5, 6 within a few % of base: five neurons, so the farthest (6, at 9%) stays out
    [0, 2, 4, 5].forEach((j, m) => place(j, base.map((x) => x * (1 + 0.01 * m))));
    place(6, base.map((x) => x * 1.09));
    // 1 and 3 close to each other, far from base
    place(1, [5, 5, 5, 5]);
    place(3, [5, 5, 5, 5.5]);
    expect(closeNeuronGroups(arch, theta)).toEqual([
      [0, 2, 4, 5],
      [1, 3],
    ]);
    // farther than the threshold: no groups
    place(3, [-5, 5, 5, 5]);
    expect(closeNeuronGroups(arch, theta, 0.001)).toEqual([]);
    // at most two: the closest pairs first, (0, 2) and (4, 5), then nothing is left for 6
    [0, 2, 4, 5].forEach((j, m) => place(j, base.map((x) => x * (1 + [0, 0.01, 0.05, 0.06][m]))));
    expect(closeNeuronGroups(arch, theta, 0.25, 2)).toEqual([
      [0, 2],
      [4, 5],
    ]);
  });
});
