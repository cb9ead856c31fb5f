// GPU training steps against the float64 CPU ensemble, step by step for the first 100 steps.
// Tolerances (float32 vs float64, measured on SwiftShader): over steps 1–100 parameters within 2e-6
// relative to the largest |θ| of the network and the loss within 2e-6 relative (measured 6.7e-7 and
// 8.5e-7 at worst); after 150 more steps in one advance, parameters within 5e-6 (measured 1.8e-6).
// `channelscope verify` allows other devices 1e-4 and 1e-3 (KERNEL_TOLERANCE.discrete, discreteLong).
import { describe, expect, it } from 'vitest';
import { DISCRETE_OPTIMIZERS } from '../../src/engine/verify-kernels.js';
import { CpuEnsemble } from '../../src/engine/cpu/cpu-ensemble.js';
import { CpuEngine } from '../../src/engine/cpu/cpu-engine.js';
import type { SlotRun, TrainingEnsemble } from '../../src/engine/training.js';
import { parameterCount, type Architecture } from '../../src/model/architecture.js';
import { glorotNormal } from '../../src/model/init.js';
import { rosenbrockDataset } from '../../src/data/inputs.js';
import { RandomStream, STREAMS } from '../../src/numerics/rng.js';
import type { OptimizerConfig } from '../../src/optim/optimizers.js';
import { compare } from '../../src/engine/verify.js';
import { SLOT_WORDS, slotFloats, slotsThatFit, storageBindings } from '../../src/engine/gpu/gpu-ensemble.js';
import { closedHessianTasks, FULL_STIFF_PRECISION, hessianBlockSamples, NO_STIFF_STORAGE, stiffStorage } from '../../src/engine/gpu/mlp-kernels.js';
import { ensembleWithReference, gpuEngineForSuite } from '../helpers/gpu.js';

const engine = await gpuEngineForSuite();
const arch: Architecture = { inputDim: 2, hidden: [4], activation: 'softplus', biases: true };
const P = parameterCount(arch);
const SAMPLES = 40;
const SLOTS = 3;
// (SwiftShader's; `channelscope verify` checks any device with KERNEL_TOLERANCE, src/engine/verify-kernels.ts)
const TOLERANCE = { params: 2e-6, loss: 2e-6, afterLongAdvance: 5e-6 };

function runs(): SlotRun[] {
  return Array.from({ length: SLOTS }, (_, n) => ({
    params: glorotNormal(arch, new RandomStream(5, n, STREAMS.init), 1.5),
    data: rosenbrockDataset(SAMPLES, 2, 10 + n),
    seed: 5,
    runIndex: n,
  }));
}

async function both(optimizer: OptimizerConfig, maxnorm = 1e3, gpuEngine = engine): Promise<[TrainingEnsemble, CpuEnsemble]> {
  return ensembleWithReference(gpuEngine, { arch, optimizer, samples: SAMPLES, slots: SLOTS, maxnorm }, runs());
}


describe.each(DISCRETE_OPTIMIZERS)('GPU ensemble, %s', (_, optimizer) => {
  it('follows the CPU trajectory step by step for 100 steps', async () => {
    const [gpu, cpu] = await both(optimizer);
    try {
      for (let step = 1; step <= 100; step++) {
        await gpu.advance(1);
        await cpu.advance(1);
        if (step % 10 !== 0 && step > 3) continue;
        const [gs, cs] = [await gpu.status(), await cpu.status()];
        for (let s = 0; s < SLOTS; s++) {
          expect(gs[s].steps).toBe(step);
          expect(gs[s].finite).toBe(true);
          const params = compare(await gpu.parameters(s), await cpu.parameters(s), TOLERANCE.params);
          expect(params.maxRel, `slot ${s} parameters at step ${step}`).toBeLessThanOrEqual(TOLERANCE.params);
          expect(Math.abs(gs[s].loss - cs[s].loss) / cs[s].loss, `slot ${s} loss at step ${step}`).toBeLessThanOrEqual(TOLERANCE.loss);
          expect(Math.abs(gs[s].weightNorm - cs[s].weightNorm) / cs[s].weightNorm).toBeLessThanOrEqual(TOLERANCE.loss);
        }
      }
      // many steps per dispatch give the same result as single steps
      await gpu.advance(150);
      await cpu.advance(150);
      for (let s = 0; s < SLOTS; s++) {
        const params = compare(await gpu.parameters(s), await cpu.parameters(s), TOLERANCE.afterLongAdvance);
        expect(params.maxRel, `slot ${s} parameters after 150 steps in one advance`).toBeLessThanOrEqual(TOLERANCE.afterLongAdvance);
      }
      expect((await gpu.status())[1].steps).toBe(250);
    } finally {
      gpu.dispose();
    }
  });
});

describe('GPU ensemble bookkeeping', () => {
  it("caps the slots at what the device's storage bindings hold, per buffer (Engine.maxSlots)", () => {
    const deep: Architecture = { inputDim: 16, hidden: [4, 4, 4], activation: 'softplus', biases: true };
    const stiff = { kind: 'flow' as const, solver: 'ros34pw2' as const, rtol: 1e-3, atol: 1e-6 };
    // P = 113, N = 10⁴: the double-float sample cache of the Hessian's own dispatches (8 floats × 13
    // units × every sample) outweighs the run's inputs (16·10⁴ floats) and the Hessian halves (2·113²)
    const options = { arch: deep, optimizer: stiff, samples: 10_000, maxnorm: 1e3 };
    const doubleFloat = { doubleFloat: true, splitHessian: true, groupCoordinates: false };
    expect(stiffStorage(deep, FULL_STIFF_PRECISION)).toEqual(doubleFloat);
    expect(Math.max(...slotFloats(options, doubleFloat))).toBe(8 * 13 * 10_000);
    expect(slotsThatFit(slotFloats(options, doubleFloat), 2 ** 30)).toBe(Math.floor(2 ** 30 / (4 * 8 * 13 * 10_000)));
    // assembled inside the step kernel, the cache holds chunks of 1,024 samples: the inputs are the largest
    const inKernel = { ...doubleFloat, splitHessian: false };
    expect(Math.max(...slotFloats(options, inKernel))).toBe(160_000);
    const shared = { ...options, sharedData: rosenbrockDataset(10_000, 16, 1) };
    expect(Math.max(...slotFloats(shared, inKernel))).toBe(8 * 13 * 1024);
    expect(Math.max(...slotFloats(shared, NO_STIFF_STORAGE))).toBe(113 * 113);
    const limits = engine.gpu.device.limits;
    // (the engine's own precision: on SwiftShader the Hessian is assembled in the step kernel)
    expect(engine.maxSlots(options)).toBe(slotsThatFit(slotFloats(options, stiffStorage(deep, engine.precision)), Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize)));
    // gradient descent: parameters and the dataset only
    expect(Math.max(...slotFloats({ ...options, optimizer: { kind: 'gd', lr: 0.1 } }, doubleFloat))).toBe(160_000);
    // one hidden layer (d = 16, r = 16, P = 289): parameters, bookkeeping, f(θ), the Hessian, group
    // coordinates' state (a flag, 16 groups' firsts, θ and f(θ)) and one block of the closed form's
    // block sums (3,825 tasks of 16)
    const shallow: Architecture = { inputDim: 16, hidden: [16], activation: 'softplus', biases: true };
    const closed = stiffStorage(shallow, FULL_STIFF_PRECISION);
    expect(closed).toEqual({ doubleFloat: false, splitHessian: true, groupCoordinates: true });
    expect(slotFloats({ ...shared, arch: shallow }, closed)).toEqual([289, SLOT_WORDS, 289, 289 * 289, 289 * 289, 1 + 16 + 2 * 289, 16 * 3825]);
  });

  it('counts the storage buffers each kernel binds (the device allows maxStorageBuffersPerShaderStage)', () => {
    const stiff = { kind: 'flow' as const, solver: 'ros34pw2' as const, rtol: 1e-3, atol: 1e-6 };
    expect(storageBindings({ kind: 'gd', lr: 0.1 }, NO_STIFF_STORAGE)).toBe(5);
    expect(storageBindings({ kind: 'adam', lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, NO_STIFF_STORAGE)).toBe(6);
    expect(storageBindings({ ...stiff, solver: 'dopri5' }, NO_STIFF_STORAGE)).toBe(6);
    // one hidden layer in group coordinates: 9, and 10 for the closed form's Hessian dispatches
    const closed = { doubleFloat: false, splitHessian: true, groupCoordinates: true };
    expect(storageBindings(stiff, closed)).toBe(9);
    expect(storageBindings(stiff, closed, true)).toBe(10);
    // double-float: θ's low parts and the sample cache
    expect(storageBindings(stiff, { doubleFloat: true, splitHessian: true, groupCoordinates: false })).toBe(10);
    expect(engine.gpu.device.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(10);
  });

  it('refuses, naming the buffer, more slots than a per-slot buffer can hold', async () => {
    const shallow: Architecture = { inputDim: 16, hidden: [16], activation: 'softplus', biases: true };
    const options = { arch: shallow, optimizer: { kind: 'flow' as const, solver: 'ros34pw2' as const, rtol: 1e-3, atol: 1e-6 }, samples: 64, maxnorm: 1e3 };
    const fit = engine.maxSlots(options);
    // the Hessian (289² floats per slot) is the largest buffer: refused before anything is allocated
    await expect(engine.createEnsemble({ ...options, slots: fit + 1 })).rejects.toThrow(new RegExp(`${fit + 1} slots need \\d+ bytes for the Hessian \\(289² entries\\), above this device's storage binding limit .*; at most ${fit} slots fit`));
  });

  it("cuts the closed-form Hessian's samples into blocks that fill a large GPU, within the block sums' memory (hessianBlockSamples)", () => {
    const small: Architecture = { inputDim: 2, hidden: [4], activation: 'softplus', biases: true };
    const large: Architecture = { inputDim: 16, hidden: [16], activation: 'softplus', biases: true };
    const GiB = 2 ** 30;
    // a 60-network group at N = 10⁴, tiles of 64 samples: d = 2, r = 4 (22 tasks, one sweep) asks for
    // ⌈4096 / 60⌉ = 69 blocks and gets 53 whole-tile blocks of 192 samples
    expect(hessianBlockSamples(small, 10_000, 60, 1, 64, GiB)).toBe(192);
    // d = 16, r = 16: 30 sweeps, so 3 blocks of 53 tiles
    expect(closedHessianTasks(large).sweeps(64)).toBe(30);
    expect(hessianBlockSamples(large, 10_000, 60, 30, 64, GiB)).toBe(3392);
    // thousands of networks: one block of every sample (rounded up to whole tiles)
    expect(hessianBlockSamples(large, 10_000, 4096, 30, 64, GiB)).toBe(10_048);
    // the block sums' memory: a binding that holds 11 blocks' sums (60 slots × 22 tasks × 16 floats each) allows 11 blocks
    expect(Math.ceil(10_000 / hessianBlockSamples(small, 10_000, 60, 1, 64, 60 * 4 * 16 * 22 * 11))).toBe(11);
    // fewer samples than a tile: one block of one tile
    expect(hessianBlockSamples(small, 40, 3, 1, 64, GiB)).toBe(64);
  });

  it('refuses, like the CPU ensemble, a Hessian reuse the solver cannot take', async () => {
    const base = { arch, samples: SAMPLES, slots: SLOTS, maxnorm: Infinity };
    for (const [solver, message] of [['rodas4', /rodas4 needs the exact Hessian at every step/], ['dopri5', /dopri5 uses no Hessian/]] as const) {
      const options = { ...base, optimizer: { kind: 'flow' as const, solver, rtol: 1e-3, atol: 1e-6, hessianReuse: 4 } };
      await expect(engine.createEnsemble(options)).rejects.toThrow(message);
      expect(() => new CpuEnsemble(options)).toThrow(message);
    }
    const zero = { ...base, optimizer: { kind: 'flow' as const, solver: 'ros34pw2' as const, rtol: 1e-3, atol: 1e-6, hessianReuse: 0 } };
    expect(() => new CpuEnsemble(zero)).toThrow(/hessianReuse must be a positive integer, got 0/);
  });

  it('records a diverging run as non-finite while the others go on', async () => {
    const options = { arch, optimizer: { kind: 'gd' as const, lr: 0.05 }, samples: SAMPLES, slots: SLOTS, maxnorm: Infinity };
    const gpu = await engine.createEnsemble(options);
    try {
      const list = runs();
      // slot 1: output weights so large that the loss overflows float32 within a few steps
      list[1] = { ...list[1], params: list[1].params.map((v, k) => (k >= P - 5 ? 3e18 : v)) };
      for (let s = 0; s < SLOTS; s++) await gpu.load(s, list[s]);
      await gpu.advance(20);
      const status = await gpu.status();
      expect(status[1].finite).toBe(false);
      expect(status[1].steps).toBeLessThan(20);
      for (const s of [0, 2]) {
        expect(status[s].finite).toBe(true);
        expect(status[s].steps).toBe(20);
      }
      // the diverged slot kept finite parameters (its last finite point)
      expect((await gpu.parameters(1)).every(Number.isFinite)).toBe(true);
    } finally {
      gpu.dispose();
    }
  });

  it.each(['dopri5', 'ros34pw2'] as const)("%s: a fresh run whose float32 gradient overflows in an entry thread 0 does not own ends at once, as non-finite, with no step attempted", async (solver) => {
    // Input 1 is 1e30 on every sample, so ∂L/∂w_{j,1} ≈ 1e41 (past float32's 3.4e38) while the loss
    // (≈ 2e11) and every other entry stay finite. Those entries are p = 1, 3, 5, 7, which thread 0
    // does not own, and the kernels once decided on thread 0's flag alone.
    const samples = 40;
    const data = { inputDim: 2, samples, count: 1, x: Float64Array.from({ length: 2 * samples }, (_, k) => (k % 2 === 1 ? 1e30 : (k / 2) / samples - 0.5)), y: new Float64Array(samples) };
    const params = new Float64Array(P);
    for (let j = 0; j < 4; j++) {
      params.set([0.1, 1e-31], 2 * j);   // w_{j,0}, w_{j,1}
      params[8 + j] = Math.log(1e-22);   // b_j: softplus ≈ σ′ ≈ 1e-22
      params[12 + j] = 1e27;             // a_j
    }
    const evaluation = await new CpuEngine().evaluate({ arch, data, params, gradient: true, maxnorm: Infinity });
    const overflowing = [...evaluation.gradient!].flatMap((g, p) => (Math.abs(g) > 3.4e38 ? [p] : []));
    expect(overflowing, 'the gradient entries past float32').toEqual([1, 3, 5, 7]);
    expect(evaluation.loss[0]).toBeLessThan(1e30);
    const optimizer = { kind: 'flow' as const, solver, rtol: 1e-3, atol: 1e-6 };
    const gpu = await engine.createEnsemble({ arch, optimizer, samples, slots: 1, maxnorm: Infinity });
    try {
      await gpu.load(0, { params, data, seed: 1, runIndex: 0 });
      await gpu.advance(5);
      const [status] = await gpu.status();
      expect(status.finite).toBe(false);
      expect(status.steps).toBe(0);
      // (thread 0's flag alone let the run attempt a step from the infinite f(θ₀): 6 evaluations for
      // dopri5, 17 for ros34pw2's Hessian; the end-of-dispatch status then marked it non-finite)
      expect(status.evaluations, 'evaluations after f(θ₀)').toBe(0);
      // (float64 holds 1e41: the CPU engine trains on)
      const cpu = new CpuEnsemble({ arch, optimizer, samples, slots: 1, maxnorm: Infinity });
      await cpu.load(0, { params, data, seed: 1, runIndex: 0 });
      await cpu.advance(1);
      expect((await cpu.status())[0].finite).toBe(true);
    } finally {
      gpu.dispose();
    }
  });

  // momentum and Adam carry state of their own (velocity; moments and the step count of the bias
  // correction): a refilled slot must start with none of its previous run's
  it.each([
    { kind: 'gd', lr: 0.05 },
    { kind: 'momentum', lr: 0.02, beta: 0.9 },
    { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  ] as const)('skips released slots and reloads them fresh ($kind)', async (optimizer) => {
    const [gpu] = await both(optimizer);
    const fresh = await engine.createEnsemble({ arch, optimizer, samples: SAMPLES, slots: SLOTS, maxnorm: 1e3 });
    try {
      // slot 0 trains 4 steps first: a θ and an optimiser state of its own that the refill must drop
      await gpu.advance(4);
      gpu.release(0);
      const released = await gpu.parameters(0);
      await gpu.advance(5);
      let status = await gpu.status();
      expect(status[0].active).toBe(false);
      expect(status[0].steps).toBe(4);
      expect(status[1].steps).toBe(9);
      expect(await gpu.parameters(0), 'a released slot does not move').toEqual(released);
      await gpu.load(0, runs()[2]);
      await gpu.advance(3);
      status = await gpu.status();
      expect(status[0].steps).toBe(3);
      expect(status[2].steps).toBe(12);
      // slot 0 now holds run 2's start with a fresh optimiser state: bit for bit where run 2 is
      // after 3 steps in a fresh ensemble (the same kernel, the same roundings)
      await fresh.load(0, runs()[2]);
      await fresh.advance(3);
      expect((await fresh.status())[0].steps).toBe(3);
      expect(await gpu.parameters(0)).toEqual(await fresh.parameters(0));
    } finally {
      gpu.dispose();
      fresh.dispose();
    }
  });
});

describe('per-slot stops (advance stopAt)', () => {
  // one advance takes each slot to its own step count, across dispatch boundaries (70 > 64 steps
  // per dispatch) and submits (32 dispatches), on the GPU as on the CPU; a slot already at its stop
  // does not move; stiff flow with the Hessian in dispatches of its own, one step per dispatch.
  // Each slot's θ against the float64 CPU's, relative to its largest |θ|: GD at the same step; flow
  // at the GPU slot's own time (float32 step-size control picks slightly different steps, so k
  // accepted steps end at nearby times, up to 4% apart here: the CPU integrates to the GPU's time).
  // Measured on SwiftShader (slots at 10 or 5, 70 or 40, and 0 steps): GD 6.3e-8, 1.8e-7, 3.4e-8;
  // dopri5 1.1e-7, 2.9e-6 (t = 20, where the two step sequences' errors differ most), 3.4e-8;
  // ROS34PW2 4.3e-8, 2.1e-7, 3.4e-8 (3.4e-8: θ₀ rounded to float32). Tolerances ≈ 10× the worst of
  // each: GD and ROS34PW2 2e-6, dopri5 3e-5 (still 3× below rtol 1e-4, the local error allowed).
  it.each([
    ['gd', { kind: 'gd', lr: 0.05 } as const, 2e-6],
    ['flow', { kind: 'flow', solver: 'dopri5', rtol: 1e-4, atol: 1e-7 } as const, 3e-5],
    ["stiff flow, the Hessian's own dispatches", { kind: 'flow', solver: 'ros34pw2', rtol: 1e-4, atol: 1e-7 } as const, 2e-6],
  ])('%s: every slot stops at its own step count, as on the CPU', async (_, optimizer, tolerance) => {
    const [gpu, cpu] = await both(optimizer, 1e3, optimizer.kind === 'flow' && optimizer.solver === 'ros34pw2' ? engine.withHessianDispatches(true) : engine);
    try {
      // (stiff flow: across one submit boundary, 32 steps; SwiftShader is slow)
      const stiff = optimizer.kind === 'flow' && optimizer.solver === 'ros34pw2';
      const stopAt = stiff ? [5, 40, 0] : [10, 70, 0];
      await gpu.advance(100, undefined, stopAt);
      await cpu.advance(100, undefined, stopAt);
      const [gs, cs] = [await gpu.status(), await cpu.status()];
      expect(gs.map((s) => s.steps)).toEqual(stopAt);
      expect(cs.map((s) => s.steps)).toEqual(stopAt);
      if (optimizer.kind === 'flow') expect(gs[1].time).toBeGreaterThan(gs[0].time);
      for (let s = 0; s < SLOTS; s++) {
        let reference = await cpu.parameters(s);
        if (optimizer.kind === 'flow') {
          const alone = new CpuEnsemble({ arch, optimizer, samples: SAMPLES, slots: 1, maxnorm: 1e3 });
          await alone.load(0, runs()[s]);
          await alone.advance(10_000, gs[s].time);
          expect((await alone.status())[0].time).toBeCloseTo(gs[s].time, 10);
          reference = await alone.parameters(0);
        }
        expect(compare(await gpu.parameters(s), reference, tolerance).maxRel, `slot ${s} θ after ${stopAt[s]} steps`).toBeLessThanOrEqual(tolerance);
      }
      // a stopped slot assembled no Hessian: only its first f(θ) counted
      if (stiff) expect(gs[2].evaluations).toBe(cs[2].evaluations);
    } finally {
      gpu.dispose();
    }
  });
});

describe('GPU gradient flow (Dormand–Prince 5(4))', () => {
  // Endpoints at the same simulated time (rtol 1e-5), relative to the largest |θ|. Measured on
  // SwiftShader (T = 0.5 and 5, three slots): θ 1.5e-6 and loss 1.4e-7 at worst (slot 1 at T = 5,
  // where the float32 controller took 29 steps to float64's 31); otherwise the same steps and θ
  // within 2.8e-7. Tolerances: θ 1e-5 (≈ 7×), loss 1e-6 (7×), steps within 3 (the 2 measured + 1).
  // The first step size h₀ = 0.01·‖θ‖/‖f(θ)‖ (two float32 RMS norms over P = 17 parameters): measured
  // 1.6e-7 relative at worst (≈ 3u), held to 2e-6 (12×).
  // (`channelscope verify` allows other devices more: KERNEL_TOLERANCE.flow.)
  const FLOW = { params: 1e-5, loss: 1e-6, steps: 3, firstStep: 2e-6 };
  it('reaches the same point as the CPU integrator at a fixed simulated time', async () => {
    const optimizer = { kind: 'flow' as const, solver: 'dopri5' as const, rtol: 1e-5, atol: 1e-7 };
    const [gpu, cpu] = await both(optimizer);
    try {
      const initial = await gpu.status();
      const initialCpu = await cpu.status();
      for (let s = 0; s < SLOTS; s++) {
        expect(Math.abs(initial[s].stepSize / initialCpu[s].stepSize - 1), `slot ${s} first step size`).toBeLessThanOrEqual(FLOW.firstStep);
      }
      for (const T of [0.5, 5]) {
        await gpu.advance(10_000, T);
        await cpu.advance(10_000, T);
        const [gs, cs] = [await gpu.status(), await cpu.status()];
        for (let s = 0; s < SLOTS; s++) {
          expect(gs[s].time).toBeCloseTo(T, 5);
          expect(cs[s].time).toBeCloseTo(T, 10);
          expect(gs[s].finite).toBe(true);
          const params = compare(await gpu.parameters(s), await cpu.parameters(s), FLOW.params);
          expect(params.maxRel, `slot ${s} θ(${T})`).toBeLessThanOrEqual(FLOW.params);
          expect(Math.abs(gs[s].loss - cs[s].loss) / cs[s].loss, `slot ${s} loss(${T})`).toBeLessThanOrEqual(FLOW.loss);
          // a similar number of accepted steps (the controllers see nearly the same errors)
          expect(Math.abs(gs[s].steps - cs[s].steps), `slot ${s} steps to ${T}: GPU ${gs[s].steps}, CPU ${cs[s].steps}`).toBeLessThanOrEqual(FLOW.steps);
          expect(gs[s].evaluations).toBeGreaterThanOrEqual(6 * gs[s].steps);
        }
      }
      // the loss decreases along the flow
      const end = await cpu.status();
      for (let s = 0; s < SLOTS; s++) expect(end[s].loss).toBeLessThan(initialCpu[s].loss);
    } finally {
      gpu.dispose();
    }
  });
});

describe('GPU ensemble with one shared dataset', () => {
  it('trains exactly as with per-slot copies of that dataset', async () => {
    const data = rosenbrockDataset(SAMPLES, 2, 99);
    const list = runs().map((r) => ({ ...r, data }));
    for (const optimizer of [{ kind: 'adam' as const, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, { kind: 'flow' as const, solver: 'dopri5' as const, rtol: 1e-4, atol: 1e-6 }]) {
      const base = { arch, optimizer, samples: SAMPLES, slots: SLOTS, maxnorm: 1e3 };
      const shared = await engine.createEnsemble({ ...base, sharedData: data });
      const copies = await engine.createEnsemble(base);
      try {
        for (let s = 0; s < SLOTS; s++) {
          await shared.load(s, list[s]);
          await copies.load(s, list[s]);
        }
        await shared.advance(40);
        await copies.advance(40);
        for (let s = 0; s < SLOTS; s++) expect(await shared.parameters(s)).toEqual(await copies.parameters(s));
      } finally {
        shared.dispose();
        copies.dispose();
      }
    }
  });
});
