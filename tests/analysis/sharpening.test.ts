// The limit of a sharpening neuron (src/analysis/sharpening.ts): the network approaches it like 1/λ
// (softplus), and its loss at infinity is exactly 0 on data the limit network itself produced.
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/model/architecture.js';
import { sharpeningDeviation, sharpeningLossAtInfinity, sharpeningShape } from '../../src/analysis/sharpening.js';
import { networkOutput } from '../../src/analysis/glu.js';
import { makeRandom, randomDataset } from '../helpers/random.js';
import { randomTheta, setNeuron, unit } from './helpers.js';

const arch: Architecture = { inputDim: 2, hidden: [3], activation: 'softplus', biases: true };
const direction = unit([0.6, -0.8, 0.3]);
const data = randomDataset(makeRandom(71), 2, 300);

/** Neuron 0 sharpening: ũ₀ = λû with output weight s/λ (s = 1.7); the other neurons random. */
function sharpened(lambda: number, architecture: Architecture = arch, outgoing = 1.7 / lambda): Float64Array {
  const theta = randomTheta(architecture, 72);
  setNeuron(architecture, theta, 0, 0, direction.map((x) => lambda * x), [outgoing]);
  return theta;
}

describe('sharpening limits', () => {
  it('names the limit by activation: kink, step, both, none for relu', () => {
    expect(['softplus', 'gelu', 'g', 'erf', 'tanh', 'sigmoid', 'relu'].map((a) => sharpeningShape(a as Architecture['activation']))).toEqual([
      'kink',
      'kink',
      'kink+step',
      'step',
      'step',
      'step',
      null,
    ]);
  });

  it('softplus: the network approaches s·relu(û·x̃) like 1/λ: |s|·log 2/λ at worst, on the kink', () => {
    // sample 0 on the kink's line 0.6·x₁ − 0.8·x₂ + 0.3 = 0, where |o·softplus(λẑ) − s·relu(ẑ)| = |s|·log 2/λ
    const onKink = { ...data, x: Float64Array.from(data.x) };
    onKink.x.set([0, 0.375], 0);
    for (const lambda of [50, 100, 200, 400]) {
      const deviation = sharpeningDeviation(arch, sharpened(lambda), [0], onKink);
      expect(deviation.max / ((1.7 * Math.LN2) / lambda)).toBeCloseTo(1, 12);
    }
  });

  it('loss at infinity: 0 on data made by the limit network, and never above the limit at its own weights', () => {
    const theta = sharpened(150);
    // targets from the limit network at its own weights: neuron 0 replaced by 1.7·relu(û·x̃)
    const deviation = (x: Float64Array) => {
      const z = direction[0] * x[0] + direction[1] * x[1] + direction[2];
      return (1.7 / 150) * Math.log1p(Math.exp(150 * z)) - 1.7 * Math.max(z, 0);
    };
    const limitData = { ...data, y: Float64Array.from({ length: data.samples }, (_, n) => {
      const x = data.x.subarray(2 * n, 2 * n + 2);
      return networkOutput(arch, theta, x) - deviation(x);
    }) };
    const exact = sharpeningLossAtInfinity(arch, theta, [0], limitData);
    expect(exact.loss).toBeLessThan(1e-24);
    expect(exact).toMatchObject({ neurons: [0], shape: 'kink', rank: 4, columns: 4 });
    // on other targets: L∞ ≤ the MSE of the limit at its own weights ≤ (√L + rms deviation)²
    const general = sharpeningLossAtInfinity(arch, theta, [0], data);
    const rms = sharpeningDeviation(arch, theta, [0], data).rms;
    expect(general.loss).toBeLessThanOrEqual((Math.sqrt(general.networkLoss) + rms) ** 2);
  });

  it('erf: a step o·sign(û·x̃); g: a kink and a step', () => {
    const erf = { ...arch, activation: 'erf' as const };
    const theta = sharpened(40, erf, 0.9);
    const stepData = { ...data, y: Float64Array.from({ length: data.samples }, (_, n) => {
      const x = data.x.subarray(2 * n, 2 * n + 2);
      const z = direction[0] * x[0] + direction[1] * x[1] + direction[2];
      return 0.3 * Math.sign(z) - 0.2;
    }) };
    const fit = sharpeningLossAtInfinity(erf, theta, [0], stepData);
    expect(fit.shape).toBe('step');
    expect(fit.loss).toBeLessThan(1e-24);
    const g = sharpeningLossAtInfinity({ ...arch, activation: 'g' }, sharpened(40, { ...arch, activation: 'g' }), [0, 2], data);
    expect(g).toMatchObject({ shape: 'kink+step', columns: 1 + 2 * 2 + 1 });
  });

  it('refuses relu, repeated or out-of-range neurons', () => {
    expect(() => sharpeningLossAtInfinity({ ...arch, activation: 'relu' }, randomTheta(arch, 1), [0], data)).toThrow(/relu neurons have no sharpening limit/);
    expect(() => sharpeningLossAtInfinity(arch, randomTheta(arch, 1), [1, 1], data)).toThrow(/given twice/);
    expect(() => sharpeningLossAtInfinity(arch, randomTheta(arch, 1), [3], data)).toThrow(/neuron 3 out of range/);
    expect(() => sharpeningLossAtInfinity(arch, randomTheta(arch, 1), [], data)).toThrow(/no sharpening neurons/);
  });
});
