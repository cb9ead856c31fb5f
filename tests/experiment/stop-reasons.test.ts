// Stop reasons of stiff gradient flow. A run whose Hessian is not finite stops with its own reason
// ('factorization-failed') at its last accepted point, and the other runs of the ensemble go on.
// A run that accepts no step in one advance has not collapsed: its next event can be one step away,
// and that advance's attempt budget (4·steps + 16) a stiff stretch of rejections can use up at a
// healthy step size (measured on a rosenbrock23 run near the norm barrier). Only
// STALLED_CHUNK_LIMIT such advances in a row, or a step size below the collapse threshold, end a
// run as step-size-collapse; a scripted ensemble plays both cases.
import { describe, expect, it, vi } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import type { Engine } from '../../src/engine/engine.js';
import type { EnsembleOptions, SlotRun, SlotStatus, TrainingEnsemble } from '../../src/engine/training.js';

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
const { runSweep, STALLED_CHUNK_LIMIT } = await import('../../src/experiment/scheduler.js');
const { rosenbrockDataset } = await import('../../src/data/inputs.js');
const { glorotNormal } = await import('../../src/model/init.js');
const { RandomStream, STREAMS } = await import('../../src/numerics/rng.js');

/** The run of seed k + 1 accepts no step in its first stalls[k] advances (Infinity: never), then one step per requested step. */
function scriptedEngine(stalls: number[]): Engine {
  return {
    backend: 'cpu',
    description: 'scripted',
    evaluate: () => Promise.reject(new Error('not used')),
    dispose: () => {},
    async createEnsemble(options: EnsembleOptions): Promise<TrainingEnsemble> {
      const statuses: SlotStatus[] = [];
      const runs: number[] = [];
      const advances: number[] = [];
      return {
        backend: 'cpu',
        description: 'scripted',
        arithmetic: 'float64',
        slots: options.slots,
        options,
        async load(slot: number, run: SlotRun) {
          runs[slot] = run.seed - 1; // runs r0, r1, r2 have seeds 1, 2, 3
          advances[slot] = 0;
          statuses[slot] = { active: true, steps: 0, evaluations: 0, time: 0, loss: 1, barrier: 0, gradInf: 1, weightNorm: 1, finite: true, stepSize: 0.5 };
        },
        release() {},
        async advance(steps: number, _untilTime?: number, stopAt?: ArrayLike<number>) {
          statuses.forEach((status, slot) => {
            if (!status) return;
            const allowed = Math.min(steps, (stopAt?.[slot] ?? Infinity) - status.steps);
            advances[slot]++;
            status.evaluations += 2 * (4 * allowed + 16);
            if (advances[slot] <= stalls[runs[slot]]) return;
            status.steps += allowed;
            status.time += allowed * status.stepSize;
          });
        },
        status: async () => statuses.map((s) => ({ ...s })),
        parameters: async () => new Float64Array(13),
        allParameters: async () => new Float64Array(13 * options.slots),
        diagnostics: () => Promise.reject(new Error('not used')),
        dispose() {},
      };
    },
  };
}

const ARCH = { inputDim: 2, hidden: [3], activation: 'softplus' as const, biases: true };

/** A stiff gradient-flow run configuration without a convergence stop, checked every 10 steps. */
function stiffFlowConfig(maxSteps: number) {
  return {
    architecture: ARCH,
    optimizer: { kind: 'flow', solver: 'rosenbrock23', rtol: 1e-3, atol: 1e-6 },
    maxnorm: 1000,
    stop: { maxSteps, gradTol: 0, checkEvery: 10 },
    trajectory: { points: 3 },
  };
}

describe('stop reasons of stiff gradient flow', () => {
  it('a Hessian that never factorises ends its run as factorization-failed, the others finish', async () => {
    const config = stiffFlowConfig(40);
    const runs = [0, 1, 2].map((k) => ({ id: `r${k}`, configIndex: 0, seed: k + 1, config }));
    const datasets = runs.map((run) => rosenbrockDataset(16, 2, run.seed));
    poisoned.add(datasets[1]);
    const records = new Map<string, { stopReason: string; steps: number; params: unknown; loss: number }>();
    await runSweep(runs, {
      engine: new CpuEngine(),
      slots: 3,
      samples: () => 16,
      prepare: (run) => ({ params: glorotNormal(ARCH, new RandomStream(run.seed, 0, STREAMS.init)), data: datasets[run.seed - 1] }),
      onRecord: (record) => void records.set(record.id, record),
    });
    expect(records.get('r1')!.stopReason).toBe('factorization-failed');
    expect(records.get('r1')!.steps).toBe(0);
    expect(Number.isFinite(records.get('r1')!.loss)).toBe(true); // frozen at its last accepted (here: initial) point
    expect(records.get('r0')!.stopReason).toBe('max-steps');
    expect(records.get('r2')!.stopReason).toBe('max-steps');
  });

  it('ride out advances without an accepted step; only a run that never moves again is a step-size collapse', async () => {
    const config = stiffFlowConfig(30);
    const stalls = [STALLED_CHUNK_LIMIT - 1, Infinity, 0];
    const runs = stalls.map((_, k) => ({ id: `r${k}`, configIndex: 0, seed: k + 1, config }));
    const data = rosenbrockDataset(16, 2, 1);
    const records = new Map<string, { stopReason: string; steps: number }>();
    await runSweep(runs, {
      engine: scriptedEngine(stalls),
      slots: 3,
      samples: () => 16,
      prepare: () => ({ params: new Float64Array(13).fill(0.1), data }),
      diagnostics: null,
      onRecord: (record) => void records.set(record.id, record),
    });
    expect(records.get('r0')).toMatchObject({ stopReason: 'max-steps', steps: 30 }); // stalled 9 times, then went on
    expect(records.get('r1')).toMatchObject({ stopReason: 'step-size-collapse', steps: 0 }); // never moved
    expect(records.get('r2')).toMatchObject({ stopReason: 'max-steps', steps: 30 });
  });
});
