// <cs-app>: the dashboard shell. The builder on the left; progress, the summary table, charts and
// opened results on the right. Sweeps run in a Web Worker (comlink), so the page never blocks.
/// <reference types="vite/client" />
import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import * as Comlink from 'comlink';
import { OUTCOMES, type Outcome } from '../../../src/analysis/classify.js';
import { fieldsAbsentFromAll, fieldName, sweepAxes } from '../../../src/experiment/group-labels.js';
import { RunVerdicts, summarizeRecords, type ClassifiedRun, type Report, type SummaryOptions } from '../../../src/experiment/summary.js';
import { continuedSentence, reportWarnings, resumeCommand } from '../../../src/experiment/report-text.js';
import { validateSpec } from '../../../src/experiment/spec.js';
import { plannedRunsOf, plannedSummaryOptions } from '../../../src/experiment/sweep-plan.js';
import { buildPresetReport, tabledPresetOfSpec, type PresetReport } from '../../../src/experiment/preset-reports.js';
import type { CsResultsLoader, FollowStateDetail, FoldersAddedDetail, OpenedFolder, ProcedureLoadedDetail, RecordsAppendedDetail, RecordsLoadedDetail } from '../views/cs-results-loader.js';
import { findPreset } from '../../../src/experiment/presets.js';
import type { RunRecord } from '../../../src/experiment/results.js';
import { withFallback, type PerRunCompute } from '../views/per-run-compute.js';
import type { SweepListener, SweepProgress, SweepStarted, SweepWorkerApi, VerifyEnd, VerifyListener, WebGpuProbe } from '../worker/api.js';
import type { NamedText } from '../../../src/experiment/analyze-network.js';
import type { VerifyPart } from '../../../src/engine/verify-kernels.js';
import { sweepBusy, type CsSpecBuilder, type SweepStartDetail, type SweepStatus } from './cs-spec-builder.js';
import { followStatusText, sweepStatusText } from './sweep-status.js';
import type { SpecValidation } from './spec-form.js';
import { downloadText } from '../charts/export.js';
import { OUTCOME_COLORS, OUTCOME_LABELS } from '../charts/outcome-style.js';
import './cs-spec-builder.js';
import './cs-summary-table.js';
import './cs-gpu-check.js';
import './cs-network-check.js';

// The chart and results components (web/src/charts, views, results) register their own tags;
// importing whatever exists there keeps this shell independent of their file names.
import.meta.glob(['../charts/*.ts', '../views/*.ts', '../results/*.ts'], { eager: true });

/** A preset's report of the shown runs, with what it was made of. */
interface ShownPresetReport {
  report: PresetReport;
  /** the runs in the tables' order, as classified for them */
  records: RunRecord[];
  runs: ClassifiedRun[];
  /** the folders the runs continue (channelscope continue), if they are a continuation's */
  continued: Report['continued'];
  /** the page's runs and spec it was made for: the same again (a regrouping) needs no new tables */
  source: RunRecord[];
  spec: unknown;
}

/** the summary is recomputed at most this often while runs stream in (ms) */
const SUMMARY_REFRESH_MS = 400;

export class CsApp extends LitElement {
  static override properties = {
    probe: { state: true },
    status: { state: true },
    started: { state: true },
    progress: { state: true },
    records: { state: true },
    source: { state: true },
    report: { state: true },
    presetReport: { state: true },
    presetError: { state: true },
    procedure: { state: true },
    groupBy: { state: true },
    gridFields: { state: true },
    builderJson: { state: true },
    errorMessage: { state: true },
    endNote: { state: true },
    keptRuns: { state: true },
    follow: { state: true },
  };

  declare probe: WebGpuProbe | null;
  declare status: SweepStatus;
  declare started: SweepStarted | null;
  declare progress: SweepProgress | null;
  declare records: RunRecord[];
  declare source: string;
  declare report: Report | null;
  /** the tables of the preset whose sweep the shown runs are (by their spec's name, as `report` finds it), with the runs as classified for them; null for other runs */
  declare presetReport: ShownPresetReport | null;
  /** why the preset's tables could not be made of the shown runs ('' when they could, or are not asked for) */
  declare presetError: string;
  /** an opened procedure's folder (no runs: its figure and report), null otherwise */
  declare procedure: ProcedureLoadedDetail | null;
  declare groupBy: string[];
  declare gridFields: string[];
  declare errorMessage: string;
  declare endNote: string;
  /** finished runs the browser keeps (the worker's kept-runs.ts), null without IndexedDB or before asking */
  declare keptRuns: number | null;
  /** an opened served folder that a session may still be writing, followed (cs-results-loader); null otherwise */
  declare follow: FollowStateDetail | null;

  private worker: Comlink.Remote<SweepWorkerApi> | null = null;
  /** the results views' per-run float64 work, in a worker of its own (started at the first such tab) */
  private readonly viewsCompute: PerRunCompute = withFallback(lazyViewsWorker());
  /** <cs-gpu-check>'s entry to the worker (bound once, so Lit sees the same value each render) */
  private readonly verifyGpu = (parts: VerifyPart[], listener: VerifyListener): Promise<VerifyEnd> => {
    if (!this.worker) return Promise.reject(new Error('the sweep worker is not running'));
    return this.worker.verify(parts, listener);
  };
  /** <cs-network-check>'s entry to the worker */
  private readonly analyzeNetwork = (params: NamedText, data: NamedText, previous: NamedText[], maxnorm: number) => {
    if (!this.worker) return Promise.reject(new Error('the sweep worker is not running'));
    return this.worker.analyze(params, data, previous, maxnorm);
  };
  private summaryTimer: ReturnType<typeof setTimeout> | null = null;
  /** each shown run judged once, not at every refresh of the summary as a sweep's runs stream in */
  private readonly verdicts = new RunVerdicts();
  /** the spec of the shown runs' sweep (started here, or the opened folder's spec.json), which may name a preset; null when unknown */
  private sweepSpec: unknown = null;
  /** the builder's spec as JSON (spec-change), to tell whether it is the opened sweep's */
  declare builderJson: string;
  /** what the shown runs' sweep varies (sweepAxes), offered first in the group-by menu */
  private recordAxes: string[] = [];
  /** the runs an opened folder's sweep plans (its spec, shards and continuation), which its records may be fewer than; null when unknown or not opened */
  private plan: ReturnType<typeof plannedRunsOf> | null = null;
  /** the opened folders the plan is made of (a followed sweep's grow as its shards start) */
  private openedFolders: OpenedFolder[] = [];

  constructor() {
    super();
    this.probe = null;
    this.status = 'idle';
    this.started = null;
    this.progress = null;
    this.records = [];
    this.source = '';
    this.report = null;
    this.presetReport = null;
    this.presetError = '';
    this.procedure = null;
    this.groupBy = [];
    this.gridFields = [];
    this.builderJson = '';
    this.errorMessage = '';
    this.endNote = '';
    this.keptRuns = null;
    this.follow = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    try {
      const worker = new Worker(new URL('../worker/sweep-worker.ts', import.meta.url), { type: 'module', name: 'channelscope-sweep' });
      worker.addEventListener('error', (event) => {
        this.errorMessage = `the sweep worker failed: ${event.message || 'it could not be loaded'}; opened results can still be viewed`;
        this.probe ??= { available: false, reason: 'the sweep worker did not start' };
      });
      this.worker = Comlink.wrap<SweepWorkerApi>(worker);
      this.worker
        .probeWebGpu()
        .then((probe) => (this.probe = probe))
        .catch((error: unknown) => (this.probe = { available: false, reason: `checking WebGPU failed: ${(error as Error).message}` }));
      void this.refreshKeptRuns();
    } catch (error) {
      this.errorMessage = `this browser cannot start the sweep worker (${(error as Error).message}); opened results can still be viewed`;
      this.probe = { available: false, reason: 'no module workers' };
    }
  }

  // ---- summary ---------------------------------------------------------------------------------

  private refreshSummary(now = false): void {
    if (now) {
      if (this.summaryTimer) clearTimeout(this.summaryTimer);
      this.summaryTimer = null;
      // in the spec's order (configuration, then seed) as `channelscope report` has them, not the order
      // runs finished in: groups list as the sweep's grid does (s = 0.1, 0.5, 2, 10)
      const ordered = [...this.records].sort((a, b) => a.configIndex - b.configIndex || a.seed - b.seed);
      this.report = ordered.length > 0 ? summarizeRecords(ordered, this.groupBy, this.source, { verdicts: this.verdicts, ...this.plannedOptions(ordered) }) : null;
      // the preset's tables do not depend on the grouping: made again only for other runs or another spec
      if (!this.report) [this.presetReport, this.presetError] = [null, ''];
      else if (this.presetReport?.source !== this.records || this.presetReport.spec !== this.sweepSpec) this.presetReport = this.presetReportOf(ordered, this.report);
      return;
    }
    if (this.summaryTimer) return;
    this.summaryTimer = setTimeout(() => this.refreshSummary(true), SUMMARY_REFRESH_MS);
  }

  /** The planned runs per group (labelled among records and planned runs alike, as `report` labels them), where the opened folders' plan is known. */
  private plannedOptions(records: readonly RunRecord[]): Pick<SummaryOptions, 'planned' | 'groupOf'> {
    return this.plan ? plannedSummaryOptions(records, this.plan, this.groupBy, this.sessionWriting) : {};
  }

  /** Whether a followed folder's session is writing it now: its missing runs are still training. */
  private get sessionWriting(): boolean {
    return Boolean(this.follow?.writing && !this.follow.stopped);
  }

  /** The preset's tables of the shown runs (`ordered` as `report` classified them) when their sweep is a preset's; null otherwise. */
  private presetReportOf(ordered: RunRecord[], report: Report): ShownPresetReport | null {
    this.presetError = '';
    const preset = tabledPresetOfSpec(this.sweepSpec);
    if (!preset) return null;
    try {
      return { report: buildPresetReport(preset.name, ordered, report.planned?.total, preset, {}, report), records: ordered, runs: report.runs, continued: report.continued, source: this.records, spec: this.sweepSpec };
    } catch (error) {
      // the summary stands without them (records of an older version, say)
      this.presetError = `The ${preset.name} preset's tables could not be made of these runs: ${(error as Error).message}`;
      return null;
    }
  }

  private outcomeCounts(): Record<Outcome, number> {
    const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    for (const run of this.report?.runs ?? []) counts[run.outcome]++;
    return counts;
  }

  // ---- sweep control ---------------------------------------------------------------------------

  private async refreshKeptRuns(): Promise<void> {
    this.keptRuns = (await this.worker?.keptRuns().catch(() => null)) ?? null;
  }

  private async forgetKeptRuns(): Promise<void> {
    try {
      const forgotten = (await this.worker?.forgetKeptRuns()) ?? 0;
      this.endNote = `Forgot ${forgotten} kept run${forgotten === 1 ? '' : 's'}: the next start trains all its runs.`;
    } catch (error) {
      this.errorMessage = (error as Error).message;
    }
    await this.refreshKeptRuns();
  }

  private async startSweep(detail: SweepStartDetail): Promise<void> {
    if (!this.worker) return;
    this.status = 'starting';
    this.errorMessage = '';
    this.endNote = '';
    // runs shown until now (opened results, an earlier sweep) had their own grouping: this sweep's
    // summary groups by its grid axes, as a fresh page does (the summary of a loss-levels sweep
    // started after opening channel-frequency results was grouped by activation and teacher)
    if (this.records.length > 0) this.groupBy = this.gridFields;
    this.records = [];
    this.started = null;
    this.progress = null;
    this.source = typeof detail.spec.name === 'string' && detail.spec.name ? `sweep "${detail.spec.name}"` : 'this sweep';
    this.sweepSpec = detail.spec;
    this.plan = null;
    this.openedFolders = [];
    this.stopFollowing();
    this.follow = null;
    this.procedure = null;
    this.refreshSummary(true);
    const listener: SweepListener = {
      started: (info) => {
        this.started = info;
        this.status = 'running';
      },
      records: (batch, progress) => {
        this.records = [...this.records, ...batch];
        this.progress = progress;
        this.refreshSummary();
      },
      progress: (progress) => {
        this.progress = progress;
      },
      notice: (text) => {
        if (this.started) this.started = { ...this.started, notice: [this.started.notice, text].filter(Boolean).join(' ') };
      },
    };
    try {
      const end = await this.worker.start(detail.spec, { backend: detail.backend, files: detail.files, ...(detail.slots !== undefined ? { slots: detail.slots } : {}) }, Comlink.proxy(listener));
      this.status = end.status;
      const kept = end.keptRuns > 0 ? ` (${end.keptRuns} kept from an earlier start)` : '';
      this.endNote = `${end.status === 'finished' ? 'Finished' : 'Cancelled'}: ${end.runs} run${end.runs === 1 ? '' : 's'}${kept} in ${end.seconds.toFixed(1)} s.`;
    } catch (error) {
      this.status = 'failed';
      this.errorMessage = (error as Error).message;
    }
    this.refreshSummary(true);
    await this.refreshKeptRuns();
  }

  /** Puts the opened sweep's spec in the builder, to run it in this page or edit it first. */
  private loadOpenedSpec(): void {
    const builder = this.renderRoot.querySelector<CsSpecBuilder>('cs-spec-builder');
    if (!builder || !this.sweepSpec) return;
    builder.loadSpec(this.sweepSpec as Parameters<CsSpecBuilder['loadSpec']>[0]);
  }

  private pause(): void {
    this.worker?.pause();
    if (this.status === 'running') this.status = 'paused';
  }

  private resume(): void {
    this.worker?.resume();
    if (this.status === 'paused') this.status = 'running';
  }

  private cancel(): void {
    this.worker?.cancel();
  }

  private onSpecChange(raw: unknown, validation: SpecValidation): void {
    this.builderJson = JSON.stringify(raw);
    const grid = [...new Set(validation.spec?.grid.flatMap((axis) => axis.paths.map(fieldName)) ?? [])];
    this.gridFields = grid;
    // a fresh sweep groups by its grid axes unless the user chose otherwise
    if (this.status !== 'running' && this.status !== 'paused' && this.records.length === 0) this.groupBy = grid;
  }

  private onRecordsLoaded(detail: RecordsLoadedDetail): boolean {
    const plan = openedPlan(detail.spec, detail.folders);
    const missing = plan ? plan.planned.length - detail.records.length : 0;
    return this.showOpened({
      records: detail.records,
      source: detail.source,
      spec: detail.spec,
      plan,
      folders: detail.folders,
      procedure: null,
      // group the opened runs by what their sweep varies, as `report --html` does (the form's grid
      // belongs to another sweep)
      groupBy: sweepAxesOf(detail.records, plan),
      endNote: `Opened ${detail.records.length} runs from ${detail.source}${plan ? (missing > 0 ? `, of the ${plan.planned.length} its sweep plans` : ': all its sweep plans') : ''}.`,
    });
  }

  /** A procedure's folder: no runs to summarise, its figure and report instead. */
  private onProcedureLoaded(detail: ProcedureLoadedDetail): boolean {
    return this.showOpened({
      records: [],
      source: detail.source,
      spec: null,
      plan: null,
      folders: [],
      procedure: detail,
      // no runs to group: a sweep started next groups by its own grid, not by runs opened before
      groupBy: this.gridFields,
      endNote: `Opened the ${detail.preset} procedure's result from ${detail.source}: a procedure, not a sweep of runs (its figure and report are below the summary).${detail.notes.length > 0 ? ` ${detail.notes.join('; ')}.` : ''}`,
    });
  }

  /** Shows what was opened (runs, or a procedure's folder) in place of what was shown; refused (false) while a sweep runs. */
  private showOpened(opened: { records: RunRecord[]; source: string; spec: unknown; plan: CsApp['plan']; folders: OpenedFolder[]; procedure: ProcedureLoadedDetail | null; groupBy: string[]; endNote: string }): boolean {
    if (sweepBusy(this.status)) {
      this.errorMessage = 'a sweep is running: cancel it before opening other results';
      return false;
    }
    this.records = opened.records;
    this.source = opened.source;
    this.sweepSpec = opened.spec;
    this.plan = opened.plan;
    this.openedFolders = opened.folders;
    this.follow = null;
    this.procedure = opened.procedure;
    // the progress panel now speaks of what was opened, not of an earlier sweep of this page: its
    // engine, notices and runs-finished count (its bar counted the opened runs out of that sweep's total)
    this.started = null;
    this.progress = null;
    this.status = 'idle';
    this.groupBy = opened.groupBy;
    this.errorMessage = '';
    this.endNote = opened.endNote;
    this.refreshSummary(true);
    void this.updateComplete.then(() => this.revealProgress());
    return true;
  }

  /**
   * The Progress heading scrolled into view where it is out of it: the folders to open are listed
   * below the summary they fill (on a narrow page, below the sweep form too), so what an opening
   * shows is above the click. Nothing moves where it is in view.
   */
  private revealProgress(): void {
    const heading = this.renderRoot.querySelector<HTMLElement>('section.results h2');
    if (!heading) return;
    const { top, bottom } = heading.getBoundingClientRect();
    if (top >= 0 && bottom <= window.innerHeight) return;
    heading.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }

  /** Runs a followed folder's session wrote since the last read: shown with those opened from it. */
  private onRecordsAppended(detail: RecordsAppendedDetail): void {
    if (!this.followed(detail.source)) return;
    this.records = [...this.records, ...detail.records];
    this.refreshSummary();
  }

  /** Folders of a followed sweep that appeared since (shards that started): their runs count among those planned. */
  private onFoldersAdded(detail: FoldersAddedDetail): void {
    if (!this.followed(detail.source) || detail.folders.length === 0) return;
    // grouped by what the sweep varies, as opened: what one shard's runs vary may be less
    const regroup = this.groupBy.join() === this.recordAxes.join();
    this.openedFolders = [...this.openedFolders, ...detail.folders];
    this.plan = openedPlan(this.sweepSpec, this.openedFolders);
    this.recordAxes = sweepAxesOf(this.records, this.plan);
    if (regroup) this.groupBy = this.recordAxes;
    this.refreshSummary(true);
  }

  private onFollowState(detail: FollowStateDetail): void {
    if (!this.followed(detail.source)) return;
    const wasWriting = this.sessionWriting;
    this.follow = detail;
    // the summary's warning says whether the missing runs are still training
    if (wasWriting !== this.sessionWriting) this.refreshSummary(true);
  }

  /** Whether the shown runs are those opened from `source` (a sweep started here since, or other results opened, stop the following). */
  private followed(source: string): boolean {
    if (sweepBusy(this.status) || this.procedure || this.source !== source) {
      this.stopFollowing();
      return false;
    }
    return true;
  }

  private stopFollowing(): void {
    this.renderRoot.querySelector<CsResultsLoader>('cs-results-loader')?.stopFollowing();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('records')) this.recordAxes = sweepAxesOf(this.records, this.plan);
  }

  // ---- render ----------------------------------------------------------------------------------

  private renderNotice(): TemplateResult | typeof nothing {
    const probe = this.probe;
    if (!probe) return html`<div class="notice" data-testid="webgpu-notice">Checking for WebGPU…</div>`;
    if (!probe.available) {
      return html`<div class="notice warn" role="status" data-testid="webgpu-notice" data-webgpu="unavailable">
        <b>No WebGPU in this browser</b> (${probe.reason}). Sweeps run on the float64 CPU engine instead, which suits small runs
        (a few seeds, small N, short budgets). Results files from <code>channelscope run</code> can be opened as usual.
      </div>`;
    }
    const busy = sweepBusy(this.status);
    return html`<div class="notice ok" role="status" data-testid="webgpu-notice" data-webgpu="available">
      WebGPU adapter: <b>${probe.adapter}</b>${probe.software ? ' — a software rasteriser: correct, but slow' : ''}.
      <cs-gpu-check .verify=${this.verifyGpu} ?disabled=${busy}></cs-gpu-check>
    </div>`;
  }

  private renderProgress(): TemplateResult {
    // opened records of a sweep whose plan is known: how many of its planned runs they are
    const planned = this.started ? undefined : this.plan?.planned.length;
    const total = this.progress?.total ?? this.started?.totalRuns ?? planned ?? 0;
    const done = this.progress?.done ?? (planned !== undefined ? this.records.length : 0);
    const counts = this.outcomeCounts();
    const classified = this.report?.runs.length ?? 0;
    const following = this.follow && this.status === 'idle' ? this.follow : null;
    const statusText = following ? followStatusText(following, planned, resumeCommand(Boolean(this.report?.continued))) : sweepStatusText(this.status, this.progress, total, this.endNote);
    return html`<section class="progress" data-testid="sweep-progress" data-status=${this.status} data-done=${done} data-total=${total}>
      <div class="status-line"><span data-testid="sweep-status">${statusText}${following && !following.stopped
          ? html` <button type="button" class="link" data-action="stop-following" @click=${() => this.stopFollowing()}>Stop following</button>`
          : nothing}</span>
        ${this.started ? html`<span class="engine">engine: ${this.started.engine}</span>` : nothing}</div>
      ${this.started?.notice ? html`<div class="notice warn small" data-testid="engine-notice">${this.started.notice}</div>` : nothing}
      ${this.started && this.started.keptRuns > 0
        ? html`<div class="notice small" data-testid="kept-notice" data-kept=${this.started.keptRuns}>${this.started.keptRuns} of ${this.started.totalRuns} runs
            were kept in this browser from an earlier start on this engine: they are not trained again.${this.started.keptFromOtherCode.length > 0
              ? html` Some were trained by other code than this page's (${this.started.keptFromOtherCode.join(', ')}); "Forget them" after the sweep, then Start, trains all with this code.`
              : nothing}</div>`
        : nothing}
      ${total > 0
        ? html`<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax=${total} aria-valuenow=${done} title="finished runs by outcome">
              ${OUTCOMES.map((o) => (counts[o] > 0 ? html`<span style="width:${(100 * counts[o]) / total}%;background:${OUTCOME_COLORS[o]}" title="${OUTCOME_LABELS[o]}: ${counts[o]}"></span>` : nothing))}
              ${done > classified ? html`<span class="pending" style="width:${(100 * (done - classified)) / total}%"></span>` : nothing}
            </div>
            <div class="legend">
              ${OUTCOMES.map((o) => html`<span><i style="background:${OUTCOME_COLORS[o]}"></i>${OUTCOME_LABELS[o]} ${counts[o]}</span>`)}
              <span><i class="todo"></i>not finished ${Math.max(total - done, 0)}</span>
            </div>`
        : nothing}
      ${this.renderKeptRuns()}
    </section>`;
  }

  private renderKeptRuns(): TemplateResult | typeof nothing {
    if (sweepBusy(this.status) || !this.keptRuns) return nothing;
    return html`<div class="kept" data-testid="kept-runs" data-kept=${this.keptRuns}>
      This browser keeps ${this.keptRuns} finished run${this.keptRuns === 1 ? '' : 's'}, so a sweep whose page was reloaded or closed
      continues where it stopped: Start trains only the runs not kept from an earlier start on this engine.
      <button type="button" class="link" data-action="forget-kept" @click=${() => this.forgetKeptRuns()}>Forget them</button>
    </div>`;
  }

  /** An opened procedure's question, its figure and its report. */
  private renderProcedure(): TemplateResult | typeof nothing {
    const procedure = this.procedure;
    if (!procedure) return nothing;
    const preset = findPreset(procedure.preset);
    return html`<section class="panel preset" data-testid="procedure">
      <h2>The ${procedure.preset} procedure${procedure.quick ? ' (its quick version)' : ''}: ${procedure.source}</h2>
      ${preset ? html`<p class="question">${preset.question}</p>` : nothing}
      <cs-procedure-view .preset=${procedure.preset} .result=${procedure.result} .markdown=${procedure.markdown}></cs-procedure-view>
    </section>`;
  }

  /** The preset's question, what its quick version can show, and its tables with their figures. */
  private renderPresetTables(): TemplateResult | typeof nothing {
    if (this.presetError) return html`<section class="panel preset"><p class="notice warn" role="status">${this.presetError}</p></section>`;
    if (!this.presetReport) return nothing;
    const { report, records, runs, continued } = this.presetReport;
    return html`<section class="panel preset" data-testid="preset-tables">
      <h2>The ${report.preset} preset's tables${report.quickNote ? ' (its quick version)' : ''}</h2>
      <p class="question">${report.question}</p>
      ${continued ? html`<p class="aside" data-testid="preset-continued"><i>${continuedSentence(continued)} The tables are over these runs, chosen and continued, not over the preset's sample.</i></p>` : nothing}
      ${report.quickNote ? html`<p class="aside"><i>The quick version:</i> ${report.quickNote}</p>` : nothing}
      ${report.seedsNote ? html`<p class="aside">${report.seedsNote}</p>` : nothing}
      <cs-preset-tables .tables=${report.tables} .records=${records} .runs=${runs}></cs-preset-tables>
    </section>`;
  }

  private renderSlot(tag: string, content: TemplateResult): TemplateResult {
    // the chart/results components are written alongside this shell; until a tag exists, say so
    return customElements.get(tag) ? content : html`<div class="placeholder" data-missing=${tag}>&lt;${tag}&gt; is not part of this build yet.</div>`;
  }

  override render(): TemplateResult {
    return html`
      <header>
        <h1>channelscope</h1>
        <span class="tagline">how many training runs of small teacher–student networks end in channels to infinity</span>
      </header>
      ${this.renderNotice()}
      ${this.errorMessage ? html`<div class="notice error" role="alert" data-testid="app-error">${this.errorMessage}<button type="button" class="dismiss" aria-label="dismiss" @click=${() => (this.errorMessage = '')}>✕</button></div>` : nothing}
      <main>
        <section class="panel builder">
          <h2>Experiment</h2>
          ${this.sweepSpec && JSON.stringify(this.sweepSpec) !== this.builderJson && this.status === 'idle' && !this.started
            ? html`<p class="notice small" data-testid="opened-spec">The runs shown are ${this.source}'s; the spec below is another.
                <button type="button" class="link" data-action="load-opened-spec" @click=${() => this.loadOpenedSpec()}>Load their sweep's spec here</button> to run it in this page, or edit it first.</p>`
            : nothing}
          <cs-spec-builder
            .status=${this.status}
            .webgpuAvailable=${this.probe?.available ?? true}
            @spec-change=${(e: CustomEvent<{ raw: unknown; validation: SpecValidation }>) => this.onSpecChange(e.detail.raw, e.detail.validation)}
            @sweep-start=${(e: CustomEvent<SweepStartDetail>) => this.startSweep(e.detail)}
            @sweep-pause=${() => this.pause()}
            @sweep-resume=${() => this.resume()}
            @sweep-cancel=${() => this.cancel()}
          ></cs-spec-builder>
        </section>
        <section class="panel results">
          <h2>Progress</h2>
          ${this.renderProgress()}
          <h2>Summary</h2>
          ${this.report ? reportWarnings(this.report).map((warning) => html`<p class="notice warn small" role="status" data-testid="summary-warning">${warning}</p>`) : nothing}
          ${this.procedure
            ? html`<p class="notice small" data-testid="procedure-summary">A procedure's folder has no sweep of runs to summarise: its figure and report are below.</p>`
            : html`<cs-summary-table .report=${this.report} .groupBy=${this.groupBy} .fieldChoices=${this.records.length > 0 ? this.recordAxes : this.gridFields} .absentFields=${fieldsAbsentFromAll(this.records, this.groupBy)} .records=${this.records}
            @group-by-change=${(e: CustomEvent<{ by: string[] }>) => {
              this.groupBy = e.detail.by;
              this.refreshSummary(true);
            }}></cs-summary-table>`}
          ${this.records.length > 0 && (this.source.startsWith('sweep') || this.source === 'this sweep')
            ? html`<button type="button" class="link" data-action="download-jsonl" @click=${() => downloadText(this.records.map((r) => JSON.stringify(r)).join('\n') + '\n', 'runs.jsonl', 'application/x-ndjson')}>Download runs.jsonl</button>`
            : nothing}
          ${this.renderSlot('cs-summary-chart', html`<cs-summary-chart .report=${this.report}></cs-summary-chart>`)}
          ${this.report && this.report.runs.length > 0
            ? html`<details class="more-tables" data-testid="outcome-tables">
                <summary>Not converged by cause, and how far runs got (the tables report.md has beside the summary)</summary>
                <cs-outcome-tables .report=${this.report}></cs-outcome-tables>
              </details>`
            : nothing}
          <h2>Open results</h2>
          ${this.renderSlot('cs-results-loader', html`<cs-results-loader
            @records-loaded=${(e: CustomEvent<RecordsLoadedDetail>) => this.onRecordsLoaded(e.detail) || e.preventDefault()}
            @procedure-loaded=${(e: CustomEvent<ProcedureLoadedDetail>) => this.onProcedureLoaded(e.detail) || e.preventDefault()}
            @records-appended=${(e: CustomEvent<RecordsAppendedDetail>) => this.onRecordsAppended(e.detail)}
            @follow-state=${(e: CustomEvent<FollowStateDetail>) => this.onFollowState(e.detail)}
            @folders-added=${(e: CustomEvent<FoldersAddedDetail>) => this.onFoldersAdded(e.detail)}></cs-results-loader>`)}
          <h2>Check a network trained elsewhere</h2>
          <cs-network-check .analyze=${this.analyzeNetwork}></cs-network-check>
        </section>
        ${this.renderPresetTables()} ${this.renderProcedure()}
        <section class="panel views">
          ${this.renderSlot('cs-results-views', html`<cs-results-views .records=${this.records} .compute=${this.viewsCompute} .verdicts=${this.verdicts}></cs-results-views>`)}
        </section>
      </main>
    `;
  }

  static override styles = css`
    :host { display: block; font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222; }
    header { display: flex; align-items: baseline; gap: 14px; padding: 10px 18px; border-bottom: 1px solid #ddd; background: #fbfbfd; }
    h1 { font-size: 20px; margin: 0; }
    .tagline { color: #555; font-size: 13.5px; }
    h2 { font-size: 15px; margin: 10px 0 6px; color: #333; }
    main { display: grid; grid-template-columns: minmax(360px, 5fr) minmax(420px, 7fr); gap: 14px; padding: 8px 18px 24px; }
    .panel { min-width: 0; }
    .panel.views, .panel.preset { grid-column: 1 / -1; }
    .more-tables { margin: 4px 0 10px; font-size: 13.5px; }
    .more-tables summary { cursor: pointer; color: #2458a6; margin-bottom: 6px; }
    .preset .question { max-width: 1000px; margin: 0 0 6px; font-size: 13.5px; }
    .preset .aside { max-width: 1000px; margin: 0 0 6px; font-size: 12.5px; color: #555; }
    /* two columns need about 1000 px (the summary table's outcome columns); narrower, one column */
    @media (max-width: 1000px) {
      main { grid-template-columns: minmax(0, 1fr); }
    }
    .notice { margin: 8px 18px 0; padding: 7px 10px; border-radius: 4px; font-size: 13.5px; background: #f1f3f7; }
    .notice.small { margin: 6px 0; }
    .notice.ok { background: #eef7ee; }
    .notice.warn { background: #fff6e0; border: 1px solid #f0d18a; }
    .notice.error { background: #fdecea; border: 1px solid #eaa59d; color: #7d2419; display: flex; justify-content: space-between; gap: 10px; }
    .dismiss { border: none; background: none; cursor: pointer; color: inherit; }
    /* a long engine description goes under the status rather than squeezing it onto two lines */
    .status-line { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 2px 12px; font-size: 13.5px; }
    .engine { color: #555; font-size: 12.5px; }
    .bar { display: flex; height: 16px; background: #eee; border-radius: 3px; overflow: hidden; margin: 6px 0 4px; }
    .bar span { display: block; height: 100%; }
    .bar .pending { background: repeating-linear-gradient(45deg, #bbb, #bbb 4px, #ccc 4px, #ccc 8px); }
    .legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 12.5px; color: #444; }
    .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
    .legend i.todo { background: #eee; border: 1px solid #ccc; }
    .kept { font-size: 12.5px; color: #555; margin: 6px 0 0; }
    .placeholder { border: 1px dashed #ccc; color: #888; padding: 10px; font-size: 12.5px; margin: 8px 0; }
    button.link { border: none; background: none; color: #2458a6; text-decoration: underline; cursor: pointer; padding: 4px 0; font: inherit; font-size: 12.5px; }
  `;
}

customElements.define('cs-app', CsApp);

/** What the shown runs' sweep varies (sweepAxes), its planned runs included: its grid, whichever of its runs are recorded yet. */
function sweepAxesOf(records: readonly RunRecord[], plan: ReturnType<typeof plannedRunsOf> | null): string[] {
  return sweepAxes(plan ? [...records, ...plan.planned] : records);
}

/**
 * The runs opened folders plan (their spec's runs, each folder its checkpoint's shard or its
 * continuation's chosen runs), as `report` counts them; null where that is unknown: no spec, a spec
 * of an older version that no longer validates, or a folder without a readable checkpoint.
 */
function openedPlan(spec: unknown, folders: readonly OpenedFolder[]): ReturnType<typeof plannedRunsOf> | null {
  if (spec === null || folders.length === 0 || folders.some((folder) => folder.share === null)) return null;
  try {
    return plannedRunsOf(validateSpec(spec, 'spec.json'), folders.map((folder) => folder.share!));
  } catch {
    return null;
  }
}

/**
 * The views worker (web/src/worker/views-worker.ts), started when a per-run tab first needs it. A
 * worker that fails (it could not load, say) rejects its calls, in flight and later, rather than
 * leave them unanswered; withFallback then computes on the page.
 */
function lazyViewsWorker(): PerRunCompute {
  let remote: PerRunCompute | null = null;
  let failure: Promise<never> | null = null;
  const call = <T>(ask: (remote: PerRunCompute) => Promise<T>): Promise<T> => {
    if (!remote) {
      const worker = new Worker(new URL('../worker/views-worker.ts', import.meta.url), { type: 'module', name: 'channelscope-views' });
      failure = new Promise<never>((_, reject) =>
        worker.addEventListener('error', (event) => {
          worker.terminate();
          reject(new Error(`the views worker failed: ${event.message || 'it could not be loaded'}`));
        }),
      );
      failure.catch(() => {}); // observed by the calls that race it
      // every method of the worker's API is already async: its Comlink proxy has the same type
      remote = Comlink.wrap<PerRunCompute>(worker) as unknown as PerRunCompute;
    }
    return Promise.race([ask(remote), failure!]);
  };
  return {
    functionGrid: (record) => call((worker) => worker.functionGrid(record)),
    hessianSpectrum: (record) => call((worker) => worker.hessianSpectrum(record)),
  };
}
