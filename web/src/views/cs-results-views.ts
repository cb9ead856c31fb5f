// <cs-results-views .records=${RunRecord[]} .report=${Report?}>: the charts a scientist looks at
// after a sweep, in tabs: distributions, the closest pair, training curves of selected runs, a run's
// channel coordinates, its Hessian spectrum, its function on the plane (d = 2), and optimisers.
// A run table (click a row) picks the runs the per-run tabs show.
import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { OUTCOMES, type Outcome } from '../../../src/analysis/classify.js';
import type { RunRecord } from '../../../src/experiment/results.js';
import { RunVerdicts, summarizeRecords, type ClassifiedRun, type Report } from '../../../src/experiment/summary.js';
import { groupLabeller, sweepAxes } from '../../../src/experiment/group-labels.js';
import '../charts/cs-chart.js';
import { formatNumber, OUTCOME_COLORS, OUTCOME_LABELS } from '../charts/figure.js';
import { channelTrajectory, pairPoints, takesPlanarInputs, type FunctionGrid, type HessianSpectrum, type PairPoint } from '../charts/network-views.js';
import { inPageCompute, type PerRunCompute, type Unavailable } from './per-run-compute.js';
import { compareRunIds } from './run-order.js';
import {
  channelFigure,
  distributionsFigure,
  heatmapFigure,
  lossCurvesFigure,
  optimizerFigure,
  pairScatterFigure,
  runColor,
  spectrumFigure,
} from '../charts/result-figures.js';
import { comparesOptimizers, hasSimulatedTime } from '../charts/shape.js';
import { WidthController } from '../charts/width-controller.js';

export const RESULT_TABS = [
  { id: 'distributions', label: 'Distributions' },
  { id: 'pairs', label: 'Closest pair' },
  { id: 'curves', label: 'Loss curves' },
  { id: 'channel', label: 'Channel coordinates' },
  { id: 'spectrum', label: 'Hessian spectrum' },
  { id: 'functions', label: 'Functions (d = 2)' },
  { id: 'optimizers', label: 'Optimisers' },
] as const;
export type ResultTab = (typeof RESULT_TABS)[number]['id'];

const PER_RUN_TABS: ResultTab[] = ['curves', 'channel', 'spectrum', 'functions'];
const TABLE_ROWS = 250;
const MAX_SELECTED = 10;

type SortKey = 'id' | 'configuration' | 'outcome' | 'loss' | 'weightNorm' | 'minCosine' | 'inverseEpsilon' | 'steps';

export class CsResultsViews extends LitElement {
  static override properties = {
    records: { attribute: false },
    report: { attribute: false },
    source: { type: String },
    tab: { type: String, reflect: true },
    selected: { state: true },
    focusedRun: { type: String, attribute: 'focused-run' },
    axis: { state: true },
    outcomeFilter: { state: true },
    sortKey: { state: true },
    sortDescending: { state: true },
    compute: { attribute: false },
    verdicts: { attribute: false },
  };

  declare records: RunRecord[];
  /** a summary already computed for these records (else computed here, ungrouped) */
  declare report: Report | null;
  /** where the records came from, for titles */
  declare source: string;
  declare tab: ResultTab;
  declare selected: string[];
  /** the run the per-run tabs show (settable, e.g. from the app) */
  declare focusedRun: string | null;
  declare axis: 'step' | 'time';
  declare outcomeFilter: Outcome | 'all';
  declare sortKey: SortKey;
  declare sortDescending: boolean;
  /** where the per-run tabs' float64 work runs (the dashboard: a worker; default: on the page) */
  declare compute: PerRunCompute;
  /** verdicts kept as runs stream in (the dashboard shares its summary's), so that a batch of runs judges only its own */
  declare verdicts: RunVerdicts;

  private readonly width = new WidthController(this);
  private summary: Report | null = null;
  private recordsById = new Map<string, RunRecord>();
  /** each run's configuration by what differs among the sweep's configurations (`optimizer=adam`); empty for a sweep of one */
  private configurationOf = new Map<string, string>();
  private pairs: PairPoint[] | null = null;
  /** the tabs these results have (no functions tab where no run takes d = 2 inputs) */
  private tabs: readonly (typeof RESULT_TABS)[number][] = RESULT_TABS;
  private readonly spectra = new Map<string, HessianSpectrum | Unavailable>();
  private readonly grids = new Map<string, FunctionGrid | Unavailable>();
  /** a per-run computation under way (one at a time; the tab shows "computing…" meanwhile) */
  private pending = false;

  static override styles = css`
    :host {
      display: block;
      font: 13px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
      color: #111;
    }
    nav {
      display: flex;
      flex-wrap: wrap;
      gap: 2px;
      border-bottom: 1px solid #ccc;
      margin-bottom: 10px;
    }
    nav button {
      font: inherit;
      border: 1px solid transparent;
      border-bottom: none;
      background: none;
      padding: 6px 12px;
      cursor: pointer;
      border-radius: 4px 4px 0 0;
      color: #333;
    }
    nav button[aria-selected='true'] {
      border-color: #ccc;
      background: white;
      font-weight: 600;
      margin-bottom: -1px;
      color: #000;
    }
    .runs {
      max-height: 210px;
      overflow: auto;
      border: 1px solid #ddd;
      margin-bottom: 10px;
    }
    table {
      border-collapse: collapse;
      width: 100%;
      font-variant-numeric: tabular-nums;
    }
    th,
    td {
      padding: 2px 8px;
      text-align: right;
      white-space: nowrap;
    }
    th {
      position: sticky;
      top: 0;
      background: #f3f3f3;
      cursor: pointer;
      user-select: none;
    }
    td:first-child,
    th:first-child,
    td.text,
    th.text {
      text-align: left;
    }
    /* a long label of several grid fields is cut (whole in its tooltip): the numbers stay in view */
    td.configuration {
      max-width: 22em;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    tbody tr {
      cursor: pointer;
    }
    tbody tr:hover {
      background: #f5f8ff;
    }
    tr.selected {
      background: #eef3ff;
    }
    tr.focus td {
      font-weight: 600;
    }
    .swatch {
      display: inline-block;
      width: 10px;
      height: 10px;
      border-radius: 2px;
      margin-right: 5px;
      vertical-align: -1px;
    }
    .controls {
      display: flex;
      flex-wrap: wrap;
      gap: 14px;
      align-items: center;
      margin: 0 0 6px;
      color: #333;
    }
    .hint {
      color: #555;
      margin: 0 0 6px;
    }
    .cause {
      color: #666;
    }
    .computing {
      color: #555;
      padding: 20px;
    }
  `;

  constructor() {
    super();
    this.records = [];
    this.report = null;
    this.source = '';
    this.tab = 'distributions';
    this.selected = [];
    this.focusedRun = null;
    this.axis = 'step';
    this.compute = inPageCompute;
    this.verdicts = new RunVerdicts();
    this.outcomeFilter = 'all';
    this.sortKey = 'id';
    this.sortDescending = false;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('records') || changed.has('report')) {
      this.summary = this.report ?? summarizeRecords(this.records, [], this.source || 'loaded runs', { verdicts: this.verdicts });
      this.recordsById = new Map(this.records.map((record) => [record.id, record]));
      const axes = sweepAxes(this.records);
      const label = groupLabeller(this.records.map((record) => record.config), axes);
      this.configurationOf = new Map(axes.length > 0 ? this.records.map((record) => [record.id, label(record.config)]) : []);
      // the heatmaps need d = 2: results without such a run have no functions tab; one optimiser, no
      // optimisers tab (its one bar would pool every other setting of the sweep into a number that looks like a result)
      const planar = this.records.some(takesPlanarInputs);
      const optimizers = comparesOptimizers(this.records);
      this.tabs = RESULT_TABS.filter((tab) => (tab.id !== 'functions' || planar) && (tab.id !== 'optimizers' || optimizers));
      if (!this.tabs.some((tab) => tab.id === this.tab)) this.tab = 'distributions';
      this.pairs = null;
      this.spectra.clear();
      this.grids.clear();
      if (changed.has('records')) {
        this.pickDefaultRuns();
        // other results (not the same runs with more streamed in): the table's filter was chosen for the old ones
        const previous = changed.get('records') as readonly RunRecord[] | undefined;
        if (previous && !previous.every((record) => this.recordsById.has(record.id))) this.outcomeFilter = 'all';
      }
      if (this.outcomeFilter !== 'all' && !this.summary.runs.some((run) => run.outcome === this.outcomeFilter)) this.outcomeFilter = 'all';
    }
  }

  /**
   * One run of each outcome (channels first) selected, the first channel in focus: curves to compare
   * at once. Not a diverged run where there are others: its overflowing loss would flatten their curves.
   */
  private pickDefaultRuns(): void {
    const picks: string[] = [];
    const others = this.summary!.runs.some((r) => r.outcome !== 'diverged');
    for (const outcome of OUTCOMES) {
      if (outcome === 'diverged' && others) continue;
      const run = this.summary!.runs.find((r) => r.outcome === outcome);
      if (run) picks.push(run.id);
    }
    this.selected = picks.slice(0, 5);
    this.focusedRun = picks[0] ?? null;
    this.axis = hasSimulatedTime(this.records) ? this.axis : 'step';
  }

  /**
   * A click on a run: one not drawn is drawn and shown; one drawn but not shown is shown (it stays
   * drawn); the shown one is taken out of the curves, and the last drawn shown instead. (A click that
   * both hid a run's curve and showed it in the per-run tabs left the page naming a run it did not draw.)
   */
  private toggle(id: string): void {
    if (!this.selected.includes(id)) {
      this.selected = [...this.selected, id].slice(-MAX_SELECTED);
      this.focusedRun = id;
    } else if (this.focusedRun !== id) {
      this.focusedRun = id;
    } else if (this.selected.length > 1) {
      this.selected = this.selected.filter((s) => s !== id);
      this.focusedRun = this.selected[this.selected.length - 1];
    }
  }

  /** The shown run's row scrolled into the table's view where it is out of it (the table scrolls, not the page). */
  private revealFocusedRow(): void {
    const container = this.renderRoot?.querySelector<HTMLElement>('.runs');
    const row = container?.querySelector<HTMLElement>('tr.focus');
    if (!container || !row) return;
    const box = container.getBoundingClientRect();
    const at = row.getBoundingClientRect();
    const header = container.querySelector('thead')?.getBoundingClientRect().height ?? 0;
    if (at.top >= box.top + header && at.bottom <= box.bottom) return;
    container.scrollTop += at.top - box.top - header - (box.height - header - at.height) / 2;
  }

  protected override updated(changed: PropertyValues<this>): void {
    // the table is drawn afresh in a per-run tab, re-sorted or filtered: the shown run's row in view
    if (['focusedRun', 'tab', 'sortKey', 'sortDescending', 'outcomeFilter', 'records'].some((key) => changed.has(key as keyof CsResultsViews))) this.revealFocusedRow();
    // the per-run computations (P Hessian-vector products, a grid of forward passes) run where
    // `compute` puts them, after the page shows "computing…": a click never freezes the page without feedback
    const id = this.focusedRun;
    const record = id ? this.recordsById.get(id) : undefined;
    if (!record || this.pending) return;
    // a failure is shown as the tab's reason, not asked for again at every update; a result that
    // arrives after the records changed is kept only if the run's id still names this record (other
    // results with a run of the same id, trained on another engine, say, need their own)
    const into = <T>(results: Map<string, T | Unavailable>, result: Promise<T | Unavailable>) =>
      result
        .catch((error: unknown): Unavailable => ({ unavailable: (error as Error).message }))
        .then((value) => {
          if (this.recordsById.get(record.id) === record) results.set(record.id, value);
        });
    const work =
      this.tab === 'spectrum' && !this.spectra.has(record.id)
        ? into(this.spectra, this.compute.hessianSpectrum(record))
        : this.tab === 'functions' && !this.grids.has(record.id)
          ? into(this.grids, this.compute.functionGrid(record))
          : null;
    if (!work) return;
    this.pending = true;
    void work.finally(() => {
      this.pending = false;
      this.requestUpdate();
    });
  }

  override render() {
    if (this.records.length === 0) return html`<p class="hint">No runs loaded.</p>`;
    return html`<nav role="tablist">
        ${this.tabs.map(
          (tab) => html`<button role="tab" aria-selected=${this.tab === tab.id ? 'true' : 'false'} @click=${() => (this.tab = tab.id)}>${tab.label}</button>`,
        )}
      </nav>
      ${PER_RUN_TABS.includes(this.tab) ? this.renderRunTable() : nothing} ${this.renderTab()}`;
  }

  private renderTab() {
    const width = this.width.value;
    const runs = this.summary!.runs;
    const focused = this.focusedRun ? this.recordsById.get(this.focusedRun) : undefined;
    switch (this.tab) {
      case 'distributions':
        return html`<cs-chart .figure=${distributionsFigure(this.records, runs, width)} filename="distributions"></cs-chart>`;
      case 'pairs':
        this.pairs ??= pairPoints(this.records, new Set(runs.filter((run) => run.outcome === 'diverged').map((run) => run.id)));
        return html`<cs-chart .figure=${pairScatterFigure(this.pairs, this.records.length, width)} filename="closest-pair-scatter"></cs-chart>`;
      case 'curves': {
        const chosen = this.selected.map((id) => this.recordsById.get(id)).filter((r): r is RunRecord => r !== undefined);
        const timeAvailable = hasSimulatedTime(chosen);
        const axis = timeAvailable ? this.axis : 'step';
        return html`<div class="controls">
            <span>Horizontal axis:</span>
            <label><input type="radio" name="axis" .checked=${axis === 'step'} @change=${() => (this.axis = 'step')} /> optimiser steps</label>
            <label title=${timeAvailable ? '' : 'only gradient-flow runs have a simulated time'}
              ><input type="radio" name="axis" .checked=${axis === 'time'} ?disabled=${!timeAvailable} @change=${() => (this.axis = 'time')} /> simulated time (gradient flow)</label
            >
          </div>
          <cs-chart .figure=${lossCurvesFigure(chosen, axis, width)} filename="loss-curves"></cs-chart>`;
      }
      case 'channel':
        return focused ? html`<cs-chart .figure=${channelFigure(focused, channelTrajectory(focused), width)} filename=${`channel-coordinates-${focused.id}`}></cs-chart>` : nothing;
      case 'spectrum': {
        if (!focused) return nothing;
        const spectrum = this.spectra.get(focused.id);
        return spectrum
          ? html`<cs-chart .figure=${spectrumFigure(focused, spectrum, width)} filename=${`hessian-spectrum-${focused.id}`}></cs-chart>`
          : html`<div class="computing">computing the Hessian spectrum of ${focused.id}…</div>`;
      }
      case 'functions': {
        if (!focused) return nothing;
        const grid = this.grids.get(focused.id);
        return grid
          ? html`<cs-chart .figure=${heatmapFigure(focused, grid, width)} filename=${`functions-${focused.id}`}></cs-chart>`
          : html`<div class="computing">evaluating network, channel limit and teacher of ${focused.id} on the plane…</div>`;
      }
      case 'optimizers':
        return html`<cs-chart .figure=${optimizerFigure(this.records, runs, width)} filename="optimizers"></cs-chart>`;
    }
  }

  private sortBy(key: SortKey): void {
    if (this.sortKey === key) this.sortDescending = !this.sortDescending;
    else {
      this.sortKey = key;
      this.sortDescending = key === 'weightNorm' || key === 'inverseEpsilon';
    }
  }

  private renderRunTable() {
    const runs = this.summary!.runs.filter((run) => this.outcomeFilter === 'all' || run.outcome === this.outcomeFilter);
    const value = (run: ClassifiedRun): number | string => {
      switch (this.sortKey) {
        case 'id':
          return run.id;
        case 'configuration':
          return this.configurationOf.get(run.id) ?? '';
        case 'outcome':
          return OUTCOMES.indexOf(run.outcome);
        default:
          return run.reach[this.sortKey] ?? NaN;
      }
    };
    const sorted = [...runs].sort((p, q) => {
      const a = value(p);
      const b = value(q);
      // run ids with their seeds counted (s2 before s10); configuration labels as text, as before
      const compareText = this.sortKey === 'id' ? compareRunIds : (x: string, y: string) => x.localeCompare(y);
      const order = typeof a === 'string' ? compareText(a, String(b)) : (Number.isNaN(a) ? Infinity : a) - (Number.isNaN(b as number) ? Infinity : (b as number));
      return this.sortDescending ? -order : order;
    });
    const shown = sorted.slice(0, TABLE_ROWS);
    const counts = new Map<Outcome, number>();
    for (const run of this.summary!.runs) counts.set(run.outcome, (counts.get(run.outcome) ?? 0) + 1);
    const header = (key: SortKey, label: string, title: string, text = false) =>
      html`<th class=${text ? 'text' : ''} title=${title} @click=${() => this.sortBy(key)}>${label}${this.sortKey === key ? (this.sortDescending ? ' ▾' : ' ▴') : ''}</th>`;
    const colorIndex = (id: string) => this.selected.indexOf(id);
    return html`<div class="controls">
        <span class="hint">Click a run: it is drawn in the loss curves (up to ${MAX_SELECTED}) and shown in the per-run tabs; click the shown run again to take it out of the curves. ${this.focusedRun ? html`Shown: <b>${this.focusedRun}</b>.` : ''}</span>
        <label
          >Outcome
          <select @change=${(event: Event) => (this.outcomeFilter = (event.target as HTMLSelectElement).value as Outcome | 'all')}>
            <option value="all" ?selected=${this.outcomeFilter === 'all'}>all (${this.summary!.runs.length})</option>
            ${OUTCOMES.filter((o) => counts.has(o)).map((o) => html`<option value=${o} ?selected=${this.outcomeFilter === o}>${OUTCOME_LABELS[o]} (${counts.get(o)})</option>`)}
          </select></label
        >
      </div>
      <div class="runs">
        <table>
          <thead>
            <tr>
              ${header('id', 'run', 'run id: configuration hash and seed', true)}
              ${this.configurationOf.size > 0 ? header('configuration', 'configuration', "what differs among the sweep's configurations", true) : nothing}
              ${header('outcome', 'outcome', 'where the run ended', true)}
              ${header('loss', 'loss', 'final training loss (mean squared error)')} ${header('weightNorm', 'weight norm', 'Σθ²/(2P) at the end')}
              ${header('minCosine', 'min cos dist', 'smallest cosine distance of two hidden neurons (bias included)')}
              ${header('inverseEpsilon', '1/ε', '1/ε of that pair, ε = ‖uᵢ − uⱼ‖/2')} ${header('steps', 'steps', 'optimiser or solver steps')}
              <th class="text">stop reason</th>
            </tr>
          </thead>
          <tbody>
            ${shown.map((run) => {
              const index = colorIndex(run.id);
              const classes = [index >= 0 ? 'selected' : '', this.focusedRun === run.id ? 'focus' : ''].join(' ');
              return html`<tr class=${classes} title=${run.reason} @click=${() => this.toggle(run.id)}>
                <td>${index >= 0 ? html`<span class="swatch" style="background:${runColor(index)}"></span>` : html`<span class="swatch"></span>`}${run.id}</td>
                ${this.configurationOf.size > 0 ? html`<td class="text configuration" title=${this.configurationOf.get(run.id) ?? ''}>${this.configurationOf.get(run.id) ?? ''}</td>` : nothing}
                <td class="text"><span class="swatch" style="background:${OUTCOME_COLORS[run.outcome]}"></span>${OUTCOME_LABELS[run.outcome]}${run.outcome === 'channel' && run.channelStrict ? ' (strict)' : ''}${run.cause ? html`<span class="cause"> · ${run.cause}</span>` : nothing}</td>
                <td>${formatNumber(run.reach.loss)}</td>
                <td>${formatNumber(run.reach.weightNorm)}</td>
                <td>${formatNumber(run.reach.minCosine)}</td>
                <td>${formatNumber(run.reach.inverseEpsilon)}</td>
                <td>${run.reach.steps}</td>
                <td class="text">${run.stopReason}</td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${sorted.length > shown.length ? html`<p class="hint">Showing ${shown.length} of ${sorted.length} runs; sort or filter to find others.</p>` : nothing}`;
  }
}

if (!customElements.get('cs-results-views')) customElements.define('cs-results-views', CsResultsViews);
