// <cs-procedure-view .preset .result .markdown>: a procedure's folder opened in the dashboard
// (channel-jump, saddle-perturbation, gd-from-channel): the figure drawn from its result.json, as the
// report page draws it, and its report.md, its tables as tables (as on the report page).
import { css, html, LitElement, type TemplateResult } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { markdownReportHtml } from '../../../src/experiment/report-markdown.js';
import { procedureFigure } from '../charts/procedure-figures.js';
import { WidthController } from '../charts/width-controller.js';
import '../charts/cs-chart.js';

/** The figure is drawn at most this wide, as on the report page. */
const WIDEST_FIGURE = 1000;

export class CsProcedureView extends LitElement {
  static override properties = {
    preset: { type: String },
    result: { attribute: false },
    markdown: { type: String },
  };

  declare preset: string;
  declare result: unknown;
  declare markdown: string;

  private readonly width = new WidthController(this);

  constructor() {
    super();
    this.preset = '';
    this.result = null;
    this.markdown = '';
  }

  override render(): TemplateResult {
    let figure: SVGSVGElement | null = null;
    let failure = '';
    try {
      figure = procedureFigure(this.preset, this.result, Math.min(WIDEST_FIGURE, this.width.value));
    } catch (error) {
      // a result.json of another version, say: the report still has every number
      failure = `The figure could not be drawn from this result.json: ${(error as Error).message}`;
    }
    return html`
      ${figure ? html`<cs-chart .figure=${figure} filename=${this.preset}></cs-chart>` : html`<p class="note">${failure || `No figure for ${this.preset}: its report below has every number.`}</p>`}
      ${this.markdown ? html`<h3>Its report (report.md)</h3><div class="report">${unsafeHTML(markdownReportHtml(this.markdown))}</div>` : html`<p class="note">The folder has no report.md: <code>channelscope report DIR</code> writes it.</p>`}
    `;
  }

  static override styles = css`
    :host { display: block; }
    h3 { font-size: 14px; margin: 12px 0 6px; }
    .note { color: #555; font-size: 12.5px; }
    /* report.md as HTML (markdownReportHtml escapes every text first): the report page's look */
    .report { font-size: 12.5px; background: #fafbfc; border: 1px solid #e3e6ea; border-radius: 4px; padding: 4px 10px; max-height: 640px; overflow: auto; }
    .report h2, .report h3 { font-size: 13.5px; margin: 10px 0 4px; }
    .report p { max-width: 1000px; margin: 6px 0; }
    .table-scroll { overflow-x: auto; max-width: 100%; }
    table.markdown { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 6px 0; background: white; }
    table.markdown th, table.markdown td { border: 1px solid #ddd; padding: 2px 7px; text-align: left; vertical-align: top; white-space: nowrap; }
    table.markdown th { background: #f3f3f3; }
    table.markdown th.number, table.markdown td.number { text-align: right; }
  `;
}

if (!customElements.get('cs-procedure-view')) customElements.define('cs-procedure-view', CsProcedureView);
