// Where did each run end? Classifies run records (analysis/classify.ts), measures how far each run
// got along its closest pair of neurons, and summarises both per group with 95% Wilson intervals.
// Pure: no file system, so the dashboard and the command line share it (report.ts reads folders).
import { evidenceFromNetwork, classifyRun, DEFAULT_THRESHOLDS, gradTolFor, heldToFloat32Floors, NOT_CONVERGED_CAUSES, OUTCOMES, stationaryTolFor, type Classification, type ClassificationThresholds, type NotConvergedCause, type Outcome, type RunFacts } from '../analysis/classify.js';
import { inputVector } from '../analysis/network.js';
import { groupCounts, quartiles, type GroupCounts, type Quartiles } from '../analysis/statistics.js';
import { lambdaMaxEstimate } from '../analysis/diagnostics.js';
import { channelPairOf, closenessDistance, l2Distance, minCosineDistance, symmetryOrientation, type NeuronGroup } from '../analysis/channels.js';
import { parameterLayout, type Architecture } from '../model/architecture.js';
import { parseParameterFile } from '../model/params-file.js';
import { groupLabeller, type GroupLabeller } from './group-labels.js';
import type { RunRecord, TrajectoryPoint } from './results.js';
import type { PresetTable } from './tables.js';
import { DEFAULT_MIN_IMPROVEMENT } from './scheduler.js';

export interface ClassifiedRun {
  id: string;
  group: string;
  outcome: Outcome;
  /** the stricter channel criterion (cosine distance below 10⁻³) */
  channelStrict: boolean;
  reason: string;
  /** why a not-converged run is one (classify.ts NOT_CONVERGED_CAUSES) */
  cause?: NotConvergedCause;
  /**
   * the channel's signature short of the verdict: a close group of equal neurons whose outgoing
   * weights have opposite signs (classify.ts pairSignsOpposite), at the barrier or not (a run that
   * stalled at a channel's entrance has it too)
   */
  onChannel: boolean;
  stopReason: string;
  /** how far the run got: see RunReach */
  reach: RunReach;
}

/** How far a run got towards infinity along its closest pair of neurons (the issue's "how far each got"). */
export interface RunReach {
  weightNorm: number;
  loss: number;
  steps: number;
  /** gradient (right-hand-side) evaluations */
  evaluations: number;
  /** smallest cosine distance between two neurons' input vectors (bias included), any hidden layer */
  minCosine: number;
  /** 1/ε with ε = ‖wᵢ − wⱼ‖/2 for that closest pair: grows without bound along a channel */
  inverseEpsilon: number;
  /** |aᵢ| + |aⱼ| of that pair when it is in the last hidden layer (the output weights), else NaN */
  outputWeightSum: number;
}

/** Per group: quartiles of each reach measure. */
export interface GroupReach {
  key: string;
  n: number;
  weightNorm: Quartiles;
  inverseEpsilon: Quartiles;
  minCosine: Quartiles;
  evaluations: Quartiles;
  loss: Quartiles;
}

export interface Report {
  /** where the records came from (a folder, a file name) */
  source: string;
  by: string[];
  runs: ClassifiedRun[];
  groups: GroupCounts<Outcome>[];
  /** per group: runs meeting the strict channel criterion, with its interval */
  strictChannels: GroupCounts<'strict' | 'other'>[];
  /** per group: runs per not-converged cause ('other-outcome': the group's runs that are not not-converged, which have none) */
  causes: GroupCounts<NotConvergedCause | 'other-outcome'>[];
  reach: GroupReach[];
  /**
   * the runs the folder's spec (and shard) plans, in all and per group, when known: a sweep stopped
   * before its end has recorded fewer, and the runs still training are the slow ones
   */
  planned?: PlannedRuns;
  /** the code that wrote the records (RunRecord.software), with its count, most runs first */
  software: { label: string; runs: number }[];
  /** runs that continue runs of other folders (`channelscope continue`), by that folder; absent when none does */
  continued?: { label: string; runs: number }[];
  /** per group, the channel runs by the neurons carrying them (carriers.ts; only when asked: it rebuilds each run's data) */
  carriers?: CarrierCounts[];
  /** classification thresholds changed from the defaults (report --thresholds), as given */
  thresholds?: ThresholdOverrides;
  /**
   * the tables of the preset whose results these are (preset-reports.ts), classified as `runs` are:
   * JSON and the HTML page carry them; markdown and CSV leave them to the preset's own files (the
   * folder's report.md, which `report` prints after the table, and tables/*.csv)
   */
  presetTables?: PresetTable[];
}

/** Classification thresholds a report changes for every record (never maxnorm: that is each run's own). */
export type ThresholdOverrides = Partial<Omit<ClassificationThresholds, 'maxnorm'>>;

/** Channel runs of one report group by the number of neurons carrying the channel (carriers.ts). */
export interface CarrierCounts {
  key: string;
  channels: number;
  /** carried by the GLU pair alone (bystanders with small outgoing weights left out) */
  pair: number;
  three: number;
  four: number;
  /** the run's data could not be rebuilt here (e.g. a data file this machine does not have) */
  unknown: number;
}

/** What a report says of records written before they named their code. */
export const UNNAMED_SOFTWARE = 'unnamed (records from before they named their code)';

export interface PlannedRuns {
  total: number;
  byGroup: Record<string, number>;
  /** seeds per configuration of the spec that plans them */
  seeds?: number;
  /** where the folders are shards of one sweep and some of its shards are not among them */
  missingShards?: MissingShards;
  /** a session is writing one of the folders now (its lock is live): the runs not recorded are still training */
  stillRunning?: boolean;
}

/** Shards of a sweep (of `count`) that no folder of a report holds. */
export interface MissingShards {
  count: number;
  given: number[];
  missing: number[];
  /** the runs of the missing shards, and of the whole sweep (unknown for a continuation's shards) */
  runs?: number;
  sweepRuns?: number;
}

function spectrumExtremes(ascending: readonly number[] | null | undefined): { hessianMinEigenvalue?: number; hessianMaxEigenvalue?: number } {
  if (!ascending || ascending.length === 0) return {};
  return { hessianMinEigenvalue: ascending[0], hessianMaxEigenvalue: ascending[ascending.length - 1] };
}

function hessianExtremes(record: RunRecord): { hessianMinEigenvalue?: number; hessianMaxEigenvalue?: number } {
  const diagnostics = record.diagnostics;
  if (!diagnostics) return {};
  if (diagnostics.hessianEigenvalues?.length) return spectrumExtremes(diagnostics.hessianEigenvalues);
  return { hessianMinEigenvalue: diagnostics.lambdaMin, hessianMaxEigenvalue: lambdaMaxEstimate(diagnostics) };
}

/**
 * The loss's relative change from a trajectory's latest point at least `minSteps` steps before its
 * last (the one before the last for 0) to the last (classify.ts RunEvidence.lossDrift, levelDrift).
 */
export function trajectoryLossDrift(trajectory: readonly TrajectoryPoint[] | undefined, minSteps = 0): { relative: number; from: number; to: number } | null {
  if (!trajectory || trajectory.length < 2) return null;
  const last = trajectory[trajectory.length - 1];
  const before = trajectory.slice(0, -1).findLast((point) => last.step - point.step >= minSteps);
  if (!before) return null;
  if (!(Number.isFinite(before.loss) && Number.isFinite(last.loss) && before.loss > 0)) return null;
  return { relative: (last.loss - before.loss) / before.loss, from: before.step, to: last.step };
}

/** A record's verdict (classify.ts), as the report counts it. */
export function classifyRecord(record: RunRecord, overrides: ThresholdOverrides = {}): { outcome: Outcome; channelStrict: boolean; reason: string; cause?: NotConvergedCause } {
  const { outcome, channelStrict, reason, cause } = classifyRecordWithEvidence(record, overrides);
  return { outcome, channelStrict, reason, ...(cause ? { cause } : {}) };
}

/**
 * The steps of a record's recent parameters and its run's check interval, where the record keeps them
 * (RunFacts.historySteps: the weight norm's drift is then measured over at least one check); none in
 * records from before they were kept.
 */
export function recentStepFacts(record: Pick<RunRecord, 'recentParams' | 'recentSteps'>, checkEvery: number | undefined): Pick<RunFacts, 'historySteps' | 'checkEvery'> {
  return record.recentSteps && record.recentSteps.length === record.recentParams?.length ? { historySteps: record.recentSteps, checkEvery: Math.max(1, Math.floor(checkEvery ?? 1)) } : {};
}

/**
 * What a record's verdict is decided on: the network where the run is judged (after a polish, the
 * polished one: the paper's flow, then Newton), the run's facts (its loss, gradient, stop reason,
 * recent parameters, trajectory drift, recorded Hessian extremes) and the tolerances it was stopped
 * by (a float32 (GPU) run's never below float32's floors). Null for a diverged run.
 */
export function recordJudgement(record: RunRecord, overrides: ThresholdOverrides = {}): { arch: Architecture; theta: Float64Array; facts: RunFacts; thresholds: Partial<ClassificationThresholds> & { maxnorm: number } } | null {
  const config = record.config as { maxnorm?: number | null; stop?: { gradTol?: number; stationaryTol?: number | null; patience?: number | null; minImprovement?: number; checkEvery?: number } };
  if (record.stopReason === 'diverged') return null;
  const polish = record.polish && Number.isFinite(record.polish.loss) && Number.isFinite(record.polish.gradInf) ? record.polish : null;
  const end = polish ?? record;
  const { arch, theta } = parseParameterFile(JSON.stringify(end.params), `record ${record.id}`);
  const maxnorm = config.maxnorm === null || config.maxnorm === undefined ? Infinity : config.maxnorm;
  const float32 = heldToFloat32Floors(record.backend);
  // a stop rule's gradTol of 0 only keeps the run going (a fixed budget of steps): a verdict still
  // needs a tolerance to call a critical point one, the default's
  const stopGradTol = config.stop?.gradTol ? config.stop.gradTol : undefined;
  const thresholds = {
    maxnorm,
    ...(stopGradTol !== undefined ? { gradTol: gradTolFor(stopGradTol, float32) } : {}),
    stationaryTol: stationaryTolFor(config.stop?.stationaryTol ?? DEFAULT_THRESHOLDS.stationaryTol, float32),
    // what the reader asked for wins over what the run was stopped by, but not below float32's floors
    // for a float32 run: below them a GPU run at its minimum would read as not converged
    ...overrides,
    ...(overrides.gradTol !== undefined ? { gradTol: gradTolFor(overrides.gradTol, float32) } : {}),
    ...(overrides.stationaryTol !== undefined ? { stationaryTol: stationaryTolFor(overrides.stationaryTol, float32) } : {}),
  };
  const facts: RunFacts = {
    loss: end.loss ?? NaN,
    gradInf: end.gradInf ?? NaN,
    stoppedBy: polish?.converged ? 'converged' : record.stopReason,
    finite: true, // diverged records were set aside above
    ...(record.recentParams?.length >= 2 ? { thetaHistory: record.recentParams.map((past) => Float64Array.from(past)) } : {}),
    ...recentStepFacts(record, config.stop?.checkEvery),
    lossDrift: polish ? null : trajectoryLossDrift(record.trajectory),
    // float32's loss is not level to 1e-12 at rest, nor its gradient at float64's rounding
    levelDrift: polish || float32 ? null : trajectoryLossDrift(record.trajectory, Math.max(1, config.stop?.checkEvery ?? 1)),
    patience: !polish && record.stopReason === 'patience' && config.stop?.patience != null ? { steps: config.stop.patience, minImprovement: config.stop.minImprovement ?? DEFAULT_MIN_IMPROVEMENT } : null,
    // the history is the run's; after a polish the end point is Newton's, not the run's last
    ...(polish ? { normDrift: null } : {}),
    // the Hessian's extreme eigenvalues from the run's end-of-run diagnostics (full spectrum when P ≤ FULL_SPECTRUM_MAX_PARAMETERS, else Lanczos/power iteration)
    ...(polish ? spectrumExtremes(polish.hessianEigenvalues) : hessianExtremes(record)),
  };
  return { arch, theta, facts, thresholds };
}

/**
 * classifyRecord with the evidence it was decided on (the channel group among it) and the network
 * judged (after a polish, the polished one); both null for a diverged run.
 */
export function classifyRecordWithEvidence(record: RunRecord, overrides: ThresholdOverrides = {}): Pick<Classification, 'outcome' | 'channelStrict' | 'reason' | 'cause'> & {
  evidence: (Classification['evidence'] & { channelGroup: NeuronGroup | null }) | null;
  network: { arch: Architecture; theta: Float64Array } | null;
} {
  const judgement = recordJudgement(record, overrides);
  if (!judgement) return { outcome: 'diverged', channelStrict: false, reason: `values became non-finite after ${record.steps} steps`, evidence: null, network: null };
  const { arch, theta, facts, thresholds } = judgement;
  const evidence = evidenceFromNetwork(arch, theta, facts, thresholds);
  const verdict = classifyRun(evidence, thresholds);
  return { outcome: verdict.outcome, channelStrict: verdict.channelStrict, reason: verdict.reason, ...(verdict.cause ? { cause: verdict.cause } : {}), evidence: { ...verdict.evidence, channelGroup: evidence.channelGroup }, network: { arch, theta } };
}

/**
 * How far a record's run got: weight norm, and the closest pair's cosine distance, 1/ε and output
 * weights; `channelPair`: measure that pair instead (a run on a channel: the classifier's pair).
 */
export function runReach(record: RunRecord, channelPair?: { layer: number; i: number; j: number } | null): RunReach {
  const base = { weightNorm: record.weightNorm, loss: record.loss, steps: record.steps, evaluations: record.evaluations };
  const none = { ...base, minCosine: NaN, inverseEpsilon: NaN, outputWeightSum: NaN };
  let parsed;
  try {
    parsed = parseParameterFile(JSON.stringify(record.params), `record ${record.id}`);
  } catch {
    return none; // a diverged run's parameters may not be finite
  }
  const { arch } = parsed;
  if (!Array.from(parsed.theta).every(Number.isFinite)) return none;
  // measure the pair up to the activation's symmetry (odd σ's sign flips, softplus's reflections), as the classifier does
  const symmetry = symmetryOrientation(arch, parsed.theta);
  const theta = symmetry ? symmetry.orient(parsed.theta) : parsed.theta;
  const closest = minCosineDistance(arch, theta);
  const pair = channelPair ? { ...channelPair, distance: closenessDistance(inputVector(arch, theta, channelPair.layer, channelPair.i), inputVector(arch, theta, channelPair.layer, channelPair.j)) } : closest;
  if (!pair) return none;
  const epsilon = l2Distance(inputVector(arch, theta, pair.layer, pair.i), inputVector(arch, theta, pair.layer, pair.j)) / 2;
  const outputWeights = pair.layer === arch.hidden.length - 1 ? parameterLayout(arch).layers[pair.layer + 1].weightOffset : -1;
  const outputWeightSum = outputWeights >= 0 ? Math.abs(theta[outputWeights + pair.i]) + Math.abs(theta[outputWeights + pair.j]) : NaN;
  return { ...base, minCosine: pair.distance, inverseEpsilon: epsilon > 0 ? 1 / epsilon : Infinity, outputWeightSum };
}

/** What a report says of one run, whatever the grouping: its verdict and how far it got. */
export type RunVerdict = Omit<ClassifiedRun, 'group'>;

/** A record's verdict (classify.ts, on its final or polished parameters) and reach (runReach). */
function judgeRecord(record: RunRecord, overrides: ThresholdOverrides = {}): RunVerdict {
  const { outcome, channelStrict, reason, cause, evidence } = classifyRecordWithEvidence(record, overrides);
  return {
    id: record.id,
    stopReason: record.stopReason,
    outcome,
    channelStrict,
    reason,
    ...(cause ? { cause } : {}),
    onChannel: evidence?.pairSignsOpposite ?? false,
    // a run on a channel is measured along the classifier's pair, not whichever pair is closest
    reach: runReach(record, evidence?.pairSignsOpposite && evidence.channelGroup ? channelPairOf(evidence.channelGroup) : null),
  };
}

/**
 * Verdicts kept between summaries of a growing set of runs (the dashboard's, recomputed as runs
 * stream in): each record is judged once per set of thresholds, not at every refresh (0.2 ms a
 * record: 4,500 runs took a second a refresh). Records are held weakly and must not change once judged.
 */
export class RunVerdicts {
  private readonly judged = new WeakMap<RunRecord, { thresholds: string; verdict: RunVerdict }>();

  of(record: RunRecord, overrides: ThresholdOverrides = {}): RunVerdict {
    const thresholds = JSON.stringify(overrides);
    const kept = this.judged.get(record);
    if (kept?.thresholds === thresholds) return kept.verdict;
    const verdict = judgeRecord(record, overrides);
    this.judged.set(record, { thresholds, verdict });
    return verdict;
  }
}

export interface SummaryOptions {
  /** the runs the sweep plans, per group (a stopped sweep has fewer records) */
  planned?: PlannedRuns;
  /** classification thresholds changed from the defaults */
  overrides?: ThresholdOverrides;
  /** names each record's group; by default as group-labels.ts labels them among these records */
  groupOf?: GroupLabeller;
  /** verdicts kept from earlier summaries of the same records */
  verdicts?: RunVerdicts;
}

/**
 * Classifies every record and summarises outcomes and reach per group (`by`: GROUP_ALIASES names or
 * dotted paths).
 */
export function summarizeRecords(records: readonly RunRecord[], by: string[], source: string, options: SummaryOptions = {}): Report {
  const { planned, verdicts } = options;
  // a threshold given as undefined is no threshold: as {} for the verdicts and the report alike
  const overrides = Object.fromEntries(Object.entries(options.overrides ?? {}).filter(([, value]) => value !== undefined)) as ThresholdOverrides;
  const groupOf = options.groupOf ?? groupLabeller(records.map((record) => record.config), by);
  const runs: ClassifiedRun[] = records.map((record) => {
    const { id, ...verdict } = verdicts ? verdicts.of(record, overrides) : judgeRecord(record, overrides);
    return { id, group: groupOf(record.config), ...verdict };
  });
  const reach: GroupReach[] = [];
  for (const key of new Set(runs.map((r) => r.group))) {
    // a diverged run's numbers are whatever overflowed (a weight norm of 10¹⁶⁹): not a reach
    const members = runs.filter((r) => r.group === key && r.outcome !== 'diverged').map((r) => r.reach);
    reach.push({
      key,
      n: members.length,
      weightNorm: quartiles(members.map((m) => m.weightNorm)),
      inverseEpsilon: quartiles(members.map((m) => m.inverseEpsilon)),
      minCosine: quartiles(members.map((m) => m.minCosine)),
      evaluations: quartiles(members.map((m) => m.evaluations)),
      loss: quartiles(members.map((m) => m.loss)),
    });
  }
  return {
    source,
    by,
    runs,
    groups: groupCounts(runs, (r) => r.group, (r) => r.outcome, { outcomes: OUTCOMES }),
    strictChannels: groupCounts(runs, (r) => r.group, (r) => (r.outcome === 'channel' && r.channelStrict ? 'strict' : 'other'), {
      outcomes: ['strict', 'other'] as const,
    }),
    causes: groupCounts(runs, (r) => r.group, (r) => r.cause ?? 'other-outcome', { outcomes: [...NOT_CONVERGED_CAUSES, 'other-outcome'] as const }),
    reach,
    ...(planned ? { planned } : {}),
    software: softwareCounts(records),
    ...(records.some((record) => record.continuedFrom) ? { continued: labelCounts(records.filter((record) => record.continuedFrom), (record) => record.continuedFrom!.folder) } : {}),
    ...(Object.keys(overrides).length > 0 ? { thresholds: overrides } : {}),
  };
}

/** The distinct labels of `records` with their runs, most runs first. */
export function labelCounts(records: readonly RunRecord[], label: (record: RunRecord) => string): { label: string; runs: number }[] {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(label(record), (counts.get(label(record)) ?? 0) + 1);
  return [...counts].map(([text, runs]) => ({ label: text, runs })).sort((a, b) => b.runs - a.runs);
}

/** "label (3 runs)" for each of labelCounts's labels. */
export function labelsWithRuns(counts: readonly { label: string; runs: number }[]): string[] {
  return counts.map((c) => `${c.label} (${c.runs} run${c.runs === 1 ? '' : 's'})`);
}

function softwareCounts(records: readonly RunRecord[]): Report['software'] {
  return labelCounts(records, (record) => record.software ?? UNNAMED_SOFTWARE);
}

