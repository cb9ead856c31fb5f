// The paper's experiment 2 (science.md, "The paper's experiments"): from a converged r-neuron
// network θ*, split a neuron along γ (the Fukumizu–Amari saddle line θ_γ), push each θ_γ slightly
// along its Hessian's most negative curvature direction, follow gradient flow from all of them as
// ONE ensemble (so it runs on the GPU when there is one), and say where each ended: back on the
// saddle line, in a channel, or at another minimum.
//
// Where the computation runs: the r-neuron training and the flows go through the engine (runSweep);
// the Newton–CG polish, the Hessians along the line and the final spectra are float64 on the CPU,
// because the directions that matter have curvature ~1e-3·λ_max and below, beyond the float32
// HVPs' ~1e-2 relative accuracy. They cost P HVPs per network, negligible next to the flows.
import { classifyRun, evidenceFromNetwork, isAtBarrier, type Outcome } from '../analysis/classify.js';
import { FULL_SPECTRUM_MAX_PARAMETERS } from '../analysis/diagnostics.js';
import { distanceUpToPermutation } from '../analysis/permutation.js';
import { hessians, mergeNeurons, perturbAlong, saddleLineProfile, spectrumOf, type SaddleLinePoint } from '../analysis/saddle-line.js';
import { parameterCount, type Architecture } from '../model/architecture.js';
import { closestPairs } from '../analysis/channels.js';
import {
  convergedNetwork,
  float64Evaluator,
  flowOptimizer,
  setupConfig,
  type PolishOptions,
  type Procedure,
  type ProcedureContext,
  type StudentSetup,
  type TrainingBudget,
} from './procedure.js';
import type { RunRecord, StopReason } from './results.js';
import { runSweep } from './scheduler.js';
import { recentStepFacts } from './summary.js';

export interface SaddlePerturbationOptions extends StudentSetup {
  /** seed of the r-neuron network's initialisation */
  seed: number;
  /** an r-neuron network trained elsewhere (flat parameter layout of `architecture`): skips the training */
  network?: number[];
  train: TrainingBudget;
  polish: PolishOptions;
  /** the neuron to split and its hidden layer (default: the last) */
  neuron: number;
  layer?: number;
  /** the grid of γ (any reals; 0 and 1 put the whole outgoing weight on one copy) */
  gammas: number[];
  /** Euclidean length of the push along the most negative curvature direction */
  perturbation: number;
  /** +1 or −1: which way along the (sign-less) eigenvector, oriented with its largest entry positive */
  direction: 1 | -1;
  /** stop rules of the flows from the perturbed θ_γ */
  stop: { maxSteps: number; maxTime?: number; gradTol: number; checkEvery: number; patience?: number };
  /** a run is back on the line when merging its closest pair gives θ* up to permutation within this relative distance… */
  lineTolerance: number;
  /** …and its loss is within this relative tolerance of L(θ*) (the loss-level tolerance) */
  lossTolerance: number;
}

/**
 * The paper-sized default: d = 2, activation g with biases, 3 → 4 neurons on the Rosenbrock teacher
 * over the 2-D grid of 10⁴ points. Seed 0's θ* (loss 0.2005) has, for neuron 2, a stable segment
 * γ ∈ (0, 1) and negative curvature outside (measured on the CPU engine, 200 s: the stable γ stay on
 * the line, the others reach finite minima of loss 0.039–0.042; none reached a channel there).
 */
export const SADDLE_PERTURBATION_DEFAULTS: SaddlePerturbationOptions = {
  architecture: { inputDim: 2, hidden: 3, activation: 'g', biases: true },
  data: { inputs: { kind: 'grid' }, teacher: { kind: 'rosenbrock' }, samples: 10_000, seed: 0 },
  maxnorm: 1000,
  // ode23s: the quick preset's θ* and its tests were set up with it (with rodas4 the base network ends at
  // a symmetric copy of the same minimum, whose closest pair after the split is another one)
  flow: { solver: 'rosenbrock23', rtol: 1e-3, atol: 1e-6 },
  seed: 0,
  train: { maxSteps: 20_000, gradTol: 1e-7, checkEvery: 100 },
  polish: { tol: 1e-10, maxIterations: 500 },
  neuron: 2,
  gammas: [-1, -0.75, -0.5, -0.25, 0.1, 0.25, 0.5, 0.75, 0.9, 1.25, 1.5, 1.75, 2],
  perturbation: 1e-3,
  direction: -1,
  stop: { maxSteps: 20_000, gradTol: 1e-7, checkEvery: 100 },
  lineTolerance: 1e-2,
  lossTolerance: 1e-3,
};

/**
 * Seconds on the CPU engine: 64 standard-normal inputs, seven γ, short flows. With seed 1 the
 * polished 2-neuron θ* is one neuron twice (a plateau saddle: the result's note says so), so the
 * split follows a line of three copies; it has a stable segment for γ in (0, 1) and negative
 * curvature outside; pushed the −1 way, the unstable γ enter a channel (the +1 way, they reach a
 * lower finite minimum). The 2-neuron minima of distinct neurons this dataset has (seeds 0–90, either
 * neuron, either way) send their unstable γ to finite minima only: none shows the channel fate.
 */
export const SADDLE_PERTURBATION_QUICK: SaddlePerturbationOptions = {
  ...SADDLE_PERTURBATION_DEFAULTS,
  architecture: { inputDim: 2, hidden: 2, activation: 'g', biases: true },
  data: { inputs: { kind: 'normal' }, teacher: { kind: 'rosenbrock' }, samples: 64, seed: 0 },
  seed: 1,
  neuron: 0,
  direction: -1,
  train: { maxSteps: 1000, gradTol: 1e-7, checkEvery: 50 },
  gammas: [-1, -0.5, 0.25, 0.5, 0.75, 1.5, 2],
  stop: { maxSteps: 1500, gradTol: 1e-7, checkEvery: 50 },
};

/** Two neurons of θ* this close (relative L2 of their input weights) are one neuron twice. */
const EQUAL_NEURONS = 1e-6;

/** A run's loss this close to L* (relative) is at θ*'s level: on its saddle line or that line's flat continuation. */
const SAME_LEVEL = 1e-9;

/** Where a perturbed run ended, relative to the saddle line it started next to. */
export const SADDLE_FATES = ['saddle-line', 'channel', 'minimum', 'other-saddle-line', 'not-converged', 'diverged'] as const;
export type SaddleFate = (typeof SADDLE_FATES)[number];

export interface SaddlePerturbationRow {
  gamma: number;
  /** Hessian extremes at θ_γ (before the push), float64 */
  lambdaMin: number | null;
  lambdaMax: number | null;
  /** MSE at θ_γ + push, and at the end */
  startLoss: number;
  finalLoss: number;
  /** (final − L(θ*))/L(θ*) */
  relativeLossChange: number;
  weightNorm: number;
  /** smallest cosine distance of two hidden neurons' input vectors at the end (bias included) */
  minCosine: number;
  /** merging the closest pair at the end: relative distance to θ* up to permutation */
  mergedDistance: number | null;
  stopReason: StopReason;
  steps: number;
  time: number;
  outcome: Outcome;
  fate: SaddleFate;
  reason: string;
}

export interface SaddlePerturbationRecord {
  gamma: number;
  row: SaddlePerturbationRow;
  /** the scheduler's record of the flow (initial and final parameters, trajectory) */
  run: RunRecord;
}

export interface SaddlePerturbationResult {
  experiment: 'saddle-perturbation';
  options: SaddlePerturbationOptions;
  /** what trained the flows */
  backend: string;
  device: string;
  base: {
    arch: Architecture;
    /** θ* (flat layout) */
    theta: number[];
    loss: number;
    gradInf: number;
    training: Awaited<ReturnType<typeof convergedNetwork>>['training'];
    polish: Awaited<ReturnType<typeof convergedNetwork>>['polish'];
  };
  /** the (r+1)-neuron saddle line before the push: loss, gradient, spectrum (eigenvectors dropped) */
  line: Omit<SaddleLinePoint, 'minDirection'>[];
  table: SaddlePerturbationRow[];
  /** runs per fate */
  fates: Record<SaddleFate, number>;
  /** caveats a reader must see (θ* not polished to a critical point, θ* at the norm barrier) */
  notes: string[];
  records: SaddlePerturbationRecord[];
}

export function resolveSaddlePerturbationOptions(options: Partial<SaddlePerturbationOptions> = {}): SaddlePerturbationOptions {
  const resolved = { ...SADDLE_PERTURBATION_DEFAULTS, ...options };
  if (resolved.gammas.length === 0) throw new RangeError('saddle-perturbation needs at least one γ');
  if (!(resolved.perturbation > 0)) throw new RangeError(`perturbation must be positive, got ${resolved.perturbation}`);
  if (resolved.direction !== 1 && resolved.direction !== -1) throw new RangeError(`direction must be 1 or -1, got ${String(resolved.direction)}`);
  return resolved;
}

/** The fate of a run from its verdict and how its end relates to θ*. */
function fateOf(outcome: Outcome, onLine: boolean): SaddleFate {
  if (outcome === 'channel') return 'channel';
  if (outcome === 'diverged') return 'diverged';
  if (outcome === 'plateau-saddle') return onLine ? 'saddle-line' : 'other-saddle-line';
  if (outcome === 'finite-minimum' || outcome === 'global-minimum') return onLine ? 'saddle-line' : 'minimum';
  return 'not-converged';
}

export async function runSaddlePerturbation(
  options: Partial<SaddlePerturbationOptions>,
  context: ProcedureContext<SaddlePerturbationRecord>,
): Promise<SaddlePerturbationResult> {
  const o = resolveSaddlePerturbationOptions(options);
  const { engine } = context;
  const base = await convergedNetwork(o, o.seed, o.train, o.polish, engine, o.network);
  const maxnorm = o.maxnorm ?? Infinity;
  const evaluate = float64Evaluator(base.data, maxnorm);
  const profile = await saddleLineProfile(evaluate, base.arch, base.theta, { neuron: o.neuron, layer: o.layer, gammas: o.gammas, spectrum: true });
  const wide = profile.arch;
  const starts = profile.points.map((point, k) => perturbAlong(profile.thetas[k], point.minDirection!, o.direction * o.perturbation));
  const P = parameterCount(wide);
  const startParams = new Float64Array(starts.length * P);
  starts.forEach((theta, k) => startParams.set(theta, k * P));
  const startLosses = (await evaluate({ arch: wide, params: startParams })).loss;

  const config = setupConfig(o, wide.hidden, o.stop);
  const runs = o.gammas.map((gamma, k) => ({ id: `gamma-${k}`, configIndex: k, seed: o.seed, config, gamma }));
  const finished = new Map<number, RunRecord>();
  await runSweep(runs, {
    engine,
    ...(context.slots ? { slots: context.slots } : {}),
    samples: () => base.data.samples,
    optimizer: () => flowOptimizer(o),
    prepare: (run) => ({ params: starts[run.configIndex], data: base.data }),
    dataKey: () => 'shared',
    onRecord: async (record, run) => {
      finished.set(run.configIndex, record);
    },
  });

  // classify every end (float64 spectra of the final networks)
  const finals = runs.map((run) => Float64Array.from(finished.get(run.configIndex)!.recentParams.at(-1)!));
  const finalHessians = P <= FULL_SPECTRUM_MAX_PARAMETERS ? await hessians(evaluate, wide, finals) : null;
  const records: SaddlePerturbationRecord[] = [];
  for (const run of runs) {
    const k = run.configIndex;
    const record = finished.get(k)!;
    const theta = finals[k];
    const spectrum = finalHessians ? spectrumOf(finalHessians[k], P).eigenvalues : null;
    const evidence = evidenceFromNetwork(
      wide,
      theta,
      {
        loss: record.loss,
        gradInf: record.gradInf,
        stoppedBy: record.stopReason,
        thetaHistory: record.recentParams,
        ...recentStepFacts(record, o.stop.checkEvery),
        ...(spectrum ? { hessianMinEigenvalue: spectrum[0], hessianMaxEigenvalue: spectrum[P - 1] } : {}),
      },
      { maxnorm },
    );
    const verdict = classifyRun(evidence, { maxnorm });
    // back on θ*'s saddle line: the closest pair merged is θ* up to permutation, at the same loss
    const layer = profile.layer;
    const closest = closestPairs(wide, theta)[layer].relativeL2;
    let mergedDistance: number | null = null;
    if (closest && theta.every(Number.isFinite)) {
      const merged = mergeNeurons(wide, theta, { layer, i: closest.i, j: closest.j });
      mergedDistance = distanceUpToPermutation(base.arch, base.theta, merged.theta).relative;
    }
    const relativeLossChange = (record.loss - base.loss) / base.loss;
    // or at θ*'s loss itself: back on the line, a stiff solver's steps grow huge and move θ along the
    // flat directions of a degenerate θ* by h times the rounding of ∇ before the run is seen at rest
    // (the quick preset's θ*: merged networks up to 22% from it, at its loss to 1e-16)
    const onLine = (mergedDistance !== null && mergedDistance <= o.lineTolerance && Math.abs(relativeLossChange) <= o.lossTolerance) || Math.abs(relativeLossChange) <= SAME_LEVEL;
    const point = profile.points[k];
    const row: SaddlePerturbationRow = {
      gamma: run.gamma,
      lambdaMin: point.minEigenvalue,
      lambdaMax: point.maxEigenvalue,
      startLoss: startLosses[k],
      finalLoss: record.loss,
      relativeLossChange,
      weightNorm: record.weightNorm,
      minCosine: evidence.minCosine,
      mergedDistance,
      stopReason: record.stopReason,
      steps: record.steps,
      time: record.time,
      outcome: verdict.outcome,
      fate: fateOf(verdict.outcome, onLine),
      reason: verdict.reason,
    };
    const entry = { gamma: run.gamma, row, run: record };
    records.push(entry);
    await context.onRecord?.(entry);
  }
  const notes: string[] = [];
  if (!base.polish.converged) {
    notes.push(`Newton–CG stopped by ${base.polish.reason} at ‖∇‖∞ ${base.gradInf.toPrecision(2)} > ${o.polish.tol}: θ* is not a critical point, so θ_γ is only approximately a saddle line`);
  }
  const baseWeightNorm = base.theta.reduce((sum, v) => sum + v * v, 0) / (2 * base.theta.length);
  if (isAtBarrier(baseWeightNorm, maxnorm)) {
    notes.push(`θ* sits at the norm barrier (weight norm ${baseWeightNorm.toPrecision(4)}): it is itself in a channel or held by the barrier, and splitting it raises the norm further; choose another seed`);
  }
  // two equal neurons: θ* computes a smaller network (a plateau saddle of its r neurons, science.md),
  // and the split makes a third copy of one
  const splitLayer = o.layer ?? base.arch.hidden.length - 1;
  const twin = closestPairs(base.arch, base.theta)[splitLayer]?.relativeL2;
  if (twin && twin.distance < EQUAL_NEURONS) {
    notes.push(
      `θ* is a plateau saddle, not a minimum of its ${base.arch.hidden[splitLayer]} neurons: neurons ${twin.i} and ${twin.j} have the same input weights (relative distance ${twin.distance.toPrecision(2)}), so it computes a network of one neuron fewer${o.neuron === twin.i || o.neuron === twin.j ? `, and the split of neuron ${o.neuron} makes a third copy of it` : ` (the neuron split, ${o.neuron}, is not one of them)`}`,
    );
  }
  const fates = Object.fromEntries(SADDLE_FATES.map((fate) => [fate, 0])) as Record<SaddleFate, number>;
  for (const { row } of records) fates[row.fate]++;
  return {
    experiment: 'saddle-perturbation',
    options: o,
    backend: records[0]?.run.backend ?? engine.backend,
    device: records[0]?.run.device ?? engine.description,
    base: { arch: base.arch, theta: Array.from(base.theta), loss: base.loss, gradInf: base.gradInf, training: base.training, polish: base.polish },
    line: profile.points.map(({ minDirection: _direction, ...point }) => point),
    table: records.map((r) => r.row),
    fates,
    notes,
    records,
  };
}

const num = (value: number | null, digits = 3): string => (value === null || !Number.isFinite(value) ? String(value) : value.toPrecision(digits));

/** Markdown: the per-γ table and the fate counts. */
export function formatSaddlePerturbationMarkdown(result: SaddlePerturbationResult): string {
  const { base, options } = result;
  const arch = base.arch;
  const lines = [
    `## Saddle-line perturbation (d=${arch.inputDim}, ${arch.hidden.join('×')} → split neuron ${options.neuron}, ${arch.activation}${arch.biases ? ', biases' : ''})`,
    '',
    `θ*: loss ${num(base.loss, 6)}, ‖∇‖∞ ${num(base.gradInf, 2)} after Newton–CG (${base.polish.reason}); push ${num(options.perturbation, 2)} along the most negative curvature direction; flows on ${result.device}.`,
    '',
    '| γ | λ_min(θ_γ) | λ_max(θ_γ) | final loss | Δloss/L* | weight norm | min cosine | merged dist. | stop | outcome | fate |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|',
    ...result.table.map(
      (row) =>
        `| ${row.gamma} | ${num(row.lambdaMin)} | ${num(row.lambdaMax)} | ${num(row.finalLoss, 6)} | ${num(row.relativeLossChange, 2)} | ${num(row.weightNorm)} | ${num(row.minCosine, 2)} | ${num(row.mergedDistance, 2)} | ${row.stopReason} | ${row.outcome} | ${row.fate} |`,
    ),
    '',
    "λ_min and Δloss/L* within rounding of 0 (|λ_min| ≤ 10⁻⁹·λ_max, |Δloss/L*| ≤ 10⁻⁹) are 0: a flat direction along the line, the same loss. min cosine: the end's smallest cosine distance between two hidden neurons' input weights (bias included). merged dist.: how far the end, its closest pair merged into one neuron, lies from θ* (relative L2, up to neuron permutation; 0: back on θ*'s saddle line). γ and 1 − γ split the same neuron into the same two copies, swapped: their rows agree.",
    '',
    `Fates: ${SADDLE_FATES.filter((fate) => result.fates[fate] > 0)
      .map((fate) => `${fate} ${result.fates[fate]}`)
      .join(', ')} (of ${result.table.length}).`,
    ...result.notes.map((note) => `\nNote: ${note}.`),
  ];
  return `${lines.join('\n')}\n`;
}


export const saddlePerturbationProcedure: Procedure<SaddlePerturbationOptions, SaddlePerturbationRecord, SaddlePerturbationResult> = {
  name: 'saddle-perturbation',
  description: 'split a neuron of a converged network along γ, push along the most negative curvature, follow stiff gradient flow: back to the saddle line, into a channel, or to another minimum',
  defaults: SADDLE_PERTURBATION_DEFAULTS,
  quick: SADDLE_PERTURBATION_QUICK,
  run: runSaddlePerturbation,
  formatMarkdown: formatSaddlePerturbationMarkdown,
};
