// What a neuron computes over the data: its pre-activation range and the regime that range puts it in.
import { describe, expect, it } from 'vitest';
import { neuronRegime, preActivationRanges } from '../../src/analysis/network.js';
import type { Architecture } from '../../src/model/architecture.js';
import { makeRandom, randomDataset } from '../helpers/random.js';

describe('pre-activation ranges and regimes', () => {
  it('finds each hidden neuron\'s range of ũ·x̃ over the data, layer by layer', () => {
    const arch: Architecture = { inputDim: 2, hidden: [2, 1], activation: 'softplus', biases: true };
    // θ = [W1 (2×2), b1 (2), W2 (1×2), b2 (1), a (1), c0]
    const theta = Float64Array.of(1, 0, 0, -2, 5, 0.5, 1, 1, -3, 2, 0.1);
    const data = randomDataset(makeRandom(2), 2, 50);
    const ranges = preActivationRanges(arch, theta, data);
    const xs = Array.from({ length: 50 }, (_, n) => [data.x[2 * n], data.x[2 * n + 1]]);
    // neuron 0 of layer 1: x1 + 5; neuron 1: −2·x2 + 0.5
    expect(ranges[0][0].min).toBeCloseTo(Math.min(...xs.map(([x1]) => x1 + 5)), 12);
    expect(ranges[0][1].max).toBeCloseTo(Math.max(...xs.map(([, x2]) => -2 * x2 + 0.5)), 12);
    const softplus = (z: number) => Math.log1p(Math.exp(z));
    const second = xs.map(([x1, x2]) => softplus(x1 + 5) + softplus(-2 * x2 + 0.5) - 3);
    expect(ranges[1][0].min).toBeCloseTo(Math.min(...second), 12);
    expect(ranges[1][0].max).toBeCloseTo(Math.max(...second), 12);
  });

  it('names the regime only where the whole range lies in it', () => {
    expect(neuronRegime('softplus', { min: 3.5, max: 9 })).toBe('linear');
    expect(neuronRegime('softplus', { min: -9, max: -4 })).toBe('exponential tail');
    expect(neuronRegime('softplus', { min: 2, max: 9 })).toBeNull();
    expect(neuronRegime('relu', { min: 0.1, max: 2 })).toBe('linear');
    expect(neuronRegime('relu', { min: -2, max: -0.1 })).toBe('off');
    expect(neuronRegime('erf', { min: -9, max: -3.5 })).toBe('saturated');
    expect(neuronRegime('sigmoid', { min: -9, max: -3.5 })).toBe('exponential tail');
    expect(neuronRegime('gelu', { min: -9, max: -3.5 })).toBe('off');
    expect(neuronRegime('tanh', { min: -1, max: 1 })).toBeNull();
  });
});
