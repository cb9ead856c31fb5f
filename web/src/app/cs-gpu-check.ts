// <cs-gpu-check>: `channelscope verify` in the page. Checks this browser's WebGPU kernels against the
// float64 CPU engine (evaluation variants, training kernels, kernel strategies, diagnostics) in the
// sweep worker, and shows each check's worst error as a fraction of its tolerance. The test suite runs
// on SwiftShader only: on a new GPU this is how a user learns its kernels compute what the tests saw.
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import * as Comlink from 'comlink';
import type { KernelCheck, VerifyPart } from '../../../src/engine/verify-kernels.js';
import type { VerifyEnd, VerifyListener } from '../worker/api.js';
import { downloadText } from '../charts/export.js';

const PARTS: { part: VerifyPart; label: string; title: string }[] = [
  { part: 'evaluation', label: 'evaluation', title: 'loss, gradient and Hessian-vector products of 42 variants (activations × biases × depths)' },
  { part: 'training', label: 'training', title: 'GD, momentum, Adam, SGD step by step; explicit and stiff gradient flow at fixed times' },
  { part: 'strategies', label: 'kernel strategies', title: 'every way of summing a gradient over a workgroup that the benchmark chooses among' },
  { part: 'diagnostics', label: 'diagnostics', title: 'Hessian spectrum and closest neuron pairs of networks in a channel' },
];

type CheckStatus = 'idle' | 'running' | 'done' | 'failed';

export class CsGpuCheck extends LitElement {
  static override properties = {
    verify: { attribute: false },
    disabled: { type: Boolean },
    parts: { state: true },
    status: { state: true },
    checks: { state: true },
    end: { state: true },
    error: { state: true },
  };

  /**
   * The worker's verify (SweepWorkerApi.verify). A function, not the Comlink remote itself: Lit probes
   * bound values for directive markers, and a remote answers every property.
   */
  declare verify: ((parts: VerifyPart[], listener: VerifyListener) => Promise<VerifyEnd>) | null;
  /** true while a sweep runs in the same worker */
  declare disabled: boolean;
  declare parts: Set<VerifyPart>;
  declare status: CheckStatus;
  declare checks: KernelCheck[];
  declare end: VerifyEnd | null;
  declare error: string;

  constructor() {
    super();
    this.verify = null;
    this.disabled = false;
    this.parts = new Set(PARTS.map((p) => p.part));
    this.status = 'idle';
    this.checks = [];
    this.end = null;
    this.error = '';
  }

  private async run(): Promise<void> {
    if (!this.verify || this.parts.size === 0) return;
    this.status = 'running';
    this.checks = [];
    this.end = null;
    this.error = '';
    try {
      const listener = { check: (check: KernelCheck) => (this.checks = [...this.checks, check]) };
      this.end = await this.verify(PARTS.map((p) => p.part).filter((part) => this.parts.has(part)), Comlink.proxy(listener));
      this.status = 'done';
    } catch (error) {
      this.error = (error as Error).message;
      this.status = 'failed';
    }
  }

  private toggle(part: VerifyPart, on: boolean): void {
    const parts = new Set(this.parts);
    if (on) parts.add(part);
    else parts.delete(part);
    this.parts = parts;
  }

  private renderSummary(): TemplateResult | typeof nothing {
    const failed = this.checks.filter((c) => !c.pass);
    const worst = Math.max(0, ...this.checks.map((c) => c.worst));
    if (this.status === 'running') {
      return html`<span data-testid="gpu-check-status" data-status="running">Checking… ${this.checks.length} checks done${failed.length ? html`, <b class="fail">${failed.length} failed</b>` : ''}.</span>`;
    }
    if (this.status === 'failed') return html`<span class="fail" data-testid="gpu-check-status" data-status="failed">The check could not run: ${this.error}</span>`;
    if (this.status === 'done' && this.end) {
      const verdict = failed.length === 0
        ? html`<b class="pass">all ${this.end.checks} checks passed</b>`
        : html`<b class="fail">${failed.length} of ${this.end.checks} checks failed</b>`;
      const end = this.end;
      // the same fields as `channelscope verify --json`'s kernel checks, for a bug report or a comparison
      const download = () => downloadText(`${JSON.stringify({ device: end.device, pass: failed.length === 0, checks: this.checks }, null, 2)}\n`, 'gpu-check.json', 'application/json');
      return html`<span data-testid="gpu-check-status" data-status=${failed.length === 0 ? 'passed' : 'failed-checks'} data-checks=${end.checks}>
        ${verdict} on ${end.device} in ${end.seconds.toFixed(0)} s (worst error ${worst.toPrecision(2)} of its tolerance).</span>
        <button type="button" class="link" data-action="download-gpu-check" @click=${download}>Download (JSON)</button>`;
    }
    return nothing;
  }

  private renderTable(): TemplateResult | typeof nothing {
    if (this.checks.length === 0) return nothing;
    const failedFirst = [...this.checks].sort((a, b) => Number(a.pass) - Number(b.pass));
    return html`<details ?open=${this.checks.some((c) => !c.pass)}>
      <summary>Each check (worst error as a fraction of its tolerance; pass at ≤ 1)</summary>
      <table data-testid="gpu-check-table">
        <thead><tr><th>part</th><th>check</th><th>worst</th><th></th></tr></thead>
        <tbody>
          ${failedFirst.map((c) => html`<tr class=${c.pass ? '' : 'fail'} title=${`${c.compared}${c.note ? `; ${c.note}` : ''}`}>
            <td>${c.part}</td><td>${c.check}</td><td class="num">${c.worst.toPrecision(2)}</td><td>${c.pass ? 'ok' : 'FAIL'}</td></tr>`)}
        </tbody>
      </table>
    </details>`;
  }

  override render(): TemplateResult {
    const busy = this.status === 'running';
    return html`<div class="row">
        <button type="button" data-action="gpu-check" ?disabled=${busy || this.disabled || !this.verify || this.parts.size === 0} @click=${() => void this.run()}
          title="checks this GPU's kernels against the float64 CPU engine, as channelscope verify does">Check this GPU</button>
        ${PARTS.map((p) => html`<label title=${p.title}><input type="checkbox" data-part=${p.part} .checked=${this.parts.has(p.part)} ?disabled=${busy}
          @change=${(e: Event) => this.toggle(p.part, (e.target as HTMLInputElement).checked)} />${p.label}</label>`)}
      </div>
      ${this.renderSummary()}
      ${this.renderTable()}`;
  }

  static override styles = css`
    :host { display: block; font-size: 13px; margin-top: 6px; }
    .row { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 12px; margin-bottom: 4px; }
    label { display: inline-flex; align-items: center; gap: 3px; color: #333; }
    .pass { color: #226b2a; }
    .fail { color: #a3261b; }
    details { margin-top: 4px; }
    table { border-collapse: collapse; margin-top: 4px; font-size: 12px; }
    th, td { padding: 2px 8px; text-align: left; border-bottom: 1px solid #e4e4e4; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    tr.fail td { background: #fdecea; }
    button.link { border: none; background: none; color: #2458a6; text-decoration: underline; cursor: pointer; padding: 0 4px; font: inherit; font-size: 12.5px; }
  `;
}

customElements.define('cs-gpu-check', CsGpuCheck);
