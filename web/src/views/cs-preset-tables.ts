// <cs-preset-tables .tables .records .runs>: a preset's tables (preset-reports.ts), each after the
// figure that answers the preset's question where one does, each with its CSV. The dashboard shows
// them for a preset's sweep, run in the page or opened from its folder; the report page shows them too.
import { css, html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { ClassifiedRun } from '../../../src/experiment/summary.js';
import type { RunRecord } from '../../../src/experiment/results.js';
import type { RunConfig } from '../../../src/experiment/spec.js';
import { edgeOfStabilityPoints, lossAtInfinityCurve, toyChannelPoints } from '../../../src/experiment/preset-reports.js';
import { readableColumns, tableCsv, type PresetTable } from '../../../src/experiment/tables.js';
import { channelFrequencyFigure, edgeOfStabilityFigure, lossAtInfinityFigure, lossLevelsFigure, optimizerReachFigure } from '../charts/result-figures.js';
import { WidthController } from '../charts/width-controller.js';
import '../charts/cs-chart.js';
import '../app/cs-table.js';

/** A longer table (toy-1d's 50 points of L∞(w), drawn in its figure) shows this many rows until asked for all. */
const LONG_TABLE_ROWS = 15;

/** Figures are drawn at most this wide: a wider window leaves them at a readable size, not stretched. */
const WIDEST_FIGURE = 900;

export class CsPresetTables extends LitElement {
  static override properties = {
    tables: { attribute: false },
    records: { attribute: false },
    runs: { attribute: false },
  };

  declare tables: readonly PresetTable[];
  /** the runs the tables were made of, in the order of `runs`; null where they are not at hand (a report page too large to inline them): then only the figures drawn from a table itself are shown */
  declare records: readonly RunRecord[] | null;
  /** the records as classified for the tables */
  declare runs: readonly ClassifiedRun[];

  private readonly width = new WidthController(this);
  /** each table's figure (null: none), drawn again only when the tables, the runs or the width change */
  private figures: (SVGSVGElement | null)[] = [];
  private drawnAt = 0;

  constructor() {
    super();
    this.tables = [];
    this.records = null;
    this.runs = [];
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const width = Math.min(WIDEST_FIGURE, this.width.value);
    if (changed.has('tables') || changed.has('records') || changed.has('runs') || width !== this.drawnAt) {
      this.figures = this.tables.map((table) => presetFigure(table, this.records, this.runs, width));
      this.drawnAt = width;
    }
  }

  override render(): TemplateResult {
    // (keyed by name: a table folded open stays with its table, not with its place among another preset's)
    return html`${repeat(this.tables, (table) => table.name, (table, k) => {
      const columns = readableColumns(table);
      const figure = this.figures[k];
      return html`<section data-table=${table.name}>
        ${figure ? html`<cs-chart .figure=${figure} filename=${table.name}></cs-chart>` : nothing}
        <cs-table
          .caption=${table.title}
          .headers=${columns.map((column) => column.header)}
          .rows=${table.rows.map((row) => columns.map((column) => column.cell(row)))}
          .note=${table.note ?? ''}
          .csv=${() => tableCsv(table)}
          csv-filename=${`${table.name}.csv`}
          row-limit=${LONG_TABLE_ROWS}
        ></cs-table>
      </section>`;
    })}`;
  }

  static override styles = css`
    :host { display: block; }
    section + section { margin-top: 18px; }
  `;
}

/**
 * The figure drawn before a preset's table where one answers the preset's question better than the
 * table's quartiles: the channel fraction by teacher and activation (from the table itself), the loss
 * levels by r, each optimiser's final weight norms beside the barrier, GD's λ_max against 2/η, and the
 * toy's L∞(w) with the runs along a channel; null for other tables, and without the records for those
 * drawn from them.
 */
function presetFigure(table: PresetTable, records: readonly RunRecord[] | null, runs: readonly ClassifiedRun[], width: number): SVGSVGElement | null {
  if (table.name === 'by-teacher-activation') return channelFrequencyFigure(table, width);
  if (!records || records.length === 0) return null;
  switch (table.name) {
    case 'loss-levels':
      return lossLevelsFigure(records, runs, width);
    case 'reach-by-optimizer':
    case 'by-optimizer':
      return optimizerReachFigure(records, runs, width);
    case 'lambda-max-by-lr':
      return edgeOfStabilityFigure(edgeOfStabilityPoints(records, runs), records.length, width);
    case 'loss-at-infinity': {
      const points = toyChannelPoints(records, runs);
      return lossAtInfinityFigure(fineLossAtInfinity(table, records, points), points, records.length, width);
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

if (!customElements.get('cs-preset-tables')) customElements.define('cs-preset-tables', CsPresetTables);
