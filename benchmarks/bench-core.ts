// The measuring core shared by the Node benchmark (node-bench.ts) and the browser page
// (web/src/bench/bench-main.ts): workload construction, timing of each operation, the report JSON.
// No node: imports here, so the same code measures Dawn in Node and navigator.gpu in Chromium.
// Everything stays resident on the device and wall time is taken around whole submits: gradient
// evaluations and HVPs per second; optimiser network-steps per second (GD, momentum, Adam, SGD batch
// 16); gradient-flow right-hand-side evaluations per second (Dormand–Prince); stiff flow steps.
// With several kernel strategies (--strategies), each workload first times them on `grad` and `hvp`
// and then measures every operation with the faster one (HVP-based kernels with hvp's winner).
import { GpuEngine } from '../src/engine/gpu/gpu-engine.js';
import { CpuEngine } from '../src/engine/cpu/cpu-engine.js';
import { planEvaluateKernel } from '../src/engine/gpu/mlp-kernels.js';
import type { Engine, EvaluationRequest } from '../src/engine/engine.js';
import type { TrainingEnsemble } from '../src/engine/training.js';
import { parameterCount } from '../src/model/architecture.js';
import { glorotNormal } from '../src/model/init.js';
import { normalInputs } from '../src/data/inputs.js';
import { RandomStream, STREAMS } from '../src/numerics/rng.js';
import type { OptimizerConfig } from '../src/optim/optimizers.js';
import { GpuEnsemble } from '../src/engine/gpu/gpu-ensemble.js';
import { WORKLOADS, workloadArchitecture, type Workload } from './workloads.js';
import { peaksFor, stepCost, utilisation, type StepCost, type Utilisation } from './cost-model.js';
import { formatStrategy, parseStrategy, type KernelStrategy } from '../src/engine/gpu/kernel-strategy.js';
import { kernelDisagreement } from '../src/engine/verify.js';

export const EVALUATION_OPS = ['grad', 'hvp'] as const;
export const OPTIMIZERS: Record<string, OptimizerConfig> = {
  gd: { kind: 'gd', lr: 0.01 },
  momentum: { kind: 'momentum', lr: 0.01, beta: 0.9 },
  adam: { kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  sgd: { kind: 'sgd', lr: 0.1, batch: 16 },
  flow: { kind: 'flow', solver: 'dopri5', rtol: 1e-3, atol: 1e-6 },
  stiff: { kind: 'flow', solver: 'rosenbrock23', rtol: 1e-3, atol: 1e-6 },
};
export const OPS: string[] = [...EVALUATION_OPS, ...Object.keys(OPTIMIZERS)];
/** Software adapters and the CPU engine are ~10⁴× slower than a real GPU: B and N shrink by this. */
export const SOFTWARE_SCALE = 64;

/** Scaling keeps at least this many samples per dataset (and at least one network). */
const FEWEST_SCALED_SAMPLES = 16;

/** The minimum wall seconds of each measurement, when none is asked for. */
export const DEFAULT_SECONDS = 1.5;

// The checks of --seconds and --scale, shared by both command lines (bench-command.ts) and by
// runBenchmark itself (the browser page takes them from its query string). They take the text as
// typed, or a number, and throw a RangeError that names the option and what it allows.

/** Display of a refused value: an empty one would vanish from the message. */
const shown = (value: string | number) => (String(value).trim() === '' ? 'an empty value' : String(value));

/** --seconds: a positive number of seconds. */
export function checkSeconds(value: string | number): number {
  const seconds = typeof value === 'number' ? value : /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value.trim()) ? Number(value) : NaN;
  if (!(Number.isFinite(seconds) && seconds > 0)) throw new RangeError(`--seconds must be a positive number of seconds (e.g. ${DEFAULT_SECONDS}), not ${shown(value)}`);
  return seconds;
}

/** The largest --scale that still shrinks something: beyond it every workload is down to one network. */
export function largestScale(workloads: Workload[]): number {
  return Math.max(...workloads.map((w) => w.networks));
}

/** --scale: a whole number from 1 (full size) to largestScale of the workloads measured. */
export function checkScale(value: string | number, workloads: Workload[]): number {
  const scale = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  const largest = largestScale(workloads);
  if (!Number.isInteger(scale) || scale < 1 || scale > largest) {
    throw new RangeError(`--scale must be a whole number from 1 (full size) to ${largest} (which leaves ${workloads.find((w) => w.networks === largest)!.name} one network), not ${shown(value)}`);
  }
  return scale;
}

/** One measurement. Every key is present in every result: null where it does not apply. */
export interface BenchResult {
  workload: string;
  op: string;
  B: number;
  N: number;
  d: number;
  r: number;
  /** null when the measurement failed (see error) */
  networkStepsPerSecond: number | null;
  /** why there is no throughput; null when there is */
  error: string | null;
  /** wall seconds of the measured interval (0 when it failed) */
  seconds: number;
  /** GPU time of the measured passes by timestamp queries (null without them, or on the CPU) */
  gpuSeconds: number | null;
  mode: string;
  /** the kernel strategy measured (GPU), e.g. register/64; null on the CPU */
  strategy: string | null;
  /** how B and N were shrunk (scalingNote), null at full size */
  scaledDown: string | null;
  /** the cost model's count of one network-step (benchmarks/cost-model.ts; units: REPORT_UNITS.cost) */
  cost: ResultCost;
  /** achieved rates against the device's peaks, when the device is one cost-model.ts knows; else null */
  utilisation: Utilisation | null;
}

/** StepCost with workgroupLoads null on the CPU engine, which has no workgroup memory. */
export type ResultCost = Omit<StepCost, 'workgroupLoads'> & { workgroupLoads: number | null };

/** What the numbers in a report count, written into every report. */
export const REPORT_UNITS = {
  networkStepsPerSecond: 'network-steps per second: gradients (grad), gradient-and-HVP passes (hvp), optimiser steps, right-hand-side evaluations (flow), solver steps (stiff), of one network each',
  seconds: 'wall-clock seconds',
  gpuSeconds: 'seconds of GPU time by timestamp queries',
  cost: {
    flops: 'arithmetic operations per network-step that the algorithm needs (a fused multiply-add is 2)',
    transcendentals: 'exp/log/erf-class evaluations per network-step',
    bytes: 'bytes of dataset read per network-step',
    workgroupLoads: 'workgroup-memory loads per network-step, counted per lane',
  },
  utilisation: 'achievedFlops in flop/s; the shares are fractions (0 to 1) of each peak',
} as const;

/** The machine: its operating system and CPU (node:os; bench-command.ts describeHost). */
export interface BenchHost {
  /** e.g. "Linux 6.8.0 x64" */
  os: string;
  /** the CPU model, as the operating system names it */
  cpu: string;
  /** logical processors (hardware threads), not physical cores: node:os does not tell those apart */
  logicalCores: number;
}

/** Where the measurement ran, so Node and browser reports can be told apart and compared. */
export interface BenchEnvironment {
  kind: 'node' | 'browser';
  /** `node vX` in Node, navigator.userAgent in a browser */
  runtime: string;
  /** the WebGPU adapter (null for the CPU engine) */
  adapter: { vendor: string; architecture: string; device: string; description: string; software: boolean; dawnToggles?: string[] } | null;
  /** the machine; null in a page that nothing outside filled it in for (a page cannot see it) */
  host: BenchHost | null;
  /** worker threads of the CPU engine measured; null on a GPU */
  cpuEngineThreads: number | null;
  /** the code measured (src/experiment/software.ts softwareLabel; in a browser, as the page was built); null when unknown */
  software: string | null;
}

/** What was asked for. */
export interface BenchRequest {
  /** the minimum wall seconds of each measurement (--seconds) */
  seconds: number;
  /** --scale; null: the automatic one (SOFTWARE_SCALE on software adapters and the CPU engine, else 1) */
  scale: number | null;
  /** --strategies; null: the engine's own */
  strategies: string[] | null;
}

export interface BenchReport {
  framework: 'channelscope';
  backend: Engine['backend'];
  device: string;
  date: string;
  requested: BenchRequest;
  units: typeof REPORT_UNITS;
  environment: BenchEnvironment;
  results: BenchResult[];
  /** the short measurements that chose each workload's kernel strategy (with several --strategies; else empty) */
  strategyTrials: BenchResult[];
}

export interface BenchOptions {
  /** workload names, in order (default all) */
  workloads?: string[];
  /** operation names, in order (default all) */
  ops?: string[];
  /** minimum wall seconds per measurement (checkSeconds; default DEFAULT_SECONDS) */
  seconds?: number;
  /** divide B and N by this (checkScale); default SOFTWARE_SCALE on software adapters and the CPU engine, else 1 */
  scale?: number;
  /** GPU kernel strategies to choose from per workload (parseStrategy form, e.g. register/64); default the engine's own */
  strategies?: string[];
  /** receives the strategy trials, in order */
  onTrial?: (trial: BenchResult) => void;
  /** called after each measurement (progress text, the Node table) */
  onResult?: (result: BenchResult, index: number, total: number) => void;
  /** called before each measurement */
  onStart?: (workload: string, op: string, index: number, total: number) => void;
}

/** Checks names before anything runs, so a typo fails at once rather than after minutes of measuring. */
export function resolvePlan(workloads: string[] = WORKLOADS.map((w) => w.name), ops: string[] = OPS): { workloads: Workload[]; ops: string[] } {
  if (workloads.length === 0) throw new Error(`no workload named; known: ${WORKLOADS.map((w) => w.name).join(', ')}`);
  if (ops.length === 0) throw new Error(`no op named; known: ${OPS.join(', ')}`);
  const resolved = workloads.map((name) => {
    const workload = WORKLOADS.find((w) => w.name === name);
    if (!workload) throw new Error(`unknown workload ${name}; known: ${WORKLOADS.map((w) => w.name).join(', ')}`);
    return workload;
  });
  for (const op of ops) if (!OPS.includes(op)) throw new Error(`unknown op ${op}; known: ${OPS.join(', ')}`);
  return { workloads: resolved, ops };
}

export function scaleWorkload(full: Workload, scale: number): Workload {
  if (scale <= 1) return full;
  return { ...full, networks: Math.max(1, Math.round(full.networks / scale)), samples: Math.max(FEWEST_SCALED_SAMPLES, Math.round(full.samples / scale)) };
}

/** The WebGPU adapter an engine measures on, as reports name it; null for the CPU engine. */
function adapterOf(engine: Engine): BenchEnvironment['adapter'] {
  if (!(engine instanceof GpuEngine)) return null;
  const { adapterInfo, software, dawnToggles } = engine.gpu;
  // a timing on the software driver depends on its toggles (device.ts SOFTWARE_DAWN_TOGGLES)
  return { ...adapterInfo, software, ...(dawnToggles.length > 0 ? { dawnToggles } : {}) };
}

/**
 * The scale of a run on `adapter` (BenchEnvironment.adapter: null for the CPU engine): --scale when
 * given, else SOFTWARE_SCALE where the engine is slow (the CPU engine, a software adapter), else 1.
 */
export function runScale(adapter: BenchEnvironment['adapter'], requested?: number): number {
  return requested ?? (adapter === null || adapter.software ? SOFTWARE_SCALE : 1);
}

/** What runScale does to these workloads, or null at full size: the table's header says it once, the JSON per result. */
export function runScaling(workloads: Workload[], adapter: BenchEnvironment['adapter'], requested?: number): string | null {
  const reason = requested !== undefined ? `--scale ${requested}` : `automatic on ${adapter ? 'a software adapter' : 'the CPU engine'}; --scale 1 measures full size`;
  return scalingNote(workloads, runScale(adapter, requested), reason);
}

/**
 * What scaling does to these workloads, or null at full size: "B and N divided by 256 (--scale 256);
 * N held at 16, its minimum, on W1". The JSON carries it per result, the table once in its header.
 */
export function scalingNote(workloads: Workload[], scale: number, reason: string): string | null {
  if (scale <= 1) return null;
  const held = (size: (w: Workload) => number, floor: number, letter: string) => {
    const names = workloads.filter((w) => Math.round(size(w) / scale) < floor).map((w) => w.name);
    return names.length ? `; ${letter} held at ${floor}, its minimum, on ${names.join(', ')}` : '';
  };
  return `B and N divided by ${scale} (${reason})${held((w) => w.networks, 1, 'B')}${held((w) => w.samples, FEWEST_SCALED_SAMPLES, 'N')}`;
}

function request(w: Workload, op: string): EvaluationRequest {
  const arch = workloadArchitecture(w);
  const P = parameterCount(arch);
  const count = w.perNetworkData ? w.networks : 1;
  const x = normalInputs(count * w.samples, w.inputDim, 7);
  // teacher: y = sin(x·u), u a fixed unit vector (the peers use the same)
  const u = Array.from({ length: w.inputDim }, (_, i) => (1 / Math.sqrt(w.inputDim)) * (i % 2 === 0 ? 1 : -1));
  const y = new Float64Array(count * w.samples);
  for (let n = 0; n < y.length; n++) {
    let dot = 0;
    for (let i = 0; i < w.inputDim; i++) dot += x[n * w.inputDim + i] * u[i];
    y[n] = Math.sin(dot);
  }
  const params = new Float64Array(w.networks * P);
  for (let n = 0; n < w.networks; n++) params.set(glorotNormal(arch, new RandomStream(7, n, STREAMS.init)), n * P);
  const directions = op === 'hvp' ? new RandomStream(7, 0, STREAMS.direction).fillNormal(new Float64Array(w.networks * P)) : undefined;
  return { arch, data: { inputDim: w.inputDim, samples: w.samples, count, x, y }, params, directions, gradient: true };
}

/** What timing one operation yields; completeResult makes a BenchResult of it. */
type Measurement = Pick<BenchResult, 'networkStepsPerSecond' | 'seconds' | 'gpuSeconds' | 'mode'>;

/**
 * The result of a measurement, or of a failure (`{ error }`), with every BenchResult key: the cost
 * model's count of one network-step and, on a device whose peaks cost-model.ts knows, the achieved
 * share of each peak at the measured (wall-time) throughput.
 */
function completeResult(engine: Engine, w: Workload, op: string, outcome: Measurement | { error: string }, strategy: string | null, scaledDown: string | null): BenchResult {
  const measured = 'mode' in outcome ? outcome : null;
  const rate = measured?.networkStepsPerSecond ?? null;
  const cost = stepCost(w, op, strategy ? parseStrategy(strategy) : undefined);
  const peaks = engine instanceof GpuEngine && !engine.gpu.software ? peaksFor(`${engine.gpu.adapterInfo.description} ${engine.description}`) : null;
  return {
    workload: w.name,
    op,
    B: w.networks,
    N: w.samples,
    d: w.inputDim,
    r: w.hidden,
    networkStepsPerSecond: rate,
    error: measured ? null : (outcome as { error: string }).error,
    seconds: measured?.seconds ?? 0,
    gpuSeconds: measured?.gpuSeconds ?? null,
    mode: measured?.mode ?? 'failed',
    strategy,
    scaledDown,
    // the CPU engine has no workgroup memory
    cost: { ...cost, workgroupLoads: engine instanceof GpuEngine ? (cost.workgroupLoads ?? null) : null },
    utilisation: peaks && rate ? utilisation(cost, rate, peaks, Boolean(w.perNetworkData)) : null,
  };
}

/** Wall seconds of `work` and, where `gpuTime` reads timestamps (else null), the GPU seconds it added. */
async function timeInterval(work: () => Promise<void>, gpuTime: () => number | null): Promise<{ elapsed: number; gpuSeconds: number | null }> {
  const gpuBefore = gpuTime();
  const start = performance.now();
  await work();
  const elapsed = (performance.now() - start) / 1000;
  const gpuAfter = gpuTime();
  return { elapsed, gpuSeconds: gpuBefore !== null && gpuAfter !== null ? gpuAfter - gpuBefore : null };
}

/**
 * Sizes of the ensembles that hold `networks` when one ensemble holds at most `fitting` (the device's
 * binding limit, Engine.maxSlots): as few as fit, as equal as they can be.
 */
export function ensembleSizes(networks: number, fitting: number): number[] {
  if (fitting < 1) throw new RangeError(`not one network's buffers fit this device's storage binding limit`);
  const count = Math.ceil(networks / Math.min(networks, fitting));
  return Array.from({ length: count }, (_, k) => Math.floor(networks / count) + (k < networks % count ? 1 : 0));
}

/**
 * Optimiser steps (flow: right-hand-side evaluations) per second of all the workload's networks.
 * Where one ensemble's buffers would exceed the device's binding limit (the stiff solver's P×P
 * matrices on W2), the networks are split over as few ensembles as fit, advanced together as the
 * scheduler advances its groups in flight: the peers chunk their Hessians the same way.
 */
async function measureTraining(engine: Engine, w: Workload, op: string, seconds: number): Promise<Measurement> {
  const optimizer = OPTIMIZERS[op];
  const req = request(w, 'grad');
  const P = parameterCount(req.arch);
  const perNetworkData = req.data.count > 1;
  const sharedData = perNetworkData ? undefined : req.data;
  const options = { arch: req.arch, optimizer, samples: w.samples, maxnorm: 1e3, sharedData };
  const sizes = ensembleSizes(w.networks, engine.maxSlots?.(options) ?? w.networks);
  const ensembles: TrainingEnsemble[] = [];
  try {
    let n = 0;
    for (const slots of sizes) {
      const ensemble = await engine.createEnsemble({ ...options, slots });
      ensembles.push(ensemble);
      for (let slot = 0; slot < slots; slot++, n++) {
        const data = perNetworkData
          ? { ...req.data, count: 1, x: req.data.x.subarray(n * w.samples * w.inputDim, (n + 1) * w.samples * w.inputDim), y: req.data.y.subarray(n * w.samples, (n + 1) * w.samples) }
          : req.data;
        await ensemble.load(slot, { params: Float64Array.from(req.params.subarray(n * P, (n + 1) * P)), data, seed: 7, runIndex: n });
      }
    }
    const advance = (steps: number) => Promise.all(ensembles.map((e) => e.advance(steps)));
    await advance(1); // compile and warm up
    const timed = ensembles.filter((e): e is GpuEnsemble => e instanceof GpuEnsemble);
    for (const e of timed) e.timeGpu();
    // GPU seconds of every ensemble's passes (they run one after the other on the queue), or null
    const gpuTime = () => {
      const each = timed.map((e) => e.gpuSeconds);
      return each.length && each.every((s) => s !== null) ? each.reduce((sum: number, s) => sum + (s as number), 0) : null;
    };
    // explicit flow: right-hand-side evaluations; stiff flow: steps (Hessian, factorisation, solves); optimisers: steps
    const countsEvaluations = optimizer.kind === 'flow' && optimizer.solver === 'dopri5';
    const count = async () => {
      const statuses = (await Promise.all(ensembles.map((e) => e.status()))).flat();
      return statuses.reduce((sum, s) => sum + (countsEvaluations ? s.evaluations : s.steps), 0);
    };
    let steps = 2;
    for (;;) {
      const before = await count();
      const { elapsed, gpuSeconds } = await timeInterval(() => advance(steps).then(() => undefined), gpuTime);
      const done = (await count()) - before;
      if (elapsed >= seconds || steps >= 1 << 20) {
        const what =
          optimizer.kind !== 'flow'
            ? `${steps} steps, ${perNetworkData ? 'per-network data' : 'shared data'}`
            : countsEvaluations
              ? 'rhs evaluations, dopri5 rtol 1e-3'
              : 'stiff steps, rosenbrock23 rtol 1e-3';
        const split = sizes.length > 1 ? `, ${sizes.length} ensembles of ≤ ${sizes[0]} networks (the device's binding limit)` : '';
        return { networkStepsPerSecond: done / elapsed, seconds: elapsed, gpuSeconds, mode: what + split };
      }
      steps = Math.min(1 << 20, Math.max(steps * 2, Math.ceil((steps * seconds * 1.2) / Math.max(elapsed, 1e-4))));
    }
  } finally {
    for (const e of ensembles) e.dispose();
  }
}

/** One operation on one (already scaled) workload. Throws when the engine cannot run it. */
export async function measure(engine: Engine, w: Workload, op: string, seconds: number): Promise<Measurement> {
  if (op in OPTIMIZERS) return measureTraining(engine, w, op, seconds);
  const req = request(w, op);
  if (engine instanceof GpuEngine) {
    const resident = await engine.prepare(req);
    try {
      await resident.run(1); // compile and warm up
      resident.timeGpu();
      let repeats = 1;
      let elapsed = 0;
      let gpuSeconds: number | null = null;
      for (;;) {
        ({ elapsed, gpuSeconds } = await timeInterval(() => resident.run(repeats), () => resident.gpuSeconds()));
        if (elapsed >= seconds || repeats >= 1 << 16) break;
        repeats = Math.min(1 << 16, Math.max(repeats * 2, Math.ceil((repeats * seconds * 1.2) / Math.max(elapsed, 1e-4))));
      }
      return { networkStepsPerSecond: (w.networks * repeats) / elapsed, seconds: elapsed, gpuSeconds, mode: 'resident buffers, one submit' };
    } finally {
      resident.destroy();
    }
  }
  let calls = 0;
  const start = performance.now();
  do {
    await engine.evaluate(req);
    calls++;
  } while ((performance.now() - start) / 1000 < seconds);
  const elapsed = (performance.now() - start) / 1000;
  return { networkStepsPerSecond: (w.networks * calls) / elapsed, seconds: elapsed, gpuSeconds: null, mode: 'cpu float64' };
}

/** Operations whose kernels run the HVP passes (the stiff step's Hessian is HVP machinery too). */
const HVP_OPS = new Set(['hvp', 'stiff']);
/** Wall time of each strategy trial: enough to rank kernels whose throughputs differ by 10%. */
const TRIAL_SECONDS = 0.4;

/** The kernel strategy of the engine's kernels for an operation on a workload; null on the CPU. */
function strategyOf(engine: Engine, w: Workload, op: string): string | null {
  return engine instanceof GpuEngine ? strategyLabel(engine, w, HVP_OPS.has(op)) : null;
}

/** One measurement, a failure recorded rather than thrown. */
async function measureOrRecord(engine: Engine, w: Workload, op: string, seconds: number, scaledDown: string | null): Promise<BenchResult> {
  let outcome: Measurement | { error: string };
  try {
    outcome = await measure(engine, w, op, seconds);
  } catch (error) {
    outcome = { error: (error as Error).message };
  }
  return completeResult(engine, w, op, outcome, strategyOf(engine, w, op), scaledDown);
}

/**
 * The strategy the engine's kernels use on this workload (the tile is the one that fits the
 * device), or null when it cannot be planned (the measurement's error says why).
 */
function strategyLabel(engine: GpuEngine, w: Workload, hvp: boolean): string | null {
  try {
    return formatStrategy(planEvaluateKernel(workloadArchitecture(w), hvp, engine.gpu.limits, engine.tuning).strategy);
  } catch {
    return null;
  }
}

/**
 * How a GPU engine's kernels for the workload's shape disagree with the CPU engine on a small case
 * (verify.ts kernelDisagreement), or null: a kernel is timed only once it computes what the CPU
 * engine does, on this device. The CPU engine is the reference itself.
 */
async function disagreementOnWorkload(engine: Engine, w: Workload, hvp: boolean): Promise<string | null> {
  if (!(engine instanceof GpuEngine)) return null;
  // once per engine, shape and kernel: the strategy a trial chose is measured without a second check
  const arch = workloadArchitecture(w);
  const key = `${JSON.stringify(arch)} ${hvp}`;
  let checked = DISAGREEMENTS.get(engine);
  if (!checked) DISAGREEMENTS.set(engine, (checked = new Map()));
  let found = checked.get(key);
  if (!found) checked.set(key, (found = kernelDisagreement(engine, arch, hvp).catch((error: Error) => `checking it against the CPU engine failed: ${error.message}`)));
  return found;
}
const DISAGREEMENTS = new WeakMap<GpuEngine, Map<string, Promise<string | null>>>();

/**
 * Per workload, the fastest of `strategies` on `grad` (for the gradient kernels) and on `hvp` (for
 * the HVP-based ones, when `ops` has any), by short measurements reported through onTrial.
 * Strategies that come out the same on this device (a tile shrunk to fit workgroup memory) are timed
 * once; those the network cannot use (register accumulation beyond 128 parameters) are skipped; one
 * whose kernel disagrees with the CPU engine on the workload's shape (verify.ts kernelDisagreement)
 * is recorded as a failed trial and never chosen.
 */
async function chooseEngines(engine: GpuEngine, w: Workload, strategies: KernelStrategy[], ops: string[], options: BenchOptions, scaledDown: string | null): Promise<{ plain: Engine; hvp: Engine }> {
  const best = async (op: 'grad' | 'hvp') => {
    let winner: { engine: GpuEngine; rate: number } | null = null;
    const timed = new Set<string>();
    for (const strategy of strategies) {
      const candidate = engine.withTuning(strategy);
      const label = strategyLabel(candidate, w, op === 'hvp');
      if (label === null || timed.has(label)) continue;
      timed.add(label);
      const disagreement = await disagreementOnWorkload(candidate, w, op === 'hvp');
      const trial = disagreement
        ? completeResult(candidate, w, op, { error: `not timed: ${disagreement}` }, label, scaledDown)
        : await measureOrRecord(candidate, w, op, TRIAL_SECONDS, scaledDown);
      options.onTrial?.(trial);
      const rate = trial.networkStepsPerSecond ?? 0;
      if (rate > (winner?.rate ?? 0)) winner = { engine: candidate, rate };
    }
    return winner?.engine ?? engine;
  };
  const needs = (hvp: boolean) => ops.some((op) => HVP_OPS.has(op) === hvp);
  return { plain: needs(false) ? await best('grad') : engine, hvp: needs(true) ? await best('hvp') : engine };
}

/**
 * Measures every requested operation on every requested workload. A failed measurement is recorded
 * (networkStepsPerSecond null, error) instead of aborting: e.g. a kernel that cannot be planned for
 * the device's workgroup memory.
 */
export async function runBenchmark(engine: Engine, options: BenchOptions = {}): Promise<BenchResult[]> {
  const plan = resolvePlan(options.workloads, options.ops);
  // kernel strategies are the GPU kernels': the CPU engine (e.g. where no GPU was found) ignores them
  const strategies = (options.strategies ?? []).map(parseStrategy);
  const seconds = checkSeconds(options.seconds ?? DEFAULT_SECONDS);
  const scale = runScale(adapterOf(engine), options.scale === undefined ? undefined : checkScale(options.scale, plan.workloads));
  const total = plan.workloads.length * plan.ops.length;
  const results: BenchResult[] = [];
  for (const full of plan.workloads) {
    const w = scaleWorkload(full, scale);
    const scaledDown = runScaling([full], adapterOf(engine), options.scale);
    const pinned = engine instanceof GpuEngine && strategies.length === 1 ? engine.withTuning(strategies[0]) : engine;
    const engines =
      engine instanceof GpuEngine && strategies.length > 1 ? await chooseEngines(engine, w, strategies, plan.ops, options, scaledDown) : { plain: pinned, hvp: pinned };
    // no throughput of a kernel that computes something else on this device
    const disagreements = {
      plain: plan.ops.some((op) => !HVP_OPS.has(op)) ? await disagreementOnWorkload(engines.plain, w, false) : null,
      hvp: plan.ops.some((op) => HVP_OPS.has(op)) ? await disagreementOnWorkload(engines.hvp, w, true) : null,
    };
    for (const op of plan.ops) {
      options.onStart?.(w.name, op, results.length, total);
      const disagreement = HVP_OPS.has(op) ? disagreements.hvp : disagreements.plain;
      const measuring = HVP_OPS.has(op) ? engines.hvp : engines.plain;
      const result = disagreement
        ? completeResult(measuring, w, op, { error: `not measured: ${disagreement}` }, strategyOf(measuring, w, op), scaledDown)
        : await measureOrRecord(measuring, w, op, seconds, scaledDown);
      results.push(result);
      options.onResult?.(result, results.length - 1, total);
    }
  }
  return results;
}

/**
 * `software`: the code measured (Node: softwareLabel(currentSoftware()); the browser: the build's
 * define). `host`: the machine (Node: bench-command.ts describeHost; a page cannot see it).
 */
export function describeEnvironment(engine: Engine, kind: BenchEnvironment['kind'], runtime: string, software: string | null, host: BenchHost | null): BenchEnvironment {
  return { kind, runtime, adapter: adapterOf(engine), host, cpuEngineThreads: engine instanceof CpuEngine ? engine.threads : null, software };
}

export function benchmarkReport(engine: Engine, requested: BenchRequest, environment: BenchEnvironment, results: BenchResult[], strategyTrials: BenchResult[] = []): BenchReport {
  return { framework: 'channelscope', backend: engine.backend, device: engine.description, date: new Date().toISOString(), requested, units: REPORT_UNITS, environment, results, strategyTrials };
}

/**
 * The lines above the table: what measures (backend, device or adapter, CPU threads), on what
 * machine, and how B and N were scaled; the table's rows alone do not say.
 */
export function formatHeader(environment: BenchEnvironment, engine: Pick<Engine, 'backend' | 'description'>, scaling: string | null): string[] {
  const host = environment.host ? `${environment.host.cpu} (${environment.host.logicalCores} logical cores), ${environment.host.os}; ` : '';
  const threads = environment.cpuEngineThreads === null ? '' : ` (${environment.cpuEngineThreads} thread${environment.cpuEngineThreads === 1 ? '' : 's'})`;
  return [`backend ${engine.backend}${threads}: ${engine.description}`, `${host}${environment.runtime}`, ...(scaling ? [scaling] : [])];
}

/** One line of the human-readable table (both CLIs print the same). */
export function formatResult(result: BenchResult): string {
  const figure = result.networkStepsPerSecond === null ? `failed: ${result.error}` : `${result.networkStepsPerSecond.toPrecision(4).padStart(10)} network-steps/s`;
  const gpu = result.gpuSeconds ? `, GPU busy ${((100 * result.gpuSeconds) / result.seconds).toFixed(0)}% of wall` : '';
  const use = result.utilisation ? `, ${(result.utilisation.achievedFlops / 1e12).toPrecision(3)} TFLOP/s (${(100 * result.utilisation.flopsShare).toFixed(1)}% of FP32 peak), bound: ${result.utilisation.bound}` : '';
  const strategy = result.strategy ? `, ${result.strategy}` : '';
  return `${result.workload.padEnd(10)} ${result.op.padEnd(8)} ${figure}  (B=${result.B} N=${result.N} d=${result.d} r=${result.r}${strategy}${gpu}${use})`;
}
