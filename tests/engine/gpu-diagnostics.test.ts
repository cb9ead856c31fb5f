// The GPU diagnostics kernel (shaders/mlp_diagnostics.wgsl) against the float64 CPU reference
// (CpuEnsemble.diagnostics, src/analysis/diagnostics.ts) on the same float32-representable
// parameters and data — softplus, erf and relu, biases on and off, one and two hidden layers, up to
// P = 129 — on random networks, near-channel networks (two neurons w ± εΔ, ε = 1e-3, output weights
// ±150) and a near-channel network 1% above the norm barrier.
//
// Tolerances (float32 GPU against float64):
//   loss                                relative 1e-4 (output weights ±150 cancel: float32 rounding of
//                                       σ(z) is amplified; measured up to 1.2e-5)
//   weight norm                         relative 1e-5
//   barrier (wn − maxnorm)³/3           relative 1e-3 (1% above the barrier, float32 rounding of wn is
//                                       amplified 3·wn/(wn − maxnorm) ≈ 300 times)
//   gradient ∞-norm                     relative 1e-3, or absolute 1e-4·max(1, |output weights|)
//   closest pairs                       the same (i, j); cosine distance relative 1e-3 or absolute 1e-10
//                                       (float32 normalisation leaves ~1.7e-7·√d absolute: 2.5e-4
//                                       relative measured at d ≈ 1e-7);
//                                       L2 distance relative 1e-5; outgoing weights relative 1e-6
//   λ_max (power), Lanczos largest      relative 1e-4 (measured ≤ 7.3e-6)
//   λ_min (Lanczos)                     absolute 1e-5·λ_max (measured ≤ 6.7e-7)
//   full spectrum                       every eigenvalue within 1e-4·max|λ| (measured ≤ 7.1e-6)
import { describe, expect, it } from 'vitest';
import { KERNEL_TOLERANCE } from '../../src/engine/verify-kernels.js';
import type { EnsembleOptions, SlotRun } from '../../src/engine/training.js';
import { inputCoordinates, parameterCount, parameterLayout, weightNorm, type Activation, type Architecture } from '../../src/model/architecture.js';
import { glorotNormal } from '../../src/model/init.js';
import { rosenbrockDataset } from '../../src/data/inputs.js';
import type { Dataset } from '../../src/data/dataset.js';
import { RandomStream, STREAMS } from '../../src/numerics/rng.js';
import { FULL_SPECTRUM_MAX_PARAMETERS, type DiagnosedPair, type DiagnosticsSettings, type RunDiagnostics } from '../../src/analysis/diagnostics.js';
import { planDiagnosticsKernel } from '../../src/engine/gpu/mlp-kernels.js';
import { ensembleWithReference, expectNoGpuErrors, gpuEngineForSuite } from '../helpers/gpu.js';

const engine = await gpuEngineForSuite();
const SAMPLES = 32;
/** above the near-channel networks' weight norms (150²·2/(2P) ≈ 1100–2500), so only slot 2 feels the barrier */
const MAXNORM = 5000;
const SETTINGS: DiagnosticsSettings = { powerIterations: 60, lanczosSteps: 8 };
const TOLERANCE = {
  loss: 1e-4,
  value: 1e-5,
  barrier: 1e-3,
  gradInf: 1e-3,
  gradInfAbsolute: 1e-4,
  cosine: KERNEL_TOLERANCE.cosine,
  cosineAbsolute: 1e-10,
  l2: 1e-5,
  outgoing: 1e-6,
  // the spectrum's, as `channelscope verify` checks them on any device (src/engine/verify-kernels.ts)
  lambdaMax: KERNEL_TOLERANCE.lambdaMax,
  lambdaMin: KERNEL_TOLERANCE.lambdaMin,
  spectrum: KERNEL_TOLERANCE.spectrum,
};

const float32 = (values: ArrayLike<number>) => Float64Array.from(values as ArrayLike<number>, (v) => Math.fround(v));

function float32Dataset(data: Dataset): Dataset {
  return { ...data, x: float32(data.x), y: float32(data.y) };
}

/**
 * Two neurons of hidden layer `layer` put on a channel: input vectors w ± εΔ (bias included, ‖Δ‖ = 1)
 * around neuron 0's, outgoing weights ±150 (last hidden layer: the output weights; otherwise the
 * outgoing columns ±150·column 0 / ‖column 0‖).
 */
function nearChannel(arch: Architecture, theta: Float64Array, layer: number, epsilon = 1e-3): Float64Array {
  const out = theta.slice();
  const layout = parameterLayout(arch);
  const rowI = inputCoordinates(layout, layer, 0);
  const rowJ = inputCoordinates(layout, layer, 1);
  const delta = rowI.map((_, k) => Math.sin(3 * k + 1));
  const length = Math.hypot(...delta);
  rowI.forEach((index, k) => {
    const w = theta[index];
    out[index] = w + (epsilon * delta[k]) / length;
    out[rowJ[k]] = w - (epsilon * delta[k]) / length;
  });
  const next = layout.layers[layer + 1];
  const column = (n: number) => Array.from({ length: next.fanOut }, (_, k) => next.weightOffset + k * next.fanIn + n);
  const reference = column(0).map((index) => theta[index]);
  const size = Math.hypot(...reference);
  column(0).forEach((index, k) => (out[index] = (150 * reference[k]) / size));
  column(1).forEach((index, k) => (out[index] = (-150 * reference[k]) / size));
  return out;
}

function expectRelative(actual: number, expected: number, relative: number, absolute: number, what: string): void {
  const error = Math.abs(actual - expected);
  expect(error <= relative * Math.abs(expected) || error <= absolute, `${what}: GPU ${actual}, CPU ${expected}`).toBe(true);
}

function expectSamePair(gpu: DiagnosedPair | null, cpu: DiagnosedPair | null, distance: { relative: number; absolute: number }, what: string): void {
  if (!cpu) {
    expect(gpu, what).toBeNull();
    return;
  }
  expect(gpu, what).not.toBeNull();
  expect([gpu!.i, gpu!.j], `${what} pair`).toEqual([cpu.i, cpu.j]);
  expectRelative(gpu!.distance, cpu.distance, distance.relative, distance.absolute, `${what} distance`);
  for (const k of [0, 1]) expectRelative(gpu!.outgoing[k], cpu.outgoing[k], TOLERANCE.outgoing, 0, `${what} outgoing ${k}`);
  expect(gpu!.oppositeSigns).toBe(cpu.oppositeSigns);
}

/** Largest relative deviations of the spectral quantities, for the log. */
function agreement(gpu: RunDiagnostics, cpu: RunDiagnostics) {
  const eigenvalues = cpu.hessianEigenvalues ?? [NaN];
  const scale = Math.max(...eigenvalues.map(Math.abs));
  const spectrum = Math.max(...eigenvalues.map((value, k) => Math.abs(value - (gpu.hessianEigenvalues?.[k] ?? NaN)))) / scale;
  const cosine = Math.max(...cpu.layers.map((layer, l) => (layer.cosine ? Math.abs(gpu.layers[l].cosine!.distance - layer.cosine.distance) / Math.max(layer.cosine.distance, 1e-30) : 0)));
  return {
    lambdaMax: Math.abs(gpu.lambdaMax - cpu.lambdaMax) / Math.abs(cpu.lambdaMax),
    lambdaMin: Math.abs(gpu.lambdaMin - cpu.lambdaMin) / Math.abs(cpu.lambdaMax),
    spectrum,
    cosine,
    gradInf: Math.abs(gpu.gradInf - cpu.gradInf) / cpu.gradInf,
  };
}

function compareDiagnostics(gpu: RunDiagnostics, cpu: RunDiagnostics, theta: Float64Array, what: string): void {
  expect(gpu.parameters).toBe(cpu.parameters);
  expectRelative(gpu.loss, cpu.loss, TOLERANCE.loss, 0, `${what} loss`);
  expectRelative(gpu.barrier, cpu.barrier, TOLERANCE.barrier, 0, `${what} barrier`);
  expectRelative(gpu.weightNorm, cpu.weightNorm, TOLERANCE.value, 0, `${what} weight norm`);
  const thetaInf = Math.max(...Array.from(theta, Math.abs));
  expectRelative(gpu.gradInf, cpu.gradInf, TOLERANCE.gradInf, TOLERANCE.gradInfAbsolute * Math.max(1, thetaInf), `${what} gradient ∞-norm`);
  expect(gpu.layers.length).toBe(cpu.layers.length);
  cpu.layers.forEach((layer, l) => {
    expectSamePair(gpu.layers[l].cosine, layer.cosine, { relative: TOLERANCE.cosine, absolute: TOLERANCE.cosineAbsolute }, `${what} layer ${l} cosine`);
    expectSamePair(gpu.layers[l].l2, layer.l2, { relative: TOLERANCE.l2, absolute: 0 }, `${what} layer ${l} L2`);
  });
  expect(gpu.lanczosSteps).toBe(cpu.lanczosSteps);
  expect(gpu.powerIterations).toBe(cpu.powerIterations);
  expectRelative(gpu.lambdaMax, cpu.lambdaMax, TOLERANCE.lambdaMax, 0, `${what} λ_max`);
  expectRelative(gpu.lanczosLambdaMax, cpu.lanczosLambdaMax, TOLERANCE.lambdaMax, 0, `${what} Lanczos λ_max`);
  expectRelative(gpu.lambdaMin, cpu.lambdaMin, 0, TOLERANCE.lambdaMin * Math.abs(cpu.lambdaMax), `${what} λ_min`);
  if (cpu.parameters > FULL_SPECTRUM_MAX_PARAMETERS) {
    expect(cpu.hessianEigenvalues).toBeNull();
    expect(gpu.hessianEigenvalues).toBeNull();
    return;
  }
  expect(gpu.hessianEigenvalues).not.toBeNull();
  expect(gpu.hessianEigenvalues!.length).toBe(cpu.parameters);
  const scale = Math.max(...cpu.hessianEigenvalues!.map(Math.abs));
  cpu.hessianEigenvalues!.forEach((value, k) => expectRelative(gpu.hessianEigenvalues![k], value, 0, TOLERANCE.spectrum * scale, `${what} eigenvalue ${k}`));
}

// Each activation with biases on and off and both depths across the two (a pipeline compiles in
// ~10 s on SwiftShader, so not the full product): every activation, bias setting and depth appears,
// and every depth with either bias setting.
const variants: { activation: Activation; biases: boolean; hidden: number[] }[] = [
  { activation: 'softplus', biases: true, hidden: [3] },
  { activation: 'softplus', biases: false, hidden: [3, 2] },
  { activation: 'erf', biases: true, hidden: [3, 2] },
  { activation: 'erf', biases: false, hidden: [3] },
  { activation: 'relu', biases: true, hidden: [3] },
  { activation: 'relu', biases: false, hidden: [3, 2] },
  // P = 65 parameters: more than the workgroup's threads (several owned per thread, a smaller tile),
  // 120 pairs, and 65 Jacobi players (one sits out each round)
  { activation: 'softplus', biases: true, hidden: [16] },
  // P = 129: 65 Jacobi rotations a round, more than a thread's share when the tile is 64; 496 pairs
  { activation: 'erf', biases: true, hidden: [32] },
  // P = 325 > FULL_SPECTRUM_MAX_PARAMETERS: no full spectrum (the kernel without its Jacobi part), 3,240 pairs
  { activation: 'erf', biases: true, hidden: [81] },
];

describe.each(variants)('GPU diagnostics, $activation, biases $biases, hidden $hidden', ({ activation, biases, hidden }) => {
  it('agree with the float64 reference on random and near-channel networks', async () => {
    const arch: Architecture = { inputDim: 2, hidden, activation, biases };
    const data = [0, 1, 2].map((n) => float32Dataset(rosenbrockDataset(SAMPLES, 2, 30 + n)));
    const random = (n: number) => glorotNormal(arch, new RandomStream(11, n, STREAMS.init), 1.5);
    // slot 0: a random network; slot 1: a channel in the last hidden layer; slot 2: a channel in the
    // first hidden layer, the whole network scaled to 1% above the norm barrier
    const atBarrier = (theta: Float64Array) => theta.map((v) => v * Math.sqrt((1.01 * MAXNORM) / weightNorm(theta)));
    const thetas = [random(0), nearChannel(arch, random(1), hidden.length - 1), atBarrier(nearChannel(arch, random(2), 0))].map(float32);
    const options: EnsembleOptions = { arch, optimizer: { kind: 'gd', lr: 0.01 }, samples: SAMPLES, slots: 3, maxnorm: MAXNORM };
    if (hidden[0] >= 16) expect(planDiagnosticsKernel(arch, engine.gpu.limits).tile, 'several parameters per thread').toBeLessThan(parameterCount(arch));
    const runs: SlotRun[] = thetas.map((params, s) => ({ params, data: data[s], seed: 1, runIndex: s }));
    const [gpu, cpu] = await ensembleWithReference(engine, options, runs);
    try {
      const fromGpu = await expectNoGpuErrors(engine.gpu.device, () => gpu.diagnostics(undefined, SETTINGS));
      const fromCpu = await cpu.diagnostics(undefined, SETTINGS);
      expect(fromGpu.length).toBe(3);
      for (let s = 0; s < 3; s++) {
        const figures = agreement(fromGpu[s], fromCpu[s]);
        console.log(`${activation} b${biases ? 1 : 0} [${hidden}] slot ${s}: λmax ${fromCpu[s].lambdaMax.toExponential(3)} (rel ${figures.lambdaMax.toExponential(1)}), λmin ${fromCpu[s].lambdaMin.toExponential(3)} (/λmax ${figures.lambdaMin.toExponential(1)}), spectrum ${figures.spectrum.toExponential(1)}, cosine ${figures.cosine.toExponential(1)}, ∇∞ ${figures.gradInf.toExponential(1)}`);
        compareDiagnostics(fromGpu[s], fromCpu[s], thetas[s], `slot ${s}`);
      }
      // the near-channel pair is found, with opposite-sign outgoing weights summing to 300 (in the
      // wide layers some random pair of the 120 or 496 can be closer than the planted one)
      const channel = fromGpu[1].layers[hidden.length - 1].cosine!;
      if (hidden[hidden.length - 1] < 16) {
        expect([channel.i, channel.j]).toEqual([0, 1]);
        expect(channel.oppositeSigns).toBe(true);
        expect(channel.sumAbsOutgoing).toBeCloseTo(300, 3);
      }
      expect(fromGpu[1].barrier).toBe(0);
      expect(fromGpu[2].barrier).toBeGreaterThan(0);
      // a subset of slots, in the order asked
      const subset = await gpu.diagnostics([2, 0], SETTINGS);
      expect(subset[0].loss).toBe(fromGpu[2].loss);
      expect(subset[1].lambdaMin).toBe(fromGpu[0].lambdaMin);
    } finally {
      gpu.dispose();
    }
  });
});
