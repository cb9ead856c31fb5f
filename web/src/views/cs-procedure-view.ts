// <cs-procedure-view .preset .result .markdown>: a procedure's folder opened in the dashboard
// (channel-jump, saddle-perturbation, gd-from-channel): the figure drawn from its result.json, as the
// report page draws it, and its report.md as written.
import { css, html, LitElement, type TemplateResult } from 'lit';
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
      ${this.markdown ? html`<h3>Its report (report.md)</h3><pre class="report">${this.markdown}</pre>` : html`<p class="note">The folder has no report.md: <code>channelscope report DIR</code> writes it.</p>`}
    `;
  }

  static override styles = css`
    :host { display: block; }
    h3 { font-size: 14px; margin: 12px 0 6px; }
    .note { color: #555; font-size: 12.5px; }
    pre.report { white-space: pre-wrap; font-size: 12px; background: #fafbfc; border: 1px solid #e3e6ea; border-radius: 4px; padding: 8px 10px; max-height: 480px; overflow: auto; }
  `;
}

if (!customElements.get('cs-procedure-view')) customElements.define('cs-procedure-view', CsProcedureView);
