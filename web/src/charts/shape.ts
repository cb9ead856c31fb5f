// Data shaping for the charts: pure functions from records and reports to the rows the charts
// draw. No DOM, so the tests run them in Node.
import { OUTCOMES, type Outcome } from '../../../src/analysis/classify.js';
import { groupCounts, type GroupCounts } from '../../../src/analysis/statistics.js';
import type { RunRecord } from '../../../src/experiment/results.js';
import type { ClassifiedRun, Report } from '../../../src/experiment/summary.js';
import { optimizerLabel } from '../../../src/experiment/preset-reports.js';
import type { RunConfig } from '../../../src/experiment/spec.js';

// ---- log-scale histograms -------------------------------------------------------------------------

export interface LogBin {
  /** bin edges (x1 < x2), multiples of 10^(1/binsPerDecade) */
  x1: number;
  x2: number;
  count: number;
}

export interface LogHistogram {
  bins: LogBin[];
  /** values that cannot be placed on a log axis, counted so the chart can say so */
  nonPositive: number;
  nonFinite: number;
}

/**
 * Histogram with bins of equal width in log10 (binsPerDecade per factor of 10), edges aligned to
 * powers of ten so two histograms of the same quantity share their bins. Empty bins between the
 * smallest and largest value are kept (a gap is information).
 */
export function logHistogram(values: Iterable<number | null | undefined>, binsPerDecade = 4): LogHistogram {
  const wide = binsPerDecade > 0 && binsPerDecade < 1 && Number.isInteger(1 / binsPerDecade);
  if (!((Number.isInteger(binsPerDecade) && binsPerDecade > 0) || wide)) throw new RangeError(`binsPerDecade must be a positive integer or 1/n, got ${binsPerDecade}`);
  let nonPositive = 0;
  let nonFinite = 0;
  const indices: number[] = [];
  for (const value of values) {
    if (value === null || value === undefined || !Number.isFinite(value)) nonFinite++;
    else if (value <= 0) nonPositive++;
    else indices.push(Math.floor(Math.log10(value) * binsPerDecade + 1e-9));
  }
  if (indices.length === 0) return { bins: [], nonPositive, nonFinite };
  let lowest = Infinity;
  let highest = -Infinity;
  for (const k of indices) {
    lowest = Math.min(lowest, k);
    highest = Math.max(highest, k);
  }
  const counts = new Array<number>(highest - lowest + 1).fill(0);
  for (const k of indices) counts[k - lowest]++;
  // (a wide bin's upper edge can pass float64's range: an axis needs a finite one)
  const edge = (k: number) => Math.min(10 ** (k / binsPerDecade), Number.MAX_VALUE);
  return { bins: counts.map((count, offset) => ({ x1: edge(lowest + offset), x2: edge(lowest + offset + 1), count })), nonPositive, nonFinite };
}

/** Bin widths a histogram widens through, in bins per decade: a quarter decade down to a hundred decades. */
const BIN_DENSITIES = [4, 2, 1, 1 / 2, 1 / 5, 1 / 10, 1 / 20, 1 / 50, 1 / 100];

/**
 * The finest of BIN_DENSITIES that spans the positive finite values in at most `maxBins` bins: a
 * diverging run's 10¹⁶⁹ beside weight norms near 1 would otherwise spread 700 quarter-decade bins,
 * each under a pixel wide, and the chart would look empty.
 */
export function logBinsPerDecade(values: Iterable<number | null | undefined>, maxBins = 64): number {
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    if (value === null || value === undefined || !Number.isFinite(value) || value <= 0) continue;
    low = Math.min(low, Math.log10(value));
    high = Math.max(high, Math.log10(value));
  }
  if (!(high >= low)) return BIN_DENSITIES[0];
  const decades = Math.floor(high) - Math.floor(low) + 1;
  return BIN_DENSITIES.find((density) => decades * density <= maxBins) ?? BIN_DENSITIES[BIN_DENSITIES.length - 1];
}

/** A bin width in words: "a quarter decade", "a decade", "5 decades". */
export function binWidthText(binsPerDecade: number): string {
  if (binsPerDecade === 4) return 'a quarter decade';
  if (binsPerDecade === 2) return 'half a decade';
  if (binsPerDecade === 1) return 'a decade';
  return `${Math.round(1 / binsPerDecade)} decades`;
}

// ---- the summary: outcome fractions with intervals --------------------------------------------------

export interface OutcomeBar {
  group: string;
  outcome: Outcome;
  successes: number;
  n: number;
  fraction: number;
  low: number;
  high: number;
}

/**
 * One bar per group and outcome, for the outcomes that occur in some group (channel always, so a
 * sweep without channels says "0%" instead of leaving the question open). Groups keep the report's order.
 */
export function outcomeBars(report: Pick<Report, 'groups'>): OutcomeBar[] {
  const shown = OUTCOMES.filter((outcome) => outcome === 'channel' || report.groups.some((g) => g.outcomes[outcome].successes > 0));
  return report.groups.flatMap((g) =>
    shown.map((outcome) => {
      const f = g.outcomes[outcome];
      return { group: g.key, outcome, successes: f.successes, n: f.n, fraction: f.fraction, low: f.low, high: f.high };
    }),
  );
}

// ---- optimiser comparison ---------------------------------------------------------------------------

/** Whether the runs were trained by more than one optimiser (label): else a comparison pools the sweep's other settings into one bar. */
export function comparesOptimizers(records: readonly RunRecord[]): boolean {
  return new Set(records.map((record) => optimizerLabel(record.config as RunConfig))).size > 1;
}

/** Channel (and strict-channel) fractions with Wilson intervals per optimiser label (the preset tables' optimizerLabel), in order of first appearance. */
export function optimizerComparison(records: readonly RunRecord[], runs: readonly ClassifiedRun[]): GroupCounts<'channel' | 'channel (cos < 1e-3)' | 'other'>[] {
  const byId = new Map(runs.map((run) => [run.id, run]));
  const rows = records.filter((record) => byId.has(record.id)).map((record) => ({ label: optimizerLabel(record.config as RunConfig), run: byId.get(record.id)! }));
  // counted twice on purpose: once for the criterion, once for the strict one
  const plain = groupCounts(rows, (r) => r.label, (r) => (r.run.outcome === 'channel' ? 'channel' : 'other'), { outcomes: ['channel', 'other'] as const });
  const strict = groupCounts(rows, (r) => r.label, (r) => (r.run.outcome === 'channel' && r.run.channelStrict ? 'channel (cos < 1e-3)' : 'other'), {
    outcomes: ['channel (cos < 1e-3)', 'other'] as const,
  });
  return plain.map((g, index) => ({
    key: g.key,
    n: g.n,
    outcomes: { channel: g.outcomes.channel, 'channel (cos < 1e-3)': strict[index].outcomes['channel (cos < 1e-3)'], other: g.outcomes.other },
  }));
}

// ---- loss curves ------------------------------------------------------------------------------------

export interface CurvePoint {
  id: string;
  step: number;
  time: number;
  loss: number;
  gradInf: number;
  weightNorm: number;
}

/**
 * A run's recorded trajectory for log–log axes: points with a positive step (or time) and a
 * positive, finite loss. `axis` picks the abscissa; simulated time exists for gradient flow only.
 */
export function lossCurve(record: RunRecord, axis: 'step' | 'time' = 'step'): CurvePoint[] {
  return (record.trajectory ?? [])
    .filter((p) => (axis === 'step' ? p.step > 0 : p.time > 0) && typeof p.loss === 'number' && p.loss > 0 && Number.isFinite(p.loss))
    .map((p) => ({ id: record.id, step: p.step, time: p.time, loss: p.loss, gradInf: p.gradInf, weightNorm: p.weightNorm }));
}

/**
 * The runs whose simulated time ends more than `factor` times past the median run's end: where a flow
 * barely moves (at a minimum, say) the stiff solver's steps grow by orders of magnitude, so one such
 * run (t ≈ 10³¹) squeezes the others (t ≈ 10⁴) into the left of a shared time axis.
 */
export function runsFarOnTime(curves: readonly CurvePoint[], factor = 1e6): { id: string; time: number }[] {
  const ends = new Map<string, number>();
  for (const p of curves) ends.set(p.id, Math.max(ends.get(p.id) ?? 0, p.time));
  if (ends.size < 2) return [];
  const sorted = [...ends.values()].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return [...ends].filter(([, time]) => time > factor * median).map(([id, time]) => ({ id, time }));
}

/**
 * The runs' names in a legend of curves drawn together: the run id, and its optimiser (the preset
 * tables' optimizerLabel) where the runs differ in optimiser, so each curve says how it was trained.
 */
export function curveLegendLabels(records: readonly RunRecord[]): string[] {
  const optimizers = records.map((record) => optimizerLabel(record.config as RunConfig));
  const mixed = new Set(optimizers).size > 1;
  return records.map((record, k) => (mixed ? `${record.id} (${optimizers[k]})` : record.id));
}

/** Whether every given run has a simulated time axis (gradient flow). */
export function hasSimulatedTime(records: readonly RunRecord[]): boolean {
  return records.length > 0 && records.every((record) => (record.trajectory ?? []).some((p) => p.time > 0));
}
