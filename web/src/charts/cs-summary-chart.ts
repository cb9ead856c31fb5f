// <cs-summary-chart .report=${Report}>: the fraction of runs per outcome per group, with 95%
// Wilson intervals, as a bar chart; export as SVG/PNG (the numbers as CSV: beside the summary table).
import { css, html, LitElement, type PropertyValues } from 'lit';
import { OUTCOMES } from '../../../src/analysis/classify.js';
import { type Report } from '../../../src/experiment/summary.js';
import './cs-chart.js';
import { composeFigure, messageFigure, OUTCOME_COLORS, OUTCOME_LABELS } from './figure.js';
import { fractionBars, fractionBarsLayout } from './fraction-bars.js';
import { outcomeBars } from './shape.js';
import { WidthController } from './width-controller.js';

export class CsSummaryChart extends LitElement {
  static override properties = {
    report: { attribute: false },
  };

  declare report: Report | null;
  private readonly width = new WidthController(this);
  private figure: SVGSVGElement | null = null;

  static override styles = css`
    :host {
      display: block;
    }
  `;

  constructor() {
    super();
    this.report = null;
  }

  protected override willUpdate(_changed: PropertyValues): void {
    this.figure = this.report ? summaryFigure(this.report, this.width.value) : null;
  }

  override render() {
    if (!this.report) return html``;
    return html`<cs-chart .figure=${this.figure} filename="outcomes-by-group"></cs-chart>`;
  }
}

/** The summary figure: one panel of grouped bars (pure given a DOM; the HTML report reuses it). */
export function summaryFigure(report: Report, width: number): SVGSVGElement {
  const title = 'Where runs ended';
  if (report.groups.length === 0) return messageFigure(title, 'no runs loaded');
  const rows = outcomeBars(report).map((bar) => ({ ...bar, category: OUTCOME_LABELS[bar.outcome] }));
  const categories = [...new Set(rows.map((r) => r.category))];
  const colors = Object.fromEntries(OUTCOMES.map((o) => [OUTCOME_LABELS[o], OUTCOME_COLORS[o]]).filter(([label]) => categories.includes(label)));
  const grouping = report.by.length > 0 ? report.by.join(', ') : 'all runs';
  const bars = { colors, categories, groupLabel: grouping, width: Math.max(420, width - 40) };
  return composeFigure({
    width,
    title,
    subtitle: `Fraction of runs per outcome${report.by.length > 0 ? ` by ${grouping}` : ''}; whiskers: 95% Wilson intervals; ${report.runs.length} runs from ${report.source}`,
    legend: categories.map((label) => ({ label, color: colors[label] })),
    panels: [{ plot: fractionBars(rows, bars) }],
    note: `Channel: weight norm at the barrier, closest pair of equal neurons (relative L2 < 0.5) at cosine distance < 10⁻², output weights of opposite signs, last updates along the pair.${fractionBarsLayout(rows, bars).counts ? ' Labels: runs/total.' : ' (Too many bars to label: hover over a bar for its runs/total.)'}`,
  });
}

if (!customElements.get('cs-summary-chart')) customElements.define('cs-summary-chart', CsSummaryChart);
