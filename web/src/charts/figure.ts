// A figure is one self-contained SVG: title, subtitle, legend and one or more Observable Plot
// panels side by side (or in rows). Keeping everything in one SVG element makes "export as SVG"
// a serialisation and "export as PNG" one canvas draw, with the title and legend included.
import * as Plot from '@observablehq/plot';

const SVG_NS = 'http://www.w3.org/2000/svg';
export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

// One palette for outcomes across the dashboard (the app's progress bar and table use it too).
export { OUTCOME_COLORS, OUTCOME_LABELS } from './outcome-style.js';

/** Defaults for every Plot panel: readable type at laptop size. */
export const PLOT_STYLE = { fontSize: '12px', fontFamily: FONT, background: 'white', overflow: 'visible' } as const;

export interface LegendEntry {
  label: string;
  color: string;
  /** swatch shape: a filled square (bars), a dot, an open triangle, or a line */
  shape?: 'square' | 'dot' | 'triangle' | 'line';
}

export interface Panel {
  /** an SVG from Plot.plot (no figure wrapper: do not pass title/caption/legend to Plot) */
  plot: Element;
  /** a heading above this panel */
  heading?: string;
}

export interface FigureSpec {
  title: string;
  /** one line, or several */
  subtitle?: string | string[];
  legend?: LegendEntry[];
  /** a colour-ramp legend (Plot.legend(...) returns an SVG for ramps) */
  ramp?: Element;
  panels: Panel[];
  /** panels per row (default: all in one row) */
  columns?: number;
  /** a line of small print under the panels (what was left out, how something was computed) */
  note?: string;
  /**
   * the width the figure is drawn for (its column): text wraps within it, so that a long title or
   * subtitle beside narrow panels does not widen the figure past it (scaled down, every label with
   * it); absent: text wraps at the panels' width, or 480 px, and the title not at all
   */
  width?: number;
}

function svgElement<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function sizeOf(element: Element): { width: number; height: number } {
  const width = Number(element.getAttribute('width'));
  const height = Number(element.getAttribute('height'));
  if (width > 0 && height > 0) return { width, height };
  const box = (element.getAttribute('viewBox') ?? '').split(/[\s,]+/).map(Number);
  return { width: box[2] || 640, height: box[3] || 400 };
}

/** A 2-D canvas to measure text with (a figure is laid out detached, where SVG text has no length yet); null outside a browser. */
let measuring: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null | undefined;
function measuringContext(): CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null {
  if (measuring === undefined) {
    try {
      measuring = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1).getContext('2d') : typeof document !== 'undefined' ? document.createElement('canvas').getContext('2d') : null;
    } catch {
      measuring = null;
    }
  }
  return measuring;
}

/**
 * The width of a line of text for laying out legends, titles and notes: measured in this browser's
 * font, with 6% to spare for a viewer of the exported SVG whose font runs wider; estimated at 0.56 em
 * per character where nothing can measure (Node).
 */
function textWidth(text: string, size: number, weight = 400): number {
  const context = measuringContext();
  if (!context) return text.length * size * 0.56;
  context.font = `${weight} ${size}px ${FONT}`;
  return 1.06 * context.measureText(text).width;
}

/** A line of text broken at spaces into lines of at most `width` (estimated; a single long word stays whole). */
export function wrapLine(text: string, size: number, width: number, weight = 400): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const candidate = current ? `${current} ${word}` : word;
    if (current && textWidth(candidate, size, weight) > width) {
      lines.push(current);
      current = word;
    } else {
      current = candidate;
    }
  }
  if (current) lines.push(current);
  return lines;
}

/** `text` wrapped to `width` on at most `maxLines` lines, the last one cut with "…" where the text goes on. */
export function clampLines(text: string, size: number, width: number, maxLines: number): string[] {
  const lines = wrapLine(text, size, width);
  const kept = lines.slice(0, Math.max(1, maxLines));
  const last = kept.length - 1;
  if (kept.length < lines.length || textWidth(kept[last], size) > width) {
    let cut = kept[last];
    while (cut.length > 1 && textWidth(`${cut}…`, size) > width) cut = cut.slice(0, -1);
    kept[last] = `${cut.trimEnd()}…`;
  }
  return kept;
}

/** The width of the widest of these lines (estimated as textWidth does). */
export function linesWidth(lines: readonly string[], size: number): number {
  return Math.max(0, ...lines.map((line) => textWidth(line, size)));
}

/** How a band axis writes its category names: wrapped, or angled when a word is wider than a band. */
export interface BandAxisLabels {
  tickFormat: (label: string) => string;
  tickRotate: number;
  /** the bottom margin the labels and the axis label below them need */
  marginBottom: number;
  /** how far an angled first label reaches left of its band's middle (0 when wrapped) */
  overhangLeft: number;
}

/**
 * Tick labels of a band axis whose bands are `bandWidth` wide: each name broken at spaces onto lines
 * that fit its band ("sgd η=0.1" over "batch=16"), so neighbours never overlap; where one word alone
 * is wider than a band, the names are angled instead.
 */
export function bandAxisLabels(labels: readonly string[], bandWidth: number, fontSize = 12): BandAxisLabels {
  const room = Math.max(bandWidth - 6, 20);
  const wrapped = new Map(labels.map((label) => [label, wrapLine(label, fontSize, room)]));
  const fits = [...wrapped.values()].every((lines) => lines.every((line) => textWidth(line, fontSize) <= room));
  if (fits) {
    const lines = Math.max(1, ...[...wrapped.values()].map((l) => l.length));
    return { tickFormat: (label) => (wrapped.get(label) ?? [label]).join('\n'), tickRotate: 0, marginBottom: 24 + lines * fontSize * 1.2, overhangLeft: 0 };
  }
  // angled by 30°: a label reaches down sin 30° and left cos 30° of its length; past 60 characters it
  // is cut (whole in the bar's tooltip), so a grouping by several fields keeps the bars in view
  const MAX_CHARS = 60;
  const shown = (label: string) => (label.length > MAX_CHARS ? `${label.slice(0, MAX_CHARS - 1)}…` : label);
  const longest = Math.max(...labels.map((label) => textWidth(shown(label), fontSize)));
  return { tickFormat: shown, tickRotate: -30, marginBottom: 24 + fontSize * 1.5 + longest * 0.5, overhangLeft: longest * Math.cos(Math.PI / 6) };
}

/**
 * A Plot render transform for point labels written to the right of their points (textAnchor start,
 * offset `dx`): a label that would overlap one already written is left out, labels written in the
 * order of `rank` (lowest first), so the labels that matter most are the ones kept.
 */
export function withoutOverlappingLabels(text: readonly string[], fontSize: number, dx: number, rank: (i: number) => number): Plot.RenderFunction {
  return (index, scales, values, dimensions, context, next) => {
    const X = values.x as ArrayLike<number>;
    const Y = values.y as ArrayLike<number>;
    const taken: { x1: number; x2: number; y1: number; y2: number }[] = [];
    const shown: number[] = [];
    for (const i of [...index].sort((a, b) => rank(a) - rank(b))) {
      const box = { x1: X[i] + dx, x2: X[i] + dx + textWidth(text[i], fontSize), y1: Y[i] - 0.65 * fontSize, y2: Y[i] + 0.65 * fontSize };
      if (taken.some((t) => box.x1 < t.x2 && t.x1 < box.x2 && box.y1 < t.y2 && t.y1 < box.y2)) continue;
      taken.push(box);
      shown.push(i);
    }
    return next!(shown, scales, values, dimensions, context);
  };
}

/** The narrowest a panel is drawn when panels stack in one column. */
const NARROWEST_PANEL = 280;

/**
 * Panels side by side where `width` holds `columns` of them at `minPanel` px or more, else stacked in
 * one column the width's breadth: a figure wider than its container is scaled down to it, and two
 * panels of 340 px in a 400 px column would shrink every label to half its size.
 */
export function sideBySide(width: number, minPanel: number, columns = 2): { columns: number; panelWidth: number } {
  if (columns > 1 && width - 60 >= columns * minPanel) return { columns, panelWidth: Math.floor((width - 60) / columns) };
  return { columns: 1, panelWidth: Math.max(NARROWEST_PANEL, Math.floor(width - 40)) };
}

export function composeFigure(spec: FigureSpec): SVGSVGElement {
  const margin = 14;
  const gap = 18;
  const columns = Math.max(1, Math.min(spec.columns ?? spec.panels.length, spec.panels.length));
  const sizes = spec.panels.map((panel) => sizeOf(panel.plot));
  const headingHeight = spec.panels.some((p) => p.heading) ? 20 : 0;
  const columnWidths = Array.from({ length: columns }, (_, c) => Math.max(0, ...sizes.filter((_, k) => k % columns === c).map((s) => s.width)));
  const rows = Math.ceil(spec.panels.length / columns);
  const rowHeights = Array.from({ length: rows }, (_, r) => Math.max(0, ...sizes.slice(r * columns, (r + 1) * columns).map((s) => s.height)) + headingHeight);
  const contentWidth = columnWidths.reduce((s, w) => s + w, 0) + gap * (columns - 1);

  const svg = svgElement('svg', { xmlns: SVG_NS, 'font-family': FONT, fill: 'currentColor' });
  svg.appendChild(svgElement('rect', { x: 0, y: 0, width: '100%', height: '100%', fill: 'white' }));
  // subtitles and the note wrap to the plots' width (480 px at least, where the column holds it), the
  // title to the column's: a long line would widen the figure, and a figure scaled down to its column
  // shrinks every label with it (a phone's one column of panels, say)
  const available = spec.width !== undefined ? spec.width - 2 * margin : Infinity;
  const wrapWidth = Math.max(contentWidth, Math.min(480, available));
  const titleLines = Number.isFinite(available) ? wrapLine(spec.title, 16, Math.max(wrapWidth, available), 600) : [spec.title];
  const subtitles = (typeof spec.subtitle === 'string' ? [spec.subtitle] : (spec.subtitle ?? [])).flatMap((line) => wrapLine(line, 12.5, wrapWidth));
  let y = margin + 16;
  titleLines.forEach((line, k) => {
    if (k > 0) y += 20;
    svg.appendChild(svgElement('text', { x: margin, y, 'font-size': 16, 'font-weight': 600, fill: '#111' }, line));
  });
  for (const line of subtitles) {
    y += 18;
    svg.appendChild(svgElement('text', { x: margin, y, 'font-size': 12.5, fill: '#444' }, line));
  }

  // legend swatches, wrapping to the content width
  let legendWidth = 0;
  if (spec.legend && spec.legend.length > 0) {
    y += 12;
    let x = margin;
    const rowHeight = 18;
    let top = y;
    for (const entry of spec.legend) {
      const width = 18 + textWidth(entry.label, 12) + 16;
      if (x > margin && x + width > margin + wrapWidth) {
        x = margin;
        top += rowHeight;
      }
      const g = svgElement('g', { transform: `translate(${x},${top})` });
      const shape = entry.shape ?? 'square';
      if (shape === 'square') g.appendChild(svgElement('rect', { x: 0, y: 2, width: 12, height: 12, fill: entry.color }));
      else if (shape === 'dot') g.appendChild(svgElement('circle', { cx: 6, cy: 8, r: 4.5, fill: entry.color }));
      else if (shape === 'triangle') g.appendChild(svgElement('path', { d: 'M6,2.5L11.5,12.5H0.5Z', fill: 'none', stroke: entry.color, 'stroke-width': 1.6 }));
      else g.appendChild(svgElement('line', { x1: 0, x2: 14, y1: 8, y2: 8, stroke: entry.color, 'stroke-width': 2.5 }));
      g.appendChild(svgElement('text', { x: 18, y: 12.5, 'font-size': 12, fill: '#222' }, entry.label));
      svg.appendChild(g);
      x += width;
      legendWidth = Math.max(legendWidth, x);
    }
    y = top + rowHeight;
  }
  if (spec.ramp) {
    y += 6;
    const { width, height } = sizeOf(spec.ramp);
    const holder = svgElement('svg', { x: margin, y, width, height, overflow: 'visible' });
    holder.appendChild(spec.ramp);
    svg.appendChild(holder);
    y += height;
    legendWidth = Math.max(legendWidth, margin + width);
  }
  y += 8;

  let top = y;
  for (let r = 0; r < rows; r++) {
    let x = margin;
    for (let c = 0; c < columns; c++) {
      const k = r * columns + c;
      if (k >= spec.panels.length) break;
      const panel = spec.panels[k];
      if (panel.heading) svg.appendChild(svgElement('text', { x: x + 4, y: top + 14, 'font-size': 13, 'font-weight': 600, fill: '#222' }, panel.heading));
      const { width, height } = sizes[k];
      const holder = svgElement('svg', { x, y: top + headingHeight, width, height, overflow: 'visible' });
      holder.appendChild(panel.plot);
      svg.appendChild(holder);
      x += columnWidths[c] + gap;
    }
    top += rowHeights[r] + (r < rows - 1 ? gap / 2 : 0);
  }
  const noteLines = spec.note ? wrapLine(spec.note, 11.5, wrapWidth) : [];
  noteLines.forEach((line, k) => {
    top += k === 0 ? 16 : 15;
    svg.appendChild(svgElement('text', { x: margin, y: top, 'font-size': 11.5, fill: '#555' }, line));
  });
  const width = Math.ceil(
    Math.max(contentWidth + 2 * margin, legendWidth + margin, ...titleLines.map((line) => textWidth(line, 16, 600) + 2 * margin), ...noteLines.map((line) => textWidth(line, 11.5) + 2 * margin), ...subtitles.map((line) => textWidth(line, 12.5) + 2 * margin)),
  );
  const height = Math.ceil(top + margin);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  return svg;
}

/** A figure that only says why there is nothing to draw (kept as a figure so layouts stay put). */
export function messageFigure(title: string, message: string): SVGSVGElement {
  const text = Plot.plot({ ...PLOT_STYLE, width: 560, height: 60, axis: null, marks: [Plot.text([message], { frameAnchor: 'left', fontSize: 13, fill: '#555' })] });
  return composeFigure({ title, panels: [{ plot: text }] });
}

/** Formats a number for titles: 3 significant digits, exponent form outside [1e-3, 1e4). */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e4)) {
    const [mantissa, exponent] = value.toExponential(2).split('e');
    return `${Number(mantissa)}·10${exponent.replace('+', '').replace(/./g, (c) => SUPERSCRIPT[c] ?? c)}`;
  }
  return Number(value.toPrecision(3)).toString();
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/**
 * Ticks for a log axis with a grid over `values`: the powers of ten where the range, rounded out to
 * powers of ten (as a `nice` axis and Plot's choice of ticks round it), covers three decades or more
 * (Plot would then tick and grid 2…9 of every decade too, a crowd of lines); undefined, Plot's default,
 * over a narrower range, where 2, 3, 5… help to read it. On an axis whose domain is exactly the
 * values' range (not `nice`), the powers inside it, if there are at least three (Plot draws a tick
 * outside the domain at its edge; with fewer, its default reads better).
 */
export function decadeTicks(values: readonly number[], { exactDomain = false } = {}): number[] | undefined {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return undefined;
  const [min, max] = [Math.min(...positive), Math.max(...positive)];
  const [low, high] = [Math.floor(Math.log10(min)), Math.ceil(Math.log10(max))];
  if (high - low < 3) return undefined;
  // 1e-5 written out, not 10 ** -5 (one rounding off, it could fall outside an exact domain's edge)
  const powers = Array.from({ length: high - low + 1 }, (_, k) => Number(`1e${low + k}`));
  if (!exactDomain) return powers;
  const inside = powers.filter((p) => p >= min && p <= max);
  return inside.length >= 3 ? inside : undefined;
}

/**
 * Tick labels for log axes: powers of ten always (10⁻⁴ outside [0.001, 10⁴)), other ticks only
 * where they read as plain numbers (0.02, 300), so crowded small-number ticks do not overlap.
 */
export function logTick(value: number): string {
  if (!(value > 0)) return '';
  const exponent = Math.round(Math.log10(value));
  const isDecade = Math.abs(value / 10 ** exponent - 1) < 1e-9;
  const plain = value >= 1e-3 && value < 1e4;
  if (isDecade) return plain ? String(Number(value.toPrecision(1))) : `10${String(exponent).replace(/./g, (c) => SUPERSCRIPT[c] ?? c)}`;
  return plain ? String(Number(value.toPrecision(2))) : '';
}
