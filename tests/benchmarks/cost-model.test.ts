// The benchmark's cost model (benchmarks/cost-model.ts) and GPU timing by timestamp queries
// (src/gpu/pass-timer.ts). No throughput is asserted: only counts, shares and that GPU time is
// measured, positive and within the wall time around it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { peaksFor, stepCost, utilisation } from '../../benchmarks/cost-model.js';
import { parseStrategy } from '../../src/engine/gpu/kernel-strategy.js';
import { closedHessianTasks } from '../../src/engine/gpu/mlp-kernels.js';
import { WORKLOADS, workloadArchitecture } from '../../benchmarks/workloads.js';
import { scriptCommand } from '../helpers/cli.js';
import { parameterCount } from '../../src/model/architecture.js';
import { GpuEnsemble } from '../../src/engine/gpu/gpu-ensemble.js';
import { glorotNormal } from '../../src/model/init.js';
import { rosenbrockDataset } from '../../src/data/inputs.js';
import { RandomStream, STREAMS } from '../../src/numerics/rng.js';
import { gpuEngineForSuite } from '../helpers/gpu.js';

const W1 = WORKLOADS.find((w) => w.name === 'W1')!;
const W4 = WORKLOADS.find((w) => w.name === 'W4')!;

describe('cost model', () => {
  it('counts the gradient pass by hand for W1 and orders the operations by work', () => {
    expect(parameterCount(workloadArchitecture(W1))).toBe(81); // 8·8 + 8 + 8 + 1
    // per sample 4rd + 8r + 4 flops = 256 + 64 + 4, 2r transcendentals, d + 1 floats read
    // workgroup loads per sample, tiled: forward r(1 + 2d) + 1 + 2r = 153, backward 3r = 24,
    // accumulate P + rd + r = 153
    expect(stepCost(W1, 'grad')).toEqual({ flops: 1024 * 324, transcendentals: 1024 * 16, bytes: 1024 * 36, workgroupLoads: 1024 * 330 });
    const cost = (op: string) => stepCost(W4, op).flops;
    expect(cost('hvp')).toBeGreaterThan(cost('grad'));
    expect(cost('adam')).toBeGreaterThan(cost('gd'));
    expect(cost('sgd')).toBeLessThan(cost('gd') / 100); // 16 samples of 10,000
    expect(cost('stiff')).toBeGreaterThan(3 * cost('grad')); // a Hessian and two gradients
    expect(() => stepCost(W4, 'nonsense')).toThrow(/no cost model/);
  });

  it('counts workgroup-memory loads per strategy by hand for W1', () => {
    const perSample = (text: string, op = 'grad') => stepCost(W1, op, parseStrategy(text)).workgroupLoads! / 1024;
    // register: per neuron its δ and per weight its input, 9 + 72 = 81 instead of 153
    expect(perSample('register')).toBe(153 + 24 + 81);
    // blocked 2 × 4: 4 × 3 blocks in the hidden layer (9 columns: 4, 4, 1) and 3 for the output, 6 loads each
    expect(perSample('blocked')).toBe(153 + 24 + 15 * 6);
    // hoisting: the forward reads the 8 inputs once, then 8 × (1 + 8) weights and biases
    expect(perSample('tiled+hoist')).toBe(8 + 72 + 17 + 24 + 153);
    // four samples per thread: the 81 weights and the 8 output weights of the backward pass serve four samples
    expect(perSample('tiled/64x4')).toBe(81 / 4 + 64 + 8 + 8 / 4 + 16 + 153);
    for (const strategy of ['tiled', 'register', 'blocked', 'tiled+hoist']) expect(perSample(strategy, 'hvp')).toBeGreaterThan(perSample(strategy));
  });

  it('knows the H100 variants and names the resource nearest its peak', () => {
    expect(peaksFor('NVIDIA H100 PCIe')?.name).toBe('H100 PCIe');
    expect(peaksFor('NVIDIA H100 80GB HBM3')?.name).toBe('H100');
    expect(peaksFor('SwiftShader Device (Subzero)')).toBeNull();
    const peaks = peaksFor('H100')!;
    const arithmetic = utilisation({ flops: 1e6, transcendentals: 0, bytes: 0 }, 0.5 * peaks.flops / 1e6, peaks, false);
    expect(arithmetic.flopsShare).toBeCloseTo(0.5, 10);
    expect(arithmetic.bound).toBe('float32 arithmetic');
    const memory = utilisation({ flops: 1, transcendentals: 0, bytes: 1e6 }, 0.4 * peaks.memory / 1e6, peaks, true);
    expect(memory.bound).toBe('device memory');
    const loads = utilisation({ flops: 1, transcendentals: 0, bytes: 0, workgroupLoads: 1e6 }, 0.6 * peaks.workgroupLoads / 1e6, peaks, false);
    expect(loads.workgroupLoadShare).toBeCloseTo(0.6, 10);
    expect(loads.bound).toBe('workgroup-memory loads');
    expect(utilisation({ flops: 1, transcendentals: 1, bytes: 1 }, 1, peaks, false).bound).toBe('latency/synchronisation');
  });
});

describe('the stiff Hessian\'s 4 × 4 tasks (closedHessianTasks)', () => {
  // (padding rounds each group pair's rows up to blocks of 4: small networks pay most, d = 1, r = 2
  // 3.4 times its P(P + 1)/2 entries, 1.96·P²; the bound is twice the full matrix)
  it('cover the upper triangle with fewer than twice the full matrix\'s P² entries, padding included', () => {
    for (const [d, r] of [[2, 4], [2, 8], [8, 8], [16, 16], [7, 10], [1, 2]]) {
      const arch = { inputDim: d, hidden: [r], activation: 'softplus' as const, biases: true };
      const P = parameterCount(arch);
      const entries = closedHessianTasks(arch).tasks * 16;
      expect(entries, `d = ${d}, r = ${r}`).toBeGreaterThanOrEqual((P * (P + 1)) / 2);
      expect(entries, `d = ${d}, r = ${r}`).toBeLessThan(2 * P * P);
    }
  });
});

describe('benchmarks/ceilings.ts', () => {
  it('prints the per-strategy ceilings of every shared-data workload, register strategies only where P ≤ 128', async () => {
    const [command, ...entry] = scriptCommand('benchmarks/ceilings.ts');
    const { stdout } = await promisify(execFile)(command, [...entry, '--json'], { timeout: 60_000 });
    const table = JSON.parse(stdout) as { device: string; rows: { workload: string; op: string; workgroupLoads: Record<string, number | null> }[] };
    expect(table.device).toBe('H100');
    expect(table.rows.map((r) => `${r.workload} ${r.op}`)).toEqual(['W1', 'W2', 'W3', 'W4'].flatMap((w) => [`${w} grad`, `${w} hvp`, `${w} stiff`]));
    const w2 = table.rows.find((r) => r.workload === 'W2')!;
    expect(w2.workgroupLoads.register).toBeNull(); // P = 289
    expect(w2.workgroupLoads['blocked/64x4+hoist']).toBeGreaterThan(w2.workgroupLoads.tiled!);
  });
});

describe('GPU time by timestamp queries', async () => {
  const engine = await gpuEngineForSuite();
  // (SwiftShader has timestamp queries; a device without them skips these tests, as reported skips)
  const timestamps = engine.gpu.hasTimestamps;
  it.skipIf(!timestamps)('sums the GPU time of advance() passes: positive, and accumulating', async () => {
    const arch = { inputDim: 2, hidden: [3], activation: 'softplus' as const, biases: true };
    const data = rosenbrockDataset(64, 2, 3);
    const ensemble = await engine.createEnsemble({ arch, optimizer: { kind: 'gd', lr: 0.05 }, samples: 64, slots: 4, maxnorm: 1e3, sharedData: data });
    try {
      expect(ensemble).toBeInstanceOf(GpuEnsemble);
      const gpu = ensemble as GpuEnsemble;
      for (let s = 0; s < 4; s++) await gpu.load(s, { params: glorotNormal(arch, new RandomStream(1, s, STREAMS.init)), data, seed: 1, runIndex: s });
      expect(gpu.gpuSeconds).toBeNull(); // not switched on
      expect(gpu.timeGpu()).toBe(true);
      await gpu.advance(200);
      const measured = gpu.gpuSeconds!;
      console.log(`200 GD steps × 4 networks: GPU ${(measured * 1e3).toFixed(2)} ms`);
      expect(measured).toBeGreaterThan(0);
      await gpu.advance(200);
      expect(gpu.gpuSeconds!).toBeGreaterThan(measured); // accumulates
    } finally {
      ensemble.dispose();
    }
  });

  it.skipIf(!timestamps)('times resident evaluations the same way', async () => {
    const arch = { inputDim: 2, hidden: [3], activation: 'softplus' as const, biases: true };
    const data = rosenbrockDataset(64, 2, 4);
    const resident = await engine.prepare({ arch, data, params: glorotNormal(arch, new RandomStream(2, 0, STREAMS.init)), gradient: true });
    try {
      expect(resident.gpuSeconds()).toBeNull(); // not switched on
      expect(resident.timeGpu()).toBe(true);
      await resident.run(20);
      const seconds = resident.gpuSeconds();
      expect(seconds!).toBeGreaterThan(0);
      await resident.run(20);
      expect(resident.gpuSeconds()!).toBeGreaterThan(seconds!);
    } finally {
      resident.destroy();
    }
  });

  it.skipIf(timestamps)('without timestamp queries, says so and measures nothing', async () => {
    const arch = { inputDim: 2, hidden: [3], activation: 'softplus' as const, biases: true };
    const data = rosenbrockDataset(64, 2, 4);
    const resident = await engine.prepare({ arch, data, params: glorotNormal(arch, new RandomStream(2, 0, STREAMS.init)), gradient: true });
    try {
      expect(resident.timeGpu()).toBe(false);
      await resident.run(20);
      expect(resident.gpuSeconds()).toBeNull();
    } finally {
      resident.destroy();
    }
  });
});
