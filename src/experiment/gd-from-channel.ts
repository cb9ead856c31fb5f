// Full-batch gradient descent started INSIDE a channel (science.md: along a channel λ_max grows
// like 1/ε², "so gradient descent with step η stalls where λ_max ≈ 2/η"). GD from an ordinary
// initialisation needs far more steps than a sweep can give to get deep into a channel (the motion
// along it slows like ε³: benchmarks/results/edge-of-stability-4-seeds-2026-12-06), so the stall is
// tested where it happens instead:
//
//   1. stiff gradient flow from a few seeds, in segments ending at log-spaced simulated times, so
//      that every segment's end is a point of the flow's path with its parameters;
//   2. of the flows that end in a channel, the points in that channel (the final stretch of the path
//      along which the channel pair's outgoing weights have opposite signs, its mean input vector is
//      within `inChannel.maxCentreShift` of the channel's and 1/ε only grows),
//      thinned to `startsPerDecade` per decade of λ_max (the Hessian of L + R, float64, dense);
//   3. full-batch GD at every η from every such point, as one ensemble (the GPU's when there is one),
//      and where each ended (GD_FATES): still in the channel, from below the edge ("kept") or from
//      past it with λ_max brought down ("stabilised"); out of it ("left"); or diverged.
//
// The claims it checks: GD keeps the channel below the edge (λ_max < 2/η), and no GD run ends with
// λ_max·η/2 much above 1, in the channel or anywhere else: from past the edge it is thrown out of
// the channel (a catapult), diverges, or lowers λ_max to the edge. So GD coming along a channel
// cannot pass the point where λ_max = 2/η: it stalls there. Within a fixed budget most runs barely
// move along the channel (GD's steps cover a simulated time steps·η, short next to the flow's
// between two starts); the report counts those that did travel to the edge.
//
// Channel coordinates of every point are taken in the symmetry orientation of the flow's end (odd σ:
// (ũ, o) ≡ (−ũ, −o); channels.ts symmetryOrientation) and for the pair that carries its channel
// there (channelPairOf), so 1/ε of a start and of GD's end measure along one channel.
import { classifyRun, evidenceFromNetwork } from '../analysis/classify.js';
import { channelPairOf, l2Distance, symmetryOrientation } from '../analysis/channels.js';
import { gluParameters, networkOutput } from '../analysis/glu.js';
import { dot, layerOutgoingVectors, norm, sampleInput } from '../analysis/network.js';
import type { Dataset } from '../data/dataset.js';
import { parameterCount, weightNorm, type Architecture } from '../model/architecture.js';
import { architectureOf, barrierThreshold, datasetFor, datasetKey, initialParameters } from './grid.js';
import { hessianExtremes, setupConfig, type Procedure, type ProcedureContext, type StudentSetup } from './procedure.js';
import type { RunRecord, StopReason } from './results.js';
import { runSweep } from './scheduler.js';

/** λ_max comes from the dense Hessian, so the student is small (the paper's toy has P = 4). */
export const GD_FROM_CHANNEL_MAX_PARAMETERS = 128;

export interface GdFromChannelOptions extends StudentSetup {
  /** seeds of the gradient flows; those that end in a channel give the starts */
  seeds: number[];
  /**
   * the flows, followed in segments: the first ends at simulated time `firstTime`, then
   * `pointsPerDecade` ends per decade up to `maxTime`; at most `maxSteps` solver steps per flow; the
   * stop rules of spec.ts, checked every `checkEvery` steps within a segment
   */
  follow: { firstTime: number; pointsPerDecade: number; maxTime: number; maxSteps: number; gradTol: number; checkEvery: number };
  /** starts kept per decade of λ_max, per channel, and at most this many per channel */
  startsPerDecade: number;
  maxStartsPerChannel: number;
  /** the GD step sizes */
  rates: number[];
  /** steps of every GD run (gradTol 0: a fixed budget) */
  gd: { maxSteps: number; checkEvery: number };
  /**
   * A point of the flow is in its channel when the pair's outgoing weights have opposite signs and
   * its mean input vector w is within maxCentreShift (relative) of w where the flow ended: the
   * channel's direction (at its entrance, where the flow still turns w towards it, points are not
   * starts). GD ended in the channel when its pair's outgoing weights have opposite signs, its w is
   * within maxCentreShift of w at one of those points (GD follows the flow's path, and at the
   * entrance that path's w need not approach the channel's monotonically) and 1/ε is at least
   * minReach times the start's. A run thrown out lands at another w, or with the pair far apart
   */
  inChannel: { maxCentreShift: number; minReach: number };
}

/**
 * kept: in the channel from a start below the edge (λ_max < 2/η); stabilised: in the channel from a
 * start past it, λ_max brought down (to the edge, the tests check); left: out of the channel (at
 * another w, the pair far apart or its outgoing weights of one sign); diverged.
 */
export const GD_FATES = ['kept', 'stabilised', 'left', 'diverged'] as const;
export type GdFate = (typeof GD_FATES)[number];

/**
 * "At the edge": λ_max·η/2 within this of 1. GD at the edge of stability hovers at λ_max ≈ 2/η or a
 * little above it while it oscillates across the valley (Cohen et al. 2021); here stabilised runs
 * ended at 0.97–1.09 of it (quick preset: 1.088 on the w ≈ 3.1 channel at η = 0.0316, its loss up
 * ninefold from that oscillation).
 */
export const AT_EDGE = 0.1;

/**
 * Two flows end in the same channel when their networks' outputs on the data differ by at most this
 * (relative RMS): compared as functions, which no permutation or sign flip of neurons changes.
 */
const SAME_CHANNEL = 1e-3;

export interface GdFromChannelFlow {
  seed: number;
  stopReason: StopReason;
  steps: number;
  time: number;
  loss: number;
  weightNorm: number;
  outcome: string;
  reason: string;
  /** the channel pair at the flow's end (oriented coordinates), null unless it ended in a channel */
  pair: { layer: number; i: number; j: number } | null;
  /** the seed of an earlier flow that ended in the same channel (its starts are not repeated), else null */
  sameChannelAs: number | null;
  /** segment ends recorded (points of the path) */
  points: number;
}

export interface GdFromChannelStart {
  id: string;
  seed: number;
  /** simulated time of the flow at this point */
  time: number;
  loss: number;
  weightNorm: number;
  lambdaMax: number;
  inverseEpsilon: number;
  /** the parameters as the flow left them (flat layout) */
  theta: number[];
}

export interface GdFromChannelRow {
  start: string;
  eta: number;
  lambdaMaxStart: number;
  /** λ_max·η/2 at the start: above 1 is past the edge */
  startRatio: number;
  inverseEpsilonStart: number;
  fate: GdFate;
  /** null when GD diverged */
  lambdaMaxFinal: number | null;
  finalRatio: number | null;
  inverseEpsilonFinal: number | null;
  /** how far the pair's mean input vector is from the flow's path in the channel: the least ‖w − w_k‖/‖w_k‖ over its points k (null when GD diverged) */
  offPath: number | null;
  finalLoss: number;
  stopReason: StopReason;
  steps: number;
  /** where GD ended (flat layout, as trained: not oriented) */
  finalTheta: number[];
}

export interface GdFromChannelRateRow {
  eta: number;
  /** 2/η */
  edge: number;
  starts: number;
  /** runs per fate */
  fates: Record<GdFate, number>;
  /** starts below the edge that GD lost (left or diverged) */
  belowLost: number;
  /** the largest λ_max·η/2 where a run ended in the channel, and where any run that did not diverge ended (null when none) */
  largestFinalRatioInChannel: number | null;
  largestFinalRatio: number | null;
  /** runs that travelled to the edge: ended in the channel with |λ_max·η/2 − 1| ≤ AT_EDGE from a start below it by more than that */
  arrivedAtEdge: number;
}

export interface GdFromChannelResult {
  experiment: 'gd-from-channel';
  options: GdFromChannelOptions;
  backend: string;
  device: string;
  flows: GdFromChannelFlow[];
  starts: GdFromChannelStart[];
  table: GdFromChannelRateRow[];
  runs: GdFromChannelRow[];
  notes: string[];
}

/** GD step sizes of the edge-of-stability study, 10^(−2 … 0.5) in half decades (presets.ts EDGE_OF_STABILITY_RATES). */
const RATES = [0.01, 0.0316, 0.1, 0.316, 1, 3.16];

/** The paper's toy student (presets.ts TOY_STUDENT): two erf neurons without biases on the 1-D teacher, Glorot × 2, barrier 10³. */
const TOY_SETUP: StudentSetup = {
  architecture: { inputDim: 1, hidden: 2, activation: 'erf', biases: false },
  data: { inputs: { kind: 'normal' }, teacher: { kind: 'toy-1d' }, samples: 4096 },
  maxnorm: 1000,
  flow: { solver: 'ros34pw2', rtol: 1e-3, atol: 1e-6 },
  init: { scale: 2 },
};

/**
 * The full size: the toy at N = 4096, 8 flows, 6 starts per decade of λ_max (the toy's channels run
 * from λ_max ≈ 1 to ~2600 at the barrier), 20,000 GD steps per run.
 */
export const GD_FROM_CHANNEL_DEFAULTS: GdFromChannelOptions = {
  ...TOY_SETUP,
  seeds: [0, 1, 2, 3, 4, 5, 6, 7],
  // gradTol 0: a flow runs to the barrier (or a step-size collapse, or maxTime). Its segments are a few
  // steps each, too short for the stop rules' norm-drift test that tells a channel's vanishing
  // gradient (~ε³) from a minimum's: with checks every 5 steps a flow stopped as converged in the
  // channel at weight norm 770 (quick preset, seed 3)
  follow: { firstTime: 0.1, pointsPerDecade: 8, maxTime: 1e12, maxSteps: 20_000, gradTol: 0, checkEvery: 50 },
  startsPerDecade: 6,
  maxStartsPerChannel: 24,
  rates: RATES,
  gd: { maxSteps: 20_000, checkEvery: 1000 },
  inChannel: { maxCentreShift: 0.1, minReach: 0.5 },
};

/** Seconds on the CPU engine: N = 256, 4 flows, 4 starts per decade, 3,000 GD steps. */
export const GD_FROM_CHANNEL_QUICK: GdFromChannelOptions = {
  ...GD_FROM_CHANNEL_DEFAULTS,
  data: { ...TOY_SETUP.data, samples: 256 },
  seeds: [0, 1, 2, 3],
  follow: { ...GD_FROM_CHANNEL_DEFAULTS.follow, pointsPerDecade: 6 },
  startsPerDecade: 4,
  maxStartsPerChannel: 16,
  gd: { maxSteps: 3000, checkEvery: 250 },
};

export function resolveGdFromChannelOptions(options: Partial<GdFromChannelOptions> = {}): GdFromChannelOptions {
  const o = { ...GD_FROM_CHANNEL_DEFAULTS, ...options };
  if (o.seeds.length === 0) throw new RangeError('gd-from-channel needs at least one seed');
  if (o.rates.length === 0 || !o.rates.every((eta) => eta > 0)) throw new RangeError(`gd-from-channel: rates must be positive step sizes, got ${JSON.stringify(o.rates)}`);
  if (!(o.follow.firstTime > 0 && o.follow.maxTime > o.follow.firstTime)) throw new RangeError('gd-from-channel: follow needs 0 < firstTime < maxTime');
  if (!(o.follow.pointsPerDecade > 0 && o.startsPerDecade > 0 && o.maxStartsPerChannel >= 1)) throw new RangeError('gd-from-channel: pointsPerDecade, startsPerDecade and maxStartsPerChannel must be positive');
  if (!(o.inChannel.maxCentreShift > 0 && o.inChannel.minReach > 0 && o.inChannel.minReach <= 1)) throw new RangeError('gd-from-channel: inChannel needs maxCentreShift > 0 and 0 < minReach ≤ 1');
  return o;
}

/** Channel coordinates of a pair in an oriented θ: 1/ε, the pair's mean input vector w, and whether its outgoing weights have opposite signs. */
function pairState(arch: Architecture, theta: ArrayLike<number>, pair: { layer: number; i: number; j: number }): { inverseEpsilon: number; centre: Float64Array; opposite: boolean } {
  const outgoing = layerOutgoingVectors(arch, theta, pair.layer);
  const glu = gluParameters(arch, theta, pair);
  return { inverseEpsilon: 1 / glu.epsilon, centre: glu.w, opposite: dot(outgoing[pair.i], outgoing[pair.j]) < 0 };
}

/** f(x) of the network at every sample of the (first) dataset */
function networkOutputs(arch: Architecture, theta: ArrayLike<number>, data: Dataset): Float64Array {
  return Float64Array.from({ length: data.samples }, (_, n) => networkOutput(arch, theta, sampleInput(data, 0, n)));
}

/** ‖u − v‖/‖v‖ */
function relativeDistance(u: Float64Array, v: Float64Array): number {
  return l2Distance(u, v) / norm(v);
}

interface PathPoint {
  time: number;
  steps: number;
  theta: Float64Array;
  loss: number;
  stopReason: StopReason;
  record: RunRecord;
}

/**
 * Every seed's flow as a chain of segments ending at log-spaced simulated times (one ensemble per
 * segment): each segment restarts the solver from where the last stopped, so its step-size control
 * starts afresh, which changes the path only within the solver's tolerances.
 */
async function followFlows(o: GdFromChannelOptions, context: ProcedureContext<unknown>, hidden: number[]): Promise<Map<number, PathPoint[]>> {
  const paths = new Map<number, PathPoint[]>(o.seeds.map((seed) => [seed, []]));
  const first = setupConfig(o, hidden, { maxSteps: o.follow.maxSteps, gradTol: o.follow.gradTol, checkEvery: o.follow.checkEvery }, 2);
  const data = new Map(o.seeds.map((seed) => [seed, datasetFor(first, seed)]));
  let going = [...o.seeds];
  let before = 0;
  for (let k = 0; going.length > 0; k++) {
    const until = Math.min(o.follow.firstTime * 10 ** (k / o.follow.pointsPerDecade), o.follow.maxTime);
    // one configuration for the segment (one ensemble): its step cap is what the furthest flow has left
    const used = Math.max(...going.map((seed) => paths.get(seed)!.at(-1)?.steps ?? 0));
    const config = setupConfig(o, hidden, { maxSteps: o.follow.maxSteps - used, maxTime: until - before, gradTol: o.follow.gradTol, checkEvery: o.follow.checkEvery }, 2);
    const runs = going.map((seed) => ({ id: `flow-s${seed}-${k}`, configIndex: 0, seed, config }));
    await runSweep(runs, {
      engine: context.engine,
      ...(context.slots ? { slots: context.slots } : {}),
      samples: (run) => data.get(run.seed)!.samples,
      diagnostics: null,
      prepare: (run) => {
        const path = paths.get(run.seed)!;
        return { params: path.length > 0 ? path[path.length - 1].theta : initialParameters(config, run.seed), data: data.get(run.seed)! };
      },
      dataKey: (run) => datasetKey(config, run.seed),
      onRecord: (record, run) => {
        const path = paths.get(run.seed)!;
        const last = path[path.length - 1];
        path.push({
          time: (last?.time ?? 0) + record.time,
          steps: (last?.steps ?? 0) + record.steps,
          theta: Float64Array.from(record.recentParams[record.recentParams.length - 1]),
          loss: record.loss,
          stopReason: record.stopReason,
          record,
        });
      },
    });
    before = until;
    // one line per decade of simulated time
    if (k % Math.ceil(o.follow.pointsPerDecade) === 0) context.progress?.(`flows: simulated time ${until.toPrecision(3)}, ${runs.length} of ${o.seeds.length} still going`);
    going = going.filter((seed) => {
      const last = paths.get(seed)!.at(-1)!;
      return last.stopReason === 'max-time' && until < o.follow.maxTime && last.steps < o.follow.maxSteps;
    });
  }
  return paths;
}

/** λ_max of the Hessian of L + R (float64, dense) at θ; NaN for a non-finite θ. */
function largestEigenvalue(arch: Architecture, data: Dataset, maxnorm: number, theta: Float64Array): number {
  return theta.every(Number.isFinite) ? hessianExtremes(arch, data, maxnorm, theta).max : NaN;
}

/** How much 1/ε may fall between two points of a channel's stretch (the settling at the barrier) */
const STRETCH_DIP = 0.01;

/**
 * The path's points on the channel: the final stretch along which the pair's outgoing weights keep
 * opposite signs and 1/ε does not fall (by more than STRETCH_DIP: running out along the channel);
 * indices into the path.
 */
function channelStretch(states: readonly (ReturnType<typeof pairState> | null)[]): number[] {
  let first = states.length;
  while (first > 0) {
    const state = states[first - 1];
    const next = states[first];
    if (!state || !state.opposite || (next && state.inverseEpsilon * (1 - STRETCH_DIP) > next.inverseEpsilon)) break;
    first--;
  }
  return Array.from({ length: states.length - first }, (_, k) => first + k);
}

/** Keeps points at least a factor 10^(1/perDecade) apart in λ_max (in path order), then at most `max` of them, evenly spread. */
function thinByLambda<T extends { lambdaMax: number }>(points: readonly T[], perDecade: number, max: number): T[] {
  const factor = 10 ** (1 / perDecade);
  const kept: T[] = [];
  for (const point of points) {
    if (!(point.lambdaMax > 0)) continue;
    if (kept.length === 0 || point.lambdaMax >= kept[kept.length - 1].lambdaMax * factor) kept.push(point);
  }
  if (kept.length <= max) return kept;
  return Array.from({ length: max }, (_, k) => kept[Math.round((k * (kept.length - 1)) / (max - 1 || 1))]);
}

export async function runGdFromChannel(options: Partial<GdFromChannelOptions>, context: ProcedureContext<GdFromChannelRow>): Promise<GdFromChannelResult> {
  const o = resolveGdFromChannelOptions(options);
  const hidden = typeof o.architecture.hidden === 'number' ? [o.architecture.hidden] : [...o.architecture.hidden];
  const probe = setupConfig(o, hidden, { maxSteps: 1, gradTol: 0, checkEvery: 1 });
  const arch = architectureOf(probe);
  const P = parameterCount(arch);
  if (P > GD_FROM_CHANNEL_MAX_PARAMETERS) {
    throw new RangeError(`gd-from-channel computes λ_max from the dense Hessian: the student has ${P} parameters, at most ${GD_FROM_CHANNEL_MAX_PARAMETERS} are allowed`);
  }
  const maxnorm = barrierThreshold(probe);
  const notes: string[] = [];

  // 1. the flows and where each ended
  const paths = await followFlows(o, context as ProcedureContext<unknown>, hidden);
  const flows: GdFromChannelFlow[] = [];
  const channelEnds: { seed: number; key: string; outputs: Float64Array }[] = [];
  const starts: (GdFromChannelStart & { pathCentres: Float64Array[]; data: Dataset; orient: (t: ArrayLike<number>) => Float64Array; pair: { layer: number; i: number; j: number } })[] = [];
  for (const seed of o.seeds) {
    const path = paths.get(seed)!;
    const end = path[path.length - 1];
    const data = datasetFor(probe, seed);
    const symmetry = symmetryOrientation(arch, end.theta);
    const orient = symmetry ? symmetry.orient : (t: ArrayLike<number>) => Float64Array.from(t);
    const endLambda = largestEigenvalue(arch, data, maxnorm, end.theta);
    // the classifier's "last updates along the channel": over the last segment ends (log-spaced in time)
    const evidence = evidenceFromNetwork(arch, end.theta, {
      loss: end.loss,
      gradInf: end.record.gradInf,
      stoppedBy: end.stopReason,
      thetaHistory: path.slice(-4).map((point) => point.theta),
      hessianMaxEigenvalue: endLambda,
    }, { maxnorm });
    const verdict = classifyRun(evidence, { maxnorm });
    const pair = verdict.outcome === 'channel' && evidence.channelGroup ? channelPairOf(evidence.channelGroup) : null;
    // two seeds whose flows end in one channel (on one dataset) share its path there: its points once
    const key = datasetKey(probe, seed);
    const outputs = pair ? networkOutputs(arch, end.theta, data) : null;
    const twin = outputs ? channelEnds.find((other) => other.key === key && relativeDistance(outputs, other.outputs) <= SAME_CHANNEL) : undefined;
    flows.push({
      seed,
      stopReason: end.stopReason,
      steps: end.steps,
      time: end.time,
      loss: end.loss,
      weightNorm: weightNorm(end.theta),
      outcome: verdict.outcome,
      reason: verdict.reason,
      pair,
      sameChannelAs: twin?.seed ?? null,
      points: path.length,
    });
    if (!pair || twin) continue;
    channelEnds.push({ seed, key, outputs: outputs! });

    // 2. the points of its path in the channel, thinned by λ_max
    const channelCentre = pairState(arch, orient(end.theta), pair).centre;
    const states = path.map((point) => {
      if (!point.theta.every(Number.isFinite)) return null;
      const state = pairState(arch, orient(point.theta), pair);
      return relativeDistance(state.centre, channelCentre) <= o.inChannel.maxCentreShift ? state : null;
    });
    const stretch = channelStretch(states);
    const pathCentres = stretch.map((k) => states[k]!.centre);
    const candidates = stretch.map((k) => ({ point: path[k], state: states[k]!, lambdaMax: largestEigenvalue(arch, data, maxnorm, path[k].theta) }));
    for (const { point, state, lambdaMax } of thinByLambda(candidates, o.startsPerDecade, o.maxStartsPerChannel)) {
      starts.push({
        id: `s${seed}-t${point.time.toPrecision(3)}`,
        seed,
        time: point.time,
        loss: point.loss,
        weightNorm: weightNorm(point.theta),
        lambdaMax,
        inverseEpsilon: state.inverseEpsilon,
        pathCentres,
        theta: Array.from(point.theta),
        data,
        orient,
        pair,
      });
    }
  }
  const channelFlows = flows.filter((flow) => flow.pair).length;
  context.progress?.(`flows: ${channelFlows} of ${flows.length} ended in a channel; GD from ${starts.length} points on them at ${o.rates.length} step sizes (${starts.length * o.rates.length} runs)`);
  if (starts.length === 0) notes.push(`no flow of seeds ${o.seeds.join(', ')} ended in a channel: there is nothing to start GD from; choose other seeds`);

  // 3. GD at every η from every start, as one sweep
  const gdConfigs = o.rates.map((eta) => setupConfig(o, hidden, { maxSteps: o.gd.maxSteps, gradTol: 0, checkEvery: o.gd.checkEvery }, 10, { kind: 'gd', lr: eta }));
  const gdRuns = starts.flatMap((start, s) => o.rates.map((eta, r) => ({ id: `${start.id}-lr${eta}`, configIndex: r, seed: start.seed, config: gdConfigs[r], start: s })));
  const finished = new Map<string, RunRecord>();
  await runSweep(gdRuns, {
    engine: context.engine,
    ...(context.slots ? { slots: context.slots } : {}),
    samples: (run) => starts[run.start].data.samples,
    diagnostics: null,
    prepare: (run) => ({ params: Float64Array.from(starts[run.start].theta), data: starts[run.start].data }),
    dataKey: (run) => datasetKey(run.config, run.seed),
    onRecord: (record, run) => {
      finished.set(run.id, record);
      // about ten lines over the GD stage
      if (finished.size % Math.max(1, Math.ceil(gdRuns.length / 10)) === 0 || finished.size === gdRuns.length) context.progress?.(`GD: ${finished.size} of ${gdRuns.length} runs done`);
    },
  });

  // where each GD run ended, in the channel coordinates of its start
  const runs: GdFromChannelRow[] = [];
  for (const run of gdRuns) {
    const start = starts[run.start];
    const record = finished.get(run.id)!;
    const eta = o.rates[run.configIndex];
    const theta = Float64Array.from(record.recentParams[record.recentParams.length - 1]);
    const finite = record.stopReason !== 'diverged' && theta.every(Number.isFinite) && Number.isFinite(record.loss);
    const lambdaMaxFinal = finite ? largestEigenvalue(arch, start.data, maxnorm, theta) : NaN;
    const state = finite ? pairState(arch, start.orient(theta), start.pair) : null;
    const offPath = state ? Math.min(...start.pathCentres.map((centre) => relativeDistance(state.centre, centre))) : null;
    const inChannel = state !== null && state.opposite && offPath! <= o.inChannel.maxCentreShift && state.inverseEpsilon >= o.inChannel.minReach * start.inverseEpsilon;
    const fate: GdFate = !state ? 'diverged' : !inChannel ? 'left' : (start.lambdaMax * eta) / 2 < 1 ? 'kept' : 'stabilised';
    const row: GdFromChannelRow = {
      start: start.id,
      eta,
      lambdaMaxStart: start.lambdaMax,
      startRatio: (start.lambdaMax * eta) / 2,
      inverseEpsilonStart: start.inverseEpsilon,
      fate,
      lambdaMaxFinal: state ? lambdaMaxFinal : null,
      finalRatio: state ? (lambdaMaxFinal * eta) / 2 : null,
      inverseEpsilonFinal: state ? state.inverseEpsilon : null,
      offPath,
      finalLoss: record.loss,
      stopReason: record.stopReason,
      steps: record.steps,
      finalTheta: Array.from(theta),
    };
    runs.push(row);
    await context.onRecord?.(row);
  }

  const table = o.rates.map((eta) => rateRow(eta, runs.filter((row) => row.eta === eta)));
  return {
    experiment: 'gd-from-channel',
    options: o,
    backend: [...finished.values()][0]?.backend ?? context.engine.backend,
    device: [...finished.values()][0]?.device ?? context.engine.description,
    flows,
    starts: starts.map(({ pathCentres: _centres, data: _data, orient: _orient, pair: _pair, ...start }) => start),
    table,
    runs,
    notes,
  };
}

function rateRow(eta: number, rows: readonly GdFromChannelRow[]): GdFromChannelRateRow {
  const fates = Object.fromEntries(GD_FATES.map((fate) => [fate, rows.filter((row) => row.fate === fate).length])) as Record<GdFate, number>;
  const inChannel = rows.filter((row) => row.fate === 'kept' || row.fate === 'stabilised');
  const finite = rows.filter((row) => row.fate !== 'diverged').map((row) => row.finalRatio!);
  const largest = (values: number[]) => (values.length > 0 ? Math.max(...values) : null);
  return {
    eta,
    edge: 2 / eta,
    starts: rows.length,
    fates,
    belowLost: rows.filter((row) => row.startRatio < 1 && (row.fate === 'left' || row.fate === 'diverged')).length,
    largestFinalRatioInChannel: largest(inChannel.map((row) => row.finalRatio!)),
    largestFinalRatio: largest(finite),
    arrivedAtEdge: inChannel.filter((row) => Math.abs(row.finalRatio! - 1) <= AT_EDGE && row.startRatio < 1 - AT_EDGE).length,
  };
}

const num = (value: number | null, digits = 3): string => (value === null || !Number.isFinite(value) ? '–' : value.toPrecision(digits));

/** Markdown: the flows, the per-η bracket of the edge, and every start's fate at every η. */
export function formatGdFromChannelMarkdown(result: GdFromChannelResult): string {
  const { options: o } = result;
  const arch = o.architecture;
  const lines = [
    `## GD started inside a channel (d=${arch.inputDim}, ${Array.isArray(arch.hidden) ? arch.hidden.join('×') : arch.hidden} ${arch.activation}${arch.biases ? ', biases' : ''}, N = ${o.data.samples ?? 'file'}, barrier ${o.maxnorm ?? 'none'})`,
    '',
    `Stiff gradient flow (${o.flow.solver}) from seeds ${o.seeds.join(', ')}, followed in segments to log-spaced times (${o.follow.pointsPerDecade} per decade); from the points of each channel it ended in (${o.startsPerDecade} per decade of λ_max), full-batch GD for ${o.gd.maxSteps.toLocaleString('en-US')} steps at each η. Runs on ${result.device}; λ_max is the largest eigenvalue of the Hessian of L + R (float64).`,
    '',
    '| seed | flow ended | steps | simulated time | loss | weight norm | starts |',
    '|---:|---|---:|---:|---:|---:|---:|',
    ...result.flows.map((flow) => `| ${flow.seed} | ${flow.outcome} (${flow.stopReason})${flow.sameChannelAs !== null ? `, the channel of seed ${flow.sameChannelAs}` : ''} | ${flow.steps} | ${num(flow.time, 2)} | ${num(flow.loss, 4)} | ${num(flow.weightNorm, 4)} | ${result.starts.filter((start) => start.seed === flow.seed).length} |`),
    '',
    `GD ends **in the channel** when the pair's outgoing weights still have opposite signs, their mean input vector w is within ${o.inChannel.maxCentreShift * 100}% of w at a point of the flow's path in the channel and 1/ε is at least ${o.inChannel.minReach} times the start's: **kept** from a start below the edge (λ_max < 2/η), **stabilised** from one past it (λ_max brought down). Otherwise it **left** the channel (thrown out: another w, the pair far apart) or diverged. At the edge: λ_max·η/2 within ${AT_EDGE} of 1.`,
    '',
    '| η | 2/η | starts | kept | stabilised | left | diverged | below the edge but lost | largest final λ_max·η/2: in the channel | anywhere | travelled to the edge |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...result.table.map(
      (row) =>
        `| ${row.eta} | ${num(row.edge)} | ${row.starts} | ${row.fates.kept} | ${row.fates.stabilised} | ${row.fates.left} | ${row.fates.diverged} | ${row.belowLost} | ${num(row.largestFinalRatioInChannel)} | ${num(row.largestFinalRatio)} | ${row.arrivedAtEdge} |`,
    ),
    '',
    'GD cannot sit past the edge where the largest final λ_max·η/2 stays near 1 at every η, in the channel and out of it; from past the edge it leaves the channel, diverges, or brings λ_max down. "Travelled to the edge": kept runs that started below it by more than the slack and ended at it. Most kept runs barely move: their steps cover a simulated time steps·η, short next to the flow\'s between two starts.',
    '',
    'Every start (rows by λ_max) and its fate at every η; the number is λ_max·η/2 where GD ended (above 1: past the edge).',
    '',
    `| start | λ_max | 1/ε | ${o.rates.map((eta) => `η = ${eta}`).join(' | ')} |`,
    `|---|---:|---:|${o.rates.map(() => '---').join('|')}|`,
    ...[...result.starts]
      .sort((p, q) => p.lambdaMax - q.lambdaMax)
      .map((start) => {
        const cells = o.rates.map((eta) => {
          const row = result.runs.find((r) => r.start === start.id && r.eta === eta);
          if (!row) return '';
          const past = row.startRatio >= 1 ? ' ›' : '';
          return row.fate === 'diverged' ? `diverged${past}` : `${row.fate} ${num(row.finalRatio, 2)}${past}`;
        });
        return `| ${start.id} | ${num(start.lambdaMax)} | ${num(start.inverseEpsilon)} | ${cells.join(' | ')} |`;
      }),
    '',
    '› : the start is past the edge (λ_max·η/2 ≥ 1).',
    ...result.notes.map((note) => `\nNote: ${note}.`),
  ];
  return `${lines.join('\n')}\n`;
}

export const gdFromChannelProcedure: Procedure<GdFromChannelOptions, GdFromChannelRow, GdFromChannelResult> = {
  name: 'gd-from-channel',
  description: 'full-batch GD at η = 0.01 … 3.16 started from points along gradient-flow channels of the toy problem: which λ_max it holds against 2/η',
  defaults: GD_FROM_CHANNEL_DEFAULTS,
  quick: GD_FROM_CHANNEL_QUICK,
  run: runGdFromChannel,
  formatMarkdown: formatGdFromChannelMarkdown,
};
