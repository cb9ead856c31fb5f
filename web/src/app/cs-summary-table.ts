// <cs-summary-table .report=${Report}>: the fraction of runs per outcome with 95% Wilson intervals and
// the channel runs under the stricter criterion beside them, one row per group, the grouping chosen from
// any spec field (or, .fixedGrouping, the report's own); CSV export (the command line's format). The
// dashboard and the HTML report page show this one table.
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { OUTCOMES, type Outcome } from '../../../src/analysis/classify.js';
import type { Fraction } from '../../../src/analysis/statistics.js';
import { continuedSentence, groupRunsText, softwareSentence, strictChannelHeader, strictChannelsIn, thresholdSentence } from '../../../src/experiment/report-text.js';
import { GROUP_ALIASES, fieldName, fieldsAbsentFromAll } from '../../../src/experiment/group-labels.js';
import { type Report } from '../../../src/experiment/summary.js';
import type { RunRecord } from '../../../src/experiment/results.js';
import { percent } from '../../../src/experiment/tables.js';
import { downloadSummaryCsv, SUMMARY_CSV_TITLE } from '../charts/export.js';
import { OUTCOME_COLORS, OUTCOME_LABELS } from '../charts/outcome-style.js';
import { ScrollEdgesController } from './scroll-edges.js';
import { tableStyles } from './table-styles.js';

export class CsSummaryTable extends LitElement {
  static override properties = {
    report: { attribute: false },
    groupBy: { attribute: false },
    fieldChoices: { attribute: false },
    absentFields: { attribute: false },
    records: { attribute: false },
    fixedGrouping: { attribute: false },
  };

  declare report: Report | null;
  declare groupBy: string[];
  /** what the sweep varies (short names, sweepAxes), offered first in the group-by menu */
  declare fieldChoices: string[];
  /** group-by fields no run has (a typo): said, since they group nothing */
  declare absentFields: string[];
  /** the runs shown: the menu offers only fields some run has (a Rosenbrock sweep has no GP roughness s) */
  declare records: readonly RunRecord[];
  /** the grouping cannot change here (the HTML report page: the command line grouped its report): no group-by controls */
  declare fixedGrouping: boolean;

  /** the table scrolls sideways where the outcome columns do not fit: cues say there is more */
  private readonly edges = new ScrollEdgesController(this, () => this.renderRoot.querySelector<HTMLElement>('.scroll'));

  constructor() {
    super();
    this.report = null;
    this.groupBy = [];
    this.fieldChoices = [];
    this.absentFields = [];
    this.records = [];
    this.fixedGrouping = false;
  }

  private setGroupBy(by: string[]): void {
    this.dispatchEvent(new CustomEvent('group-by-change', { detail: { by }, bubbles: true, composed: true }));
  }

  override render(): TemplateResult {
    const report = this.report;
    return html`
      <div class="bar">
        ${this.fixedGrouping ? nothing : this.renderGroupBy()}
        <button type="button" data-action="export-csv" title=${SUMMARY_CSV_TITLE} ?disabled=${!report || report.runs.length === 0} @click=${() => report && downloadSummaryCsv(report)}>Summary table as CSV</button>
      </div>
      ${this.absentFields.length > 0
        ? html`<p class="warn" role="status" data-testid="group-by-absent">No run has ${this.absentFields.map((f) => html`<code>${f}</code>`)}: it groups nothing (a typo? the fields are the runs' configuration paths, e.g. architecture.activation, or r, d, s, teacher, optimizer).</p>`
        : nothing}
      ${!report || report.runs.length === 0 ? html`<p class="empty">No finished runs yet: start a sweep or open a results file.</p>` : this.renderTable(report)}
    `;
  }

  /** The group-by menu (what the sweep varies first, then any field some run has) and a text field for any fields. */
  private renderGroupBy(): TemplateResult {
    const current = this.groupBy.join(',');
    // each field once, by its short name (r, not architecture.hidden nor hidden)
    const sweepFields = [...new Set(this.fieldChoices.map((field) => fieldName(GROUP_ALIASES[field] ?? field)))];
    const otherFields = [...new Set(Object.values(GROUP_ALIASES).map(fieldName))].filter(
      (field) => !sweepFields.includes(field) && (this.records.length === 0 || fieldsAbsentFromAll(this.records, [field]).length === 0),
    );
    const allOfSweep = sweepFields.length > 1 ? sweepFields.join(',') : null;
    const offered = [...(allOfSweep ? [allOfSweep] : []), ...sweepFields, ...otherFields, ''];
    const option = (value: string, text: string) => html`<option value=${value} ?selected=${current === value}>${text}</option>`;
    const described = (field: string) => (GROUP_ALIASES[field] && GROUP_ALIASES[field] !== field ? `${field} (${GROUP_ALIASES[field]})` : field);
    return html`
        <label>group by
          <select data-field="group-by" @change=${(e: Event) => {
            const v = (e.target as HTMLSelectElement).value;
            this.setGroupBy(v === '' ? [] : v.split(','));
          }}>
            ${sweepFields.length > 0
              ? html`<optgroup label="what this sweep varies">
                  ${allOfSweep ? option(allOfSweep, `all of them: ${sweepFields.join(', ')}`) : nothing}
                  ${sweepFields.map((field) => option(field, described(field)))}
                </optgroup>`
              : nothing}
            <optgroup label=${sweepFields.length > 0 ? 'other fields' : 'fields'}>
              ${otherFields.map((field) => option(field, described(field)))}
              ${option('', 'nothing (all runs)')}
            </optgroup>
            ${!offered.includes(current) ? html`<option value=${current} selected>${current}</option>` : nothing}
          </select>
        </label>
        <label>or fields
          <input type="text" size="30" placeholder="e.g. r,optimizer.lr" data-field="group-by-text" .value=${current}
            @change=${(e: Event) => this.setGroupBy((e.target as HTMLInputElement).value.split(',').map((f) => f.trim()).filter(Boolean))} />
        </label>
    `;
  }

  private renderTable(report: Report): TemplateResult {
    const grouping = report.by.length > 0 ? `, grouped by ${report.by.join(', ')}` : '';
    const sentences = [thresholdSentence(report.thresholds), softwareSentence(report.software), continuedSentence(report.continued)].filter(Boolean).join(' ');
    return html`<p class="caption" id="summary-caption" data-testid="summary-caption">Where ${report.runs.length} run${report.runs.length === 1 ? '' : 's'} ended (${report.source})${grouping}: runs per outcome, fraction and 95% Wilson interval; ${strictChannelHeader(report)}: the channel runs that also meet the stricter criterion. ${sentences}</p>
      <div class="frame ${this.edges.moreLeft ? 'more-left' : ''} ${this.edges.moreRight ? 'more-right' : ''}"><div class="scroll" @scroll=${this.edges.measure}><table data-testid="summary-table" aria-labelledby="summary-caption">
        <thead><tr>
          <th scope="col">group</th><th scope="col" class="num">runs</th>
          ${OUTCOMES.map((o) => html`<th scope="col" class="num"><span class="swatch" style="background:${OUTCOME_COLORS[o]}"></span>${OUTCOME_LABELS[o]}</th>`)}
          <th scope="col" class="num strict" title="Channel runs whose channel's neurons are also within the stricter cosine distance: a part of the channel column, reported alongside it">${unbrokenAside(strictChannelHeader(report))}</th>
        </tr></thead>
        <tbody>
          ${report.groups.map((group) => html`<tr data-group=${group.key} data-runs=${group.n}>
            <th scope="row">${group.key}</th>
            <td class="num">${groupRunsText(report, group)}</td>
            ${OUTCOMES.map((o) => fractionCell(group.outcomes[o], o))}
            ${fractionCell(strictChannelsIn(report, group.key), null)}
          </tr>`)}
        </tbody>
      </table></div></div>`;
  }

  static override styles = [
    tableStyles,
    css`
    :host { display: block; font-size: 13.5px; }
    .bar { display: flex; gap: 14px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; }
    select, input, button { font: inherit; padding: 3px 6px; }
    tbody th { font-family: ui-monospace, monospace; font-weight: 500; font-size: 12.5px; }
    td.zero { color: #aaa; }
    /* a part of the channel column, not another outcome: set apart from the outcomes, which add up to the runs */
    .strict { border-left: 1px solid #ccc; }
    td.zero .interval { color: #bbb; }
    .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
    .empty { color: #666; }
    .warn { color: #8a4b00; margin: 0 0 6px; }
  `,
  ];
}

/** "channel (cos < 1e-3)" breaks before its parenthesis, never inside it. */
function unbrokenAside(label: string): TemplateResult {
  const at = label.indexOf(' (');
  return at < 0 ? html`${label}` : html`${label.slice(0, at)} <span class="unbroken">${label.slice(at + 1)}</span>`;
}

/** A count, its fraction and its 95% Wilson interval: an outcome's cell (data-outcome), or with null the strict channel criterion's. */
function fractionCell(f: Fraction, outcome: Outcome | null): TemplateResult {
  return html`<td class="num ${f.successes === 0 ? 'zero' : ''} ${outcome ? '' : 'strict'}" data-outcome=${outcome ?? nothing} data-criterion=${outcome ? nothing : 'channel-strict'} data-count=${f.successes}>
    <b>${f.successes}</b> <span class="fraction">${percent(f.fraction)}</span><br /><span class="interval">[${percent(f.low)}, ${percent(f.high)}]</span>
  </td>`;
}

customElements.define('cs-summary-table', CsSummaryTable);
