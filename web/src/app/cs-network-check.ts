// <cs-network-check>: `channelscope analyze` in the page. A network trained elsewhere (the engine's
// parameter file and a data CSV, optionally earlier parameter files of its run) gets its diagnostics,
// the verdict with its evidence and, for a channel, the GLU limit and the loss at infinity: computed
// in float64 in the sweep worker, printed as the command line prints them.
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import type { FileAnalysis, NamedText } from '../../../src/experiment/analyze-network.js';
import { DEFAULT_MAXNORM } from '../../../src/engine/engine.js';
import { downloadText } from '../charts/export.js';
import { OUTCOME_COLORS, OUTCOME_LABELS } from '../charts/outcome-style.js';
import { parseDecimal } from '../../../src/user-input/user-text.js';

const FIELD_LABELS = { params: 'parameter', data: 'data', previous: 'earlier parameter' } as const;
type FileField = keyof typeof FIELD_LABELS;

type Analyze = (params: NamedText, data: NamedText, previous: NamedText[], maxnorm: number) => Promise<{ result: FileAnalysis; lines: string[] }>;

async function readFiles(input: HTMLInputElement): Promise<NamedText[]> {
  return Promise.all(Array.from(input.files ?? [], async (file) => ({ name: file.name, text: await file.text() })));
}

export class CsNetworkCheck extends LitElement {
  static override properties = {
    analyze: { attribute: false },
    params: { state: true },
    data: { state: true },
    previous: { state: true },
    maxnormText: { state: true },
    running: { state: true },
    result: { state: true },
    lines: { state: true },
    error: { state: true },
    readErrors: { state: true },
  };

  /** the worker's analyze (SweepWorkerApi.analyze), as a plain function (see cs-gpu-check) */
  declare analyze: Analyze | null;
  declare params: NamedText | null;
  declare data: NamedText | null;
  /** earlier parameter files of the run, oldest first (sorted by file name) */
  declare previous: NamedText[];
  declare maxnormText: string;
  declare running: boolean;
  declare result: FileAnalysis | null;
  declare lines: string[];
  /** the analysis's error */
  declare error: string;
  /** each file field's failed read, until a file chosen there is read: nothing is analysed meanwhile */
  declare readErrors: Partial<Record<FileField, string>>;
  /** files chosen so far in each file field (pick) */
  private readonly choices = { params: 0, data: 0, previous: 0 };
  /** reads of chosen files still in flight: a click on Analyse just after a choice analyses the file chosen, not the one before */
  private readonly reads = new Set<Promise<void>>();

  constructor() {
    super();
    this.analyze = null;
    this.params = null;
    this.data = null;
    this.previous = [];
    this.maxnormText = String(DEFAULT_MAXNORM);
    this.running = false;
    this.result = null;
    this.lines = [];
    this.error = '';
    this.readErrors = {};
  }

  /** The files chosen in one of the file fields, once read; Analyse waits for reads in flight. */
  private pick(field: FileField, input: HTMLInputElement): void {
    const read = this.read(field, input);
    this.reads.add(read);
    void read.finally(() => this.reads.delete(read));
  }

  private async read(field: FileField, input: HTMLInputElement): Promise<void> {
    // a large file chosen first may finish reading after one chosen instead: the last choice wins
    const choice = ++this.choices[field];
    let files: NamedText[];
    try {
      files = await readFiles(input);
    } catch (error) {
      // (a file changed or removed on disk since it was chosen)
      if (choice !== this.choices[field]) return;
      this.readErrors = { ...this.readErrors, [field]: `the ${FIELD_LABELS[field]} file could not be read: ${(error as Error).message}` };
      if (field === 'previous') this.previous = [];
      else this[field] = null;
      return;
    }
    if (choice !== this.choices[field]) return;
    const { [field]: _solved, ...others } = this.readErrors;
    this.readErrors = others;
    if (field === 'previous') this.previous = files.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    else this[field] = files[0] ?? null;
  }

  private maxnorm(): number | null {
    // decimal, or Infinity (no barrier), as `channelscope analyze --maxnorm` takes it
    const value = parseDecimal(this.maxnormText, { infinity: true });
    return value > 0 ? value : null;
  }

  private async run(): Promise<void> {
    this.running = true;
    this.error = '';
    this.result = null;
    this.lines = [];
    try {
      await Promise.all(this.reads);
      const maxnorm = this.maxnorm();
      if (this.unreadFiles() || !this.analyze || !this.params || !this.data || maxnorm === null) return;
      ({ result: this.result, lines: this.lines } = await this.analyze(this.params, this.data, this.previous, maxnorm));
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.running = false;
    }
  }

  /** whether a chosen file could not be read (earlier parameter files too: without them the verdict would lack its motion) */
  private unreadFiles(): boolean {
    return Object.keys(this.readErrors).length > 0;
  }

  private renderResult(): TemplateResult | typeof nothing {
    const errors = [...Object.values(this.readErrors), ...(this.error ? [this.error] : [])];
    if (errors.length > 0) return html`<div class="error" role="alert" data-testid="network-error">${errors.join(' ')}</div>`;
    const result = this.result;
    if (!result) return nothing;
    const { outcome } = result.analysis.verdict;
    // the same fields as `channelscope analyze --json`
    const download = () => {
      const { network, samples, maxnorm, analysis } = result;
      downloadText(`${JSON.stringify({ network, samples, maxnorm, ...analysis }, null, 2)}\n`, 'analysis.json', 'application/json');
    };
    return html`<div class="verdict" data-testid="network-verdict" data-outcome=${outcome}>
        <i style="background:${OUTCOME_COLORS[outcome]}"></i><b>${OUTCOME_LABELS[outcome]}</b>
        ${result.analysis.verdict.cause ? html`<span class="cause">(${result.analysis.verdict.cause})</span>` : nothing}
        <button type="button" class="link" data-action="download-analysis" @click=${download}>Download (JSON)</button>
      </div>
      <pre data-testid="network-analysis">${this.lines.join('\n')}</pre>`;
  }

  override render(): TemplateResult {
    const ready = Boolean(this.analyze && this.params && this.data && this.maxnorm() !== null) && !this.running && !this.unreadFiles();
    return html`<div class="hint">A network trained anywhere: its parameter file (JSON, the format <code>channelscope eval</code> reads) and
        its data (CSV, header x1,…,xd,y); optionally earlier parameter files of the same run, which give the verdict its recent motion
        (oldest first by file name).</div>
      <div class="fields">
        <label>parameters <input type="file" accept=".json,application/json" data-field="network-params"
          @change=${(e: Event) => this.pick('params', e.target as HTMLInputElement)} /></label>
        <label>data <input type="file" accept=".csv,text/csv" data-field="network-data"
          @change=${(e: Event) => this.pick('data', e.target as HTMLInputElement)} /></label>
        <label>earlier parameters <input type="file" multiple accept=".json,application/json" data-field="network-previous"
          @change=${(e: Event) => this.pick('previous', e.target as HTMLInputElement)} /></label>
        <label>maxnorm <input type="text" size="7" data-field="network-maxnorm" .value=${this.maxnormText} aria-invalid=${this.maxnorm() === null}
          @input=${(e: Event) => (this.maxnormText = (e.target as HTMLInputElement).value)} /></label>
        <button type="button" data-action="analyze-network" ?disabled=${!ready} @click=${() => void this.run()}>${this.running ? 'Analysing…' : 'Analyse'}</button>
      </div>
      ${this.maxnorm() === null
        ? html`<div class="error" role="alert" data-testid="network-maxnorm-error">maxnorm must be a positive number (the norm barrier; Infinity for none), got "${this.maxnormText}"${this.result ? ': the analysis below is of the last valid one' : ''}</div>`
        : nothing}
      ${this.renderResult()}`;
  }

  static override styles = css`
    :host { display: block; font-size: 13px; }
    .hint { color: #555; font-size: 12.5px; margin-bottom: 6px; }
    .fields { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px; }
    label { display: inline-flex; align-items: center; gap: 5px; color: #333; }
    input[type='file'] { font-size: 12px; max-width: 230px; }
    input[aria-invalid='true'] { border-color: #c0392b; }
    .verdict { margin-top: 8px; display: flex; align-items: center; gap: 6px; }
    .verdict i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
    .cause { color: #555; }
    pre { background: #f6f7f9; border: 1px solid #e2e4e8; border-radius: 4px; padding: 8px; font-size: 12px; white-space: pre-wrap; margin: 6px 0 0; }
    .error { margin-top: 8px; padding: 6px 9px; border-radius: 4px; background: #fdecea; border: 1px solid #eaa59d; color: #7d2419; }
    button.link { border: none; background: none; color: #2458a6; text-decoration: underline; cursor: pointer; padding: 0 4px; font: inherit; font-size: 12.5px; }
  `;
}

customElements.define('cs-network-check', CsNetworkCheck);
