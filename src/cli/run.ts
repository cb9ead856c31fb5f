// `channelscope run SPEC.json`: a sweep from a spec to a results folder (see experiment/results.ts for
// the folder, experiment/shard.ts for shards, experiment/scheduler.ts for how runs are trained).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createEngine, type BackendChoice } from '../engine/create.js';
import { threadedCpuEngine } from '../engine/cpu/threaded-ensemble.js';
import { InputError } from '../user-input/input-error.js';
import { dataFileHashes, expandSpec, type DataSourceOptions, type ResolvedRun } from '../experiment/grid.js';
import { configurationLabels } from '../experiment/group-labels.js';
import { optimizerLabel } from '../experiment/preset-reports.js';
import { Progress } from './progress.js';
import { onStopRequest, STOP_EXIT_CODES } from './stop-requests.js';
import { specDifferences } from '../experiment/sweep-plan.js';
import { continuationChoice, CONTINUED_FILE, holdsRecords, readContinuation, ResultStore, STOP_REASONS, writeFileAtomic, type ContinuationFile, type RecordSummary, type RunRecord } from '../experiment/results.js';
import { runSweep, type ActiveRuns } from '../experiment/scheduler.js';
import { formatShard, resolveShard, selectShard, shardFromEnvironment, type Shard } from '../experiment/shard.js';
import { parseSpec, type ExperimentSpec } from '../experiment/spec.js';
import { sweepSetup } from '../experiment/sweep-setup.js';
import { inputSampleCount } from '../data/inputs.js';
import { describeArchitecture, parameterCount } from '../model/architecture.js';
import { readUserFile } from './fs-errors.js';
import { integerOption } from './number-options.js';
import { writePresetReport } from './preset-report.js';
import { shellWord } from '../user-input/shell-word.js';

export interface RunCommandOptions {
  out?: string;
  backend: BackendChoice;
  shard?: string;
  resume?: boolean;
  slots?: string;
  /** CPU engine: worker threads (default: the machine's cores) */
  threads?: string;
  /** seconds between progress lines when stderr is not a terminal */
  progressInterval?: number;
  /** check the spec (and its data files) and print the runs it plans; write nothing, train nothing */
  dryRun?: boolean;
}

/** Runs that start where runs of another folder stopped (cli/continue.ts): which, from where, and what their records add. */
export interface Continuation {
  /** the spec's runs to train */
  selected: (run: ResolvedRun) => boolean;
  /** each one's starting parameters */
  start: (run: ResolvedRun) => Float64Array;
  /** each record as written */
  annotate: (record: RunRecord) => RunRecord;
  /** how the source folder's data files are read: where they resolved, and the contents its runs trained on (results.ts folderDataOptions) */
  dataOptions: DataSourceOptions;
  /** written beside the spec (CONTINUED_FILE); its runs are the spec's selected ones */
  provenance: Omit<ContinuationFile, 'runs'>;
}

/** Seconds between fsync + checkpoint.json while a sweep runs. */
const CHECKPOINT_SECONDS = 5;

export function readSpecFile(file: string): { spec: ExperimentSpec; text: string } {
  const text = readUserFile(file, 'the spec file');
  return { spec: parseSpec(text, file), text };
}

function parseSlots(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return integerOption('--slots', text, 1);
}

/** More threads than this is a typo, not a machine (each is a worker with its own copy of the data). */
const MAX_THREADS = 1024;

/** The CPU engine's worker threads from --threads (default: every core this process may use). */
export function parseThreads(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  return integerOption('--threads', text, 1, MAX_THREADS);
}

function timestamp(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** The most of a spec's name that its default folder's name keeps. */
const DEFAULT_NAME_LENGTH = 64;

/** runs/<spec name>-<timestamp>, with a suffix if that exists already. */
export function defaultOutDir(spec: ExperimentSpec, specFile: string): string {
  // (a long name cut to 64 characters: file systems refuse names past 255 bytes)
  const name = (spec.name ?? path.basename(specFile).replace(/\.json$/i, '')).replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, DEFAULT_NAME_LENGTH).replace(/^-+|-+$/g, '') || 'sweep';
  const base = path.join('runs', `${name}-${timestamp()}`);
  let dir = base;
  for (let k = 2; existsSync(dir); k++) dir = `${base}-${k}`;
  return dir;
}

/** Labels of the configurations for the summary: what the grid varies between them (as `report` labels groups), or their names, or their indices. */
function configLabels(spec: ExperimentSpec): string[] {
  const varying = configurationLabels(spec.configurations.map((configuration) => configuration.gridValues));
  return spec.configurations.map((configuration, index) => varying[index] || (configuration.config.name ?? `#${index}`));
}

function countBy(summaries: Iterable<RecordSummary>): { byReason: Record<string, number>; byConfig: Map<number, Record<string, number>> } {
  const byReason: Record<string, number> = {};
  const byConfig = new Map<number, Record<string, number>>();
  for (const { configIndex, stopReason } of summaries) {
    byReason[stopReason] = (byReason[stopReason] ?? 0) + 1;
    let row = byConfig.get(configIndex);
    if (!row) byConfig.set(configIndex, (row = {}));
    row[stopReason] = (row[stopReason] ?? 0) + 1;
  }
  return { byReason, byConfig };
}

/** Stop reasons in the fixed order first, then any others (records from other versions). */
function orderedReasons(byReason: Record<string, number>): string[] {
  const known = STOP_REASONS.filter((r) => byReason[r]);
  const other = Object.keys(byReason).filter((r) => !(STOP_REASONS as readonly string[]).includes(r)).sort();
  return [...known, ...other];
}

/** The end-of-sweep tables: runs by stop reason, and by configuration. */
export function formatSummary(spec: ExperimentSpec, summaries: Iterable<RecordSummary>, expected: number): string {
  const { byReason, byConfig } = countBy(summaries);
  const reasons = orderedReasons(byReason);
  const done = Object.values(byReason).reduce((a, b) => a + b, 0);
  const lines: string[] = [];
  const width = Math.max(11, ...reasons.map((r) => r.length));
  lines.push(`${'stop reason'.padEnd(width)}  ${'runs'.padStart(7)}  share`);
  for (const reason of reasons) {
    const n = byReason[reason];
    lines.push(`${reason.padEnd(width)}  ${String(n).padStart(7)}  ${((100 * n) / Math.max(done, 1)).toFixed(1).padStart(5)}%`);
  }
  lines.push(`${'total'.padEnd(width)}  ${String(done).padStart(7)}${done < expected ? `  (of ${expected})` : ''}`);
  if (byConfig.size > 0) {
    const indices = [...byConfig.keys()].sort((a, b) => a - b);
    const allLabels = configLabels(spec);
    const labels = indices.map((i) => allLabels[i] ?? `#${i}`);
    const labelWidth = Math.min(Math.max(13, ...labels.map((l) => l.length)), 60);
    const columns = reasons.map((r) => Math.max(r.length, 4));
    lines.push('');
    lines.push(`${'config'.padStart(6)}  ${'label'.padEnd(labelWidth)}  ${'runs'.padStart(5)}  ${reasons.map((r, k) => r.padStart(columns[k])).join('  ')}`);
    indices.forEach((index, row) => {
      const counts = byConfig.get(index)!;
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      const label = labels[row].length > labelWidth ? `${labels[row].slice(0, labelWidth - 1)}…` : labels[row];
      lines.push(`${String(index).padStart(6)}  ${label.padEnd(labelWidth)}  ${String(total).padStart(5)}  ${reasons.map((r, k) => String(counts[r] ?? 0).padStart(columns[k])).join('  ')}`);
    });
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What `run --dry-run` prints: the runs a spec plans (this shard's), per configuration with its
 * network, samples and optimiser, and where they would go. Nothing is written.
 */
export function formatPlan(spec: ExperimentSpec, total: number, selected: readonly ResolvedRun[], left: readonly ResolvedRun[], shard: string | null, dir: string, resume: boolean): string {
  const labels = configLabels(spec);
  const perConfig = new Map<number, number>();
  for (const run of left) perConfig.set(run.configIndex, (perConfig.get(run.configIndex) ?? 0) + 1);
  const rows = spec.configurations
    .filter(({ index }) => perConfig.has(index))
    .map(({ index, config }) => {
      const { inputs, samples } = config.data;
      const count = inputs.kind === 'file' || samples === undefined ? 'file' : String(inputSampleCount(inputs.kind, samples));
      return [String(index), labels[index] ?? '', describeArchitecture(config.architecture), String(parameterCount(config.architecture)), count, optimizerLabel(config), String(perConfig.get(index))];
    });
  const header = ['config', 'label', 'network', 'P', 'samples', 'optimizer', 'runs'];
  const widths = header.map((h, c) => Math.min(Math.max(h.length, ...rows.map((row) => row[c].length)), 60));
  const line = (cells: string[]) => cells.map((cell, c) => (cell.length > widths[c] ? `${cell.slice(0, widths[c] - 1)}…` : cell).padEnd(widths[c])).join('  ').trimEnd();
  const seeds = spec.seeds.length;
  return [
    `${spec.configurations.length} configuration${spec.configurations.length === 1 ? '' : 's'} × ${seeds} seed${seeds === 1 ? '' : 's'} = ${total} runs${shard ? `; ${shard}: ${selected.length} of them` : ''}` +
      (resume ? `; ${selected.length - left.length} recorded in ${dir}, ${left.length} left (below)` : ''),
    '',
    line(header),
    ...rows.map(line),
    '',
    `--dry-run: the spec and its data files are valid; nothing was written (${resume ? 'a resume would continue' : 'a run would write'} ${dir})`,
    '',
  ].join('\n');
}

/**
 * A note where --shard overrides the shard a job array's variables ask for (it wins, as documented):
 * a job script that gives every task the same --shard runs the same runs in each, which only
 * `merge` would find out. Null where they agree or no array asks.
 */
function shardOverrideNote(shard: Shard | null): string | null {
  if (shard?.source !== '--shard') return null;
  let asked: Shard | null;
  try {
    asked = shardFromEnvironment();
  } catch {
    // variables that name no shard: --shard is what stands in for them
    return null;
  }
  if (!asked || (asked.index === shard.index && asked.count === shard.count)) return null;
  return `note: --shard ${shard.index}/${shard.count} overrides the ${formatShard(asked)} that ${asked.source} asks for; every task given the same --shard runs the same runs`;
}

/**
 * Refuses --resume without --out: without it each session writes a new runs/<name>-<time> folder,
 * where there is nothing to resume, and the whole sweep would train again there.
 */
export function requireResumeFolder(command: string, options: { resume?: boolean; out?: string }): void {
  if (options.resume && options.out === undefined) {
    throw new InputError(`${command} --resume continues the runs stored in a results folder: name it with --out DIR (without --out each session writes a new folder, runs/<name>-<time>)`);
  }
}

/** Runs the sweep; returns the results folder. */
export async function runCommand(specFile: string, options: RunCommandOptions): Promise<string> {
  requireResumeFolder('run', options);
  return runSweepWithReport(readSpecFile(specFile).spec, specFile, options);
}

/**
 * runParsedSpec, then the report: a preset's sweep (`run PRESET`, or a spec that keeps a preset's name,
 * `presets NAME --spec` edited) ends with that preset's report and tables; any other says how to get one.
 */
export async function runSweepWithReport(spec: ExperimentSpec, specFile: string, options: RunCommandOptions): Promise<string> {
  const dir = await runParsedSpec(spec, specFile, options);
  if (!options.dryRun) {
    const presetReport = await writePresetReport(dir);
    process.stdout.write(presetReport ? `\n${presetReport}` : `report: channelscope report ${shellWord(dir)} [--by FIELD,…] [--html]\n`);
  }
  return dir;
}

/**
 * Runs an already parsed spec (a preset's, or a file's); `specFile` names it for the default
 * results folder and its folder resolves the spec's relative file paths.
 */
export async function runParsedSpec(spec: ExperimentSpec, specFile: string, options: RunCommandOptions, continuation?: Continuation): Promise<string> {
  // Everything that can be refused is checked before the folder is touched or an engine opened.
  const slots = parseSlots(options.slots);
  const threads = parseThreads(options.threads);
  const shard = resolveShard(options.shard);
  const overrideNote = shardOverrideNote(shard);
  const allRuns = expandSpec(spec);
  const selected = selectShard(continuation ? allRuns.filter(continuation.selected) : allRuns, shard);
  const dir = options.out ?? defaultOutDir(spec, specFile);
  // data files: read and checked here, before the folder is touched; their hashes go in the checkpoint
  const dataOptions: DataSourceOptions = continuation?.dataOptions ?? { baseDir: path.dirname(specFile) };
  const dataFiles = dataFileHashes(selected, dataOptions);
  const storeOptions = {
    dir,
    spec: spec.input,
    resume: Boolean(options.resume),
    shard,
    runs: selected.length,
    runIds: new Set(selected.map((run) => run.id)),
    compareSpec: (text: string, source: string) => specDifferences(text, source, spec),
    data: { baseDir: path.resolve(dataOptions.baseDir ?? ''), files: dataFiles },
  };
  // a folder of continued runs is resumed by `continue`, not by `run` (checked after the store's own checks)
  // …and a folder of a sweep's own runs is no place for continued ones
  const earlier = readContinuation(dir);
  const refusal =
    !continuation && earlier
      ? new InputError(`${dir} holds runs continued from ${earlier.from}, a chosen few of the spec's: resume it with \`channelscope continue ${shellWord(earlier.from)} --out ${shellWord(dir)} --resume\` and the same --only and --set`)
      : continuation && !earlier && holdsRecords(dir)
        ? new InputError(`${dir} holds runs trained by \`channelscope run\`, not runs continued from ${continuation.provenance.from}: continue into a new --out`)
        : null;
  if (options.dryRun) {
    // what a run would refuse, refused the same way; what a resume would leave to do
    const recorded = await ResultStore.check(storeOptions);
    if (refusal) throw refusal;
    if (overrideNote) process.stderr.write(`${overrideNote}\n`);
    const left = options.resume ? selected.filter((run) => !recorded.has(run.id)) : selected;
    process.stdout.write(formatPlan(spec, allRuns.length, selected, left, shard ? `${formatShard(shard)} from ${shard.source}` : null, dir, Boolean(options.resume)));
    return dir;
  }

  const store = await ResultStore.open(storeOptions);
  try {
    if (refusal) throw refusal;
    if (continuation) {
      // a resumed continuation must plan the runs it planned (the spec itself ResultStore compared)
      const provenance: ContinuationFile = { ...continuation.provenance, runs: selected.map((run) => run.id) };
      // the same source folder however it is named (./a, a, /abs/a); folders from before fromPath was kept: resolved here
      const earlierSource = earlier?.fromPath ?? path.resolve(earlier?.from ?? '');
      const source = provenance.fromPath ?? path.resolve(provenance.from);
      if (earlier && (earlierSource !== source || JSON.stringify(earlier.runs) !== JSON.stringify(provenance.runs))) {
        throw new InputError(`--resume: ${dir} continues ${earlier.runs.length} runs of ${earlierSource} chosen by ${continuationChoice(earlier)}; this call chooses ${provenance.runs.length} of ${source}`);
      }
      writeFileAtomic(path.join(dir, CONTINUED_FILE), `${JSON.stringify(provenance, null, 2)}\n`);
    }
  } catch (error) {
    store.close();
    throw error;
  }
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const selectedIds = new Set(selected.map((r) => r.id));
  const doneHere = () => [...store.completed.values()].filter((s) => selectedIds.has(s.id));
  const todo = selected.filter((run) => !store.completed.has(run.id));

  const shardNote = shard ? ` (${formatShard(shard)} from ${shard.source}, of ${allRuns.length})` : '';
  err(`channelscope run: ${selected.length} runs${shardNote} → ${dir}`);
  if (overrideNote) err(overrideNote);
  // a job array wider than the sweep leaves some shards empty: said, but not a failure (exit 0), so the array still succeeds
  if (shard && selected.length === 0) err(`warning: ${formatShard(shard)} holds no runs: the sweep has ${continuation ? `${allRuns.filter(continuation.selected).length} chosen` : allRuns.length} runs for ${shard.count} shards`);
  for (const note of store.notes) err(note);

  let engine: Awaited<ReturnType<typeof createEngine>>['engine'] | undefined;
  const stopListening = onStopRequest((reason) => {
    // records already appended stay; make them durable and say where to resume
    try {
      try {
        store.checkpoint(false, engine);
      } finally {
        store.close();
      }
    } finally {
      err(`\n${reason}: stopped; ${store.completed.size} runs are stored in ${dir}. Continue with --resume --out ${shellWord(dir)}`);
      process.exit(STOP_EXIT_CODES[reason]);
    }
  });

  try {
    const created = await createEngine(options.backend, {}, threadedCpuEngine(threads));
    engine = created.engine;
    if (created.notice) err(created.notice);
    err(`engine: ${engine.description}`);
    const engineNote = store.checkEngine({ backend: engine.backend, description: engine.runDescription ?? engine.description });
    if (engineNote) err(engineNote);

    const progress = new Progress({ initialDone: selected.length - todo.length, interval: options.progressInterval });
    let sweepDone = 0;
    let lastCheckpoint = performance.now();
    const maybeCheckpoint = () => {
      if ((performance.now() - lastCheckpoint) / 1000 < CHECKPOINT_SECONDS) return;
      store.checkpoint(false, engine);
      lastCheckpoint = performance.now();
    };
    let reasonCounts = countBy(doneHere()).byReason;
    let active: ActiveRuns | undefined;
    const progressCounts = () => ({ done: selected.length - todo.length + sweepDone, total: selected.length, byReason: reasonCounts, ...(active ? { active } : {}) });
    if (todo.length > 0) progress.update(progressCounts(), true);

    // a data file edited while the sweep runs is refused, not read into the runs still to come
    const setup = sweepSetup(spec, { ...dataOptions, trainedOn: dataFiles }, continuation ? (run) => continuation.start(run) : undefined);
    await runSweep(todo, {
      engine,
      slots,
      // a shard or a resume trains each run with the kernel the whole sweep gives it
      sweepRuns: allRuns,
      samples: setup.samples,
      optimizer: setup.optimizer,
      prepare: setup.prepare,
      dataKey: setup.dataKey,
      onRecord: (record) => {
        store.append(continuation ? continuation.annotate(record) : record);
        sweepDone++;
        reasonCounts = { ...reasonCounts, [record.stopReason]: (reasonCounts[record.stopReason] ?? 0) + 1 };
        progress.update(progressCounts());
        maybeCheckpoint();
      },
      onTick: (going) => {
        active = going;
        progress.update(progressCounts());
        maybeCheckpoint();
      },
    });
    store.checkpoint(true, engine);
    store.close();
    progress.finish(progressCounts());

    const out = process.stdout;
    out.write(`${selected.length} run${selected.length === 1 ? '' : 's'}${shardNote} on ${engine.backend} (${engine.description})\n\n`);
    out.write(formatSummary(spec, doneHere(), selected.length));
    out.write(`\nresults: ${path.join(dir, 'runs.jsonl')}\n`);
    return dir;
  } finally {
    stopListening();
    store.close();
    engine?.dispose();
  }
}
