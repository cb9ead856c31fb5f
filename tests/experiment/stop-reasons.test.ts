// Stiff gradient flow whose Hessian is not finite: the run stops with its own reason
// ('factorization-failed') at its last accepted point, and the other runs of the ensemble go on.
import { describe, expect, it, vi } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';

// datasets whose runs get a NaN Hessian (the field and the loss stay finite)
const poisoned = new Set<Dataset>();

vi.mock('../../src/engine/cpu/flow-field.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/engine/cpu/flow-field.js')>();
  return {
    ...original,
    networkFlowField(...args: Parameters<typeof original.networkFlowField>) {
      const field = original.networkFlowField(...args);
      if (!poisoned.has(args[1])) return field;
      return { ...field, hessian: (theta: Float64Array, out: Float64Array) => out.fill(NaN) };
    },
  };
});

const { CpuEngine } = await import('../../src/engine/cpu/cpu-engine.js');
const { runSweep } = await import('../../src/experiment/scheduler.js');
const { rosenbrockDataset } = await import('../../src/data/inputs.js');
const { glorotNormal } = await import('../../src/model/init.js');
const { RandomStream, STREAMS } = await import('../../src/data/rng.js');

describe('stop reasons of stiff gradient flow', () => {
  it('a Hessian that never factorises ends its run as factorization-failed, the others finish', async () => {
    const arch = { inputDim: 2, hidden: [3], activation: 'softplus' as const, biases: true };
    const config = {
      architecture: arch,
      optimizer: { kind: 'flow', solver: 'rosenbrock23', rtol: 1e-3, atol: 1e-6 },
      maxnorm: 1000,
      stop: { maxSteps: 40, gradTol: 0, checkEvery: 10 },
      trajectory: { points: 3 },
    };
    const runs = [0, 1, 2].map((k) => ({ id: `r${k}`, configIndex: 0, seed: k + 1, config }));
    const datasets = runs.map((run) => rosenbrockDataset(16, 2, run.seed));
    poisoned.add(datasets[1]);
    const records = new Map<string, { stopReason: string; steps: number; params: unknown; loss: number }>();
    await runSweep(runs, {
      engine: new CpuEngine(),
      slots: 3,
      samples: () => 16,
      prepare: (run) => ({ params: glorotNormal(arch, new RandomStream(run.seed, 0, STREAMS.init)), data: datasets[run.seed - 1] }),
      onRecord: (record) => void records.set(record.id, record),
    });
    expect(records.get('r1')!.stopReason).toBe('factorization-failed');
    expect(records.get('r1')!.steps).toBe(0);
    expect(Number.isFinite(records.get('r1')!.loss)).toBe(true); // frozen at its last accepted (here: initial) point
    expect(records.get('r0')!.stopReason).toBe('max-steps');
    expect(records.get('r2')!.stopReason).toBe('max-steps');
  });
});
