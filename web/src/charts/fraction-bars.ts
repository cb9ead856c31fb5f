// Fractions with 95% Wilson intervals as grouped bars with whiskers: the summary chart and the
// optimiser comparison draw the same thing.
import * as Plot from '@observablehq/plot';
import { bandAxisLabels, clampLines, linesWidth, PLOT_STYLE } from './figure.js';

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
  /** the plot's height when the bars stand in columns (in rows, it grows with the groups) */
  height?: number;
}

/**
 * A whisker's cap: a short tick 2r long across the whisker (Plot draws a symbol with size πr²). Caps
 * as wide as the bars would read as bars where the bar itself is empty (0/20 with its interval up to 16%).
 */
function whiskerCap(across: 'horizontal' | 'vertical') {
  return {
    draw(context: { moveTo(x: number, y: number): void; lineTo(x: number, y: number): void }, size: number): void {
      const half = Math.sqrt(size / Math.PI);
      if (across === 'horizontal') {
        context.moveTo(-half, 0);
        context.lineTo(half, 0);
      } else {
        context.moveTo(0, -half);
        context.lineTo(0, half);
      }
    },
  };
}

/** Columns thinner than this (px) are hard to tell apart and to hover: the bars are laid out in rows instead. */
const MIN_COLUMN_WIDTH = 10;
/** The thickness of a bar laid out in rows (px). */
const ROW_BAR = 12;
/** the gaps between groups and between the bars of a group, as fractions of their bands */
const GROUP_PADDING = 0.12;
const BAR_PADDING = 0.12;
const FONT_SIZE = 12;

/** Columns carry their "k/n" labels up to this many (more would crowd). */
const MAX_LABELLED_COLUMNS = 36;

export interface FractionBarsLayout {
  /**
   * 'columns': a group's bars side by side above its name (a few groups); 'rows': one group under
   * another, bars along the fraction axis and names at the left, the chart as tall as the groups need
   * (many groups, or names too long to stand under their bars).
   */
  orientation: 'columns' | 'rows';
  /** whether each bar carries its "k/n" label */
  counts: boolean;
}

export function fractionBarsLayout(rows: readonly FractionRow[], options: FractionBarsOptions): FractionBarsLayout {
  const columns = columnsLayout(rows, options);
  if (columns.angled || columns.columnWidth < MIN_COLUMN_WIDTH) return { orientation: 'rows', counts: true };
  return { orientation: 'columns', counts: rows.length <= MAX_LABELLED_COLUMNS };
}

export function fractionBars(rows: readonly FractionRow[], options: FractionBarsOptions): Element {
  return fractionBarsLayout(rows, options).orientation === 'rows' ? barsInRows(rows, options) : barsInColumns(rows, options);
}

/** Group names wrapped within their group's width under the columns (angled where a word is wider). */
function columnsLayout(rows: readonly FractionRow[], options: FractionBarsOptions) {
  const groups = [...new Set(rows.map((r) => r.group))];
  const marginLeft = 56;
  const band = ((options.width - marginLeft - 20) / groups.length) * (1 - GROUP_PADDING / 2);
  const labels = bandAxisLabels(groups, band, FONT_SIZE);
  return { groups, marginLeft, labels, angled: labels.tickRotate !== 0, columnWidth: (band / options.categories.length) * (1 - BAR_PADDING) };
}

const percentTick = (v: number) => `${Math.round(100 * v)}%`;
const barTitle = (r: FractionRow) => `${r.group}\n${r.category}: ${r.successes}/${r.n} = ${(100 * r.fraction).toFixed(1)}% [${(100 * r.low).toFixed(1)}%, ${(100 * r.high).toFixed(1)}%]`;
const countText = (r: FractionRow) => `${r.successes}/${r.n}`;
const WHISKER = { stroke: '#111', strokeWidth: 1.3 } as const;

function barsInColumns(rows: readonly FractionRow[], options: FractionBarsOptions): Element {
  const { groups, marginLeft, labels } = columnsLayout(rows, options);
  const cap = whiskerCap('horizontal');
  return Plot.plot({
    ...PLOT_STYLE,
    width: options.width,
    height: (options.height ?? 340) + labels.marginBottom - 40,
    marginLeft,
    marginBottom: labels.marginBottom,
    marginTop: 24,
    fx: { label: groups.length > 1 ? options.groupLabel : null, domain: groups, padding: GROUP_PADDING, tickFormat: labels.tickFormat, axis: 'bottom' },
    x: { axis: null, domain: options.categories, paddingInner: BAR_PADDING },
    y: { label: '↑ runs (%)', domain: [0, 1], grid: true, tickFormat: percentTick },
    color: { domain: Object.keys(options.colors), range: Object.values(options.colors) },
    marks: [
      Plot.barY(rows, { fx: 'group', x: 'category', y: 'fraction', fill: 'category', title: barTitle }),
      Plot.ruleX(rows, { fx: 'group', x: 'category', y1: 'low', y2: 'high', ...WHISKER }),
      Plot.dot(rows, { fx: 'group', x: 'category', y: 'low', symbol: cap, r: 4, ...WHISKER }),
      Plot.dot(rows, { fx: 'group', x: 'category', y: 'high', symbol: cap, r: 4, ...WHISKER }),
      ...(rows.length <= MAX_LABELLED_COLUMNS ? [Plot.text(rows, { fx: 'group', x: 'category', y: 'high', text: countText, dy: -8, fontSize: 10.5, fill: '#333' })] : []),
      Plot.ruleY([0]),
    ],
  });
}

/**
 * One group under another: the chart grows with the groups, every bar ROW_BAR thick; a group's name
 * at its left on as many lines as its bars have room for, cut with "…" past them or past 40% of
 * the width (the whole name in its tooltip).
 */
function barsInRows(rows: readonly FractionRow[], options: FractionBarsOptions): Element {
  const groups = [...new Set(rows.map((r) => r.group))];
  const groupHeight = (options.categories.length * ROW_BAR) / (1 - BAR_PADDING);
  const maxLines = Math.max(1, Math.floor((groupHeight + 2) / (FONT_SIZE * 1.15)));
  const labelRoom = Math.max(100, 0.4 * options.width);
  const names = new Map(groups.map((group) => [group, clampLines(group, FONT_SIZE, labelRoom, maxLines)]));
  const marginLeft = Math.min(labelRoom, linesWidth([...names.values()].flat(), FONT_SIZE)) + 16;
  const [marginTop, marginBottom] = [groups.length > 1 ? 44 : 30, 36];
  const cap = whiskerCap('vertical');
  return Plot.plot({
    ...PLOT_STYLE,
    width: options.width,
    height: Math.round(marginTop + marginBottom + (groups.length * groupHeight) / (1 - GROUP_PADDING)),
    marginLeft,
    marginRight: 44, // the "k/n" right of a whisker reaching 100%
    marginTop,
    marginBottom,
    fy: { domain: groups, padding: GROUP_PADDING, axis: null },
    y: { axis: null, domain: options.categories, paddingInner: BAR_PADDING },
    // the fraction axis above and below: a tall chart has one in view wherever it is scrolled to
    x: { label: 'runs (%) →', domain: [0, 1], grid: true, tickFormat: percentTick, axis: 'both', labelAnchor: 'right' },
    color: { domain: Object.keys(options.colors), range: Object.values(options.colors) },
    marks: [
      Plot.axisFy({ anchor: 'left', label: groups.length > 1 ? options.groupLabel : null, labelAnchor: 'top', tickSize: 0, fontSize: FONT_SIZE, tickFormat: (group: string) => (names.get(group) ?? [group]).join('\n'), title: (group: string) => group }),
      Plot.barX(rows, { fy: 'group', y: 'category', x: 'fraction', fill: 'category', title: barTitle }),
      Plot.ruleY(rows, { fy: 'group', y: 'category', x1: 'low', x2: 'high', ...WHISKER }),
      Plot.dot(rows, { fy: 'group', y: 'category', x: 'low', symbol: cap, r: 4, ...WHISKER }),
      Plot.dot(rows, { fy: 'group', y: 'category', x: 'high', symbol: cap, r: 4, ...WHISKER }),
      Plot.text(rows, { fy: 'group', y: 'category', x: 'high', text: countText, dx: 6, textAnchor: 'start', fontSize: 10.5, fill: '#333' }),
      Plot.ruleX([0]),
    ],
  });
}
