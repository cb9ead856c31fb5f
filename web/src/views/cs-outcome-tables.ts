// <cs-outcome-tables .report>: the tables beside the summary, as report.md has them: the runs that did
// not converge by cause, the channels by the neurons carrying them (only with `report --carriers`)
// and how far each group's runs got. The dashboard and the report page show them under the summary.
import { css, html, LitElement, nothing, type TemplateResult } from 'lit';
import { NOT_CONVERGED_CAUSES } from '../../../src/analysis/classify.js';
import { CAUSES_NOTE, quartileText, REACH_HEADERS, REACH_MEASURES, REACH_NOTE } from '../../../src/experiment/report-text.js';
import type { Report } from '../../../src/experiment/summary.js';
import '../app/cs-table.js';

export class CsOutcomeTables extends LitElement {
  static override properties = {
    report: { attribute: false },
  };

  declare report: Report | null;

  constructor() {
    super();
    this.report = null;
  }

  override render(): TemplateResult | typeof nothing {
    const report = this.report;
    if (!report || report.runs.length === 0) return nothing;
    const cells = (row: readonly (string | number)[]) => row.map(String);
    return html`
      <cs-table
        data-table="causes"
        caption="Not converged, by cause"
        .headers=${['group', 'runs', ...NOT_CONVERGED_CAUSES]}
        .rows=${report.causes.map((group) => cells([group.key, group.n, ...NOT_CONVERGED_CAUSES.map((cause) => group.outcomes[cause].successes)]))}
        note=${CAUSES_NOTE}
      ></cs-table>
      ${report.carriers
        ? html`<cs-table
            data-table="carriers"
            caption="Channels by the neurons carrying them (chosen on each run's data): a pair's limit is the GLU; three or four neurons add σ″ (σ‴) terms."
            .headers=${['group', 'channels', 'carried by a pair', 'by three neurons', 'by four', 'data not rebuilt']}
            .rows=${report.carriers.map((counts) => cells([counts.key, counts.channels, counts.pair, counts.three, counts.four, counts.unknown]))}
          ></cs-table>`
        : nothing}
      <cs-table
        data-table="reach"
        caption="How far runs got"
        .headers=${['group', 'runs', ...REACH_MEASURES.map((measure) => REACH_HEADERS[measure])]}
        .rows=${report.reach.map((group) => cells([group.key, group.n, ...REACH_MEASURES.map((measure) => quartileText(group[measure]))]))}
        note=${REACH_NOTE}
      ></cs-table>
    `;
  }

  static override styles = css`
    :host { display: block; }
  `;
}

if (!customElements.get('cs-outcome-tables')) customElements.define('cs-outcome-tables', CsOutcomeTables);
