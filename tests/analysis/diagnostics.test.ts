// The float64 diagnostics (src/analysis/diagnostics.ts, spectrum.ts) and the CPU ensemble's
// diagnostics(): Lanczos and power iteration against dense eigenvalues, the pair bookkeeping against
// closestPairs / neuronGroups, and a planted channel. (The GPU kernel is tested against these in
// tests/engine/gpu-diagnostics.test.ts.)
import { describe, expect, it } from 'vitest';
import { lanczosExtremes, MAX_LANCZOS_STEPS, powerIterationMax, startVectorEntry } from '../../src/analysis/spectrum.js';
import { computeRunDiagnostics, DEFAULT_DIAGNOSTICS_SETTINGS, FULL_SPECTRUM_MAX_PARAMETERS, pairOutgoing, type DiagnosticsSettings } from '../../src/analysis/diagnostics.js';
import { DEFAULT_THRESHOLDS } from '../../src/analysis/classify.js';
import { splitNeuron } from '../../src/analysis/saddle-line.js';
import { glorotNormal } from '../../src/model/init.js';
import { RandomStream, STREAMS } from '../../src/numerics/rng.js';
import { applyUpdate } from '../../src/optim/optimizers.js';
import { closestPairs } from '../../src/analysis/channels.js';
import { layerOutgoingVectors } from '../../src/analysis/network.js';
import { CpuEnsemble } from '../../src/engine/cpu/cpu-ensemble.js';
import { evaluateNetwork } from '../../src/engine/cpu/cpu-engine.js';
import { matVec } from '../../src/numerics/linalg.js';
import { analyzeNetwork } from '../../src/experiment/analyze-network.js';
import { parameterCount, weightNorm, type Architecture } from '../../src/model/architecture.js';
import { rosenbrockDataset } from '../../src/data/inputs.js';
import { makeRandom, randomOrthogonal } from '../helpers/random.js';
import { plantChannel, randomTheta, unit } from './helpers.js';

/** Q·diag(values)·Qᵀ with a random orthogonal Q, and its matrix-vector product. */
function matrixWithSpectrum(values: number[], seed: number) {
  const n = values.length;
  const q = randomOrthogonal(makeRandom(seed), n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] += q[i * n + k] * values[k] * q[j * n + k];
  return { a, hvp: (v: Float64Array, out: Float64Array) => out.set(matVec(a, n, v)) };
}

describe('Lanczos and power iteration', () => {
  it('Lanczos with as many steps as parameters finds the extreme eigenvalues exactly', () => {
    const values = [-0.7, 0.001, 0.3, 1, 2, 5, 8, 40, 41, 300, 1e4, 2e4];
    const { hvp } = matrixWithSpectrum(values, 3);
    const result = lanczosExtremes(hvp, values.length, 30);
    expect(result.steps).toBe(values.length);
    expect(Math.abs(result.min - -0.7)).toBeLessThanOrEqual(1e-10 * 2e4);
    expect(Math.abs(result.max - 2e4)).toBeLessThanOrEqual(1e-10 * 2e4);
  });

  it('Lanczos with fewer steps gives Ritz values inside the spectrum, the extreme ones close', () => {
    const values = Array.from({ length: 40 }, (_, k) => (k === 0 ? -3 : k === 39 ? 100 : 1 + k / 10));
    const { hvp } = matrixWithSpectrum(values, 4);
    const result = lanczosExtremes(hvp, 40, 10);
    expect(result.steps).toBe(10);
    expect(result.min).toBeGreaterThanOrEqual(-3 - 1e-12);
    expect(result.max).toBeLessThanOrEqual(100 + 1e-12);
    expect(Math.abs(result.min + 3)).toBeLessThan(1e-3);
    expect(Math.abs(result.max - 100)).toBeLessThan(1e-6);
  });

  it('stops at an invariant subspace (breakdown) instead of inventing eigenvalues', () => {
    // the identity: the start vector is an eigenvector, one step spans everything Lanczos can see
    const result = lanczosExtremes((v, out) => out.set(v), 10, 30);
    expect(result.steps).toBe(1);
    expect(result.min).toBeCloseTo(1, 12);
    expect(result.max).toBeCloseTo(1, 12);
  });

  it('power iteration shifted by the smallest eigenvalue finds λ_max when a negative eigenvalue dominates', () => {
    const values = [-50, -1, 0, 0.5, 2, 3, 10];
    const { hvp } = matrixWithSpectrum(values, 5);
    const lower = lanczosExtremes(hvp, values.length, 30).min;
    expect(powerIterationMax(hvp, values.length, 200, lower)).toBeCloseTo(10, 8);
    // unshifted, the dominant eigenvalue is −50: the shift is what makes it λ_max
    expect(powerIterationMax(hvp, values.length, 200, 0)).toBeCloseTo(-50, 6);
  });

  it('power iteration runs every iteration by default, as the GPU kernel does, and stops early only when asked', () => {
    // the identity: every estimate after the first is bit-equal to the one before
    let products = 0;
    const identity = (v: Float64Array, out: Float64Array) => {
      products++;
      out.set(v);
    };
    expect(powerIterationMax(identity, 6, 40, 0)).toBeCloseTo(1, 12);
    expect(products).toBe(40);
    products = 0;
    expect(powerIterationMax(identity, 6, 40, 0, 1e-10)).toBeCloseTo(1, 12);
    expect(products).toBe(2);
  });

  it('starts from a fixed pseudo-random vector in [−1, 1)', () => {
    const entries = Array.from({ length: 1000 }, (_, p) => startVectorEntry(p));
    expect(entries.every((v) => v >= -1 && v < 1)).toBe(true);
    expect(new Set(entries).size).toBe(1000);
    expect(Math.abs(entries.reduce((a, b) => a + b, 0) / 1000)).toBeLessThan(0.1);
    // fixed: the 24-bit hash values (x >>> 8 of fmix32((p + 1)·0x9e3779b9), computed independently in
    // Python) that shaders/mlp_diagnostics.wgsl's start_entry reproduces bit for bit
    expect([0, 1, 7, 1000].map(startVectorEntry)).toEqual([9620015, 3987171, 14168178, 5618809].map((bits) => (bits / 16777216) * 2 - 1));
  });
});

describe('the spectrum the verdicts read', () => {
  it('is the dense one up to 320 parameters: near a saddle 30 Lanczos steps read a positive λ_min, 64 find it', () => {
    // d = 16, r = 7 softplus after 3,000 Adam steps, neuron 0 split in half: a point on a saddle line
    // with P = 145 (benchmarks/lanczos-vs-spectrum.ts, r = 7, seed 3, γ = 0.5)
    const data = rosenbrockDataset(256, 16, 3);
    const narrow: Architecture = { inputDim: 16, hidden: [7], activation: 'softplus', biases: true };
    const theta = glorotNormal(narrow, new RandomStream(3, 0, STREAMS.init), 1);
    const state = new Float64Array(2 * theta.length);
    for (let t = 1; t <= 3000; t++) {
      const gradient = Float64Array.from(evaluateNetwork(narrow, data, 0, theta, { gradient: true, maxnorm: 1e3 }).gradient!);
      applyUpdate({ kind: 'adam', lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, theta, gradient, state, t);
    }
    const split = splitNeuron(narrow, theta, { layer: 0, neuron: 0 }, 0.5);
    const P = parameterCount(split.arch);
    expect(P).toBeGreaterThan(128);
    expect(P).toBeLessThanOrEqual(FULL_SPECTRUM_MAX_PARAMETERS);
    const evaluation = (direction?: Float64Array) => evaluateNetwork(split.arch, data, 0, split.theta, { gradient: true, maxnorm: 1e3, ...(direction ? { direction } : {}) });
    const at = evaluation();
    const hvp = (v: Float64Array, out: Float64Array) => out.set(evaluation(v).hvp!);
    const d = computeRunDiagnostics(split.arch, split.theta, { loss: at.loss, barrier: at.barrier, gradient: at.gradient!, hvp });
    const spectrum = d.hessianEigenvalues!;
    expect(spectrum).toHaveLength(P);
    const tolerance = DEFAULT_THRESHOLDS.negativeCurvatureTol * spectrum[P - 1];
    expect(spectrum[0], "a saddle by the verdict's tolerance").toBeLessThan(-10 * tolerance);
    // what the verdict would have read from 30 steps: no negative curvature at all
    expect(lanczosExtremes(hvp, P, 30).min).toBeGreaterThan(0);
    // the default now takes as many steps as the GPU kernel holds, and finds it here (to 1%)
    expect(DEFAULT_DIAGNOSTICS_SETTINGS.lanczosSteps).toBe(MAX_LANCZOS_STEPS);
    expect(d.lanczosSteps).toBe(64);
    expect(Math.abs(d.lambdaMin - spectrum[0])).toBeLessThan(0.01 * Math.abs(spectrum[0]));
  });
});

describe('network diagnostics (float64)', () => {
  const arch: Architecture = { inputDim: 2, hidden: [4], activation: 'softplus', biases: true };
  const data = rosenbrockDataset(48, 2, 9);
  const settings: DiagnosticsSettings = { powerIterations: 300, lanczosSteps: 30 };
  // neurons 1 and 3 on a channel: w ± εΔ with ε = 1e-3, output weights c/2 ± a/(2ε) = 0.1 ± 150
  const channel = plantChannel(arch, randomTheta(arch, 21), { layer: 0, i: 1, j: 3, w: Float64Array.from([0.8, -0.4, 0.3]), delta: unit([1, 2, -1]), epsilon: 1e-3, c: Float64Array.from([0.2]), a: Float64Array.from([0.3]) });

  it('the CPU ensemble reports the planted channel, the loss and the Hessian spectrum', async () => {
    const maxnorm = 1e4;
    const ensemble = new CpuEnsemble({ arch, optimizer: { kind: 'gd', lr: 0.01 }, samples: 48, slots: 2, maxnorm });
    await ensemble.load(1, { params: channel, data, seed: 1, runIndex: 0 });
    const [d] = await ensemble.diagnostics();
    await expect(ensemble.diagnostics([0])).rejects.toThrow(/empty/);
    const reference = analyzeNetwork(arch, channel, data, maxnorm);
    expect(d.loss).toBe(reference.loss);
    expect(d.gradInf).toBe(reference.gradInf);
    expect(d.weightNorm).toBe(weightNorm(channel));
    expect(d.hessianEigenvalues).toEqual(reference.hessianEigenvalues);
    const [layer] = d.layers;
    expect([layer.cosine!.i, layer.cosine!.j]).toEqual([1, 3]);
    expect(layer.cosine!.distance).toBe(closestPairs(arch, channel)[0].cosine!.distance);
    expect(layer.cosine!.oppositeSigns).toBe(true);
    expect(layer.cosine!.outgoing[0]).toBeCloseTo(150.1, 9);
    expect(layer.cosine!.outgoing[1]).toBeCloseTo(-149.9, 9);
    expect(layer.cosine!.sumAbsOutgoing).toBeCloseTo(300, 9);
    // λ_max grows like 1/ε²; both iterative estimates are within the spectrum and converged here
    const spectrum = d.hessianEigenvalues!;
    const top = spectrum[spectrum.length - 1];
    expect(top).toBeGreaterThan(1e4);
    expect(Math.abs(d.lambdaMax - top)).toBeLessThanOrEqual(1e-8 * top);
    expect(Math.abs(d.lanczosLambdaMax - top)).toBeLessThanOrEqual(1e-8 * top);
    expect(d.lambdaMin).toBeGreaterThanOrEqual(spectrum[0] - 1e-9 * top);
    expect(d.lanczosSteps).toBe(Math.min(30, d.parameters));
  });

  it('outgoing weights of an earlier layer are signed norms: the larger one positive, the product signed by o_i·o_j', () => {
    const deep: Architecture = { inputDim: 2, hidden: [3, 2], activation: 'erf', biases: false };
    const theta = randomTheta(deep, 5);
    const outgoing = layerOutgoingVectors(deep, theta, 0);
    for (const [i, j] of [[0, 1], [0, 2], [1, 2]]) {
      const [si, sj] = pairOutgoing(deep, theta, 0, i, j);
      const [ni, nj] = [Math.hypot(...outgoing[i]), Math.hypot(...outgoing[j])];
      expect(Math.abs(si)).toBeCloseTo(ni, 12);
      expect(Math.abs(sj)).toBeCloseTo(nj, 12);
      expect(ni >= nj ? si : sj).toBeGreaterThan(0);
      expect(Math.sign(si * sj)).toBe(Math.sign(outgoing[i][0] * outgoing[j][0] + outgoing[i][1] * outgoing[j][1]));
    }
    // the last hidden layer's are the output weights themselves
    const last = layerOutgoingVectors(deep, theta, 1);
    expect(pairOutgoing(deep, theta, 1, 0, 1)).toEqual([last[0][0], last[1][0]]);
  });

  it('includes the barrier in the gradient and every eigenvalue', () => {
    const maxnorm = weightNorm(channel) * 0.99;
    const at = evaluateNetwork(arch, data, 0, channel, { gradient: true, maxnorm });
    const hvp = (v: Float64Array, out: Float64Array) => out.set(evaluateNetwork(arch, data, 0, channel, { direction: v, maxnorm }).hvp!);
    const withBarrier = computeRunDiagnostics(arch, channel, { loss: at.loss, barrier: at.barrier, gradient: at.gradient!, hvp }, settings);
    const free = analyzeNetwork(arch, channel, data, Infinity);
    expect(withBarrier.barrier).toBeGreaterThan(0);
    expect(withBarrier.loss).toBe(free.loss);
    expect(withBarrier.gradInf).toBeGreaterThan(free.gradInf);
    expect(withBarrier.hessianEigenvalues).toEqual(analyzeNetwork(arch, channel, data, maxnorm).hessianEigenvalues);
    expect(withBarrier.hessianEigenvalues).not.toEqual(free.hessianEigenvalues);
  });
});
