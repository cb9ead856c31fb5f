// The paper's experiment 4 (science.md, "Following a channel to its end"): take a network in a
// channel, reparametrise its pair (w, Δ, ε, c, a), shrink ε by a factor keeping w, Δ, c and a,
// re-equilibrate, and repeat. Along the way loss − L∞ ∝ ε² and λ_max ∝ 1/ε².
//
// A channel carried by k = 3 or 4 neurons (channel-limit.ts) is followed the same way: its offsets
// δ_m around the mean w̄ shrink by the factor and the outgoing weights are refitted on the data so
// that the network changes least (rescaleChannel: the limit's T_0 … T_{k−1} stay up to the terms it
// leaves out; for a pair c/2 ± a/(2ε) to O(ε²)); ε is the spread
// max‖δ_m‖, and the outgoing weights grow like ε^{1−k}, so λ_max like ε^{−2(k−1)}.
//
// What re-equilibration holds fixed: the outermost carriers' input DIFFERENCE (for a pair
// ũ_i − ũ_j = 2εΔ, so ε and Δ). Everything else is free — their mean input w̄, the inner carriers
// (three or four), the outgoing weights (equivalently c and a), every other neuron and the output
// bias — and is polished in float64 without the norm barrier (the output weights grow by design; the
// barrier would bend the scaling): by Levenberg–Marquardt Newton on the dense Hessian up to 128
// parameters (newton-eigen.ts), by trust-region Newton–CG above. Why these: ε is the coordinate
// along the channel, so it must be held or the polish slides back down the channel (the channel's
// bottom is where the loss falls with ε); holding Δ's direction too makes the constraint LINEAR (an
// affine subspace), and it varies only by O(ε²) along the channel bottom anyway. w̄ and the outgoing
// weights are not held: at fixed ε their optimum moves by O(ε²), and leaving them unpolished would
// add an O(ε²)·(gradient) error to the loss gap being measured.
//
// The polish runs in CHANNEL COORDINATES (analysis/channel-coordinates.ts, scaledChannelCoordinates
// below): the outgoing weights by their combinations whose outputs are orthonormal on the data (c,
// a/ε, …), every direction scaled to unit curvature, and the Hessian formed from per-sample
// Jacobians projected before they are squared. In θ's own coordinates the outgoing weights o ~
// 1/ε^{k−1} enter the Hessian squared and cancel there: past λ_max ≈ 1e9 its rounding hid the flat
// directions, the dense solve stalled and the gap's slope rolled off (r = 8 seed 77: local slope 1.84
// at λ_max 7e9, 0.79 at 2e12). In channel coordinates the slope stays 2.00 ± 0.01 to λ_max 2e12 for
// seed 77 and to 1.8e12 for r = 4 seed 13; beyond, the float64 representation of θ itself sets the
// floor (rounding ũ by its ulp moves f by |o|·1e-15, comparable to the gap there).
//
// The start: a given network and pair, or — by default — one constructed from a converged network:
// split a neuron at γ outside the stable segment, push along the negative curvature and follow the
// stiff gradient flow into its channel (runSaddlePerturbation with one γ, on the engine).
//
// Everything measured here is float64 on the CPU: the loss gaps reach 1e-7 of the loss and the
// output weights ±10³, beyond float32.
import { channelLimit, channelLimitReplacement, chooseChannelLimit, fittableChannelLimit, outermostMembers, rescaleChannel } from '../analysis/channel-limit.js';
import { channelPairOf, closestPairs, neuronGroups, symmetryOrientation, type NeuronGroup } from '../analysis/channels.js';
import { DEFAULT_THRESHOLDS } from '../analysis/classify.js';
import { gluDeviation, gluParameters } from '../analysis/glu.js';
import { refitLimit, replacementDeviation } from '../analysis/limit-network.js';
import { checkLayer, checkNeuron, resolvePair, type NeuronPair } from '../analysis/network.js';
import { hessians, spectrumOf } from '../analysis/saddle-line.js';
import { powerIterationMax } from '../analysis/spectrum.js';
import { affineNetworkObjective, networkObjective } from '../engine/cpu/flow-field.js';
import { channelCoordinates } from '../analysis/channel-coordinates.js';
import { parameterCount, weightNorm, type Architecture } from '../model/architecture.js';
import { newtonCg } from '../optim/newton-cg.js';
import { newtonEigen } from '../optim/newton-eigen.js';
import { FULL_SPECTRUM_MAX_PARAMETERS } from '../analysis/diagnostics.js';
import { float64Evaluator, setupConfig, type Procedure, type ProcedureContext, type StudentSetup } from './procedure.js';
import { architectureOf, dataFileHashes, datasetFor, resolveSpecPath, type DataSourceOptions } from './grid.js';
import { parseConfig, type RunConfig } from './spec.js';
import type { RunRecord } from './results.js';
import { InputError } from '../user-input/input-error.js';
import { parseParameterFile } from '../model/params-file.js';
import {
  runSaddlePerturbation,
  SADDLE_PERTURBATION_QUICK,
  type SaddlePerturbationOptions,
} from './saddle-perturbation.js';
import type { Dataset } from '../data/dataset.js';

export interface ChannelJumpOptions {
  /** the student and its data; for a given network, its architecture (hidden widths included) */
  setup: StudentSetup;
  /** a network in a channel, flat parameter layout of setup.architecture; omitted: constructed */
  network?: number[];
  /** the channel pair of the given network; default: the GLU pair of its channel group (the equal neurons with opposite-sign outgoing weights and the largest Σ|s|) */
  pair?: NeuronPair;
  /**
   * the 2 to 4 neurons carrying the channel, followed together (their offsets shrink, their limit
   * of order k − 1 is held); default: `pair` when given, else chosen on the data from the channel
   * group (channel-limit.ts chooseChannelLimit)
   */
  carriers?: { layer?: number; members: number[] };
  /** the construction when no network is given: one saddle-perturbation flow (setup and seed of `construct`) */
  construct: Omit<SaddlePerturbationOptions, keyof StudentSetup | 'gammas'> & { gamma: number };
  /** ε ← factor·ε at every jump (0 < factor < 1) */
  factor: number;
  /** jumps after the first equilibration */
  jumps: number;
  /** re-equilibration at fixed ε and Δ: dense Levenberg–Marquardt Newton up to DENSE_EQUILIBRATION_MAX_PARAMETERS, trust-region Newton–CG above */
  equilibrate: { tol: number; maxIterations: number };
}

/** The dense re-equilibration eigen-solves the P×P Hessian at every Newton iteration: up to this size. */
export const DENSE_EQUILIBRATION_MAX_PARAMETERS = 128;

const constructDefaults = (options: SaddlePerturbationOptions): ChannelJumpOptions['construct'] => {
  const { architecture: _a, data: _d, maxnorm: _m, flow: _f, gammas: _g, ...rest } = options;
  return { ...rest, gamma: 2 };
};

/**
 * Seconds on the CPU engine: the quick saddle-perturbation setting (64 inputs, 2 → 3 neurons of g),
 * whose γ = 2 flow (pushed the −1 way) ends in a channel; 8 jumps by 0.7 (ε shrinks 17-fold).
 */
export const CHANNEL_JUMP_QUICK: ChannelJumpOptions = {
  setup: {
    architecture: SADDLE_PERTURBATION_QUICK.architecture,
    data: SADDLE_PERTURBATION_QUICK.data,
    maxnorm: SADDLE_PERTURBATION_QUICK.maxnorm,
    flow: SADDLE_PERTURBATION_QUICK.flow,
  },
  construct: constructDefaults(SADDLE_PERTURBATION_QUICK),
  factor: 0.7,
  jumps: 8,
  equilibrate: { tol: 1e-11, maxIterations: 200 },
};

/**
 * The default follows the quick construction further (12 jumps: ε shrinks 70-fold). A paper-sized
 * construction (10⁴ grid points) is not the default because no verified γ/seed of that setting is
 * known to end in a channel (the saddle-perturbation default's unstable γ reach finite minima);
 * pass `setup` and `construct` for one, or a `network` and `pair`.
 */
export const CHANNEL_JUMP_DEFAULTS: ChannelJumpOptions = { ...CHANNEL_JUMP_QUICK, jumps: 12 };

export interface ChannelJumpRecord {
  /** 0: the start, equilibrated at its own ε */
  jump: number;
  epsilon: number;
  inverseEpsilon: number;
  /** MSE (no ½) after re-equilibration */
  loss: number;
  /** L∞ of the carriers' limit (the GLU for a pair; null for carriers outside the last hidden layer) */
  lossAtInfinity: number | null;
  /** loss − L∞ */
  gap: number | null;
  /** extreme Hessian eigenvalues of L (no barrier), float64: full spectrum up to FULL_SPECTRUM_MAX_PARAMETERS, else power iteration (λ_min null) */
  lambdaMax: number;
  lambdaMin: number | null;
  /** GLU coefficients of the channel's pair after re-equilibration (for a pair: its limit) */
  glu: { w: number[]; delta: number[]; c: number[]; a: number[] };
  /** max |f − f_GLU| over the data (O(ε²) for a pair) */
  gluDeviation: number;
  /** the carriers' limit after re-equilibration: its order, w̄ and ‖T_0‖ … ‖T_{order+1}‖ per next-layer neuron (channel-limit.ts) */
  limit: { order: number; centre: number[]; sizes: number[][] };
  /** max |f − f_limit| over the data (= gluDeviation for a pair) */
  limitDeviation: number;
  weightNorm: number;
  /** the re-equilibration: its solver (dense up to DENSE_EQUILIBRATION_MAX_PARAMETERS), ‖∇‖∞ where it stopped (in its channel coordinates, each direction of unit curvature at the jump's start), whether that met the tolerance */
  solver: EquilibrationSolver;
  /**
   * the dense solver's Newton decrement where it stopped (newton-eigen.ts; null for Newton–CG, and
   * where the restricted Hessian has negative curvature, its decrement infinite): how
   * far the loss may still lie above the equilibrium at this ε by the quadratic model. An estimate,
   * not a bound: the slice of fixed spread has a direction whose curvature falls like ε⁴ even in
   * channel coordinates (three carriers; below float64's resolution from λ_max ≈ 1e9 on for r = 8
   * seed 77), and there a rounding-level gradient over a rounding-level curvature can make it exceed
   * the gap while the gap itself keeps its ε² law.
   */
  residual: number | null;
  /**
   * the extreme eigenvalues of the slice's Hessian where the dense re-equilibration stopped, in its
   * channel coordinates (each direction of unit curvature at the jump's start, so λ_max ≈ 1–100):
   * min < 0 says the slice of fixed spread is not at a minimum there. Null for Newton–CG.
   */
  sliceCurvature: { min: number; max: number } | null;
  gradInf: number;
  converged: boolean;
  iterations: number;
}

export type EquilibrationSolver = 'newton-dense' | 'newton-cg';

export interface ChannelJumpResult {
  experiment: 'channel-jump';
  options: ChannelJumpOptions;
  arch: Architecture;
  pair: { layer: number; i: number; j: number };
  /** the neurons followed together (the pair's two, or three or four) */
  carriers: { layer: number; members: number[] };
  /** how the start was obtained */
  start: { source: 'given' | 'constructed'; theta: number[]; fate?: string; outcome?: string; backend?: string };
  /**
   * the neurons the classifier compares flipped (odd σ: (ũ, o) → (−ũ, −o), the same function, applied
   * here before the carriers are chosen) or reflected (softplus/gelu: (ũ, o) → (−ũ, o), the same
   * function only up to their linear terms, so not applied: the carriers may differ from the
   * verdict's); null when neither applies
   */
  symmetry: { kind: 'odd' | 'reflection'; neurons: { layer: number; neuron: number }[]; applied: boolean } | null;
  records: ChannelJumpRecord[];
  /** least-squares slopes on log-log axes over all records (for k carriers expected 2 and −2(k − 1)); null with fewer than two records */
  slopes: { gapVsEpsilon: number | null; lambdaMaxVsEpsilon: number | null };
  /**
   * the sign every gap shares, or null when they differ (or one is unknown or 0). Negative: L∞ lies
   * above the loss — the followed carriers' limit is not what the network tends to (other neurons
   * carry part of the channel); the slope is then that of |loss − L∞|.
   */
  gapSign: 1 | -1 | null;
  /** where the jumps ended before the last asked for, and why (null: all were made) */
  stopped: { jump: number; reason: string } | null;
}

/**
 * Follows the channel of a sweep's run: its network (polished, if it was) and its setup, everything
 * else (factor, jumps, re-equilibration) from `base`. `dataOptions`: how the sweep's data files are
 * read (results.ts folderDataOptions: where they resolved, and the contents its runs trained on); the
 * setup names them by their absolute path, so that the procedure's own folder reproduces it from anywhere.
 */
export function channelJumpFromRecord(record: RunRecord, base: ChannelJumpOptions, dataOptions: DataSourceOptions = {}): ChannelJumpOptions {
  if (record.stopReason === 'diverged') throw new InputError(`run ${record.id} diverged: it has no channel to follow`);
  const config = parseConfig(record.config, `run ${record.id}`);
  // a data file edited since the run is refused here: the channel would be followed on other data
  dataFileHashes([{ config, seed: record.seed }], dataOptions);
  const polish = record.polish && Number.isFinite(record.polish.loss) ? record.polish : null;
  const network = networkTheta((polish ?? record).params, `run ${record.id}`);
  const { inputDim, hidden, activation, biases } = config.architecture;
  const flow = config.optimizer.kind === 'flow' ? { solver: config.optimizer.solver, rtol: config.optimizer.rtol, atol: config.optimizer.atol } : base.setup.flow;
  // the base folder is absolute where the run recorded it ('' for older folders: the path stays as it was)
  const absolute = (file: string) => resolveSpecPath(file, dataOptions.baseDir);
  const { inputs, teacher } = config.data;
  const data = {
    ...config.data,
    inputs: inputs.kind === 'file' ? { ...inputs, path: absolute(inputs.path) } : inputs,
    teacher: teacher.kind === 'network' ? { ...teacher, params: absolute(teacher.params) } : teacher,
  };
  return {
    ...base,
    setup: { architecture: { inputDim, hidden: [...hidden], activation, biases }, data, maxnorm: config.maxnorm, flow },
    network,
    construct: { ...base.construct, seed: record.seed },
  };
}

export function resolveChannelJumpOptions(options: Partial<ChannelJumpOptions> = {}): ChannelJumpOptions {
  const resolved = { ...CHANNEL_JUMP_DEFAULTS, ...options };
  if (!(resolved.factor > 0 && resolved.factor < 1)) throw new RangeError(`factor must lie in (0, 1), got ${resolved.factor}`);
  if (!Number.isInteger(resolved.jumps) || resolved.jumps < 1) throw new RangeError(`jumps must be a positive integer, got ${resolved.jumps}`);
  return resolved;
}

function networkTheta(params: unknown, source: string): number[] {
  return Array.from(parseParameterFile(JSON.stringify(params), source).theta);
}

/** The slice's smallest eigenvalue, over its largest, below which it bends down rather than being flat to rounding. */
const SLICE_BENT = 1e-8;

/** Power iterations at most for λ_max of a network above the full spectrum's size (they stop once it settles to 1e-10). */
const POWER_ITERATIONS = 300;

/** Least-squares slope of log|y| against log x. */
export function logLogSlope(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length || xs.length < 2) throw new RangeError('a slope needs at least two points');
  const lx = xs.map(Math.log);
  const ly = ys.map((y) => Math.log(Math.abs(y)));
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < lx.length; k++) {
    sxy += (lx[k] - mx) * (ly[k] - my);
    sxx += (lx[k] - mx) ** 2;
  }
  return sxy / sxx;
}

/**
 * The loss at a fixed spread as a function of channel coordinates y (channel-coordinates.ts), θ = θ₀ +
 * M·y, with every column of M scaled to unit curvature at θ₀ (the Hessian's diagonal in the basis):
 * the Newton solves then see the slice's own conditioning (λ_max ≈ 13 on r = 8 seed 77; for three
 * carriers one direction of the slice flattens like ε⁴ even so) without the 1/ε^{2(k−1)} of θ's
 * coordinates on top, and their Hessian is formed where the carriers' large outgoing weights cancel
 * before they are squared.
 */
export function scaledChannelCoordinates(arch: Architecture, data: Dataset, theta0: Float64Array, carriers: { layer: number; members: number[] }, held: { first: number; last: number }): ReturnType<typeof affineNetworkObjective> & { columns: number } {
  const coordinates = channelCoordinates(arch, theta0, carriers, held, data);
  const Q = coordinates.columns;
  const unscaled = affineNetworkObjective(arch, data, theta0, coordinates, { maxnorm: Infinity });
  const diagonal = unscaled.hessian!(new Float64Array(Q));
  const matrix = coordinates.matrix.slice();
  const P = theta0.length;
  for (let q = 0; q < Q; q++) {
    const curvature = Math.abs(diagonal[q * Q + q]);
    // a column without curvature (a neuron the data never reaches) keeps its length
    const scale = curvature > 0 && Number.isFinite(curvature) ? 1 / Math.sqrt(curvature) : 1;
    for (let p = 0; p < P; p++) matrix[p * Q + q] *= scale;
  }
  return { ...affineNetworkObjective(arch, data, theta0, { matrix, columns: Q }, { maxnorm: Infinity }), columns: Q };
}

/** The channel group of a network: the group of equal neurons (the verdict's rule) with opposite-sign outgoing weights and the largest Σ|s|. */
function findChannelGroup(arch: Architecture, theta: Float64Array): NeuronGroup {
  const groups = neuronGroups(arch, theta, DEFAULT_THRESHOLDS.cosine, { relativeL2: DEFAULT_THRESHOLDS.equalInputs }).filter((group) => group.mixedSigns);
  if (groups.length === 0) {
    const closest = closestPairs(arch, theta).map((entry) => entry.cosine?.distance ?? Infinity);
    throw new InputError(
      `the network is not in a channel: no close pair of neurons with opposite output weights (closest cosine distances per layer: ${closest.map((c) => c.toPrecision(3)).join(', ')}); choose a channel run (\`channelscope report\` classifies them), or name the pair to follow (\`--pair i,j\`, the option \`pair\`)`,
    );
  }
  return groups.reduce((best, g) => (g.sumAbsOutgoing > best.sumAbsOutgoing ? g : best));
}

/** The carriers as given (validated), the given pair's two, or those chosen on the data from the channel group. */
function resolveCarriers(arch: Architecture, theta: Float64Array, data: Dataset, o: ChannelJumpOptions): { pair: { layer: number; i: number; j: number }; carriers: { layer: number; members: number[] } } {
  if (o.carriers) {
    const layer = o.carriers.layer ?? arch.hidden.length - 1;
    checkLayer(arch, layer);
    for (const member of o.carriers.members) checkNeuron(arch, layer, member);
    const members = [...o.carriers.members].sort((p, q) => p - q);
    // the limit checks the count (2 … 4) and repeats
    channelLimit(arch, theta, layer, members);
    const pair = o.pair ? resolvePair(arch, o.pair) : { layer, i: members[0], j: members[members.length - 1] };
    return { pair, carriers: { layer, members } };
  }
  if (o.pair) {
    const pair = resolvePair(arch, o.pair);
    return { pair, carriers: { layer: pair.layer, members: [pair.i, pair.j] } };
  }
  const group = findChannelGroup(arch, theta);
  const chosen = chooseChannelLimit(arch, theta, group, data)!;
  return { pair: channelPairOf(group)!, carriers: { layer: chosen.limit.layer, members: chosen.limit.members } };
}

export async function runChannelJump(options: Partial<ChannelJumpOptions>, context: ProcedureContext<ChannelJumpRecord>): Promise<ChannelJumpResult> {
  const o = resolveChannelJumpOptions(options);
  let arch: Architecture;
  let data: Dataset;
  let theta: Float64Array;
  let start: ChannelJumpResult['start'];
  if (o.network) {
    const hidden = typeof o.setup.architecture.hidden === 'number' ? [o.setup.architecture.hidden] : [...o.setup.architecture.hidden];
    const config = setupConfig(o.setup, hidden, { maxSteps: 1, gradTol: 0, checkEvery: 1 });
    arch = architectureOf(config);
    data = datasetFor(config, o.construct.seed);
    theta = Float64Array.from(o.network);
    if (theta.length !== parameterCount(arch)) {
      throw new RangeError(`network holds ${theta.length} parameters, setup.architecture (hidden [${arch.hidden.join(', ')}]) has ${parameterCount(arch)}`);
    }
    start = { source: 'given', theta: Array.from(theta) };
  } else {
    const { gamma, ...construct } = o.construct;
    const saddle = await runSaddlePerturbation({ ...o.setup, ...construct, gammas: [gamma] }, { engine: context.engine });
    const end = saddle.records[0];
    if (end.row.fate !== 'channel') {
      throw new InputError(`the construction did not reach a channel: the flow from γ = ${gamma} ended as ${end.row.fate} (${end.row.reason}); choose another γ, push direction or seed`);
    }
    const config = end.run.config as RunConfig;
    arch = architectureOf(config);
    data = datasetFor(config, construct.seed);
    theta = Float64Array.from(end.run.recentParams.at(-1)!);
    start = { source: 'constructed', theta: Array.from(theta), fate: end.row.fate, outcome: end.row.outcome, backend: end.run.backend };
  }
  // compare neurons as the classifier does: odd σ's sign flips give the same function and are applied;
  // softplus/gelu reflections change it by their linear terms, so the network is followed as it is
  const orientation = symmetryOrientation(arch, theta);
  if (orientation?.kind === 'odd') theta = orientation.orient(theta);
  const symmetry: ChannelJumpResult['symmetry'] = orientation && {
    kind: orientation.kind,
    neurons: orientation.flips.flatMap((flips, layer) => flips.flatMap((flip, neuron) => (flip ? [{ layer, neuron }] : []))),
    applied: orientation.kind === 'odd',
  };
  const { pair, carriers } = resolveCarriers(arch, theta, data, o);
  const P = parameterCount(arch);
  const base = networkObjective(arch, data, { maxnorm: Infinity });
  const evaluate = float64Evaluator(data, Infinity);

  const records: ChannelJumpRecord[] = [];
  let limit = channelLimit(arch, theta, carriers.layer, carriers.members);
  // a jump that cannot be made (carriers no longer distinct on the data, float64 gives out) ends the
  // jumps there: the ones made are kept and the result says where and why it stopped
  let stopped: ChannelJumpResult['stopped'] = null;
  const solver: EquilibrationSolver = P <= DENSE_EQUILIBRATION_MAX_PARAMETERS ? 'newton-dense' : 'newton-cg';
  const solverOptions = { tol: o.equilibrate.tol, maxIterations: o.equilibrate.maxIterations };
  for (let jump = 0; jump <= o.jumps; jump++) {
    try {
      if (jump > 0) {
        theta = rescaleChannel(arch, theta, limit, o.factor, data);
        limit = channelLimit(arch, theta, carriers.layer, carriers.members);
      }
      // the outermost carriers' difference is held (for a pair, the pair itself); the inner ones (three
      // or four carriers) are free to settle. ε is half the outermost distance: the GLU's ε, a
      // symmetric triple's spread
      const outer = outermostMembers(limit);
      // in channel coordinates: the outermost pair moves together, the outgoing weights by their
      // orthonormal combinations on the data, every column scaled to unit curvature
      const coordinates = scaledChannelCoordinates(arch, data, theta, { layer: carriers.layer, members: limit.members }, outer);
      const start = new Float64Array(coordinates.columns);
      const polished = solver === 'newton-dense' ? newtonEigen(coordinates, start, solverOptions) : { ...newtonCg(coordinates, start, solverOptions), decrement: null };
      theta = coordinates.theta(polished.theta);
      limit = channelLimit(arch, theta, carriers.layer, carriers.members);
      const current = gluParameters(arch, theta, pair);
      const atInfinity = refitLimit(arch, theta, fittableChannelLimit(limit, arch.activation), data);
      const epsilon = outermostMembers(limit).half;
      const loss = (await evaluate({ arch, params: theta })).loss[0];
      let lambdaMax: number;
      let lambdaMin: number | null = null;
      if (P <= FULL_SPECTRUM_MAX_PARAMETERS) {
        const spectrum = spectrumOf((await hessians(evaluate, arch, [theta]))[0], P).eigenvalues;
        lambdaMax = spectrum[P - 1];
        lambdaMin = spectrum[0];
      } else {
        const at = theta;
        // shift-free: at a channel's point λ_max dominates |λ_min|
        lambdaMax = powerIterationMax((v, out) => out.set(base.hvp(at, v)), P, POWER_ITERATIONS, 0, 1e-10);
      }
      const record: ChannelJumpRecord = {
        jump,
        epsilon,
        inverseEpsilon: 1 / epsilon,
        loss,
        lossAtInfinity: atInfinity?.loss ?? null,
        gap: atInfinity ? loss - atInfinity.loss : null,
        lambdaMax,
        lambdaMin,
        glu: { w: Array.from(current.w), delta: Array.from(current.delta), c: Array.from(current.c), a: Array.from(current.a) },
        gluDeviation: gluDeviation(arch, theta, pair, data).max,
        limit: { order: limit.order, centre: Array.from(limit.centre), sizes: limit.sizes.map((size) => Array.from(size)) },
        limitDeviation: replacementDeviation(arch, theta, channelLimitReplacement(limit, arch.activation), data).max,
        weightNorm: weightNorm(theta),
        solver,
        residual: polished.decrement !== null && Number.isFinite(polished.decrement) ? polished.decrement : null,
        sliceCurvature: 'eigenvalues' in polished && polished.eigenvalues ? { min: polished.eigenvalues[0], max: polished.eigenvalues[polished.eigenvalues.length - 1] } : null,
        gradInf: polished.gradInf,
        converged: polished.converged,
        iterations: polished.iterations,
      };
      records.push(record);
      await context.onRecord?.(record);
    } catch (error) {
      if (jump === 0) throw error;
      stopped = { jump, reason: (error as Error).message };
      break;
    }
  }
  const epsilons = records.map((r) => r.epsilon);
  const gaps = records.map((r) => r.gap);
  const gapSign = gaps.every((g) => g !== null && g > 0) ? 1 : gaps.every((g) => g !== null && g < 0) ? -1 : null;
  return {
    experiment: 'channel-jump',
    options: o,
    arch,
    pair,
    carriers,
    start,
    symmetry,
    records,
    // a slope needs two jumps (one when the second could not be made)
    slopes: {
      gapVsEpsilon: gapSign === null || records.length < 2 ? null : logLogSlope(epsilons, gaps as number[]),
      lambdaMaxVsEpsilon: records.length < 2 ? null : logLogSlope(epsilons, records.map((r) => r.lambdaMax)),
    },
    gapSign,
    stopped,
  };
}

const num = (value: number | null, digits = 4): string => (value === null || !Number.isFinite(value) ? String(value) : value.toPrecision(digits));

/** Markdown: one row per jump, and the fitted log-log slopes (expected 2 and −2(k − 1) for k carriers). */
export function formatChannelJumpMarkdown(result: ChannelJumpResult): string {
  const { arch, carriers, slopes, records } = result;
  const k = carriers.members.length;
  const pairColumns = k === 2;
  const followed = pairColumns ? `pair ${carriers.members.join(',')}` : `${k} neurons ${carriers.members.join(',')} (a limit of order ${k - 1})`;
  // the gap's slope from the previous jump: 2 while loss − L∞ ∝ ε², and where it departs from that
  const localSlope = (n: number): number | null => {
    const [before, after] = [records[n - 1], records[n]];
    // of |gap| when both have one sign
    return n > 0 && before.gap !== null && after.gap !== null && before.gap * after.gap > 0 ? Math.log(after.gap / before.gap) / Math.log(after.epsilon / before.epsilon) : null;
  };
  const lines = [
    `## Following a channel (d=${arch.inputDim}, hidden ${arch.hidden.join('×')}, ${arch.activation}${arch.biases ? ', biases' : ''}; ${followed} of layer ${carriers.layer + 1}; ε × ${result.options.factor} per jump)`,
    '',
    `| jump | 1/ε | loss | L∞ | loss − L∞ | its slope | λ_max | λ_min | ${pairColumns ? 'c | a | max \\|f − f_GLU\\|' : `${Array.from({ length: k }, (_, n) => (n === 0 ? 'c' : `‖T${n}‖`)).join(', ')} | max \\|f − f_limit\\|`} | ‖∇‖∞ | residual |`,
    `|---:|---:|---:|---:|---:|---:|---:|---:|${pairColumns ? '---:|---:|---:|' : '---:|---:|'}---:|---:|`,
    ...records.map((r, n) => {
      const coefficients = pairColumns
        ? `${r.glu.c.map((v) => num(v)).join(', ')} | ${r.glu.a.map((v) => num(v)).join(', ')}`
        : r.limit.sizes
            .slice(0, k)
            .map((size) => size.map((v) => num(v)).join(' '))
            .join(', ');
      return `| ${r.jump} | ${num(r.inverseEpsilon)} | ${num(r.loss, 8)} | ${num(r.lossAtInfinity, 8)} | ${num(r.gap, 3)} | ${n === 0 ? '' : num(localSlope(n), 3)} | ${num(r.lambdaMax, 3)} | ${num(r.lambdaMin, 2)} | ${coefficients} | ${num(r.limitDeviation, 2)} | ${num(r.gradInf, 2)} | ${r.residual == null ? '' : num(r.residual, 2)} |`;
    }),
    '',
    `Log-log slopes over all ${records.length} points (the start and ${records.length - 1} jump${records.length === 2 ? '' : 's'}): ${result.gapSign === -1 ? '|loss − L∞| (every gap negative: L∞ above the loss, so the limit followed is not where the network goes)' : 'loss − L∞'} against ε ${num(slopes.gapVsEpsilon, 3)} (expected 2), λ_max against ε ${num(slopes.lambdaMaxVsEpsilon, 3)} (expected ${-2 * (k - 1)}: outgoing weights grow like ε^${1 - k}${k === 4 ? '; −4 where the fourth carrier only shapes an order-2 limit, T3 falling like ε: a centre neuron with three around it, as in the flow sweep' : ''}).`,
  ];
  if (result.stopped) lines.push('', `**Stopped at jump ${result.stopped.jump}** of ${result.options.jumps}: ${result.stopped.reason}`);
  const { symmetry } = result;
  if (symmetry && symmetry.neurons.length > 0) {
    // as analyze prints them: neurons by hidden layer, layers counted from 1
    const layers = [...new Set(symmetry.neurons.map((n) => n.layer))];
    const named = layers.map((layer) => `${symmetry.neurons.filter((n) => n.layer === layer).map((n) => n.neuron).join(', ')} of layer ${layer + 1}`).join('; ');
    lines.push(
      '',
      symmetry.applied
        ? `${symmetry.neurons.length === 1 ? 'Neuron' : 'Neurons'} ${named} ${symmetry.neurons.length === 1 ? 'was' : 'were'} flipped, (ũ, o) → (−ũ, −o), the same function for an odd σ, as the classifier compares them.`
        : `The classifier compares neurons ${named} reflected (${arch.activation}(z) = ${arch.activation}(−z) + z, so (ũ, o) → (−ũ, o) is the same function only up to its linear term o·(ũ·x̃)). channel-jump follows the network as it is, so its carriers may differ from the verdict's (\`channelscope analyze --run\` shows those).`,
    );
  }
  // along a channel's bottom the loss falls as ε shrinks; where it rises the jumps have left it
  const rising = records.filter((r, n) => n > 0 && r.loss > records[n - 1].loss * (1 + 1e-12)).map((r) => r.jump);
  if (rising.length > 0) {
    lines.push(
      '',
      `**The loss rises at jump${rising.length === 1 ? '' : 's'} ${rising.join(', ')}:** along a channel's bottom it falls as ε shrinks, so there the rescaled network did not land on the channel followed (its carriers' shape not yet settled, or past float64's floor, where rounding θ moves f by |o|·1e-15).`,
    );
  }
  // the dense solver's decrement is infinite (residual blank) where the slice's Hessian has negative
  // curvature: bent down (beyond 1e-8 of its largest eigenvalue), or flat to rounding
  const ratio = (r: ChannelJumpRecord) => r.sliceCurvature!.min / r.sliceCurvature!.max;
  // results written before sliceCurvature was recorded lack it
  const negative = records.filter((r) => r.sliceCurvature != null && r.residual == null && r.sliceCurvature.min < 0);
  const bent = negative.filter((r) => ratio(r) < -SLICE_BENT);
  const flat = negative.filter((r) => ratio(r) >= -SLICE_BENT);
  const jumpList = (list: ChannelJumpRecord[]) => `jump${list.length === 1 ? '' : 's'} ${list.map((r) => `${r.jump} (${num(ratio(r), 2)})`).join(', ')}`;
  if (bent.length > 0) {
    lines.push(
      '',
      `At ${jumpList(bent)} the slice of fixed spread bends down where the re-equilibration stopped (in brackets: its smallest eigenvalue over its largest, in channel coordinates): the network is not at the slice's minimum there, and its gap may still fall. A network far from its channel's limit does this; more iterations (equilibrate.maxIterations) or a network trained further help.`,
    );
  }
  if (flat.length > 0) {
    lines.push(
      '',
      `At ${jumpList(flat)} the slice's smallest eigenvalue is negative at rounding level (in brackets, over its largest): flat there, so no residual is given. A limit whose coefficients still drift along a flat valley shows this (the four-neuron channels of the flow sweep, even at the barrier 10⁷).`,
    );
  }
  if (records.some((r) => r.residual != null)) {
    lines.push(
      '',
      `residual: the Newton decrement ½gᵀH⁻¹g where the re-equilibration stopped, how far the loss may still lie above the equilibrium at that ε by the quadratic model (an estimate: once the fixed-spread slice's flattest direction falls below float64's resolution, λ_max ≳ 1e9 for three carriers, it counts rounding and may exceed the gap). ‖∇‖∞ is in the channel coordinates the re-equilibration runs in.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export const channelJumpProcedure: Procedure<ChannelJumpOptions, ChannelJumpRecord, ChannelJumpResult> = {
  name: 'channel-jump',
  description: 'follow one channel by shrinking ε of its pair (or its three or four carriers) and re-equilibrating: loss − L∞ ∝ ε², λ_max ∝ 1/ε²',
  defaults: CHANNEL_JUMP_DEFAULTS,
  quick: CHANNEL_JUMP_QUICK,
  run: runChannelJump,
  formatMarkdown: formatChannelJumpMarkdown,
};
