// The benchmark times only kernels that compute what the float64 CPU engine does on the workload's
// shape (benchmarks/bench-core.ts, verify.ts kernelDisagreement): a strategy whose kernel is off is a
// failed trial, never the one measured. No throughput is checked here: timing belongs in benchmarks/.
import { describe, expect, it } from 'vitest';
import { ensembleSizes, runBenchmark, type BenchResult } from '../../benchmarks/bench-core.js';
import { kernelDisagreement } from '../../src/engine/verify.js';
import { engineWithBrokenGradients, gpuEngineForSuite } from '../helpers/gpu.js';

const engine = await gpuEngineForSuite();

/** Register accumulation whose gradients come back 1% too large: a broken strategy. */
const brokenRegisterKernels = () => engineWithBrokenGradients(engine.gpu, (tuning) => tuning.accumulation === 'register');

describe('the benchmark checks each kernel against the CPU engine before timing it', () => {
  // (kernelDisagreement applies `channelscope verify`'s ENGINE_TOLERANCE, pinned in
  // tests/engine/verify-tolerances.test.ts; this shape's kernels measure 2.1e-6 at worst on SwiftShader)
  it('names a kernel that disagrees, and passes one that agrees', async () => {
    const arch = { inputDim: 8, hidden: [8], activation: 'softplus' as const, biases: true };
    expect(await kernelDisagreement(engine, arch, true)).toBeNull();
    const broken = brokenRegisterKernels().withTuning({ accumulation: 'register', tile: 16 });
    expect(await kernelDisagreement(broken, arch, false)).toMatch(/^gradient differs from the float64 CPU engine by 1\.0e-2 relative \(tolerance 0\.0002\)$/);
  });

  it('records a disagreeing strategy as a failed trial and measures with one that agrees', async () => {
    const trials: BenchResult[] = [];
    const broken = brokenRegisterKernels();
    const results = await runBenchmark(broken, { workloads: ['W1'], ops: ['grad'], strategies: ['register/16', 'tiled/16'], scale: 256, seconds: 0.05, onTrial: (trial) => trials.push(trial) });
    expect(trials.map((t) => [t.strategy, t.networkStepsPerSecond === null])).toEqual([
      ['register/16', true],
      ['tiled/16', false],
    ]);
    expect(trials[0].error).toMatch(/^not timed: gradient differs from the float64 CPU engine by 1\.0e-2 relative/);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ workload: 'W1', op: 'grad', strategy: 'tiled/16' });
    expect(results[0].networkStepsPerSecond).toBeGreaterThan(0);

    // pinned to the broken strategy alone: no throughput, the reason instead
    const [pinned] = await runBenchmark(broken, { workloads: ['W1'], ops: ['grad'], strategies: ['register/16'], scale: 256, seconds: 0.05 });
    expect(pinned.networkStepsPerSecond).toBeNull();
    expect(pinned.error).toMatch(/^not measured: gradient differs from the float64 CPU engine/);
  });
});

describe('a workload larger than one ensemble the device holds', () => {
  it('is split into as few ensembles as fit, as equal as can be', () => {
    expect(ensembleSizes(16_384, 6_428)).toEqual([5_462, 5_461, 5_461]);
    expect(ensembleSizes(64, 64)).toEqual([64]);
    expect(ensembleSizes(64, 1e9)).toEqual([64]);
    expect(ensembleSizes(10, 3)).toEqual([3, 3, 2, 2]);
    expect(() => ensembleSizes(10, 0)).toThrow(/not one network's buffers fit/);
  });

  it('measures with several ensembles advanced together (stiff steps on a device that holds 3 networks)', async () => {
    // as the stiff solver's P×P matrices of W2's 16,384 networks exceed a 2 GiB binding on an H100
    const holdsFew = Object.assign(Object.create(engine) as typeof engine, { maxSlots: () => 3 });
    const [split] = await runBenchmark(holdsFew, { workloads: ['W1'], ops: ['stiff'], scale: 512, seconds: 0.05 });
    expect(split).toMatchObject({ workload: 'W1', op: 'stiff', B: 8 });
    expect(split.error).toBeNull();
    expect(split.mode).toMatch(/, 3 ensembles of ≤ 3 networks \(the device's binding limit\)$/);
    expect(split.networkStepsPerSecond).toBeGreaterThan(0);
  });
});
