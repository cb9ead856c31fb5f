// The scheduler: streams a sweep's runs through training ensembles, keeping every slot busy.
//
// Runs that can share one ensemble (same architecture, activation, biases, optimiser, sample count,
// norm barrier, and for gradient flow the same time budget) form a group; groups run one after the
// other (or a few at once: SchedulerOptions.groupsInFlight), each on one ensemble of min(slots, runs
// in the group, what the device's buffers hold) slots.
// On the GPU, runs of several activations form one group (Engine.activationGroup: one kernel reads each
// slot's activation): a group lasts as long as its slowest run, and a GPU runs the dispatches of
// different ensembles one after the other (each dispatch of a group's tail, a few networks, leaves
// most of it idle), so fewer, fuller groups finish sooner.
// A run is loaded into a free slot; all active slots advance together; when a stop rule fires the run
// is retired, its record emitted, and the slot refilled at once with the group's next run, so a sweep
// never waits for its slowest run.
//
// Determinism: a run's result must not depend on which runs share its ensemble, on the slot count,
// on shards or on resumes. So every run has its own event steps — its log-spaced trajectory points,
// the multiples of checkEvery, and maxSteps — and its stop rules are evaluated (and its trajectory
// recorded) only when its step count is at one of them. The ensemble advances by the distance to
// the nearest event of any active slot, so no slot ever passes one of its own events; splitting an
// advance into smaller chunks does not change a run. (Runs loaded at different times are out of
// phase, so a refill costs a few short advances while the new run's early trajectory points pass.)
// The one exception is max-seconds, a wall-clock budget.
//
// Stop rules, checked at a run's events in this order:
//   diverged            a non-finite value appeared (checked at every status read: the slot is frozen)
//   factorization-failed  stiff gradient flow: the step size collapsed (or hit the floor) while
//                       I + h·d·H would not factorise (a non-finite Hessian); θ is the last accepted point
//   converged           ‖∇(L + R)‖∞ ≤ gradTol·max(1, ‖θ‖∞) (spec.ts; gradTol 0 disables it; on the
//                       float32 GPU engine gradTol is at least FLOAT32_GRAD_TOL and stationaryTol at
//                       least FLOAT32_STATIONARY_TOL, classify.ts: float32's floors at a minimum) AND the
//                       weight norm wn = Σθ²/(2P) changed by at most stop.stationaryTol (relative,
//                       default 1e-5) since its latest event at least checkEvery steps earlier (so
//                       never at a run's first event, nor over the few steps from a check to a
//                       trajectory point; at a multiple of checkEvery, since the previous one), or, in
//                       float64, its gradient is at rounding and the objective flat over that interval
//                       (classify.ts ROUNDING_GRADIENT, LEVEL_OBJECTIVE_CHANGE): on a manifold of critical
//                       points a stiff solver's huge steps move θ along it without a trend.
//                       The second test is what tells a minimum from a channel entrance: there the
//                       gradient is ~ε³, below a scaled tolerance long before the barrier, while wn
//                       keeps growing by 1e-3 to 1e-1 per check (measured: every run at r = 4 and 8
//                       of examples/stiff-vs-explicit.json that the gradient test alone stopped at a
//                       finite norm; benchmarks/results/cpu-stiff-flow-2026-11-23.md). The status
//                       carries wn, which bounds ‖θ‖∞ between √(2wn) and √(2P·wn); only between the
//                       two bounds are the slot's parameters read back
//                       On the float32 GPU engine a flow whose step size collapses with ‖∇‖∞ within
//                       that float32 tolerance has converged too: at a minimum it stops accepting
//                       steps at its rounding floor, often before a second check could see it at rest
//   step-size-collapse  gradient flow: the next step would move no parameter of θ's size: h·‖∇(L + R)‖∞ ≤
//                       STEP_PROGRESS_FLOOR (plain float32: FLOAT32_STEP_PROGRESS_FLOOR)·max(1, √(2·wn)),
//                       θ's RMS (a lower bound of ‖θ‖∞) times the arithmetic's resolution; a parameter far
//                       below the RMS may still move then, which only a longer run would use — or no step accepted in
//                       STALLED_CHUNK_LIMIT consecutive advances (each one the engine's full attempt
//                       budget). Not h against the simulated time: the flow is autonomous, and along a
//                       channel time grows to 1e17 while a transient (a neuron setting off) can take h
//                       7 orders below its running size; the rule h < 1e-12·time stopped 8 of the float64
//                       flow sweep's 200 r = 8 runs at weight norms 350–900, and seed 91 restarted from
//                       where it stopped reached the barrier in 400 steps.
//                       One advance without progress is no collapse: a slot's next event can
//                       be one step away, and that advance's budget (4·steps + 16 attempts) a stiff
//                       stretch of rejections can use up while the step size is healthy (measured:
//                       a rosenbrock23 run near the barrier, seed 135 of examples/stiff-vs-explicit.json
//                       at r = 4, every 14th step)
//   max-time            gradient flow: simulated time reached stop.maxTime (every read: the slot stops there;
//                       on the GPU, whose slots keep time in float32, the float32 number nearest below it)
//   max-steps           steps reached stop.maxSteps
//   patience            the objective (loss + barrier, what the optimiser minimises) has not improved
//                       by a relative stop.minImprovement (default 1e-7) for stop.patience steps,
//                       compared at the run's events
//   max-seconds         wall time since the run was loaded ≥ stop.maxSeconds
//   max-evaluations     gradient evaluations (a Hessian counts P) ≥ stop.maxEvaluations
//
// Diagnostics (src/analysis/diagnostics.ts: closest neuron pairs, extreme and full Hessian spectra)
// are computed on the engine for every run when it ends — record.diagnostics — and, with
// stop.diagnosticsEvery = k, also at every k-th check (steps a multiple of k·checkEvery) into
// record.checkDiagnostics. All slots that need them at one status read share one engine call.
import { ACTIVATIONS, parameterCount, type Activation, type Architecture } from '../model/architecture.js';
import { formatParameterFile } from '../model/params-file.js';
import type { Dataset } from '../data/dataset.js';
import type { Engine } from '../engine/engine.js';
import type { SlotStatus, TrainingEnsemble } from '../engine/training.js';
import { portableExp, portableLog } from '../numerics/portable-math.js';
import type { OptimizerConfig } from '../optim/optimizers.js';
import { polishNetwork, type PolishConfig } from './polish.js';
import { DEFAULT_THRESHOLDS, gradTolFor, heldToFloat32Floors, isAtBarrier, LEVEL_OBJECTIVE_CHANGE, ROUNDING_GRADIENT, stationaryTolFor } from '../analysis/classify.js';
import { DEFAULT_DIAGNOSTICS_SETTINGS, type DiagnosticsSettings, type RunDiagnostics } from '../analysis/diagnostics.js';
import type { RunRecord, StopReason, TrajectoryPoint } from './results.js';

export interface StopRules {
  maxSteps: number;
  /** gradient flow: simulated-time budget */
  maxTime?: number | null;
  /** wall-clock budget per run */
  maxSeconds?: number | null;
  /** budget of gradient evaluations (a Hessian counts as P), checked at events */
  maxEvaluations?: number | null;
  /** converged when gradInf ≤ gradTol·max(1, ‖θ‖∞); 0 disables */
  gradTol: number;
  /** …and the weight norm changed by at most this (relative) since the previous event; default DEFAULT_THRESHOLDS.stationaryTol */
  stationaryTol?: number | null;
  /** stop ('barrier') at the first event with weightNorm > maxnorm·(1 − barrierTolerance), the classifier's "at the barrier"; default: for gradient flow only (spec.ts says why) */
  atBarrier?: boolean | null;
  patience?: number | null;
  /** relative improvement that resets the patience counter; default 1e-7 */
  minImprovement?: number;
  /** steps between stop-rule checks */
  checkEvery: number;
  /** diagnostics at every this-many-th check as well (default: only when the run ends) */
  diagnosticsEvery?: number | null;
}

/** The parts of a resolved configuration the scheduler reads (grid.ts's ResolvedRun config has more). */
export interface SchedulableConfig {
  architecture: Architecture;
  /** the optimiser as the spec writes it; SchedulerOptions.optimizer turns it into the engines' form */
  optimizer: { kind: string };
  /** norm barrier threshold; null: no barrier */
  maxnorm: number | null;
  stop: StopRules;
  trajectory: { points: number };
  /** Newton–CG after training (polish.ts); absent: none */
  polish?: PolishConfig;
}

export interface SchedulableRun<C extends SchedulableConfig = SchedulableConfig> {
  id: string;
  configIndex: number;
  seed: number;
  config: C;
}

export interface PreparedRun {
  params: Float64Array;
  data: Dataset;
}

export interface SchedulerOptions<R extends SchedulableRun> {
  engine: Engine;
  /** slots per ensemble (capped by the group's run count and by what the device's buffers hold, Engine.maxSlots); default 4096 on the GPU, 64 on the CPU */
  slots?: number;
  /** samples in a run's dataset (runs with different counts cannot share an ensemble) */
  samples: (run: R) => number;
  /** the engines' optimiser of a run; default: run.config.optimizer as it is */
  optimizer?: (run: R) => OptimizerConfig;
  /** a run's initial parameters and dataset, built when the run is loaded */
  prepare: (run: R) => PreparedRun | Promise<PreparedRun>;
  /**
   * Equal for runs whose datasets are equal (grid.ts's datasetKey). When every run of a group has
   * the same key the ensemble stores that one dataset once (EnsembleOptions.sharedData) instead of
   * one per slot. Default: no sharing.
   */
  dataKey?: (run: R) => string;
  /** called once per finished run, in the order runs finish */
  onRecord: (record: RunRecord, run: R) => void | Promise<void>;
  /**
   * Power-iteration and Lanczos counts of the diagnostics every record gets at its end (and at checks
   * with stop.diagnosticsEvery); default DEFAULT_DIAGNOSTICS_SETTINGS; null: no diagnostics at all.
   */
  diagnostics?: DiagnosticsSettings | null;
  /** called after every status read (progress, checkpoints), with how far the runs still going have got */
  onTick?: (active: ActiveRuns) => void | Promise<void>;
  /** wall clock in seconds (tests) */
  now?: () => number;
  /**
   * Groups trained at once, each on its own ensemble (default: Engine.groupsInFlight, else 1). A GPU
   * runs their dispatches one after another all the same, but while one group's host reads its
   * status, applies the stop rules and refills slots, another's dispatches keep the GPU busy.
   */
  groupsInFlight?: number;
  /**
   * Every run of the sweep, when `runs` is a part of it (a shard, or what a resume left). A run's
   * kernel is planned for the slots of the whole sweep's group (EnsembleOptions.planSlots) and, on an
   * engine whose ensembles mix activations (Engine.activationGroup), serves the activations of the
   * whole sweep's runs in its group, so that training a part gives each run the same kernel, and the
   * same result, as training the whole (with the same `slots`). Default: `runs`.
   */
  sweepRuns?: readonly R[];
}

/** The runs still going after a status read (the runs retired at it excluded), for progress lines. */
export interface ActiveRuns {
  running: number;
  /** median and largest step count among them (0 when none) */
  medianSteps: number;
  maxSteps: number;
  /** largest weight norm among them (0 when none) */
  maxWeightNorm: number;
}

/**
 * The runs still going, as progress lines say them ("6 running: step 200 median, 450 most, weight
 * norm ≤ 267"); `remaining`: the runs not yet recorded, which bound the count (a run recorded since
 * the tick is counted done, not also running). '' when none is going.
 */
export function activeRunsText(active: ActiveRuns | undefined, remaining: number): string {
  const running = active ? Math.min(active.running, remaining) : 0;
  if (!active || running === 0) return '';
  return `${running} running: step ${active.medianSteps} median, ${active.maxSteps} most, weight norm ≤ ${active.maxWeightNorm.toPrecision(3)}`;
}

function summarizeActive(statuses: readonly { steps: number; weightNorm: number }[]): ActiveRuns {
  const steps = statuses.map((status) => status.steps).sort((a, b) => a - b);
  return {
    running: statuses.length,
    medianSteps: steps.length > 0 ? steps[Math.floor((steps.length - 1) / 2)] : 0,
    maxSteps: steps.length > 0 ? steps[steps.length - 1] : 0,
    maxWeightNorm: statuses.reduce((max, status) => Math.max(max, status.weightNorm), 0),
  };
}

export const DEFAULT_SLOTS = { gpu: 4096, cpu: 64 } as const;

/** relative improvement of the objective that resets the patience counter, unless the stop rules say */
export const DEFAULT_MIN_IMPROVEMENT = 1e-7;
/** a float64 flow's step size has collapsed when h·‖∇‖∞ falls below this times max(1, √(2·wn)) ≤ ‖θ‖∞: its steps move nothing */
export const STEP_PROGRESS_FLOOR = 1e-15;
/** float32 parameters resolve about 6e-8 of themselves */
export const FLOAT32_STEP_PROGRESS_FLOOR = 1e-7;
/** consecutive advances without an accepted step that make a gradient-flow run a step-size collapse */
export const STALLED_CHUNK_LIMIT = 10;

export interface SweepSummary {
  runs: number;
  byReason: Record<string, number>;
  groups: number;
}

// ---- trajectory points and events -----------------------------------------------------------------

/** `points` log-spaced step counts from 1 to maxSteps, rounded and de-duplicated. */
export function trajectorySteps(points: number, maxSteps: number): number[] {
  if (!(points >= 1) || !(maxSteps >= 1)) return [];
  if (points === 1) return [Math.round(maxSteps)];
  const out: number[] = [];
  // portable log and exp: the same points in every JavaScript engine
  const top = portableLog(maxSteps);
  for (let i = 0; i < points; i++) {
    const step = Math.min(Math.max(Math.round(portableExp((top * i) / (points - 1))), 1), maxSteps);
    if (out.length === 0 || step > out[out.length - 1]) out.push(step);
  }
  out[out.length - 1] = maxSteps;
  return out;
}

// ---- grouping ---------------------------------------------------------------------------------------

/**
 * Runs with equal keys can share an ensemble. `activationGroup` (Engine.activationGroup): runs of
 * activations with the same group share one (a mixed kernel); absent, one activation per ensemble.
 */
export function ensembleKey(config: SchedulableConfig, optimizer: OptimizerConfig, samples: number, activationGroup?: (activation: Activation) => string): string {
  const { architecture: a, maxnorm } = config;
  const key: Record<string, unknown> = {
    inputDim: a.inputDim,
    hidden: a.hidden,
    activation: activationGroup ? `group ${activationGroup(a.activation)}` : a.activation,
    biases: a.biases,
    optimizer: sortedObject(optimizer as unknown as Record<string, unknown>),
    samples,
    maxnorm: maxnorm ?? null,
  };
  // advance(steps, untilTime) takes one time limit for the whole ensemble
  if (optimizer.kind === 'flow') key.maxTime = config.stop.maxTime ?? null;
  return JSON.stringify(key);
}

function sortedObject(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) if (value[k] !== undefined) out[k] = value[k];
  return out;
}

const asOptimizer = (run: SchedulableRun) => run.config.optimizer as OptimizerConfig;

/** Runs by ensemble key (ensembleKey), keys in order of their first run, runs in their given order. */
function runsByKey<R extends SchedulableRun>(
  runs: readonly R[],
  samples: (run: R) => number,
  optimizer: (run: R) => OptimizerConfig,
  activationGroup?: (activation: Activation) => string,
): Map<string, R[]> {
  const groups = new Map<string, R[]>();
  for (const run of runs) {
    const key = ensembleKey(run.config, optimizer(run), samples(run), activationGroup);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(run);
  }
  return groups;
}

/** Runs grouped by ensemble key (ensembleKey), groups in order of their first run, runs in their given order. */
export function groupRuns<R extends SchedulableRun>(
  runs: readonly R[],
  samples: (run: R) => number,
  optimizer: (run: R) => OptimizerConfig = asOptimizer,
  activationGroup?: (activation: Activation) => string,
): R[][] {
  return [...runsByKey(runs, samples, optimizer, activationGroup).values()];
}

/** The activations of `runs`, in ACTIVATIONS order. */
function activationsOf(runs: readonly SchedulableRun[]): Activation[] {
  const present = new Set(runs.map((run) => run.config.architecture.activation));
  return ACTIVATIONS.filter((activation) => present.has(activation));
}

// ---- the sweep --------------------------------------------------------------------------------------

interface Active<R> {
  run: R;
  params0: Float64Array;
  /** the run's dataset (the polish needs it) */
  data: Dataset;
  loadedAt: number;
  /** trajectory step counts and the index of the next one */
  points: number[];
  nextPoint: number;
  trajectory: TrajectoryPoint[];
  /** parameters at the last RECENT_PARAMS checks, oldest first, with the step of each */
  recent: { steps: number; theta: Float64Array }[];
  /** diagnostics at checks (stop.diagnosticsEvery) */
  checkDiagnostics: { step: number; diagnostics: RunDiagnostics }[];
  steps: number;
  /** consecutive advances in which this run accepted no step (gradient flow) */
  stalledChunks: number;
  /** a float32 flow that came to rest at its gradient floor (decide: converged by a collapse) */
  restedAtFloor?: boolean;
  bestObjective: number;
  stepAtBest: number;
  /**
   * the weight norm at the run's recent events, oldest first: stationarity is tested against the
   * latest at least checkEvery steps back
   */
  normHistory: { steps: number; weightNorm: number; objective: number }[];
}

/** checks whose parameters a record keeps (for the channel-subspace criterion) */
export const RECENT_PARAMS = 3;

/** Keeps a slot's parameters at `steps` among its last RECENT_PARAMS. */
function keepRecent(slot: Pick<Active<SchedulableRun>, 'recent'>, steps: number, theta: Float64Array): void {
  slot.recent.push({ steps, theta });
  if (slot.recent.length > RECENT_PARAMS) slot.recent.shift();
}

function nextEvent(slot: Active<SchedulableRun>): number {
  const { maxSteps, checkEvery } = slot.run.config.stop;
  const every = Math.max(1, Math.floor(checkEvery));
  let next = Math.min(maxSteps, (Math.floor(slot.steps / every) + 1) * every);
  if (slot.nextPoint < slot.points.length) next = Math.min(next, slot.points[slot.nextPoint]);
  return next;
}

/** stop.diagnosticsEvery = k: diagnostics at steps that are multiples of k·checkEvery */
function diagnosticsDue(stop: StopRules, steps: number): boolean {
  const every = stop.diagnosticsEvery;
  if (every == null || !(every >= 1)) return false;
  const period = Math.max(1, Math.floor(stop.checkEvery)) * Math.floor(every);
  return steps > 0 && steps % period === 0;
}

/** |wn − previous| ≤ tol·max(wn, previous); false without a previous event */
export function stationary(weightNorm: number, previous: number | null, tol: number): boolean {
  return previous !== null && Math.abs(weightNorm - previous) <= tol * Math.max(weightNorm, previous);
}

function point(status: SlotStatus): TrajectoryPoint {
  return { step: status.steps, time: status.time, loss: status.loss, gradInf: status.gradInf, weightNorm: status.weightNorm };
}

/** Trains every run and emits one record per run. */
export async function runSweep<R extends SchedulableRun>(runs: readonly R[], options: SchedulerOptions<R>): Promise<SweepSummary> {
  const summary: SweepSummary = { runs: 0, byReason: {}, groups: 0 };
  const optimizer = options.optimizer ?? asOptimizer;
  const activationGroup = options.engine.activationGroup?.bind(options.engine);
  const groups = [...runsByKey(runs, options.samples, optimizer, activationGroup)];
  // A group's kernel serves the activations of every run of the sweep with its key (sweepRuns, of
  // which `runs` may be a shard or what a resume left), and its own, and is planned for the slots the
  // whole sweep's group would get: so a run's kernel, and with it its result to the last bit, is
  // fixed by the sweep, not by which of its runs are trained together.
  const sweepGroups = options.sweepRuns ? runsByKey(options.sweepRuns, options.samples, optimizer, activationGroup) : null;
  const inFlight = options.groupsInFlight ?? options.engine.groupsInFlight ?? 1;
  if (!Number.isInteger(inFlight) || inFlight < 1) throw new RangeError(`groupsInFlight must be a positive integer, got ${inFlight}`);
  // progress over every group in flight: each reports its own runs still going
  const going = new Map<number, readonly SlotStatus[]>();
  const groupOptions = (index: number): GroupOptions<R> => ({
    ...options,
    onTick: async (statuses: readonly SlotStatus[]) => {
      going.set(index, statuses);
      await options.onTick?.(summarizeActive([...going.values()].flat()));
    },
  });
  const failure: { error?: unknown } = {};
  let next = 0;
  const worker = async () => {
    while (next < groups.length && !('error' in failure)) {
      const index = next++;
      const [key, group] = groups[index];
      summary.groups++;
      try {
        await runGroup(group, groupOptions(index), summary, sweepGroups?.get(key) ?? group, failure);
      } catch (error) {
        if (!('error' in failure)) failure.error = error;
      } finally {
        going.delete(index);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, groups.length) }, worker));
  if ('error' in failure) throw failure.error;
  return summary;
}

/** A group's scheduler options: its onTick gets its own runs still going (runSweep adds up the groups in flight). */
type GroupOptions<R extends SchedulableRun> = Omit<SchedulerOptions<R>, 'onTick'> & { onTick?: (going: readonly SlotStatus[]) => void | Promise<void> };

/**
 * Trains one group's runs on one ensemble whose kernel serves the activations of the group and of
 * its sweep's group (the runs of the whole sweep with its key), planned for the slots the sweep's
 * group gets (EnsembleOptions.planSlots).
 */
async function runGroup<R extends SchedulableRun>(
  group: R[],
  options: GroupOptions<R>,
  summary: SweepSummary,
  sweepGroup: readonly R[],
  /** set when a group in flight beside this one failed: this one stops at its next status read */
  failure: { error?: unknown },
): Promise<void> {
  const { engine } = options;
  const now = options.now ?? (() => performance.now() / 1000);
  const first = group[0].config;
  const requested = options.slots ?? DEFAULT_SLOTS[engine.backend];
  if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`slots must be a positive integer, got ${requested}`);
  const optimizer = (options.optimizer ?? asOptimizer)(group[0]);
  const isFlow = optimizer.kind === 'flow';
  // the GPU engine's runs are held to float32's floors (classify.ts heldToFloat32Floors)
  const float32 = heldToFloat32Floors(engine.backend);
  const maxTime = isFlow ? (first.stop.maxTime ?? Infinity) : Infinity;
  // the GPU's kernels keep a slot's time in float32 and stop at time ≥ fround(maxTime), which can lie
  // below maxTime (0.9 → 0.8999999762): compared with maxTime itself such a slot never had its time
  // up, made no more progress, and ended as a step-size collapse (gd-from-channel's segmented flows)
  const timeLimit = float32 ? Math.min(maxTime, Math.fround(maxTime)) : maxTime;
  const P = parameterCount(first.architecture);
  const diagnosticsSettings = options.diagnostics === undefined ? DEFAULT_DIAGNOSTICS_SETTINGS : options.diagnostics;

  // one stored dataset when the sweep's whole group shares it (not just this part of it: the buffers,
  // and with them the slots the device holds, planSlots among them, are the whole sweep's)
  let sharedData: Dataset | undefined;
  if (options.dataKey) {
    const key = options.dataKey(group[0]);
    if ([...group, ...sweepGroup].every((run) => options.dataKey!(run) === key)) sharedData = (await options.prepare(group[0])).data;
  }
  const activations = activationsOf([...group, ...sweepGroup]);
  const ensembleOptions = {
    arch: first.architecture,
    optimizer,
    samples: options.samples(group[0]),
    maxnorm: first.maxnorm ?? Infinity,
    ...(sharedData ? { sharedData } : {}),
    ...(activations.length > 1 ? { activations } : {}),
  };
  // as many slots as asked for, the group has runs and the device's bindings hold
  const fitting = engine.maxSlots?.(ensembleOptions) ?? Infinity;
  if (fitting < 1) throw new RangeError(`one run of ${group[0].id}'s group needs more memory per buffer than this device's storage binding limit`);
  const slots = Math.min(requested, group.length, fitting);
  const planSlots = Math.min(requested, Math.max(group.length, sweepGroup.length), fitting);
  const ensemble: TrainingEnsemble = await engine.createEnsemble({ ...ensembleOptions, slots, planSlots });
  try {
    const active: (Active<R> | null)[] = new Array(slots).fill(null);
    let next = 0;
    let running = 0;

    const fill = async () => {
      for (let i = 0; i < slots && next < group.length; i++) {
        if (active[i]) continue;
        const run = group[next++];
        const prepared = await options.prepare(run);
        // runIndex 0: the minibatch stream depends on the seed alone, so a run draws the same
        // minibatches whatever slot, shard or position it gets
        await ensemble.load(i, { params: prepared.params, data: sharedData ?? prepared.data, seed: run.seed, runIndex: 0, activation: run.config.architecture.activation });
        active[i] = {
          run,
          params0: Float64Array.from(prepared.params),
          data: sharedData ?? prepared.data,
          loadedAt: now(),
          points: trajectorySteps(run.config.trajectory.points, run.config.stop.maxSteps),
          nextPoint: 0,
          trajectory: [],
          recent: [],
          checkDiagnostics: [],
          steps: 0,
          stalledChunks: 0,
          bestObjective: Infinity,
          stepAtBest: 0,
          normHistory: [],
        };
        running++;
      }
    };

    const retire = async (i: number, status: SlotStatus, reason: StopReason, diagnostics: RunDiagnostics | undefined) => {
      const slot = active[i]!;
      const params = await ensemble.parameters(i);
      ensemble.release(i);
      active[i] = null;
      running--;
      const trajectory = slot.trajectory;
      if (trajectory.length === 0 || trajectory[trajectory.length - 1].step !== status.steps) trajectory.push(point(status));
      const recent = slot.recent;
      const last = recent[recent.length - 1]?.theta;
      // the final θ once more where the run ended at rest without moving since its last check (a
      // float32 flow at its gradient floor): the record's last interval is that rest
      if (!last || slot.restedAtFloor || last.some((v, k) => v !== params[k])) keepRecent(slot, status.steps, params);
      const arch = slot.run.config.architecture;
      const record: RunRecord = {
        id: slot.run.id,
        configIndex: slot.run.configIndex,
        seed: slot.run.seed,
        config: slot.run.config,
        backend: ensemble.backend,
        device: ensemble.description,
        arithmetic: ensemble.arithmetic,
        params0: formatParameterFile(arch, slot.params0),
        params: formatParameterFile(arch, params),
        loss: status.loss,
        barrier: status.barrier,
        gradInf: status.gradInf,
        weightNorm: status.weightNorm,
        steps: status.steps,
        evaluations: status.evaluations,
        time: status.time,
        wallSeconds: now() - slot.loadedAt,
        stopReason: reason,
        trajectory,
        recentParams: recent.map(({ theta }) => Array.from(theta)),
        recentSteps: recent.map(({ steps }) => steps),
        ...(diagnostics ? { diagnostics } : {}),
        ...(slot.checkDiagnostics.length > 0 ? { checkDiagnostics: slot.checkDiagnostics } : {}),
      };
      const polish = slot.run.config.polish;
      if (polish && reason !== 'diverged') {
        record.polish = polishNetwork(arch, slot.data, params, slot.run.config.maxnorm ?? Infinity, polish);
      }
      summary.runs++;
      summary.byReason[reason] = (summary.byReason[reason] ?? 0) + 1;
      await options.onRecord(record, slot.run);
    };

    /** gradInf ≤ gradTol·max(1, ‖θ‖∞), reading the parameters only when the weight norm cannot decide */
    const converged = async (i: number, status: SlotStatus, tol: number): Promise<boolean> => {
      if (!(tol > 0)) return false;
      const wn = Math.max(status.weightNorm, 0);
      if (status.gradInf <= tol * Math.max(1, Math.sqrt(2 * wn) * (1 - 1e-6))) return true; // ‖θ‖∞ ≥ √(Σθ²/P)
      if (status.gradInf > tol * Math.max(1, Math.sqrt(2 * P * wn) * (1 + 1e-6))) return false; // ‖θ‖∞ ≤ ‖θ‖₂
      let thetaInf = 0;
      for (const value of await ensemble.parameters(i)) thetaInf = Math.max(thetaInf, Math.abs(value));
      return status.gradInf <= tol * Math.max(1, thetaInf);
    };

    // plain float32 parameters resolve 6e-8 of themselves; double-float and float32 group coordinates
    // (channel differences kept apart) resolve far finer, and are held to float64's floor
    const stepFloor = ensemble.arithmetic === 'float32' ? FLOAT32_STEP_PROGRESS_FLOOR : STEP_PROGRESS_FLOOR;
    /** Whether a flow's next step would move no parameter of θ's size (the step size collapsed; module comment). */
    const stepCollapsed = (status: SlotStatus): boolean => !(status.stepSize * status.gradInf > stepFloor * Math.max(1, Math.sqrt(2 * Math.max(0, status.weightNorm))));

    /** The stop reason of a slot after a status read, or null to go on. */
    const decide = async (i: number, slot: Active<R>, status: SlotStatus, event: number): Promise<StopReason | null> => {
      const stop = slot.run.config.stop;
      const advanced = status.steps - slot.steps;
      slot.steps = status.steps;
      if (!status.finite) return status.factorizationFailed ? 'factorization-failed' : 'diverged';
      const collapsed = async (): Promise<StopReason> => {
        if (status.factorizationFailed) return 'factorization-failed';
        // a float32 stiff flow at a minimum stops accepting steps once its gradient is down to the
        // rounding floor, often before a second check could see it at rest: measured on SwiftShader,
        // flow-sweep runs at their finite minimum collapsed 0–170 steps after arriving there, with
        // ‖∇‖∞ 2e-5–9e-5. Within the float32 tolerance that is convergence (the run cannot move on)
        if (float32 && (await converged(i, status, gradTolFor(stop.gradTol, true)))) {
          slot.restedAtFloor = true;
          return 'converged';
        }
        return 'step-size-collapse';
      };
      if (status.steps > event) throw new Error(`engine advanced slot past its event (${status.steps} > ${event})`);
      const atEvent = status.steps === event;
      const timeUp = isFlow && status.time >= timeLimit;
      if (atEvent && slot.nextPoint < slot.points.length && slot.points[slot.nextPoint] === status.steps) {
        slot.trajectory.push(point(status));
        slot.nextPoint++;
      }
      slot.stalledChunks = advanced === 0 ? slot.stalledChunks + 1 : 0;
      if (!atEvent) {
        if (timeUp) return 'max-time';
        if (advanced === 0) {
          if (!isFlow) throw new Error(`the ${engine.backend} engine made no progress on a run (${slot.run.id}) without marking it non-finite`);
          if (slot.stalledChunks >= STALLED_CHUNK_LIMIT || stepCollapsed(status)) return await collapsed();
        }
        return null;
      }
      // stationarity over at least checkEvery steps: trajectory points (log-spaced) are events too, and
      // over the few steps between one and a check a run moving along a channel barely changes its norm
      // (flow sweep r = 8 seed 105, float64: 16 steps changed wn by 6e-6 relative where the 100 before
      // changed it by 2e-3, and the run was stopped as converged at wn 651 on its way to the barrier)
      const every = Math.max(1, Math.floor(stop.checkEvery));
      const history = slot.normHistory;
      let back = -1;
      for (let k = history.length - 1; k >= 0 && back < 0; k--) if (status.steps - history[k].steps >= every) back = k;
      const reference = back >= 0 ? history[back] : null;
      // older entries are never the latest checkEvery back again
      if (back > 0) history.splice(0, back);
      const objective = status.loss + status.barrier;
      history.push({ steps: status.steps, weightNorm: status.weightNorm, objective });
      const gradTol = gradTolFor(stop.gradTol, float32);
      if (gradTol > 0) {
        const stationaryTol = stationaryTolFor(stop.stationaryTol ?? DEFAULT_THRESHOLDS.stationaryTol, float32);
        // or on a manifold of critical points, where the norm wanders without a trend: a float64
        // gradient at rounding and the objective flat (a float32 objective cannot resolve a channel's descent)
        const objectiveFlat = !float32 && reference !== null && Math.abs(objective - reference.objective) <= LEVEL_OBJECTIVE_CHANGE * Math.abs(objective);
        const atRest = stationary(status.weightNorm, reference?.weightNorm ?? null, stationaryTol) || (objectiveFlat && (await converged(i, status, ROUNDING_GRADIENT)));
        if (atRest && (await converged(i, status, gradTol))) return 'converged';
      }
      const maxnorm = slot.run.config.maxnorm ?? Infinity;
      // "at the barrier" as the classifier reads it (within barrierTolerance of maxnorm): a flow can come
      // to hover a hair below maxnorm, where the barrier term balances the pull along the channel
      if ((stop.atBarrier ?? isFlow) && isAtBarrier(status.weightNorm, maxnorm)) return 'barrier';
      // a run whose time is up stops there: its last step was cut short to land on maxTime, and says
      // nothing of the step size
      if (timeUp) return 'max-time';
      if (isFlow && stepCollapsed(status)) return await collapsed();
      if (status.steps >= stop.maxSteps) return 'max-steps';
      if (stop.maxEvaluations != null && status.evaluations >= stop.maxEvaluations) return 'max-evaluations';
      const minImprovement = stop.minImprovement ?? DEFAULT_MIN_IMPROVEMENT;
      if (objective < slot.bestObjective - minImprovement * Math.abs(slot.bestObjective) || slot.bestObjective === Infinity) {
        slot.bestObjective = objective;
        slot.stepAtBest = status.steps;
      } else if (stop.patience != null && status.steps - slot.stepAtBest >= stop.patience) {
        return 'patience';
      }
      if (stop.maxSeconds != null && now() - slot.loadedAt >= stop.maxSeconds) return 'max-seconds';
      return null;
    };

    await fill();
    while (running > 0) {
      // every slot runs to its own next event (advance's stopAt) in one advance, as long as the
      // farthest needs: stopping the whole ensemble at the nearest event of any slot would, with
      // hundreds of slots at different step counts, advance it one or two steps at a time
      let chunk = 1;
      const events: number[] = new Array(slots).fill(-1); // empty slots: −1, skipped by the engines
      for (let i = 0; i < slots; i++) {
        const slot = active[i];
        if (!slot) continue;
        events[i] = nextEvent(slot);
        chunk = Math.max(chunk, events[i] - slot.steps);
      }
      await ensemble.advance(chunk, isFlow && Number.isFinite(maxTime) ? maxTime : undefined, events);
      const statuses = await ensemble.status();
      // every slot at one of its checks keeps its parameters (one readback for all of them)
      if (active.some((slot, i) => slot && statuses[i].steps === events[i])) {
        const all = await ensemble.allParameters();
        active.forEach((slot, i) => {
          if (!slot || statuses[i].steps !== events[i]) return;
          keepRecent(slot, statuses[i].steps, all.slice(i * P, (i + 1) * P));
        });
      }
      const retiring: { i: number; reason: StopReason }[] = [];
      const diagnose = new Set<number>();
      const atCheck: number[] = [];
      for (let i = 0; i < slots; i++) {
        const slot = active[i];
        if (!slot) continue;
        const status = statuses[i];
        const reason = await decide(i, slot, status, events[i]);
        if (reason) {
          retiring.push({ i, reason });
          diagnose.add(i);
        } else if (status.steps === events[i] && diagnosticsDue(slot.run.config.stop, status.steps)) {
          // (a run that ends here gets these as its final diagnostics instead)
          atCheck.push(i);
          diagnose.add(i);
        }
      }
      // one engine call for every slot that needs diagnostics now
      const diagnosed = new Map<number, RunDiagnostics>();
      if (diagnosticsSettings && diagnose.size > 0) {
        const list = [...diagnose].sort((a, b) => a - b);
        const results = await ensemble.diagnostics(list, diagnosticsSettings);
        list.forEach((i, k) => diagnosed.set(i, results[k]));
        for (const i of atCheck) active[i]!.checkDiagnostics.push({ step: statuses[i].steps, diagnostics: diagnosed.get(i)! });
      }
      const retired = new Set(retiring.map(({ i }) => i));
      const going = statuses.filter((_, i) => active[i] && !retired.has(i));
      for (const { i, reason } of retiring) await retire(i, statuses[i], reason, diagnosed.get(i));
      await fill();
      await options.onTick?.(going);
      if ('error' in failure) return;
      await letEventsIn();
    }
  } finally {
    ensemble.dispose();
  }
}

/** How often a sweep lets the event loop run (a signal handler, a timer), in milliseconds. */
const EVENT_LOOP_MS = 100;
let lastEventLoopTurn = performance.now();

/**
 * An engine that computes on this thread (the CPU engine with --threads 1) resolves every await at
 * once, as a microtask: without a turn of the event loop now and then, Ctrl-C and SIGTERM would wait
 * for the whole sweep's end.
 */
async function letEventsIn(): Promise<void> {
  if (performance.now() - lastEventLoopTurn < EVENT_LOOP_MS) return;
  // (a browser has no setImmediate; there the GPU's awaits are real turns anyway)
  await new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
  lastEventLoopTurn = performance.now();
}
