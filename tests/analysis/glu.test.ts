// The GLU reparametrisation of a planted channel, the O(ε²) approach of the limit, and the loss at
// infinity against a brute-force least-squares solution.
//
// Tolerances: recovering w, Δ, ε, c, a from θ loses ~1e-16·|o_i|/|c| ≈ 1e-13 (o_i ≈ a/2ε ≈ 650 at
// ε = 1e-3): asserted to 1e-10 relative. Deviation ratios at ε and ε/2: 4 + O(ε²), measured within
// 2.7e-3 of 4 (g; 7.4e-4 for the others, 3.1e-5 in two hidden layers), asserted within 1e-2 of 4.
// Loss at infinity against normal equations: 1e-9 relative.
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { activationFunctions } from '../../src/model/activations.js';
import type { Activation, Architecture } from '../../src/model/architecture.js';
import { gluDeviation, gluLimitOutput, gluNetworkOutput, gluParameters, lossAtInfinity, networkOutput, pairOutput } from '../../src/analysis/glu.js';
import { leastSquares } from '../../src/analysis/least-squares.js';
import { affine, inputVector } from '../../src/analysis/network.js';
import { makeRandom, randomDataset } from '../helpers/random.js';
import { maxRelativeError, plantChannel, randomTheta, setNeuron, unit, type PlantedChannel } from './helpers.js';

const SMOOTH: Activation[] = ['softplus', 'g', 'erf', 'sigmoid', 'tanh', 'gelu'];
/** |deviation(ε) / deviation(ε/2) − 4|: O(ε²) is 4× smaller at ε/2 */
const RATIO_TOLERANCE = 1e-2;

function shallowCase(activation: Activation, biases: boolean, epsilon: number) {
  const arch: Architecture = { inputDim: 2, hidden: [3], activation, biases };
  const planted: PlantedChannel = {
    layer: 0,
    i: 0,
    j: 2,
    w: Float64Array.from(biases ? [0.7, -0.4, 0.3] : [0.7, -0.4]),
    delta: unit(biases ? [0.2, 0.5, -0.6] : [0.2, 0.5]),
    epsilon,
    c: Float64Array.of(0.8),
    a: Float64Array.of(1.3),
  };
  return { arch, planted, theta: plantChannel(arch, randomTheta(arch, 21), planted) };
}

/** Neurons 0 and 2 with the same input vector w, outgoing weights 0.3·0.8 and 0.7·0.8 (a saddle-line split). */
function duplicateCase() {
  const arch: Architecture = { inputDim: 2, hidden: [3], activation: 'erf', biases: true };
  const theta = randomTheta(arch, 21);
  setNeuron(arch, theta, 0, 0, [0.7, -0.4, 0.3], [0.3 * 0.8]);
  setNeuron(arch, theta, 0, 2, [0.7, -0.4, 0.3], [0.7 * 0.8]);
  return { arch, theta };
}

describe('GLU parameters', () => {
  it('recovers w, Δ, ε, c, a of a planted channel (ε = 1e-3) to 1e-10 relative', () => {
    for (const biases of [false, true]) {
      const { arch, planted, theta } = shallowCase('softplus', biases, 1e-3);
      const glu = gluParameters(arch, theta, { i: 0, j: 2 });
      expect(glu.layer).toBe(0);
      expect(maxRelativeError(glu.w, planted.w)).toBeLessThan(1e-10);
      expect(maxRelativeError(glu.delta, planted.delta)).toBeLessThan(1e-10);
      expect(Math.abs(glu.epsilon - 1e-3) / 1e-3).toBeLessThan(1e-10);
      expect(maxRelativeError(glu.c, planted.c)).toBeLessThan(1e-10);
      expect(maxRelativeError(glu.a, planted.a)).toBeLessThan(1e-10);
    }
  });

  it('a pair in an earlier layer has one c and a per neuron of the next layer', () => {
    const arch: Architecture = { inputDim: 3, hidden: [4, 3], activation: 'erf', biases: true };
    const planted: PlantedChannel = {
      layer: 0,
      i: 1,
      j: 3,
      w: Float64Array.from([0.5, -0.3, 0.8, 0.1]),
      delta: unit([1, 2, -1, 0.5]),
      epsilon: 2e-3,
      c: Float64Array.from([0.4, -0.9, 0.2]),
      a: Float64Array.from([1.1, 0.3, -0.7]),
    };
    const theta = plantChannel(arch, randomTheta(arch, 22), planted);
    const glu = gluParameters(arch, theta, { layer: 0, i: 1, j: 3 });
    expect(glu.c).toHaveLength(3);
    expect(maxRelativeError(glu.c, planted.c)).toBeLessThan(1e-10);
    expect(maxRelativeError(glu.a, planted.a)).toBeLessThan(1e-10);
    expect(maxRelativeError(glu.delta, planted.delta)).toBeLessThan(1e-10);
  });

  it('identical input vectors give ε = 0, Δ = 0, a = 0', () => {
    const { arch, theta } = duplicateCase();
    const glu = gluParameters(arch, theta, { i: 0, j: 2 });
    expect(glu.epsilon).toBe(0);
    expect(Array.from(glu.delta)).toEqual([0, 0, 0]);
    expect(glu.a[0]).toBe(0);
    expect(glu.c[0]).toBeCloseTo(0.8, 15);
  });

  it('rejects a pair of one neuron or out of range', () => {
    const { arch, theta } = shallowCase('erf', true, 1e-3);
    expect(() => gluParameters(arch, theta, { i: 1, j: 1 })).toThrow(RangeError);
    expect(() => gluParameters(arch, theta, { i: 0, j: 3 })).toThrow(RangeError);
    expect(() => gluParameters(arch, theta, { layer: 1, i: 0, j: 1 })).toThrow(RangeError);
  });
});

describe('GLU limit', () => {
  const data: Dataset = randomDataset(makeRandom(23), 2, 200);

  it('the network with the pair replaced differs from the network exactly by the pair’s deviation', () => {
    const { arch, theta } = shallowCase('g', true, 1e-2);
    const glu = gluParameters(arch, theta, { i: 0, j: 2 });
    for (let n = 0; n < 5; n++) {
      const x = data.x.subarray(2 * n, 2 * n + 2);
      const difference = networkOutput(arch, theta, x) - gluNetworkOutput(arch, theta, { i: 0, j: 2 }, x);
      const pairDifference = pairOutput(arch, theta, { i: 0, j: 2 }, x)[0] - gluLimitOutput(glu, arch.activation, x)[0];
      expect(Math.abs(difference - pairDifference)).toBeLessThan(1e-12);
    }
  });

  it('matches the pair to O(ε²): the deviation shrinks 4× when ε halves, with the predicted ε² term', () => {
    for (const activation of SMOOTH) {
      for (const biases of [false, true]) {
        const deviations = [1e-2, 5e-3, 2.5e-3].map((epsilon) => {
          const { arch, theta } = shallowCase(activation, biases, epsilon);
          return gluDeviation(arch, theta, { i: 0, j: 2 }, data).max;
        });
        for (const ratio of [deviations[0] / deviations[1], deviations[1] / deviations[2]]) {
          expect(Math.abs(ratio - 4), `${activation} biases=${biases}: ratio ${ratio}`).toBeLessThan(RATIO_TOLERANCE);
        }
        // pointwise: f − f_GLU = ε²[(c/2)(Δ·x̃)²σ″ + (a/6)(Δ·x̃)³σ‴] + O(ε⁴)
        const epsilon = 5e-3;
        const { arch, planted, theta } = shallowCase(activation, biases, epsilon);
        const act = activationFunctions(activation);
        let worst = 0;
        let scale = 0;
        for (let n = 0; n < data.samples; n++) {
          const x = data.x.subarray(2 * n, 2 * n + 2);
          const s = affine(planted.delta, x);
          const z = affine(planted.w, x);
          const predicted = epsilon ** 2 * ((planted.c[0] / 2) * s * s * act.d2(z) + (planted.a[0] / 6) * s ** 3 * act.d3(z));
          const actual = networkOutput(arch, theta, x) - gluNetworkOutput(arch, theta, { i: 0, j: 2 }, x);
          worst = Math.max(worst, Math.abs(actual - predicted));
          scale = Math.max(scale, Math.abs(predicted));
        }
        expect(worst / scale, `${activation} biases=${biases}`).toBeLessThan(1e-2);
      }
    }
  });

  it('a pair in the first of two hidden layers: O(ε²) as well', () => {
    const arch: Architecture = { inputDim: 2, hidden: [3, 2], activation: 'softplus', biases: true };
    const deviations = [1e-2, 5e-3].map((epsilon) => {
      const planted: PlantedChannel = {
        layer: 0,
        i: 0,
        j: 1,
        w: Float64Array.from([0.6, 0.2, -0.3]),
        delta: unit([1, -1, 0.5]),
        epsilon,
        c: Float64Array.from([0.5, -0.4]),
        a: Float64Array.from([0.9, 0.6]),
      };
      const theta = plantChannel(arch, randomTheta(arch, 24), planted);
      return gluDeviation(arch, theta, { layer: 0, i: 0, j: 1 }, data).max;
    });
    const ratio = deviations[0] / deviations[1];
    expect(Math.abs(ratio - 4), `ratio ${ratio}`).toBeLessThan(RATIO_TOLERANCE);
  });
});

/** Brute force: normal equations AᵀA x = Aᵀy by Gaussian elimination with partial pivoting. */
function normalEquations(columns: Float64Array[], y: ArrayLike<number>): Float64Array {
  const k = columns.length;
  const M = Array.from({ length: k }, (_, p) => [...Array.from({ length: k }, (_, q) => columns[p].reduce((s, v, r) => s + v * columns[q][r], 0)), columns[p].reduce((s, v, r) => s + v * y[r], 0)]);
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(M[r][col]) > Math.abs(M[pivot][col])) pivot = r;
    [M[col], M[pivot]] = [M[pivot], M[col]];
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const factor = M[r][col] / M[col][col];
      for (let c = col; c <= k; c++) M[r][c] -= factor * M[col][c];
    }
  }
  return Float64Array.from(M, (row, r) => row[k] / row[r]);
}

describe('loss at infinity', () => {
  const data: Dataset = randomDataset(makeRandom(25), 2, 300);

  it('equals a brute-force least-squares fit of the limit network’s output layer, and is ≤ the network’s loss', () => {
    for (const biases of [false, true]) {
      const { arch, planted, theta } = shallowCase('softplus', biases, 1e-3);
      const result = lossAtInfinity(arch, theta, { i: 0, j: 2 }, data)!;
      expect(result.columns).toBe(biases ? 4 : 3);
      expect(result.rank).toBe(result.columns);
      expect(result.outputWeights.neurons).toEqual([1]);
      // independent design matrix from the planted w, Δ
      const act = activationFunctions('softplus');
      const other = inputVector(arch, theta, 0, 1);
      const columns = Array.from({ length: result.columns }, () => new Float64Array(data.samples));
      for (let n = 0; n < data.samples; n++) {
        const x = data.x.subarray(2 * n, 2 * n + 2);
        columns[0][n] = act.value(affine(other, x));
        columns[1][n] = act.value(affine(planted.w, x));
        columns[2][n] = affine(planted.delta, x) * act.d1(affine(planted.w, x));
        if (biases) columns[3][n] = 1;
      }
      const x = normalEquations(columns, data.y);
      let sse = 0;
      for (let n = 0; n < data.samples; n++) sse += (columns.reduce((s, col, c) => s + col[n] * x[c], 0) - data.y[n]) ** 2;
      const bruteForce = sse / data.samples;
      expect(Math.abs(result.loss - bruteForce) / bruteForce).toBeLessThan(1e-9);
      const solved = [result.outputWeights.others[0], result.outputWeights.c, result.outputWeights.a, ...(biases ? [result.outputWeights.bias!] : [])];
      expect(maxRelativeError(solved, x)).toBeLessThan(1e-7);
      expect(result.loss).toBeLessThanOrEqual(result.gluLoss * (1 + 1e-12));
      expect(result.loss).toBeLessThanOrEqual(result.networkLoss);
      // gluLoss is the limit at the network's own output weights: within O(ε²) of the network's loss
      expect(Math.abs(result.gluLoss - result.networkLoss)).toBeLessThan(1e-4);
    }
  });

  it('for a deeper network: last-layer pairs only (earlier layers give null)', () => {
    const arch: Architecture = { inputDim: 2, hidden: [3, 4], activation: 'erf', biases: true };
    const planted: PlantedChannel = {
      layer: 1,
      i: 0,
      j: 3,
      w: Float64Array.from([0.4, -0.6, 0.9, 0.2]),
      delta: unit([0.3, 0.3, -0.2, 1]),
      epsilon: 1e-3,
      c: Float64Array.of(-0.5),
      a: Float64Array.of(0.8),
    };
    const theta = plantChannel(arch, randomTheta(arch, 26), planted);
    const result = lossAtInfinity(arch, theta, { i: 0, j: 3 }, data)!;
    expect(result.columns).toBe(5);
    expect(result.loss).toBeLessThanOrEqual(result.gluLoss * (1 + 1e-12));
    expect(result.loss).toBeLessThanOrEqual(result.networkLoss);
    expect(result.outputWeights.neurons).toEqual([1, 2]);
    expect(lossAtInfinity(arch, theta, { layer: 0, i: 0, j: 1 }, data)).toBeNull();
  });

  it('an exact duplicate (ε = 0) leaves a zero column: rank-deficient, still solved', () => {
    const { arch, theta } = duplicateCase();
    const result = lossAtInfinity(arch, theta, { i: 0, j: 2 }, data)!;
    expect(result.rank).toBe(result.columns - 1);
    expect(result.outputWeights.a).toBe(0);
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(result.loss).toBeLessThanOrEqual(result.networkLoss * (1 + 1e-12));
  });
});

describe('least squares', () => {
  it('solves a consistent system exactly and leaves residuals orthogonal to the columns', () => {
    const random = makeRandom(27);
    const N = 50;
    const columns = Array.from({ length: 4 }, () => Float64Array.from({ length: N }, () => random.normal()));
    const truth = [0.5, -2, 3, 0.25];
    const y = Float64Array.from({ length: N }, (_, r) => columns.reduce((s, col, c) => s + col[r] * truth[c], 0));
    const exact = leastSquares(columns, y);
    expect(maxRelativeError(exact.x, truth)).toBeLessThan(1e-13);
    expect(exact.residualSumOfSquares).toBeLessThan(1e-25);
    const noisy = y.map((v) => v + 0.1 * random.normal());
    const fit = leastSquares(columns, noisy);
    for (const col of columns) {
      const residualDot = col.reduce((s, v, r) => s + v * (columns.reduce((t, c2, c) => t + c2[r] * fit.x[c], 0) - noisy[r]), 0);
      expect(Math.abs(residualDot)).toBeLessThan(1e-12);
    }
    // a duplicated column: rank 4 of 5, the same fit
    const duplicated = leastSquares([...columns, Float64Array.from(columns[1])], noisy);
    expect(duplicated.rank).toBe(4);
    expect(duplicated.residualSumOfSquares).toBeCloseTo(fit.residualSumOfSquares, 12);
  });
});
