// The result store of a sweep: one folder, written so that a killed process (kill -9, a pre-empted
// node) loses at most the runs that were in flight.
//
//   DIR/spec.json        the validated spec (defaults filled in), written once; --resume refuses a
//                        different spec
//   DIR/runs.jsonl       one JSON record per finished run, in the order runs finished; appended with
//                        one write per record and fsync'd at every checkpoint; complete records are
//                        never rewritten
//   DIR/checkpoint.json  progress (runs done, counts by stop reason, shard), replaced atomically
//                        (temp file, fsync, rename) after runs.jsonl was fsync'd
//   DIR/channelscope.lock  while a session writes the folder (folder-lock.ts): a second session on the
//                        same folder is refused rather than writing every run again beside the first;
//                        removed when the session ends, taken over when the session that left it is gone
//
// Resume semantics: runs are independent and deterministic (same run spec ⇒ same result on the same
// backend), so runs.jsonl alone is the truth. Resuming skips every run whose id has a complete record
// and runs the rest from scratch; runs that were in flight at the kill start over. A truncated last
// line (a kill in the middle of a write) is cut off before appending; a damaged line anywhere else
// stops the resume with an error instead of guessing, as does a run recorded twice or a run that is
// not this session's (another shard's, another selection's). checkpoint.json is informative (and pins
// the shard a folder belongs to); it is not needed to resume.
//
// JSON has no NaN or Infinity: non-finite numbers in a record (a diverged run's loss or parameters)
// are written as null.
import {
  accessSync,
  closeSync,
  constants,
  createReadStream,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { ParameterFile } from '../model/params-file.js';
import type { RunDiagnostics } from '../analysis/diagnostics.js';
import type { PolishResult } from './polish.js';
import { InputError } from '../user-input/input-error.js';
import type { DataSourceOptions } from './grid.js';
import type { Shard } from './shard.js';
import { parseSpec, type ExperimentSpec } from './spec.js';
import { differingPaths, specDifferences } from './sweep-plan.js';
import { currentSoftware, softwareLabel, type Software } from './software.js';
import { FolderLock, LOCK_ASIDE_PREFIX, processAlive } from './folder-lock.js';
import { CHECKPOINT_FILE, CONTINUED_FILE, LOCK_FILE, PROCEDURE_FILE, RUNS_FILE, SPEC_FILE } from './folder-files.js';
import { parseUserJson } from '../user-input/user-text.js';
import { shellWord } from '../user-input/shell-word.js';

export { LOCK_FILE };

export const STOP_REASONS = ['converged', 'barrier', 'patience', 'max-steps', 'max-time', 'max-seconds', 'max-evaluations', 'diverged', 'factorization-failed', 'step-size-collapse'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export interface TrajectoryPoint {
  step: number;
  /** simulated time (gradient flow); 0 for the discrete optimisers */
  time: number;
  loss: number;
  gradInf: number;
  weightNorm: number;
}

/** What a continued run's record says about the run it continues. */
export interface ContinuedFrom {
  /** the results folder and run id it continues */
  folder: string;
  id: string;
  stopReason: string;
  /** steps, weight norm and barrier where it stopped (the continued record counts its steps afresh) */
  steps: number;
  weightNorm: number;
  maxnorm: number | null;
  /** the code that wrote it */
  software: string | null;
}

export interface RunRecord {
  id: string;
  configIndex: number;
  seed: number;
  /** the run's fully resolved configuration */
  config: unknown;
  backend: string;
  device: string;
  /** the arithmetic it was trained in (src/engine/training.ts Arithmetic); absent in records written before it existed */
  arithmetic?: string;
  params0: ParameterFile;
  params: ParameterFile;
  /** final mean-squared error (no barrier) */
  loss: number;
  barrier: number;
  gradInf: number;
  weightNorm: number;
  steps: number;
  evaluations: number;
  /** simulated time (gradient flow); 0 otherwise */
  time: number;
  wallSeconds: number;
  stopReason: StopReason;
  trajectory: TrajectoryPoint[];
  /**
   * The parameters at the run's last few checks (oldest first, the final parameters last): the
   * evidence for the channel criterion "the last updates point along the channel".
   */
  recentParams: number[][];
  /** the step of each of recentParams (absent in records from before it was kept; a continued run's reach back to its source's at steps ≤ 0) */
  recentSteps?: number[];
  /**
   * Diagnostics of the final parameters (closest neuron pairs, gradient, extreme and — P ≤ FULL_SPECTRUM_MAX_PARAMETERS, 320 — all
   * Hessian eigenvalues; src/analysis/diagnostics.ts), computed by the backend that trained the run.
   * Absent in records written before they existed.
   */
  diagnostics?: RunDiagnostics;
  /** diagnostics at earlier checks (stop.diagnosticsEvery), oldest first; absent without that option */
  checkDiagnostics?: { step: number; diagnostics: RunDiagnostics }[];
  /** where the Newton–CG polish after training ended (config.polish); absent without it */
  polish?: PolishResult;
  /** the code that wrote it (software.ts softwareLabel), as ResultStore writes it; absent in records written before it existed */
  software?: string;
  /** a run that `channelscope continue` started where another stopped: that run (its steps, time and trajectory count from there) */
  continuedFrom?: ContinuedFrom;
}

/** What a resumed session and merge need of a record without keeping it whole. */
export interface RecordSummary {
  id: string;
  configIndex: number;
  stopReason: string;
}

// (the folder's file names live in folder-files.ts, which the page imports too)
export { CHECKPOINT_FILE, CONTINUED_FILE, PRESET_REPORT_FILE, PRESET_TABLES_DIR, PROCEDURE_FILE, PROCEDURE_RESULT_FILE, RUNS_FILE, SPEC_FILE } from './folder-files.js';

/** What `channelscope continue` writes beside the spec: its runs are a chosen few of the spec's. */
export interface ContinuationFile {
  /** the results folder continued, as the user named it */
  from: string;
  /** …and as an absolute path, which a resume compares (absent in folders from before it was kept) */
  fromPath?: string;
  /** the --set edits and the --only labels (null: every not-converged run) */
  set: string[];
  only: string[] | null;
  /** the ids of the spec's runs this folder plans */
  runs: string[];
}

export interface Checkpoint {
  format: 1;
  shard: { index: number; count: number } | null;
  /** runs in this folder's share of the sweep */
  runs: number;
  completed: number;
  byReason: Record<string, number>;
  backend?: string;
  device?: string;
  /** the code of the session that wrote this checkpoint */
  software?: Software;
  /** every code that wrote records in this folder, first session first (software.ts softwareLabel) */
  writtenBy?: string[];
  /** the absolute folder the spec's relative data files resolved against (the spec file's); absent in older checkpoints */
  dataBaseDir?: string;
  /** content hashes of the data files the runs read, by their path in the spec (grid.ts dataFileHashes); absent in older checkpoints */
  dataFiles?: Record<string, string>;
  finished: boolean;
  updatedAt: string;
}

// ---- reading runs.jsonl -------------------------------------------------------------------------

export interface ScannedLine {
  /** the line without its newline, exactly as stored */
  text: string;
  /** 1-based line number */
  line: number;
  /** byte offset of the line in the file, and its length in bytes (newline excluded) */
  offset: number;
  bytes: number;
}

export interface ScanResult {
  /** bytes of complete lines (the file is cut here when a partial last line is dropped) */
  completeBytes: number;
  /** a partial last line (no newline) was found and dropped */
  truncatedTail: boolean;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Streams the complete lines of a JSONL file (no size limit: it is never held whole). Anything
 * after the last newline is a partial write and is not passed on. Blank lines are skipped.
 */
export async function scanLines(file: string, onLine: (line: ScannedLine) => void | Promise<void>): Promise<ScanResult> {
  if (!existsSync(file)) return { completeBytes: 0, truncatedTail: false };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let offset = 0; // of the first pending byte
  let lineNumber = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let k = chunk.indexOf(0x0a); k !== -1; k = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, k);
      let buffer = pendingBytes > 0 ? Buffer.concat([...pending, piece]) : piece;
      lineNumber++;
      if (lineNumber === 1 && buffer.subarray(0, 3).equals(UTF8_BOM)) {
        // a file saved by an editor that marks UTF-8 (channelscope writes none): the line starts after it
        buffer = buffer.subarray(3);
        offset += 3;
      }
      const text = buffer.toString('utf8');
      if (text.trim() !== '') await onLine({ text, line: lineNumber, offset, bytes: buffer.length });
      offset += buffer.length + 1;
      pending = [];
      pendingBytes = 0;
      start = k + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
    }
  }
  return { completeBytes: offset, truncatedTail: pendingBytes > 0 };
}

/** What every reader of a record relies on (the dashboard's parse-jsonl.ts asks the same). */
const REQUIRED_RECORD_FIELDS = ['config', 'params', 'stopReason'] as const;

/** A line of runs.jsonl as a record; an InputError naming the line when it is not one. */
export function parseRecordLine<T = RunRecord>(text: string, line: number, source: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${source}: line ${line} is damaged (${(error as Error).message}); refusing to guess, fix or remove that line`);
  }
  if (value === null || typeof value !== 'object' || typeof (value as { id?: unknown }).id !== 'string') {
    throw new InputError(`${source}: line ${line} is not a run record (no string "id")`);
  }
  const missing = REQUIRED_RECORD_FIELDS.filter((field) => !(field in value));
  if (missing.length > 0) throw new InputError(`${source}: line ${line} (run ${(value as { id: string }).id}) is not a whole run record: it lacks ${missing.join(', ')}`);
  return value as T;
}

/** Every complete record of a runs.jsonl file (for tests and small files; merge and resume stream). */
export async function readRecords<T = RunRecord>(file: string): Promise<{ records: T[] } & ScanResult> {
  const records: T[] = [];
  const result = await scanLines(file, ({ text, line }) => {
    records.push(parseRecordLine<T>(text, line, file));
  });
  return { records, ...result };
}

/**
 * Why `folder` is no sweep's folder, for `command` (which needs its `file`: spec.json or runs.jsonl):
 * a procedure preset's folder (procedure.json: networks followed stage by stage, which only `report`
 * reads) is named as one; any other is asked whether it is a results folder of `channelscope run`.
 */
export function notASweepFolder(command: string, folder: string, file: string): InputError {
  let preset: unknown;
  try {
    preset = (JSON.parse(readFileSync(path.join(folder, PROCEDURE_FILE), 'utf8')) as { preset?: unknown }).preset;
  } catch {
    return new InputError(`${command}: ${folder} holds no ${file} (is it a results folder of \`channelscope run\`?)`);
  }
  return new InputError(`${command}: ${folder} is ${typeof preset === 'string' ? `the ${preset} procedure's folder` : "a procedure's folder"} (${PROCEDURE_FILE}), not a sweep's runs: \`channelscope report ${shellWord(folder)}\` shows it`);
}

/** Every record of a results folder; `command` names who asks in the error when the folder holds none. */
export async function readFolderRecords(folder: string, command: string): Promise<RunRecord[]> {
  const file = path.join(folder, RUNS_FILE);
  if (!existsSync(file)) throw notASweepFolder(command, folder, RUNS_FILE);
  return (await readRecords<RunRecord>(file)).records;
}

/**
 * How to read a results folder's data files again: against the folder its run resolved them in
 * (Checkpoint.dataBaseDir; '' — the working directory — for folders from before it was recorded), and
 * refusing a file whose content changed since (Checkpoint.dataFiles, where recorded).
 */
export function folderDataOptions(folder: string): DataSourceOptions {
  const checkpoint = readCheckpoint(folder);
  return { baseDir: checkpoint?.dataBaseDir ?? '', ...(checkpoint?.dataFiles ? { trainedOn: checkpoint.dataFiles } : {}) };
}

/**
 * What the checkpoint of a merge of `folders` (shards of one sweep) says of its data files: where they
 * resolved (the first folder's) and their content hashes; `mismatch`, a sentence, where two folders
 * hashed a file differently (trained on different data, so not one sweep). Folders that recorded no
 * hashes are not compared.
 */
export function mergedFolderData(folders: readonly string[]): { dataBaseDir?: string; dataFiles?: Record<string, string>; mismatch: string | null } {
  const seen = new Map<string, { hash: string; folder: string }>();
  let dataBaseDir: string | undefined;
  for (const folder of folders) {
    const checkpoint = readCheckpoint(folder);
    dataBaseDir ??= checkpoint?.dataBaseDir;
    for (const [file, hash] of Object.entries(checkpoint?.dataFiles ?? {})) {
      const first = seen.get(file);
      if (!first) seen.set(file, { hash, folder });
      else if (first.hash !== hash) {
        return { mismatch: `${first.folder} and ${folder} were trained on different contents of the data file ${file} (content hashes ${first.hash} and ${hash})` };
      }
    }
  }
  const dataFiles = Object.fromEntries([...seen].map(([file, { hash }]) => [file, hash]));
  return { ...(dataBaseDir !== undefined ? { dataBaseDir, dataFiles } : {}), mismatch: null };
}

/** A results folder's JSON file (spec.json, checkpoint.json, …); one that is not JSON is an InputError naming it. */
export function readFolderJson<T>(file: string, what: string): T {
  try {
    return parseUserJson(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    if (error instanceof SyntaxError) throw new InputError(`${file} is damaged, not JSON (${error.message.replace(/\s+/g, ' ')}). ${what}`);
    throw error;
  }
}

/** Whether a folder's runs.jsonl holds anything (a record, or part of one). */
export function holdsRecords(folder: string): boolean {
  try {
    return statSync(path.join(folder, RUNS_FILE)).size > 0;
  } catch {
    return false;
  }
}

/** A continuation folder's CONTINUED_FILE, or null for any other folder. */
export function readContinuation(folder: string): ContinuationFile | null {
  const file = path.join(folder, CONTINUED_FILE);
  return existsSync(file) ? readFolderJson<ContinuationFile>(file, 'It says which runs of which folder this one continues: restore it from the continued folder\'s shards or copies') : null;
}

/** How a continuation chose its runs, for messages: "--only a,b" or the default. */
export function continuationChoice(continuation: Pick<ContinuationFile, 'only'>): string {
  return continuation.only ? `--only ${continuation.only.join(',')}` : 'every not-converged run (no --only)';
}

/**
 * Why folders read as parts of one sweep are not (a sweep's folder beside a continuation's, or
 * continuations that chose their runs differently), or null; with the continuation files read.
 */
export function continuationKindMismatch(dirs: readonly string[]): { continuations: (ContinuationFile | null)[]; mismatch: string | null } {
  const continuations = dirs.map(readContinuation);
  const continued = continuations.filter((file): file is ContinuationFile => file !== null);
  if (continued.length > 0 && continued.length < dirs.length) {
    return { continuations, mismatch: `${dirs[continuations.indexOf(null)]} is a sweep's folder and ${dirs[continuations.findIndex(Boolean)]} a continuation's (${CONTINUED_FILE}): folders of one kind only` };
  }
  if (continued.some((file) => JSON.stringify(file.only) !== JSON.stringify(continued[0].only))) {
    return { continuations, mismatch: `the continuations chose their runs differently (${continued.map(continuationChoice).join(' and ')})` };
  }
  return { continuations, mismatch: null };
}

/** The record of run `id` in a results folder; an InputError naming the folder and some of its ids when it is not there. */
export async function findFolderRecord(folder: string, id: string, command: string): Promise<RunRecord> {
  const records = await readFolderRecords(folder, command);
  const found = records.find((record) => record.id === id);
  if (found) return found;
  const some = records.slice(0, 3).map((record) => record.id);
  throw new InputError(
    `${command}: ${folder} has no run "${id}" (${records.length} runs${some.length > 0 ? `, e.g. ${some.join(', ')}` : ''}; \`channelscope report ${shellWord(folder)} --format json\` lists them all)`,
  );
}

// ---- the store ----------------------------------------------------------------------------------

export interface OpenOptions {
  dir: string;
  /** the spec; written to spec.json, compared on resume */
  spec: unknown;
  resume: boolean;
  shard: Shard | null;
  /** runs in this folder's share of the sweep */
  runs: number;
  /** the ids of those runs: a resume refuses a folder holding any other (another shard's, another selection's) */
  runIds?: ReadonlySet<string>;
  /**
   * Where a stored spec.json differs from `spec` (empty: the same sweep). Default: the JSON values
   * compared with keys sorted. May throw an InputError for a stored spec that is not valid.
   */
  compareSpec?: (storedText: string, source: string) => string[];
  /** the code writing the records (default: currentSoftware()) */
  software?: Software;
  /** where the spec's data files resolve and what they hold (Checkpoint.dataBaseDir, dataFiles); a resume refuses changed files */
  data?: FolderData;
}

/** Where a sweep's relative data files resolved (an absolute folder) and their content hashes by path in the spec. */
export interface FolderData {
  baseDir: string;
  /** absent where records were written before hashes were kept: today's files would vouch for data never checked */
  files?: Record<string, string>;
}

/** writeFileAtomic writes FILE as FILE.tmp-HOST-PID first, then renames it. */
const TEMP_INFIX = '.tmp-';

/**
 * The session that left a file of nothing a sweep needs, which a kill between two steps leaves
 * behind: writeFileAtomic's temporary file (spec.json.tmp-HOST-PID: killed before its rename) or a
 * stale lock renamed aside in a takeover (killed before its removal); null for any other file. Its
 * host is null in names from before they carried one.
 */
function leftoverOf(name: string): { host: string | null; pid: number } | null {
  const temp = name.lastIndexOf(TEMP_INFIX);
  let session: RegExpExecArray | null = null;
  if (temp > 0) session = /^(?:(.+)-)?(\d+)$/.exec(name.slice(temp + TEMP_INFIX.length));
  else if (name.startsWith(LOCK_ASIDE_PREFIX)) session = /^(?:(.+)-)?(\d+)-[a-z0-9]*$/.exec(name.slice(LOCK_ASIDE_PREFIX.length));
  return session ? { host: session[1] ?? null, pid: Number(session[2]) } : null;
}

/**
 * Folder state: missing, empty, or holding files; a lock, and what a session killed while it began
 * left (leftoverOf), hold nothing: a sweep killed while writing its first spec.json starts again
 * there. A file there is an InputError.
 */
export function folderState(dir: string): 'missing' | 'empty' | 'used' {
  if (!existsSync(dir)) return 'missing';
  if (!statSync(dir).isDirectory()) throw new InputError(`${dir} exists and is not a folder`);
  return readdirSync(dir).some((name) => name !== LOCK_FILE && leftoverOf(name) === null) ? 'used' : 'empty';
}

/**
 * Removes the leftovers (leftoverOf) of sessions of this host that are gone; called holding the
 * folder's lock. Another host's are left: on a shared disk its PIDs say nothing here.
 */
function removeLeftovers(dir: string): void {
  const host = hostname();
  for (const name of readdirSync(dir)) {
    const session = leftoverOf(name);
    if (session && session.host === host && session.pid !== process.pid && !processAlive(session.pid)) rmSync(path.join(dir, name), { force: true });
  }
}

export function writeFileAtomic(file: string, text: string): void {
  const temp = `${file}${TEMP_INFIX}${hostname()}-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    writeAll(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  syncFolder(path.dirname(file));
}

function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some platforms cannot fsync a folder; the rename is still atomic
  }
}

function writeAll(fd: number, text: string): void {
  const buffer = Buffer.from(text);
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}

/** A folder's checkpoint.json as stored; undefined when it is missing or not JSON (it only informs). */
export function readCheckpoint(dir: string): Partial<Checkpoint> | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, CHECKPOINT_FILE), 'utf8')) as Partial<Checkpoint>;
  } catch {
    return undefined;
  }
}

/** What writtenBy says of records written before checkpoints named their code. */
export const UNNAMED_WRITER = 'a channelscope from before records named their code';

/** The codes a stored checkpoint says wrote its folder's records (none known for folders older than writtenBy). */
export function writersOf(checkpoint: Partial<Checkpoint> | undefined): string[] {
  if (Array.isArray(checkpoint?.writtenBy)) return checkpoint.writtenBy.filter((label): label is string => typeof label === 'string');
  return checkpoint?.software ? [softwareLabel(checkpoint.software)] : [];
}

export class ResultStore {
  /** ids with a complete record (earlier sessions included) */
  readonly completed = new Map<string, RecordSummary>();
  /** what opening found, for one line to the user */
  readonly notes: string[] = [];
  private fd: number;
  private closed = false;
  /** what each record and checkpoint names as the code that wrote it */
  private readonly label: string;
  /** every code that wrote records here, this session's last */
  private readonly writtenBy: string[];
  /** the devices the folder's records so far name, by the backend each names (a resume's) */
  private earlierEngines = new Map<string, Set<string>>();

  private constructor(
    readonly dir: string,
    private readonly shard: Shard | null,
    private readonly runs: number,
    fd: number,
    private readonly software: Software,
    private readonly lock: FolderLock,
    earlierWriters: readonly string[] = [],
    private readonly data?: FolderData,
  ) {
    this.fd = fd;
    this.label = softwareLabel(software);
    this.writtenBy = earlierWriters.includes(this.label) ? [...earlierWriters] : [...earlierWriters, this.label];
  }

  get runsFile(): string {
    return path.join(this.dir, RUNS_FILE);
  }

  /**
   * Opens DIR for a sweep. A missing or empty folder starts fresh (also with --resume); a folder with
   * files needs --resume, and then the same spec (and shard, and runs) as before. The session holds
   * the folder's lock until close(); a folder another live session holds is refused. Every refusal
   * is an InputError and leaves the folder as it was.
   */
  static async open(options: OpenOptions): Promise<ResultStore> {
    const { dir } = options;
    ResultStore.usableState(options);
    mkdirSync(dir, { recursive: true });
    const lock = FolderLock.acquire(dir);
    try {
      // judged again under the lock: a session that held it may have filled the folder meanwhile
      const store = ResultStore.usableState(options) === 'used' ? await ResultStore.reopen(options, lock) : ResultStore.start(options, lock);
      // (once the folder is taken: a refusal leaves it as it was)
      removeLeftovers(dir);
      if (lock.note) store.notes.unshift(lock.note);
      return store;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  private static start(options: OpenOptions, lock: FolderLock): ResultStore {
    const { dir, spec, resume, shard } = options;
    writeFileAtomic(path.join(dir, SPEC_FILE), `${JSON.stringify(spec, null, 2)}\n`);
    const fd = openSync(path.join(dir, RUNS_FILE), 'a');
    fsyncSync(fd);
    syncFolder(dir);
    const store = new ResultStore(dir, shard, options.runs, fd, options.software ?? currentSoftware(), lock, [], options.data);
    if (resume) store.notes.push(`nothing to resume in ${dir}: starting the sweep there`);
    store.checkpoint(false);
    return store;
  }

  /**
   * What open would find, checked the same way and changing nothing (run --dry-run): the runs
   * already recorded there (none for a new folder); throws what open would throw.
   */
  static async check(options: OpenOptions): Promise<Set<string>> {
    const state = ResultStore.usableState(options);
    if (state !== 'missing') FolderLock.checkFree(options.dir);
    if (state !== 'used') return new Set();
    const { summaries } = await ResultStore.checkResume(options);
    // what open would meet next: a folder (and runs.jsonl) it may not write
    accessSync(options.dir, constants.W_OK);
    if (existsSync(path.join(options.dir, RUNS_FILE))) accessSync(path.join(options.dir, RUNS_FILE), constants.W_OK);
    return new Set(summaries.map((summary) => summary.id));
  }

  /** The folder's state for a sweep; a used one needs --resume. */
  private static usableState(options: OpenOptions): ReturnType<typeof folderState> {
    const state = folderState(options.dir);
    if (state === 'used' && !options.resume) {
      throw new InputError(`${options.dir} already exists and is not empty: pass --resume to continue the sweep stored there, or choose another --out`);
    }
    return state;
  }

  /** A resume's checks, before the first change to the folder: its spec, shard and data files, and its records so far. */
  private static async checkResume(
    options: OpenOptions,
  ): Promise<{ previous: ReturnType<typeof readCheckpoint>; summaries: RecordSummary[]; recordWriters: string[]; recordEngines: ResultStore['earlierEngines']; read: Awaited<ReturnType<typeof scanLines>> }> {
    const { dir, spec, shard } = options;
    const specFile = path.join(dir, SPEC_FILE);
    if (!existsSync(specFile)) {
      if (existsSync(path.join(dir, PROCEDURE_FILE))) throw notASweepFolder('run --resume', dir, SPEC_FILE);
      throw new InputError(`cannot resume in ${dir}: it has no ${SPEC_FILE}, so it is not the output of \`channelscope run\``);
    }
    const storedText = readFileSync(specFile, 'utf8');
    const compare = options.compareSpec ?? ((text: string, source: string) => defaultCompare(text, source, spec));
    let differences: string[];
    try {
      differences = compare(storedText, specFile);
    } catch (error) {
      if (error instanceof InputError) throw new InputError(`cannot resume in ${dir}: ${error.message}`);
      throw error;
    }
    if (differences.length > 0) {
      throw new InputError(
        `cannot resume in ${dir}: the spec differs from the one the sweep was started with (${SPEC_FILE}; differences at: ${differences.join(', ')}). ` +
          'Use a new --out for a changed spec.',
      );
    }
    // informative only: a damaged checkpoint does not block a resume
    const previous = readCheckpoint(dir);
    const before = previous?.shard ?? null;
    if (previous && !sameShard(before, shard)) {
      const show = (s: { index: number; count: number } | null) => (s ? `shard ${s.index}/${s.count}` : 'all runs (no shard)');
      throw new InputError(`cannot resume in ${dir}: it holds ${show(before)}, this session asks for ${show(shard)}`);
    }
    for (const [file, hash] of Object.entries(options.data?.files ?? {})) {
      const then = previous?.dataFiles?.[file];
      if (then !== undefined && then !== hash) {
        throw new InputError(`cannot resume in ${dir}: the data file ${file} changed since the sweep began (content hash then ${then}, now ${hash}); its runs so far were trained on the old contents. Restore the file, or use a new --out`);
      }
    }

    const runsFile = path.join(dir, RUNS_FILE);
    const summaries: RecordSummary[] = [];
    const recordWriters = new Set<string>();
    const recordEngines: ResultStore['earlierEngines'] = new Map();
    const lineOf = new Map<string, number>();
    const read = await scanLines(runsFile, ({ text, line }) => {
      const record = parseRecordLine<RecordSummary & Pick<RunRecord, 'software' | 'backend' | 'device'>>(text, line, runsFile);
      const first = lineOf.get(record.id);
      if (first !== undefined) {
        throw new InputError(
          `cannot resume in ${dir}: ${RUNS_FILE} holds run ${record.id} twice (lines ${first} and ${line}), as two sessions writing the folder at once leave it; ` +
            'keep one record of each run (they are the same run) and resume',
        );
      }
      lineOf.set(record.id, line);
      if (options.runIds && !options.runIds.has(record.id)) {
        throw new InputError(
          `cannot resume in ${dir}: ${RUNS_FILE} line ${line} holds run ${record.id}, which is not among this session's ${options.runIds.size} runs${shard ? ` (shard ${shard.index}/${shard.count})` : ''}: ` +
            'the folder holds another shard or another choice of runs. Resume it with the --shard (or the continue options) it was started with, or use another --out',
        );
      }
      summaries.push({ id: record.id, configIndex: record.configIndex, stopReason: record.stopReason });
      recordWriters.add(typeof record.software === 'string' ? record.software : UNNAMED_WRITER);
      if (typeof record.backend === 'string') {
        const devices = recordEngines.get(record.backend) ?? new Set<string>();
        if (typeof record.device === 'string') devices.add(record.device);
        recordEngines.set(record.backend, devices);
      }
    });
    return { previous, summaries, recordWriters: [...recordWriters], recordEngines, read };
  }

  private static async reopen(options: OpenOptions, lock: FolderLock): Promise<ResultStore> {
    const { dir, shard } = options;
    // Validate everything before the first change to the folder.
    const { previous, summaries, recordWriters, recordEngines, read } = await ResultStore.checkResume(options);
    const runsFile = path.join(dir, RUNS_FILE);
    const fd = openSync(runsFile, 'a');
    const software = options.software ?? currentSoftware();
    // a checkpoint that is missing or damaged (it only informs) names no writers: the records name theirs
    const named = writersOf(previous);
    const earlier = named.length > 0 ? named : recordWriters;
    const unhashedRecords = summaries.length > 0 && previous?.dataFiles === undefined;
    const data = options.data && unhashedRecords ? { baseDir: options.data.baseDir } : options.data;
    const store = new ResultStore(dir, shard, options.runs, fd, software, lock, earlier, data);
    if (read.truncatedTail) {
      // a kill in the middle of a write: cut the partial line only; complete lines stay as they are
      ftruncateSync(fd, read.completeBytes);
      fsyncSync(fd);
      store.notes.push(`dropped a partial last line of ${RUNS_FILE} (a write interrupted by the kill)`);
    }
    for (const summary of summaries) store.completed.set(summary.id, summary);
    store.earlierEngines = recordEngines;
    store.notes.push(`resuming in ${dir}: ${store.completed.size} runs already done`);
    const others = earlier.filter((label) => label !== softwareLabel(software));
    if (others.length > 0 && summaries.length > 0) {
      store.notes.push(
        `note: records in ${dir} were written by ${others.join(', ')}; this session is ${softwareLabel(software)}. ` +
          'Runs it trains may differ from an uninterrupted sweep\'s in their last bits, or more where the code changed what it computes (each record names its code: "software")',
      );
    }
    return store;
  }

  /**
   * Checks the engine a resumed session opened against the one that trained the folder's records so
   * far: another backend (a job requeued on a node without a GPU, under --backend auto) is refused, as
   * float32 and float64 runs mixed in one sweep are not an uninterrupted sweep's; another device of the
   * same backend is a note (its runs may differ in their last bits). Null where there is nothing to say.
   */
  checkEngine(engine: { backend: string; description: string }): string | null {
    const engines = this.earlierEngines;
    const devices = [...(engines.get(engine.backend) ?? [])];
    if (engines.size > 0 && !engines.has(engine.backend)) {
      // (a folder some of whose records each backend trained, as sessions before this check left some, takes either)
      const [backend, theirDevices] = [...engines][0];
      throw new InputError(
        `cannot resume in ${this.dir}: its ${this.completed.size} runs so far were trained on the ${backend} backend (${[...theirDevices].join('; ')}), and this session's engine is ${engine.backend} (${engine.description}); ` +
          `one sweep's runs are trained by one backend. Resume with --backend ${backend}${backend === 'gpu' ? ' on a machine with a GPU' : ''}, or use a new --out`,
      );
    }
    const otherDevices = devices.filter((device) => device !== engine.description);
    if (otherDevices.length > 0) return `note: the runs so far in ${this.dir} were trained on ${otherDevices.join('; ')}, this session's on ${engine.description}: runs it trains may differ from an uninterrupted sweep's in their last bits`;
    return null;
  }

  /** Appends one record: one write of one line. Durable at the next checkpoint. */
  append(record: RunRecord): void {
    if (this.closed) throw new Error('result store is closed');
    writeAll(this.fd, `${JSON.stringify({ ...record, software: this.label })}\n`);
    this.completed.set(record.id, { id: record.id, configIndex: record.configIndex, stopReason: record.stopReason });
  }

  /** Makes the records so far durable and records progress in checkpoint.json. */
  checkpoint(finished: boolean, engine?: { backend: string; description: string }): void {
    if (this.closed) return;
    fsyncSync(this.fd);
    const byReason: Record<string, number> = {};
    for (const { stopReason } of this.completed.values()) byReason[stopReason] = (byReason[stopReason] ?? 0) + 1;
    const checkpoint: Checkpoint = {
      format: 1,
      shard: this.shard ? { index: this.shard.index, count: this.shard.count } : null,
      runs: this.runs,
      completed: this.completed.size,
      byReason,
      ...(engine ? { backend: engine.backend, device: engine.description } : {}),
      software: this.software,
      writtenBy: this.writtenBy,
      ...(this.data ? { dataBaseDir: this.data.baseDir, ...(this.data.files ? { dataFiles: this.data.files } : {}) } : {}),
      finished,
      updatedAt: new Date().toISOString(),
    };
    writeFileAtomic(path.join(this.dir, CHECKPOINT_FILE), `${JSON.stringify(checkpoint, null, 2)}\n`);
    this.lock.refresh();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
    } finally {
      this.lock.release();
    }
  }
}

function defaultCompare(storedText: string, source: string, spec: unknown): string[] {
  let stored: unknown;
  try {
    stored = JSON.parse(storedText);
  } catch (error) {
    throw new InputError(`${source} is not valid JSON (${(error as Error).message})`);
  }
  return differingPaths(stored, spec);
}

function sameShard(a: { index: number; count: number } | null, b: { index: number; count: number } | null): boolean {
  if (a === null || b === null) return a === b;
  return a.index === b.index && a.count === b.count;
}


/**
 * The sweep of the first of `folders` (each holding a spec.json: its text and the spec parsed) and the
 * first folder whose spec.json describes another sweep, with where it differs; mismatch null when they
 * all describe one sweep. A spec.json that does not parse is an InputError.
 */
export function compareFolderSpecs(folders: readonly string[]): { spec: ExperimentSpec; text: string; mismatch: { folder: string; differences: string[] } | null } {
  const specFile = (folder: string) => path.join(folder, SPEC_FILE);
  const text = readFileSync(specFile(folders[0]), 'utf8');
  const spec = parseSpec(text, specFile(folders[0]));
  for (const folder of folders.slice(1)) {
    const differences = specDifferences(readFileSync(specFile(folder), 'utf8'), specFile(folder), spec);
    if (differences.length > 0) return { spec, text, mismatch: { folder, differences } };
  }
  return { spec, text, mismatch: null };
}
