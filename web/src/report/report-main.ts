// The script of the self-contained HTML report (`channelscope report DIR --html`): reads the data
// the command inlined into the page and shows the summary chart and table and the results views,
// or, for a procedure's folder, the figures drawn from its result.
import { NOT_CONVERGED_CAUSES } from '../../../src/analysis/classify.js';
import type { RunRecord } from '../../../src/experiment/results.js';
import { CAUSES_NOTE, quartileText, REACH_HEADERS, REACH_MEASURES, REACH_NOTE } from '../../../src/experiment/report-text.js';
import { type Report } from '../../../src/experiment/summary.js';
import { edgeOfStabilityPoints, lossAtInfinityCurve, toyChannelPoints } from '../../../src/experiment/preset-reports.js';
import type { RunConfig } from '../../../src/experiment/spec.js';
import { readableColumns, type PresetTable } from '../../../src/experiment/tables.js';
import '../charts/cs-chart.js';
import '../charts/cs-summary-chart.js';
import { channelFrequencyFigure, edgeOfStabilityFigure, lossAtInfinityFigure, lossLevelsFigure, optimizerReachFigure } from '../charts/result-figures.js';
import { channelJumpFigure, gdFromChannelFigure, saddlePerturbationFigure } from '../charts/procedure-figures.js';
import type { CsSummaryTable } from '../app/cs-summary-table.js';
import '../app/cs-summary-table.js';
import '../views/cs-results-views.js';
import { markScrollEdges } from '../app/scroll-edges.js';

/** What the command inlines, as JSON in <script type="application/json" id="channelscope-report-data">. */
export interface ReportPageData {
  title: string;
  source: string;
  generatedAt: string;
  report: Report;
  /** the records, or null when they were too large to inline (then only the summary is shown) */
  records: RunRecord[] | null;
  notes: string[];
}

export const REPORT_DATA_ID = 'channelscope-report-data';

/** An empty summary-styled table with its caption and column headers. */
function headedTable(caption: string, labels: readonly string[]): HTMLTableElement {
  const table = document.createElement('table');
  table.className = 'summary';
  table.createCaption().textContent = caption;
  const head = table.createTHead().insertRow();
  for (const label of labels) {
    const th = document.createElement('th');
    th.textContent = label;
    head.appendChild(th);
  }
  return table;
}

/** Text that never breaks across lines (an interval, a count with its fraction). */
function unbroken(text: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = 'unbroken';
  span.textContent = text;
  return span;
}

/**
 * A cell's text; "0 (0.0% [0.0%, 49.0%])" may break before its interval and nowhere else, so a
 * narrow table wraps it in two lines instead of three.
 */
function fillCell(cell: HTMLTableCellElement, value: string | number): void {
  const text = String(value);
  const at = text.indexOf(' [');
  if (at < 0) cell.textContent = text;
  else cell.append(unbroken(text.slice(0, at)), ' ', unbroken(text.slice(at + 1)));
}

/** A headed table with one row of cells per entry of `rows`. */
function filledTable(caption: string, labels: readonly string[], rows: readonly (readonly (string | number)[])[]): HTMLTableElement {
  const table = headedTable(caption, labels);
  const body = table.createTBody();
  for (const cells of rows) {
    const row = body.insertRow();
    for (const value of cells) fillCell(row.insertCell(), value);
  }
  return table;
}

/**
 * A table in a box that scrolls sideways, so a wide table never overflows its section; while columns
 * lie past its right edge, that edge fades (markScrollEdges, as the summary table's).
 */
function scrolling(table: HTMLTableElement): HTMLDivElement {
  const frame = document.createElement('div');
  frame.className = 'table-frame';
  const box = document.createElement('div');
  box.className = 'table-scroll';
  box.appendChild(table);
  frame.appendChild(box);
  // measured once the frame is in the page (a detached box has no width)
  requestAnimationFrame(() => markScrollEdges(frame, box));
  return frame;
}

/** A paragraph of explanation under a table. */
function note(text: string): HTMLParagraphElement {
  const paragraph = document.createElement('p');
  paragraph.className = 'note';
  paragraph.textContent = text;
  return paragraph;
}

/** With `report --carriers`: the channels of each group by the neurons carrying them. */
function carriersTable(report: Report): HTMLTableElement | null {
  if (!report.carriers) return null;
  return filledTable(
    "Channels by the neurons carrying them (chosen on each run's data): a pair's limit is the GLU; three or four neurons add σ″ (σ‴) terms.",
    ['group', 'channels', 'carried by a pair', 'by three neurons', 'by four', 'data not rebuilt'],
    report.carriers.map((counts) => [counts.key, counts.channels, counts.pair, counts.three, counts.four, counts.unknown]),
  );
}

/** The not-converged runs of each group by cause, as the markdown report counts them. */
function causesTable(report: Report): HTMLTableElement {
  return filledTable(
    'Not converged, by cause',
    ['group', 'runs', ...NOT_CONVERGED_CAUSES],
    report.causes.map((group) => [group.key, group.n, ...NOT_CONVERGED_CAUSES.map((cause) => group.outcomes[cause].successes)]),
  );
}

/** How far each group's runs got: median [lower quartile, upper quartile] of each reach measure. */
function reachTable(report: Report): HTMLTableElement {
  return filledTable(
    'How far runs got',
    ['group', 'runs', ...REACH_MEASURES.map((measure) => REACH_HEADERS[measure])],
    report.reach.map((group) => [group.key, group.n, ...REACH_MEASURES.map((measure) => quartileText(group[measure]))]),
  );
}

/** A preset's table as its markdown shows it (fractions with intervals, quartiles), with its note, after its figure where it has one. */
function presetTable(table: PresetTable, data: ReportPageData): HTMLElement[] {
  const columns = readableColumns(table);
  const element = scrolling(filledTable(table.title, columns.map((column) => column.header), table.rows.map((row) => columns.map((column) => column.cell(row)))));
  const figure = presetFigure(table, data);
  return [...(figure ? [figure] : []), element, ...(table.note ? [note(table.note)] : [])];
}

/**
 * The figure of the runs drawn before a preset's table where one answers the preset's question better
 * than quartiles: the channel fraction by teacher and activation (from the table itself), the loss
 * levels by r, each optimiser's final weight norms beside the barrier, GD's λ_max against 2/η, and
 * the toy's L∞(w) with the runs along a channel; null for
 * other tables, and without the records (too many to inline) for those drawn from them.
 */
function presetFigure(table: PresetTable, data: ReportPageData): HTMLElement | null {
  const width = figureWidth(document.getElementById('preset-tables'), 900);
  if (table.name === 'by-teacher-activation') return chart(channelFrequencyFigure(table, width), 'channel-frequency');
  const { records } = data;
  if (!records) return null;
  switch (table.name) {
    case 'loss-levels':
      return chart(lossLevelsFigure(records, data.report.runs, width), 'loss-levels');
    case 'reach-by-optimizer':
    case 'by-optimizer':
      return chart(optimizerReachFigure(records, data.report.runs, width), 'reach-by-optimizer');
    case 'lambda-max-by-lr':
      return chart(edgeOfStabilityFigure(edgeOfStabilityPoints(records, data.report.runs), records.length, width), 'edge-of-stability');
    case 'loss-at-infinity': {
      const points = toyChannelPoints(records, data.report.runs);
      return chart(lossAtInfinityFigure(fineLossAtInfinity(table, records, points), points, records.length, width), 'loss-at-infinity');
    }
    default:
      return null;
  }
}

/**
 * L∞(w) for the figure: the table's 50 points miss a minimum's depth by up to a few percent, where
 * the runs' losses sit, so the curve is computed here on a fine grid and at each run's own w (a few
 * hundred small fits); the table's points where it cannot be.
 */
function fineLossAtInfinity(table: PresetTable, records: readonly RunRecord[], points: readonly { w: number }[]): { w: number; lossAtInfinity: number }[] {
  const tabled = table.rows.map(([w, lossAtInfinity]) => ({ w: Number(w), lossAtInfinity: Number(lossAtInfinity) }));
  const [low, high] = [tabled[0].w, tabled[tabled.length - 1].w];
  const fine = Array.from({ length: 393 }, (_, k) => low + ((high - low) * k) / 392);
  const ws = [...fine, ...points.map((p) => p.w).filter((w) => w > low && w < high)].sort((a, b) => a - b);
  const first = records[0];
  return (first && lossAtInfinityCurve(first.config as RunConfig, first.seed, ws)) || tabled;
}

/**
 * The width a figure is drawn at: its container's when the page loads, at most `widest`, so a narrow
 * window gets panels stacked at a readable size rather than a wide figure scaled down.
 */
function figureWidth(container: Element | null, widest: number): number {
  const width = container?.clientWidth ?? 0;
  return width > 0 ? Math.min(widest, width) : widest;
}

/** A figure with its SVG and PNG buttons. */
function chart(figure: SVGSVGElement, filename: string): HTMLElement {
  const element = document.createElement('cs-chart') as HTMLElement & { figure: SVGSVGElement; filename: string };
  element.figure = figure;
  element.filename = filename;
  return element;
}

function show(data: ReportPageData): void {
  const root = document.getElementById('report')!;
  const summary = document.createElement('cs-summary-chart') as HTMLElement & { report: Report };
  summary.report = data.report;
  root.querySelector('#summary-chart')!.appendChild(summary);
  const tables = root.querySelector('#summary-table')!;
  // the dashboard's table (its columns, scroll cues, CSV button and caption naming the code that trained the runs), grouped as the command line grouped the report
  const summaryTable = document.createElement('cs-summary-table') as CsSummaryTable;
  summaryTable.report = data.report;
  summaryTable.fixedGrouping = true;
  tables.append(summaryTable);
  tables.append(scrolling(causesTable(data.report)), note(CAUSES_NOTE));
  const carriers = carriersTable(data.report);
  if (carriers) tables.appendChild(scrolling(carriers));
  tables.append(scrolling(reachTable(data.report)), note(REACH_NOTE));
  root.querySelector('#preset-tables')?.append(...(data.report.presetTables ?? []).flatMap((table) => presetTable(table, data)));
  const views = root.querySelector('#views')!;
  if (data.records) {
    const element = document.createElement('cs-results-views') as HTMLElement & { records: RunRecord[]; report: Report; source: string };
    element.source = data.source;
    element.report = data.report;
    element.records = data.records;
    views.appendChild(element);
  } else {
    views.textContent = 'The runs were too many to include in this file; open runs.jsonl in the dashboard (channelscope serve) for the per-run views.';
  }
}

/** What the command inlines for a procedure's folder (channel-jump, saddle-perturbation, gd-from-channel). */
export interface ProcedurePageData {
  kind: 'procedure';
  title: string;
  preset: string;
  source: string;
  generatedAt: string;
  result: unknown;
}

/** The figures of a procedure's page, from its result; its markdown report is in the page already. */
function showProcedure(data: ProcedurePageData): void {
  const figures: Record<string, (result: never, width: number) => SVGSVGElement> = {
    'channel-jump': channelJumpFigure,
    'saddle-perturbation': saddlePerturbationFigure,
    'gd-from-channel': gdFromChannelFigure,
  };
  const draw = figures[data.preset];
  const root = document.getElementById('procedure-figures')!;
  if (!draw) {
    root.textContent = `No figures for ${data.preset}: its report below has every number.`;
    return;
  }
  root.appendChild(chart(draw(data.result as never, figureWidth(root, 1000)), data.preset));
}

const script = document.getElementById(REPORT_DATA_ID);
if (script?.textContent) {
  try {
    const data = JSON.parse(script.textContent) as ReportPageData | ProcedurePageData;
    if ('kind' in data && data.kind === 'procedure') showProcedure(data);
    else show(data as ReportPageData);
  } catch (error) {
    document.getElementById('report')!.textContent = `This report could not be shown: ${(error as Error).message}`;
  }
}
