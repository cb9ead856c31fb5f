// The CPU ensemble on worker threads: every call gives what the single-threaded CpuEnsemble gives,
// bit for bit (a slot's arithmetic never depends on the thread that runs it or on the other slots),
// for discrete optimisers and stiff flow, with shared and per-run datasets (sent to a worker once,
// forgotten on release), through refills, and through the scheduler.
import { afterEach, describe, expect, it } from 'vitest';
import { CpuEnsemble } from '../../src/engine/cpu/cpu-ensemble.js';
import { CpuEngine } from '../../src/engine/cpu/cpu-engine.js';
import { threadedCpuEngine, ThreadedCpuEnsemble } from '../../src/engine/cpu/threaded-ensemble.js';
import type { EnsembleOptions, SlotRun, TrainingEnsemble } from '../../src/engine/training.js';
import { glorotNormal } from '../../src/model/init.js';
import { rosenbrockDataset } from '../../src/data/inputs.js';
import { RandomStream, STREAMS } from '../../src/numerics/rng.js';
import type { Architecture } from '../../src/model/architecture.js';
import { runSweep, type SchedulableRun } from '../../src/experiment/scheduler.js';
import type { RunRecord } from '../../src/experiment/results.js';

const ARCH: Architecture = { inputDim: 2, hidden: [3], activation: 'softplus', biases: true };
const SAMPLES = 40;

const run = (n: number, data = rosenbrockDataset(SAMPLES, 2, 100 + n)): SlotRun => ({
  params: glorotNormal(ARCH, new RandomStream(11, n, STREAMS.init), 2),
  data,
  seed: 5,
  runIndex: n,
});

const open: TrainingEnsemble[] = [];
afterEach(() => {
  for (const ensemble of open.splice(0)) ensemble.dispose();
});

function pair(options: EnsembleOptions, threads: number): [TrainingEnsemble, TrainingEnsemble] {
  const single = new CpuEnsemble(options);
  const threaded = new ThreadedCpuEnsemble(options, threads, 'CPU, float64');
  open.push(single, threaded);
  return [single, threaded];
}

/** Everything the two ensembles report, compared exactly. */
async function expectSame(a: TrainingEnsemble, b: TrainingEnsemble, slots: number[]): Promise<void> {
  expect(await b.status()).toEqual(await a.status());
  expect(await b.allParameters()).toEqual(await a.allParameters());
  for (const s of slots) expect(await b.parameters(s)).toEqual(await a.parameters(s));
  expect(await b.diagnostics(slots, { powerIterations: 20, lanczosSteps: 8 })).toEqual(await a.diagnostics(slots, { powerIterations: 20, lanczosSteps: 8 }));
}

describe('ThreadedCpuEnsemble', () => {
  it('matches CpuEnsemble exactly: Adam on SGD minibatches, per-run data, per-slot stops, a refill', async () => {
    const options: EnsembleOptions = { arch: ARCH, optimizer: { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, batch: 8 }, samples: SAMPLES, slots: 7, maxnorm: 10 };
    const [single, threaded] = pair(options, 3);
    expect((threaded as ThreadedCpuEnsemble).threads).toBe(3);
    for (let s = 0; s < 7; s++) {
      await single.load(s, run(s));
      await threaded.load(s, run(s));
    }
    const stopAt = [5, 40, 13, 40, 1, 40, 27];
    await single.advance(40, undefined, stopAt);
    await threaded.advance(40, undefined, stopAt);
    expect((await threaded.status()).map((s) => s.steps)).toEqual(stopAt);
    await expectSame(single, threaded, [0, 2, 3, 6]);
    // slot 4 retires and takes another run; slot 1 is left empty
    for (const ensemble of [single, threaded]) {
      ensemble.release(4);
      ensemble.release(1);
      await ensemble.load(4, run(20));
      await ensemble.advance(25);
    }
    await expectSame(single, threaded, [0, 4, 5]);
    // with no list, diagnostics cover the loaded slots, ascending
    expect((await threaded.diagnostics(undefined, { powerIterations: 5, lanczosSteps: 4 })).length).toBe(6);
  });

  it('matches CpuEnsemble exactly: stiff flow (ros34pw2) on a shared dataset, more threads than slots', async () => {
    const shared = rosenbrockDataset(SAMPLES, 2, 7);
    const options: EnsembleOptions = { arch: ARCH, optimizer: { kind: 'flow', solver: 'ros34pw2', rtol: 1e-3, atol: 1e-6 }, samples: SAMPLES, slots: 3, maxnorm: 10, sharedData: shared };
    const [single, threaded] = pair(options, 8);
    expect((threaded as ThreadedCpuEnsemble).threads).toBe(3);
    for (let s = 0; s < 3; s++) {
      await single.load(s, run(s, shared));
      await threaded.load(s, run(s, shared));
    }
    await single.advance(60, 1e4);
    await threaded.advance(60, 1e4);
    await expectSame(single, threaded, [0, 1, 2]);
  });

  it('refuses a bad slot, passes the worker\'s refusals on, and fails calls after dispose', async () => {
    const options: EnsembleOptions = { arch: ARCH, optimizer: { kind: 'gd', lr: 0.1 }, samples: SAMPLES, slots: 4, maxnorm: 10 };
    const [, threaded] = pair(options, 2);
    await expect(threaded.load(4, run(0))).rejects.toThrow(/slot 4 out of range/);
    await expect(threaded.load(1, { ...run(0), params: new Float64Array(3) })).rejects.toThrow(/run has 3 parameters, the ensemble's networks have 13/);
    await expect(threaded.parameters(1)).rejects.toThrow(/slot 1 is empty/);
    await expect(threaded.diagnostics([2])).rejects.toThrow(/slot 2 is empty/);
    expect(() => new ThreadedCpuEnsemble(options, 0, 'x')).toThrow(/CPU threads must be a positive integer, got 0/);
    expect(() => new CpuEngine({ threads: 2 })).toThrow(/need a threadedEnsemble/);
    threaded.dispose();
    await expect(threaded.load(0, run(0))).rejects.toThrow(/disposed/);
  });

  it('gives the scheduler the same records with 1 and 3 threads', async () => {
    const data = rosenbrockDataset(SAMPLES, 2, 3);
    const config = {
      architecture: ARCH,
      optimizer: { kind: 'flow', solver: 'ros34pw2', rtol: 1e-3, atol: 1e-6 },
      maxnorm: 10,
      stop: { maxSteps: 300, gradTol: 1e-7, checkEvery: 50 },
      trajectory: { points: 5 },
    };
    const runs: SchedulableRun[] = Array.from({ length: 5 }, (_, n) => ({ id: `r${n}`, configIndex: 0, seed: n, config }));
    const sweep = async (threads: number) => {
      const records: RunRecord[] = [];
      await runSweep(runs, {
        engine: new CpuEngine(threadedCpuEngine(threads)),
        slots: 3,
        samples: () => SAMPLES,
        prepare: (r) => ({ params: run(r.seed).params, data }),
        dataKey: () => 'shared',
        diagnostics: { powerIterations: 10, lanczosSteps: 6 },
        onRecord: (record) => void records.push({ ...record, wallSeconds: 0 }),
      });
      return records.sort((x, y) => x.id.localeCompare(y.id));
    };
    const one = await sweep(1);
    expect(one.map((r) => r.stopReason).length).toBe(5);
    expect(await sweep(3)).toEqual(one);
  });
});
