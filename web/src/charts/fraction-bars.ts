// Fractions with 95% Wilson intervals as grouped bars with whiskers: the summary chart and the
// optimiser comparison draw the same thing.
import * as Plot from '@observablehq/plot';
import { PLOT_STYLE } from './figure.js';

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

export function fractionBars(rows: readonly FractionRow[], options: FractionBarsOptions): Element {
  const groups = [...new Set(rows.map((r) => r.group))];
  const bars = rows.length;
  const showCounts = bars <= 36;
  const longestGroup = Math.max(...groups.map((g) => g.length));
  // long group names are written at an angle below the panels
  const angled = groups.length > 1 && longestGroup * 7 > options.width / groups.length;
  return Plot.plot({
    ...PLOT_STYLE,
    width: options.width,
    height: options.height ?? 340,
    marginLeft: 56,
    marginBottom: angled ? Math.min(140, 30 + longestGroup * 5) : 40,
    marginTop: 24,
    fx: { label: groups.length > 1 ? options.groupLabel : null, domain: groups, padding: 0.12, tickRotate: angled ? -25 : 0, axis: 'bottom' },
    x: { axis: null, domain: options.categories, paddingInner: 0.12 },
    y: { label: '↑ runs (%)', domain: [0, 1], grid: true, tickFormat: (v: number) => `${Math.round(100 * v)}%` },
    color: { domain: Object.keys(options.colors), range: Object.values(options.colors) },
    marks: [
      Plot.barY(rows, { fx: 'group', x: 'category', y: 'fraction', fill: 'category', title: (r: FractionRow) => `${r.group}\n${r.category}: ${r.successes}/${r.n} = ${(100 * r.fraction).toFixed(1)}% [${(100 * r.low).toFixed(1)}%, ${(100 * r.high).toFixed(1)}%]` }),
      Plot.ruleX(rows, { fx: 'group', x: 'category', y1: 'low', y2: 'high', stroke: '#111', strokeWidth: 1.3 }),
      Plot.tickY(rows, { fx: 'group', x: 'category', y: 'low', stroke: '#111', inset: 7 }),
      Plot.tickY(rows, { fx: 'group', x: 'category', y: 'high', stroke: '#111', inset: 7 }),
      ...(showCounts ? [Plot.text(rows, { fx: 'group', x: 'category', y: 'high', text: (r: FractionRow) => `${r.successes}/${r.n}`, dy: -8, fontSize: 10.5, fill: '#333' })] : []),
      Plot.ruleY([0]),
    ],
  });
}
