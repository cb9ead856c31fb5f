// Closest pairs, neuron groups and the channel-subspace fraction; the analysis forward pass against
// the CPU engine's.
import { describe, expect, it } from 'vitest';
import { forward } from '../../src/model/forward.js';
import { ACTIVATIONS, inputCoordinates, outgoingCoordinates, parameterLayout, type Architecture } from '../../src/model/architecture.js';
import {
  applyReflections,
  reflectionFlips,
  symmetryOrientation,
  channelPairOf,
  channelSubspace,
  channelSubspaceFraction,
  closenessDistance,
  closestEqualPair,
  closestPairs,
  cosineDistance,
  l2Distance,
  minCosineDistance,
  neuronGroups,
  relativeL2Distance,
  sharpeningNeurons,
  tailCoordinates,
  tailNeurons,
} from '../../src/analysis/channels.js';
import { forwardTrace, layerInputVectors } from '../../src/analysis/network.js';
import { makeRandom, normalArray } from '../helpers/random.js';
import { plantChannel, randomTheta, setNeuron, unit } from './helpers.js';

const naiveCosine = (u: ArrayLike<number>, v: ArrayLike<number>): number => {
  let uv = 0;
  let uu = 0;
  let vv = 0;
  for (let k = 0; k < u.length; k++) {
    uv += u[k] * v[k];
    uu += u[k] * u[k];
    vv += v[k] * v[k];
  }
  return 1 - uv / Math.sqrt(uu * vv);
};

describe('cosine distance', () => {
  it('is accurate near 0 where 1 − u·v/(‖u‖‖v‖) is not', () => {
    // v = cos(t)·u + sin(t)·‖u‖·e with e ⟂ u a unit vector: exact distance 1 − cos t = 2 sin²(t/2)
    const random = makeRandom(7);
    let worstCareful = 0;
    let worstNaive = 0;
    for (let trial = 0; trial < 20; trial++) {
      const u = normalArray(random, 5, 3);
      const r = normalArray(random, 5);
      const uu = u.reduce((s, x) => s + x * x, 0);
      const ur = u.reduce((s, x, k) => s + x * r[k], 0);
      const e = unit(Array.from(r, (x, k) => x - (ur / uu) * u[k]));
      const target = 1e-12 * (1 + trial / 10);
      const t = 2 * Math.asin(Math.sqrt(target / 2));
      const v = u.map((x, k) => Math.cos(t) * x + Math.sin(t) * Math.sqrt(uu) * e[k]);
      const exact = 2 * Math.sin(t / 2) ** 2;
      worstCareful = Math.max(worstCareful, Math.abs(cosineDistance(u, v) - exact) / exact);
      worstNaive = Math.max(worstNaive, Math.abs(naiveCosine(u, v) - exact) / exact);
    }
    expect(worstCareful).toBeLessThan(1e-8);
    expect(worstNaive).toBeGreaterThan(1e-6);
  });

  it('handles zero vectors and agrees with the naive form far from 0', () => {
    expect(cosineDistance([0, 0], [0, 0])).toBe(0);
    expect(cosineDistance([0, 0], [1, 0])).toBe(1);
    expect(cosineDistance([1, 0], [0, 2])).toBeCloseTo(1, 15);
    expect(cosineDistance([1, 0], [-3, 0])).toBeCloseTo(2, 15);
    expect(cosineDistance([1, 2, 3], [-1, 0.5, 2])).toBeCloseTo(naiveCosine([1, 2, 3], [-1, 0.5, 2]), 14);
    expect(l2Distance([1, 2], [4, 6])).toBe(5);
    expect(relativeL2Distance([3, 4], [6, 8])).toBeCloseTo(0.5, 15);
  });
});

describe('closestPairs', () => {
  it('finds the planted pair in every layer, bias included', () => {
    const arch: Architecture = { inputDim: 3, hidden: [4, 5], activation: 'softplus', biases: true };
    const theta = randomTheta(arch, 1);
    setNeuron(arch, theta, 0, 3, [0.5, -0.2, 0.1, 0.3]);
    setNeuron(arch, theta, 0, 1, [0.5, -0.2, 0.1 + 1e-4, 0.3]);
    setNeuron(arch, theta, 1, 0, [1, 2, 3, 4, 5]);
    setNeuron(arch, theta, 1, 4, [2, 4, 6, 8, 10 + 1e-3]);
    const pairs = closestPairs(arch, theta);
    expect(pairs.map((p) => p.layer)).toEqual([0, 1]);
    expect([pairs[0].cosine!.i, pairs[0].cosine!.j]).toEqual([1, 3]);
    expect(pairs[0].l2!.distance).toBeCloseTo(1e-4, 12);
    expect([pairs[1].cosine!.i, pairs[1].cosine!.j]).toEqual([0, 4]);
    expect(pairs[1].cosine!.distance).toBeLessThan(1e-8);
    // layer 1's pair is parallel (cosine ≈ 0) but not identical: its relative L2 distance is ~1/2
    expect(pairs[1].relativeL2!.distance).toBeGreaterThan(0.1);
    const best = minCosineDistance(arch, theta)!;
    expect([best.layer, best.i, best.j]).toEqual([1, 0, 4]);
  });

  it('includes the bias: same weights, different biases are not at distance 0', () => {
    const arch: Architecture = { inputDim: 2, hidden: [2], activation: 'erf', biases: true };
    const theta = randomTheta(arch, 2);
    setNeuron(arch, theta, 0, 0, [1, 1, 0.5]);
    setNeuron(arch, theta, 0, 1, [1, 1, -0.5]);
    const expected = naiveCosine([1, 1, 0.5], [1, 1, -0.5]);
    expect(closestPairs(arch, theta)[0].cosine!.distance).toBeCloseTo(expected, 14);
    expect(expected).toBeGreaterThan(0.1);
  });

  it('d = 1 without biases: every cosine distance is 0, the L2 distance finds the pair', () => {
    const arch: Architecture = { inputDim: 1, hidden: [4], activation: 'softplus', biases: false };
    const theta = randomTheta(arch, 3);
    [0.5, 2.0, 1.2, 2.001].forEach((w, n) => setNeuron(arch, theta, 0, n, [w]));
    const [layer] = closestPairs(arch, theta);
    expect(layer.cosine!.distance).toBe(0);
    expect([layer.l2!.i, layer.l2!.j]).toEqual([1, 3]);
    expect([layer.relativeL2!.i, layer.relativeL2!.j]).toEqual([1, 3]);
  });

  it('a one-neuron layer has no pair', () => {
    const arch: Architecture = { inputDim: 2, hidden: [1, 3], activation: 'tanh', biases: false };
    const pairs = closestPairs(arch, randomTheta(arch, 4));
    expect(pairs[0].cosine).toBeNull();
    expect(pairs[1].cosine).not.toBeNull();
  });
});

describe('neuronGroups', () => {
  it('joins neurons transitively and reports output weights, signs and Σ|a|', () => {
    const arch: Architecture = { inputDim: 2, hidden: [5], activation: 'softplus', biases: true };
    const theta = randomTheta(arch, 5);
    // a chain 0 ~ 2 ~ 4 (neighbours 0.06 rad apart, ends 0.12 apart) and two far neurons
    const angle = (t: number) => [Math.cos(t), Math.sin(t), 0];
    setNeuron(arch, theta, 0, 0, angle(0), [40]);
    setNeuron(arch, theta, 0, 2, angle(0.06), [-38]);
    setNeuron(arch, theta, 0, 4, angle(0.12), [1.5]);
    setNeuron(arch, theta, 0, 1, angle(1.5), [1]);
    setNeuron(arch, theta, 0, 3, angle(3), [1]);
    const threshold = 1 - Math.cos(0.08); // neighbours close (1 − cos 0.06), ends not (1 − cos 0.12)
    const groups = neuronGroups(arch, theta, threshold);
    expect(groups).toHaveLength(1);
    const [group] = groups;
    expect(group.layer).toBe(0);
    expect(group.members).toEqual([0, 2, 4]);
    expect(group.outgoing).toEqual([40, -38, 1.5]);
    expect(group.signs).toEqual([1, -1, 1]);
    expect(group.mixedSigns).toBe(true);
    expect(group.sumAbsOutgoing).toBeCloseTo(79.5, 12);
    expect(group.netOutgoing).toBeCloseTo(3.5, 12);
    expect(group.maxCosine).toBeGreaterThan(threshold);
    expect(group.minCosine).toBeLessThan(threshold);
    expect(group.meanInput[2]).toBe(0);
  });

  it('summarises an earlier layer by the signed norm of the outgoing column', () => {
    const arch: Architecture = { inputDim: 2, hidden: [3, 2], activation: 'erf', biases: false };
    const theta = randomTheta(arch, 6);
    setNeuron(arch, theta, 0, 0, [1, 2], [3, 4]);
    setNeuron(arch, theta, 0, 2, [1, 2.0001], [-6, -8]);
    setNeuron(arch, theta, 0, 1, [-2, 1], [1, 1]);
    const [group] = neuronGroups(arch, theta, 1e-3);
    expect(group.members).toEqual([0, 2]);
    expect(group.outgoing[0]).toBeCloseTo(-5, 12); // points against the largest member's column
    expect(group.outgoing[1]).toBeCloseTo(10, 12);
    expect(group.mixedSigns).toBe(true);
    expect(group.netOutgoing).toBeCloseTo(5, 12);
  });

  it('the optional relative-L2 requirement splits parallel but unequal neurons', () => {
    const arch: Architecture = { inputDim: 2, hidden: [3], activation: 'softplus', biases: false };
    const theta = randomTheta(arch, 8);
    [1, 1.0001, 3].forEach((scale, n) => setNeuron(arch, theta, 0, n, [0.6 * scale, -0.8 * scale]));
    expect(neuronGroups(arch, theta, 1e-2)[0].members).toEqual([0, 1, 2]);
    expect(neuronGroups(arch, theta, 1e-2, { relativeL2: 1e-2 })[0].members).toEqual([0, 1]);
  });

  it('d = 1 without biases, where every same-sign pair is at cosine distance 0, compares the scalars: ((u − v)/max|u, v|)²/2', () => {
    const arch: Architecture = { inputDim: 1, hidden: [3], activation: 'softplus', biases: false };
    const theta = randomTheta(arch, 8);
    [1, 1.0001, 3].forEach((w, n) => setNeuron(arch, theta, 0, n, [w]));
    const [group] = neuronGroups(arch, theta, 1e-2);
    expect(group.members).toEqual([0, 1]);
    expect(group.minCosine).toBeCloseTo((0.0001 / 1.0001) ** 2 / 2, 15);
    expect(closenessDistance([1], [1.0001])).toBe(group.minCosine);
    // 2 for opposite signs, as the cosine distance; vectors of two entries or more: the cosine distance
    expect(closenessDistance([1], [-1])).toBe(2);
    expect(closenessDistance([0.6, 0.8], [1.2, 1.6])).toBe(cosineDistance([0.6, 0.8], [1.2, 1.6]));
    // the boundary of the channel criterion's 1e-2: scalars within 14% of each other
    expect(closenessDistance([1], [0.86])).toBeLessThan(1e-2);
    expect(closenessDistance([1], [0.85])).toBeGreaterThan(1e-2);
  });
});

describe('channelSubspaceFraction', () => {
  const arch: Architecture = { inputDim: 2, hidden: [3], activation: 'softplus', biases: true };
  const layout = parameterLayout(arch);
  const group = { layer: 0, members: [0, 2] };

  it('is 1 along the output weights, 0 orthogonal to the subspace, 1/√2 half-way', () => {
    const theta = randomTheta(arch, 9);
    const out = outgoingCoordinates(layout, 0, 0)[0];
    const other = outgoingCoordinates(layout, 0, 1)[0];
    const along = Float64Array.from(theta);
    along[out] += 0.3;
    expect(channelSubspaceFraction(arch, [theta, along], group)).toBeCloseTo(1, 14);
    const away = Float64Array.from(theta);
    away[other] += 0.3;
    expect(channelSubspaceFraction(arch, [theta, away], group)).toBe(0);
    const both = Float64Array.from(theta);
    both[out] += 0.3;
    both[other] -= 0.3;
    expect(channelSubspaceFraction(arch, [theta, both], group)).toBeCloseTo(Math.SQRT1_2, 14);
    expect(channelSubspaceFraction(arch, [theta], group)).toBeNull();
    expect(channelSubspaceFraction(arch, [theta, theta], group)).toBeNull();
  });

  it('counts input-row motion only along the mean input direction', () => {
    const theta = randomTheta(arch, 10);
    setNeuron(arch, theta, 0, 0, [1, 0, 0]);
    setNeuron(arch, theta, 0, 2, [1, 1e-3, 0]);
    const { direction } = channelSubspace(arch, theta, group);
    const rows = inputCoordinates(layout, 0, 2);
    const radial = Float64Array.from(theta);
    rows.forEach((index, k) => (radial[index] += 0.1 * direction[k]));
    // the subspace is taken at the last θ: the radial move changes w̄ very little
    expect(channelSubspaceFraction(arch, [theta, radial], group)).toBeGreaterThan(0.9999);
    // opposite bias moves keep w̄ (bias 0) and are orthogonal to it: none of it is in the subspace
    const sideways = Float64Array.from(theta);
    sideways[rows[2]] += 0.1;
    sideways[inputCoordinates(layout, 0, 0)[2]] -= 0.1;
    expect(channelSubspaceFraction(arch, [theta, sideways], group)).toBeLessThan(1e-12);
  });

  it("a run along a planted channel is > 90% in the subspace, in 'net' and 'steps' modes", () => {
    const base = randomTheta(arch, 11);
    const channel = (epsilon: number) =>
      plantChannel(arch, base, { layer: 0, i: 0, j: 2, w: Float64Array.from([0.8, -0.5, 0.2]), delta: unit([0.3, 0.4, -0.5]), epsilon, c: Float64Array.of(0.7), a: Float64Array.of(1.1) });
    const history = [0.02, 0.015, 0.01, 0.008].map(channel);
    expect(channelSubspaceFraction(arch, history, group)!).toBeGreaterThan(0.999);
    expect(channelSubspaceFraction(arch, history, group, { mode: 'steps' })!).toBeGreaterThan(0.999);
    expect(channelSubspaceFraction(arch, history, group, { window: 2 })!).toBeGreaterThan(0.999);
  });
});

describe('channelSubspaceFraction over several groups', () => {
  it('takes the span of every group: two pairs running out at once share the motion', () => {
    const arch: Architecture = { inputDim: 2, hidden: [4], activation: 'softplus', biases: true };
    const layout = parameterLayout(arch);
    const theta = randomTheta(arch, 21);
    const first = { layer: 0, members: [0, 1] };
    const second = { layer: 0, members: [2, 3] };
    const moved = Float64Array.from(theta);
    moved[outgoingCoordinates(layout, 0, 0)[0]] += 0.2; // along the first pair's output weights
    moved[outgoingCoordinates(layout, 0, 3)[0]] -= 0.2; // …and equally along the second's
    expect(channelSubspaceFraction(arch, [theta, moved], first)).toBeCloseTo(Math.SQRT1_2, 14);
    expect(channelSubspaceFraction(arch, [theta, moved], [first, second])).toBeCloseTo(1, 14);
    // the output bias is in neither subspace
    moved[layout.layers[1].biasOffset] += 0.2 * Math.SQRT2;
    expect(channelSubspaceFraction(arch, [theta, moved], [first, second])).toBeCloseTo(Math.SQRT1_2, 14);
  });

  it('counts a coordinate shared by groups in adjacent layers once (an orthonormal basis of the span)', () => {
    const arch: Architecture = { inputDim: 2, hidden: [2, 2], activation: 'softplus', biases: true };
    const layout = parameterLayout(arch);
    const theta = randomTheta(arch, 22);
    const lower = { layer: 0, members: [0, 1] };
    const upper = { layer: 1, members: [0, 1] };
    // W₂[0][0] is in the lower pair's outgoing column AND in the upper neuron 0's input row
    const shared = outgoingCoordinates(layout, 0, 0)[0];
    expect(inputCoordinates(layout, 1, 0)).toContain(shared);
    const moved = Float64Array.from(theta);
    moved[shared] += 0.1;
    moved[layout.layers[2].biasOffset] += 0.1; // outside both subspaces
    // exactly 1/√2: the shared coordinate's unit vector is in the span once, not once per group
    expect(channelSubspaceFraction(arch, [theta, moved], [lower, upper])).toBeCloseTo(Math.SQRT1_2, 12);
  });
});

describe('equal versus parallel neurons, sharpening neurons, the channel pair of a group', () => {
  const arch: Architecture = { inputDim: 2, hidden: [4], activation: 'softplus', biases: true };
  const u = unit([0.6, -0.8, 0.3]);

  it('closestEqualPair skips a parallel pair of different lengths that the cosine distance ranks first', () => {
    const theta = randomTheta(arch, 61);
    setNeuron(arch, theta, 0, 0, u.map((x) => 40 * x)); // parallel to neuron 1, 20× longer
    setNeuron(arch, theta, 0, 1, u.map((x) => 2 * x));
    setNeuron(arch, theta, 0, 2, [0.5, 0.9, -0.2]);
    setNeuron(arch, theta, 0, 3, [0.52, 0.88, -0.19]); // equal to neuron 2 up to ~3%
    expect(minCosineDistance(arch, theta)).toMatchObject({ i: 0, j: 1 });
    expect(minCosineDistance(arch, theta)!.distance).toBeLessThan(1e-15);
    const equal = closestEqualPair(arch, theta, 0.5)!;
    expect(equal).toMatchObject({ layer: 0, i: 2, j: 3 });
    expect(equal.relativeL2).toBeLessThan(0.05);
    expect(equal.distance).toBeCloseTo(cosineDistance([0.5, 0.9, -0.2], [0.52, 0.88, -0.19]), 15);
    expect(closestEqualPair(arch, theta, 0.01)).toBeNull();
  });

  it('sharpeningNeurons finds the neuron whose input vector grows along itself, with its share of ‖Δθ‖', () => {
    const at = (lambda: number) => {
      const theta = randomTheta(arch, 62);
      setNeuron(arch, theta, 0, 2, u.map((x) => lambda * x), [8 / lambda]); // a·‖ũ‖ = 8: tends to 8·relu(û·x̃)
      return theta;
    };
    const history = [100, 120, 160].map(at);
    const found = sharpeningNeurons(arch, history, 0.1);
    expect(found.map((n) => [n.layer, n.neuron])).toEqual([[0, 2]]);
    const [n] = found;
    // Δθ is 60 along û plus the output weight's change 8/160 − 8/100
    expect(n.growth).toBeCloseTo(60 / Math.hypot(60, 8 / 160 - 8 / 100), 12);
    expect(n.inputNorm).toBeCloseTo(160, 12);
    expect(n.outgoing).toEqual([8 / 160]);
    // its motion lies in its single-neuron subspace (radial direction and output weight)
    expect(channelSubspaceFraction(arch, history, { layer: 0, members: [2] })).toBeCloseTo(1, 12);
    // shrinking, rotating or resting neurons are not sharpening
    expect(sharpeningNeurons(arch, [...history].reverse(), 0.1)).toEqual([]);
    const turned = at(160);
    setNeuron(arch, turned, 0, 2, unit([0.8, 0.6, 0.3]).map((x) => 160 * x));
    expect(sharpeningNeurons(arch, [at(160), turned], 0.1)).toEqual([]);
    expect(sharpeningNeurons(arch, [at(160), at(160)], 0.1)).toEqual([]);
    expect(sharpeningNeurons(arch, [at(160)], 0.1)).toEqual([]);
  });

  it('tailNeurons finds a neuron trading bias for output weight (o·e^b held), and its motion in its bias and outgoing weights', () => {
    const arch3: Architecture = { inputDim: 2, hidden: [3], activation: 'softplus', biases: true };
    const at = (t: number, biasRate = 1) => {
      const theta = randomTheta(arch3, 64);
      setNeuron(arch3, theta, 0, 0, [0.5, -0.3, -5 - biasRate * t], [-240 * Math.exp(t)]);
      return theta;
    };
    const history = [0, 0.05, 0.1].map((t) => at(t));
    const [tail, ...rest] = tailNeurons(arch3, history, 0.1);
    expect(rest).toEqual([]);
    expect(tail).toMatchObject({ layer: 0, neuron: 0 });
    expect(tail.logGrowth).toBeCloseTo(0.1, 12);
    expect(tail.biasShift).toBeCloseTo(-0.1, 12);
    expect(tail.share).toBeCloseTo(1, 12);
    expect(tail.outgoingNorm).toBeCloseTo(240 * Math.exp(0.1), 9);
    expect(channelSubspaceFraction(arch3, history, [], { coordinates: tailCoordinates(arch3, tail) })).toBeCloseTo(1, 12);
    // the bias falling twice as fast breaks the symmetry; no exponential tail for erf; none without biases
    expect(tailNeurons(arch3, [0, 0.1].map((t) => at(t, 2)), 0.1)).toEqual([]);
    expect(tailNeurons({ ...arch3, activation: 'erf' }, history, 0.1)).toEqual([]);
    const noBias: Architecture = { ...arch3, biases: false };
    expect(tailNeurons(noBias, [randomTheta(noBias, 1), randomTheta(noBias, 2)], 0.1)).toEqual([]);
  });

  it('channelPairOf takes the largest outgoing weight of each sign in a group', () => {
    const theta = randomTheta(arch, 63);
    [[150, 0], [-74, 1], [-80, 2], [3, 3]].forEach(([a, n]) => setNeuron(arch, theta, 0, n, u.map((x, k) => (1 + 0.01 * n) * x + 0.001 * k), [a]));
    const [group] = neuronGroups(arch, theta, 1e-2);
    expect(group.members).toEqual([0, 1, 2, 3]);
    expect(channelPairOf(group)).toEqual({ layer: 0, i: 0, j: 2 });
    setNeuron(arch, theta, 0, 1, u, [74]);
    setNeuron(arch, theta, 0, 2, u, [80]);
    expect(channelPairOf(neuronGroups(arch, theta, 1e-2)[0])).toBeNull();
  });
});

describe('analysis forward pass', () => {
  it('matches the CPU engine for every activation, depth and bias setting', () => {
    const random = makeRandom(12);
    for (const activation of ACTIVATIONS) {
      for (const hidden of [[3], [2, 4], [4, 3, 2]]) {
        for (const biases of [false, true]) {
          const arch: Architecture = { inputDim: 3, hidden, activation, biases };
          const theta = normalArray(random, parameterLayout(arch).count);
          const x = normalArray(random, 3);
          const expected = forward(arch, theta, x);
          expect(Math.abs(forwardTrace(arch, theta, x).output - expected)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(expected)));
        }
      }
    }
  });

  it('reads input vectors in the flat layout (row-major weights, then biases)', () => {
    const arch: Architecture = { inputDim: 2, hidden: [3], activation: 'tanh', biases: true };
    const theta = Float64Array.from({ length: parameterLayout(arch).count }, (_, k) => k);
    expect(Array.from(layerInputVectors(arch, theta, 0)[1])).toEqual([2, 3, 7]);
    expect(outgoingCoordinates(parameterLayout(arch), 0, 2)).toEqual([11]);
  });
});

// softplus(z) = softplus(−z) + z: a neuron (ũ, o) is its reflection (−ũ, o) plus the affine term
// o·(w·x + b). Reflections whose linear terms cancel leave the function unchanged (the constants go
// into the output bias), so antiparallel pairs with opposite outputs are channels in disguise.
describe('reflections of softplus neurons', () => {
  const arch: Architecture = { inputDim: 2, hidden: [4], activation: 'softplus', biases: true };
  // θ = [W (4×2), b (4), o (4), c]
  const build = (neurons: [number, number, number, number][], c = 0.3) =>
    Float64Array.from([...neurons.flatMap(([w1, w2]) => [w1, w2]), ...neurons.map((n) => n[2]), ...neurons.map((n) => n[3]), c]);
  // two antiparallel pairs; reflecting the shorter member of each (0 and 2) adds 50·(1, 2) and −50·(1, 2): they cancel
  const balanced = build([
    [1, 2, 0.5, 50],
    [-1.01, -2, -0.5, -50.5],
    [-1, -2, 0.3, 50],
    [1.01, 2.02, -0.3, -50.5],
  ]);

  it('reflect the antiparallel neurons whose linear terms cancel, keeping the function exactly', () => {
    const found = reflectionFlips(arch, balanced)!;
    expect(found.flips).toEqual([[true, false, true, false]]);
    expect(found.residual[0]).toBeLessThan(1e-12);
    const reflected = applyReflections(arch, balanced, found.flips);
    // the reflected pairs are channels: equal input vectors, opposite outputs
    const inputs = layerInputVectors(arch, reflected, 0);
    expect(relativeL2Distance(inputs[0], inputs[1])).toBeLessThan(0.01);
    expect(relativeL2Distance(inputs[2], inputs[3])).toBeLessThan(0.01);
    for (const x of [[0.3, -1.2], [2, 0.5], [-1.5, -0.7]]) {
      expect(forward(arch, reflected, Float64Array.from(x))).toBeCloseTo(forward(arch, balanced, Float64Array.from(x)), 10);
    }
    expect(symmetryOrientation(arch, balanced)!.kind).toBe('reflection');
  });

  it('leave alone a single antiparallel pair (its linear term has nothing to cancel it) and other activations', () => {
    const single = build([
      [1, 2, 0.5, 50],
      [-1.01, -2, -0.5, -50.5],
      [0.4, -1.5, 0.3, 2],
      [-2, 0.2, -0.3, -1],
    ]);
    expect(reflectionFlips(arch, single)).toBeNull();
    expect(reflectionFlips({ ...arch, activation: 'erf' }, balanced)).toBeNull();
    expect(reflectionFlips({ ...arch, activation: 'relu' }, balanced)).toBeNull();
    // gelu has the same identity: gelu(z) − gelu(−z) = z
    expect(reflectionFlips({ ...arch, activation: 'gelu' }, balanced)!.flips).toEqual([[true, false, true, false]]);
  });
});
