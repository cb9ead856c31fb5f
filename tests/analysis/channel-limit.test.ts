// The limit of a channel carried by several neurons (channel-limit.ts): for a pair it is the GLU;
// three neurons on a (1, −2, 1)/ε² stencil tend to c·σ + (v·x̃)·σ′ + ½(x̃ᵀMx̃)·σ″, which the pair's
// GLU misses by O(1); the data decide which members carry a group's channel.
//
// Tolerances: the pair's limit and the GLU are the same formula evaluated two ways: 1e-12 relative.
// Planted second-order channel: the first term left out is O(ε²), so its deviation ratio at ε and
// ε/2 is 4 + O(ε²), asserted in [3.5, 4.5]. A least-squares fit of data made by the limit network
// itself: loss below 1e-20 (the residual's rounding, |y| ≈ 1).
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import type { Architecture } from '../../src/model/architecture.js';
import { channelLimit, channelLimitOutput, channelLimitReplacement, chooseChannelLimit, deviatesLess, fittableChannelLimit, MAX_LIMIT_ORDER, rescaleChannel, secondMomentEigenvalues } from '../../src/analysis/channel-limit.js';
import { refitLimit, replacementDeviation } from '../../src/analysis/limit-network.js';
import { neuronGroups } from '../../src/analysis/channels.js';
import { gluDeviation, gluLimitOutput, gluParameters, lossAtInfinity } from '../../src/analysis/glu.js';
import { forwardTrace } from '../../src/analysis/network.js';
import { makeRandom, randomDataset } from '../helpers/random.js';
import { plantChannel, randomTheta, setNeuron, unit } from './helpers.js';

const ARCH: Architecture = { inputDim: 2, hidden: [4], activation: 'softplus', biases: true };
const CENTRE = [0.7, -0.4, 0.3];
const DIRECTION = unit([0.2, 0.5, -0.6]);

/**
 * Neurons 0, 1, 2 at w̄ + (−ε, 0, ε)·Δ with outgoing weights A·(1, −2, 1) + B·(−1, 0, 1) + c/3,
 * A = m/ε², B = a/(2ε): T_0 = c, T_1 = a·Δ, T_2 = (2m + 2cε²/3)·Δ⊗Δ, T_3 = aε²·Δ⊗³.
 */
function secondOrderChannel(epsilon: number, { c = 0.8, a = 1.3, m = 0.9 } = {}) {
  const theta = randomTheta(ARCH, 31);
  const A = m / epsilon ** 2;
  const B = a / (2 * epsilon);
  [-1, 0, 1].forEach((step, neuron) => {
    const stencil = [1, -2, 1][neuron];
    setNeuron(
      ARCH,
      theta,
      0,
      neuron,
      CENTRE.map((value, k) => value + step * epsilon * DIRECTION[k]),
      [A * stencil + B * step + c / 3],
    );
  });
  return theta;
}

function dataset(samples = 256): Dataset {
  return randomDataset(makeRandom(5), ARCH.inputDim, samples);
}

describe('the limit of a channel carried by several neurons', () => {
  it("for a pair is the GLU: the same output (1e-12 relative), deviation and loss at infinity", () => {
    const theta = plantChannel(ARCH, randomTheta(ARCH, 21), { layer: 0, i: 1, j: 3, w: Float64Array.from(CENTRE), delta: DIRECTION, epsilon: 1e-2, c: Float64Array.of(0.8), a: Float64Array.of(1.3) });
    const limit = channelLimit(ARCH, theta, 0, [3, 1]);
    expect(limit.members).toEqual([1, 3]);
    expect(limit.order).toBe(1);
    const glu = gluParameters(ARCH, theta, { i: 1, j: 3 });
    expect(limit.sizes[0][0]).toBeCloseTo(glu.c[0], 12);
    expect(limit.sizes[1][0]).toBeCloseTo(Math.abs(glu.a[0]), 12);
    const data = dataset();
    for (let n = 0; n < 16; n++) {
      const x = data.x.subarray(2 * n, 2 * n + 2);
      const expected = gluLimitOutput(glu, 'softplus', x)[0];
      expect(Math.abs(channelLimitOutput(limit, 'softplus', x)[0] - expected)).toBeLessThan(1e-12 * Math.abs(expected));
    }
    const replacement = channelLimitReplacement(limit, 'softplus');
    expect(replacementDeviation(ARCH, theta, replacement, data).max).toBeCloseTo(gluDeviation(ARCH, theta, { i: 1, j: 3 }, data).max, 14);
    const refit = refitLimit(ARCH, theta, fittableChannelLimit(limit, 'softplus'), data)!;
    const pairRefit = lossAtInfinity(ARCH, theta, { i: 1, j: 3 }, data)!;
    expect(Math.abs(refit.loss - pairRefit.loss)).toBeLessThan(1e-12 * pairRefit.loss);
    // the coefficients of the held directions: c and |a| (the order-1 feature is sign(a)·(Δ·x̃)σ′)
    expect(refit.coefficients[0]).toBeCloseTo(pairRefit.outputWeights.c, 8);
    expect(Math.abs(refit.coefficients[1])).toBeCloseTo(Math.abs(pairRefit.outputWeights.a), 8);
  });

  it('in an earlier layer: one c and ‖T_n‖ per next-layer neuron, the same deviation as the GLU for a pair', () => {
    const deep: Architecture = { inputDim: 3, hidden: [4, 3], activation: 'erf', biases: true };
    const c = Float64Array.from([0.4, -0.9, 0.2]);
    const a = Float64Array.from([1.1, 0.3, -0.7]);
    const theta = plantChannel(deep, randomTheta(deep, 22), { layer: 0, i: 1, j: 3, w: Float64Array.from([0.5, -0.3, 0.8, 0.1]), delta: unit([1, 2, -1, 0.5]), epsilon: 2e-3, c, a });
    const limit = channelLimit(deep, theta, 0, [1, 3]);
    expect(limit.sizes[0]).toHaveLength(3);
    c.forEach((value, k) => expect(limit.sizes[0][k]).toBeCloseTo(value, 9));
    a.forEach((value, k) => expect(limit.sizes[1][k]).toBeCloseTo(Math.abs(value), 9));
    const data = randomDataset(makeRandom(9), 3, 64);
    expect(replacementDeviation(deep, theta, channelLimitReplacement(limit, 'erf'), data).max).toBeCloseTo(gluDeviation(deep, theta, { layer: 0, i: 1, j: 3 }, data).max, 14);
    // no loss at infinity outside the last hidden layer (its output is not linear in the limit's coefficients)
    expect(refitLimit(deep, theta, fittableChannelLimit(limit, 'erf'), data)).toBeNull();
  });

  it('three neurons on a (1, −2, 1)/ε² stencil: T_0, T_1, T_2 finite, the limit O(ε²) close, the pair GLU O(1) off', () => {
    const data = dataset();
    const deviations: number[] = [];
    for (const epsilon of [0.04, 0.02, 0.01]) {
      const theta = secondOrderChannel(epsilon);
      const limit = channelLimit(ARCH, theta, 0, [0, 1, 2]);
      expect(limit.order).toBe(2);
      expect(limit.sizes[0][0]).toBeCloseTo(0.8, 10);
      expect(limit.sizes[1][0]).toBeCloseTo(1.3, 10);
      // ‖Δ⊗Δ‖ = 1: T_2 = 2m + 2cε²/3; the first left-out term T_3 = aε²
      expect(limit.sizes[2][0]).toBeCloseTo(2 * 0.9 + (2 * 0.8 * epsilon ** 2) / 3, 10);
      expect(limit.sizes[3][0]).toBeCloseTo(1.3 * epsilon ** 2, 10);
      deviations.push(replacementDeviation(ARCH, theta, channelLimitReplacement(limit, 'softplus'), data).max);
      // the GLU of the two largest outgoing weights of opposite signs (−2A and A) keeps a third of the stencil unexplained
      expect(gluDeviation(ARCH, theta, { i: 0, j: 1 }, data).max).toBeGreaterThan(0.05);
    }
    for (let k = 1; k < deviations.length; k++) {
      const ratio = deviations[k - 1] / deviations[k];
      expect(ratio).toBeGreaterThan(3.5);
      expect(ratio).toBeLessThan(4.5);
    }
  });

  it("data made by the limit network itself are fitted exactly (loss at infinity < 1e-20), which the pair's GLU misses", () => {
    const theta = secondOrderChannel(0.01);
    const limit = channelLimit(ARCH, theta, 0, [0, 1, 2]);
    const base = dataset();
    const replacement = channelLimitReplacement(limit, 'softplus');
    const y = Float64Array.from({ length: base.samples }, (_, n) => forwardTrace(ARCH, theta, base.x.subarray(2 * n, 2 * n + 2), replacement).output);
    const data: Dataset = { ...base, y };
    const refit = refitLimit(ARCH, theta, fittableChannelLimit(limit, 'softplus'), data)!;
    expect(refit.limitLoss).toBeLessThan(1e-20);
    expect(refit.loss).toBeLessThan(1e-20);
    expect(refit.coefficients[2]).toBeCloseTo(limit.sizes[2][0], 8);
    // the pair's GLU at its own weights misses the second-order term (refitting its output layer, the
    // third neuron's σ column makes up for it by finite differences: that loss is O(ε²), not a test)
    expect(lossAtInfinity(ARCH, theta, { i: 0, j: 1 }, data)!.gluLoss).toBeGreaterThan(1e-4);
  });

  it('the data choose the carriers: all three of a stencil, the pair beside a bystander', () => {
    const data = dataset();
    const stencil = chooseChannelLimit(ARCH, secondOrderChannel(0.02), neuronGroups(ARCH, secondOrderChannel(0.02), 1e-2, { relativeL2: 0.5 })[0], data)!;
    expect(stencil.limit.members).toEqual([0, 1, 2]);
    expect(stencil.candidates.map((c) => c.members.length)).toEqual([2, 3]);
    expect(stencil.candidates[1].maxDeviation).toBeLessThan(stencil.candidates[0].maxDeviation / 100);

    // a pair channel (0, 2) at ε = 0.01 and a bystander 1 nearby with a small outgoing weight
    const theta = plantChannel(ARCH, randomTheta(ARCH, 21), { layer: 0, i: 0, j: 2, w: Float64Array.from(CENTRE), delta: DIRECTION, epsilon: 1e-2, c: Float64Array.of(0.8), a: Float64Array.of(1.3) });
    setNeuron(ARCH, theta, 0, 1, CENTRE.map((value, k) => value * 1.1 + 0.01 * k), [0.5]);
    const group = neuronGroups(ARCH, theta, 1e-2, { relativeL2: 0.5 })[0];
    expect(group.members).toEqual([0, 1, 2]);
    const chosen = chooseChannelLimit(ARCH, theta, group, data)!;
    expect(chosen.limit.members).toEqual([0, 2]);
    expect(chosen.deviation.max).toBeCloseTo(gluDeviation(ARCH, theta, { i: 0, j: 2 }, data).max, 14);
  });

  it('a candidate whose expansion overflowed (deviation NaN) never wins, not even as the first', () => {
    expect(deviatesLess(1, 2)).toBe(true);
    expect(deviatesLess(2, 2)).toBe(false); // a tie stays with fewer neurons
    expect(deviatesLess(NaN, 2)).toBe(false);
    expect(deviatesLess(5, NaN)).toBe(true); // (`5 < NaN` alone had kept the NaN pair)
    expect(deviatesLess(NaN, NaN)).toBe(false);
  });

  it('rescales a channel: spread × factor, w̄ kept, T_0 … T_order moved by less than the left-out T_3, the network four times closer to its limit', () => {
    const data = dataset();
    const theta = secondOrderChannel(0.02);
    const limit = channelLimit(ARCH, theta, 0, [0, 1, 2]);
    const rescaled = rescaleChannel(ARCH, theta, limit, 0.5, data);
    const shrunk = channelLimit(ARCH, rescaled, 0, [0, 1, 2]);
    const spread = (l: typeof limit) => Math.max(...l.offsets.map((o) => Math.hypot(...o)));
    expect(spread(shrunk) / spread(limit)).toBeCloseTo(0.5, 12);
    expect(Array.from(shrunk.centre)).toEqual(Array.from(limit.centre).map((v) => expect.closeTo(v, 12)));
    // T_3 = aε² = 5.2e-4 is what the limit leaves out; the refit may trade that much into T_0 … T_2
    for (let n = 0; n <= 2; n++) expect(Math.abs(shrunk.sizes[n][0] - limit.sizes[n][0])).toBeLessThan(limit.sizes[3][0]);
    expect(shrunk.sizes[3][0] / limit.sizes[3][0]).toBeCloseTo(0.25, 3);
    const towardsLimit = (before: Float64Array, after: Float64Array, members: number[]) => {
      const from = replacementDeviation(ARCH, before, channelLimitReplacement(channelLimit(ARCH, before, 0, members), ARCH.activation), data).max;
      const to = replacementDeviation(ARCH, after, channelLimitReplacement(channelLimit(ARCH, after, 0, members), ARCH.activation), data).max;
      let moved = 0;
      for (let n = 0; n < data.samples; n++) {
        const x = data.x.subarray(2 * n, 2 * n + 2);
        moved = Math.max(moved, Math.abs(forwardTrace(ARCH, after, x).output - forwardTrace(ARCH, before, x).output));
      }
      return { from, to, moved };
    };
    const symmetric = towardsLimit(theta, rescaled, [0, 1, 2]);
    expect(symmetric.to / symmetric.from).toBeCloseTo(0.25, 2);
    expect(symmetric.moved).toBeLessThan(symmetric.from);

    // a triple whose middle neuron sits off the line by 2ε² (a transverse T_1 of 2·(−2m) = −3.6, as
    // along the flow sweep's three-neuron channels): its offsets are not collinear, so no outgoing
    // weights keep every moment exactly; the network moves by about its distance from the limit
    // (from + to if the limit stayed put), and that distance shrinks fourfold again
    const bent = Float64Array.from(theta);
    const across = unit([0.6, 0.3, 0.4]);
    setNeuron(ARCH, bent, 0, 1, CENTRE.map((value, k) => value + 2 * 0.02 ** 2 * across[k]), [-2 * (0.9 / 0.02 ** 2) + 0.8 / 3]);
    const bentRescaled = rescaleChannel(ARCH, bent, channelLimit(ARCH, bent, 0, [0, 1, 2]), 0.5, data);
    const off = towardsLimit(bent, bentRescaled, [0, 1, 2]);
    expect(off.moved).toBeLessThan(2 * off.from);
    expect(off.to / off.from).toBeCloseTo(0.25, 1);

    // a pair: ε × factor exactly, c and a kept to O(ε²) = 1e-4 relative
    const pairTheta = plantChannel(ARCH, randomTheta(ARCH, 21), { layer: 0, i: 1, j: 3, w: Float64Array.from(CENTRE), delta: DIRECTION, epsilon: 1e-2, c: Float64Array.of(0.8), a: Float64Array.of(1.3) });
    const moved = gluParameters(ARCH, rescaleChannel(ARCH, pairTheta, channelLimit(ARCH, pairTheta, 0, [1, 3]), 0.3, data), { i: 1, j: 3 });
    expect(moved.epsilon).toBeCloseTo(3e-3, 14);
    expect(Math.abs(moved.c[0] / 0.8 - 1)).toBeLessThan(1e-4);
    expect(Math.abs(moved.a[0] / 1.3 - 1)).toBeLessThan(1e-4);
    expect(() => rescaleChannel(ARCH, theta, limit, 0, data)).toThrow(/positive/);
  });

  it('rescales four carriers alike in every direction when they spread in two, by the collinear rule on a line', () => {
    const data = dataset();
    const theta = randomTheta(ARCH, 41);
    const across = unit([0.6, 0.3, 0.4]);
    const place = (positions: [number, number][]) => {
      const placed = Float64Array.from(theta);
      positions.forEach(([along, off], neuron) => setNeuron(ARCH, placed, 0, neuron, CENTRE.map((value, t) => value + along * DIRECTION[t] + off * across[t]), [[90, -30, -30, -30][neuron]]));
      return placed;
    };
    const offsetsOf = (at: Float64Array) => channelLimit(ARCH, at, 0, [0, 1, 2, 3]).offsets.map((o) => Array.from(o));
    // a centre neuron with three around it (transverse offsets 0.3–0.6 of the half-spread): every offset halves
    const spread = place([[0, 0], [0.02, 0.012], [-0.02, 0.006], [0.001, -0.018]]);
    const before = offsetsOf(spread);
    const after = offsetsOf(rescaleChannel(ARCH, spread, channelLimit(ARCH, spread, 0, [0, 1, 2, 3]), 0.5, data));
    after.forEach((offset, m) => offset.forEach((value, t) => expect(value).toBeCloseTo(0.5 * before[m][t], 12)));
    // on a line with unequal spacing: the equally spaced part halves, the rest shrinks by a quarter
    const line = place([[-0.02, 0], [-0.006, 0], [0.0075, 0], [0.02, 0]]);
    const alongAfter = offsetsOf(rescaleChannel(ARCH, line, channelLimit(ARCH, line, 0, [0, 1, 2, 3]), 0.5, data)).map((o) => o.reduce((sum, value, t) => sum + value * DIRECTION[t], 0));
    // equal spacing −0.02, −0.02/3, 0.02/3, 0.02 (mean 0.000375 taken out by w̄); deviations 0.000667, 0.000833 × 0.25
    const mean = (-0.02 - 0.006 + 0.0075 + 0.02) / 4;
    [-0.02, -0.006, 0.0075, 0.02].forEach((position, m) => {
      const equal = [-0.02, -0.02 / 3, 0.02 / 3, 0.02][m];
      expect(alongAfter[m]).toBeCloseTo(0.5 * equal + 0.25 * (position - mean - equal), 10);
    });
  });

  it('M = T_2: rank 1 for carriers on a line, rank 2 for a centre neuron with three around it', () => {
    const line = channelLimit(ARCH, secondOrderChannel(0.02), 0, [0, 1, 2]);
    const [first, ...rest] = secondMomentEigenvalues(line)!;
    // T_2 = (2m + 2cε²/3)·Δ⊗Δ with m = 0.9, c = 0.8: 1.80021
    expect(first).toBeCloseTo(1.8 + (2 * 0.8 * 0.02 ** 2) / 3, 10);
    for (const value of rest) expect(Math.abs(value)).toBeLessThan(1e-12);
    expect(secondMomentEigenvalues(channelLimit(ARCH, secondOrderChannel(0.02), 0, [0, 2]))).toBeNull();

    // o = 3A at w̄, −A at w̄ + ε·(cos φ_k·e1 + sin φ_k·e2), φ_k = 0, 2π/3, 4π/3 (e1, e2 ⊥ the bias
    // entry): T_1 = 0, M = −A·ε²·(3/2)·(e1e1ᵀ + e2e2ᵀ)
    const theta = randomTheta(ARCH, 12);
    const [A, e] = [500, 0.03];
    setNeuron(ARCH, theta, 0, 0, CENTRE, [3 * A]);
    [0, 1, 2].forEach((k) => {
      const phi = (2 * Math.PI * k) / 3;
      setNeuron(ARCH, theta, 0, k + 1, [CENTRE[0] + e * Math.cos(phi), CENTRE[1] + e * Math.sin(phi), CENTRE[2]], [-A]);
    });
    const values = secondMomentEigenvalues(channelLimit(ARCH, theta, 0, [0, 1, 2, 3]))!;
    expect(values[0]).toBeCloseTo(-1.5 * A * e * e, 10);
    expect(values[1]).toBeCloseTo(-1.5 * A * e * e, 10);
    expect(Math.abs(values[2])).toBeLessThan(1e-12);
  });

  it(`refuses fewer than 2 or more than ${MAX_LIMIT_ORDER + 1} neurons, repeats, and neurons outside the layer`, () => {
    const theta = randomTheta({ ...ARCH, hidden: [6] }, 3);
    const wide = { ...ARCH, hidden: [6] };
    expect(() => channelLimit(wide, theta, 0, [1])).toThrow(/2 to 4 neurons/);
    expect(() => channelLimit(wide, theta, 0, [0, 1, 2, 3, 4])).toThrow(/2 to 4 neurons/);
    expect(() => channelLimit(wide, theta, 0, [1, 1])).toThrow(/distinct/);
    expect(() => channelLimit(wide, theta, 0, [1, 6])).toThrow(/neuron 6 out of range/);
  });
});
