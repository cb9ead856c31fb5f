// <cs-table .caption .headers .rows .note>: a table of text cells in channelscope's table look
// (table-styles.ts): its caption above, its note below, a sideways scroll with cues when it is wide,
// and with .csv a button that downloads the table's data. The report page's tables and the preset's
// tables on the dashboard and the report page are these.
import { css, html, LitElement, nothing, type TemplateResult } from 'lit';
import { downloadText } from '../charts/export.js';
import { ScrollEdgesController } from './scroll-edges.js';
import { tableStyles } from './table-styles.js';

/** A cell that reads as a number (a count, "12 (40.0% [..])", "−3.1 [..]", "1.00e+5", "–", "– [–, –]"): right-aligned with its column. */
const NUMBER_LIKE = /^([-−+]?(\d|\.\d|Infinity)|NaN|–(\s|$))/;

export class CsTable extends LitElement {
  static override properties = {
    caption: { type: String },
    headers: { attribute: false },
    rows: { attribute: false },
    note: { type: String },
    csv: { attribute: false },
    csvFilename: { type: String, attribute: 'csv-filename' },
    rowLimit: { type: Number, attribute: 'row-limit' },
    expanded: { state: true },
  };

  declare caption: string;
  declare headers: readonly string[];
  declare rows: readonly (readonly string[])[];
  declare note: string;
  /** the table's data as CSV (its full-precision numbers, not the rounded cells), for the download button; null: no button */
  declare csv: (() => string) | null;
  declare csvFilename: string;
  /** a longer table shows its first rowLimit rows and a button for the rest (0: every row) */
  declare rowLimit: number;
  declare expanded: boolean;

  private readonly edges = new ScrollEdgesController(this, () => this.renderRoot.querySelector<HTMLElement>('.scroll'));

  constructor() {
    super();
    this.caption = '';
    this.headers = [];
    this.rows = [];
    this.note = '';
    this.csv = null;
    this.csvFilename = 'table.csv';
    this.rowLimit = 0;
    this.expanded = false;
  }

  /** Whether the table may leave rows out: only where there are clearly more than the limit (not to hide two). */
  private get foldable(): boolean {
    return this.rowLimit > 0 && this.rows.length > this.rowLimit + 5;
  }

  override render(): TemplateResult {
    // a column is numbers when its cells read as numbers: those align right, text stays left
    const numeric = this.headers.map((_, c) => c > 0 && this.rows.length > 0 && this.rows.every((row) => NUMBER_LIKE.test(row[c] ?? '')));
    const align = (c: number) => (numeric[c] ? 'num' : '');
    return html`
      <div class="head">
        <p class="caption">${this.caption}</p>
        ${this.csv ? html`<button type="button" data-action="export-csv" title="The table's data at full precision, one column per number" @click=${() => this.csv && downloadText(this.csv(), this.csvFilename, 'text/csv')}>CSV</button>` : nothing}
      </div>
      <div class="frame ${this.edges.moreLeft ? 'more-left' : ''} ${this.edges.moreRight ? 'more-right' : ''}">
        <div class="scroll" @scroll=${this.edges.measure}>
          <table>
            <thead><tr>${this.headers.map((header, c) => html`<th scope="col" class=${align(c)}>${header}</th>`)}</tr></thead>
            <tbody>${(this.foldable && !this.expanded ? this.rows.slice(0, this.rowLimit) : this.rows).map((row) => html`<tr>${row.map((cell, c) => html`<td class=${align(c)}>${breakable(cell)}</td>`)}</tr>`)}</tbody>
          </table>
        </div>
      </div>
      ${this.foldable
        ? html`<button type="button" class="rows" data-action="toggle-rows" @click=${() => (this.expanded = !this.expanded)}>
            ${this.expanded ? `Show the first ${this.rowLimit} rows` : `Show all ${this.rows.length} rows (${this.rows.length - this.rowLimit} more)`}
          </button>`
        : nothing}
      ${this.note ? html`<p class="note">${this.note}</p>` : nothing}
    `;
  }

  static override styles = [
    tableStyles,
    css`
      :host { display: block; width: fit-content; max-width: 100%; font-size: 13.5px; margin: 0 0 14px; }
      .head { display: flex; justify-content: space-between; align-items: flex-end; gap: 10px; }
      button { font: 12px system-ui, sans-serif; padding: 2px 8px; border: 1px solid #bbb; background: #fafafa; border-radius: 3px; cursor: pointer; flex: none; }
      button:hover { background: #eee; }
      button.rows { margin-top: 4px; }
      /* as wide as its columns need (a four-column table spread over a wide page is hard to read across) */
      table { width: auto; }
      /* a number with its interval may wrap between the two (breakable), never inside either */
      td.num { white-space: normal; }
      .note { color: #555; font-size: 12px; max-width: 1000px; margin: 6px 0 0; }
    `,
  ];
}

/**
 * A cell's text; "0 (0.0% [0.0%, 49.0%])" may break before its interval and nowhere else, so a narrow
 * table wraps it in two lines instead of three.
 */
function breakable(text: string): TemplateResult | string {
  const at = text.indexOf(' [');
  return at < 0 ? text : html`<span class="unbroken">${text.slice(0, at)}</span> <span class="unbroken">${text.slice(at + 1)}</span>`;
}

if (!customElements.get('cs-table')) customElements.define('cs-table', CsTable);
