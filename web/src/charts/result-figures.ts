// The figures of the results views, each a composed SVG (title, legend, axis labels with units).
import * as Plot from '@observablehq/plot';
import { OUTCOMES, type Outcome } from '../../../src/analysis/classify.js';
import type { RunRecord } from '../../../src/experiment/results.js';
import type { ClassifiedRun } from '../../../src/experiment/summary.js';
import { bandAxisLabels, composeFigure, decadeTicks, withoutOverlappingLabels, formatNumber, logTick, messageFigure, OUTCOME_COLORS, OUTCOME_LABELS, PLOT_STYLE, sideBySide } from './figure.js';
import { fractionBars } from './fraction-bars.js';
import { piledPairPoints, type ChannelTrajectory, type FunctionGrid, type HessianSpectrum, type PairPoint, type PiledPairPoint } from './network-views.js';
import { optimizerLabel } from '../../../src/experiment/preset-reports.js';
import type { RunConfig } from '../../../src/experiment/spec.js';
import { binWidthText, curveLegendLabels, logBinsPerDecade, logHistogram, lossCurve, optimizerComparison, runsFarOnTime, type CurvePoint } from './shape.js';
import { hiddenLabel, numericOrder, teacherLabel, type EdgePoint, type ToyChannelPoint } from '../../../src/experiment/preset-reports.js';
import type { PresetTable } from '../../../src/experiment/tables.js';

const RUN_COLORS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666', '#1f78b4', '#b2df8a'];

function barrierOf(records: readonly RunRecord[]): number | null {
  const maxnorm = (records[0]?.config as { maxnorm?: number | null } | undefined)?.maxnorm;
  return typeof maxnorm === 'number' ? maxnorm : null;
}

function outcomesPresent(runs: readonly ClassifiedRun[]): Outcome[] {
  return OUTCOMES.filter((o) => runs.some((r) => r.outcome === o));
}

function outcomeLegend(outcomes: readonly Outcome[]) {
  return outcomes.map((o) => ({ label: OUTCOME_LABELS[o], color: OUTCOME_COLORS[o] }));
}

// ---- distributions -------------------------------------------------------------------------------------

/** The highest stack of a stacked histogram's bins (counts summed over outcomes per bin). */
/** the height of a threshold label's line, in pixels */
const LABEL_LINE = 13;

function tallest(rows: readonly { x1: number; count: number }[]): number {
  const stacks = new Map<number, number>();
  for (const row of rows) stacks.set(row.x1, (stacks.get(row.x1) ?? 0) + row.count);
  return Math.max(0, ...stacks.values());
}

interface Measure {
  heading: string;
  label: string;
  value: (record: RunRecord, run: ClassifiedRun) => number | null | undefined;
  /** reference lines with their labels */
  marks?: { x: number; label: string }[];
}

export function distributionsFigure(records: readonly RunRecord[], runs: readonly ClassifiedRun[], width: number): SVGSVGElement {
  const title = 'Distributions over runs';
  if (records.length === 0) return messageFigure(title, 'no runs loaded');
  const barrier = barrierOf(records);
  const measures: Measure[] = [
    { heading: 'Weight norm at the end', label: 'weight norm Σθ²/(2P) (log scale) →', value: (r) => r.weightNorm, marks: barrier ? [{ x: barrier, label: 'barrier' }] : [] },
    { heading: 'Gradient at the end', label: 'gradient ∞-norm ‖∇L‖∞ (log scale) →', value: (r) => r.gradInf },
    { heading: 'Final training loss', label: 'loss: mean squared error (log scale) →', value: (r) => r.loss },
    {
      heading: 'Closest pair of hidden neurons',
      label: 'smallest cosine distance, bias included (log scale) →',
      value: (_, run) => run.reach.minCosine,
      marks: [
        { x: 1e-2, label: '10⁻²' },
        { x: 1e-3, label: '10⁻³' },
      ],
    },
  ];
  // a diverged run's numbers are whatever overflowed (10¹⁶⁹ beside norms near 1): they would take the axes
  const shown = runs.filter((run) => run.outcome !== 'diverged');
  const byId = new Map(shown.map((run) => [run.id, run]));
  const pairs = records.flatMap((record) => (byId.has(record.id) ? [{ record, run: byId.get(record.id)! }] : []));
  if (pairs.length === 0) return messageFigure(title, 'every run diverged: no values to draw');
  const outcomes = outcomesPresent(shown);
  const { columns, panelWidth } = sideBySide(width, 320);
  const diverged = runs.length - shown.length;
  const notes: string[] = diverged > 0 ? [`${diverged} diverged run${diverged === 1 ? '' : 's'} not shown (values that overflowed)`] : [];
  const widths: string[] = [];
  const panels = measures.map((measure) => {
    // one bin width for the panel's outcomes, wider where its values span many decades
    const density = logBinsPerDecade(pairs.map((p) => measure.value(p.record, p.run)));
    if (density !== 4) widths.push(`${measure.heading.toLowerCase()}: bins of ${binWidthText(density)}`);
    const rows = outcomes.flatMap((outcome) =>
      logHistogram(pairs.filter((p) => p.run.outcome === outcome).map((p) => measure.value(p.record, p.run)), density).bins.map((bin) => ({ ...bin, outcome: OUTCOME_LABELS[outcome] })),
    );
    const all = logHistogram(pairs.map((p) => measure.value(p.record, p.run)), density);
    const left = all.nonFinite + all.nonPositive;
    if (left > 0) notes.push(`${measure.heading.toLowerCase()}: ${left} run${left === 1 ? '' : 's'} with zero or non-finite values not shown`);
    const marks = measure.marks ?? [];
    const plot = Plot.plot({
      ...PLOT_STYLE,
      width: panelWidth,
      height: 220 + LABEL_LINE * Math.max(0, marks.length - 1),
      marginLeft: 48,
      // the thresholds' labels above the frame, one line each, clear of the tallest bar
      marginTop: 24 + LABEL_LINE * Math.max(0, marks.length - 1),
      x: { type: 'log', nice: true, label: measure.label, labelAnchor: 'right', tickFormat: logTick },
      // counts of runs: whole-number ticks only (a sweep of six runs has no 0.5 run); nice, so that
      // the tallest stack ends at or below a labelled tick
      y: { label: '↑ runs', grid: true, nice: true, ticks: Math.min(6, Math.max(1, tallest(rows))), tickFormat: (v: number) => (Number.isInteger(v) ? String(v) : '') },
      color: { domain: outcomes.map((o) => OUTCOME_LABELS[o]), range: outcomes.map((o) => OUTCOME_COLORS[o]) },
      marks: [
        Plot.rectY(rows, { x1: 'x1', x2: 'x2', y: 'count', fill: 'outcome', insetLeft: 0.5, insetRight: 0.5, title: (d: { outcome: string; count: number; x1: number; x2: number }) => `${d.outcome}: ${d.count} runs in [${formatNumber(d.x1)}, ${formatNumber(d.x2)})` }),
        // each further label a line higher: two thresholds a decade apart meet where the axis spans many decades
        ...marks.flatMap((m, k) => [
          Plot.ruleX([m.x], { stroke: '#333', strokeDasharray: '4,3' }),
          Plot.text([m.x], { x: (d: number) => d, frameAnchor: 'top', dy: -8 - LABEL_LINE * k, text: () => m.label, fontSize: 11, ...markLabelSide(m.x, marks, pairs.map((p) => measure.value(p.record, p.run))) }),
        ]),
        Plot.ruleY([0]),
      ],
    });
    return { plot, heading: measure.heading };
  });
  return composeFigure({
    width,
    title,
    subtitle: `${pairs.length} runs, bins of a quarter decade${widths.length > 0 ? ` (${widths.join('; ')}: their values span many decades)` : ''}, stacked by outcome`,
    legend: outcomeLegend(outcomes),
    panels,
    columns,
    note: notes.length > 0 ? notes.join('; ') : 'Dashed lines: the norm barrier and the channel thresholds of the cosine distance.',
  });
}

/**
 * Where a threshold's label goes beside its dashed line: a mark left of every value and every other
 * mark lies at (or near) the axis's left end, where a centred label would cover the y axis's ticks,
 * so its label reads to the right of the line; the rightmost, to the left of it.
 */
export function markLabelSide(x: number, marks: readonly { x: number }[], values: readonly (number | null | undefined)[]): { textAnchor: 'start' | 'end' | 'middle'; dx: number } {
  const others = [...values.filter((v): v is number => typeof v === 'number' && v > 0 && Number.isFinite(v)), ...marks.map((m) => m.x).filter((v) => v !== x)];
  if (others.every((v) => v > x)) return { textAnchor: 'start', dx: 3 };
  if (others.every((v) => v < x)) return { textAnchor: 'end', dx: -3 };
  return { textAnchor: 'middle', dx: 0 };
}

// ---- closest pair: cosine distance against output weights ------------------------------------------------

export function pairScatterFigure(points: readonly PairPoint[], totalRuns: number, width: number): SVGSVGElement {
  const title = 'Closest pair: how close, how large its output weights';
  const usable = points.filter((p) => p.minCosine > 0 && p.outputWeightSum > 0 && Number.isFinite(p.minCosine) && Number.isFinite(p.outputWeightSum));
  if (usable.length === 0) return messageFigure(title, 'no run has a closest pair in the last hidden layer with positive distance');
  // colours outside the outcome palette (red is "channel" elsewhere): here they say only the signs
  const signColors = { opposite: '#222222', same: '#8c510a' };
  // runs that ended at one place are one dot, its area their number
  const piles = piledPairPoints(usable);
  const piled = piles.filter((p) => p.count > 1);
  // counts written out from three runs up (a pair's larger dot says itself; their labels crowd the clusters)
  const counted = piled.filter((p) => p.count >= 3);
  const plot = Plot.plot({
    ...PLOT_STYLE,
    width: Math.max(480, Math.min(width - 40, 900)),
    height: 380,
    marginLeft: 60,
    x: { type: 'log', nice: true, label: 'distance of the closest two hidden neurons: cosine, bias included (log scale) →', labelAnchor: 'right', tickFormat: logTick },
    y: { type: 'log', nice: true, label: '↑ |aᵢ| + |aⱼ|, output weights of that pair (log scale)', tickFormat: logTick, grid: true, ticks: decadeTicks(usable.map((p) => p.outputWeightSum)) },
    symbol: { domain: ['opposite', 'same'], range: ['circle', 'triangle'] },
    marks: [
      Plot.ruleX([1e-2], { stroke: '#333', strokeDasharray: '4,3' }),
      Plot.text([1e-2], { x: (d: number) => d, frameAnchor: 'top', dy: -8, text: () => 'channel threshold 10⁻²', fontSize: 11, ...markLabelSide(1e-2, [], usable.map((p) => p.minCosine)) }),
      Plot.dot(piles, {
        x: 'minCosine',
        y: 'outputWeightSum',
        symbol: 'signs',
        stroke: (p: PiledPairPoint) => signColors[p.signs],
        fill: (p: PiledPairPoint) => (p.signs === 'opposite' ? signColors.opposite : 'none'),
        fillOpacity: 0.55,
        r: (p: PiledPairPoint) => Math.min(4 * Math.sqrt(p.count), 16),
        title: (p: PiledPairPoint) =>
          `${p.count > 1 ? `${p.count} runs here: ${p.ids.slice(0, 5).join(', ')}${p.count > 5 ? ', …' : ''}` : p.id}\ncosine distance ${formatNumber(p.minCosine)}\n|aᵢ|+|aⱼ| = ${formatNumber(p.outputWeightSum)}\naᵢaⱼ ${p.signs === 'opposite' ? '< 0' : '> 0'}`,
      }),
      // the number beside a dot that stands for several runs
      Plot.text(counted, { x: 'minCosine', y: 'outputWeightSum', text: (p: PiledPairPoint) => `×${p.count}`, dx: 6, dy: -9, textAnchor: 'start', fontSize: 10, fill: '#222', stroke: 'white', strokeWidth: 3 }),
    ],
  });
  const left = totalRuns - usable.length;
  return composeFigure({
    width,
    title,
    subtitle:
      `One point per run${piled.length > 0 ? ' (a larger point: runs that ended at one place, within 2%, counted from three)' : ''}: channels sit at the upper left (close pair: small distance, left; large output weights of opposite signs: high). Neurons are compared as the classifier compares them: up to the activation's symmetry (erf's w and −w are one), by relative L2 distance where input vectors are scalars (d = 1, no biases). Colour and shape say the signs of the pair's output weights, not the run's outcome.`,
    legend: [
      { label: 'aᵢaⱼ < 0: output weights of opposite signs', color: signColors.opposite, shape: 'dot' },
      { label: 'aᵢaⱼ > 0: same sign', color: signColors.same, shape: 'triangle' },
    ],
    panels: [{ plot }],
    ...(left > 0 ? { note: `${left} run${left === 1 ? '' : 's'} not shown: diverged, or the closest pair is in an earlier hidden layer (no output weights), or at distance 0` } : {}),
  });
}

// ---- loss curves ----------------------------------------------------------------------------------------

export function runColor(index: number): string {
  return RUN_COLORS[index % RUN_COLORS.length];
}

export function lossCurvesFigure(records: readonly RunRecord[], axis: 'step' | 'time', width: number): SVGSVGElement {
  const title = 'Training curves of the selected runs';
  if (records.length === 0) return messageFigure(title, 'select runs in the table to draw their curves');
  const curves: CurvePoint[] = records.flatMap((record) => lossCurve(record, axis));
  if (curves.length === 0) return messageFigure(title, 'the selected runs recorded no trajectory points with positive loss');
  const domain = records.map((r) => r.id);
  const range = records.map((_, k) => runColor(k));
  const xLabel = axis === 'step' ? 'optimiser steps (log scale) →' : 'simulated time t of the gradient flow (log scale) →';
  const barrier = barrierOf(records);
  const { columns, panelWidth } = sideBySide(width, 340);
  const common = { ...PLOT_STYLE, width: panelWidth, height: 300, marginLeft: 60, color: { domain, range } };
  const line = (y: keyof CurvePoint) =>
    Plot.line(curves, { x: axis, y, z: 'id', stroke: 'id', strokeWidth: 1.8, marker: 'circle-stroke', title: (p: CurvePoint) => `${p.id}\nstep ${p.step}${p.time > 0 ? `, t = ${formatNumber(p.time)}` : ''}\n${String(y)} ${formatNumber(p[y] as number)}` });
  const loss = Plot.plot({
    ...common,
    x: { type: 'log', nice: true, label: xLabel, labelAnchor: 'right', tickFormat: logTick },
    y: { type: 'log', nice: true, label: '↑ training loss (mean squared error, log scale)', grid: true, ticks: decadeTicks(curves.map((p) => p.loss)), tickFormat: logTick },
    marks: [line('loss')],
  });
  const norms = Plot.plot({
    ...common,
    x: { type: 'log', nice: true, label: xLabel, labelAnchor: 'right', tickFormat: logTick },
    y: { type: 'log', nice: true, label: '↑ weight norm Σθ²/(2P) (log scale)', grid: true, ticks: decadeTicks([...curves.map((p) => p.weightNorm), ...(barrier ? [barrier] : [])]), tickFormat: logTick },
    marks: [
      line('weightNorm'),
      ...(barrier ? [Plot.ruleY([barrier], { stroke: '#333', strokeDasharray: '4,3' }), Plot.text([barrier], { y: (d: number) => d, frameAnchor: 'left', textAnchor: 'start', dy: 9, dx: 4, text: () => 'norm barrier', fontSize: 11 })] : []),
    ],
  });
  const far = axis === 'time' ? runsFarOnTime(curves) : [];
  return composeFigure({
    width,
    title,
    subtitle: `Log-spaced trajectory points as recorded; ${axis === 'step' ? 'steps of the optimiser' : 'simulated time'} on the horizontal axis`,
    ...(far.length > 0
      ? {
          note: `${far.map((run) => `${run.id} ends at t = ${formatNumber(run.time)}`).join('; ')}: where a flow barely moves (at a minimum, say), the stiff solver's steps grow by orders of magnitude, so its simulated time runs far past the other runs'. Optimiser steps keep them side by side.`,
        }
      : {}),
    legend: curveLegendLabels(records).map((label, k) => ({ label, color: runColor(k), shape: 'line' as const })),
    panels: [
      { plot: loss, heading: 'Loss' },
      { plot: norms, heading: 'Weight norm' },
    ],
    columns,
  });
}

// ---- the toy's loss at infinity ----------------------------------------------------------------------------

/**
 * L∞(w) of the 1-D toy (the preset table loss-at-infinity) with the runs along a channel at their
 * pair's w and final loss: a run at the barrier should sit just above a local minimum of the curve.
 */
export function lossAtInfinityFigure(curve: readonly { w: number; lossAtInfinity: number }[], points: readonly ToyChannelPoint[], totalRuns: number, width: number): SVGSVGElement {
  const title = 'Loss at infinity L∞(w) and where the runs along a channel ended';
  const line = curve.filter((p) => p.lossAtInfinity > 0 && Number.isFinite(p.lossAtInfinity));
  if (line.length === 0) return messageFigure(title, 'no positive L∞(w) to draw');
  const optimizers = [...new Set(points.map((p) => p.optimizer))];
  const colors = optimizers.map((_, k) => runColor(k));
  const [wLow, wHigh] = [line[0].w, line[line.length - 1].w];
  const outside = points.filter((p) => p.w < wLow || p.w > wHigh).length;
  const shown = points.filter((p) => p.w >= wLow && p.w <= wHigh);
  const plot = Plot.plot({
    ...PLOT_STYLE,
    width: Math.min(Math.max(420, width - 40), 760),
    height: 320,
    marginLeft: 60,
    x: { domain: [wLow, wHigh], label: 'w, the input weight both neurons of the pair approach →', labelAnchor: 'right' },
    y: { type: 'log', nice: true, label: '↑ training loss (mean squared error, log scale)', grid: true, ticks: decadeTicks([...line.map((p) => p.lossAtInfinity), ...shown.map((p) => p.loss)]), tickFormat: logTick },
    color: { domain: optimizers, range: colors },
    marks: [
      Plot.line(line, { x: 'w', y: 'lossAtInfinity', stroke: '#333', strokeWidth: 1.6 }),
      Plot.dot(
        shown,
        { x: 'w', y: 'loss', fill: 'optimizer', r: 3.5, stroke: 'white', strokeWidth: 0.6, title: (p: ToyChannelPoint) => `${p.id} (${p.optimizer})\nw = ${formatNumber(p.w)}, 1/ε = ${formatNumber(p.inverseEpsilon)}, loss ${formatNumber(p.loss)}` },
      ),
    ],
  });
  return composeFigure({
    width,
    title,
    subtitle: `Line: L∞(w), the loss of the best gated linear unit c·σ(wx) + a·x·σ′(wx) at each w. Dots: the ${points.length} of ${totalRuns} runs whose two neurons, flipped to w > 0, have output weights of opposite signs (the reach table’s; the others sit on a saddle line or diverged), at the mean w of the pair and their final loss.`,
    legend: [{ label: 'L∞(w)', color: '#333', shape: 'line' as const }, ...optimizers.map((label, k) => ({ label, color: colors[k], shape: 'dot' as const }))],
    panels: [{ plot }],
    note: `${points.length === 0 ? 'No run ended along a channel. ' : ''}Along a channel (a merged pair, large 1/ε) the loss falls towards L∞(w) from above, and the channel ends where L∞(w) has a local minimum; a pair still apart (small 1/ε, e.g. SGD and Adam near the entrance) is no GLU yet and may lie below the curve.${outside > 0 ? ` ${outside} run${outside === 1 ? '' : 's'} outside the w range of the curve not shown.` : ''}`,
  });
}

// ---- channel frequency ------------------------------------------------------------------------------------

/**
 * channel-frequency: the fraction of runs ending in a channel for each teacher, a bar per activation,
 * with 95% Wilson intervals: drawn from the preset's table by-teacher-activation (its counts and
 * intervals), so it needs no records and shows what the table says.
 */
export function channelFrequencyFigure(table: PresetTable, width: number): SVGSVGElement {
  const title = 'How often runs end in a channel, by teacher and activation';
  const column = (name: string) => table.columns.indexOf(name);
  const at = { teacher: column('teacher'), activation: column('activation'), runs: column('runs'), channels: column('channel'), fraction: column('channel fraction'), low: column('channel low95'), high: column('channel high95') };
  if (Object.values(at).some((k) => k < 0)) return messageFigure(title, `the table ${table.name} lacks the columns of the channel fraction`);
  // the table's rows come in the order of teacher (by GP roughness) and activation
  const bars = table.rows.map((row) => ({
    group: String(row[at.teacher]),
    category: String(row[at.activation]),
    successes: Number(row[at.channels]),
    n: Number(row[at.runs]),
    fraction: Number(row[at.fraction]),
    low: Number(row[at.low]),
    high: Number(row[at.high]),
  }));
  if (bars.length === 0) return messageFigure(title, 'no runs');
  const activations = [...new Set(bars.map((bar) => bar.category))].sort();
  const teachers = new Set(bars.map((bar) => bar.group)).size;
  // relu, which has no channels, in grey; the smooth activations in colours
  const palette = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  const colors = Object.fromEntries(activations.map((activation, k) => [activation, activation === 'relu' ? '#7f7f7f' : palette[k % palette.length]]));
  return composeFigure({
    width,
    title,
    subtitle: `Fraction of the ${bars.reduce((sum, bar) => sum + bar.n, 0)} runs classified channel, per teacher (GP roughness s: larger is rougher) and activation; labels: channels/runs of a bar; whiskers: 95% Wilson intervals.`,
    legend: activations.map((activation) => ({ label: activation, color: colors[activation] })),
    panels: [{ plot: fractionBars(bars, { colors, categories: activations, groupLabel: 'teacher', width: Math.min(Math.max(420, width - 40), 180 + teachers * 60 * activations.length), height: 300 }) }],
    note: 'The paper: channels are common for every teacher and more so the rougher the GP; relu has none (σ″ = 0).',
  });
}

// ---- loss levels -------------------------------------------------------------------------------------------

/** Bins of the sideways histograms: narrow enough that distinct loss levels a few percent apart stay apart. */
const COLUMN_BINS_PER_DECADE = 60;

interface ColumnBar {
  panel: string;
  column: string;
  outcome: string;
  y1: number;
  y2: number;
  count: number;
}

/**
 * Log-spaced bins (aligned to powers of ten, so every group shares them) of each panel's, column's and
 * outcome's values, and the most runs one bin holds over all outcomes, the x scale's extent.
 */
function columnBins(points: readonly { panel: string; column: string; outcome: string; value: number }[]): { bars: ColumnBar[]; tallest: number } {
  const groups = new Map<string, (typeof points)[number][]>();
  for (const p of points) {
    const key = `${p.panel}|${p.column}|${p.outcome}`;
    const members = groups.get(key);
    if (members) members.push(p);
    else groups.set(key, [p]);
  }
  const bars = [...groups.values()].flatMap((members) =>
    logHistogram(members.map((p) => p.value), COLUMN_BINS_PER_DECADE)
      .bins.filter((bin) => bin.count > 0)
      .map((bin) => ({ panel: members[0].panel, column: members[0].column, outcome: members[0].outcome, y1: bin.x1, y2: bin.x2, count: bin.count })),
  );
  const stacks = new Map<string, number>();
  for (const bar of bars) {
    const key = `${bar.panel}|${bar.column}|${bar.y1}`;
    stacks.set(key, (stacks.get(key) ?? 0) + bar.count);
  }
  return { bars, tallest: Math.max(1, ...stacks.values()) };
}

/** What a column's width stands for, for the subtitle of a figure of columnHistograms. */
function columnScaleText(tallest: number): string {
  return `a bar's length is how many runs ended there, a column's full width ${tallest} run${tallest === 1 ? '' : 's'}`;
}

/**
 * A sideways histogram per column (r, an optimiser) of a positive quantity on a log axis, stacked by
 * outcome: a bar's length is how many runs ended at that value, so discrete levels read as long bars.
 * `tallest` runs span a column's full width in every panel, so bars compare across panels (the
 * figure's subtitle says how many: see columnScaleText).
 */
function columnHistograms(
  bars: readonly ColumnBar[],
  options: { columns: readonly string[]; columnLabel: string; valueLabel: string; outcomes: readonly Outcome[]; tallest: number; width: number; marks?: Plot.Markish[]; domain?: [number, number] },
): Element {
  const { columns, outcomes, tallest } = options;
  // over many decades the 2…9 ticks of each turn the grid into a comb: powers of ten only
  const ticks = decadeTicks(options.domain ?? [Math.min(...bars.map((bar) => bar.y1)), Math.max(...bars.map((bar) => bar.y2))]);
  const labels = bandAxisLabels(columns, (options.width - 60) / Math.max(1, columns.length));
  return Plot.plot({
    ...PLOT_STYLE,
    width: options.width,
    height: 300 + labels.marginBottom,
    marginLeft: 60,
    marginBottom: labels.marginBottom,
    fx: { domain: columns, axis: 'bottom', label: options.columnLabel, labelAnchor: 'center', padding: 0.2, tickFormat: labels.tickFormat, tickRotate: labels.tickRotate },
    // a runs axis under every column would sit where the column names go: the subtitle gives its extent instead
    x: { domain: [0, tallest], axis: null },
    y: { type: 'log', nice: true, label: `↑ ${options.valueLabel} (log scale)`, grid: true, tickFormat: logTick, ...(options.domain ? { domain: options.domain } : {}), ...(ticks ? { ticks } : {}) },
    color: { domain: outcomes.map((o) => OUTCOME_LABELS[o]), range: outcomes.map((o) => OUTCOME_COLORS[o]) },
    marks: [
      Plot.ruleX([0], { stroke: '#999' }),
      ...(options.marks ?? []),
      Plot.rectX(bars, {
        fx: 'column',
        x: 'count',
        y1: 'y1',
        y2: 'y2',
        fill: 'outcome',
        // a bin is a pixel or two tall: a bar stands out a pixel above and below it (neighbours may touch)
        insetTop: -1,
        insetBottom: -1,
        title: (bar: ColumnBar) => `${bar.column}: ${bar.count} run${bar.count === 1 ? '' : 's'} (${bar.outcome}) at ${formatNumber(bar.y1)}–${formatNumber(bar.y2)}`,
      }),
    ],
  }) as unknown as Element;
}

/**
 * loss-levels: every run's final loss by r, without and with biases, as a sideways histogram per r
 * stacked by outcome: converged runs pile up at discrete levels (a bar's length is how many runs
 * ended there), and plateau saddles (without biases) sit on levels of their own.
 */
export function lossLevelsFigure(records: readonly RunRecord[], runs: readonly ClassifiedRun[], width: number): SVGSVGElement {
  const title = 'Final loss of every run by r: discrete loss levels';
  const byId = new Map(runs.map((run) => [run.id, run]));
  const points = records.flatMap((record) => {
    const run = byId.get(record.id);
    const config = record.config as RunConfig;
    if (!run || run.outcome === 'diverged' || !(record.loss > 0) || !Number.isFinite(record.loss)) return [];
    return [{ id: record.id, r: hiddenLabel(config), biases: config.architecture.biases, loss: record.loss, outcome: OUTCOME_LABELS[run.outcome] }];
  });
  if (points.length === 0) return messageFigure(title, 'no run with a finite positive loss');
  const outcomes = OUTCOMES.filter((o) => points.some((p) => p.outcome === OUTCOME_LABELS[o]));
  const widths = [...new Set(points.map((p) => p.r))].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  const panelsShown = [false, true].filter((biases) => points.some((p) => p.biases === biases));
  const { bars, tallest } = columnBins(points.map((p) => ({ panel: String(p.biases), column: p.r, outcome: p.outcome, value: p.loss })));
  // one loss axis for both panels, so levels compare with and without biases
  const domain: [number, number] = [Math.min(...bars.map((bar) => bar.y1)), Math.max(...bars.map((bar) => bar.y2))];
  const levelsLayout = sideBySide(Math.min(width, 980), 300, panelsShown.length);
  const panels = panelsShown.map((biases) => ({
    heading: biases ? 'With biases' : 'Without biases',
    plot: columnHistograms(
      bars.filter((bar) => bar.panel === String(biases)),
      { columns: widths, columnLabel: 'hidden neurons r', valueLabel: 'final training loss', outcomes, tallest, domain, width: levelsLayout.panelWidth },
    ),
  }));
  return composeFigure({
    width,
    title,
    subtitle: `A sideways histogram per r of the final losses of the ${points.length} runs that did not diverge (of ${records.length}), stacked by outcome (bins of 1/${COLUMN_BINS_PER_DECADE} decade): ${columnScaleText(tallest)}.`,
    legend: outcomeLegend(outcomes),
    panels,
    columns: levelsLayout.columns,
    note: 'The paper: losses fall on a few discrete levels per r; without biases some runs end on plateau saddles (levels of smaller networks), with biases almost none.',
  });
}

// ---- reach by optimiser ------------------------------------------------------------------------------------

/**
 * toy-1d and optimizer-comparison: every run's final weight norm by optimiser, beside the norm
 * barrier: with one budget of gradient evaluations, gradient flow gets out to the barrier along a
 * channel while the others stay near the entrance (small weight norm). A panel per teacher where
 * the runs have several (the full optimizer-comparison), so teachers of different roughness do not
 * share a column.
 */
export function optimizerReachFigure(records: readonly RunRecord[], runs: readonly ClassifiedRun[], width: number): SVGSVGElement {
  const title = 'How far each optimiser got with the same budget: the final weight norm';
  const byId = new Map(runs.map((run) => [run.id, run]));
  const points = records.flatMap((record) => {
    const run = byId.get(record.id);
    if (!run || run.outcome === 'diverged' || !(record.weightNorm > 0) || !Number.isFinite(record.weightNorm)) return [];
    const config = record.config as RunConfig;
    return [{ panel: teacherLabel(config), column: optimizerLabel(config), outcome: run.outcome, value: record.weightNorm }];
  });
  if (points.length === 0) return messageFigure(title, 'no run that did not diverge');
  const outcomes = OUTCOMES.filter((o) => points.some((p) => p.outcome === o));
  const columns = [...new Set(points.map((p) => p.column))];
  const teachers = [...new Set(points.map((p) => p.panel))].sort(numericOrder);
  const { bars, tallest } = columnBins(points.map((p) => ({ ...p, outcome: OUTCOME_LABELS[p.outcome] })));
  const barrier = barrierOf(records);
  const values = bars.flatMap((bar) => [bar.y1, bar.y2]);
  // one weight-norm axis for every panel, so teachers compare
  const domain: [number, number] = [Math.min(...values), Math.max(...values, barrier !== null ? barrier * 1.5 : 0)];
  const teacherLayout = sideBySide(Math.min(width, 980), 340);
  const panelWidth = teachers.length === 1 ? Math.min(Math.max(420, width - 40), 200 + columns.length * 150) : teacherLayout.panelWidth;
  const panels = teachers.map((teacher) => ({
    heading: teachers.length > 1 ? `Teacher ${teacher}` : undefined,
    plot: columnHistograms(
      bars.filter((bar) => bar.panel === teacher),
      {
        columns,
        columnLabel: 'optimiser',
        valueLabel: 'weight norm Σθ²/(2P) at the end',
        outcomes,
        tallest,
        domain,
        width: panelWidth,
        marks: barrier !== null ? [Plot.ruleY([barrier], { stroke: '#333', strokeDasharray: '5,3' })] : [],
      },
    ),
  }));
  return composeFigure({
    width,
    title,
    subtitle: `A sideways histogram per optimiser${teachers.length > 1 ? ` and teacher (${teachers.length} panels)` : ''} of the final weight norm of the ${points.length} runs that did not diverge (of ${records.length}), stacked by outcome: ${columnScaleText(tallest)}.`,
    legend: [...outcomeLegend(outcomes), ...(barrier !== null ? [{ label: `the norm barrier (${formatNumber(barrier)})`, color: '#333', shape: 'line' as const }] : [])],
    panels,
    ...(teachers.length > 1 ? { columns: teacherLayout.columns } : {}),
    note: 'The paper: gradient flow follows a channel out to the norm barrier; GD stalls where λ_max ≈ 2/η, SGD and Adam near the entrance (small weight norm). Runs at the barrier that are not channels sharpened a single neuron (see the causes table).',
  });
}

// ---- edge of stability ----------------------------------------------------------------------------------

/** λ_max at the end of each GD run against its η, beside the stability edge 2/η. */
export function edgeOfStabilityFigure(points: readonly EdgePoint[], totalRuns: number, width: number): SVGSVGElement {
  const title = 'Full-batch GD: λ_max at the end against the stability edge 2/η';
  if (points.length === 0) return messageFigure(title, 'no full-batch GD run that did not diverge: no final Hessian to draw');
  const etas = [...new Set(points.map((p) => p.eta))].sort((a, b) => a - b);
  const [low, high] = [etas[0] / 1.5, etas[etas.length - 1] * 1.5];
  const edge = Array.from({ length: 41 }, (_, k) => low * (high / low) ** (k / 40)).map((eta) => ({ eta, edge: 2 / eta }));
  const kinds = [
    { label: 'along a channel (output weights of opposite signs)', color: OUTCOME_COLORS.channel, along: true },
    { label: 'on the saddle line', color: OUTCOME_COLORS['plateau-saddle'], along: false },
  ].filter((kind) => points.some((p) => p.alongChannel === kind.along));
  const plot = Plot.plot({
    ...PLOT_STYLE,
    width: Math.min(Math.max(420, width - 40), 760),
    height: 320,
    marginLeft: 60,
    x: { type: 'log', domain: [low, high], label: 'learning rate η (log scale) →', labelAnchor: 'right', tickFormat: logTick },
    y: { type: 'log', nice: true, label: '↑ λ_max of the final Hessian (log scale)', grid: true, ticks: decadeTicks([...points.map((p) => p.lambdaMax), ...edge.map((e) => e.edge)]), tickFormat: logTick },
    color: { domain: kinds.map((k) => k.label), range: kinds.map((k) => k.color) },
    marks: [
      Plot.line(edge, { x: 'eta', y: 'edge', stroke: '#333', strokeDasharray: '5,3' }),
      Plot.text([edge[4]], { x: 'eta', y: 'edge', text: () => 'λ_max = 2/η', dx: 6, dy: -8, textAnchor: 'start', fontSize: 11 }),
      Plot.dot(points, {
        x: 'eta',
        y: 'lambdaMax',
        fill: (p: EdgePoint) => kinds.find((k) => k.along === p.alongChannel)!.label,
        r: 3.5,
        stroke: 'white',
        strokeWidth: 0.6,
        title: (p: EdgePoint) => `${p.id}: η = ${formatNumber(p.eta)}, λ_max = ${formatNumber(p.lambdaMax)} (λ_max·η/2 = ${formatNumber((p.lambdaMax * p.eta) / 2)})`,
      }),
    ],
  });
  return composeFigure({
    width,
    title,
    subtitle: [
      `One dot per run that did not diverge (${points.length} of ${totalRuns} runs drawn, at ${etas.length} η). GD with step η is unstable where λ_max > 2/η:`,
      'along a channel λ_max grows like 1/ε², so GD stalls where it meets the dashed line (λ_max·η/2 = 1).',
    ],
    legend: [{ label: '2/η', color: '#333', shape: 'line' as const }, ...kinds.map((k) => ({ label: k.label, color: k.color, shape: 'dot' as const }))],
    panels: [{ plot }],
    note: 'Runs far below the line ended with their budget, still climbing the channel; GD cannot stay above it.',
  });
}

// ---- channel coordinates ----------------------------------------------------------------------------------

export function channelFigure(record: RunRecord, trajectory: ChannelTrajectory | null, width: number): SVGSVGElement {
  const title = `Channel coordinates of run ${record.id}`;
  if (!trajectory) return messageFigure(title, 'no pair of hidden neurons to follow (diverged run, or one neuron per layer)');
  const { pair, snapshots } = trajectory;
  const points = snapshots.filter((s) => Number.isFinite(s.inverseEpsilon) && s.inverseEpsilon > 0);
  if (points.length === 0) return messageFigure(title, 'the pair is exactly merged (ε = 0) at every recorded point');
  const { columns, panelWidth } = sideBySide(width, 340);
  const xAxis = { type: 'log' as const, nice: true, label: '1/ε, ε = ‖uᵢ − uⱼ‖/2 of the pair (log scale): farther along the channel →', labelAnchor: 'right' as const, tickFormat: logTick };
  // labels to the right of their points; the last checks crowd together near the end, so a label
  // that would overlap another is left out (end and start first, then the latest checks); every
  // point still names itself on hover
  const labelText = points.map((p) => p.label);
  const rank = (i: number) => (labelText[i] === 'end' ? -2 : labelText[i] === 'start' ? -1 : points.length - i);
  const labels = Plot.text(points, {
    x: 'inverseEpsilon',
    y: 'weightNorm',
    text: 'label',
    dx: 8,
    textAnchor: 'start',
    fontSize: 10.5,
    stroke: 'white',
    strokeWidth: 3,
    fill: '#222',
    render: withoutOverlappingLabels(labelText, 10.5, 8, rank),
  });
  // nothing was kept between the start and the last checks: that stretch is drawn dashed, not as a path
  const gap = points.length > 1 && points[0].label === 'start' ? 1 : 0;
  // rows of point k: those up to the gap's end and those from it on
  const traced = <T extends { k: number }>(rows: T[]) => ({ across: rows.filter((row) => row.k <= gap), along: rows.filter((row) => row.k >= gap) });
  const normRows = traced(points.map((p, k) => ({ ...p, k })));
  const norm = Plot.plot({
    ...PLOT_STYLE,
    width: panelWidth,
    height: 300,
    marginLeft: 60,
    marginTop: 30,
    marginRight: 50,
    x: xAxis,
    y: { type: 'log', nice: true, label: '↑ weight norm Σθ²/(2P) (log scale)', grid: true, ticks: decadeTicks(points.map((p) => p.weightNorm)), tickFormat: logTick },
    marks: [
      ...(gap ? [Plot.line(normRows.across, { x: 'inverseEpsilon', y: 'weightNorm', stroke: '#888', strokeDasharray: '4,3' })] : []),
      Plot.line(normRows.along, { x: 'inverseEpsilon', y: 'weightNorm', stroke: '#888', markerEnd: 'arrow' }),
      Plot.dot(points, { x: 'inverseEpsilon', y: 'weightNorm', fill: '#d62728', r: 4, title: (s: { label: string; weightNorm: number; inverseEpsilon: number }) => `${s.label}: 1/ε = ${formatNumber(s.inverseEpsilon)}, weight norm ${formatNumber(s.weightNorm)}` }), labels],
  });
  const coefficients = points.flatMap((s, k) => [
    { ...s, k, name: 'c = aᵢ + aⱼ', value: s.c },
    { ...s, k, name: 'a = ε(aᵢ − aⱼ)', value: s.a },
  ]);
  const coefficientRows = traced(coefficients);
  const coefficientColors = { 'c = aᵢ + aⱼ': '#1f77b4', 'a = ε(aᵢ − aⱼ)': '#ff7f0e' };
  const glu = Plot.plot({
    ...PLOT_STYLE,
    width: panelWidth,
    height: 300,
    marginLeft: 60,
    x: xAxis,
    y: { label: '↑ GLU coefficient (output units)', grid: true },
    color: { domain: Object.keys(coefficientColors), range: Object.values(coefficientColors) },
    marks: [
      Plot.ruleY([0], { stroke: '#bbb' }),
      ...(gap ? [Plot.line(coefficientRows.across, { x: 'inverseEpsilon', y: 'value', stroke: 'name', z: 'name', strokeDasharray: '4,3' })] : []),
      Plot.line(coefficientRows.along, { x: 'inverseEpsilon', y: 'value', stroke: 'name', z: 'name' }),
      Plot.dot(coefficients, { x: 'inverseEpsilon', y: 'value', fill: 'name', r: 3.5, title: (d: { name: string; value: number; label: string }) => `${d.label}: ${d.name} = ${formatNumber(d.value)}` }),
    ],
  });
  const end = snapshots[snapshots.length - 1];
  const layer = pair.layer + 1;
  return composeFigure({
    width,
    title,
    subtitle: `Neurons ${pair.i}, ${pair.j} (counted from 0, as channelscope analyze names them) of hidden layer ${layer}, ${pair.by === 'channel' ? "the channel's pair (its largest outgoing weights of each sign, as the verdict compared them)" : `the closest at the end (${pair.by === 'cosine' ? 'cosine' : 'L2'} distance)`}, at the parameters the record keeps: start and last checks (dashed: the steps between, not kept)`,
    legend: [
      { label: 'weight norm at a recorded point', color: '#d62728', shape: 'dot' },
      { label: 'c = aᵢ + aⱼ', color: coefficientColors['c = aᵢ + aⱼ'], shape: 'line' },
      { label: 'a = ε(aᵢ − aⱼ)', color: coefficientColors['a = ε(aᵢ − aⱼ)'], shape: 'line' },
    ],
    panels: [
      { plot: norm, heading: 'How far along: 1/ε and weight norm' },
      { plot: glu, heading: 'GLU coefficients c and a at the same points' },
    ],
    columns,
    note: `At the end: ε = ${formatNumber(end.epsilon)}, cosine distance ${formatNumber(end.cosine)}, c = ${formatNumber(end.c)}, a = ${formatNumber(end.a)}${pair.outputWeights ? '' : ' (earlier layer: first entry of the outgoing vectors)'}; the pair computes ≈ c·σ(w·x) + a·(Δ·x)·σ′(w·x).`,
  });
}

// ---- Hessian spectrum -------------------------------------------------------------------------------------

export function spectrumFigure(record: RunRecord, spectrum: HessianSpectrum | { unavailable: string }, width: number): SVGSVGElement {
  const title = `Hessian spectrum at the end of run ${record.id}`;
  if ('unavailable' in spectrum) return messageFigure(title, `not available: ${spectrum.unavailable}`);
  const values = spectrum.eigenvalues.map((value, k) => ({ index: k + 1, value, magnitude: Math.abs(value), sign: value < 0 ? 'negative' : 'positive or zero' }));
  const optimizer = (record.config as { optimizer?: { kind?: string; lr?: number } }).optimizer;
  const edge = optimizer?.kind === 'gd' && optimizer.lr ? 2 / optimizer.lr : null;
  const largest = Math.max(...values.map((v) => v.magnitude));
  // |λ| on a log axis; exact zeros are drawn at the bottom of the axis
  const floor = Math.max(largest * 1e-12, Number.MIN_VALUE);
  const colors = { negative: '#d62728', 'positive or zero': '#1f77b4' };
  const history = spectrum.history.filter((h) => h.step > 0 && h.lambdaMax > 0);
  // beside the history where the width holds both, else each the width's breadth
  const { columns, panelWidth } = history.length > 0 ? sideBySide(width, 360) : { columns: 1, panelWidth: Math.max(300, Math.min(width - 40, 900)) };
  const plot = Plot.plot({
    ...PLOT_STYLE,
    width: panelWidth,
    height: 340,
    marginLeft: 60,
    x: { label: spectrum.extremesOnly ? '1: λ_min, 2: λ_max →' : 'eigenvalue index, ascending →', labelAnchor: 'right', ticks: Math.min(values.length, 12), tickFormat: 'd' },
    y: { type: 'log', nice: true, label: '↑ |λ|, eigenvalue magnitude (log scale)', grid: true, ticks: decadeTicks([...values.map((v) => v.magnitude).filter((m) => m >= floor), ...(values.some((v) => v.magnitude < floor) ? [floor] : []), ...(edge ? [edge] : [])]), tickFormat: logTick },
    color: { domain: Object.keys(colors), range: Object.values(colors) },
    marks: [
      ...(edge ? [Plot.ruleY([edge], { stroke: '#333', strokeDasharray: '4,3' }), Plot.text([edge], { y: (d: number) => d, frameAnchor: 'left', dy: -7, dx: 4, text: () => `2/η = ${formatNumber(edge)} (GD stability edge)`, fontSize: 11 })] : []),
      Plot.dot(
        values.filter((d) => d.magnitude >= floor),
        { x: 'index', y: 'magnitude', fill: 'sign', r: 4, title: (d: { index: number; value: number }) => `λ${d.index} = ${formatNumber(d.value)}` },
      ),
      // below the axis's reach: drawn hollow at the floor, not where they are
      Plot.dot(
        values.filter((d) => d.magnitude < floor),
        { x: 'index', y: () => floor, stroke: 'sign', fill: 'white', strokeWidth: 1.5, r: 4, title: (d: { index: number; value: number }) => `λ${d.index} = ${formatNumber(d.value)} (drawn at the floor)` },
      ),
    ],
  });
  const min = values[0].value;
  const max = values[values.length - 1].value;
  const panels = [{ plot, heading: spectrum.extremesOnly ? 'Extreme eigenvalues at the end' : 'All eigenvalues at the end' }];
  if (history.length > 0) {
    const rows = history.flatMap((h) => [
      { step: h.step, value: h.lambdaMax, name: 'λ_max' },
      { step: h.step, value: Math.abs(h.lambdaMin), name: '|λ_min|' },
    ]).filter((r) => r.value > 0);
    panels.push({
      heading: 'Extreme eigenvalues along the run',
      plot: Plot.plot({
        ...PLOT_STYLE,
        width: panelWidth,
        height: 340,
        marginLeft: 60,
        x: { type: 'log', nice: true, label: 'optimiser steps (log scale) →', labelAnchor: 'right', tickFormat: logTick },
        y: { type: 'log', nice: true, label: '↑ eigenvalue magnitude (log scale)', grid: true, ticks: decadeTicks([...rows.map((r) => r.value), ...(edge ? [edge] : [])]), tickFormat: logTick },
        color: { domain: ['λ_max', '|λ_min|'], range: ['#1f77b4', '#d62728'] },
        marks: [
          ...(edge ? [Plot.ruleY([edge], { stroke: '#333', strokeDasharray: '4,3' })] : []),
          Plot.line(rows, { x: 'step', y: 'value', stroke: 'name', z: 'name', marker: 'circle-stroke' }),
        ],
      }),
    });
  }
  return composeFigure({
    width,
    title,
    subtitle: `λ_min = ${formatNumber(min)}, λ_max = ${formatNumber(max)}${spectrum.extremesOnly ? '' : `, ${values.length} eigenvalues`}; ${spectrum.source}`,
    legend: [
      { label: 'λ < 0', color: colors.negative, shape: 'dot' },
      { label: 'λ ≥ 0', color: colors['positive or zero'], shape: 'dot' },
      ...(history.length > 0 ? [{ label: 'λ_max along the run', color: '#1f77b4', shape: 'line' as const }, { label: '|λ_min| along the run', color: '#d62728', shape: 'line' as const }] : []),
    ],
    panels,
    columns,
    note: `${values.some((d) => d.magnitude < floor) ? `Hollow: |λ| below 10⁻¹²·λ_max (${formatNumber(floor)}), drawn at that floor. ` : ''}Negative eigenvalues far below λ_max in size (|λ| < 10⁻⁶·λ_max) are numerically zero. Along a channel λ_max grows like 1/ε² while λ_min stays near 0.`,
  });
}

// ---- functions on the input plane (d = 2) ----------------------------------------------------------------

export function heatmapFigure(record: RunRecord, grid: FunctionGrid | { unavailable: string }, width: number): SVGSVGElement {
  const title = `Functions on the input plane, run ${record.id}`;
  if ('unavailable' in grid) return messageFigure(title, `not available: ${grid.unavailable}`);
  const n = grid.xs.length;
  const panelWidth = Math.max(240, Math.min(360, Math.floor((width - 60) / grid.panels.length)));
  const color = { type: 'diverging' as const, scheme: 'BuRd' as const, domain: [-grid.limit, grid.limit], pivot: 0, label: 'output value (standardised target units)' };
  const panels = grid.panels.map((panel) => ({
    heading: panel.name,
    plot: Plot.plot({
      ...PLOT_STYLE,
      width: panelWidth,
      height: panelWidth,
      marginLeft: 44,
      marginBottom: 38,
      x: { domain: [-grid.extent, grid.extent], label: 'input x₁ →', labelAnchor: 'right' },
      y: { domain: [-grid.extent, grid.extent], label: '↑ input x₂' },
      color,
      aspectRatio: 1,
      marks: [Plot.raster(panel.values, { width: n, height: n, x1: -grid.extent, x2: grid.extent, y1: -grid.extent, y2: grid.extent, imageRendering: 'pixelated' }), Plot.frame()],
    }),
  }));
  const ramp = Plot.legend({ color: { ...color, label: 'output value f(x) (target units; one scale for all panels)' }, width: 360, style: { fontSize: '11px', background: 'white' } }) as unknown as Element;
  return composeFigure({
    width,
    title,
    subtitle: grid.panels.map((p) => `${p.name}: ${p.caption}`),
    ramp: ramp.tagName.toLowerCase() === 'svg' ? ramp : undefined,
    panels,
    note: `Grid of ${n}×${n} cells on [−${grid.extent}, ${grid.extent}]² (covers 99% of the training inputs' coordinates). The colour scale spans the network's and the teacher's values; a limit far from the network saturates.`,
  } as Parameters<typeof composeFigure>[0]);
}

// ---- optimisers --------------------------------------------------------------------------------------------

export function optimizerFigure(records: readonly RunRecord[], runs: readonly ClassifiedRun[], width: number): SVGSVGElement {
  const title = 'Optimisers compared';
  const rows = optimizerComparison(records, runs);
  if (rows.length === 0) return messageFigure(title, 'no runs loaded');
  const categories = ['channel', 'channel (cos < 1e-3)'];
  const colors = { channel: '#d62728', 'channel (cos < 1e-3)': '#8b0000' };
  const bars = rows.flatMap((g) => categories.map((category) => ({ group: g.key, category, ...g.outcomes[category as 'channel'] })));
  const sideBySide = width >= 2 * 400 + 100;
  const barWidth = Math.max(400, Math.min(sideBySide ? (width - 100) / 2 : width - 40, 180 + rows.length * 150));
  const byId = new Map(records.map((r) => [r.id, r]));
  // (a diverged run's pair distance is whatever overflowed)
  const shown = runs.filter((run) => run.outcome !== 'diverged');
  // a pair at ε = 0 exactly (a duplicated neuron: a plateau saddle) has no place on a log axis: counted in the subtitle
  // (its 1/ε is Infinity, or null once a report page's inlined JSON carried it)
  const coinciding = shown.filter((run) => byId.has(run.id) && (run.reach.inverseEpsilon === Infinity || (run.reach.inverseEpsilon as number | null) === null)).length;
  const drawn = shown.filter((run) => byId.has(run.id) && Number.isFinite(run.reach.inverseEpsilon) && run.reach.inverseEpsilon > 0);
  const reach = drawn
    .map((run) => ({ label: optimizerLabel(byId.get(run.id)!.config as RunConfig), inverseEpsilon: run.reach.inverseEpsilon, outcome: OUTCOME_LABELS[run.outcome], id: run.id }));
  // the legend names the outcomes of the ticks drawn
  const outcomes = outcomesPresent(drawn);
  // optimiser names wrap within their column ("sgd η=0.1" over "batch=16") so neighbours never overlap
  const stripLabels = bandAxisLabels(
    rows.map((r) => r.key),
    (barWidth - 60 - 20) / rows.length,
  );
  const strip = Plot.plot({
    ...PLOT_STYLE,
    width: barWidth,
    height: 260 + stripLabels.marginBottom,
    marginLeft: 60,
    marginBottom: stripLabels.marginBottom,
    x: { domain: rows.map((r) => r.key), label: 'optimiser', padding: 0.3, tickFormat: stripLabels.tickFormat, tickRotate: stripLabels.tickRotate },
    y: { type: 'log', nice: true, label: '↑ 1/ε of the closest pair at the end (log scale)', grid: true, ticks: decadeTicks(reach.map((p) => p.inverseEpsilon)), tickFormat: logTick },
    color: { domain: outcomes.map((o) => OUTCOME_LABELS[o]), range: outcomes.map((o) => OUTCOME_COLORS[o]) },
    marks: [Plot.tickY(reach, { x: 'label', y: 'inverseEpsilon', stroke: 'outcome', strokeWidth: 1.5, strokeOpacity: 0.75, title: (d: { id: string; inverseEpsilon: number; outcome: string }) => `${d.id}: 1/ε = ${formatNumber(d.inverseEpsilon)} (${d.outcome})` })],
  });
  return composeFigure({
    width,
    title,
    subtitle: [
      'Left: fraction of runs ending in a channel, whiskers: 95% Wilson intervals.',
      `Right: how close its closest pair of neurons came (1/ε), one tick per run that did not diverge, coloured by outcome${coinciding > 0 ? `; ${coinciding} run${coinciding === 1 ? '' : 's'} whose pair coincides (1/ε = ∞, a duplicated neuron) not drawn` : ''}.`,
    ],
    legend: [
      { label: 'channel (cosine distance < 10⁻²)', color: colors.channel },
      { label: 'channel, strict (< 10⁻³)', color: colors['channel (cos < 1e-3)'] },
      ...outcomeLegend(outcomes).map((entry) => ({ ...entry, label: `tick: ${entry.label}`, shape: 'line' as const })),
    ],
    panels: [
      { plot: fractionBars(bars, { colors, categories, groupLabel: 'optimiser', width: barWidth, height: 300 }), heading: 'Channel fraction by optimiser' },
      { plot: strip, heading: 'How close the closest pair came (1/ε)' },
    ],
    columns: sideBySide ? 2 : 1,
  });
}
