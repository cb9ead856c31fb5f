// <cs-results-loader api-url="/api/results">: opens results written by `channelscope run`.
// Drop runs.jsonl files or whole results folders (shards are joined), pick files, or choose a
// folder that `channelscope serve DIR…` offers. Every file must parse: a damaged line is reported
// with its file and line and nothing is loaded, so the statistics shown are never silently partial.
// A folder's spec.json beside its runs.jsonl comes along: it names the preset whose tables the
// dashboard then shows, and with the checkpoint.json (its shard) and a continuation's continued.json
// beside it, the runs the folders plan, so that a sweep stopped or still running is shown as the part
// of its runs that it is. On success it dispatches `records-loaded` (bubbles, composed) with
// {records, source, notes, spec, folders}; a procedure's folder (channel-jump, saddle-perturbation,
// gd-from-channel: procedure.json and result.json, no runs) dispatches `procedure-loaded` instead. Both
// are cancelable: a page that cannot show them now (a sweep runs in it) cancels them, and then nothing
// opened is followed.
import { css, html, LitElement, nothing } from 'lit';
import type { RunRecord } from '../../../src/experiment/results.js';
import { validateSpec, type ExperimentSpec } from '../../../src/experiment/spec.js';
import { specDifferences, type FolderShare } from '../../../src/experiment/sweep-plan.js';
import { parseUserJson } from '../../../src/user-input/user-text.js';
import { joinRecordSets, parseRunsJsonl, ResultsFileError, sweepRunsFiles } from '../results/parse-jsonl.js';
import { checkpointProgress, completeLinesEnd, fileUrl, RunsFollower, type FollowedFolder, type FollowState } from '../results/follow-runs.js';
import { baseName, CHECKPOINT_FILE, CONTINUED_FILE, LOCK_FILE, PRESET_REPORT_FILE, PROCEDURE_FILE, PROCEDURE_RESULT_FILE, RUNS_FILE, SPEC_FILE } from '../../../src/experiment/folder-files.js';

/** A served folder as `channelscope serve` lists it (serve.ts ResultsListingEntry). */
export interface ResultsListing {
  name: string;
  url: string;
  /** the files in it the page reads */
  files: string[];
  /** where the folder has more such files than the server lists (a job array of thousands of shards) */
  truncated?: boolean;
}

export interface RecordsLoadedDetail {
  records: RunRecord[];
  /** the file or folder names the records came from */
  source: string;
  notes: string[];
  /** the sweep's spec (the spec.json beside every runs.jsonl, one and the same sweep); null where there is none */
  spec: unknown;
  /** each runs.jsonl's folder: its share of the sweep and how far its checkpoint says it got */
  folders: OpenedFolder[];
}

/** Runs appended to a followed sweep's folders since the last read (`records-appended`). */
export interface RecordsAppendedDetail {
  records: RunRecord[];
  /** the records-loaded source they add to */
  source: string;
  notes: string[];
}

/** Folders of a followed sweep that appeared since it was opened (`folders-added`): shards of a job array that started since. */
export interface FoldersAddedDetail {
  /** the records-loaded source they add to */
  source: string;
  folders: OpenedFolder[];
}

/** Where a followed sweep stands (`follow-state`), after every read and when following ends. */
export interface FollowStateDetail extends FollowState {
  /** the records-loaded source it follows */
  source: string;
}

/** A folder of opened records, as its checkpoint.json and continued.json describe it. */
export interface OpenedFolder {
  /** its runs file, as named */
  runsFile: string;
  /** its share of the sweep; null without a checkpoint.json beside it, or where it or continued.json could not be read (planned runs then unknown) */
  share: FolderShare | null;
  /** what its checkpoint.json says of the session writing it; null without one */
  checkpoint: { finished: boolean } | null;
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
  /** reads a served sweep's folders again while their session writes them; null when not following */
  private follower: RunsFollower | null = null;

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

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopFollowing();
  }

  /** Stops reading a followed sweep again (another choice, a sweep started in the page, the user's button). */
  stopFollowing(): void {
    this.follower?.stop();
    this.follower = null;
  }

  /** Asks the server for its results folders (and returns them); a page opened without one (from disk) simply has no list. */
  async fetchListing(): Promise<ResultsListing[] | null> {
    if (!this.apiUrl || location.protocol === 'file:') return null;
    try {
      const response = await fetch(new URL(this.apiUrl, location.href), { headers: { accept: 'application/json' }, cache: 'no-store' });
      if (!response.ok) return null;
      const body: unknown = await response.json();
      if (!Array.isArray(body)) return null;
      this.listing = body.filter((entry): entry is ResultsListing => typeof entry?.name === 'string' && typeof entry?.url === 'string' && Array.isArray(entry?.files));
      return this.listing;
    } catch {
      // no results server: drag and drop still works
      return null;
    }
  }

  /**
   * Loads the runs.jsonl files of a folder the server offers (with the spec.json, checkpoint.json and
   * continued.json beside them), or its procedure's files where it has no runs. A sweep whose
   * checkpoint says its session has not finished is then followed: runs appended later come in as
   * `records-appended` events until it finishes.
   */
  async loadListed(listed: ResultsListing): Promise<void> {
    const base = new URL(listed.url.endsWith('/') ? listed.url : `${listed.url}/`, location.href).href;
    // the folder as the server lists it now, not at the page's load: a sweep started into it since
    // has written its files (the old listing stands in where the server does not answer)
    let entry = listed;
    // where each file's complete lines end, in bytes: a follower reads on from there
    const completeBytes = new Map<string, number>();
    const listingNotes: string[] = []; // (filled before `chosen` settles, which is when load() reads it)
    const chosen = (async () => {
      entry = (await this.fetchListing())?.find((fresh) => fresh.name === listed.name && fresh.url === listed.url) ?? listed;
      if (entry.truncated) listingNotes.push(`the server lists only the first ${entry.files.length.toLocaleString('en-US')} files of ${entry.name}: runs in folders after them are not shown`);
      const files = sweepRunsFiles(entry.files);
      const jsonl = files.length > 0 ? files : entry.files.filter((file) => file.endsWith('.jsonl'));
      const companions = jsonl.flatMap(filesBeside).filter((file) => entry.files.includes(file));
      // no runs: a procedure's folder, whose result load() finds among these
      const procedure = jsonl.length === 0 ? entry.files.filter(isProcedureName) : [];
      return [...jsonl, ...new Set(companions), ...procedure].map((file) => ({
        name: `${entry.name}/${file}`,
        text: async () => {
          const bytes = await fetchBytes(fileUrl(file, base), `${entry.name}/${file}`);
          completeBytes.set(file, completeLinesEnd(bytes));
          return new TextDecoder().decode(bytes);
        },
      }));
    })();
    const detail = await this.load(chosen, { source: listed.name, listingNotes, wholeFolders: true });
    if (detail) this.followIfWritten(entry, base, detail, completeBytes);
  }

  /**
   * Follows a served sweep whose session has not finished, or some of whose shards are not there yet
   * (a job array whose other tasks have not started): its runs as they are appended, and the folders of
   * its shards as they appear (`folders-added`, with what their checkpoint and continuation plan).
   */
  private followIfWritten(entry: ResultsListing, base: string, detail: RecordsLoadedDetail, completeBytes: ReadonlyMap<string, number>): void {
    const source = detail.source;
    const shares = detail.folders.map((folder) => folder.share);
    const known = new Set(detail.folders.map(({ runsFile }) => runsFile.slice(entry.name.length + 1)));
    // the depth of the sweep's runs files (sweepRunsFiles): its shards' folders appear beside each other
    // inside the served folder; a served folder that is one shard itself has none to wait for
    const depth = [...known][0]?.split('/').length ?? 1;
    // a folder that appears is taken for one of the sweep's only when its spec.json is the sweep's:
    // without a spec (or with one this version no longer reads) nothing can join, nor be waited for
    const sweep = detail.spec === null ? null : validSpec(detail.spec);
    // (nor where the server's listing of the folder is cut: the shards past the cut never show, and
    // would be waited for without end)
    const discoverable = depth >= 2 && sweep !== null && !entry.truncated;
    // a continuation's shards join with their continued.json (written just after their checkpoint)
    const continuation = detail.folders.some((folder) => folder.share?.chosenRuns);
    // every shard of n among the followed folders, as missingShardsOf counts them (true where they are
    // not all shards of one n, or nothing can join)
    const complete = () => {
      if (!discoverable || shares.some((share) => !share?.shard)) return true;
      const count = shares[0]!.shard!.count;
      return shares.some((share) => share!.shard!.count !== count) || new Set(shares.map((share) => share!.shard!.index)).size >= count;
    };
    if (!detail.folders.some((folder) => folder.checkpoint?.finished === false) && complete()) return;
    const followed = (runsFile: string, offset: number): FollowedFolder => ({
      name: `${entry.name}/${runsFile}`,
      runsUrl: fileUrl(runsFile, base),
      checkpointUrl: fileUrl(beside(runsFile, CHECKPOINT_FILE), base),
      lockFile: beside(runsFile, LOCK_FILE),
      offset,
    });
    // folders that appeared with another sweep's spec.json: said once, never joined
    const rejected = new Set<string>();
    const discover = async (files: string[]): Promise<FollowedFolder[]> => {
      if (!discoverable) return [];
      const listed = new Set(files);
      // new runs files at the sweep's depth whose session has written what says its share (its checkpoint,
      // a continuation's continued.json) and its spec; one not complete yet, or not read this time, is
      // looked at again at the next poll
      const ready = (file: string) =>
        [beside(file, SPEC_FILE), beside(file, CHECKPOINT_FILE), ...(continuation ? [beside(file, CONTINUED_FILE)] : [])].every((name) => listed.has(name));
      const fresh = files.filter((file) => baseName(file) === RUNS_FILE && file.split('/').length === depth && !known.has(file) && !rejected.has(file) && ready(file));
      const notes: string[] = [];
      const added: OpenedFolder[] = [];
      for (const file of fresh) {
        const named = (name: string): NamedText => ({ name: `${entry.name}/${name}`, text: () => fetchText(fileUrl(name, base), `${entry.name}/${name}`) });
        const spec = await named(beside(file, SPEC_FILE)).text().catch(() => null);
        if (spec === null) continue;
        if (!sameSweep(spec, `${entry.name}/${beside(file, SPEC_FILE)}`, sweep)) {
          rejected.add(file);
          notes.push(`${entry.name}/${file} appeared, but its spec.json is another sweep's: its runs are not shown`);
          continue;
        }
        const companions = [CHECKPOINT_FILE, CONTINUED_FILE].map((name) => beside(file, name)).filter((name) => listed.has(name)).map(named);
        const [folder] = await openedFolders([named(file)], companions, []);
        if (!folder.share) continue;
        known.add(file);
        added.push(folder);
        shares.push(folder.share);
      }
      if (notes.length > 0) this.status = `${this.status} — ${notes.join('; ')}`;
      if (added.length > 0) this.dispatchEvent(new CustomEvent<FoldersAddedDetail>('folders-added', { detail: { source, folders: added }, bubbles: true, composed: true }));
      return added.map((folder) => followed(folder.runsFile.slice(entry.name.length + 1), 0));
    };
    this.follower = new RunsFollower(
      { url: new URL(this.apiUrl, location.href).href, name: entry.name },
      [...known].map((file) => followed(file, completeBytes.get(file) ?? 0)),
      detail.records.map((record) => record.id),
      {
        appended: (records, notes) => this.dispatchEvent(new CustomEvent<RecordsAppendedDetail>('records-appended', { detail: { records, source, notes }, bubbles: true, composed: true })),
        state: (state) => {
          // (what was loaded, then how many runs there are now: the progress line above says the rest)
          if (state.stopped) this.status = `${this.status.replace(FOLLOWING_NOTE, '')} — followed to ${state.runs} run${state.runs === 1 ? '' : 's'}`;
          this.dispatchEvent(new CustomEvent<FollowStateDetail>('follow-state', { detail: { ...state, source }, bubbles: true, composed: true }));
        },
        discover,
        complete,
      },
    );
    this.status += FOLLOWING_NOTE;
    this.follower.start();
  }

  /**
   * Parses every file; dispatches `records-loaded` only when all of them are valid, or `procedure-loaded`
   * for a procedure's folder without runs. `listingNotes`: what the choice's listing said of it, shown
   * with the notes of reading it. `wholeFolders`: every file of each runs file's folder was offered (a
   * served folder, a chosen or dropped folder), so a checkpoint.json missing there is missing from the
   * folder: it is read as the whole sweep, as \`channelscope report\` reads it. Loose files chosen
   * without one may be a shard's.
   */
  async load(
    chosen: NamedText[] | Promise<NamedText[]>,
    { source, listingNotes = [], wholeFolders = false }: { source?: string; listingNotes?: readonly string[]; wholeFolders?: boolean } = {},
  ): Promise<RecordsLoadedDetail | null> {
    // files are read (or fetched, or a dropped folder walked) asynchronously: a choice made while an
    // earlier one is still reading wins, and the earlier one's records or error are dropped
    const choice = ++this.choices;
    const superseded = () => choice !== this.choices;
    this.error = '';
    try {
      const chosenFiles = await chosen;
      if (superseded()) return null;
      const files = chosenFiles.filter((file) => isJsonlName(file.name));
      if (files.length === 0) {
        const procedure = await procedureOf(chosenFiles, source);
        if (superseded()) return null;
        if (procedure && this.offer('procedure-loaded', procedure)) {
          this.status = `loaded the ${procedure.preset} procedure's result from ${procedure.source}${procedure.notes.length > 0 ? ` — ${procedure.notes.join('; ')}` : ''}`;
        }
        if (procedure) return null;
        this.error = `no .jsonl file found${source ? ` in ${source}` : ''}: drop runs.jsonl files or results folders written by \`channelscope run\` (or a procedure's folder: procedure.json and result.json)`;
        return null;
      }
      this.status = `reading ${files.length} file${files.length === 1 ? '' : 's'}…`;
      const sets: { records: RunRecord[]; source: string }[] = [];
      const notes = [...listingNotes];
      for (const file of files) {
        const text = await file.text();
        if (superseded()) return null;
        const parsed = parseRunsJsonl(text, file.name, true);
        sets.push({ records: parsed.records, source: file.name });
        notes.push(...parsed.notes);
      }
      const spec = await sweepSpec(files, chosenFiles, notes);
      const folders = await openedFolders(files, chosenFiles, notes, wholeFolders);
      if (superseded()) return null;
      // a file without records is refused, unless its sweep's session has not finished: it has just begun, and is followed
      const empty = sets.findIndex((set, k) => set.records.length === 0 && folders[k].checkpoint?.finished !== false);
      if (empty >= 0) throw new ResultsFileError(`${files[empty].name}: no run records in the file`, files[empty].name, null);
      const joined = joinRecordSets(sets);
      notes.push(...joined.notes);
      const detail: RecordsLoadedDetail = { records: joined.records, source: source ?? files.map((f) => f.name).join(', '), notes, spec, folders };
      if (!this.offer('records-loaded', detail)) return null;
      this.status = `loaded ${joined.records.length} run${joined.records.length === 1 ? '' : 's'} from ${detail.source}${notes.length > 0 ? ` — ${notes.join('; ')}` : ''}`;
      return detail;
    } catch (error) {
      if (superseded()) return null;
      this.status = '';
      this.error = `Could not load the results: ${(error as Error).message}\nNothing was loaded; the views still show what was there before.`;
      return null;
    }
  }

  /**
   * Dispatches what was opened; false where the page cancelled it (it cannot show other results now,
   * and says why): the status line then says nothing was opened, and whatever was followed still is.
   */
  private offer(type: 'records-loaded' | 'procedure-loaded', detail: RecordsLoadedDetail | ProcedureLoadedDetail): boolean {
    if (!this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable: true }))) {
      this.status = '';
      return false;
    }
    // what was followed is no longer shown: stopped without a word (its last state would be taken for
    // the new opening's where it is the same folder); a choice that fails or is refused leaves it shown, and followed
    this.follower?.stop(false);
    this.follower = null;
    return true;
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
    await this.load(files.then(ofTheSweep), { wholeFolders: entries.length > 0 && entries.every((entry) => entry.isDirectory) });
  }

  private async onPick(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const files = Array.from(input.files ?? []).filter(isResultsFile).map(fromFile);
    input.value = '';
    // (the input picks whole folders: webkitdirectory)
    await this.load(ofTheSweep(files), { wholeFolders: true });
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

/** What the loader's status line adds while it follows a sweep. */
const FOLLOWING_NOTE = ' — following it: the runs written since come in (see Progress)';

/** A served file's bytes; an error naming it where the server does not answer with them. */
async function fetchBytes(url: string, name: string): Promise<Uint8Array> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${name}: the server answered ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

const fetchText = async (url: string, name: string) => new TextDecoder().decode(await fetchBytes(url, name));

/** Of dropped or chosen .jsonl files, those of the sweep (sweepRunsFiles); files named otherwise are all kept, as are spec files. */
function ofTheSweep(files: NamedText[]): NamedText[] {
  const chosen = new Set(sweepRunsFiles(files.map((file) => file.name)));
  return chosen.size > 0 ? files.filter((file) => chosen.has(file.name) || baseName(file.name) !== RUNS_FILE) : files;
}

/** What a served folder holds, in a few words: its .jsonl files, or a procedure's result. */
function listedContents(files: readonly string[]): string {
  const jsonl = files.filter(isJsonlName).length;
  const procedures = files.filter((file) => baseName(file) === PROCEDURE_FILE && files.includes(beside(file, PROCEDURE_RESULT_FILE))).length;
  if (jsonl === 0 && procedures > 0) return procedures === 1 ? "a procedure's result" : `${procedures} procedures' results (the first opens)`;
  return `${jsonl} .jsonl file${jsonl === 1 ? '' : 's'}`;
}

const isJsonlName = (name: string) => name.endsWith('.jsonl');
const isSpecName = (name: string) => baseName(name) === SPEC_FILE;
/** a sweep folder's files beside its runs.jsonl that say which of the sweep's runs it plans */
const isShareName = (name: string) => [CHECKPOINT_FILE, CONTINUED_FILE].includes(baseName(name));
const isProcedureName = (name: string) => [PROCEDURE_FILE, PROCEDURE_RESULT_FILE, PRESET_REPORT_FILE].includes(baseName(name));

/** What the loader reads of chosen files: records (.jsonl), the sweep's spec, checkpoint and continuation (spec.json, checkpoint.json, continued.json), a procedure's files. */
function isResultsFile(file: File): boolean {
  return isResultsName(file.name);
}

function isResultsName(name: string): boolean {
  return isJsonlName(name) || isSpecName(name) || isShareName(name) || isProcedureName(name);
}

/**
 * The procedure among chosen files without runs: the shallowest procedure.json with a result.json
 * beside it (and its report.md, if there); null where there is none. A file that is not JSON, or a
 * procedure.json that names no preset, is an error that names it.
 */
async function procedureOf(files: readonly NamedText[], source: string | undefined): Promise<ProcedureLoadedDetail | null> {
  const byName = new Map(files.map((file) => [file.name, file]));
  const procedures = files.filter((file) => baseName(file.name) === PROCEDURE_FILE && byName.has(beside(file.name, PROCEDURE_RESULT_FILE)));
  const depth = (name: string) => name.split('/').length;
  const [chosen, ...others] = procedures.sort((p, q) => depth(p.name) - depth(q.name) || p.name.localeCompare(q.name));
  if (!chosen) return null;
  const folder = beside(chosen.name, '');
  const notes = others.length > 0 ? [`${others.length} more procedure folder${others.length === 1 ? '' : 's'} here, not opened (${others.map((file) => beside(file.name, '').replace(/\/$/, '')).join(', ')}): open each on its own`] : [];
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
    result: await json(byName.get(`${folder}${PROCEDURE_RESULT_FILE}`)!),
    markdown,
    source: source ?? (folder.replace(/\/$/, '') || 'the chosen files'),
    notes,
  };
}

/** The file named `name` in the folder of a runs file ("a/b/runs.jsonl", "spec.json" → "a/b/spec.json"). */
function beside(runsFile: string, name: string): string {
  return runsFile.replace(/[^/]*$/, name);
}

const specBeside = (runsFile: string) => beside(runsFile, SPEC_FILE);

/** What a served sweep folder's runs file comes with: its spec, checkpoint and continuation files. */
function filesBeside(runsFile: string): string[] {
  return [SPEC_FILE, CHECKPOINT_FILE, CONTINUED_FILE].map((name) => beside(runsFile, name));
}

/**
 * The sweep's spec: the spec.json beside each of the record files, parsed, when every one has one and
 * they describe one sweep (shards of it: the same JSON, or, as \`merge\` judges, the same resolved
 * configurations and seeds however they are worded); null otherwise (loose runs.jsonl files, a spec
 * that is not JSON, or folders of different sweeps, which a note then names).
 */
async function sweepSpec(runsFiles: readonly NamedText[], chosen: readonly NamedText[], notes: string[]): Promise<unknown> {
  const byName = new Map(chosen.filter((file) => isSpecName(file.name)).map((file) => [file.name, file]));
  const specFiles = [...new Set(runsFiles.map((file) => byName.get(specBeside(file.name))))];
  if (specFiles.length === 0 || specFiles.includes(undefined)) return null;
  const texts = await Promise.all(
    specFiles.map(async (file) => {
      let text: string;
      try {
        text = await file!.text();
      } catch (error) {
        notes.push(`${file!.name} could not be read (${(error as Error).message}): the runs are shown without their preset's tables`);
        return null;
      }
      try {
        return { text, json: JSON.stringify(parseUserJson(text)) };
      } catch (error) {
        notes.push(`${file!.name} does not read as JSON (${(error as Error).message}): the runs are shown without their preset's tables`);
        return null;
      }
    }),
  );
  if (texts.includes(null)) return null;
  const [first, ...others] = texts as { text: string; json: string }[];
  // (the first spec validated once, and only where another is worded otherwise)
  const sweep = others.some((other) => other.json !== first.json) ? validSpec(JSON.parse(first.json)) : null;
  const differing = others.findIndex((other, k) => other.json !== first.json && !sameSweep(other.text, specFiles[k + 1]!.name, sweep));
  if (differing >= 0) {
    notes.push(`the folders' spec.json files differ (${specFiles[0]!.name} and ${specFiles[differing + 1]!.name}): they are not one sweep, so no preset's tables are shown`);
    return null;
  }
  return JSON.parse(first.json);
}

/** A spec (parsed JSON) as this version validates it; null where it does not (a spec of an older version, say). */
function validSpec(spec: unknown): ExperimentSpec | null {
  try {
    return validateSpec(spec);
  } catch {
    return null;
  }
}

/** Whether a spec.json's text describes `sweep` (as merge compares them); false where either does not validate. */
function sameSweep(text: string, source: string, sweep: ExperimentSpec | null): boolean {
  if (!sweep) return false;
  try {
    return specDifferences(text, source, sweep).length === 0;
  } catch {
    return false;
  }
}

/**
 * Each runs file's folder as its checkpoint.json and continued.json say. Its share of the sweep is
 * known with its checkpoint.json (every folder \`run\`, \`continue\` or \`merge\` writes has one,
 * naming its shard), or where the whole folder was offered and has none (\`wholeFolders\`): the whole
 * sweep, as \`channelscope report\` reads such a folder. Loose runs.jsonl and spec.json chosen without
 * it may be one shard's, so the runs planned are then unknown rather than guessed. A file beside it
 * that cannot be read or is not JSON leaves its share unknown, with a note; the runs still show.
 */
async function openedFolders(runsFiles: readonly NamedText[], chosen: readonly NamedText[], notes: string[], wholeFolders = false): Promise<OpenedFolder[]> {
  const byName = new Map(chosen.filter((file) => isShareName(file.name)).map((file) => [file.name, file]));
  // the file's JSON object; null where there is no such file; undefined where it could not be read (noted)
  const readJson = async (name: string): Promise<Record<string, unknown> | null | undefined> => {
    const file = byName.get(name);
    if (!file) return null;
    try {
      const value = parseUserJson(await file.text());
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
      notes.push(`${name} is not an object: the runs its folder plans are unknown`);
    } catch (error) {
      notes.push(`${name} could not be read (${(error as Error).message}): the runs its folder plans are unknown`);
    }
    return undefined;
  };
  return Promise.all(
    runsFiles.map(async ({ name }): Promise<OpenedFolder> => {
      const [checkpoint, continued] = await Promise.all([readJson(beside(name, CHECKPOINT_FILE)), readJson(beside(name, CONTINUED_FILE))]);
      const shard = checkpoint?.shard as { index?: unknown; count?: unknown } | null | undefined;
      const chosenRuns = continued?.runs;
      const share: FolderShare | null =
        (checkpoint || (checkpoint === null && wholeFolders)) && continued !== undefined
          ? {
              shard: shard && Number.isInteger(shard.index) && Number.isInteger(shard.count) ? { index: shard.index as number, count: shard.count as number } : null,
              chosenRuns: Array.isArray(chosenRuns) ? chosenRuns.filter((id): id is string => typeof id === 'string') : null,
            }
          : null;
      return { runsFile: name, share, checkpoint: checkpointProgress(checkpoint) };
    }),
  );
}

function fromFile(file: File): NamedText {
  return { name: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name, text: () => file.text() };
}

/** The .jsonl, spec.json, checkpoint.json, continued.json and procedure files in dropped files and folders (folders walked recursively). */
async function resultsFilesFromEntries(entries: FileSystemEntry[]): Promise<NamedText[]> {
  const found: NamedText[] = [];
  const visit = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      const name = entry.fullPath.replace(/^\//, '');
      if (!isResultsName(name)) return;
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
