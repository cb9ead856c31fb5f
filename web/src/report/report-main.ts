// The script of the self-contained HTML report (`channelscope report DIR --html`): reads the data
// the command inlined into the page and shows the summary chart and table and the results views,
// or, for a procedure's folder, the figures drawn from its result.
import type { RunRecord } from '../../../src/experiment/results.js';
import { type Report } from '../../../src/experiment/summary.js';
import '../charts/cs-chart.js';
import '../charts/cs-summary-chart.js';
import { procedureFigure } from '../charts/procedure-figures.js';
import type { CsSummaryTable } from '../app/cs-summary-table.js';
import '../app/cs-summary-table.js';
import '../views/cs-results-views.js';
import type { CsOutcomeTables } from '../views/cs-outcome-tables.js';
import '../views/cs-outcome-tables.js';
import type { CsPresetTables } from '../views/cs-preset-tables.js';
import '../views/cs-preset-tables.js';

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
  const outcomeTables = document.createElement('cs-outcome-tables') as CsOutcomeTables;
  outcomeTables.report = data.report;
  tables.append(outcomeTables);
  if (data.report.presetTables?.length) {
    const presetTables = document.createElement('cs-preset-tables') as CsPresetTables;
    presetTables.tables = data.report.presetTables;
    presetTables.records = data.records;
    presetTables.runs = data.report.runs;
    root.querySelector('#preset-tables')?.append(presetTables);
  }
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
  const root = document.getElementById('procedure-figures')!;
  const figure = procedureFigure(data.preset, data.result, figureWidth(root, 1000));
  if (figure) root.appendChild(chart(figure, data.preset));
  else root.textContent = `No figures for ${data.preset}: its report below has every number.`;
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
