// Per-run views computed from a record's parameters on the CPU (float64): the closest pair of
// hidden neurons, its channel coordinates along the run, the network / GLU-limit / teacher
// functions on a 2-D grid, and the Hessian spectrum. Pure (no DOM), so Node tests run them.
import { chooseChannelLimit, channelLimitReplacement } from '../../../src/analysis/channel-limit.js';
import { lambdaMaxEstimate } from '../../../src/analysis/diagnostics.js';
import { channelPairOf, closenessDistance, hasScalarInputs, minCosineDistance, reflectionOffset, symmetryOrientation } from '../../../src/analysis/channels.js';
import { gluNetworkOutput, gluParameters, networkOutput } from '../../../src/analysis/glu.js';
import { forwardTrace, layerInputVectors, layerOutgoingVectors } from '../../../src/analysis/network.js';
import type { Dataset } from '../../../src/data/dataset.js';
import { evaluateNetwork } from '../../../src/engine/cpu/cpu-engine.js';
import { DatasetCache, datasetSeed, standardizesTargets, teacherValues } from '../../../src/experiment/grid.js';
import type { RunRecord } from '../../../src/experiment/results.js';
import { classifyRecordWithEvidence } from '../../../src/experiment/summary.js';
import { parseConfig, type RunConfig } from '../../../src/experiment/spec.js';
import { weightNorm, type Architecture } from '../../../src/model/architecture.js';
import { parseParameterFile, type ParameterFile } from '../../../src/model/params-file.js';
import { hessianMatrix, symmetricEigen } from '../../../src/numerics/linalg.js';

/**
 * The training data of the runs viewed, kept for the next view of a run with the same dataset (a
 * sweep's runs share one unless data.perRun): a GP teacher at N = 10⁴ takes a second or two to build.
 */
const trainingData = new DatasetCache({}, 4);

export interface Network {
  arch: Architecture;
  theta: Float64Array;
}

/** The network of a parameter file, or null when it is not a finite network (a diverged run). */
export function networkOf(file: ParameterFile | null | undefined, source = 'parameters'): Network | null {
  if (!file) return null;
  try {
    const network = parseParameterFile(JSON.stringify(file), source);
    return Array.from(network.theta).every(Number.isFinite) ? network : null;
  } catch {
    return null;
  }
}

export interface ClosestPair {
  /** hidden layer (0-based) and neurons i < j */
  layer: number;
  i: number;
  j: number;
  /** cosine distance of the input vectors, bias included */
  cosine: number;
  /**
   * what picked the pair: cosine distance, L2 distance where cosine cannot tell pairs apart (d = 1,
   * no biases), or the channel verdict (its group's GLU pair, compared up to the activation's symmetry)
   */
  by: 'cosine' | 'l2' | 'channel';
  /** output weights aᵢ, aⱼ when the pair is in the last hidden layer, else null */
  outputWeights: [number, number] | null;
}

/**
 * The pair of hidden neurons closest in cosine distance (any layer), as the classifier measures
 * closeness (channels.ts closenessDistance): a layer with scalar input vectors (one input, no biases),
 * where every same-sign pair is at cosine distance 0, by their L2 counterpart instead.
 */
export function closestPair({ arch, theta }: Network): ClosestPair | null {
  const pair = minCosineDistance(arch, theta);
  const pick = pair ? { layer: pair.layer, i: pair.i, j: pair.j, by: hasScalarInputs(arch, pair.layer) ? ('l2' as const) : ('cosine' as const) } : null;
  if (!pick) return null;
  const outgoing = pick.layer === arch.hidden.length - 1 ? layerOutgoingVectors(arch, theta, pick.layer) : null;
  return {
    ...pick,
    cosine: cosineOf(arch, theta, pick.layer, pick.i, pick.j),
    outputWeights: outgoing ? [outgoing[pick.i][0], outgoing[pick.j][0]] : null,
  };
}

/** A pair's cosine distance as the classifier measures closeness (channels.ts closenessDistance: scalar input vectors by L2). */
function cosineOf(arch: Architecture, theta: Float64Array, layer: number, i: number, j: number): number {
  const vectors = layerInputVectors(arch, theta, layer);
  return closenessDistance(vectors[i], vectors[j]);
}

// ---- scatter: closeness against output weights -------------------------------------------------------

export interface PairPoint {
  id: string;
  /**
   * the closest pair's distance as the classifier measures closeness (closenessDistance: cosine,
   * bias included; scalar input vectors by relative L2), neurons compared up to the activation's symmetry
   */
  minCosine: number;
  /** |aᵢ| + |aⱼ| of that pair */
  outputWeightSum: number;
  /** sign of aᵢaⱼ: opposite signs are the channel signature */
  signs: 'opposite' | 'same';
}

/** Points of a log–log scatter that fall on one place, joined: the first's coordinates, how many, and their ids. */
export interface PiledPairPoint extends PairPoint {
  count: number;
  ids: string[];
}

/**
 * Pair points joined where they would be drawn on top of one another: the same signs and both
 * coordinates in the same cell of a grid a hundredth of a decade (2.3%) wide — runs that ended at one
 * critical point (a sweep's seeds often do) would otherwise show as one dot. In order of first appearance.
 */
export function piledPairPoints(points: readonly PairPoint[]): PiledPairPoint[] {
  const piles = new Map<string, PiledPairPoint>();
  for (const point of points) {
    const key = `${point.signs} ${Math.round(100 * Math.log10(point.minCosine))} ${Math.round(100 * Math.log10(point.outputWeightSum))}`;
    const pile = piles.get(key);
    if (pile) {
      pile.count++;
      pile.ids.push(point.id);
    } else piles.set(key, { ...point, count: 1, ids: [point.id] });
  }
  return [...piles.values()];
}

/**
 * One point per run whose closest pair sits in the last hidden layer (where output weights exist);
 * not the runs in `leaveOut` (the diverged: their weights are whatever overflowed). Neurons are
 * compared in the orientation the classifier compares them in (symmetryOrientation: odd σ's sign
 * flips, softplus's reflections): a channel of erf neurons w and −w is a pair at distance ~0 with
 * output weights of opposite signs there, as its verdict says, not two neurons far apart.
 */
export function pairPoints(records: readonly RunRecord[], leaveOut: ReadonlySet<string> = new Set()): PairPoint[] {
  const points: PairPoint[] = [];
  for (const record of records) {
    if (leaveOut.has(record.id)) continue;
    const network = networkOf(record.params, record.id);
    if (!network) continue;
    const symmetry = symmetryOrientation(network.arch, network.theta);
    const pair = closestPair(symmetry ? { ...network, theta: Float64Array.from(symmetry.orient(network.theta)) } : network);
    if (!pair?.outputWeights) continue;
    const [ai, aj] = pair.outputWeights;
    points.push({ id: record.id, minCosine: pair.cosine, outputWeightSum: Math.abs(ai) + Math.abs(aj), signs: ai * aj < 0 ? 'opposite' : 'same' });
  }
  return points;
}

// ---- channel coordinates along a run ---------------------------------------------------------------

export interface ChannelSnapshot {
  /** "start", "check −2", …, "end" */
  label: string;
  /** 0 for the initial parameters, then in recorded order */
  order: number;
  weightNorm: number;
  /** ε = ‖uᵢ − uⱼ‖/2 of the pair's input vectors (bias included) */
  epsilon: number;
  inverseEpsilon: number;
  /** c = aᵢ + aⱼ and a = ε(aᵢ − aⱼ) (first entry of the outgoing vectors for an earlier layer) */
  c: number;
  a: number;
  /** cosine distance of the pair at this snapshot */
  cosine: number;
}

export interface ChannelTrajectory {
  pair: ClosestPair;
  snapshots: ChannelSnapshot[];
}

/**
 * A channel run's pair as the verdict found it: the GLU pair of the classifier's channel group, in
 * the orientation (odd σ's sign flips, softplus's reflections) the group was found in; null when
 * the run is no channel.
 */
function channelPairOfRun(record: RunRecord, final: Network): { pair: ClosestPair; orient: (theta: ArrayLike<number>) => ArrayLike<number> } | null {
  const verdict = safely(() => classifyRecordWithEvidence(record));
  const group = verdict?.outcome === 'channel' ? verdict.evidence?.channelGroup : null;
  const glu = group ? channelPairOf(group) : null;
  if (!glu) return null;
  const symmetry = symmetryOrientation(final.arch, final.theta);
  const orient = symmetry ? symmetry.orient : (theta: ArrayLike<number>) => theta;
  const theta = Float64Array.from(orient(final.theta));
  const outgoing = glu.layer === final.arch.hidden.length - 1 ? layerOutgoingVectors(final.arch, theta, glu.layer) : null;
  return {
    pair: { ...glu, by: 'channel', cosine: cosineOf(final.arch, theta, glu.layer, glu.i, glu.j), outputWeights: outgoing ? [outgoing[glu.i][0], outgoing[glu.j][0]] : null },
    orient,
  };
}

/**
 * The channel's pair (a channel run) or the pair closest at the end of the run, followed through the parameters a record keeps: the
 * initial ones and the last few checks (recentParams, final last). Along a channel 1/ε and the
 * weight norm grow together while c and a settle to the GLU limit's coefficients.
 */
export function channelTrajectory(record: RunRecord): ChannelTrajectory | null {
  const final = networkOf(record.params, record.id);
  if (!final) return null;
  const channel = channelPairOfRun(record, final);
  const pair = channel?.pair ?? closestPair(final);
  if (!pair) return null;
  // every snapshot in the orientation the verdict compared the end in
  const orient = channel?.orient ?? ((theta: ArrayLike<number>) => theta);
  const thetas: { label: string; theta: ArrayLike<number> }[] = [];
  const start = networkOf(record.params0, record.id);
  if (start) thetas.push({ label: 'start', theta: start.theta });
  const recent = (record.recentParams ?? []).filter((theta) => theta.length === final.theta.length && theta.every(Number.isFinite));
  const last = recent.length > 0 ? recent[recent.length - 1] : null;
  const endIsLastRecent = last !== null && last.every((value, k) => value === final.theta[k]);
  recent.forEach((theta, k) => {
    const fromEnd = recent.length - 1 - k;
    thetas.push({ label: fromEnd === 0 && endIsLastRecent ? 'end' : `check −${fromEnd + (endIsLastRecent ? 0 : 1)}`, theta });
  });
  if (!endIsLastRecent) thetas.push({ label: 'end', theta: final.theta });
  const snapshots = thetas.map(({ label, theta: raw }, order) => {
    const theta = orient(raw);
    const glu = gluParameters(final.arch, theta, pair);
    return {
      label,
      order,
      weightNorm: weightNorm(theta),
      epsilon: glu.epsilon,
      inverseEpsilon: glu.epsilon > 0 ? 1 / glu.epsilon : Infinity,
      c: glu.c[0],
      a: glu.a[0],
      cosine: cosineOf(final.arch, Float64Array.from(theta), pair.layer, pair.i, pair.j),
    };
  });
  return { pair, snapshots };
}

// ---- functions on a 2-D grid ------------------------------------------------------------------------

/** A run's configuration, validated; null when the record's config is not one this version reads. */
export function configOf(record: RunRecord): RunConfig | null {
  try {
    return parseConfig(record.config, `record ${record.id}`);
  } catch {
    return null;
  }
}

export interface FunctionGrid {
  /** cell centres along x₁ and x₂ */
  xs: number[];
  ys: number[];
  /** the half-width of the square shown, [−extent, extent]² */
  extent: number;
  panels: { name: string; caption: string; values: number[] }[];
  /** colour domain shared by all panels (symmetric about 0) */
  limit: number;
}

/** Cell centres of a resolution × resolution grid on [−extent, extent]², row-major (x₁ fastest). */
export function gridPoints(extent: number, resolution: number): { xs: number[]; ys: number[]; points: Float64Array } {
  const step = (2 * extent) / resolution;
  const xs = Array.from({ length: resolution }, (_, k) => -extent + (k + 0.5) * step);
  const points = new Float64Array(resolution * resolution * 2);
  for (let r = 0; r < resolution; r++) {
    for (let c = 0; c < resolution; c++) {
      points[2 * (r * resolution + c)] = xs[c];
      points[2 * (r * resolution + c) + 1] = xs[r];
    }
  }
  return { xs, ys: xs.slice(), points };
}

/**
 * The teacher's raw (unstandardised) values at the given points, or null for teachers read from
 * files (a browser has no access to them).
 */
function rawTeacherValues(config: RunConfig, seed: number, points: Float64Array): Float64Array | null {
  return teacherValues(config.data.teacher, points, config.architecture.inputDim, datasetSeed(config, seed));
}

/**
 * The teacher at arbitrary points, standardised exactly as for training: with the mean and standard
 * deviation of the raw teacher over the run's training inputs.
 */
export function teacherAt(config: RunConfig, seed: number, points: Float64Array): Float64Array | null {
  const values = rawTeacherValues(config, seed, points);
  if (!values) return null;
  if (!standardizesTargets(config.data.teacher)) return values;
  const training = trainingData.get(config, seed);
  const raw = rawTeacherValues(config, seed, training.x)!;
  let mean = 0;
  for (const v of raw) mean += v;
  mean /= raw.length;
  let variance = 0;
  for (const v of raw) variance += (v - mean) ** 2;
  const sd = Math.sqrt(variance / raw.length) || 1;
  return values.map((v) => (v - mean) / sd);
}

/** Whether a run's network takes d = 2 inputs, as functionGrid's heatmaps need (read off its first layer's shape). */
export function takesPlanarInputs(record: RunRecord): boolean {
  return record.params?.layers?.[0]?.weights?.[0]?.length === 2;
}

/**
 * For d = 2: the trained network f, the network with its channel replaced by its limit (a channel
 * run; any other run: its closest pair by its GLU), and the teacher, on one grid with one colour scale. The square covers the training inputs
 * (up to the 99th percentile of |xₖ|, at least [−√3, √3]).
 */
export function functionGrid(record: RunRecord, resolution = 48): FunctionGrid | { unavailable: string } {
  const network = networkOf(record.params, record.id);
  if (!network) return { unavailable: 'the final parameters are not finite (diverged run)' };
  if (network.arch.inputDim !== 2) return { unavailable: `heatmaps need d = 2 inputs; this run has d = ${network.arch.inputDim}` };
  const config = configOf(record);
  const training = config ? safely(() => trainingData.get(config, record.seed)) : null;
  let extent = Math.sqrt(3);
  if (training) {
    const magnitudes = Array.from(training.x, Math.abs).sort((p, q) => p - q);
    extent = Math.max(extent, magnitudes[Math.floor(0.99 * (magnitudes.length - 1))]);
  }
  extent = Math.ceil(extent * 10) / 10;
  const { xs, ys, points } = gridPoints(extent, resolution);
  const at = (k: number) => points.subarray(2 * k, 2 * k + 2);
  const cells = resolution * resolution;
  const panels: FunctionGrid['panels'] = [];
  panels.push({ name: 'network f(x)', caption: 'the trained network', values: Array.from({ length: cells }, (_, k) => networkOutput(network.arch, network.theta, at(k))) });
  const limitPanel = (training && channelLimitPanel(record, network, training, points)) || closestPairPanel(network, points, panels[0].values);
  if (limitPanel) panels.push(limitPanel);
  const teacher = config ? safely(() => teacherAt(config, record.seed, points)) : null;
  if (teacher) panels.push({ name: 'teacher', caption: `${describeTeacher(config!.data.teacher)} teacher${standardizesTargets(config!.data.teacher) ? ', standardised over the training inputs' : ''}`, values: Array.from(teacher) });
  // the colour range of the network and the teacher: a limit far from the network (a pair far from
  // merging) saturates rather than washing out the panels it is compared with
  let limit = 0;
  for (const panel of panels) if (panel !== limitPanel) for (const v of panel.values) if (Number.isFinite(v)) limit = Math.max(limit, Math.abs(v));
  return { xs, ys, extent, panels, limit: limit || 1 };
}

const LIMIT_TERMS = ['c·σ(w̄·x)', '(v·x)·σ′(w̄·x)', '½(xᵀMx)·σ″(w̄·x)', '⅙T₃[x,x,x]·σ‴(w̄·x)'];

/**
 * A channel run's limit network on the grid: the classifier's channel group (compared up to the
 * activation's symmetry, as the verdict was), with the neurons that carry it chosen on the training
 * data (channel-limit.ts), replaced by their limit: the GLU for a pair, the order-2 or order-3 limit
 * for three or four neurons. Null when the run is no channel, or when softplus reflections sit in
 * an earlier layer (their leftover linear term is not an output offset).
 */
function channelLimitPanel(record: RunRecord, network: Network, training: Dataset, points: Float64Array): FunctionGrid['panels'][number] | null {
  const verdict = safely(() => classifyRecordWithEvidence(record));
  const group = verdict?.outcome === 'channel' ? verdict.evidence?.channelGroup : null;
  if (!group) return null;
  const { arch, theta } = network;
  const symmetry = symmetryOrientation(arch, theta);
  const oriented = symmetry ? symmetry.orient(theta) : theta;
  // θ reflected plus this offset is the network as trained
  const offset = symmetry?.kind === 'reflection' ? reflectionOffset(arch, theta, symmetry.flips) : null;
  if (symmetry?.kind === 'reflection' && !offset) return null;
  const chosen = chooseChannelLimit(arch, oriented, group, training);
  if (!chosen) return null;
  const { limit } = chosen;
  const replacement = channelLimitReplacement(limit, arch.activation);
  return {
    name: limit.order === 1 ? 'GLU limit' : 'channel limit',
    caption: `channel neurons ${limit.members.join(', ')} (from 0) of hidden layer ${limit.layer + 1} replaced by ${LIMIT_TERMS.slice(0, limit.order + 1).join(' + ')}; at most ${chosen.deviation.max.toPrecision(2)} from the network on the training data`,
    values: Array.from({ length: points.length / 2 }, (_, k) => {
      const x = points.subarray(2 * k, 2 * k + 2);
      return forwardTrace(arch, oriented, x, replacement).output + (offset ? offset(x) : 0);
    }),
  };
}

/**
 * Any other run: the pair closest in cosine distance replaced by its GLU, and how far that is from
 * the network on the grid (`networkValues`): how far from a channel the run is.
 */
function closestPairPanel(network: Network, points: Float64Array, networkValues: readonly number[]): FunctionGrid['panels'][number] | null {
  const pair = closestPair(network);
  if (!pair) return null;
  const glu = gluParameters(network.arch, network.theta, pair);
  const values = Array.from({ length: points.length / 2 }, (_, k) => gluNetworkOutput(network.arch, network.theta, pair, points.subarray(2 * k, 2 * k + 2)));
  const deviation = Math.max(...values.map((v, k) => Math.abs(v - networkValues[k])));
  return {
    name: 'GLU limit',
    caption: `closest pair, neurons ${pair.i}, ${pair.j} (from 0) of hidden layer ${pair.layer + 1}, replaced by c·σ(w·x) + a·(Δ·x)·σ′(w·x); ε = ${glu.epsilon.toPrecision(2)}, at most ${deviation.toPrecision(2)} from the network on this grid`,
    values,
  };
}

function safely<T>(compute: () => T): T | null {
  try {
    return compute();
  } catch {
    return null;
  }
}

// ---- Hessian spectrum -------------------------------------------------------------------------------

/** Full spectra on the CPU only up to this many parameters (P Hessian-vector products, then Jacobi on P×P). */
export const CPU_SPECTRUM_MAX_PARAMETERS = 128;

export interface HessianSpectrum {
  /** ascending eigenvalues of the Hessian of L + R at the final parameters (only λ_min and λ_max when `extremesOnly`) */
  eigenvalues: number[];
  extremesOnly: boolean;
  source: string;
  /** λ_min and λ_max at earlier checks, when the record keeps diagnostics along the run */
  history: { step: number; lambdaMin: number; lambdaMax: number }[];
}

function historyOf(record: RunRecord): HessianSpectrum['history'] {
  return (record.checkDiagnostics ?? [])
    .filter((entry) => Number.isFinite(entry.diagnostics?.lambdaMax))
    .map((entry) => ({ step: entry.step, lambdaMin: entry.diagnostics.lambdaMin, lambdaMax: lambdaMaxEstimate(entry.diagnostics) }));
}

/** The record's Hessian spectrum: from its diagnostics when present, else computed here in float64 for P ≤ 128. */
export function hessianSpectrum(record: RunRecord): HessianSpectrum | { unavailable: string } {
  const history = historyOf(record);
  const diagnostics = record.diagnostics;
  const trainedOn = `the ${record.backend} backend that trained the run`;
  if (diagnostics?.hessianEigenvalues && diagnostics.hessianEigenvalues.length > 0) {
    return { eigenvalues: [...diagnostics.hessianEigenvalues].sort((p, q) => p - q), extremesOnly: false, source: `from the record (computed by ${trainedOn})`, history };
  }
  const network = networkOf(record.params, record.id);
  if (!network) return { unavailable: 'the final parameters are not finite (diverged run)' };
  const P = network.theta.length;
  if (P > CPU_SPECTRUM_MAX_PARAMETERS) {
    if (diagnostics && Number.isFinite(diagnostics.lambdaMin) && Number.isFinite(diagnostics.lambdaMax)) {
      const lambdaMax = lambdaMaxEstimate(diagnostics);
      return { eigenvalues: [diagnostics.lambdaMin, lambdaMax], extremesOnly: true, source: `λ_min and λ_max only (Lanczos and power iteration by ${trainedOn}; ${P} parameters)`, history };
    }
    return { unavailable: `the record carries no spectrum and the network has ${P} parameters (computed here only up to ${CPU_SPECTRUM_MAX_PARAMETERS})` };
  }
  const config = configOf(record);
  if (!config) return { unavailable: 'the record\'s configuration cannot be read by this version, so its data cannot be rebuilt' };
  const data = safely(() => trainingData.get(config, record.seed));
  if (!data) return { unavailable: 'the run\'s data cannot be rebuilt here (read from a file)' };
  const maxnorm = config.maxnorm ?? Infinity; // null: no barrier
  const hessian = hessianMatrix((v, out) => out.set(evaluateNetwork(network.arch, data, 0, network.theta, { direction: v, maxnorm }).hvp!), P);
  return {
    eigenvalues: Array.from(symmetricEigen(hessian, P).values).sort((p, q) => p - q),
    extremesOnly: false,
    source: 'computed here in float64 from the final parameters (Hessian of loss + barrier)',
    history,
  };
}

/** The teacher as a reader knows it: its kind and what distinguishes it (a GP's roughness s, Rosenbrock's c). */
function describeTeacher(teacher: RunConfig['data']['teacher']): string {
  if (teacher.kind === 'gp') return `GP (Matérn-3/2, s = ${teacher.s})`;
  if (teacher.kind === 'rosenbrock') return `Rosenbrock (c = ${teacher.c ?? 1})`;
  return teacher.kind;
}
