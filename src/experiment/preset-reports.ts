// The tables that answer each sweep preset's question (presets.ts), from its run records. Pure: no
// file system (the command line writes them to files, the dashboard can show them). Every fraction
// comes with its 95% Wilson interval; "reach" says how far along a channel a run got (summary.ts).
//
// Two preset-specific measurements:
//   - the toy problem's reach in channel coordinates. With one input, no biases and an odd
//     activation (erf), neuron (w, a) computes the same as (−w, −a), so a pair can merge with
//     opposite signs of w; the generic closest-pair measure (cosine distance, bias included) sees
//     such a pair as maximally distant. Here both neurons are first flipped to w > 0.
//   - λ_max of the final Hessian of L + R (float64, exact), for the edge-of-stability comparison
//     with 2/η. Only for small networks (P ≤ MAX_HESSIAN_PARAMETERS).
import { DEFAULT_THRESHOLDS, isAtBarrier } from '../analysis/classify.js';
import { ODD_ACTIVATIONS } from '../analysis/channels.js';
import { cochranArmitageTrend, lossLevels, mcnemarExact, newcombeDifference, newcombePairedDifference, quartiles, wilsonInterval, type Fraction, type Quartiles } from '../analysis/statistics.js';
import { lossAtInfinity } from '../analysis/glu.js';
import { distinctSolutions } from '../analysis/permutation.js';
import { parameterCount, type Architecture } from '../model/architecture.js';
import { parseParameterFile } from '../model/params-file.js';
import { barrierThreshold, datasetFor, datasetKey } from './grid.js';
import { findPreset, presetOfSpec, presetSeedsNote } from './presets.js';
import { hessianExtremes } from './procedure.js';
import type { RunRecord } from './results.js';
import type { RunConfig } from './spec.js';
import { missingRunsWarning, softwareSentence, thresholdSentence } from './report-text.js';
import { summarizeRecords, type ClassifiedRun, type Report, type ThresholdOverrides } from './summary.js';
import { tableMarkdown, type PresetTable } from './tables.js';

export { tableCsv, tableMarkdown, type PresetTable } from './tables.js';

/** λ_max is computed from the full Hessian up to this many parameters. */
export const MAX_HESSIAN_PARAMETERS = 128;

export interface PresetReport {
  preset: string;
  question: string;
  runs: number;
  /** the runs the folder's spec plans, when known (a stopped sweep has fewer records) */
  planned?: number;
  /** the code that wrote the records (summary.ts Report.software) */
  software: Report['software'];
  tables: PresetTable[];
  /** a --quick run: what its size can and cannot show (the preset's quickNote) */
  quickNote?: string;
  /** a run with a seed count of its own (--seeds): what the preset's notes say of its size is not this run's (presets.ts presetSeedsNote) */
  seedsNote?: string;
  /** classification thresholds changed from the defaults */
  thresholds?: ThresholdOverrides;
}

/** A run with its configuration, verdict and reach. */
interface Run {
  record: RunRecord;
  config: RunConfig;
  classified: ClassifiedRun;
  /** its weight norm at its barrier, as the verdict reads "at the barrier" (classify.ts isAtBarrier) */
  atBarrier: boolean;
}

// ---- labels of configurations -----------------------------------------------------------------------

/** A run's teacher as the preset tables name it: "rosenbrock", "gp s=0.5". */
export function teacherLabel(config: RunConfig): string {
  const teacher = config.data.teacher;
  return teacher.kind === 'gp' ? `gp s=${teacher.s}` : teacher.kind;
}

/** The hidden widths as the preset tables name them: "4", or "[4,4]" for several layers. */
export function hiddenLabel(config: RunConfig): string {
  const hidden = config.architecture.hidden;
  return hidden.length === 1 ? String(hidden[0]) : `[${hidden.join(',')}]`;
}

/** A run's optimiser as the preset tables (and the dashboard's optimiser chart) name it: "momentum η=0.01 β=0.9". */
export function optimizerLabel(config: RunConfig): string {
  const o = config.optimizer;
  switch (o.kind) {
    case 'flow':
      return `flow ${o.solver}`;
    case 'gd':
      return `gd η=${o.lr}`;
    case 'momentum':
      return `momentum η=${o.lr} β=${o.beta}`;
    case 'sgd':
      return `sgd η=${o.lr} batch=${o.batch}`;
    case 'adam':
      return `adam η=${o.lr}${o.batch !== undefined ? ` batch=${o.batch}` : ''}`;
  }
}

/** Groups in first-seen order, unless `order` sorts the keys. */
function groupBy<T>(items: readonly T[], key: (item: T) => string, order?: (a: string, b: string) => number): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    let list = groups.get(k);
    if (!list) groups.set(k, (list = []));
    list.push(item);
  }
  const entries = [...groups.entries()];
  return order ? entries.sort(([a], [b]) => order(a, b)) : entries;
}

/** Orders labels by the first number in them (s=0.1 < s=0.5 < s=2), non-numeric ones first, alphabetically. */
export function numericOrder(a: string, b: string): number {
  const na = Number(/-?\d+(\.\d+)?(e-?\d+)?/.exec(a)?.[0] ?? NaN);
  const nb = Number(/-?\d+(\.\d+)?(e-?\d+)?/.exec(b)?.[0] ?? NaN);
  if (Number.isNaN(na) !== Number.isNaN(nb)) return Number.isNaN(na) ? -1 : 1;
  if (!Number.isNaN(na) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- cells ----------------------------------------------------------------------------------------

const fractionColumns = (what: string) => [what, `${what} fraction`, `${what} low95`, `${what} high95`];
const fractionCells = (f: Fraction) => [f.successes, f.fraction, f.low, f.high];
const quartileColumns = (what: string) => [`${what} median`, `${what} q1`, `${what} q3`];
const quartileCells = (q: Quartiles) => [q.median, q.low, q.high];

function outcomeFraction(runs: readonly Run[], outcome: string): Fraction {
  return wilsonInterval(runs.filter((r) => r.classified.outcome === outcome).length, runs.length);
}

/**
 * Runs, channels (both criteria), finite minima, not converged and, of those (fractions of the not
 * converged), the runs sharpening towards a kink or step at the barrier (classify.ts: the other road
 * to infinity) and those the barrier stopped while a channel was still closing (channel-opening: a
 * higher barrier may make them channels), and the final loss of channels and of finite minima.
 */
function channelRow(label: string[], runs: readonly Run[]): (string | number)[] {
  const strict = wilsonInterval(runs.filter((r) => r.classified.outcome === 'channel' && r.classified.channelStrict).length, runs.length);
  const lossOf = (outcome: string) => quartiles(runs.filter((r) => r.classified.outcome === outcome).map((r) => r.record.loss)).median;
  const notConverged = runs.filter((r) => r.classified.outcome === 'not-converged');
  const ofWhich = (cause: string) => wilsonInterval(notConverged.filter((r) => r.classified.cause === cause).length, notConverged.length);
  return [
    ...label,
    runs.length,
    ...fractionCells(outcomeFraction(runs, 'channel')),
    ...fractionCells(strict),
    ...fractionCells(outcomeFraction(runs, 'finite-minimum')),
    ...fractionCells(outcomeFraction(runs, 'not-converged')),
    ...fractionCells(ofWhich('sharpening')),
    ...fractionCells(ofWhich('channel-opening')),
    lossOf('channel'),
    lossOf('finite-minimum'),
  ];
}

const channelColumns = (label: string[]) => [
  ...label,
  'runs',
  ...fractionColumns('channel'),
  ...fractionColumns('channel strict (cos<1e-3)'),
  ...fractionColumns('finite-minimum'),
  ...fractionColumns('not-converged'),
  ...fractionColumns('of which sharpening'),
  ...fractionColumns('of which channel-opening'),
  'median loss of channels',
  'median loss of finite minima',
];

const OF_WHICH_NOTE = '"Of which": counts and fractions of the not-converged runs.';

function channelTable(name: string, title: string, label: string, runs: readonly Run[], key: (run: Run) => string, order?: (a: string, b: string) => number): PresetTable {
  return { name, title, columns: channelColumns([label]), rows: groupBy(runs, key, order).map(([k, members]) => channelRow([k], members)), note: OF_WHICH_NOTE };
}

// ---- reach ----------------------------------------------------------------------------------------

/**
 * 1/ε of a run along its channel: for the 1-D toy student (one input, no biases, two neurons, odd
 * activation) in channel coordinates after flipping both neurons to w > 0, NaN (left out of the
 * quartiles) when the flipped output weights share a sign (a saddle line, not a channel); otherwise
 * the closest pair's (summary.ts), for a run on a channel (ClassifiedRun.onChannel; NaN for any
 * other: the closest pair of a run that sharpened, say, is no measure of how far along a channel
 * it got).
 */
export function channelReach(record: RunRecord, classified: ClassifiedRun): number {
  const toy = flippedToyPair(record);
  if (toy) {
    // merged neurons with output weights of one sign sit on a saddle line, not in a channel: no reach
    if (toy.a[0] * toy.a[1] >= 0) return NaN;
    return toyInverseEpsilon(toy);
  }
  return classified.onChannel ? classified.reach.inverseEpsilon : NaN;
}

/** 1/ε of the toy's flipped pair, ε = |w₁ − w₂|/2. */
function toyInverseEpsilon(toy: { w: [number, number] }): number {
  return 2 / Math.abs(toy.w[0] - toy.w[1]);
}

/** The two neurons of the 1-D toy (no biases, an odd activation) flipped to w > 0, which leaves them the same neurons; null for any other network. */
function flippedToyPair(record: RunRecord): { w: [number, number]; a: [number, number] } | null {
  const { arch, theta } = parseParameterFile(JSON.stringify(record.params), `record ${record.id}`);
  if (arch.inputDim !== 1 || arch.biases || arch.hidden.length !== 1 || arch.hidden[0] !== 2 || !ODD_ACTIVATIONS.has(arch.activation)) return null;
  const [w1, w2, a1, a2] = Array.from(theta);
  const s1 = w1 < 0 ? -1 : 1;
  const s2 = w2 < 0 ? -1 : 1;
  return { w: [s1 * w1, s2 * w2], a: [s1 * a1, s2 * a2] };
}

const CHANNEL_REACH_NOTE = '1/ε: of the runs on a channel (a close pair of equal neurons, output weights of opposite signs), at the barrier or short of it, as many as "with 1/ε" counts; – where there is none.';

function reachColumns(label: string[]): string[] {
  return [
    ...label,
    'runs',
    ...fractionColumns('channel'),
    ...fractionColumns('at barrier'),
    'with 1/ε',
    ...quartileColumns('1/ε'),
    ...quartileColumns('weight norm'),
    ...quartileColumns('final loss'),
    'median gradient evaluations',
    'diverged',
  ];
}

function reachRow(label: string[], runs: readonly Run[]): (string | number)[] {
  const finite = runs.filter((r) => r.classified.outcome !== 'diverged');
  const atBarrier = finite.filter((r) => r.atBarrier).length;
  const reaches = finite.map((r) => channelReach(r.record, r.classified));
  return [
    ...label,
    runs.length,
    ...fractionCells(outcomeFraction(runs, 'channel')),
    ...fractionCells(wilsonInterval(atBarrier, runs.length)),
    // (how many runs the 1/ε quartiles are of: only those with a pair of opposite output weights have one)
    reaches.filter(Number.isFinite).length,
    ...quartileCells(quartiles(reaches)),
    ...quartileCells(quartiles(finite.map((r) => r.record.weightNorm))),
    ...quartileCells(quartiles(finite.map((r) => r.record.loss))),
    quartiles(runs.map((r) => r.record.evaluations)).median,
    runs.length - finite.length,
  ];
}

// ---- λ_max ------------------------------------------------------------------------------------------

/** Largest and smallest eigenvalue of the Hessian of L + R at a run's final parameters (float64); null when too large or not finite. */
export function finalHessianExtremes(record: RunRecord): { max: number; min: number } | null {
  const { arch, theta } = parseParameterFile(JSON.stringify(record.params), `record ${record.id}`);
  const P = parameterCount(arch);
  if (P > MAX_HESSIAN_PARAMETERS || !theta.every(Number.isFinite)) return null;
  const config = record.config as RunConfig;
  return hessianExtremes(arch, datasetFor(config, record.seed), barrierThreshold(config), theta);
}

// ---- the presets' reports ---------------------------------------------------------------------------

function lossLevelsTables(runs: Run[]): PresetTable[] {
  const key = (run: Run) => `biases=${run.config.architecture.biases} r=${hiddenLabel(run.config)}`;
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const plateau: PresetTable = {
    name: 'plateau-saddles',
    title: 'Plateau saddles by biases and r',
    columns: ['biases', 'r', 'runs', ...fractionColumns('plateau-saddle'), ...fractionColumns('channel'), ...fractionColumns('finite-minimum'), ...fractionColumns('not-converged')],
    rows: groupBy(runs, key, order).map(([, members]) => [
      String(members[0].config.architecture.biases),
      hiddenLabel(members[0].config),
      members.length,
      ...fractionCells(outcomeFraction(members, 'plateau-saddle')),
      ...fractionCells(outcomeFraction(members, 'channel')),
      ...fractionCells(outcomeFraction(members, 'finite-minimum')),
      ...fractionCells(outcomeFraction(members, 'not-converged')),
    ]),
    note: 'The paper: without biases 10–30% of runs end on plateau saddles, with biases almost none.',
  };
  const levels: PresetTable = {
    name: 'loss-levels',
    title: 'Loss levels of the runs that converged at finite norm (relative tolerance 1e-3)',
    columns: ['biases', 'r', 'converged at finite norm', 'distinct loss levels', 'distinct solutions up to permutation', 'lowest level', 'runs at lowest', 'levels (loss × runs, lowest five)'],
    rows: groupBy(runs, key, order).map(([, members]) => {
      const settled = members.filter((r) => ['finite-minimum', 'plateau-saddle', 'global-minimum'].includes(r.classified.outcome));
      const { levels: found } = lossLevels(settled.map((r) => r.record.loss));
      const arch = members[0].config.architecture;
      const networks = settled.map((r) => parseParameterFile(JSON.stringify(r.record.params), `record ${r.record.id}`).theta);
      // networks within 1% (relative L2, after the optimal neuron assignment) are one solution
      const distinct = distinctSolutions(arch, networks, 1e-2, { losses: settled.map((r) => r.record.loss) });
      return [
        String(arch.biases),
        hiddenLabel(members[0].config),
        settled.length,
        found.length,
        distinct.solutions.length,
        found[0]?.loss ?? NaN,
        found[0]?.count ?? 0,
        found.slice(0, 5).map((level) => `${level.loss.toPrecision(4)}×${level.count}`).join(' '),
      ];
    }),
    note: 'Converged losses cluster at discrete values; solutions are counted up to neuron permutation (optimal assignment, networks within 1% relative L2 are one), so a level holding more than one is several critical points at one loss (or a saddle line).',
  };
  return [plateau, ...plateauWithoutBiasesTable(runs), levels];
}

/**
 * The paper's "plateau saddles without biases, almost none with them" per r (and over every r): the
 * plateau-saddle fraction without biases minus with, with a 95% Newcombe interval. None unless the
 * runs have both.
 */
function plateauWithoutBiasesTable(runs: Run[]): PresetTable[] {
  const plateauOf = (members: readonly Run[], biases: boolean) => outcomeFraction(members.filter((r) => r.config.architecture.biases === biases), 'plateau-saddle');
  if (!runs.some((r) => r.config.architecture.biases) || runs.every((r) => r.config.architecture.biases)) return [];
  const byR = groupBy(runs, (r) => hiddenLabel(r.config), numericOrder);
  const row = (label: string, members: readonly Run[]) => {
    const [without, withBiases] = [plateauOf(members, false), plateauOf(members, true)];
    const { difference, low, high } = newcombeDifference(without, withBiases);
    return [label, ...fractionCells(without), ...fractionCells(withBiases), difference, low, high];
  };
  return [
    {
      name: 'plateau-saddles-without-biases',
      title: 'Plateau saddles without biases against with them, by r',
      columns: ['r', ...fractionColumns('without biases: plateau-saddle'), ...fractionColumns('with biases: plateau-saddle'), 'plateau-saddle difference', 'plateau-saddle difference low95', 'plateau-saddle difference high95'],
      rows: [...byR.map(([r, members]) => row(r, members)), ...(byR.length > 1 ? [row('all', runs)] : [])],
      note: "Difference: the plateau-saddle fraction without biases minus with them, in percentage points, with Newcombe's 95% hybrid score interval (an interval above 0: more plateau saddles without biases beyond chance).",
    },
  ];
}

/**
 * Float32 cannot follow a deep network's channel (benchmarks/results/deep-float32-emulation-2026-12-05.md):
 * θ's own rounding and the gradient's stall it long before the barrier, so the GPU's deep runs that
 * go into channels end not converged. Said under the width table when such runs are in it.
 */
export function deepFloat32Note(runs: readonly { record: RunRecord; config: RunConfig }[]): string | null {
  // float32 records, and GPU records from before records named their arithmetic (all float32 then);
  // relu has no channels to lose
  const deep = runs.filter(
    (r) => r.config.architecture.hidden.length > 1 && r.config.architecture.activation !== 'relu' && (r.record.arithmetic ?? (r.record.backend === 'gpu' ? 'float32' : 'float64')).startsWith('float32'),
  );
  if (deep.length === 0) return null;
  const widths = [...new Set(deep.map((r) => hiddenLabel(r.config)))].join(', ');
  return `${deep.length} runs of deep networks (${widths}) ran in float32 on the GPU, which cannot follow a deep network's channel to the barrier: θ's float32 rounding alone stalls it, and so do the float32 gradient and Hessian (benchmarks/results/deep-float32-emulation-2026-12-05.md). Their channels show up as not converged. For those runs the channel fraction is a lower bound. Since 2026-12-05 the GPU runs deep networks' stiff flow in double-float, which follows them (runs record it as arithmetic: double-float); rerun these, or use --backend cpu (float64), for the real fraction.`;
}

/**
 * Where every run of a teacher trains on one dataset (data.perRun false: one draw of the inputs and
 * of each GP), its fractions are over the students' initialisations for that draw, not over draws.
 */
function sharedDataNote(runs: readonly Run[], statistic = 'the intervals are'): string | null {
  if (runs.length === 0 || runs.some((r) => r.config.data.perRun)) return null;
  const seeds = [...new Set(runs.map((r) => r.config.data.seed))];
  return `Every run of a teacher trains on one dataset (data.seed ${seeds.join(', ')}: one draw of the inputs and of each GP teacher): ${statistic} over the students' initialisations for that draw, not over draws (data.perRun: true gives each run its own).`;
}

/**
 * The paper's "more channels the rougher the GP": per activation, the Cochran–Armitage test for a
 * linear trend of the channel fraction in log₁₀ s over the GP teachers, stratified by d and r (each
 * size its own channel level). None where the runs have fewer than two GP roughnesses.
 */
function roughnessTrendTable(runs: Run[]): PresetTable[] {
  const gpRuns = runs.filter((r) => r.config.data.teacher.kind === 'gp');
  const roughness = (r: Run) => (r.config.data.teacher as { s: number }).s;
  if (new Set(gpRuns.map(roughness)).size < 2) return [];
  const size = (r: Run) => `d=${r.config.architecture.inputDim} r=${hiddenLabel(r.config)}`;
  const rows = groupBy(gpRuns, (r) => r.config.architecture.activation).map(([activation, members]) => {
    const cells = groupBy(members, (r) => `${size(r)}|${roughness(r)}`);
    const trend = cochranArmitageTrend(
      cells.map(([, cell]) => ({
        successes: cell.filter((r) => r.classified.outcome === 'channel').length,
        n: cell.length,
        score: Math.log10(roughness(cell[0])),
        stratum: size(cell[0]),
      })),
    );
    const sValues = [...new Set(members.map(roughness))].sort((a, b) => a - b);
    return [activation, members.length, sValues.join(', '), new Set(members.map(size)).size, trend.z, trend.p];
  });
  const shared = sharedDataNote(gpRuns, 'the test is');
  return [
    {
      name: 'trend-with-roughness',
      title: 'Does the channel fraction grow with the GP teacher\'s roughness s? A trend test per activation',
      columns: ['activation', 'GP runs', 'GP teachers (s)', 'network sizes (count of d, r pairs)', 'trend z', 'p (two-sided)'],
      rows,
      note:
        'The Cochran–Armitage test for a linear trend of the channel fraction in log₁₀ s over the GP teachers (the Rosenbrock teacher aside), stratified by network size (d, r), so that sizes with more channels do not pass for a trend: z > 0, more channels the rougher the teacher; p < 0.05, a trend beyond the spread of the students\' initialisations at 95%. – where there is nothing to test: no channels (as for relu), all channels, or one s. The fractions themselves are in the table by teacher and activation.' +
        (shared ? ` ${shared} A trend in s is then one of these teacher functions; another draw of each may differ.` : ''),
    },
  ];
}

function channelFrequencyTables(runs: Run[]): PresetTable[] {
  const deepNote = deepFloat32Note(runs);
  const sharedData = sharedDataNote(runs);
  return [
    { ...channelTable('by-teacher', 'Channel fraction by teacher (GP roughness s: larger is rougher)', 'teacher', runs, (r) => teacherLabel(r.config), numericOrder), ...(sharedData ? { note: `${OF_WHICH_NOTE} ${sharedData}` } : {}) },
    channelTable('by-activation', 'Channel fraction by activation (relu has no channels: σ″ = 0)', 'activation', runs, (r) => r.config.architecture.activation),
    channelTable('by-d', 'Channel fraction by input dimension d', 'd', runs, (r) => String(r.config.architecture.inputDim), numericOrder),
    { ...channelTable('by-r', 'Channel fraction by hidden widths r', 'r', runs, (r) => hiddenLabel(r.config)), ...(deepNote ? { note: `${OF_WHICH_NOTE} ${deepNote}` } : {}) },
    {
      name: 'by-teacher-activation',
      title: 'Channel fraction by teacher and activation',
      columns: channelColumns(['teacher', 'activation']),
      rows: groupBy(runs, (r) => `${teacherLabel(r.config)}|${r.config.architecture.activation}`, numericOrder).map(([k, members]) => channelRow(k.split('|'), members)),
      note: `The paper: channels are common for every teacher, more so the rougher the GP; channels and finite minima reach similar training loss. ${OF_WHICH_NOTE}`,
    },
    ...roughnessTrendTable(runs),
  ];
}

function reachTable(name: string, title: string, label: string, runs: Run[], key: (run: Run) => string, note?: string): PresetTable {
  return { name, title, columns: reachColumns([label]), rows: groupBy(runs, key).map(([k, members]) => reachRow([k], members)), ...(note ? { note } : {}) };
}

type LossAtInfinityPoint = { w: number; lossAtInfinity: number; c: number; a: number };

/**
 * The curves computed so far, by toy problem (activation, dataset), each with its dataset and its
 * points by w: the dashboard redraws the table and figure at every batch of runs (a fit costs a pass
 * over the data: at N = 4,096 the figure's ~400 points took 10 s each time). The last few problems only.
 */
const lossAtInfinityCurves = new Map<string, { data: ReturnType<typeof datasetFor>; points: Map<number, LossAtInfinityPoint> }>();
const KEPT_CURVES = 4;

/** L∞(w): the best gated linear unit c·σ(wx) + a·x·σ′(wx) (plus the other neurons) at each w, on the toy dataset. */
export function lossAtInfinityCurve(config: RunConfig, seed: number, ws: readonly number[]): LossAtInfinityPoint[] | null {
  const { inputDim, hidden, biases, activation } = config.architecture;
  if (inputDim !== 1 || hidden.length !== 1 || hidden[0] !== 2 || biases) return null;
  const arch: Architecture = { inputDim, hidden: [...hidden], activation, biases };
  // (the toy's shape is fixed above: its dataset and activation decide the curve)
  const key = `${activation} ${datasetKey(config, seed)}`;
  let curve = lossAtInfinityCurves.get(key);
  if (!curve) {
    curve = { data: datasetFor(config, seed), points: new Map() };
    lossAtInfinityCurves.set(key, curve);
    if (lossAtInfinityCurves.size > KEPT_CURVES) lossAtInfinityCurves.delete(lossAtInfinityCurves.keys().next().value!);
  }
  const { data, points } = curve;
  // a pair at w ± ε with tiny ε: lossAtInfinity reads only w and Δ from it and fits c, a by least squares
  const epsilon = 1e-6;
  return ws.map((w) => {
    const kept = points.get(w);
    if (kept) return kept;
    const theta = Float64Array.from([w + epsilon, w - epsilon, 1, -1]);
    const limit = lossAtInfinity(arch, theta, { layer: 0, i: 0, j: 1 }, data);
    if (!limit) throw new Error('unreachable: the toy pair is in the last hidden layer');
    const point = { w, lossAtInfinity: limit.loss, c: limit.outputWeights.c, a: limit.outputWeights.a };
    points.set(w, point);
    return point;
  });
}

/** A toy run along a channel, placed beside the loss at infinity L∞(w): its pair's w and its final loss. */
export interface ToyChannelPoint {
  id: string;
  w: number;
  loss: number;
  optimizer: string;
  /** 1/ε of the pair, as the reach table gives it: small for a pair still apart, which is no GLU yet */
  inverseEpsilon: number;
}

/**
 * The runs of the 1-D toy whose two neurons, flipped to w > 0, have output weights of opposite signs
 * (those the reach table gives a 1/ε), each at its pair's w (the mean of the flipped input weights)
 * and its final loss. Along a channel (a merged pair, large 1/ε) the loss approaches L∞(w) from above,
 * so such points sit just over the curve; a pair still apart is no GLU yet and may lie below it.
 */
export function toyChannelPoints(records: readonly RunRecord[], runs: readonly ClassifiedRun[]): ToyChannelPoint[] {
  const diverged = new Set(runs.filter((run) => run.outcome === 'diverged').map((run) => run.id));
  return records.flatMap((record) => {
    const toy = diverged.has(record.id) || !(record.loss > 0) ? null : flippedToyPair(record);
    if (!toy || toy.a[0] * toy.a[1] >= 0) return [];
    const w = (toy.w[0] + toy.w[1]) / 2;
    return Number.isFinite(w) ? [{ id: record.id, w, loss: record.loss, optimizer: optimizerLabel(record.config as RunConfig), inverseEpsilon: toyInverseEpsilon(toy) }] : [];
  });
}

/** w from 0.1 to 5 in 50 steps: covers both channels of the toy (w ≈ 0.8 and w ≈ 3.1). */
export const TOY_CURVE_WS = Array.from({ length: 50 }, (_, k) => Number((0.1 + (k * 4.9) / 49).toFixed(4)));

function toyTables(runs: Run[]): PresetTable[] {
  const tables = [
    reachTable(
      'reach-by-optimizer',
      'How far along the channel each optimiser got (1/ε in channel coordinates, weight norm) with the same budget of gradient evaluations',
      'optimizer',
      runs,
      (r) => optimizerLabel(r.config),
      `The paper: gradient flow reaches far into the channel (out to the norm barrier); SGD and Adam stall near its entrance (small 1/ε). 1/ε: of the runs whose two neurons, flipped to w > 0, have output weights of opposite signs (the others sit on a saddle line); – where there is none. ${MINIBATCH_BUDGET_NOTE}`,
    ),
    ...reachAgainstFlowTable(flowTwins(runs)),
  ];
  const first = runs[0];
  const curve = first ? lossAtInfinityCurve(first.config, first.record.seed, TOY_CURVE_WS) : null;
  if (curve) {
    tables.push({
      name: 'loss-at-infinity',
      title: 'Loss at infinity L∞(w): the best gated linear unit c·σ(wx) + a·x·σ′(wx) at each w, σ(z) = erf(z/√2) (least squares over c, a)',
      columns: ['w', 'L∞', 'c', 'a'],
      rows: curve.map((p) => [p.w, p.lossAtInfinity, p.c, p.a]),
      note: 'A channel ends where L∞(w) is smallest along its path; runs at the barrier should sit near a local minimum of this curve.',
    });
  }
  return tables;
}

/** A GD run of edge-of-stability beside the stability edge 2/η: its learning rate and the λ_max it ended at. */
export interface EdgePoint {
  id: string;
  eta: number;
  lambdaMax: number;
  /** its pair's output weights have opposite signs (a 1/ε: along a channel), not on the saddle line */
  alongChannel: boolean;
}

/** Every run that did not diverge, with the largest eigenvalue of its final Hessian (the table's λ_max, of all runs). */
export function edgeOfStabilityPoints(records: readonly RunRecord[], runs: readonly ClassifiedRun[]): EdgePoint[] {
  const byId = new Map(runs.map((run) => [run.id, run]));
  return records.flatMap((record) => {
    const classified = byId.get(record.id);
    const eta = (record.config as RunConfig).optimizer.kind === 'gd' ? ((record.config as RunConfig).optimizer as { lr: number }).lr : NaN;
    if (!classified || classified.outcome === 'diverged' || !(eta > 0)) return [];
    const lambdaMax = finalHessianExtremes(record)?.max ?? NaN;
    return lambdaMax > 0 ? [{ id: record.id, eta, lambdaMax, alongChannel: Number.isFinite(channelReach(record, classified)) }] : [];
  });
}

function edgeOfStabilityTables(runs: Run[]): PresetTable[] {
  const rows = groupBy(runs, (r) => String((r.config.optimizer as { lr?: number }).lr ?? NaN), numericOrder).map(([lr, members]) => {
    const eta = Number(lr);
    // λ_max along a channel (a pair of opposite-sign output weights: 1/ε defined), not of the runs that
    // settled on the saddle line; at the barrier or short of it, so not the classifier's "channel"
    const inChannel = members.filter((r) => r.classified.outcome !== 'diverged' && Number.isFinite(channelReach(r.record, r.classified)));
    const extremes = inChannel.map((r) => finalHessianExtremes(r.record));
    const lambdaMax = quartiles(extremes.map((e) => e?.max ?? NaN));
    const ratio = quartiles(extremes.map((e) => ((e?.max ?? NaN) * eta) / 2));
    return [...reachRow([lr], members), 2 / eta, ...quartileCells(lambdaMax), ...quartileCells(ratio)];
  });
  return [
    {
      name: 'lambda-max-by-lr',
      title: 'Full-batch GD: λ_max of the final Hessian against 2/η, and how far into the channel each η got',
      columns: [...reachColumns(['η']), '2/η', ...quartileColumns('λ_max'), ...quartileColumns('λ_max·η/2')],
      rows,
      note: 'λ_max and λ_max·η/2: of the runs with a 1/ε (their pair\'s output weights of opposite signs: along a channel, short of the barrier or at it), not those on the saddle line. Along a channel λ_max grows like 1/ε²; GD cannot go past λ_max ≈ 2/η (λ_max·η/2 ≈ 1), so larger η stall nearer the entrance (smaller 1/ε). A ratio well below 1 means the budget ended first (the preset gd-from-channel starts GD inside the channel, where the edge is within reach).',
    },
  ];
}

/** How the budget counts a minibatch optimiser's gradients (the scheduler's `evaluations`). */
const MINIBATCH_BUDGET_NOTE = 'A minibatch gradient counts as one evaluation, as a full-batch one does: at batch B of N samples SGD and Adam compute B/N of the per-sample gradients a full-batch method does with the same budget.';

/** The runs of one optimiser beside their twins under gradient flow: the same configuration but for the optimiser, the same seed. */
interface TwinPairs {
  label: string;
  runs: Run[];
  twins: Run[];
}

interface FlowTwins {
  flowLabel: string;
  optimizers: TwinPairs[];
}

/**
 * Each optimiser's runs paired with their gradient-flow twins (the same data and initial network), for
 * the tables that compare an optimiser with the flow; null where the runs have no single gradient-flow
 * optimiser, or nothing beside it. A sweep still running (or cut short) has runs whose twin has not
 * ended: they are left out of both sides.
 */
function flowTwins(runs: Run[]): FlowTwins | null {
  const groups = groupBy(runs, (r) => optimizerLabel(r.config));
  const flows = groups.filter(([, members]) => members[0].config.optimizer.kind === 'flow');
  if (flows.length !== 1 || groups.length < 2) return null;
  const [flowLabel, flowRuns] = flows[0];
  const twinKey = (r: Run) => `${r.record.seed}|${JSON.stringify({ ...r.config, optimizer: null })}`;
  const flowByTwin = new Map(flowRuns.map((r) => [twinKey(r), r]));
  const optimizers = groups
    .filter(([label]) => label !== flowLabel)
    .map(([label, members]) => {
      const pairs = members.flatMap((r) => {
        const twin = flowByTwin.get(twinKey(r));
        return twin ? [[r, twin] as const] : [];
      });
      return { label, runs: pairs.map(([r]) => r), twins: pairs.map(([, twin]) => twin) };
    });
  return { flowLabel, optimizers };
}

const TWINS_NOTE = "Pairs: the optimiser's runs whose twin under gradient flow (same configuration and seed: the same data and initial network) has ended.";
const SEVERAL_NOTE = 'Each optimiser is tested on its own, with no correction for comparing several.';

/**
 * Each optimiser's channel fraction against its flow twins', the difference with Newcombe's 95%
 * interval for paired fractions and McNemar's exact test on the discordant pairs: are an optimiser's fewer channels more
 * than chance?
 */
function channelsAgainstFlowTable(paired: FlowTwins | null): PresetTable[] {
  if (!paired) return [];
  const inChannel = (r: Run) => r.classified.outcome === 'channel';
  const rows = paired.optimizers.map(({ label, runs: own, twins }) => {
    const channels = outcomeFraction(own, 'channel');
    const flowChannels = outcomeFraction(twins, 'channel');
    const onlyOptimizer = own.filter((r, k) => inChannel(r) && !inChannel(twins[k])).length;
    const onlyFlow = own.filter((r, k) => !inChannel(r) && inChannel(twins[k])).length;
    const both = own.filter((r, k) => inChannel(r) && inChannel(twins[k])).length;
    const { difference, low, high } = newcombePairedDifference({ both, firstOnly: onlyOptimizer, secondOnly: onlyFlow, neither: own.length - both - onlyOptimizer - onlyFlow });
    return [label, own.length, ...fractionCells(channels), ...fractionCells(flowChannels), difference, low, high, onlyOptimizer, onlyFlow, mcnemarExact(onlyOptimizer, onlyFlow)];
  });
  return [
    {
      name: 'channels-against-flow',
      title: `Channel fraction against gradient flow's (${paired.flowLabel}) on the same configurations and seeds`,
      columns: ['optimizer', 'pairs', ...fractionColumns('channel'), ...fractionColumns('flow channel'), 'channel difference', 'channel difference low95', 'channel difference high95', 'channel with the optimiser only', 'channel with the flow only', 'p (McNemar, exact)'],
      rows,
      note: `${TWINS_NOTE} Difference: the optimiser's channel fraction minus the flow's over those pairs, in percentage points, with Newcombe's 95% square-and-add interval for paired fractions (narrower where twins tend to end alike). McNemar's exact test uses the pairing: of the pairs where one twin ended in a channel and the other did not, are the two ways equally likely? p < 0.05: a difference beyond chance at 95%. ${SEVERAL_NOTE}`,
    },
  ];
}

/**
 * How far each optimiser got against its flow twin, by final weight norm (defined for every run that
 * did not diverge, unlike 1/ε): in how many pairs it stopped short of the twin, the median ratio, and
 * the sign test of "as often short as beyond" (the paper: SGD and Adam stall near the entrance).
 */
function reachAgainstFlowTable(paired: FlowTwins | null): PresetTable[] {
  if (!paired) return [];
  const finite = (r: Run) => r.classified.outcome !== 'diverged' && Number.isFinite(r.record.weightNorm) && r.record.weightNorm > 0;
  const rows = paired.optimizers.map(({ label, runs: own, twins }) => {
    const both = own.map((r, k) => [r, twins[k]] as const).filter(([r, twin]) => finite(r) && finite(twin));
    const ratios = both.map(([r, twin]) => r.record.weightNorm / twin.record.weightNorm);
    const short = ratios.filter((ratio) => ratio < 1).length;
    const beyond = ratios.filter((ratio) => ratio > 1).length;
    return [label, both.length, short, beyond, ...quartileCells(quartiles(ratios)), mcnemarExact(short, beyond)];
  });
  return [
    {
      name: 'reach-against-flow',
      title: `How far each optimiser got against its gradient-flow twin (${paired.flowLabel}): the final weight norm`,
      columns: ['optimizer', 'pairs', 'short of the flow', 'beyond the flow', ...quartileColumns('weight norm ratio to flow twin'), 'p (sign test, exact)'],
      rows,
      note: `${TWINS_NOTE} Pairs where either twin diverged are left out. Short of the flow: the optimiser's final weight norm below its twin's (nearer the channel entrance, or never in one); the ratio's median and quartiles say by how much. The sign test asks whether short and beyond are equally likely (ties aside): p < 0.05, beyond chance at 95%. ${SEVERAL_NOTE}`,
    },
  ];
}

function optimizerComparisonTables(runs: Run[]): PresetTable[] {
  const twins = flowTwins(runs);
  return [
    reachTable('by-optimizer', 'Channels and reach by optimiser (same budget of gradient evaluations; a Hessian counts P)', 'optimizer', runs, (r) => optimizerLabel(r.config),
      `The paper: gradient flow reaches far into channels; GD stalls where λ_max ≈ 2/η, SGD and Adam near the entrance. ${CHANNEL_REACH_NOTE} ${MINIBATCH_BUDGET_NOTE}`),
    ...channelsAgainstFlowTable(twins),
    ...reachAgainstFlowTable(twins),
    {
      name: 'by-optimizer-teacher',
      title: 'Channels and reach by optimiser and teacher',
      columns: reachColumns(['optimizer', 'teacher']),
      rows: groupBy(runs, (r) => `${optimizerLabel(r.config)}|${teacherLabel(r.config)}`).map(([k, members]) => reachRow(k.split('|'), members)),
      note: CHANNEL_REACH_NOTE,
    },
  ];
}

const TABLES: Record<string, (runs: Run[]) => PresetTable[]> = {
  'loss-levels': lossLevelsTables,
  'channel-frequency': channelFrequencyTables,
  'toy-1d': toyTables,
  'edge-of-stability': edgeOfStabilityTables,
  'optimizer-comparison': optimizerComparisonTables,
};

/** Whether a sweep preset of this name has report tables. */
export function hasPresetTables(preset: string): boolean {
  return preset in TABLES;
}

/**
 * The preset with report tables whose sweep a spec describes (by its name), whether it is the quick
 * version, as its description says ("NAME --quick: …", presets.ts), and its seeds per configuration;
 * null for any other spec.
 */
export function tabledPresetOfSpec(spec: unknown): { name: string; quick: boolean; seeds?: number } | null {
  const preset = presetOfSpec(spec);
  if (!preset || !hasPresetTables(preset.name)) return null;
  const { description, seeds } = spec as { description?: unknown; seeds?: unknown };
  // (the spec's forms: n, a list of seeds, {from, count})
  const seedCount = typeof seeds === 'number' ? seeds : Array.isArray(seeds) ? seeds.length : (seeds as { count?: unknown } | undefined)?.count;
  return {
    name: preset.name,
    quick: typeof description === 'string' && description.startsWith(`${preset.name} --quick`),
    ...(typeof seedCount === 'number' ? { seeds: seedCount } : {}),
  };
}

/**
 * A sweep preset's tables from its records as a report classified them (`classified`: in the records'
 * order, by the thresholds of which `barrierTolerance` is one).
 */
export function presetTables(preset: string, records: readonly RunRecord[], classified: readonly ClassifiedRun[], barrierTolerance = DEFAULT_THRESHOLDS.barrierTolerance): PresetTable[] {
  const tables = TABLES[preset];
  if (!tables) throw new RangeError(`no report tables for preset "${preset}"`);
  return tables(
    records.map((record, k) => {
      const config = record.config as RunConfig;
      return { record, config, classified: classified[k], atBarrier: isAtBarrier(record.weightNorm, barrierThreshold(config), barrierTolerance) };
    }),
  );
}

/**
 * The tables answering a sweep preset's question from its records; `run` says how the folder's spec
 * was made: --quick, and its seeds per configuration (for a note where --seeds changed them).
 */
export function buildPresetReport(
  preset: string,
  records: readonly RunRecord[],
  planned?: number,
  run: { quick?: boolean; seeds?: number } = {},
  overrides: ThresholdOverrides = {},
  /**
   * the records already summarised with these overrides (runs in the records' order), with this
   * preset's tables where the report made them (report.ts reportOfRecords): not classified or tabled again
   */
  summarized?: Pick<Report, 'runs' | 'software' | 'thresholds' | 'presetTables'>,
): PresetReport {
  const tables = TABLES[preset];
  const definition = findPreset(preset);
  if (!tables || definition?.kind !== 'sweep') throw new RangeError(`no report tables for preset "${preset}"`);
  const quick = Boolean(run.quick);
  const seedsNote = presetSeedsNote(definition, run);
  const summary = summarized ?? summarizeRecords(records, [], preset, { overrides });
  return {
    preset,
    question: definition.question,
    runs: records.length,
    ...(planned !== undefined ? { planned } : {}),
    software: summary.software,
    tables: summarized?.presetTables ?? presetTables(preset, records, summary.runs, overrides.barrierTolerance),
    ...(quick ? { quickNote: definition.quickNote } : {}),
    ...(seedsNote ? { seedsNote } : {}),
    ...(summary.thresholds ? { thresholds: summary.thresholds } : {}),
  };
}

// ---- formats ----------------------------------------------------------------------------------------

export function presetReportMarkdown(report: PresetReport, source: string): string {
  const warning = missingRunsWarning(report.runs, report.planned);
  return [
    `## ${report.preset}: ${report.runs} runs in ${source}`,
    '',
    ...(warning ? [`**${warning}**`, ''] : []),
    report.question,
    '',
    ...(report.quickNote ? [`*The --quick version:* ${report.quickNote}`, ''] : []),
    ...(report.seedsNote ? [`*${report.seedsNote}*`, ''] : []),
    `Counts with fractions and 95% Wilson intervals; reach as median [lower quartile, upper quartile]. ${thresholdSentence(report.thresholds)} ${softwareSentence(report.software)}`.replace(/ {2,}/g, ' ').trimEnd(),
    '',
    ...report.tables.map(tableMarkdown),
  ].join('\n');
}
