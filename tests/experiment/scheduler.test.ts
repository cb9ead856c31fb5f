// The scheduler on the float64 CPU engine: retire and refill, stop reasons, a planted diverging run,
// and results that do not depend on slots, order or company.
import { classifyRecord } from '../../src/experiment/summary.js';
import { DEFAULT_THRESHOLDS } from '../../src/analysis/classify.js';
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../src/engine/cpu/cpu-engine.js';
import type { Engine } from '../../src/engine/engine.js';
import type { Arithmetic, EnsembleOptions, SlotRun, TrainingEnsemble } from '../../src/engine/training.js';
import { rosenbrockDataset } from '../../src/data/inputs.js';
import { RandomStream, STREAMS } from '../../src/numerics/rng.js';
import { parameterCount, weightNorm, type Activation, type Architecture } from '../../src/model/architecture.js';
import { toyPairCoordinates, TOY_ARCHITECTURE, toyDataset, toyStart } from '../helpers/toy.js';
import { glorotNormal } from '../../src/model/init.js';
import type { OptimizerConfig } from '../../src/optim/optimizers.js';
import type { RunRecord } from '../../src/experiment/results.js';
import { groupRuns, RECENT_PARAMS, runSweep, trajectorySteps, type ActiveRuns, type SchedulableConfig, type SchedulableRun, type StopRules } from '../../src/experiment/scheduler.js';

const arch: Architecture = { inputDim: 2, hidden: [3], activation: 'softplus', biases: true };
const SAMPLES = 16;

interface TestRun extends SchedulableRun {
  /** multiplies the initial parameters (a huge value plants a divergence) */
  scale?: number;
}

function config(optimizer: OptimizerConfig, stop: Partial<StopRules> = {}, points = 6): SchedulableConfig {
  return {
    architecture: arch,
    optimizer,
    maxnorm: null,
    stop: { maxSteps: 60, gradTol: 0, checkEvery: 10, ...stop },
    trajectory: { points },
  };
}

function runs(count: number, make: (k: number) => SchedulableConfig, extra: (k: number) => Partial<TestRun> = () => ({})): TestRun[] {
  return Array.from({ length: count }, (_, k) => ({ id: `r${k}`, configIndex: 0, seed: k + 1, config: make(k), ...extra(k) }));
}

const prepare = (run: TestRun) => {
  const params = glorotNormal(run.config.architecture, new RandomStream(run.seed, 0, STREAMS.init));
  if (run.scale) for (let k = 0; k < params.length; k++) params[k] *= run.scale;
  return { params, data: rosenbrockDataset(SAMPLES, 2, run.seed) };
};

/** A CPU engine that counts what the scheduler asks of its ensembles. */
function countingEngine() {
  const inner = new CpuEngine();
  const stats = { ensembles: [] as EnsembleOptions[], loads: [] as number[], advances: [] as number[], maxActive: 0 };
  const engine: Engine = {
    backend: inner.backend,
    description: inner.description,
    evaluate: (request) => inner.evaluate(request),
    dispose: () => inner.dispose(),
    async createEnsemble(options) {
      stats.ensembles.push(options);
      // (the CPU trains one activation per ensemble: an engine that mixes them is only pretended here)
      const { activations: _served, ...single } = options;
      const ensemble = await inner.createEnsemble(single);
      const active = new Set<number>();
      const wrapped: TrainingEnsemble = {
        backend: ensemble.backend,
        description: ensemble.description,
        arithmetic: ensemble.arithmetic,
        slots: ensemble.slots,
        options: ensemble.options,
        async load(slot: number, run: SlotRun) {
          stats.loads.push(slot);
          active.add(slot);
          stats.maxActive = Math.max(stats.maxActive, active.size);
          return ensemble.load(slot, run);
        },
        release(slot) {
          active.delete(slot);
          ensemble.release(slot);
        },
        advance(steps, untilTime, stopAt) {
          stats.advances.push(steps);
          return ensemble.advance(steps, untilTime, stopAt);
        },
        status: () => ensemble.status(),
        parameters: (slot) => ensemble.parameters(slot),
        allParameters: () => ensemble.allParameters(),
        diagnostics: (list, settings) => ensemble.diagnostics(list, settings),
        dispose: () => ensemble.dispose(),
      };
      return wrapped;
    },
  };
  return { engine, stats };
}

/**
 * Runs a sweep and returns its records by run id, having checked that every run of the list gave
 * exactly one record: a loop over the records can then never pass by having nothing to check.
 */
async function sweep(
  list: TestRun[],
  slots: number,
  engine: Engine = new CpuEngine(),
  dataKey?: (run: TestRun) => string,
  prepareRun: typeof prepare = prepare,
): Promise<Map<string, RunRecord>> {
  const records = new Map<string, RunRecord>();
  await runSweep(list, {
    engine,
    slots,
    samples: () => SAMPLES,
    prepare: prepareRun,
    dataKey,
    onRecord: (record) => {
      expect(records.has(record.id)).toBe(false);
      records.set(record.id, record);
    },
  });
  expect([...records.keys()].sort()).toEqual(list.map((run) => run.id).sort());
  return records;
}

describe('trajectorySteps', () => {
  it('log-spaces points from 1 to maxSteps, rounded and de-duplicated', () => {
    expect(trajectorySteps(5, 10_000)).toEqual([1, 10, 100, 1000, 10_000]);
    const steps = trajectorySteps(50, 1000);
    expect(steps[0]).toBe(1);
    expect(steps[steps.length - 1]).toBe(1000);
    expect(new Set(steps).size).toBe(steps.length);
    for (let k = 1; k < steps.length; k++) expect(steps[k]).toBeGreaterThan(steps[k - 1]);
    expect(trajectorySteps(1, 77)).toEqual([77]);
    expect(trajectorySteps(0, 77)).toEqual([]);
  });
});

/**
 * The CPU engine presented as `backend`, reporting every run at rest: ‖∇‖∞ = `floor` (what float32
 * rounding leaves at a minimum) and weight norm 1, or with `wobble` alternately 1 ± wobble/2 (what
 * float32 noise does along a minimum's flat directions).
 */
/**
 * ‖∇‖∞ reported as `floor`, the weight norm as 1 + drift per 50 steps (a steady motion), the step size
 * as given, and with `flatLoss` a loss that never changes.
 */
function engineAtRest(backend: 'gpu' | 'cpu', floor: number, drift = 0, stepSize?: number, flatLoss = false, time?: number, arithmetic?: Arithmetic): Engine {
  const inner = new CpuEngine();
  return {
    backend,
    description: `${inner.description}, ‖∇‖∞ floored at ${floor}`,
    evaluate: (request) => inner.evaluate(request),
    dispose: () => inner.dispose(),
    async createEnsemble(options) {
      const ensemble = await inner.createEnsemble(options);
      const wrapped: TrainingEnsemble = {
        backend,
        description: ensemble.description,
        // a "gpu" engine here plays the float32 one: its floors are float32's
        arithmetic: arithmetic ?? (backend === 'gpu' ? 'float32' : ensemble.arithmetic),
        slots: ensemble.slots,
        options: ensemble.options,
        load: (slot, run) => ensemble.load(slot, run),
        release: (slot) => ensemble.release(slot),
        advance: (steps, untilTime, stopAt) => ensemble.advance(steps, untilTime, stopAt),
        status: async () =>
          (await ensemble.status()).map((status) => ({
            ...status,
            gradInf: floor,
            weightNorm: 1 + (drift * status.steps) / 50,
            ...(stepSize === undefined ? {} : { stepSize }),
            ...(time === undefined ? {} : { time }),
            ...(flatLoss ? { loss: 0.5, barrier: 0 } : {}),
          })),
        parameters: (slot) => ensemble.parameters(slot),
        allParameters: () => ensemble.allParameters(),
        diagnostics: (list, settings) => ensemble.diagnostics(list, settings),
        dispose: () => ensemble.dispose(),
      };
      return wrapped;
    },
  };
}

describe('scheduler', () => {
  it('holds a float32 (GPU) engine to the float32 gradient and stationarity floors, a float64 one to the spec tolerances', async () => {
    // at rest with ‖∇‖∞ = 3e-6: above the spec's 1e-7·max(1, ‖θ‖∞), below FLOAT32_GRAD_TOL·max(1, ‖θ‖∞)
    const list = runs(1, () => config({ kind: 'gd', lr: 1e-9 }, { maxSteps: 1000, gradTol: 1e-7, checkEvery: 50 }));
    const [gpu] = [...(await sweep(list, 1, engineAtRest('gpu', 3e-6))).values()];
    const [cpu] = [...(await sweep(list, 1, engineAtRest('cpu', 3e-6))).values()];
    // converged at its first stationarity check, checkEvery (50) steps or more after its first event
    // (which has no earlier weight norm to be stationary against)
    expect(gpu.stopReason).toBe('converged');
    expect(gpu.steps).toBeGreaterThanOrEqual(50);
    expect(gpu.steps).toBeLessThanOrEqual(100);
    expect(cpu.stopReason).toBe('max-steps');
    // a weight norm drifting by 4e-5 per 50 steps with a float64-small gradient: at rest for float32
    // (FLOAT32_STATIONARY_TOL 1e-4 per check), still moving for float64 (stationaryTol 1e-5)
    const [gpuDrift] = [...(await sweep(list, 1, engineAtRest('gpu', 1e-9, 4e-5))).values()];
    const [cpuDrift] = [...(await sweep(list, 1, engineAtRest('cpu', 1e-9, 4e-5))).values()];
    expect(gpuDrift.stopReason).toBe('converged');
    expect(cpuDrift.stopReason).toBe('max-steps');
    // …unless its gradient is at float64's rounding (ROUNDING_GRADIENT) and its objective flat
    // (LEVEL_OBJECTIVE_CHANGE): a norm moving so is a stiff solver's wander along flat directions
    const [cpuRounding] = [...(await sweep(list, 1, engineAtRest('cpu', 1e-15, 4e-5, undefined, true))).values()];
    expect(cpuRounding.stopReason).toBe('converged');
    // a rounding-level gradient with a descending objective is not rest (a channel's gradient can dip so low)
    const [cpuDescending] = [...(await sweep(list, 1, engineAtRest('cpu', 1e-15, 4e-5))).values()];
    expect(cpuDescending.stopReason).toBe('max-steps');
  });

  it('takes a float32 flow whose step size collapses at its gradient floor as converged, at rest over its last interval', async () => {
    // a stiff flow reporting ‖∇‖∞ 3e-6 and a collapsed step size from the start, its weight norm
    // still changing by 1% per 50 steps (no check could see it at rest)
    const list = runs(1, () => config({ kind: 'flow', solver: 'ros34pw2', rtol: 1e-3, atol: 1e-6 }, { maxSteps: 1000, gradTol: 1e-7, checkEvery: 50 }));
    const [gpu] = [...(await sweep(list, 1, engineAtRest('gpu', 3e-6, 1e-2, 1e-30))).values()];
    const [cpu] = [...(await sweep(list, 1, engineAtRest('cpu', 3e-6, 1e-2, 1e-30))).values()];
    expect(gpu.stopReason).toBe('converged');
    const [before, last] = gpu.recentParams!.slice(-2);
    expect(last).toEqual(before);
    expect(cpu.stopReason).toBe('step-size-collapse');
    // above the float32 tolerance a collapse stays a collapse
    const [steep] = [...(await sweep(list, 1, engineAtRest('gpu', 1e-2, 1e-2, 1e-30))).values()];
    expect(steep.stopReason).toBe('step-size-collapse');
  });

  it('takes a flow step size for collapsed only when its steps move nothing, whatever the simulated time', async () => {
    // along a channel the simulated time reaches 1e17 while a transient takes h far below it: h = 1e3
    // at t = 1e17 (h < 1e-12·t, the old rule's collapse) still moves θ by h·‖∇‖∞ = 1 per step
    const list = runs(1, () => config({ kind: 'flow', solver: 'ros34pw2', rtol: 1e-3, atol: 1e-6 }, { maxSteps: 200, gradTol: 1e-7, checkEvery: 50 }));
    const [moving] = [...(await sweep(list, 1, engineAtRest('cpu', 1e-3, 1e-2, 1e3, false, 1e17))).values()];
    expect(moving.stopReason).toBe('max-steps');
    // h·‖∇‖∞ = 1e-20 against ‖θ‖∞ ≥ 1: below float64's resolution, a collapse at any time
    const [stuck] = [...(await sweep(list, 1, engineAtRest('cpu', 1e-3, 1e-2, 1e-17, false, 1))).values()];
    expect(stuck.stopReason).toBe('step-size-collapse');
    // float32 resolves 6e-8 of θ: h·‖∇‖∞ = 1e-8 is no move there, a move in float64
    const [gpuStuck] = [...(await sweep(list, 1, engineAtRest('gpu', 1e-2, 1e-2, 1e-6, false, 1))).values()];
    expect(gpuStuck.stopReason).toBe('step-size-collapse');
    const [cpuMoving] = [...(await sweep(list, 1, engineAtRest('cpu', 1e-2, 1e-2, 1e-6, false, 1))).values()];
    expect(cpuMoving.stopReason).toBe('max-steps');
    // the GPU's double-float runs (deep networks) resolve θ as finely as float64 does
    const [doubleFloat] = [...(await sweep(list, 1, engineAtRest('gpu', 1e-2, 1e-2, 1e-6, false, 1, 'double-float'))).values()];
    expect(doubleFloat.stopReason).toBe('max-steps');
  });

  it('retires runs and refills their slots at once when there are more runs than slots', async () => {
    // one long run and many short ones in the same group: the short ones stream through the other slots
    const list = runs(9, (k) => config({ kind: 'gd', lr: 0.05 }, { maxSteps: k === 0 ? 400 : 30 }));
    const { engine, stats } = countingEngine();
    const records = await sweep(list, 3, engine);
    expect(records.size).toBe(9);
    expect(stats.ensembles).toHaveLength(1);
    expect(stats.ensembles[0].slots).toBe(3);
    expect(stats.loads).toHaveLength(9);
    expect(stats.maxActive).toBe(3);
    for (const record of records.values()) {
      expect(record.stopReason).toBe('max-steps');
      expect(record.steps).toBe(record.id === 'r0' ? 400 : 30);
      // the parameters of the last checks, the final ones last, for the channel-subspace criterion
      expect(record.recentParams.length).toBeGreaterThanOrEqual(2);
      expect(record.recentParams.length).toBeLessThanOrEqual(RECENT_PARAMS);
      const finalParams = record.params.layers.flatMap((layer) => [...layer.weights.flat(), ...(layer.bias ?? [])]);
      expect(record.recentParams[record.recentParams.length - 1]).toEqual(finalParams);
      expect(record.recentParams[0]).not.toEqual(finalParams);
    }
    // the short runs did not wait for the long one: everything took about as many steps as the long run
    // (each advance takes every slot to its own next event, as far as the farthest: the requests add
    // up to the long run's steps plus at most one short run's overshoot)
    const total = stats.advances.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(400);
    expect(total).toBeLessThan(400 + 30);
  });

  it('tells onTick how far the runs still going have got (progress lines between finished runs)', async () => {
    const ticks: ActiveRuns[] = [];
    const list = runs(2, (k) => config({ kind: 'gd', lr: 0.05 }, { maxSteps: k === 0 ? 30 : 60 }));
    await runSweep(list, { engine: new CpuEngine(), slots: 2, samples: () => SAMPLES, prepare, diagnostics: null, onRecord: () => {}, onTick: (active) => void ticks.push(active) });
    // a status read at every check and trajectory point of either run
    expect(ticks.length).toBeGreaterThanOrEqual(6);
    expect(ticks[0].running).toBe(2);
    expect(ticks[0].maxWeightNorm).toBeGreaterThan(0);
    for (let k = 1; k < ticks.length - 1; k++) {
      expect(ticks[k].maxSteps).toBeGreaterThanOrEqual(ticks[k - 1].maxSteps);
      expect(ticks[k].medianSteps).toBeLessThanOrEqual(ticks[k].maxSteps);
    }
    // the 30-step run is not counted at the read where it retires; the other goes on alone to 60
    const alone = ticks.filter((tick) => tick.running === 1);
    expect(alone[0].maxSteps).toBe(30);
    expect(alone[alone.length - 1].maxSteps).toBeLessThan(60);
    expect(ticks[ticks.length - 1]).toEqual({ running: 0, medianSteps: 0, maxSteps: 0, maxWeightNorm: 0 });
  });

  it('never makes an ensemble larger than its group', async () => {
    const { engine, stats } = countingEngine();
    await sweep(runs(2, () => config({ kind: 'gd', lr: 0.05 })), 64, engine);
    expect(stats.ensembles[0].slots).toBe(2);
  });

  it("never makes an ensemble larger than the engine's buffers hold (Engine.maxSlots), and says when one run does not fit", async () => {
    const { engine, stats } = countingEngine();
    const asked: Omit<EnsembleOptions, 'slots'>[] = [];
    engine.maxSlots = (options) => {
      asked.push(options);
      return 2;
    };
    const list = runs(5, () => config({ kind: 'gd', lr: 0.05 }));
    const records = await sweep(list, 64, engine);
    expect(stats.ensembles[0].slots).toBe(2);
    expect(asked[0].samples).toBe(SAMPLES);
    expect(records.size).toBe(5);
    engine.maxSlots = () => 0;
    await expect(sweep(list, 64, engine)).rejects.toThrow(/storage binding limit/);
  });

  it('gives every run the same result whatever the slot count, order and company', async () => {
    const list = runs(6, (k) => config({ kind: 'gd', lr: 0.02 * (1 + (k % 3)) }, { maxSteps: 40 + 17 * k, checkEvery: 7 }, 8));
    const alone = await sweep(list, 1);
    const packed = await sweep([...list].reverse(), 4);
    for (const [id, record] of alone) {
      const other = packed.get(id)!;
      expect(other.params).toEqual(record.params);
      expect(other.loss).toBe(record.loss);
      expect(other.trajectory).toEqual(record.trajectory);
      expect(other.steps).toBe(record.steps);
    }
  });

  it('trains several groups at once (groupsInFlight) with the same results, and adds up their runs in progress', async () => {
    // three groups (three learning rates), of different lengths
    const list = runs(9, (k) => config({ kind: 'gd', lr: 0.02 * (1 + (k % 3)) }, { maxSteps: 40 + 30 * (k % 3), checkEvery: 10 }, 4));
    const oneAtATime = await sweep(list, 3);
    const records = new Map<string, RunRecord>();
    const running: number[] = [];
    const summary = await runSweep(list, {
      engine: new CpuEngine(),
      slots: 3,
      groupsInFlight: 2,
      samples: () => SAMPLES,
      prepare,
      onRecord: (record) => void records.set(record.id, record),
      onTick: (active) => void running.push(active.running),
    });
    expect(summary.groups).toBe(3);
    expect(records.size).toBe(9);
    for (const [id, record] of oneAtATime) {
      expect(records.get(id)!.params).toEqual(record.params);
      expect(records.get(id)!.trajectory).toEqual(record.trajectory);
    }
    // two groups of three runs going at once at some tick
    expect(Math.max(...running)).toBe(6);
    await expect(runSweep(list, { engine: new CpuEngine(), groupsInFlight: 0, samples: () => SAMPLES, prepare, onRecord: () => {} })).rejects.toThrow(/groupsInFlight must be a positive integer, got 0/);
  });

  it('with groups in flight, a group that fails stops the sweep and the others at their next status read', async () => {
    const { engine } = countingEngine();
    let created = 0;
    const failing: Engine = {
      ...engine,
      async createEnsemble(options) {
        if (++created === 2) throw new Error('no memory for the second group');
        return engine.createEnsemble(options);
      },
    };
    const list = runs(6, (k) => config({ kind: 'gd', lr: 0.02 * (1 + (k % 3)) }, { maxSteps: 5000, checkEvery: 10 }));
    const finished: string[] = [];
    await expect(runSweep(list, { engine: failing, slots: 2, groupsInFlight: 2, samples: () => SAMPLES, prepare, diagnostics: null, onRecord: (record) => void finished.push(record.id) })).rejects.toThrow(
      /no memory for the second group/,
    );
    // the first group stopped without finishing its 5,000 steps, and the third never started
    expect(finished).toEqual([]);
    expect(created).toBe(2);
  });

  it('records a diverging run as diverged while the others finish normally', async () => {
    // run r2 starts with parameters ×1e6 under a large step: its values overflow
    const list = runs(5, (k) => config({ kind: 'gd', lr: k === 2 ? 10 : 0.05 }, { maxSteps: 50 }), (k) => (k === 2 ? { scale: 1e6 } : {}));
    const { engine } = countingEngine();
    const records = await sweep(list, 2, engine);
    expect(records.size).toBe(5);
    expect(records.get('r2')!.stopReason).toBe('diverged');
    for (const id of ['r0', 'r1', 'r3', 'r4']) {
      const record = records.get(id)!;
      expect(record.stopReason).toBe('max-steps');
      expect(Number.isFinite(record.loss)).toBe(true);
      expect(record.steps).toBe(50);
    }
  });

  it('stops on convergence, patience, and the flow time budget', async () => {
    // a loose gradient test alone (stationaryTol 1: the weight norm may still move)
    const converging = runs(2, () => config({ kind: 'gd', lr: 0.05 }, { maxSteps: 5000, gradTol: 1e-1, stationaryTol: 1 }));
    for (const record of (await sweep(converging, 2)).values()) {
      expect(record.stopReason).toBe('converged');
      const thetaInf = Math.max(...record.params.layers.flatMap((l) => [...l.weights.flat(), ...(l.bias ?? [])]).map(Math.abs));
      expect(record.gradInf).toBeLessThanOrEqual(1e-1 * Math.max(1, thetaInf));
      expect(record.steps).toBeLessThan(5000);
    }
    const stuck = runs(2, () => config({ kind: 'gd', lr: 1e-14 }, { maxSteps: 5000, patience: 30 }));
    for (const record of (await sweep(stuck, 2)).values()) {
      expect(record.stopReason).toBe('patience');
      expect(record.steps).toBeLessThan(100);
    }
    const flow = runs(2, () => config({ kind: 'flow', solver: 'dopri5', rtol: 1e-3, atol: 1e-6 }, { maxSteps: 100_000, maxTime: 3, checkEvery: 50 }, 10));
    for (const record of (await sweep(flow, 2)).values()) {
      expect(record.stopReason).toBe('max-time');
      expect(record.time).toBeCloseTo(3, 12);
      expect(record.trajectory.every((p, k) => k === 0 || (p.time >= record.trajectory[k - 1].time && p.step > record.trajectory[k - 1].step))).toBe(true);
    }
  });

  it('does not take a run drifting into a channel for converged: the weight norm must have stopped moving too', async () => {
    // The 1-D toy (two erf neurons) from its start near the channel entrance, stiff gradient flow,
    // gradTol 1e-4: in the channel the gradient (~ε³, 5e-4 to 1e-3 here) passes the scaled test
    // (1e-4·‖θ‖∞) at weight norm ~7 while the norm keeps growing by tens of percent per check.
    const data = toyDataset(256, 1);
    const toyRun = (id: string, rules: { stationaryTol?: number; atBarrier?: boolean }) => ({
      id,
      configIndex: 0,
      seed: 1,
      config: {
        architecture: TOY_ARCHITECTURE,
        optimizer: { kind: 'flow', solver: 'rosenbrock23', rtol: 1e-3, atol: 1e-6 } as OptimizerConfig,
        maxnorm: 1000,
        stop: { maxSteps: 3000, gradTol: 1e-4, checkEvery: 20, ...rules },
        trajectory: { points: 10 },
      },
    });
    const records = new Map<string, RunRecord>();
    await runSweep([toyRun('gradient-only', { stationaryTol: 1 }), toyRun('default', {}), toyRun('past-barrier', { atBarrier: false })], {
      engine: new CpuEngine(),
      slots: 3,
      samples: () => 256,
      diagnostics: null,
      prepare: () => ({ params: toyStart(), data }),
      onRecord: (record) => void records.set(record.id, record),
    });
    const gradientOnly = records.get('gradient-only')!;
    const withDrift = records.get('default')!;
    const pastBarrier = records.get('past-barrier')!;
    const inverseEpsilon = (record: RunRecord) => toyPairCoordinates(record.params.layers.flatMap((l) => l.weights.flat())).inverseEpsilon;
    // the gradient test alone: "converged" at the channel entrance, at its first check 20 steps after
    // its first event (measured: step 60, weight norm 16.3, 1/ε 7.8)
    expect(gradientOnly.stopReason).toBe('converged');
    expect(gradientOnly.weightNorm).toBeLessThan(20);
    expect(inverseEpsilon(gradientOnly)).toBeLessThan(10);
    // with the weight norm's drift checked, the same run follows the channel to the barrier and
    // stops on arriving there, its last update still along the channel (a channel verdict)
    expect(withDrift.stopReason).toBe('barrier');
    // "at the barrier" is the classifier's: within barrierTolerance (1%) of maxnorm 1000
    const barrierNorm = 1000 * (1 - DEFAULT_THRESHOLDS.barrierTolerance);
    expect(withDrift.weightNorm).toBeGreaterThanOrEqual(barrierNorm);
    expect(inverseEpsilon(withDrift)).toBeGreaterThan(50);
    const [arriving, arrived] = withDrift.recentParams.slice(-2).map((theta) => weightNorm(Float64Array.from(theta)));
    expect(arriving).toBeLessThan(barrierNorm);
    expect(arrived).toBeGreaterThanOrEqual(barrierNorm);
    expect(classifyRecord(withDrift).outcome).toBe('channel');
    // stop.atBarrier false: it goes on and comes to rest against the barrier (measured: 680 steps,
    // weight norm 1000.0, 1/ε 63.5), its last updates now the settling moves
    expect(pastBarrier.stopReason).toBe('converged');
    expect(pastBarrier.steps).toBeGreaterThan(withDrift.steps);
    expect(inverseEpsilon(pastBarrier)).toBeGreaterThan(50);
    const [before, last] = pastBarrier.recentParams.slice(-2).map((theta) => weightNorm(Float64Array.from(theta)));
    expect(Math.abs(last - before)).toBeLessThanOrEqual(1e-5 * last);
  });

  it('stops at a budget of gradient evaluations, the same for an explicit and a stiff solver', async () => {
    const budget = 2000;
    for (const solver of ['dopri5', 'rosenbrock23'] as const) {
      const flow = runs(2, () => config({ kind: 'flow', solver, rtol: 1e-3, atol: 1e-6 }, { maxSteps: 100_000, maxEvaluations: budget, checkEvery: 5 }));
      for (const record of (await sweep(flow, 2)).values()) {
        expect(record.stopReason).toBe('max-evaluations');
        // checked every 5 accepted steps: a stiff step costs P + 2 = 15 evaluations, an explicit one 6, plus rejections
        expect(record.evaluations).toBeGreaterThanOrEqual(budget);
        expect(record.evaluations).toBeLessThan(budget + 5 * 4 * 15);
      }
    }
  });

  it.each(['newton-cg', 'newton-dense'] as const)('polishes each run with float64 %s after training when the config asks, keeping the end of training beside it', async (kind) => {
    const polish = { kind, maxIterations: 300, gradTol: 1e-10 };
    // one hidden neuron: no pair, so no channel for Newton to follow out to the barrier
    const single = { ...arch, hidden: [1] };
    const list = runs(2, () => ({ ...config({ kind: 'flow', solver: 'rosenbrock23', rtol: 1e-3, atol: 1e-6 }, { maxSteps: 200, checkEvery: 50, atBarrier: false }), architecture: single, maxnorm: 1000, polish }));
    for (const record of (await sweep(list, 2)).values()) {
      const polished = record.polish!;
      expect(polished.converged).toBe(true);
      expect(polished.gradInf).toBeLessThanOrEqual(1e-10);
      expect(polished.loss + polished.barrier).toBeLessThanOrEqual(record.loss + record.barrier + 1e-12);
      expect(record.steps).toBe(200); // the training end is kept as it was
      // P = 5 ≤ 128: the full spectrum at the polished point, ascending, positive at a minimum
      expect(polished.hessianEigenvalues).toHaveLength(5);
      expect(polished.hessianEigenvalues![0]).toBeGreaterThan(0);
      expect(polished.hessianEigenvalues![0]).toBeLessThanOrEqual(polished.hessianEigenvalues![4]);
    }
    const unpolished = runs(1, () => config({ kind: 'gd', lr: 0.05 }));
    for (const record of (await sweep(unpolished, 1)).values()) expect(record.polish).toBeUndefined();
  });

  it('stores one dataset per ensemble when every run of the group has the same one', async () => {
    const list = runs(3, () => config({ kind: 'gd', lr: 0.05 }));
    const shared = countingEngine();
    const sharedRecords = await sweep(list, 2, shared.engine, () => 'same');
    // the key says all three datasets are equal, so the ensemble holds the first run's, once
    expect(shared.stats.ensembles).toHaveLength(1);
    expect(shared.stats.ensembles[0].sharedData).toEqual(prepare(list[0]).data);
    const separate = countingEngine();
    const separateRecords = await sweep(list, 2, separate.engine, (run) => String(run.seed));
    expect(separate.stats.ensembles[0].sharedData).toBeUndefined();
    // (here the "shared" dataset is run r0's, so r0 trains on the same data either way)
    expect(sharedRecords.get('r0')!.params).toEqual(separateRecords.get('r0')!.params);
    // r1 and r2 trained on r0's dataset: each record is that of the run alone, handed r0's data
    // explicitly (no sharing), and differs from the run on its own dataset
    const r0Data = prepare(list[0]).data;
    const withR0Data = await sweep(list.slice(1), 1, new CpuEngine(), undefined, (run) => ({ ...prepare(run), data: r0Data }));
    for (const id of ['r1', 'r2']) {
      expect({ ...sharedRecords.get(id)!, wallSeconds: 0 }).toEqual({ ...withR0Data.get(id)!, wallSeconds: 0 });
      expect(sharedRecords.get(id)!.params).not.toEqual(separateRecords.get(id)!.params);
    }
  });

  it('gives every record diagnostics of its final parameters, and at every k-th check with stop.diagnosticsEvery', async () => {
    const list = runs(3, (k) => config({ kind: 'gd', lr: 0.05 }, { maxSteps: 45 + 10 * k, checkEvery: 5, ...(k > 0 ? { diagnosticsEvery: 2 } : {}) }));
    const records = await sweep(list, 2);
    for (const [id, record] of records) {
      const d = record.diagnostics!;
      expect(d).toBeDefined();
      expect(d.loss).toBe(record.loss);
      expect(d.weightNorm).toBeCloseTo(record.weightNorm, 12);
      expect(d.hessianEigenvalues).toHaveLength(parameterCount(arch));
      expect(d.layers[0].cosine).not.toBeNull();
      if (id === 'r0') {
        expect(record.checkDiagnostics).toBeUndefined();
        continue;
      }
      // checks every 5 steps, diagnostics at every 2nd: steps 10, 20, …, short of the final step
      const steps = record.checkDiagnostics!.map((entry) => entry.step);
      expect(steps).toEqual(Array.from({ length: Math.floor((record.steps - 1) / 10) }, (_, k) => 10 * (k + 1)));
      // of the parameters then: gradient descent has lowered the loss since
      expect(record.checkDiagnostics![0].diagnostics.loss).toBeGreaterThan(d.loss);
    }
    // diagnostics off
    const none = new Map<string, RunRecord>();
    await runSweep(runs(1, () => config({ kind: 'gd', lr: 0.05 }, { maxSteps: 10 })), { engine: new CpuEngine(), slots: 1, samples: () => SAMPLES, prepare, diagnostics: null, onRecord: (record) => void none.set(record.id, record) });
    expect(none.get('r0')!.diagnostics).toBeUndefined();
  });

  it('groups runs that can share an ensemble and separates the rest', () => {
    const list = [
      ...runs(2, () => config({ kind: 'gd', lr: 0.1 })),
      ...runs(2, () => config({ kind: 'gd', lr: 0.2 })),
      ...runs(2, () => config({ kind: 'gd', lr: 0.1 }, { maxSteps: 999, checkEvery: 3 })),
    ];
    const groups = groupRuns(list, () => SAMPLES);
    expect(groups.map((g) => g.length)).toEqual([4, 2]);
  });

  const withActivation = (activation: Activation) => ({ ...config({ kind: 'gd', lr: 0.1 }), architecture: { ...arch, activation } });

  /** an engine whose kernels serve the smooth activations together and relu apart */
  const smoothTogether = (activation: Activation) => (activation === 'relu' ? 'relu' : 'smooth');

  it('groups the activations an engine serves together (Engine.activationGroup) and keeps them apart otherwise', () => {
    const list = [...runs(2, () => withActivation('softplus')), ...runs(2, () => withActivation('relu')), ...runs(2, () => withActivation('erf'))];
    const activations = (groups: TestRun[][]) => groups.map((g) => g.map((run) => run.config.architecture.activation));
    expect(groupRuns(list, () => SAMPLES).map((g) => g.length)).toEqual([2, 2, 2]);
    expect(activations(groupRuns(list, () => SAMPLES, undefined, smoothTogether))).toEqual([['softplus', 'softplus', 'erf', 'erf'], ['relu', 'relu']]);
    // the GPU's: one kernel for all
    expect(activations(groupRuns(list, () => SAMPLES, undefined, () => 'one kernel'))).toEqual([['softplus', 'softplus', 'relu', 'relu', 'erf', 'erf']]);
  });

  it("gives a shard's runs the kernel of the whole sweep: an ensemble serves the activations of the sweep's runs in its group", async () => {
    const { engine, stats } = countingEngine();
    const mixing: Engine = { ...engine, activationGroup: smoothTogether };
    const sweepRuns = [...runs(2, () => withActivation('erf')), ...runs(2, () => withActivation('relu')), ...runs(2, () => withActivation('softplus'))].map((run, k) => ({ ...run, id: `r${k}` }));
    const shard = sweepRuns.filter((run) => run.config.architecture.activation === 'softplus');
    const options = { engine: mixing, slots: 2, samples: () => SAMPLES, prepare, diagnostics: null, onRecord: () => {} };
    await runSweep(shard, { ...options, sweepRuns });
    expect(stats.ensembles.map((e) => [e.arch.activation, e.activations])).toEqual([['softplus', ['softplus', 'erf']]]);
    // without the sweep's runs the shard's own activations decide: one, so a kernel for one
    await runSweep(shard, options);
    expect(stats.ensembles[1].activations).toBeUndefined();
    // sweep runs that miss the shard's own activation still leave it served
    await runSweep(shard, { ...options, sweepRuns: sweepRuns.slice(0, 4) });
    expect(stats.ensembles[2].activations).toEqual(['softplus', 'erf']);
  });

  it("plans a part's ensemble for the slots of the whole sweep's group (EnsembleOptions.planSlots), within slots and what the device holds", async () => {
    const { engine, stats } = countingEngine();
    const sweepRuns = runs(7, () => config({ kind: 'gd', lr: 0.1 })).map((run, k) => ({ ...run, id: `r${k}` }));
    const options = { engine, samples: () => SAMPLES, prepare, diagnostics: null, onRecord: () => {} };
    const planned = () => stats.ensembles.map((e) => [e.slots, e.planSlots]);
    await runSweep(sweepRuns.slice(5), { ...options, slots: 4, sweepRuns });
    await runSweep(sweepRuns.slice(5), { ...options, slots: 16, sweepRuns });
    await runSweep(sweepRuns, { ...options, slots: 16 });
    await runSweep(sweepRuns.slice(5), { ...options, slots: 16 });
    expect(planned()).toEqual([[2, 4], [2, 7], [7, 7], [2, 2]]);
    // a device that holds 5 slots of this group plans for 5
    await runSweep(sweepRuns.slice(5), { ...options, engine: { ...engine, maxSlots: () => 5 }, slots: 16, sweepRuns });
    expect(planned()[4]).toEqual([2, 5]);
    // one stored dataset only where the whole sweep's group shares it (its buffers decide what fits):
    // runs 6 and 7 share theirs, the sweep's group does not
    const dataKey = (run: TestRun) => (run.seed > 5 ? 'late' : 'early');
    await runSweep(sweepRuns.slice(5), { ...options, dataKey, slots: 16 });
    await runSweep(sweepRuns.slice(5), { ...options, dataKey, slots: 16, sweepRuns });
    expect(stats.ensembles.slice(-2).map((e) => 'sharedData' in e)).toEqual([true, false]);
  });
});
