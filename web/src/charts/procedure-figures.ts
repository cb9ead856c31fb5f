// The figures of a procedure's HTML report (channel-jump, saddle-perturbation, gd-from-channel):
// each drawn from the procedure's result.json, answering the question its preset asks.
import * as Plot from '@observablehq/plot';
import type { ChannelJumpResult } from '../../../src/experiment/channel-jump.js';
import type { GdFate, GdFromChannelResult } from '../../../src/experiment/gd-from-channel.js';
import type { SaddleFate, SaddlePerturbationResult } from '../../../src/experiment/saddle-perturbation.js';
import { composeFigure, decadeTicks, formatNumber, logTick, messageFigure, OUTCOME_COLORS, PLOT_STYLE, sideBySide } from './figure.js';

const PANEL = { ...PLOT_STYLE, height: 300, marginLeft: 64 };

/** The least-squares line of slope `slope` through points on log-log axes, drawn across their x range. */
function fittedLine(points: readonly { x: number; y: number }[], slope: number): { x: number; y: number }[] {
  const intercept = points.reduce((sum, p) => sum + Math.log(p.y) - slope * Math.log(p.x), 0) / points.length;
  const xs = points.map((p) => p.x);
  return [Math.min(...xs), Math.max(...xs)].map((x) => ({ x, y: Math.exp(intercept + slope * Math.log(x)) }));
}

const slopeText = (slope: number | null) => (slope === null || !Number.isFinite(slope) ? '–' : slope.toFixed(2));

/** Narrowest panel that keeps its tick labels apart; two side by side only where both fit at that width. */
const MIN_PANEL_WIDTH = 340;

/** Two panels' layout at `width` (sideBySide), each at most 520 px wide. */
function pairLayout(width: number): { columns: number; panelWidth: number } {
  const { columns, panelWidth } = sideBySide(width, MIN_PANEL_WIDTH);
  return { columns, panelWidth: Math.min(520, panelWidth) };
}

/** "d = 2, N = 64, 3 hidden g neurons with biases": the network and data a procedure ran on, for a figure's subtitle (the sample count where the result names it). */
function setupText(arch: { inputDim: number; hidden: number | readonly number[]; activation: string; biases: boolean } | undefined, samples?: number | null): string {
  if (!arch) return '';
  const hidden = typeof arch.hidden === 'number' ? String(arch.hidden) : arch.hidden.join('×');
  return `d = ${arch.inputDim}${typeof samples === 'number' ? `, N = ${samples}` : ''}, ${hidden} hidden ${arch.activation} neurons ${arch.biases ? 'with' : 'without'} biases`;
}

/**
 * channel-jump: |loss − L∞| against ε and λ_max against 1/ε, log-log, each with its least-squares
 * slope beside the law the paper states (ε², and 1/ε² for a pair, 1/ε⁴ for three carriers).
 */
function channelJumpFigure(result: ChannelJumpResult, width: number): SVGSVGElement {
  const title = 'Following the channel: the loss gap and the curvature as ε shrinks';
  const gaps = result.records.filter((r) => r.gap !== null && r.gap !== 0 && r.epsilon > 0).map((r) => ({ x: r.epsilon, y: Math.abs(r.gap!), jump: r.jump }));
  const curvature = result.records.filter((r) => r.lambdaMax > 0 && r.inverseEpsilon > 0).map((r) => ({ x: r.inverseEpsilon, y: r.lambdaMax, jump: r.jump }));
  if (gaps.length === 0 && curvature.length === 0) return messageFigure(title, 'no jump recorded a loss gap or a largest eigenvalue');
  const carriers = result.carriers.members.length;
  const gapSlope = result.slopes.gapVsEpsilon;
  // λ_max against 1/ε: the result's slope is against ε
  const curvatureSlope = result.slopes.lambdaMaxVsEpsilon === null ? null : -result.slopes.lambdaMaxVsEpsilon;
  const expectedCurvature = 2 * (carriers - 1);
  const { columns, panelWidth } = pairLayout(width);
  const tip = (what: string) => (p: { x: number; y: number; jump: number }) => `jump ${p.jump}: ${what} ${formatNumber(p.y)}`;
  const panels = [];
  if (gaps.length > 0) {
    panels.push({
      heading: `Loss gap: slope ${slopeText(gapSlope)} (the paper: 2)`,
      plot: Plot.plot({
        ...PANEL,
        width: panelWidth,
        x: { type: 'log', label: 'ε, half the distance of the carriers (log scale), shrinking →', labelAnchor: 'right', tickFormat: logTick, reverse: true },
        y: { type: 'log', nice: true, label: `↑ ${result.gapSign === -1 ? '|loss − L∞| (L∞ above the loss)' : 'loss − L∞'} (log scale)`, grid: true, ticks: decadeTicks(gaps.map((p) => p.y)), tickFormat: logTick },
        marks: [
          ...(gapSlope !== null && gaps.length >= 2 ? [Plot.line(fittedLine(gaps, gapSlope), { x: 'x', y: 'y', stroke: '#999', strokeDasharray: '5,3' })] : []),
          Plot.dot(gaps, { x: 'x', y: 'y', fill: OUTCOME_COLORS.channel, r: 3.5, title: tip('|loss − L∞|') }),
        ],
      }),
    });
  }
  if (curvature.length > 0) {
    panels.push({
      heading: `λ_max: slope ${slopeText(curvatureSlope)} (the paper: ${expectedCurvature})`,
      plot: Plot.plot({
        ...PANEL,
        width: panelWidth,
        x: { type: 'log', label: '1/ε (log scale): farther along the channel →', labelAnchor: 'right', tickFormat: logTick },
        y: { type: 'log', nice: true, label: '↑ λ_max of the Hessian (log scale)', grid: true, ticks: decadeTicks(curvature.map((p) => p.y)), tickFormat: logTick },
        marks: [
          ...(curvatureSlope !== null && curvature.length >= 2 ? [Plot.line(fittedLine(curvature, curvatureSlope), { x: 'x', y: 'y', stroke: '#999', strokeDasharray: '5,3' })] : []),
          Plot.dot(curvature, { x: 'x', y: 'y', fill: '#1f77b4', r: 3.5, title: tip('λ_max') }),
        ],
      }),
    });
  }
  const carriedBy = carriers === 2 ? `the pair ${result.carriers.members.join(', ')}` : `${carriers} neurons (${result.carriers.members.join(', ')})`;
  const setup = setupText(result.arch, result.options?.setup?.data?.samples);
  const jumps = result.records.length - 1;
  return composeFigure({
    width,
    title,
    subtitle: [
      `One network${setup ? ` (${setup})` : ''}: the channel of ${carriedBy} in hidden layer ${result.carriers.layer + 1}, re-equilibrated at every jump.`,
      `${result.records.length} points: the start and ${jumps} jump${jumps === 1 ? '' : 's'}${result.options?.factor ? ` of ε × ${result.options.factor}` : ''}; dashed: the least-squares line on log-log axes, whose slope each heading gives.`,
    ],
    panels,
    columns,
    note: `The paper: along a channel the loss approaches L∞ like ε² and λ_max grows like 1/ε² (for a pair; 1/ε⁴ for three carriers).${result.stopped ? ` The jumps stopped at ${result.stopped.jump}: ${result.stopped.reason}.` : ''}`,
  });
}

const SADDLE_FATE_COLORS: Record<SaddleFate, string> = {
  'saddle-line': OUTCOME_COLORS['plateau-saddle'],
  channel: OUTCOME_COLORS.channel,
  minimum: OUTCOME_COLORS['finite-minimum'],
  'other-saddle-line': '#c9a227',
  'not-converged': OUTCOME_COLORS['not-converged'],
  diverged: OUTCOME_COLORS.diverged,
};

/**
 * saddle-perturbation: along the saddle line, the negative curvature at each θ_γ, and where the flow
 * pushed off it ended (its final loss against the r-neuron network's), by fate.
 */
function saddlePerturbationFigure(result: SaddlePerturbationResult, width: number): SVGSVGElement {
  const title = 'Pushed off the saddle line: where each γ ended';
  const rows = result.table;
  if (rows.length === 0) return messageFigure(title, 'no γ was run');
  const fates = (Object.keys(SADDLE_FATE_COLORS) as SaddleFate[]).filter((fate) => rows.some((row) => row.fate === fate));
  const { columns, panelWidth } = pairLayout(width);
  const curvature = rows.filter((row) => row.lambdaMin !== null).map((row) => ({ gamma: row.gamma, lambdaMin: row.lambdaMin!, fate: row.fate }));
  const ended = rows.filter((row) => row.finalLoss > 0 && Number.isFinite(row.finalLoss));
  const reference = result.base.loss;
  const fateColors = { domain: fates, range: fates.map((fate) => SADDLE_FATE_COLORS[fate]) };
  return composeFigure({
    width,
    title,
    subtitle: [
      `γ splits a neuron of a converged network (${setupText(result.base.arch, result.options?.data?.samples)}) in two, onto a saddle line.`,
      `Each of the ${rows.length} θ_γ is pushed along its most negative curvature and followed by gradient flow: one run per γ, coloured by its fate.`,
    ],
    legend: fates.map((fate) => ({ label: fate.replace(/-/g, ' '), color: SADDLE_FATE_COLORS[fate], shape: 'dot' as const })),
    panels: [
      {
        heading: 'Along the saddle line: the most negative curvature',
        plot: Plot.plot({
          ...PANEL,
          width: panelWidth,
          x: { label: 'γ, how the split neuron’s output weight is shared →', labelAnchor: 'right' },
          y: { label: '↑ λ_min of the Hessian at θ_γ', grid: true },
          color: fateColors,
          // the dots in their run's fate, so the stable stretch of the line (λ_min ≈ 0) reads as where runs came back
          marks: [
            Plot.ruleY([0], { stroke: '#bbb' }),
            Plot.line(curvature, { x: 'gamma', y: 'lambdaMin', stroke: '#999' }),
            Plot.dot(curvature, { x: 'gamma', y: 'lambdaMin', fill: 'fate', r: 4, title: (p: (typeof curvature)[number]) => `γ = ${formatNumber(p.gamma)}: λ_min ${formatNumber(p.lambdaMin)} (${p.fate})` }),
          ],
        }),
      },
      {
        heading: 'Where the flow ended: its final loss',
        plot: Plot.plot({
          ...PANEL,
          width: panelWidth,
          x: { label: 'γ →', labelAnchor: 'right' },
          y: { type: 'log', nice: true, label: '↑ final training loss (log scale)', grid: true, ticks: decadeTicks([...ended.map((row) => row.finalLoss), ...(reference > 0 ? [reference] : [])]), tickFormat: logTick },
          color: fateColors,
          marks: [
            ...(reference > 0 ? [Plot.ruleY([reference], { stroke: '#333', strokeDasharray: '4,3' }), Plot.text([reference], { y: (d: number) => d, frameAnchor: 'right', textAnchor: 'end', dy: -7, text: () => 'L(θ*), the saddle line', fontSize: 11 })] : []),
            Plot.dot(ended, { x: 'gamma', y: 'finalLoss', fill: 'fate', r: 4, title: (row: (typeof rows)[number]) => `γ = ${formatNumber(row.gamma)}: ${row.fate}, loss ${formatNumber(row.finalLoss)} (${row.reason})` }),
          ],
        }),
      },
    ],
    columns,
    note: 'A run back at L(θ*) returned to the saddle line; one below it found a channel or a lower minimum.',
  });
}

const GD_FATE_COLORS: Record<GdFate, string> = {
  kept: OUTCOME_COLORS.channel,
  stabilised: '#ff7f0e',
  left: OUTCOME_COLORS['not-converged'],
  diverged: OUTCOME_COLORS.diverged,
};

/**
 * gd-from-channel: each GD run's λ_max·η/2 at its start in the channel and at its end, by fate: runs
 * from below the edge stay (kept), from past it they are thrown out, diverge, or come down to it.
 */
function gdFromChannelFigure(result: GdFromChannelResult, width: number): SVGSVGElement {
  const title = 'GD started inside a channel: λ_max·η/2 at the start and at the end';
  const runs = result.runs.filter((run) => run.startRatio > 0 && run.finalRatio !== null && run.finalRatio > 0);
  const diverged = result.runs.filter((run) => run.fate === 'diverged').length;
  const etas = new Set(result.runs.map((run) => run.eta));
  if (runs.length === 0) return messageFigure(title, 'no GD run that did not diverge');
  const fates = (Object.keys(GD_FATE_COLORS) as GdFate[]).filter((fate) => runs.some((run) => run.fate === fate));
  const values = runs.flatMap((run) => [run.startRatio, run.finalRatio!]);
  const [low, high] = [Math.min(...values, 0.5) / 1.5, Math.max(...values, 2) * 1.5];
  const ticks = decadeTicks([low, high], { exactDomain: true });
  const plot = Plot.plot({
    ...PANEL,
    width: Math.min(Math.max(420, width - 40), 640),
    height: 360,
    // one domain, so one set of ticks on both axes
    x: { type: 'log', domain: [low, high], label: 'λ_max·η/2 at the start (log scale): past the edge →', labelAnchor: 'right', ticks, tickFormat: logTick },
    y: { type: 'log', domain: [low, high], label: '↑ λ_max·η/2 at the end (log scale)', grid: true, ticks, tickFormat: logTick },
    color: { domain: fates, range: fates.map((fate) => GD_FATE_COLORS[fate]) },
    marks: [
      Plot.line([{ x: low, y: low }, { x: high, y: high }], { x: 'x', y: 'y', stroke: '#bbb' }),
      Plot.ruleY([1], { stroke: '#333', strokeDasharray: '5,3' }),
      Plot.ruleX([1], { stroke: '#333', strokeDasharray: '5,3' }),
      Plot.text([1], { y: (d: number) => d, frameAnchor: 'left', textAnchor: 'start', dx: 4, dy: -7, text: () => 'the edge λ_max = 2/η', fontSize: 11 }),
      Plot.dot(runs, {
        x: 'startRatio',
        y: 'finalRatio',
        fill: 'fate',
        r: 3.5,
        stroke: 'white',
        strokeWidth: 0.5,
        title: (run: (typeof runs)[number]) => `${run.start}, η = ${formatNumber(run.eta)}: ${run.fate}; λ_max·η/2 ${formatNumber(run.startRatio)} → ${formatNumber(run.finalRatio)}`,
      }),
    ],
  });
  return composeFigure({
    width,
    title,
    subtitle: [
      `One dot per GD run (${runs.length} of ${result.runs.length}: ${result.starts?.length ?? '?'} starts along the channels of ${setupText(result.options?.architecture, result.options?.data?.samples) || 'the toy problem'}, each at ${etas.size} η), from a point of a flow inside its channel.`,
      'Grey diagonal: where it started. GD at step η is unstable where λ_max·η/2 > 1.',
    ],
    legend: fates.map((fate) => ({ label: fate, color: GD_FATE_COLORS[fate], shape: 'dot' as const })),
    panels: [{ plot }],
    note: `The paper: GD stalls where λ_max ≈ 2/η: from below the edge it stays in the channel (kept); from past it it is thrown out (left), diverges, or brings λ_max down to the edge (stabilised).${diverged > 0 ? ` ${diverged} diverged run${diverged === 1 ? '' : 's'} not shown.` : ''}`,
  });
}

/** The figure of a procedure's result by its preset's name; null for a procedure without one. */
export function procedureFigure(preset: string, result: unknown, width: number): SVGSVGElement | null {
  switch (preset) {
    case 'channel-jump':
      return channelJumpFigure(result as ChannelJumpResult, width);
    case 'saddle-perturbation':
      return saddlePerturbationFigure(result as SaddlePerturbationResult, width);
    case 'gd-from-channel':
      return gdFromChannelFigure(result as GdFromChannelResult, width);
    default:
      return null;
  }
}
