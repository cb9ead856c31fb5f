// <cs-chart .figure=${svg} filename="…">: shows one composed figure with SVG and PNG export buttons.
import { css, html, LitElement } from 'lit';
import { downloadPng, downloadSvg, fileStem } from './export.js';

export class CsChart extends LitElement {
  static override properties = {
    figure: { attribute: false },
    filename: { type: String },
    exportError: { state: true },
  };

  declare figure: SVGSVGElement | null;
  declare filename: string;
  declare exportError: string;

  static override styles = css`
    :host {
      display: block;
      position: relative;
      margin: 0 0 16px;
    }
    /* a row of its own above the figure: laid over it, the buttons hid the end of a title as wide as the figure */
    .tools {
      display: flex;
      justify-content: flex-end;
      gap: 4px;
      margin-bottom: 2px;
    }
    button {
      font: 12px system-ui, sans-serif;
      padding: 2px 8px;
      border: 1px solid #bbb;
      background: #fafafa;
      border-radius: 3px;
      cursor: pointer;
    }
    button:hover {
      background: #eee;
    }
    .figure svg {
      max-width: 100%;
      height: auto;
      display: block;
    }
    .error {
      color: #b00020;
      font: 12px system-ui, sans-serif;
    }
  `;

  constructor() {
    super();
    this.figure = null;
    this.filename = '';
    this.exportError = '';
  }

  private get stem(): string {
    return this.filename || fileStem(this.figure?.querySelector('text')?.textContent ?? 'chart');
  }

  private async exportAs(kind: 'svg' | 'png'): Promise<void> {
    if (!this.figure) return;
    this.exportError = '';
    try {
      if (kind === 'svg') downloadSvg(this.figure, `${this.stem}.svg`);
      else await downloadPng(this.figure, `${this.stem}.png`);
    } catch (error) {
      this.exportError = `export failed: ${(error as Error).message}`;
    }
  }

  override render() {
    if (!this.figure) return html``;
    return html`<div class="tools">
        <button title="download this chart as SVG" @click=${() => this.exportAs('svg')}>SVG</button>
        <button title="download this chart as PNG (2× resolution)" @click=${() => this.exportAs('png')}>PNG</button>
      </div>
      <div class="figure">${this.figure}</div>
      ${this.exportError ? html`<div class="error">${this.exportError}</div>` : ''}`;
  }
}

if (!customElements.get('cs-chart')) customElements.define('cs-chart', CsChart);
