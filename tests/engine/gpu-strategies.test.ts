// The kernels' other strategies (kernel-strategy.ts) against the float64 CPU engine: accumulation
// `register` (per-thread sums of every parameter, one workgroup reduction per pass) and `blocked`
// (register-blocked tile sums), several samples per thread, the forward pass with hoisted inputs,
// and workgroup reductions by subgroup operations. Evaluations (loss, gradient, HVP) for each on its own and in combination, then two
// combinations on every other kernel that sums gradients: the optimisers, Dormand–Prince, ROS34PW2
// (closed-form Hessian and, for two hidden layers, Hessian columns from HVP passes) and the
// diagnostics. Small tiles and N > ACC_BLOCK·tile so that several blocks and a partial last
// tile are summed. Tolerances (relative to each network's largest entry), each measured on
// SwiftShader × about 10:
//   evaluations (barrier active): loss, gradient and HVP 3e-6, measured 2.9e-7, 3.0e-7 and 3.5e-7
//     at worst over every strategy here; against the default kernel (summation order alone) 2e-6,
//     measured 2.4e-7;
//   100 optimiser steps: θ 1e-4, measured 9.7e-6 (Adam: its step m̂/√v̂ is of unit size even where
//     the gradient is small, so small entries' relative errors move θ as much as large ones') and
//     ≤ 5.9e-7 for GD, momentum and SGD; the loss 5e-5, measured 4.7e-6 (Adam) and ≤ 1.5e-7;
//   flow endpoints at T = 2 (rtol 1e-5): θ 1e-5, measured 1.6e-6 (dopri5 slot 1, whose float32
//     controller took 21 steps to float64's 20) and ≤ 4.1e-7 otherwise; loss 1e-6, measured 1.8e-7;
//     steps within 2, measured 1 apart or equal;
//   diagnostics against the default kernel (summation order alone): ‖∇L‖∞, λmax (power iteration)
//     and the full spectrum 2e-6, measured 1.2e-7, 1.1e-7 and 1.8e-7; the closest pairs' cosines
//     equal (measured: the same bits).
// A device without the 'subgroups' feature skips (and reports) the subgroup strategy's tests.
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../src/engine/cpu/cpu-engine.js';
import { GpuEngine } from '../../src/engine/gpu/gpu-engine.js';
import { parameterBlocks, planEvaluateKernel, planTrainKernel } from '../../src/engine/gpu/mlp-kernels.js';
import { formatStrategy, REGISTER_ACCUMULATION_BLOCK, REGISTER_MAX_PARAMETERS, parseStrategy, resolveStrategy } from '../../src/engine/gpu/kernel-strategy.js';
import type { EnsembleOptions, SlotRun } from '../../src/engine/training.js';
import { allVariants, compare, compareWithCpu, makeVariantCase, variantName } from '../../src/engine/verify.js';
import { parameterCount, parameterLayout, type Architecture } from '../../src/model/architecture.js';
import { glorotNormal } from '../../src/model/init.js';
import { rosenbrockDataset } from '../../src/data/inputs.js';
import { RandomStream, STREAMS } from '../../src/numerics/rng.js';
import type { OptimizerConfig } from '../../src/optim/optimizers.js';
import { ensembleWithReference, expectNoGpuErrors, gpuEngineForSuite } from '../helpers/gpu.js';

const tiled = await gpuEngineForSuite();
const TILE = 8;
const register = tiled.withTuning({ accumulation: 'register', tile: TILE });
const hoisted = tiled.withTuning({ tile: TILE, hoistInputs: true, subgroups: false });
const blocked = tiled.withTuning({ accumulation: 'blocked', tile: TILE });
// three samples per thread: tiles of 24 samples, the last one partial
const threeSamples = tiled.withTuning({ tile: TILE, samplesPerThread: 3 });
const registerHoisted = tiled.withTuning({ accumulation: 'register', tile: TILE, samplesPerThread: 2, hoistInputs: true, subgroups: false });
const blockedThreeSamples = tiled.withTuning({ accumulation: 'blocked', tile: TILE, samplesPerThread: 3 });
// SwiftShader has the 'subgroups' feature; a device without it refuses the strategy (tested below),
// and the tests of the strategy are skipped there, as reported skips
const NO_SUBGROUPS = !tiled.gpu.hasSubgroups;
// (on such a device a stand-in that those skipped tests never use)
const subgroupReductions = NO_SUBGROUPS ? tiled : tiled.withTuning({ accumulation: 'blocked', tile: TILE, subgroups: true });
const trainingEngines = [
  ['register accumulation, 2 samples per thread, hoisted inputs', registerHoisted, false],
  ['blocked accumulation, 3 samples per thread', blockedThreeSamples, false],
  ['blocked accumulation, subgroup reductions', subgroupReductions, true],
] as const;
const cpu = new CpuEngine();
// 13 tiles of 8: one full block of ACC_BLOCK tiles, a second partial one, a partial last tile
const SAMPLES = 100;
const EVALUATION = { loss: 3e-6, gradient: 3e-6, hvp: 3e-6, againstDefault: 2e-6 };
const FLOW = { params: 1e-5, loss: 1e-6, steps: 2 };
const TRAINING = { params: 1e-4, loss: 5e-5 };
const DIAGNOSTICS_AGAINST_DEFAULT = 2e-6;

describe.each([
  ['register accumulation', register, false],
  ['hoisted inputs', hoisted, false],
  ['blocked accumulation', blocked, false],
  ['3 samples per thread', threeSamples, false],
  ['register accumulation, 2 samples per thread, hoisted inputs', registerHoisted, false],
  ['blocked accumulation, subgroup reductions', subgroupReductions, true],
] as const)('%s: evaluation', (_, engine, subgroups) => {
  it('sums over several blocks and a partial tile', () => {
    expect(SAMPLES / TILE).toBeGreaterThan(REGISTER_ACCUMULATION_BLOCK);
    expect(SAMPLES % TILE).not.toBe(0);
  });

  // every depth and bias setting on softplus, every activation on one hidden layer with biases: the
  // register path differs from the tiled one in the sums, not in the activations
  const variants = allVariants().filter((a) => a.activation === 'softplus' || (a.biases && a.hidden.length === 1));
  for (const arch of variants) {
    it.skipIf(subgroups && NO_SUBGROUPS)(`${variantName(arch)}: loss, gradient and HVP match the CPU engine and the default kernel`, async () => {
      const c = makeVariantCase(arch, 13, SAMPLES);
      const maxnorm = c.barrierMaxnorm;
      const { errors } = await expectNoGpuErrors(tiled.gpu.device, () => compareWithCpu(engine, cpu, c, maxnorm));
      expect(errors.loss.maxRel).toBeLessThanOrEqual(EVALUATION.loss);
      expect(errors.gradient.maxRel).toBeLessThanOrEqual(EVALUATION.gradient);
      expect(errors.hvp.maxRel).toBeLessThanOrEqual(EVALUATION.hvp);
      const request = { arch, data: c.data, params: c.params, directions: c.directions, gradient: true, maxnorm };
      const [a, b] = [await engine.evaluate(request), await tiled.evaluate(request)];
      expect(compare(a.gradient!, b.gradient!, EVALUATION.againstDefault).maxRel, 'gradient, against the default kernel').toBeLessThanOrEqual(EVALUATION.againstDefault);
      expect(compare(a.hvp!, b.hvp!, EVALUATION.againstDefault).maxRel, 'HVP, against the default kernel').toBeLessThanOrEqual(EVALUATION.againstDefault);
    });
  }
});

describe('every strategy on W1\'s network (d = 8, r = 8: several parameters and blocks per thread)', () => {
  const network: Architecture = { inputDim: 8, hidden: [8], activation: 'softplus', biases: true };
  const c = makeVariantCase(network, 17, SAMPLES);
  it.for(['register/8', 'register/8x2+hoist', 'blocked/8', 'blocked/8x3+hoist', 'tiled/8x4+hoist', 'tiled/64+subgroups'])('%s matches the CPU engine', async (text, context) => {
    const strategy = parseStrategy(text);
    if (strategy.subgroups && NO_SUBGROUPS) context.skip('the device has no subgroups');
    if (strategy.tile < 64) expect(parameterBlocks([8, 8, 1], true).length).toBeGreaterThan(strategy.tile);
    const { errors } = await expectNoGpuErrors(tiled.gpu.device, () => compareWithCpu(tiled.withTuning(strategy), cpu, c, c.barrierMaxnorm));
    expect(errors.loss.maxRel).toBeLessThanOrEqual(EVALUATION.loss);
    expect(errors.gradient.maxRel).toBeLessThanOrEqual(EVALUATION.gradient);
    expect(errors.hvp.maxRel).toBeLessThanOrEqual(EVALUATION.hvp);
  });
});

const arch: Architecture = { inputDim: 2, hidden: [4], activation: 'softplus', biases: true };
const deep: Architecture = { inputDim: 2, hidden: [3, 3], activation: 'softplus', biases: true };
const SLOTS = 3;

function runs(network: Architecture): SlotRun[] {
  return Array.from({ length: SLOTS }, (_, n) => ({
    params: glorotNormal(network, new RandomStream(5, n, STREAMS.init), 1.5),
    data: rosenbrockDataset(SAMPLES, 2, 30 + n),
    seed: 5,
    runIndex: n,
  }));
}

const loaded = (engine: GpuEngine, options: EnsembleOptions) => ensembleWithReference(engine, options, runs(options.arch));

const optimizers: OptimizerConfig[] = [
  { kind: 'gd', lr: 0.05 },
  { kind: 'momentum', lr: 0.02, beta: 0.9 },
  { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  { kind: 'sgd', lr: 0.05, batch: 24 },
];

describe.each(trainingEngines.flatMap(([name, engine, subgroups]) => optimizers.map((optimizer) => ({ name, engine, subgroups, optimizer }))))('$name: $optimizer.kind', ({ engine, subgroups, optimizer }) => {
  it.skipIf(subgroups && NO_SUBGROUPS)('follows the CPU trajectory for 100 steps', async () => {
    const [gpu, reference] = await loaded(engine, { arch, optimizer, samples: SAMPLES, slots: SLOTS, maxnorm: 1e3 });
    try {
      await gpu.advance(100);
      await reference.advance(100);
      const [gs, cs] = [await gpu.status(), await reference.status()];
      for (let s = 0; s < SLOTS; s++) {
        expect(gs[s].steps).toBe(100);
        const params = compare(await gpu.parameters(s), await reference.parameters(s), TRAINING.params);
        expect(params.maxRel, `slot ${s} parameters`).toBeLessThanOrEqual(TRAINING.params);
        expect(Math.abs(gs[s].loss - cs[s].loss) / cs[s].loss, `slot ${s} loss`).toBeLessThanOrEqual(TRAINING.loss);
      }
    } finally {
      gpu.dispose();
    }
  });
});

describe.each(trainingEngines)('%s: gradient flow', (_, engine, subgroups) => {
  const flows: [string, Architecture, OptimizerConfig, GpuEngine][] = [
    ['dopri5', arch, { kind: 'flow', solver: 'dopri5', rtol: 1e-5, atol: 1e-7 }, engine],
    ['ros34pw2, closed-form Hessian', arch, { kind: 'flow', solver: 'ros34pw2', rtol: 1e-5, atol: 1e-7 }, engine],
    // in float32 (deep networks of smooth activations run in double-float, with passes of their own
    // in mlp_double_float.wgsl, outside the core's strategies): on the last engine only, whose
    // HVP passes sum as the evaluation tests above check for every strategy (SwiftShader spends ~7 s
    // compiling each engine's)
    ...(engine === trainingEngines.at(-1)![1]
      ? [['ros34pw2, Hessian from HVP passes (two hidden layers, float32)', deep, { kind: 'flow', solver: 'ros34pw2', rtol: 1e-5, atol: 1e-7 }, engine.withoutDoubleFloat()] as [string, Architecture, OptimizerConfig, GpuEngine]]
      : []),
  ];
  for (const [name, network, optimizer, flowEngine] of flows) {
    it.skipIf(subgroups && NO_SUBGROUPS)(`${name} reaches the CPU integrator's point at T = 2`, async () => {
      const [gpu, reference] = await loaded(flowEngine, { arch: network, optimizer, samples: SAMPLES, slots: SLOTS, maxnorm: 1e3 });
      try {
        await gpu.advance(10_000, 2);
        await reference.advance(10_000, 2);
        const [gs, cs] = [await gpu.status(), await reference.status()];
        for (let s = 0; s < SLOTS; s++) {
          expect(gs[s].time).toBeCloseTo(2, 5);
          const params = compare(await gpu.parameters(s), await reference.parameters(s), FLOW.params);
          expect(params.maxRel, `slot ${s} θ(2)`).toBeLessThanOrEqual(FLOW.params);
          expect(Math.abs(gs[s].loss - cs[s].loss) / cs[s].loss, `slot ${s} loss(2)`).toBeLessThanOrEqual(FLOW.loss);
          expect(Math.abs(gs[s].steps - cs[s].steps), `slot ${s} steps to 2: GPU ${gs[s].steps}, CPU ${cs[s].steps}`).toBeLessThanOrEqual(FLOW.steps);
        }
      } finally {
        gpu.dispose();
      }
    });
  }
});

describe.each(trainingEngines)('%s: diagnostics', (_, engine, subgroups) => {
  it.skipIf(subgroups && NO_SUBGROUPS)('match the default kernel on the same networks', async () => {
    const options: EnsembleOptions = { arch, optimizer: { kind: 'gd', lr: 0.05 }, samples: SAMPLES, slots: SLOTS, maxnorm: 1e3 };
    const [a] = await loaded(engine, options);
    const [b] = await loaded(tiled, options);
    try {
      const slots = [0, 1, 2];
      const [da, db] = [await a.diagnostics(slots), await b.diagnostics(slots)];
      for (const s of slots) {
        expect(Math.abs(da[s].gradInf / db[s].gradInf - 1), `slot ${s} ‖∇L‖∞`).toBeLessThanOrEqual(DIAGNOSTICS_AGAINST_DEFAULT);
        expect(da[s].layers[0].cosine).toEqual(db[s].layers[0].cosine);
        expect(Math.abs(da[s].lambdaMax / db[s].lambdaMax - 1), `slot ${s} λmax`).toBeLessThanOrEqual(DIAGNOSTICS_AGAINST_DEFAULT);
        const spectra = compare(Float64Array.from(da[s].hessianEigenvalues!), Float64Array.from(db[s].hessianEigenvalues!), DIAGNOSTICS_AGAINST_DEFAULT);
        expect(spectra.maxRel, `slot ${s} spectrum`).toBeLessThanOrEqual(DIAGNOSTICS_AGAINST_DEFAULT);
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

describe('kernel strategy choice', () => {
  it('blocks cover every parameter exactly once', () => {
    for (const network of [arch, deep, { ...deep, biases: false }, { inputDim: 5, hidden: [7, 3], activation: 'tanh', biases: true } as Architecture]) {
      const widths = [network.inputDim, ...network.hidden, 1];
      const layout = parameterLayout(network);
      const seen: number[] = [];
      for (const [l, j0, i0, extent] of parameterBlocks(widths, network.biases)) {
        const layer = layout.layers[l - 1];
        const fanIn = widths[l - 1];
        for (let j = j0; j < j0 + (extent & 0xffff); j++) {
          for (let i = i0; i < i0 + (extent >> 16); i++) seen.push(i < fanIn ? layer.weightOffset + j * fanIn + i : layer.biasOffset + j);
        }
      }
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: layout.count }, (_, p) => p));
    }
  });

  it('is recorded in the plan, with the tile shrunk to fit workgroup memory', () => {
    const limits = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256 };
    const plan = planEvaluateKernel(arch, true, limits, { accumulation: 'register', tile: 256 });
    expect(plan.strategy.accumulation).toBe('register');
    expect(plan.strategy.hoistInputs).toBe(false);
    expect(plan.program.definitions!.REGISTER_ACCUMULATE).toBe(true);
    expect(plan.tile).toBeLessThanOrEqual(256);
    expect(plan.workgroupBytes).toBeLessThanOrEqual(16384);
    const small = planTrainKernel(arch, { kind: 'gd', lr: 0.1 }, { ...limits, maxComputeWorkgroupStorageSize: 2048 }, { tile: 256 });
    expect(small.tile).toBeLessThan(256);
    expect(small.strategy).toEqual({ accumulation: 'tiled', tile: small.tile, samplesPerThread: 1, hoistInputs: false, subgroups: false });
    expect(planEvaluateKernel(arch, false, limits).strategy).toEqual({ accumulation: 'tiled', tile: 64, samplesPerThread: 1, hoistInputs: false, subgroups: false });
    // four samples per thread need four rows each: a smaller tile in the same memory
    const four = planTrainKernel(arch, { kind: 'gd', lr: 0.1 }, { ...limits, maxComputeWorkgroupStorageSize: 2048 }, { tile: 256, samplesPerThread: 4 });
    expect(four.tile).toBeLessThan(small.tile);
    expect(four.workgroupBytes).toBeLessThanOrEqual(2048);
  });

  it('refuses what the kernels cannot do, naming the problem', () => {
    const wide: Architecture = { inputDim: 16, hidden: [16], activation: 'softplus', biases: true };
    expect(parameterCount(wide)).toBeGreaterThan(REGISTER_MAX_PARAMETERS);
    expect(() => resolveStrategy(parameterCount(wide), { accumulation: 'register' })).toThrow(/at most 128 parameters.*has 289/);
    expect(() => resolveStrategy(17, { tile: 48 })).toThrow(/power of two, got 48/);
    expect(() => parseStrategy('shared/64')).toThrow(/unknown kernel strategy shared\/64/);
    expect(() => parseStrategy('tiled/64/2')).toThrow(/unknown kernel strategy tiled\/64\/2/);
    expect(() => parseStrategy('tiled/64x9')).toThrow(/samples per thread must be an integer from 1 to 8, got 9/);
    expect(parseStrategy('register/128')).toEqual({ accumulation: 'register', tile: 128, samplesPerThread: 1, hoistInputs: false, subgroups: false });
    expect(parseStrategy('tiled+hoist')).toEqual({ accumulation: 'tiled', tile: 64, samplesPerThread: 1, hoistInputs: true, subgroups: false });
    expect(parseStrategy('blocked/32x4')).toEqual({ accumulation: 'blocked', tile: 32, samplesPerThread: 4, hoistInputs: false, subgroups: false });
    for (const text of ['register/32+hoist', 'blocked/64x4+hoist', 'tiled/128', 'tiled/64x2+hoist+subgroups']) expect(formatStrategy(parseStrategy(text))).toBe(text);
    expect(parseStrategy('register+subgroups').subgroups).toBe(true);
    const withoutSubgroups = { ...tiled.gpu, hasSubgroups: false };
    expect(() => new GpuEngine(withoutSubgroups, { subgroups: true })).toThrow(/lacks the 'subgroups' feature/);
  });
});
