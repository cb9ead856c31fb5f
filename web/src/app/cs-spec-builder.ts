// <cs-spec-builder>: edit an experiment spec — from a preset or blank — in a form generated from the
// spec schema, or as JSON; validated on every edit by the command line's validator, with each
// problem shown at its field. Emits sweep-start / sweep-pause / sweep-resume / sweep-cancel.
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { BLANK_SPEC, listPresets, type SpecPreset } from './presets.js';
import { CONFIG_FIELDS, leafPaths, validateForForm, type FieldEntry, type SpecValidation } from './spec-form.js';
import type { BackendPreference } from '../worker/api.js';

/** The menu's groups of starting points. */
const PRESET_GROUPS: [SpecPreset['source'], string][] = [
  ['presets', "the paper's experiments (channelscope presets)"],
  ['examples', 'example specs (examples/)'],
];

export type SweepStatus = 'idle' | 'starting' | 'running' | 'paused' | 'finished' | 'cancelled' | 'failed';

/** A sweep holds the worker (starting, running or paused): nothing else may start, open or forget. */
export function sweepBusy(status: SweepStatus): boolean {
  return status === 'running' || status === 'paused' || status === 'starting';
}

export interface SweepStartDetail {
  spec: Record<string, unknown>;
  backend: BackendPreference;
  slots?: number;
  files: Record<string, string>;
}

type Json = Record<string, unknown>;

const SEEDS_HINT = 'n (seeds 0…n−1), [0, 5, 7] or {"from": 100, "count": 24}';

export class CsSpecBuilder extends LitElement {
  static override properties = {
    status: { type: String },
    webgpuAvailable: { type: Boolean, attribute: 'webgpu-available' },
    raw: { state: true },
    validation: { state: true },
    presetName: { state: true },
    mode: { state: true },
    backend: { state: true },
    slotsText: { state: true },
    files: { state: true },
    jsonDraft: { state: true },
    jsonError: { state: true },
  };

  declare status: SweepStatus;
  declare webgpuAvailable: boolean;
  declare raw: Json;
  declare validation: SpecValidation;
  declare presetName: string;
  declare mode: 'form' | 'json';
  declare backend: BackendPreference;
  declare slotsText: string;
  declare files: Record<string, string>;
  /** the data files chosen so far, added to `files` once read */
  private dataFilesAdded: Promise<void> = Promise.resolve();
  declare jsonDraft: string;
  declare jsonError: string;

  private readonly presets: SpecPreset[] = listPresets();
  /** text typed into number and JSON fields, kept as typed while it does not parse */
  private drafts = new Map<string, string>();

  constructor() {
    super();
    this.status = 'idle';
    this.webgpuAvailable = true;
    this.mode = 'form';
    this.backend = 'auto';
    this.slotsText = '';
    this.files = {};
    this.jsonError = '';
    const first = this.presets[0];
    this.presetName = first?.name ?? '';
    this.setRaw(structuredClone(first?.spec ?? BLANK_SPEC));
  }

  /** Replaces the spec being edited (also used by tests and the page to load a spec). */
  loadSpec(spec: Json, presetName = ''): void {
    this.presetName = presetName;
    this.drafts.clear();
    this.setRaw(structuredClone(spec));
  }

  override firstUpdated(): void {
    // the constructor's spec-change fired before the page could listen
    this.dispatchEvent(new CustomEvent('spec-change', { detail: { raw: this.raw, validation: this.validation }, bubbles: true, composed: true }));
  }

  get specValidation(): SpecValidation {
    return this.validation;
  }

  private setRaw(raw: Json): void {
    this.raw = raw;
    this.validation = validateForForm(raw);
    this.jsonDraft = JSON.stringify(raw, null, 2);
    this.jsonError = '';
    this.dispatchEvent(new CustomEvent('spec-change', { detail: { raw, validation: this.validation }, bubbles: true, composed: true }));
  }

  private valueAt(path: string[]): unknown {
    let value: unknown = this.raw;
    for (const key of path) value = value && typeof value === 'object' ? (value as Json)[key] : undefined;
    return value;
  }

  /** Sets (or, with undefined, removes) the value at a path, creating objects on the way. */
  private setField(path: string[], value: unknown): void {
    const raw = structuredClone(this.raw);
    let node: Json = raw;
    for (const key of path.slice(0, -1)) {
      if (!node[key] || typeof node[key] !== 'object' || Array.isArray(node[key])) node[key] = {};
      node = node[key] as Json;
    }
    const last = path[path.length - 1];
    if (value === undefined) delete node[last];
    else node[last] = value;
    this.setRaw(raw);
  }

  private choosePreset(name: string): void {
    if (name === '') {
      this.loadSpec(BLANK_SPEC, '');
      return;
    }
    const preset = this.presets.find((p) => p.name === name);
    if (preset) this.loadSpec(preset.spec, preset.name);
  }

  // ---- fields ---------------------------------------------------------------------------------

  private errorAt(dotted: string): TemplateResult | typeof nothing {
    const message = this.validation.fieldErrors.get(dotted);
    return message ? html`<div class="field-error" role="alert" data-error-for=${dotted}>${message}</div>` : nothing;
  }

  private placeholderOf(entry: FieldEntry): string {
    if (entry.defaultValue !== undefined && typeof entry.defaultValue !== 'object') return `default ${JSON.stringify(entry.defaultValue)}`;
    return entry.required ? 'required' : 'optional';
  }

  private renderEntry(entry: FieldEntry, path: string[]): TemplateResult {
    const dotted = path.join('.');
    const value = this.valueAt(path);
    const schema = entry.schema;
    const invalid = this.validation.fieldErrors.has(dotted);
    if (schema.type === 'object') {
      return html`<fieldset class="group">
        <legend>${entry.key}</legend>
        ${schema.fields.map((child) => this.renderEntry(child, [...path, child.key]))} ${this.errorAt(dotted)}
      </fieldset>`;
    }
    if (schema.type === 'kinds') {
      const current = value && typeof value === 'object' ? String((value as Json)[schema.discriminator] ?? '') : '';
      const fields = schema.options[current] ?? [];
      const changeKind = (kind: string) => {
        const previous = (value && typeof value === 'object' ? value : {}) as Json;
        const keep = new Set((schema.options[kind] ?? []).map((f) => f.key));
        const next: Json = { [schema.discriminator]: kind };
        for (const [key, v] of Object.entries(previous)) if (keep.has(key)) next[key] = v;
        this.setField(path, kind === '' ? undefined : next);
      };
      return html`<fieldset class="group">
        <legend>${entry.key}</legend>
        <label class="field">
          <span>kind</span>
          <select data-field=${`${dotted}.${schema.discriminator}`} @change=${(e: Event) => changeKind((e.target as HTMLSelectElement).value)}>
            ${current === '' ? html`<option value="" selected>${entry.required ? '— choose —' : 'default'}</option>` : nothing}
            ${Object.keys(schema.options).map((kind) => html`<option value=${kind} ?selected=${kind === current}>${kind}</option>`)}
          </select>
        </label>
        ${this.errorAt(`${dotted}.${schema.discriminator}`)} ${fields.map((child) => this.renderEntry(child, [...path, child.key]))} ${this.errorAt(dotted)}
      </fieldset>`;
    }
    let control: TemplateResult;
    switch (schema.type) {
      case 'enum':
        control = html`<select data-field=${dotted} aria-invalid=${invalid} @change=${(e: Event) => this.setField(path, (e.target as HTMLSelectElement).value || undefined)}>
          ${value === undefined ? html`<option value="" selected>${entry.required ? '— choose —' : this.placeholderOf(entry)}</option>` : html`<option value="">${entry.required ? '— choose —' : this.placeholderOf(entry)}</option>`}
          ${schema.values.map((v) => html`<option value=${v} ?selected=${v === value}>${v}</option>`)}
        </select>`;
        break;
      case 'boolean':
        control = html`<select data-field=${dotted} aria-invalid=${invalid} @change=${(e: Event) => {
          const v = (e.target as HTMLSelectElement).value;
          this.setField(path, v === '' ? undefined : v === 'true');
        }}>
          <option value="" ?selected=${value === undefined}>${this.placeholderOf(entry)}</option>
          <option value="true" ?selected=${value === true}>true</option>
          <option value="false" ?selected=${value === false}>false</option>
        </select>`;
        break;
      case 'string':
        control = html`<input type="text" data-field=${dotted} aria-invalid=${invalid} placeholder=${this.placeholderOf(entry)} .value=${typeof value === 'string' ? value : ''}
          @input=${(e: Event) => this.setField(path, (e.target as HTMLInputElement).value || undefined)} />`;
        break;
      case 'number':
      case 'json': {
        const shown = this.drafts.get(dotted) ?? (value === undefined ? '' : JSON.stringify(value));
        control = html`<input type="text" data-field=${dotted} aria-invalid=${invalid} spellcheck="false" placeholder=${this.placeholderOf(entry)} .value=${shown}
          @input=${(e: Event) => this.updateFromText(path, (e.target as HTMLInputElement).value)} />`;
        break;
      }
    }
    return html`<label class="field"><span>${entry.key}</span>${control}</label>${this.errorAt(dotted)}`;
  }

  /** Number and JSON fields: blank removes the key, text that is not JSON is kept as a string (the validator then says what is expected). */
  private updateFromText(path: string[], text: string): void {
    this.drafts.set(path.join('.'), text);
    if (text.trim() === '') {
      this.setField(path, undefined);
      return;
    }
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // kept as typed
    }
    this.setField(path, value);
  }

  // ---- seeds and grid -------------------------------------------------------------------------

  private renderSweepFields(): TemplateResult {
    const grid = (this.raw.grid && typeof this.raw.grid === 'object' ? this.raw.grid : {}) as Record<string, unknown>;
    const rows = Object.entries(grid);
    const setGrid = (entries: [string, unknown][]) => this.setField(['grid'], entries.length > 0 ? Object.fromEntries(entries) : undefined);
    const seedsText = this.drafts.get('seeds') ?? (this.raw.seeds === undefined ? '' : JSON.stringify(this.raw.seeds));
    return html`<fieldset class="group">
      <legend>seeds and grid</legend>
      <label class="field"><span>seeds</span>
        <input type="text" data-field="seeds" spellcheck="false" placeholder=${SEEDS_HINT} .value=${seedsText} aria-invalid=${this.validation.fieldErrors.has('seeds')}
          @input=${(e: Event) => this.updateFromText(['seeds'], (e.target as HTMLInputElement).value)} />
      </label>
      ${this.errorAt('seeds')}
      <div class="grid-rows">
        ${rows.map(
          ([path, values], index) => html`<div class="grid-row">
            <input type="text" list="grid-paths" data-field=${`grid.path.${index}`} aria-label="grid field path" .value=${path}
              @change=${(e: Event) => setGrid(rows.map(([p, v], k) => (k === index ? [(e.target as HTMLInputElement).value, v] : [p, v])))} />
            <input type="text" spellcheck="false" data-field=${`grid.values.${index}`} aria-label=${`values of ${path}`}
              .value=${this.drafts.get(`grid.values.${index}`) ?? JSON.stringify(values)}
              @input=${(e: Event) => {
                const text = (e.target as HTMLInputElement).value;
                this.drafts.set(`grid.values.${index}`, text);
                let parsed: unknown = text;
                try {
                  parsed = JSON.parse(text);
                } catch {
                  // kept as typed; the validator says what is expected
                }
                setGrid(rows.map(([p, v], k) => (k === index ? [p, parsed] : [p, v])));
              }} />
            <button type="button" class="small" title="remove this grid axis" @click=${() => {
              this.drafts.clear();
              setGrid(rows.filter((_, k) => k !== index));
            }}>✕</button>
          </div>`,
        )}
        <button type="button" class="small" data-action="add-grid-axis" @click=${() => {
          let name = 'optimizer.lr';
          for (let k = 2; name in grid; k++) name = `field${k}`;
          setGrid([...rows, [name, []]]);
        }}>+ grid axis</button>
        <datalist id="grid-paths">${leafPaths().map((p) => html`<option value=${p}></option>`)}</datalist>
      </div>
      ${this.errorAt('grid')}
      <div class="hint">Runs = configurations (product of the grid's value counts) × seeds.</div>
    </fieldset>`;
  }

  // ---- JSON mode ------------------------------------------------------------------------------

  private applyJson(text: string): void {
    this.jsonDraft = text;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      this.jsonError = `not valid JSON: ${(error as Error).message}`;
      return;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      this.jsonError = 'the spec must be a JSON object';
      return;
    }
    this.drafts.clear();
    const draft = text;
    this.presetName = ''; // edited by hand: no longer the preset it started from
    this.setRaw(parsed as Json);
    this.jsonDraft = draft;
  }

  private addDataFiles(list: FileList | null): Promise<void> {
    if (!list) return this.dataFilesAdded;
    const reading = Promise.all(Array.from(list, async (file) => [file.name, await file.text()] as const));
    reading.catch(() => {}); // (a failure is reported in its turn, below)
    // added to the files as they are once read, in the order chosen: files chosen while these were
    // read are kept (they were lost when a copy made before reading was written back), and of two
    // files of one name the one chosen last wins
    this.dataFilesAdded = this.dataFilesAdded
      .then(() => reading)
      .then(
        (read) => {
          this.files = { ...this.files, ...Object.fromEntries(read) };
        },
        (error: Error) => console.warn(`a data file could not be read: ${error.message}`),
      );
    return this.dataFilesAdded;
  }

  // ---- render ---------------------------------------------------------------------------------

  private start(): void {
    if (!this.validation.spec) return;
    const slots = this.slotsText.trim() === '' ? undefined : Number(this.slotsText);
    const detail: SweepStartDetail = { spec: structuredClone(this.raw), backend: this.backend, ...(slots !== undefined ? { slots } : {}), files: this.files };
    this.dispatchEvent(new CustomEvent('sweep-start', { detail, bubbles: true, composed: true }));
  }

  private emit(name: string): void {
    this.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true }));
  }

  override render(): TemplateResult {
    // JSON text that does not parse is not the spec Start would run (that is the last text that
    // parsed): nothing to start, and no "Valid" for it, until it parses again
    const jsonBroken = this.mode === 'json' && this.jsonError !== '';
    const spec = jsonBroken ? undefined : this.validation.spec;
    const runCount = spec ? spec.configurations.length * spec.seeds.length : 0;
    const busy = sweepBusy(this.status);
    const slotsValid = this.slotsText.trim() === '' || (Number.isInteger(Number(this.slotsText)) && Number(this.slotsText) >= 1);
    return html`
      <div class="toolbar">
        <label class="field"><span>start from</span>
          <select data-field="preset" @change=${(e: Event) => this.choosePreset((e.target as HTMLSelectElement).value)} ?disabled=${busy}>
            <option value="" ?selected=${this.presetName === ''}>blank / edited spec</option>
            ${PRESET_GROUPS.map(
              ([source, label]) => html`<optgroup label=${label}>
                ${this.presets.filter((p) => p.source === source).map((p) => html`<option value=${p.name} ?selected=${p.name === this.presetName} title=${p.description}>${p.name}</option>`)}
              </optgroup>`,
            )}
          </select>
        </label>
        <div class="tabs" role="tablist">
          <button type="button" role="tab" aria-selected=${this.mode === 'form'} data-action="form-mode" ?disabled=${jsonBroken}
            title=${jsonBroken ? 'the JSON does not parse: fix it first (the form would show the last spec that parsed, and the text typed since would be lost)' : ''}
            @click=${() => (this.mode = 'form')}>Form</button>
          <button type="button" role="tab" aria-selected=${this.mode === 'json'} data-action="json-mode" @click=${() => {
            this.jsonDraft = JSON.stringify(this.raw, null, 2);
            this.mode = 'json';
          }}>JSON</button>
        </div>
      </div>
      ${this.presets.find((p) => p.name === this.presetName)?.description
        ? html`<p class="preset-description">${this.presets.find((p) => p.name === this.presetName)!.description}</p>`
        : nothing}
      <fieldset class="editor" ?disabled=${busy}>
        ${this.mode === 'form'
          ? html`${CONFIG_FIELDS.map((entry) => this.renderEntry(entry, [entry.key]))} ${this.renderSweepFields()}
              <fieldset class="group">
                <legend>data files</legend>
                <div class="hint">For data.inputs.kind "file" or teacher.kind "network": the browser cannot read paths, so add the files named in the spec here.</div>
                <input type="file" multiple accept=".csv,.json,.txt" data-field="data-files" @change=${(e: Event) => this.addDataFiles((e.target as HTMLInputElement).files)} />
                ${Object.keys(this.files).length > 0 ? html`<div class="hint">added: ${Object.keys(this.files).join(', ')}</div>` : nothing}
              </fieldset>`
          : html`<textarea data-field="spec-json" spellcheck="false" .value=${this.jsonDraft} @input=${(e: Event) => this.applyJson((e.target as HTMLTextAreaElement).value)}></textarea>
              ${this.jsonError ? html`<div class="field-error" role="alert">${this.jsonError}</div>` : nothing}`}
      </fieldset>
      <div class="validation ${spec ? 'ok' : 'bad'}" data-testid="spec-validation" role="status">
        ${spec ? html`Valid: ${spec.configurations.length} configuration${spec.configurations.length === 1 ? '' : 's'} × ${spec.seeds.length} seed${spec.seeds.length === 1 ? '' : 's'} = <b>${runCount} runs</b>.` : jsonBroken ? 'The JSON does not parse (see above): nothing to start until it does.' : this.validation.message}
      </div>
      <div class="controls">
        <div class="settings">
          <label class="field inline"><span>engine</span>
            <select data-field="backend" ?disabled=${busy} @change=${(e: Event) => (this.backend = (e.target as HTMLSelectElement).value as BackendPreference)}>
              <option value="auto" ?selected=${this.backend === 'auto'}>automatic (WebGPU, else CPU)</option>
              <option value="gpu" ?selected=${this.backend === 'gpu'} ?disabled=${!this.webgpuAvailable}>WebGPU</option>
              <option value="cpu" ?selected=${this.backend === 'cpu'}>CPU (float64)</option>
            </select>
          </label>
          <label class="field inline"><span>slots</span>
            <input type="text" size="6" placeholder="default" data-field="slots" ?disabled=${busy} .value=${this.slotsText} aria-invalid=${!slotsValid}
              @input=${(e: Event) => (this.slotsText = (e.target as HTMLInputElement).value)} />
          </label>
          ${slotsValid ? nothing : html`<div class="field-error" role="alert" data-testid="slots-error">slots: ${JSON.stringify(this.slotsText)} is not a whole number ≥ 1 (the networks trained at once; leave it empty for the default): nothing to start until it is</div>`}
        </div>
        <div class="actions">
          <button type="button" class="primary" data-action="start" ?disabled=${!spec || busy || !slotsValid} @click=${() => this.start()}>Start</button>
          ${this.status === 'paused'
            ? html`<button type="button" data-action="resume" @click=${() => this.emit('sweep-resume')}>Resume</button>`
            : html`<button type="button" data-action="pause" ?disabled=${this.status !== 'running'} @click=${() => this.emit('sweep-pause')}>Pause</button>`}
          <button type="button" data-action="cancel" ?disabled=${!busy} @click=${() => this.emit('sweep-cancel')}>Cancel</button>
        </div>
      </div>
    `;
  }

  static override styles = css`
    :host { display: block; font-size: 14px; }
    .toolbar { display: flex; gap: 12px; align-items: end; justify-content: space-between; margin-bottom: 6px; }
    /* the tabs keep their width and stay side by side; a long preset name narrows the select instead */
    .tabs { display: flex; flex: none; }
    .toolbar > .field { flex: 1; min-width: 0; }
    .tabs button { border: 1px solid #bbb; background: #f4f4f4; padding: 4px 10px; cursor: pointer; }
    .tabs button[aria-selected='true'] { background: #fff; border-bottom-color: #fff; font-weight: 600; }
    .preset-description { color: #555; font-size: 12px; margin: 4px 0 8px; line-height: 1.4; max-height: 5.6em; overflow: auto; } /* four whole lines, then a scrollbar: never a line cut in half */
    fieldset.editor { border: none; padding: 0; margin: 0; max-height: 52vh; overflow: auto; }
    fieldset.group { border: 1px solid #ddd; border-radius: 4px; margin: 6px 0; padding: 4px 8px 6px; }
    legend { font-weight: 600; color: #333; padding: 0 4px; }
    .field { display: grid; grid-template-columns: 9.5em 1fr; align-items: center; gap: 6px; margin: 3px 0; }
    .field.inline { display: inline-grid; grid-template-columns: auto auto; }
    .field span { color: #444; font-family: ui-monospace, monospace; font-size: 12.5px; }
    input, select, textarea { font: inherit; padding: 3px 5px; border: 1px solid #aaa; border-radius: 3px; min-width: 0; }
    [aria-invalid='true'] { border-color: #c0392b; background: #fff5f4; }
    textarea { width: 100%; box-sizing: border-box; height: 48vh; font-family: ui-monospace, monospace; font-size: 12.5px; }
    .field-error { color: #b03a2e; font-size: 12.5px; margin: 0 0 4px 10.2em; }
    fieldset.group > .field-error { margin-left: 0; }
    .grid-row { display: grid; grid-template-columns: 13em 1fr auto; gap: 6px; margin: 3px 0; }
    .hint { color: #666; font-size: 12px; margin: 3px 0; }
    .validation { margin: 8px 0; padding: 6px 8px; border-radius: 4px; font-size: 13px; }
    .validation.ok { background: #eef7ee; color: #1e5e2a; }
    .validation.bad { background: #fdecea; color: #8e2a1e; }
    /* Start, Pause and Cancel move as one: beside the engine settings where the column is wide enough, else on a line of their own, never split */
    .controls, .settings, .actions { display: flex; gap: 8px; align-items: center; }
    .controls, .settings { flex-wrap: wrap; row-gap: 6px; }
    .actions { flex: none; }
    button { font: inherit; padding: 5px 12px; border-radius: 4px; border: 1px solid #999; background: #fafafa; cursor: pointer; }
    button.small { padding: 2px 8px; font-size: 12px; }
    button.primary { background: #2458a6; color: #fff; border-color: #2458a6; }
    button:disabled { opacity: 0.5; cursor: default; }
  `;
}

customElements.define('cs-spec-builder', CsSpecBuilder);
