// <cs-results-loader api-url="/api/results">: opens results written by `channelscope run`.
// Drop runs.jsonl files or whole results folders (shards are joined), pick files, or choose a
// folder that `channelscope serve DIR…` offers. Every file must parse: a damaged line is reported
// with its file and line and nothing is loaded, so the statistics shown are never silently partial.
// A folder's spec.json beside its runs.jsonl comes along: it names the preset whose tables the
// dashboard then shows. On success it dispatches `records-loaded` (bubbles, composed) with
// {records, source, notes, spec}; a procedure's folder (channel-jump, saddle-perturbation,
// gd-from-channel: procedure.json and result.json, no runs) dispatches `procedure-loaded` instead.
import { css, html, LitElement, nothing } from 'lit';
import type { RunRecord } from '../../../src/experiment/results.js';
import { parseUserJson } from '../../../src/user-input/user-text.js';
import { joinRecordSets, parseRunsJsonl, sweepRunsFiles } from '../results/parse-jsonl.js';

export interface ResultsListing {
  name: string;
  url: string;
  files: string[];
}

export interface RecordsLoadedDetail {
  records: RunRecord[];
  /** the file or folder names the records came from */
  source: string;
  notes: string[];
  /** the sweep's spec (the spec.json beside every runs.jsonl, one and the same); null where there is none */
  spec: unknown;
}

/** A procedure's folder as `channelscope run PROCEDURE` wrote it. */
export interface ProcedureLoadedDetail {
  preset: string;
  quick: boolean;
  /** its result.json */
  result: unknown;
  /** its report.md ('' where the folder has none, or it could not be read) */
  markdown: string;
  source: string;
  /** what else was there or could not be read (other procedures left out, a report.md that did not come) */
  notes: string[];
}

interface NamedText {
  name: string;
  text: () => Promise<string>;
}

export class CsResultsLoader extends LitElement {
  static override properties = {
    apiUrl: { type: String, attribute: 'api-url' },
    listing: { state: true },
    error: { state: true },
    status: { state: true },
    dragging: { state: true },
  };

  /** where `channelscope serve` lists its results folders; empty: do not ask */
  declare apiUrl: string;
  declare listing: ResultsListing[] | null;
  declare error: string;
  declare status: string;
  declare dragging: boolean;
  /** choices of results so far (load): only the latest one's outcome is shown */
  private choices = 0;

  static override styles = css`
    :host {
      display: block;
      font: 13px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    }
    .drop {
      border: 2px dashed #9aa7b8;
      border-radius: 6px;
      padding: 14px;
      text-align: center;
      color: #333;
      background: #fbfcfe;
    }
    .drop.dragging {
      border-color: #2e86ab;
      background: #eef6fb;
    }
    .drop p {
      margin: 4px 0;
    }
    label.button,
    button {
      font: inherit;
      display: inline-block;
      padding: 3px 10px;
      border: 1px solid #aaa;
      border-radius: 3px;
      background: #f6f6f6;
      cursor: pointer;
      margin: 2px;
    }
    input[type='file'] {
      display: none;
    }
    .listing {
      margin-top: 8px;
    }
    .listing ul {
      margin: 4px 0;
      padding-left: 18px;
    }
    .error {
      margin-top: 8px;
      padding: 8px 10px;
      border-left: 4px solid #b00020;
      background: #fdecee;
      color: #5c0010;
      white-space: pre-wrap;
    }
    .status {
      margin-top: 6px;
      color: #444;
    }
  `;

  constructor() {
    super();
    this.apiUrl = '/api/results';
    this.listing = null;
    this.error = '';
    this.status = '';
    this.dragging = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.fetchListing();
  }

  /** Asks the server for its results folders; a page opened without one (from disk) simply has no list. */
  async fetchListing(): Promise<void> {
    if (!this.apiUrl || location.protocol === 'file:') return;
    try {
      const response = await fetch(this.apiUrl, { headers: { accept: 'application/json' } });
      if (!response.ok) return;
      const body: unknown = await response.json();
      if (Array.isArray(body)) this.listing = body.filter((entry): entry is ResultsListing => typeof entry?.name === 'string' && typeof entry?.url === 'string' && Array.isArray(entry?.files));
    } catch {
      // no results server: drag and drop still works
    }
  }

  /** Loads the runs.jsonl files of a folder the server offers (with the spec.json beside them), or its procedure's files where it has no runs. */
  async loadListed(entry: ResultsListing): Promise<void> {
    const base = new URL(entry.url.endsWith('/') ? entry.url : `${entry.url}/`, location.href);
    const files = sweepRunsFiles(entry.files);
    const jsonl = files.length > 0 ? files : entry.files.filter((file) => file.endsWith('.jsonl'));
    const beside = jsonl.map(specBeside).filter((file) => entry.files.includes(file));
    // no runs: a procedure's folder, whose result load() finds among these
    const procedure = jsonl.length === 0 ? entry.files.filter(isProcedureName) : [];
    await this.load(
      [...jsonl, ...new Set(beside), ...procedure].map((file) => ({
        name: `${entry.name}/${file}`,
        text: async () => {
          const response = await fetch(new URL(file.split('/').map(encodeURIComponent).join('/'), base));
          if (!response.ok) throw new Error(`${entry.name}/${file}: the server answered ${response.status} ${response.statusText}`);
          return await response.text();
        },
      })),
      entry.name,
    );
  }

  /** Parses every file; dispatches `records-loaded` only when all of them are valid, or `procedure-loaded` for a procedure's folder without runs. */
  async load(chosen: NamedText[] | Promise<NamedText[]>, source?: string): Promise<void> {
    // files are read (or fetched, or a dropped folder walked) asynchronously: a choice made while an
    // earlier one is still reading wins, and the earlier one's records or error are dropped
    const choice = ++this.choices;
    const superseded = () => choice !== this.choices;
    this.error = '';
    try {
      const chosenFiles = await chosen;
      if (superseded()) return;
      const files = chosenFiles.filter((file) => isJsonlName(file.name));
      if (files.length === 0) {
        const procedure = await procedureOf(chosenFiles, source);
        if (superseded()) return;
        if (procedure) {
          this.status = `loaded the ${procedure.preset} procedure's result from ${procedure.source}${procedure.notes.length > 0 ? ` — ${procedure.notes.join('; ')}` : ''}`;
          this.dispatchEvent(new CustomEvent<ProcedureLoadedDetail>('procedure-loaded', { detail: procedure, bubbles: true, composed: true }));
          return;
        }
        this.error = `no .jsonl file found${source ? ` in ${source}` : ''}: drop runs.jsonl files or results folders written by \`channelscope run\` (or a procedure's folder: procedure.json and result.json)`;
        return;
      }
      this.status = `reading ${files.length} file${files.length === 1 ? '' : 's'}…`;
      const sets: { records: RunRecord[]; source: string }[] = [];
      const notes: string[] = [];
      for (const file of files) {
        const text = await file.text();
        if (superseded()) return;
        const parsed = parseRunsJsonl(text, file.name);
        sets.push({ records: parsed.records, source: file.name });
        notes.push(...parsed.notes);
      }
      const joined = joinRecordSets(sets);
      notes.push(...joined.notes);
      const spec = await sweepSpec(files, chosenFiles, notes);
      if (superseded()) return;
      const detail: RecordsLoadedDetail = { records: joined.records, source: source ?? files.map((f) => f.name).join(', '), notes, spec };
      this.status = `loaded ${joined.records.length} runs from ${detail.source}${notes.length > 0 ? ` — ${notes.join('; ')}` : ''}`;
      this.dispatchEvent(new CustomEvent<RecordsLoadedDetail>('records-loaded', { detail, bubbles: true, composed: true }));
    } catch (error) {
      if (superseded()) return;
      this.status = '';
      this.error = `Could not load the results: ${(error as Error).message}\nNothing was loaded; the views still show what was there before.`;
    }
  }

  private async onDrop(event: DragEvent): Promise<void> {
    event.preventDefault();
    this.dragging = false;
    const transfer = event.dataTransfer;
    if (!transfer) return;
    const entries = Array.from(transfer.items ?? [])
      .map((item) => (item.kind === 'file' ? item.webkitGetAsEntry?.() : null))
      .filter((entry): entry is FileSystemEntry => Boolean(entry));
    // (the folder walk is part of the choice: a choice made during it wins)
    const files = entries.length > 0 ? resultsFilesFromEntries(entries) : Promise.resolve(Array.from(transfer.files).filter(isResultsFile).map(fromFile));
    await this.load(files.then(ofTheSweep));
  }

  private async onPick(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const files = Array.from(input.files ?? []).filter(isResultsFile).map(fromFile);
    input.value = '';
    await this.load(ofTheSweep(files));
  }

  override render() {
    return html`<div
        class="drop ${this.dragging ? 'dragging' : ''}"
        @dragover=${(event: DragEvent) => {
          event.preventDefault();
          this.dragging = true;
        }}
        @dragleave=${() => (this.dragging = false)}
        @drop=${this.onDrop}
      >
        <p><b>Open results:</b> drop results folders or runs.jsonl files here (shards of one sweep are joined; a preset's folder, or its spec.json beside runs.jsonl, brings the preset's tables)</p>
        <p>
          <label class="button">Choose files…<input type="file" accept=".jsonl,application/x-ndjson,.json,.md" multiple @change=${this.onPick} /></label>
          <label class="button">Choose a folder…<input type="file" webkitdirectory multiple @change=${this.onPick} /></label>
        </p>
      </div>
      ${this.listing && this.listing.length > 0
        ? html`<div class="listing">
            Results folders served by <code>channelscope serve</code>:
            <ul>
              ${this.listing.map(
                (entry) =>
                  html`<li><button @click=${() => this.loadListed(entry)}>${entry.name}</button> ${listedContents(entry.files)}</li>`,
              )}
            </ul>
          </div>`
        : nothing}
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing} ${this.status ? html`<div class="status">${this.status}</div>` : nothing}`;
  }
}

/** Of dropped or chosen .jsonl files, those of the sweep (sweepRunsFiles); files named otherwise are all kept, as are spec files. */
function ofTheSweep(files: NamedText[]): NamedText[] {
  const chosen = new Set(sweepRunsFiles(files.map((file) => file.name)));
  return chosen.size > 0 ? files.filter((file) => chosen.has(file.name) || !/(^|\/)runs\.jsonl$/.test(file.name)) : files;
}

/** What a served folder holds, in a few words: its .jsonl files, or a procedure's result. */
function listedContents(files: readonly string[]): string {
  const jsonl = files.filter(isJsonlName).length;
  const procedures = files.filter((file) => /(^|\/)procedure\.json$/.test(file) && files.includes(file.replace(/procedure\.json$/, 'result.json'))).length;
  if (jsonl === 0 && procedures > 0) return procedures === 1 ? "a procedure's result" : `${procedures} procedures' results (the first opens)`;
  return `${jsonl} .jsonl file${jsonl === 1 ? '' : 's'}`;
}

const isJsonlName = (name: string) => name.endsWith('.jsonl');
const isSpecName = (name: string) => /(^|\/)spec\.json$/.test(name);
const isProcedureName = (name: string) => /(^|\/)(procedure\.json|result\.json|report\.md)$/.test(name);

/** What the loader reads of chosen files: records (.jsonl), the sweep's spec (spec.json), a procedure's files. */
function isResultsFile(file: File): boolean {
  return isJsonlName(file.name) || isSpecName(file.name) || isProcedureName(file.name);
}

/**
 * The procedure among chosen files without runs: the shallowest procedure.json with a result.json
 * beside it (and its report.md, if there); null where there is none. A file that is not JSON, or a
 * procedure.json that names no preset, is an error that names it.
 */
async function procedureOf(files: readonly NamedText[], source: string | undefined): Promise<ProcedureLoadedDetail | null> {
  const byName = new Map(files.map((file) => [file.name, file]));
  const procedures = files.filter((file) => /(^|\/)procedure\.json$/.test(file.name) && byName.has(file.name.replace(/procedure\.json$/, 'result.json')));
  const depth = (name: string) => name.split('/').length;
  const [chosen, ...others] = procedures.sort((p, q) => depth(p.name) - depth(q.name) || p.name.localeCompare(q.name));
  if (!chosen) return null;
  const folder = chosen.name.replace(/procedure\.json$/, '');
  const notes = others.length > 0 ? [`${others.length} more procedure folder${others.length === 1 ? '' : 's'} here, not opened (${others.map((file) => file.name.replace(/\/?procedure\.json$/, '')).join(', ')}): open each on its own`] : [];
  const json = async (file: NamedText) => {
    const text = await file.text();
    try {
      return parseUserJson(text);
    } catch (error) {
      throw new Error(`${file.name} is not JSON (${(error as Error).message})`);
    }
  };
  const procedure = (await json(chosen)) as { preset?: unknown; quick?: unknown };
  if (typeof procedure?.preset !== 'string') throw new Error(`${chosen.name} names no procedure ("preset" is missing): is it a folder of \`channelscope run PROCEDURE\`?`);
  const report = byName.get(`${folder}report.md`);
  let markdown = '';
  if (report) {
    try {
      markdown = await report.text();
    } catch (error) {
      // the figure shows without it
      notes.push(`${report.name} could not be read (${(error as Error).message})`);
    }
  }
  return {
    preset: procedure.preset,
    quick: procedure.quick === true,
    result: await json(byName.get(`${folder}result.json`)!),
    markdown,
    source: source ?? (folder.replace(/\/$/, '') || 'the chosen files'),
    notes,
  };
}

/** The spec.json in the folder of a runs file ("a/b/runs.jsonl" → "a/b/spec.json"). */
function specBeside(runsFile: string): string {
  return runsFile.replace(/[^/]*$/, 'spec.json');
}

/**
 * The sweep's spec: the spec.json beside each of the record files, parsed, when every one has one and
 * they are the same spec (shards of one sweep); null otherwise (loose runs.jsonl files, a spec that is
 * not JSON, or folders of different sweeps, which a note then names).
 */
async function sweepSpec(runsFiles: readonly NamedText[], chosen: readonly NamedText[], notes: string[]): Promise<unknown> {
  const byName = new Map(chosen.filter((file) => isSpecName(file.name)).map((file) => [file.name, file]));
  const specFiles = [...new Set(runsFiles.map((file) => byName.get(specBeside(file.name))))];
  if (specFiles.length === 0 || specFiles.includes(undefined)) return null;
  const specs = await Promise.all(
    specFiles.map(async (file) => {
      let text: string;
      try {
        text = await file!.text();
      } catch (error) {
        notes.push(`${file!.name} could not be read (${(error as Error).message}): the runs are shown without their preset's tables`);
        return null;
      }
      try {
        return JSON.stringify(parseUserJson(text));
      } catch {
        notes.push(`${file!.name} is not JSON: the runs are shown without their preset's tables`);
        return null;
      }
    }),
  );
  if (specs.includes(null)) return null;
  // one sweep's shards write the same spec; the command line's merge compares resolved specs and
  // would take two versions' wordings of one sweep as one, where this says "not one sweep" (no tables)
  if (new Set(specs).size > 1) {
    notes.push(`the folders' spec.json files differ (${specFiles.map((file) => file!.name).join(', ')}): they are not one sweep, so no preset's tables are shown`);
    return null;
  }
  return JSON.parse(specs[0]!);
}

function fromFile(file: File): NamedText {
  return { name: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name, text: () => file.text() };
}

/** The .jsonl, spec.json and procedure files in dropped files and folders (folders walked recursively). */
async function resultsFilesFromEntries(entries: FileSystemEntry[]): Promise<NamedText[]> {
  const found: NamedText[] = [];
  const visit = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      const name = entry.fullPath.replace(/^\//, '');
      if (!isJsonlName(name) && !isSpecName(name) && !isProcedureName(name)) return;
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      found.push({ name, text: () => file.text() });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns the folder in batches until an empty one
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await visit(child);
      }
    }
  };
  for (const entry of entries) await visit(entry);
  return found.sort((p, q) => p.name.localeCompare(q.name));
}

if (!customElements.get('cs-results-loader')) customElements.define('cs-results-loader', CsResultsLoader);
