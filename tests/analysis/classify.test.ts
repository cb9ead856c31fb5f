// Verdicts on constructed networks and evidence: a planted channel at the barrier, finite minima,
// plateau saddles (a duplicated neuron with any split of its output weight), divergence, relu.
import { describe, expect, it } from 'vitest';
import { inputCoordinates, outgoingCoordinates, parameterLayout, weightNorm, type Architecture } from '../../src/model/architecture.js';
import { classifyRun, evidenceFromNetwork, OUTCOMES, type RunEvidence } from '../../src/analysis/classify.js';
import { channelSubspaceFraction, hasScalarInputs, neuronGroups } from '../../src/analysis/channels.js';
import { plantChannel, randomTheta, setNeuron, unit } from './helpers.js';

const arch: Architecture = { inputDim: 2, hidden: [3], activation: 'softplus', biases: true };

/** Neurons 0 and 2 on a channel: w ± εΔ, output weights c/2 ± a/(2ε); at ε = 4e-3 the weight norm is ~1450. */
function channelAt(epsilon: number, architecture: Architecture = arch): Float64Array {
  return plantChannel(architecture, randomTheta(architecture, 31), {
    layer: 0,
    i: 0,
    j: 2,
    w: Float64Array.from([0.8, -0.5, 0.2]),
    delta: unit([0.3, 0.4, -0.5]),
    epsilon,
    c: Float64Array.of(0.7),
    a: Float64Array.of(1.1),
  });
}

const atBarrier = { loss: 0.05, gradInf: 2e-3, stoppedBy: 'patience' };
const converged = { loss: 0.05, gradInf: 1e-9, stoppedBy: 'converged' };

/** Evidence of an ordinary converged finite network (no close pair), to be overridden. */
const base: RunEvidence = {
  weightNorm: 2,
  gradInf: 1e-9,
  loss: 0.05,
  finite: true,
  minCosine: 0.3,
  pairSignsOpposite: false,
  channelCosine: Infinity,
  channelFraction: null,
  stoppedBy: 'converged',
  activation: 'softplus',
  duplicateL2: 0.8,
  duplicateCosine: 0.3,
};

describe('classifyRun on networks (evidenceFromNetwork)', () => {
  it('a planted channel at the barrier moving along itself is a channel (strict)', () => {
    const history = [6e-3, 5e-3, 4.5e-3, 4e-3].map((epsilon) => channelAt(epsilon));
    const theta = history[history.length - 1];
    expect(weightNorm(theta)).toBeGreaterThan(1e3);
    const evidence = evidenceFromNetwork(arch, theta, { ...atBarrier, thetaHistory: history });
    expect(evidence.channelGroup!.members).toEqual([0, 2]);
    expect(evidence.pairSignsOpposite).toBe(true);
    expect(evidence.minCosine).toBeLessThan(1e-4);
    expect(evidence.channelFraction!).toBeGreaterThan(0.99);
    const verdict = classifyRun(evidence);
    expect(verdict.outcome).toBe('channel');
    expect(verdict.channelStrict).toBe(true);
    expect(verdict.reason).toMatch(/closest pair of opposite output weights/);
    expect(verdict.evidence.atBarrier).toBe(true);
    expect(verdict.evidence.minCosine).toBe(evidence.minCosine);
    // without a history the subspace criterion is unchecked, and the reason says so
    const unchecked = classifyRun(evidenceFromNetwork(arch, theta, atBarrier));
    expect(unchecked.outcome).toBe('channel');
    expect(unchecked.reason).toMatch(/unchecked/);
    // and whether it rests there: this planted pair does not (a large gradient), which the reason says
    const restless = classifyRun({ ...evidenceFromNetwork(arch, theta, atBarrier), gradInf: 48 });
    expect(restless.outcome).toBe('channel');
    expect(restless.reason).toMatch(/unchecked \(no parameter history\); not at rest: ‖∇‖∞ 48\.0* > /);
    expect(classifyRun({ ...evidenceFromNetwork(arch, theta, atBarrier), gradInf: 0 }).reason).not.toMatch(/not at rest/);
  });

  it('is not a channel when the last updates leave the channel subspace', () => {
    const theta = channelAt(4e-3);
    const moved = Float64Array.from(theta);
    moved[outgoingCoordinates(parameterLayout(arch), 0, 1)[0]] += 5; // the third neuron's output weight
    const verdict = classifyRun(evidenceFromNetwork(arch, moved, { ...atBarrier, thetaHistory: [theta, moved] }));
    expect(verdict.evidence.channelFraction!).toBeLessThan(0.1);
    expect(verdict.outcome).toBe('not-converged');
    expect(verdict.reason).toMatch(/without the channel signature/);
  });

  it('relu is never a channel', () => {
    const relu: Architecture = { ...arch, activation: 'relu' };
    const history = [6e-3, 4e-3].map((epsilon) => channelAt(epsilon, relu));
    const verdict = classifyRun(evidenceFromNetwork(relu, history[1], { ...atBarrier, thetaHistory: history }));
    expect(verdict.outcome).not.toBe('channel');
    expect(verdict.channelStrict).toBe(false);
    expect(verdict.reason).toMatch(/relu has no channels/);
  });

  it('a duplicated neuron (saddle line) at finite norm is a plateau saddle, for any split γ', () => {
    const noBias: Architecture = { inputDim: 2, hidden: [3], activation: 'g', biases: false };
    for (const gamma of [0.3, 1.7, -0.5]) {
      const theta = randomTheta(noBias, 32);
      setNeuron(noBias, theta, 0, 0, [0.9, -0.2], [gamma * 1.4]);
      setNeuron(noBias, theta, 0, 2, [0.9, -0.2], [(1 - gamma) * 1.4]);
      const evidence = evidenceFromNetwork(noBias, theta, converged);
      expect(evidence.duplicateL2).toBe(0);
      const verdict = classifyRun(evidence);
      expect(verdict.outcome, `γ = ${gamma}`).toBe('plateau-saddle');
      expect(verdict.reason).toMatch(/identical input vectors/);
    }
  });

  it('d = 1 without biases: cosine is 0 for every pair, the L2 distance decides', () => {
    const line: Architecture = { inputDim: 1, hidden: [3], activation: 'erf', biases: false };
    const theta = randomTheta(line, 33);
    [1.3, 0.4, 1.3].forEach((w, n) => setNeuron(line, theta, 0, n, [w], [0.5 + n]));
    expect(classifyRun(evidenceFromNetwork(line, theta, converged)).outcome).toBe('plateau-saddle');
    [1.3, 0.4, 2.6].forEach((w, n) => setNeuron(line, theta, 0, n, [w]));
    const verdict = classifyRun(evidenceFromNetwork(line, theta, converged));
    // every pair is parallel (cosine 0), none equal: no pair is close in the channel sense
    expect(verdict.evidence.parallelPair?.cosine).toBe(0);
    expect(verdict.evidence.minCosine).toBe(Infinity);
    expect(verdict.outcome).toBe('finite-minimum');
  });

  it('d = 1 without biases: a channel needs its scalars within 14% (the cosine criterion\'s L2 counterpart), not merely within the equal-inputs bound', () => {
    const line: Architecture = { inputDim: 1, hidden: [2], activation: 'erf', biases: false };
    // w = 2 and 3.5 with output weights ±63 at the barrier: relative L2 0.43 < equalInputs 0.5, cosine 0
    const far = Float64Array.from([2, 3.5, 63, -63]);
    expect(weightNorm(far)).toBeGreaterThan(990);
    const apart = classifyRun(evidenceFromNetwork(line, far, atBarrier));
    expect(apart.evidence.scalarInputs).toBe(true);
    expect(apart.evidence.minCosine).toBeCloseTo((1.5 / 3.5) ** 2 / 2, 12);
    expect(apart.outcome).not.toBe('channel');
    expect(apart.reason).toMatch(/no close pair \(the closest pair of equal neurons at distance \(\(wᵢ − wⱼ\)\/max\|w\|\)²\/2 \(one input, no biases: every cosine distance is 0\) 0\.0918 ≥ 0\.0100\)/);
    // the toy's channel: w ± ε with ε = 1e-3 at w = 0.8, output weights ±63
    const close = classifyRun(evidenceFromNetwork(line, Float64Array.from([0.801, 0.799, 63, -63]), atBarrier));
    expect(close.outcome).toBe('channel');
    expect(close.channelStrict).toBe(true);
    expect(close.evidence.minCosine).toBeCloseTo((0.002 / 0.801) ** 2 / 2, 12);
    expect(close.reason).toMatch(/its closest pair of opposite output weights at distance \(\(wᵢ − wⱼ\)\/max\|w\|\)²\/2 \(one input, no biases: every cosine distance is 0\) 0\.00000312 < 0\.0100 \(also < 0\.00100\)/);
    // with two inputs nothing changes: the cosine distance
    expect(classifyRun(evidenceFromNetwork(arch, channelAt(4e-3), atBarrier)).evidence.scalarInputs).toBeUndefined();
  });

  it('a hidden layer after one of width 1, without biases, has scalar input vectors too: its reason names the L2 counterpart it measured', () => {
    const deep: Architecture = { inputDim: 2, hidden: [1, 2], activation: 'erf', biases: false };
    // layout: W1 (1×2), W2 (2×1), output (1×2); layer 1's input vectors are the scalars 0.801 and 0.799
    const theta = Float64Array.from([0.5, -0.3, 0.801, 0.799, 78, -78]);
    expect(weightNorm(theta)).toBeGreaterThan(990);
    const verdict = classifyRun(evidenceFromNetwork(deep, theta, atBarrier));
    expect(verdict.outcome).toBe('channel');
    expect(verdict.evidence.scalarInputs).toBe(true);
    expect(verdict.evidence.minCosine).toBeCloseTo((0.002 / 0.801) ** 2 / 2, 12);
    expect(verdict.reason).toMatch(/one input, no biases: every cosine distance is 0/);
    expect(hasScalarInputs(deep, 0)).toBe(false);
    expect(hasScalarInputs({ ...deep, biases: true }, 1)).toBe(false);
  });

  /**
   * Neuron 0 sharpening at the barrier: ũ₀ = λu with a₀ = 8/λ (tending to 8·relu(û·x̃) for softplus),
   * λ = 110, 140, 170; neuron 1 a small neuron of the same direction with an output weight of the
   * other sign (what the flow sweep's sharpening runs leave at cosine distance ~1e-3).
   */
  function sharpeningHistory(architecture: Architecture, lambdas = [110, 140, 170]): Float64Array[] {
    const u = unit([0.6, -0.8, 0.3]);
    return lambdas.map((lambda) => {
      const theta = randomTheta(architecture, 41);
      setNeuron(architecture, theta, 0, 0, u.map((x) => lambda * x), [8 / lambda]);
      setNeuron(architecture, theta, 0, 1, u.map((x) => 2 * x), [-2.9]);
      return theta;
    });
  }

  it('a neuron sharpening towards a kink beside a small parallel neuron is not a channel', () => {
    const history = sharpeningHistory(arch);
    const theta = history[history.length - 1];
    expect(weightNorm(theta)).toBeGreaterThan(990);
    // the paper's cosine criterion alone would pass this pair: parallel, output weights of both signs, all motion in its subspace
    const [parallel] = neuronGroups(arch, theta, 1e-2);
    expect(parallel).toMatchObject({ members: [0, 1], mixedSigns: true });
    expect(parallel.minCosine).toBeLessThan(1e-12);
    expect(channelSubspaceFraction(arch, history, parallel)).toBeGreaterThan(0.99);
    const evidence = evidenceFromNetwork(arch, theta, { ...atBarrier, thetaHistory: history });
    expect(evidence.parallelPair!.cosine).toBeLessThan(1e-12);
    expect(evidence.parallelPair!.relativeL2).toBeGreaterThan(0.9);
    expect(evidence.minCosine).toBeGreaterThan(1e-2); // no pair of EQUAL neurons is close
    expect(evidence.roads!.sharpening.map((n) => n.neuron)).toEqual([0]);
    expect(evidence.roads!.fraction).toBeGreaterThan(0.99);
    const verdict = classifyRun(evidence);
    expect(verdict).toMatchObject({ outcome: 'not-converged', cause: 'sharpening' });
    expect(verdict.reason).toMatch(/sharpening towards a kink.*neuron 0 of hidden layer 1: ‖ũ‖ 170, outgoing 0\.0471/);
    // erf tends to a step; without a history nothing shows the growth, and the reason names the parallel pair
    const erf = { ...arch, activation: 'erf' as const };
    expect(classifyRun(evidenceFromNetwork(erf, theta, { ...atBarrier, thetaHistory: sharpeningHistory(erf) })).reason).toMatch(/towards a step/);
    const unknown = classifyRun(evidenceFromNetwork(arch, theta, atBarrier));
    expect(unknown).toMatchObject({ outcome: 'not-converged', cause: 'barrier-without-channel' });
    expect(unknown.reason).toMatch(/parallel but not equal \(relative L2 distance 0\.98/);
  });

  it('a neuron moving out along softplus\'s exponential tail at the barrier: exponential-tail, not a channel', () => {
    // o·softplus(w·x + b) ≈ o·e^(w·x + b) for w·x + b ≪ 0: o grows by e^t while b falls by t
    const history = [0, 0.05, 0.1].map((t) => {
      const theta = randomTheta(arch, 43);
      setNeuron(arch, theta, 0, 1, [0.5, -0.3, -5 - t], [-240 * Math.exp(t)]);
      return theta;
    });
    const evidence = evidenceFromNetwork(arch, history[2], { ...atBarrier, thetaHistory: history });
    expect(evidence.weightNorm).toBeGreaterThan(990);
    expect(evidence.roads!.tails.map((n) => n.neuron)).toEqual([1]);
    expect(evidence.roads!.sharpening).toEqual([]);
    const verdict = classifyRun(evidence);
    expect(verdict).toMatchObject({ outcome: 'not-converged', cause: 'exponential-tail' });
    expect(verdict.reason).toMatch(/exponential tail of softplus.*neuron 1 of hidden layer 1: outgoing ‖o‖ 265, Δlog‖o‖ 0\.100 against bias change -0\.100/);
    // erf has no exponential tail: the same motion is unexplained
    expect(classifyRun(evidenceFromNetwork({ ...arch, activation: 'erf' }, history[2], { ...atBarrier, thetaHistory: history })).cause).toBe('barrier-without-channel');
  });

  it('a channel sharing the motion with a sharpening neuron: sharpening, with the channel named beside it', () => {
    const wide: Architecture = { ...arch, hidden: [4] };
    const u = unit([0.6, -0.8, 0.3]);
    const history = [
      [6e-3, 100],
      [5e-3, 130],
      [4e-3, 160],
    ].map(([epsilon, lambda]) => {
      const theta = plantChannel(wide, randomTheta(wide, 42), { layer: 0, i: 0, j: 2, w: Float64Array.from([0.8, -0.5, 0.2]), delta: unit([0.3, 0.4, -0.5]), epsilon, c: Float64Array.of(0.7), a: Float64Array.of(1.1) });
      setNeuron(wide, theta, 0, 3, u.map((x) => lambda * x), [8 / lambda]);
      return theta;
    });
    const evidence = evidenceFromNetwork(wide, history[2], { ...atBarrier, thetaHistory: history });
    expect(evidence.channelGroup!.members).toEqual([0, 2]);
    expect(evidence.channelFraction!).toBeLessThan(0.9);
    expect(evidence.roads!.sharpening.map((n) => n.neuron)).toEqual([3]);
    expect(evidence.roads!.fraction!).toBeGreaterThan(0.99);
    const verdict = classifyRun(evidence);
    expect(verdict).toMatchObject({ outcome: 'not-converged', cause: 'sharpening' });
    expect(verdict.reason).toMatch(/with a channel beside/);
    // the same channel with the sharpening neuron at rest is a channel
    const still = history.map((theta) => {
      const copy = Float64Array.from(theta);
      setNeuron(wide, copy, 0, 3, u.map((x) => 160 * x), [8 / 160]);
      return copy;
    });
    expect(classifyRun(evidenceFromNetwork(wide, still[2], { ...atBarrier, thetaHistory: still })).outcome).toBe('channel');
  });

  it('a pair whose outgoing weights grow apart before its input vectors are close: channel-opening, up to a softplus reflection', () => {
    // ũ = w ± εΔ with Δ along the bias, so the weights stay parallel; at ε ~ 0.2 the cosine distance is ~0.08
    const history = (reflect: boolean, a = 80) =>
      [0.2, 0.19, 0.18].map((epsilon) => {
        const theta = plantChannel(arch, randomTheta(arch, 44), { layer: 0, i: 0, j: 2, w: Float64Array.from([0.8, -0.5, 0.2]), delta: unit([0, 0, 1]), epsilon, c: Float64Array.of(0.7), a: Float64Array.of(a) });
        if (reflect) for (const k of inputCoordinates(parameterLayout(arch), 0, 2)) theta[k] = -theta[k];
        return theta;
      });
    for (const reflect of [false, true]) {
      const opening = history(reflect);
      const evidence = evidenceFromNetwork(arch, opening[2], { ...atBarrier, thetaHistory: opening });
      expect(evidence.weightNorm).toBeGreaterThan(990);
      expect(evidence.minCosine).toBeGreaterThan(1e-2);
      expect(evidence.opening!.groups.map((g) => g.members)).toEqual([[0, 2]]);
      expect(evidence.opening!.groups[0].imbalance).toBeLessThan(1e-12);
      expect(evidence.opening!.fraction!).toBeGreaterThan(0.99);
      const verdict = classifyRun(evidence);
      expect(verdict).toMatchObject({ outcome: 'not-converged', cause: 'channel-opening' });
      expect(verdict.reason).toMatch(/neurons 0, 2 of hidden layer 1: outgoing 223, -222 changing by 22\.2, -22\.2 \(their sum by 0\.00% of that\), closest input vectors at cosine distance 0\.0647( with one reflected \(ũ → −ũ\))? \(≥ 0\.0100\)/);
      expect(verdict.reason.includes('with one reflected')).toBe(reflect);
    }
    // sigmoid has no reflection (σ(−z) = 1 − σ(z)): an antiparallel pair with cancelling o is one growing neuron, not a channel
    const sigmoid = { ...arch, activation: 'sigmoid' as const };
    expect(evidenceFromNetwork(sigmoid, history(true)[2], { ...atBarrier, thetaHistory: history(true) }).opening!.groups).toEqual([]);
    expect(evidenceFromNetwork(sigmoid, history(false)[2], { ...atBarrier, thetaHistory: history(false) }).opening!.groups.map((g) => g.members)).toEqual([[0, 2]]);
    // a third parallel neuron whose outgoing weight grows beside the pair is not part of it
    const beside = history(false).map((theta, k) => {
      setNeuron(arch, theta, 0, 1, [1.6, -1, 0.9], [40 + 4 * k]);
      return theta;
    });
    expect(evidenceFromNetwork(arch, beside[2], { ...atBarrier, thetaHistory: beside }).opening!.groups.map((g) => g.members)).toEqual([[0, 2]]);
    // short of the barrier, with a small gradient, it is on its way in
    const early = history(false, 8);
    const moving = classifyRun(evidenceFromNetwork(arch, early[2], { loss: 0.05, gradInf: 1e-9, stoppedBy: 'max-steps', thetaHistory: early }));
    expect(moving).toMatchObject({ outcome: 'not-converged', cause: 'still-moving' });
    expect(moving.reason).toMatch(/neurons 0, 2 of hidden layer 1: .*: on its way into a channel$/);
    // outgoing weights that grow the same way do not cancel: no channel, nothing opening
    const sameWay = history(false).map((theta, k) => {
      setNeuron(arch, theta, 0, 2, [0.8, -0.5, 0.2 - 0.2 + 0.01 * k], [200 + 10 * k]);
      return theta;
    });
    const unexplained = evidenceFromNetwork(arch, sameWay[2], { ...atBarrier, thetaHistory: sameWay });
    expect(unexplained.opening!.groups).toEqual([]);
    expect(classifyRun(unexplained).cause).toBe('barrier-without-channel');
    // a channel closing in a plane: input vectors apart in their weights (not along one line) are not one
    const apart = [0.3, 0.29, 0.28].map((epsilon) =>
      plantChannel(arch, randomTheta(arch, 44), { layer: 0, i: 0, j: 2, w: Float64Array.from([0.8, -0.5, 0.2]), delta: unit([1, 1, 0]), epsilon, c: Float64Array.of(0.7), a: Float64Array.of(120) }),
    );
    expect(evidenceFromNetwork(arch, apart[2], { ...atBarrier, thetaHistory: apart }).opening!.groups).toEqual([]);
  });

  it('three neurons whose outgoing weights grow like a second difference open one channel', () => {
    const wide: Architecture = { ...arch, hidden: [4] };
    const history = [0.3, 0.28, 0.26].map((h) => {
      const theta = randomTheta(wide, 45);
      [-1, 0, 1].forEach((k, n) => setNeuron(wide, theta, 0, n, [0.6, -0.4, 0.1 + k * h], [(k === 0 ? -2 : 1) * (8 / (h * h))]));
      return theta;
    });
    const evidence = evidenceFromNetwork(wide, history[2], { ...atBarrier, thetaHistory: history });
    expect(evidence.opening!.groups.map((g) => g.members)).toEqual([[0, 1, 2]]);
    expect(classifyRun(evidence).cause).toBe('channel-opening');
  });

  it('a generic converged network is a finite minimum; with negative curvature, a saddle', () => {
    const theta = randomTheta(arch, 34);
    const minimum = classifyRun(evidenceFromNetwork(arch, theta, { ...converged, hessianMinEigenvalue: 1e-4, hessianMaxEigenvalue: 12 }));
    expect(minimum.outcome).toBe('finite-minimum');
    expect(minimum.evidence.negativeCurvature).toBe(false);
    const saddle = classifyRun(evidenceFromNetwork(arch, theta, { ...converged, hessianMinEigenvalue: -0.05, hessianMaxEigenvalue: 12 }));
    expect(saddle.outcome).toBe('not-converged');
    expect(saddle.reason).toMatch(/saddle/);
    const unknown = classifyRun(evidenceFromNetwork(arch, theta, converged));
    expect(unknown.outcome).toBe('finite-minimum');
    expect(unknown.reason).toMatch(/spectrum unknown/);
  });

  it('non-finite parameters are diverged', () => {
    const theta = randomTheta(arch, 35);
    theta[3] = NaN;
    const evidence = evidenceFromNetwork(arch, theta, { loss: NaN, gradInf: NaN, stoppedBy: 'diverged' });
    expect(evidence.finite).toBe(false);
    expect(classifyRun(evidence).outcome).toBe('diverged');
  });
});

describe('classifyRun on evidence', () => {
  it('diverged whenever finite is false, whatever else holds', () => {
    expect(classifyRun({ ...base, finite: false }).outcome).toBe('diverged');
    expect(classifyRun({ ...base, weightNorm: Infinity }).outcome).toBe('diverged');
  });

  it("the strict criterion reads the channel's own pair, not a closer same-sign duplicate pair beside it", () => {
    const arch: Architecture = { inputDim: 2, hidden: [4], activation: 'erf', biases: true };
    const layout = parameterLayout(arch);
    const [hidden, output] = layout.layers;
    const setInput = (theta: Float64Array, n: number, [w1, w2, b]: number[]) => {
      theta[hidden.weightOffset + 2 * n] = w1;
      theta[hidden.weightOffset + 2 * n + 1] = w2;
      theta[hidden.biasOffset + n] = b;
    };
    // neurons 0, 1: a channel pair (output weights ±A) at cosine distance ~5e-3; neurons 2, 3: a
    // near-duplicate with small output weights of one sign, at cosine distance ~1e-8
    const network = (a: number) => {
      const theta = new Float64Array(layout.count);
      setInput(theta, 0, [1, 0.5, 0.26]);
      setInput(theta, 1, [1, 0.5, 0.14]);
      setInput(theta, 2, [-0.7, 1.2, -0.4]);
      setInput(theta, 3, [-0.7, 1.2, -0.4004]);
      theta.set([a, -a + 0.3, 0.4, 0.6], output.weightOffset);
      return theta;
    };
    const atNorm = Math.sqrt(1000 * layout.count);
    const history = [0.9, 0.95, 1].map((f) => network(atNorm * f));
    const verdict = classifyRun(evidenceFromNetwork(arch, history[2], { loss: 0.1, gradInf: 1e-3, stoppedBy: 'barrier', thetaHistory: history }));
    expect(verdict.outcome).toBe('channel');
    expect(verdict.evidence.minCosine).toBeLessThan(1e-7);
    expect(verdict.evidence.channelCosine).toBeGreaterThan(1e-3);
    expect(verdict.channelStrict).toBe(false);
    expect(verdict.reason).toMatch(/its closest pair of opposite output weights at cosine distance 0\.00[45]\d* < 0\.0100 \(not < 0\.00100\)/);
  });

  it("the channel's pair is one of equal neurons: two of opposite signs joined only through a third (one parallel but far larger) are not it", () => {
    const arch: Architecture = { inputDim: 2, hidden: [3], activation: 'tanh', biases: true };
    const layout = parameterLayout(arch);
    const [hidden, output] = layout.layers;
    const theta = new Float64Array(layout.count);
    const setInput = (n: number, [w1, w2, b]: number[]) => {
      theta.set([w1, w2], hidden.weightOffset + 2 * n);
      theta[hidden.biasOffset + n] = b;
    };
    // neurons 0 and 2 parallel (cosine 0) but 2.8× apart, so not equal; neuron 1 between, equal to each
    setInput(0, [1, 0.5, 0.2]);
    setInput(1, [1.7, 0.97, 0.34]);
    setInput(2, [2.8, 1.4, 0.56]);
    const a = Math.sqrt(1000 * layout.count);
    theta.set([a, 1, -a], output.weightOffset);
    const evidence = evidenceFromNetwork(arch, theta, { loss: 0.1, gradInf: 1e-3, stoppedBy: 'barrier' }, { maxnorm: 1000 });
    expect(evidence.channelGroup!.members).toEqual([0, 1, 2]);
    // its channel pair is 1 and 2 (an edge of opposite signs), not 0 and 2 at cosine ~0
    expect(evidence.channelCosine).toBeCloseTo(evidence.minCosine, 15);
    expect(evidence.channelCosine).toBeGreaterThan(1e-3);
    expect(classifyRun(evidence, { maxnorm: 1000 })).toMatchObject({ outcome: 'channel', channelStrict: false });
  });

  it('channel criteria: norm, cosine (strict or not), opposite signs, subspace', () => {
    const channel: RunEvidence = { ...base, weightNorm: 1001, minCosine: 5e-4, pairSignsOpposite: true, channelCosine: 5e-4, channelFraction: 0.95, gradInf: 1e-3, stoppedBy: 'patience' };
    expect(classifyRun(channel)).toMatchObject({ outcome: 'channel', channelStrict: true });
    expect(classifyRun({ ...channel, minCosine: 5e-3, channelCosine: 5e-3 })).toMatchObject({ outcome: 'channel', channelStrict: false });
    // a same-sign near-duplicate pair elsewhere is closer than the channel's pair: not the strict channel's
    const beside = classifyRun({ ...channel, minCosine: 1e-6, channelCosine: 5e-3 });
    expect(beside).toMatchObject({ outcome: 'channel', channelStrict: false });
    expect(beside.reason).toMatch(/its closest pair of opposite output weights at cosine distance 0\.00500 < 0\.0100 \(not < 0\.00100\)/);
    expect(classifyRun({ ...channel, minCosine: 2e-2 }).outcome).toBe('not-converged');
    expect(classifyRun({ ...channel, pairSignsOpposite: false }).reason).toMatch(/same sign/);
    expect(classifyRun({ ...channel, channelFraction: 0.5 }).outcome).toBe('not-converged');
    expect(classifyRun({ ...channel, weightNorm: 900 }).outcome).not.toBe('channel');
    expect(classifyRun({ ...channel, weightNorm: 900 }, { maxnorm: 500 }).outcome).toBe('channel');
    expect(classifyRun({ ...channel, activation: 'relu' }).outcome).toBe('not-converged');
  });

  it('a stalled channel entrance at finite norm is not a channel, and the reason says so', () => {
    const entrance = { ...base, weightNorm: 40, minCosine: 2e-3, pairSignsOpposite: true, channelCosine: 2e-3, gradInf: 1e-2, stoppedBy: 'max-steps' };
    const verdict = classifyRun(entrance);
    expect(verdict.outcome).toBe('not-converged');
    expect(verdict.reason).toMatch(/channel entrance/);
  });

  it('a small gradient while the weight norm still grows is "still moving", not a finite minimum', () => {
    // a flow drifting into a channel: ‖∇‖∞ ~ ε³ passes the scaled test, the norm grows 3% per check
    const drifting = { ...base, weightNorm: 60, minCosine: 2e-4, pairSignsOpposite: true, channelCosine: 2e-4, gradInf: 4e-6, thetaInf: 60, stoppedBy: 'max-evaluations', normDrift: 0.03 };
    const verdict = classifyRun(drifting, { gradTol: 1e-7 });
    expect(verdict.outcome).toBe('not-converged');
    expect(verdict.reason).toMatch(/still moving.*3\.00%.*on its way along a channel/);
    expect(classifyRun({ ...drifting, stoppedBy: 'converged' }, { gradTol: 1e-7 }).outcome).toBe('not-converged');
    // at rest (drift at the threshold, either sign), unknown (null) or with the check off: a finite minimum
    for (const normDrift of [1e-5, -1e-5, null]) expect(classifyRun({ ...drifting, normDrift }, { gradTol: 1e-7 }).outcome).toBe('finite-minimum');
    expect(classifyRun(drifting, { gradTol: 1e-7, stationaryTol: 1 }).outcome).toBe('finite-minimum');
  });

  it('a rounding-level gradient with a level loss is rest, however the run was stopped: a saddle line wandered on to the end of a budget', () => {
    // measured: toy-1d flows with gradTol 0 that reached the saddle line (seed 11: ‖∇‖∞ 1.5e-16, the
    // weight norm wandering by 0.06% over the last interval, the loss level)
    const wandering = { ...base, weightNorm: 1.03, thetaInf: 1.4, gradInf: 1.5e-16, duplicateL2: 0, duplicateCosine: 0, stoppedBy: 'max-evaluations', normDrift: 6e-4, levelDrift: { relative: 3e-16, from: 15_000, to: 20_000 } };
    expect(classifyRun(wandering).outcome).toBe('plateau-saddle');
    // a loss still falling is a flow on its way (a channel's gradient can dip as low), and so is a
    // gradient above rounding; without a level drift over checkEvery steps (unknown, or a float32
    // run's) nothing says rest
    expect(classifyRun({ ...wandering, levelDrift: { relative: -1e-9, from: 15_000, to: 20_000 } }).cause).toBe('still-moving');
    expect(classifyRun({ ...wandering, gradInf: 1e-9 }).cause).toBe('still-moving');
    expect(classifyRun({ ...wandering, levelDrift: null }).cause).toBe('still-moving');
    // the last recorded interval's drift alone (possibly a few steps) is not the level test
    expect(classifyRun({ ...wandering, levelDrift: null, lossDrift: { relative: 0, from: 19_990, to: 20_000 } }).cause).toBe('still-moving');
  });

  it('every not-converged verdict names its cause, and only those', () => {
    const causeOf = (evidence: RunEvidence, thresholds = {}) => classifyRun(evidence, thresholds).cause;
    expect(causeOf({ ...base, weightNorm: 1000, minCosine: 0.2, stoppedBy: 'max-steps' })).toBe('barrier-without-channel');
    expect(causeOf({ ...base, weightNorm: 1000, activation: 'relu', minCosine: 1e-5, pairSignsOpposite: true, channelCosine: 1e-5 })).toBe('barrier-without-channel');
    const sharpeningNeuron = { layer: 0, neuron: 1, growth: 0.8, inputNorm: 150, outgoing: [0.1] };
    expect(causeOf({ ...base, weightNorm: 1000, roads: { sharpening: [sharpeningNeuron], tails: [], fraction: 0.97 } })).toBe('sharpening');
    const partly = classifyRun({ ...base, weightNorm: 1000, roads: { sharpening: [sharpeningNeuron], tails: [], fraction: 0.7 } });
    expect(partly.cause).toBe('barrier-without-channel');
    expect(partly.reason).toMatch(/1 neuron\(s\) sharpening and 0 in an exponential tail, but only 70\.0% of ‖Δθ‖ along them/);
    expect(causeOf({ ...base, weightNorm: 1000, activation: 'relu', roads: { sharpening: [sharpeningNeuron], tails: [], fraction: 1 } })).toBe('barrier-without-channel');
    // short of the barrier a sharpening run is still moving, and the reason says where to
    const onItsWay = classifyRun({ ...base, weightNorm: 300, gradInf: 4e-6, thetaInf: 60, normDrift: 0.02, roads: { sharpening: [sharpeningNeuron], tails: [], fraction: 0.98 } }, { gradTol: 1e-7 });
    expect(onItsWay.cause).toBe('still-moving');
    expect(onItsWay.reason).toMatch(/1 neuron\(s\) sharpening \(98\.0% of ‖Δθ‖ along them\): on its way to a kink/);
    expect(causeOf({ ...base, gradInf: 4e-6, thetaInf: 60, normDrift: 0.03 }, { gradTol: 1e-7 })).toBe('still-moving');
    expect(causeOf({ ...base, gradInf: 1e-2, stoppedBy: 'max-steps' })).toBe('gradient-not-small');
    // relu whose loss stopped descending: at rest on a kink, its gradient never small and its weight
    // norm creeping (the solver chattering across the kink), whether the loss fell by a hair or rose
    const kink = { ...base, activation: 'relu' as const, gradInf: 2e-3, normDrift: 1e-4, stoppedBy: 'max-steps' };
    const atRest = classifyRun({ ...kink, lossDrift: { relative: -3e-9, from: 14214, to: 20000 } });
    expect(atRest.cause).toBe('kink-rest');
    expect(atRest.reason).toMatch(/relu at rest on a kink: the loss fell by 3\.00e-9 \(relative, ≤ 0\.00000100\) from step 14214 to 20000/);
    expect(classifyRun({ ...kink, lossDrift: { relative: 1.5e-5, from: 14214, to: 20000 } }).reason).toMatch(/the loss rose by 0\.0000150 .*chatters across the kink/);
    // stopped by patience, whose window reaches further back than a late run's last log-spaced
    // interval: at rest when the improvement patience asked for is no more than kinkRest
    const patient = { ...kink, stoppedBy: 'patience', lossDrift: { relative: -1e-4, from: 3000, to: 4200 } };
    const rested = classifyRun({ ...patient, patience: { steps: 2000, minImprovement: 1e-7 } });
    expect(rested.cause).toBe('kink-rest');
    expect(rested.reason).toMatch(/relu at rest on a kink: the loss \(with the barrier\) did not improve by 1\.00e-7 \(relative, ≤ 0\.00000100\) over its last 2000 steps, .*stopped by patience/);
    expect(causeOf({ ...patient, patience: { steps: 2000, minImprovement: 1e-5 } })).toBe('still-moving');
    expect(causeOf({ ...patient, stoppedBy: 'max-steps', patience: { steps: 2000, minImprovement: 1e-7 } })).toBe('still-moving');
    expect(causeOf({ ...patient, activation: 'softplus', patience: { steps: 2000, minImprovement: 1e-7 } })).toBe('still-moving');
    // still descending, or another activation, or no loss history: as before
    expect(causeOf({ ...kink, lossDrift: { relative: -1e-4, from: 14214, to: 20000 } })).toBe('still-moving');
    expect(causeOf({ ...kink, activation: 'softplus', lossDrift: { relative: -3e-9, from: 14214, to: 20000 } })).toBe('still-moving');
    expect(causeOf({ ...kink, lossDrift: null })).toBe('still-moving');
    expect(causeOf({ ...kink, weightNorm: 1000, lossDrift: { relative: 0, from: 1, to: 2 } })).toBe('barrier-without-channel');
    expect(causeOf({ ...base, hessianMinEigenvalue: -0.1, hessianMaxEigenvalue: 10 })).toBe('saddle');
    expect(causeOf(base)).toBeUndefined();
  });

  it('with the steps of the history known, the drift is measured over at least one check (a trajectory point a few steps before the last does not hide a drift)', () => {
    const theta = randomTheta(arch, 5);
    const scaled = (wn: number) => theta.map((v) => v * Math.sqrt(wn));
    // checks every 100 steps; a trajectory point at 19,957, the last check at 20,000: 3% over the
    // check, 0.1% over its last 43 steps
    const history = [scaled(1), scaled(1.029), scaled(1.03)];
    const facts = { loss: 0.05, gradInf: 1e-9, stoppedBy: 'max-steps', thetaHistory: history };
    expect(evidenceFromNetwork(arch, history[2], facts).normDrift).toBeCloseTo(0.001 / 1.03, 12);
    expect(evidenceFromNetwork(arch, history[2], { ...facts, historySteps: [19900, 19957, 20000], checkEvery: 100 }).normDrift).toBeCloseTo(0.03 / 1.03, 12);
    // a full check between the last two: as before; none a check back: the oldest
    expect(evidenceFromNetwork(arch, history[2], { ...facts, historySteps: [19800, 19900, 20000], checkEvery: 100 }).normDrift).toBeCloseTo(0.001 / 1.03, 12);
    expect(evidenceFromNetwork(arch, history[2], { ...facts, historySteps: [19950, 19990, 20000], checkEvery: 100 }).normDrift).toBeCloseTo(0.03 / 1.03, 12);
    // the final θ recorded again at its step (a float32 flow at rest at its gradient floor): rest
    const rested = [scaled(1), scaled(1.03), scaled(1.03)];
    expect(evidenceFromNetwork(arch, rested[2], { ...facts, thetaHistory: rested, historySteps: [150, 200, 200], checkEvery: 50 }).normDrift).toBe(0);
  });

  it('the drift comes from the last two parameter vectors of the history', () => {
    const theta = randomTheta(arch, 5);
    const grown = theta.map((v) => v * Math.sqrt(1.1)); // weight norm ×1.1
    const facts = { loss: 0.05, gradInf: 1e-9, stoppedBy: 'converged' };
    expect(evidenceFromNetwork(arch, grown, { ...facts, thetaHistory: [theta, theta, grown] }).normDrift).toBeCloseTo(0.1 / 1.1, 12);
    expect(evidenceFromNetwork(arch, grown, { ...facts, thetaHistory: [grown] }).normDrift).toBeNull();
    expect(evidenceFromNetwork(arch, grown, { ...facts, thetaHistory: [theta, grown], normDrift: null }).normDrift).toBeNull();
  });

  it('global minimum by loss, unless the teacher is not realisable', () => {
    expect(classifyRun({ ...base, loss: 1e-12 }).outcome).toBe('global-minimum');
    expect(classifyRun({ ...base, loss: 1e-12, realisable: false }).outcome).toBe('finite-minimum');
    expect(classifyRun({ ...base, loss: 1e-12, duplicateL2: 0, duplicateCosine: 0 }).outcome).toBe('global-minimum');
  });

  it('the gradient criterion is scaled by max(1, ‖θ‖∞)', () => {
    const run = { ...base, gradInf: 5e-4, stoppedBy: 'patience' };
    expect(classifyRun({ ...run, thetaInf: 10 }).outcome).toBe('not-converged');
    expect(classifyRun({ ...run, thetaInf: 100 }).outcome).toBe('finite-minimum');
    expect(classifyRun({ ...run, thetaInf: 100 }).evidence.gradientTolerance).toBeCloseTo(1e-3, 15);
  });

  it('OUTCOMES lists every verdict', () => {
    expect([...OUTCOMES].sort()).toEqual(['channel', 'diverged', 'finite-minimum', 'global-minimum', 'not-converged', 'plateau-saddle']);
  });
});

describe('odd activations: pairs up to the sign symmetry σ(−z) = −σ(z)', () => {
  // d = 2 with biases, 3 neurons: θ = [W (3×2), b (3), a (3), c0]; neurons 0 and 1 nearly antiparallel
  // with equal large output weights: for erf that is neuron 1 flipped, a channel with a = ±1400
  const disguised = [0.6, -0.4, -0.6000001, 0.4000001, -0.3, 0.9, 0.1, -0.1, -0.2, 1400, 1400, 0.7, 0.05];
  const facts = { loss: 0.05, gradInf: 1e-9, stoppedBy: 'converged' };
  it('finds the channel of erf neurons with opposite input vectors and equal output weights', async () => {
    const { evidenceFromNetwork, classifyRun } = await import('../../src/analysis/classify.js');
    const arch = { inputDim: 2, hidden: [3], activation: 'erf' as const, biases: true };
    const evidence = evidenceFromNetwork(arch, disguised, facts, { maxnorm: 1000 });
    expect(evidence.minCosine).toBeLessThan(1e-10);
    expect(evidence.pairSignsOpposite).toBe(true);
    expect(evidence.channelGroup!.members).toEqual([0, 1]);
    const verdict = classifyRun(evidence, { maxnorm: 1000 });
    expect(verdict.outcome).toBe('channel');
    // the raw θ shows them antiparallel with same-sign output weights: the verdict says which was flipped
    expect(evidence.orientedNeurons).toEqual({ kind: 'odd', layer: 0, neurons: [expect.any(Number)] });
    expect(verdict.reason).toMatch(/\(neuron [01] compared flipped, \(ũ, o\) → \(−ũ, −o\), the same neuron for the odd erf\)/);
  });
  it('does not fold signs for activations without the symmetry (softplus)', async () => {
    const { evidenceFromNetwork } = await import('../../src/analysis/classify.js');
    const arch = { inputDim: 2, hidden: [3], activation: 'softplus' as const, biases: true };
    const evidence = evidenceFromNetwork(arch, disguised, facts, { maxnorm: 1000 });
    // the closest pair is then neurons 1 and 2, at cosine distance 0.21
    expect(evidence.minCosine).toBeGreaterThan(0.2);
    expect(evidence.channelGroup).toBeNull();
  });
  it('flipping a neuron of an odd network leaves its function unchanged', async () => {
    const { applyNeuronFlips } = await import('../../src/analysis/channels.js');
    const { networkOutput } = await import('../../src/analysis/glu.js');
    const arch = { inputDim: 2, hidden: [3, 2], activation: 'tanh' as const, biases: true };
    const theta = Array.from({ length: 3 * 2 + 3 + 2 * 3 + 2 + 2 + 1 }, (_, k) => Math.sin(1.7 * k + 0.3));
    const flipped = applyNeuronFlips(arch, theta, [[false, true, false], [true, false]]);
    for (const x of [[0.3, -1.2], [2, 0.5]]) expect(networkOutput(arch, flipped, x)).toBeCloseTo(networkOutput(arch, theta, x), 12);
    expect(flipped[2]).toBe(-theta[2]);
  });
});
