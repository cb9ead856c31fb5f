// Fractions with 95% Wilson intervals as grouped bars with whiskers: the summary chart and the
// optimiser comparison draw the same thing.
import * as Plot from '@observablehq/plot';
import { bandAxisLabels, PLOT_STYLE } from './figure.js';

export interface FractionRow {
  group: string;
  /** the bar within a group (an outcome, a criterion) */
  category: string;
  successes: number;
  n: number;
  fraction: number;
  low: number;
  high: number;
}

export interface FractionBarsOptions {
  colors: Record<string, string>;
  /** category order */
  categories: string[];
  /** the label of the group axis (what was grouped by) */
  groupLabel: string;
  width: number;
  height?: number;
}

/**
 * A whisker's cap: a short horizontal tick 2r wide (Plot draws a symbol with size πr²). Caps as wide
 * as the bars would read as bars where the bar itself is empty (0/20 with its interval up to 16%).
 */
const WHISKER_CAP = {
  draw(context: { moveTo(x: number, y: number): void; lineTo(x: number, y: number): void }, size: number): void {
    const half = Math.sqrt(size / Math.PI);
    context.moveTo(-half, 0);
    context.lineTo(half, 0);
  },
};

/** Whether bars this many carry their "k/n" labels (more would crowd). */
export function showsCounts(bars: number): boolean {
  return bars <= 36;
}

export function fractionBars(rows: readonly FractionRow[], options: FractionBarsOptions): Element {
  const groups = [...new Set(rows.map((r) => r.group))];
  const bars = rows.length;
  const showCounts = showsCounts(bars);
  const padding = 0.12;
  // group names wrap within their group's width (or are angled, the first one reaching left into the margin), so neighbours never overlap
  const band = (marginLeft: number) => ((options.width - marginLeft - 20) / groups.length) * (1 - padding / 2);
  const angled = bandAxisLabels(groups, band(56));
  const marginLeft = Math.max(56, Math.min(options.width / 3, angled.overhangLeft - band(56) / 2 + 8));
  const labels = bandAxisLabels(groups, band(marginLeft));
  return Plot.plot({
    ...PLOT_STYLE,
    width: options.width,
    height: (options.height ?? 340) + labels.marginBottom - 40,
    marginLeft,
    marginBottom: labels.marginBottom,
    marginTop: 24,
    fx: { label: groups.length > 1 ? options.groupLabel : null, domain: groups, padding, tickRotate: labels.tickRotate, tickFormat: labels.tickFormat, axis: 'bottom' },
    x: { axis: null, domain: options.categories, paddingInner: 0.12 },
    y: { label: '↑ runs (%)', domain: [0, 1], grid: true, tickFormat: (v: number) => `${Math.round(100 * v)}%` },
    color: { domain: Object.keys(options.colors), range: Object.values(options.colors) },
    marks: [
      Plot.barY(rows, { fx: 'group', x: 'category', y: 'fraction', fill: 'category', title: (r: FractionRow) => `${r.group}\n${r.category}: ${r.successes}/${r.n} = ${(100 * r.fraction).toFixed(1)}% [${(100 * r.low).toFixed(1)}%, ${(100 * r.high).toFixed(1)}%]` }),
      Plot.ruleX(rows, { fx: 'group', x: 'category', y1: 'low', y2: 'high', stroke: '#111', strokeWidth: 1.3 }),
      Plot.dot(rows, { fx: 'group', x: 'category', y: 'low', symbol: WHISKER_CAP, r: 4, stroke: '#111', strokeWidth: 1.3 }),
      Plot.dot(rows, { fx: 'group', x: 'category', y: 'high', symbol: WHISKER_CAP, r: 4, stroke: '#111', strokeWidth: 1.3 }),
      ...(showCounts ? [Plot.text(rows, { fx: 'group', x: 'category', y: 'high', text: (r: FractionRow) => `${r.successes}/${r.n}`, dy: -8, fontSize: 10.5, fill: '#333' })] : []),
      Plot.ruleY([0]),
    ],
  });
}
