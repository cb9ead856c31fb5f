// Group coordinates (src/model/groups.ts): the Helmert map and its inverse, its agreement with the
// pair map for groups of two, the refusals, and the grouping rule the stiff kernel applies
// (mlp_stiff.wgsl choose_groups; the kernel's choice is checked in tests/engine/gpu-stiff.test.ts).
import { describe, expect, it } from 'vitest';
import { parameterCount, type Architecture } from '../../src/model/architecture.js';
import { closeLayerGroups, closeNeuronGroups, groupCoordinates, groupCoordinatesOfMatrix, helmertRow, layerGroupCoordinates, layerGroupCoordinatesOfMatrix, pairCoordinates } from '../../src/model/groups.js';

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
    const deep: Architecture = { ...arch, hidden: [4, 4] };
    const deepTheta = new Float64Array(parameterCount(deep));
    expect(() => groupCoordinates(deep, deepTheta, [[0, 1]], true, 2)).toThrow('group coordinates need a hidden layer (0–1), got layer 2 of hidden [4, 4]');
    expect(() => groupCoordinates(deep, deepTheta, [[0, 4]], true, 1)).toThrow('neuron groups must list distinct neurons of the hidden layer (0–3) in increasing order, got [0, 4]');
  });

  it('turn any hidden layer of a deep network: input vectors and outgoing weight vectors alike, layers in either order', () => {
    // d = 3, hidden [4, 5]: W1 4×3 at 0, b1 at 12, W2 5×4 at 16, b2 at 36, W3 1×5 at 41, c at 46
    const deep: Architecture = { inputDim: 3, hidden: [4, 5], activation: 'softplus', biases: true };
    const Q = parameterCount(deep);
    expect(Q).toBe(47);
    const theta = Float64Array.from({ length: Q }, (_, k) => Math.sin(2 * k + 0.5));
    const first = groupCoordinates(deep, theta, [[1, 3]], true, 0);
    // layer 0's pair (1, 3): input weights, bias, and the columns 1 and 3 of W2 (one entry per neuron of layer 1)
    expect(first[3]).toBeCloseTo((theta[3] + theta[9]) * Math.SQRT1_2, 14);
    expect(first[9]).toBeCloseTo((theta[3] - theta[9]) * Math.SQRT1_2, 14);
    expect(first[15]).toBeCloseTo((theta[13] - theta[15]) * Math.SQRT1_2, 14);
    for (let m = 0; m < 5; m++) expect(first[16 + m * 4 + 3]).toBeCloseTo((theta[16 + m * 4 + 1] - theta[16 + m * 4 + 3]) * Math.SQRT1_2, 14);
    expect(first[41]).toBe(theta[41]); // W3 belongs to layer 1's neurons
    // layer 1's group (0, 2, 4): rows of W2, b2 and W3's entries
    const groups = [[[1, 3]], [[0, 2, 4]]];
    const both = layerGroupCoordinates(deep, theta, groups, true);
    const otherOrder = groupCoordinates(deep, groupCoordinates(deep, theta, groups[1], true, 1), groups[0], true, 0);
    for (let k = 0; k < Q; k++) expect(both[k]).toBeCloseTo(otherOrder[k], 14);
    expect(both[41]).toBeCloseTo((theta[41] + theta[43] + theta[45]) / Math.sqrt(3), 14);
    expect(squares(both)).toBeCloseTo(squares(theta), 12);
    const back = layerGroupCoordinates(deep, both, groups, false);
    for (let k = 0; k < Q; k++) expect(back[k]).toBeCloseTo(theta[k], 14);
    // a matrix turns as T·M·Tᵀ for both layers
    const M = Float64Array.from({ length: Q * Q }, (_, k) => Math.cos(k));
    const form = (m: ArrayLike<number>, x: ArrayLike<number>) => {
      let sum = 0;
      for (let i = 0; i < Q; i++) for (let j = 0; j < Q; j++) sum += x[i] * m[i * Q + j] * x[j];
      return sum;
    };
    expect(form(layerGroupCoordinatesOfMatrix(deep, M, groups, true), both)).toBeCloseTo(form(M, theta), 9);
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

  it('group each hidden layer of a deep network by its own input vectors', () => {
    // d = 2, hidden [3, 3]: W1 3×2 at 0, b1 at 6, W2 3×3 at 9, b2 at 18, W3 at 21, c at 24
    const deep: Architecture = { inputDim: 2, hidden: [3, 3], activation: 'softplus', biases: true };
    const theta = Float64Array.from({ length: parameterCount(deep) }, (_, k) => 1 + 0.37 * k);
    // layer 0: neurons 0 and 2 equal up to 1% ((w, b) = (1, 2, 3) and (1.01, 2.02, 3.03)), 1 far
    theta.set([1, 2, -4, 7, 1.01, 2.02], 0);
    theta.set([3, -1, 3.03], 6);
    // layer 1: neurons 1 and 2 within 10% ((w, b) of four entries), 0 far
    theta.set([-9, 9, 9, 1, 2, 3, 1.1, 2.1, 3.1], 9);
    theta.set([9, 4, 4.2], 18);
    expect(closeLayerGroups(deep, theta)).toEqual([[[0, 2]], [[1, 2]]]);
  });
});
