// `channelscope presets` and `channelscope run PRESET`: the paper's experiments by name
// (experiment/presets.ts), and the preset part of `channelscope report DIR`
// (experiment/preset-reports.ts), which writes the preset's tables as markdown and CSV into DIR.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createEngine, type BackendChoice } from '../engine/create.js';
import { threadedCpuEngine } from '../engine/cpu/threaded-ensemble.js';
import { InputError } from '../user-input/input-error.js';
import { buildPresetReport, hasPresetTables, presetReportMarkdown, tableCsv, type PresetReport } from '../experiment/preset-reports.js';
import { findPreset, PRESETS, presetOfSpec, presetRunSize, presetSpec, type ProcedurePreset, type RunSize } from '../experiment/presets.js';
import { continuationChoice, findFolderRecord, folderDataOptions, readContinuation, readFolderJson, readRecords, RUNS_FILE, SPEC_FILE, type RunRecord } from '../experiment/results.js';
import { formatShard, shardFromEnvironment } from '../experiment/shard.js';
import { FolderLock } from '../experiment/folder-lock.js';
import { channelJumpFromRecord, type ChannelJumpOptions } from '../experiment/channel-jump.js';
import { parseThreads, runParsedSpec, type RunCommandOptions } from './run.js';
import { plannedRuns } from '../experiment/report.js';
import type { ThresholdOverrides } from '../experiment/summary.js';
import { filesystemReason, isFilesystemError } from './fs-errors.js';
import { currentSoftware, softwareLabel } from '../experiment/software.js';
import { integerOption } from './number-options.js';

/** What a procedure preset's folder holds instead of spec.json / runs.jsonl. */
export const PROCEDURE_FILE = 'procedure.json';
export const PROCEDURE_RESULT_FILE = 'result.json';
/** The preset report's files inside a results folder. */
export const PRESET_REPORT_FILE = 'report.md';
export const PRESET_TABLES_DIR = 'tables';

export interface PresetRunOptions extends RunCommandOptions {
  quick?: boolean;
  seeds?: string;
  /** channel-jump: follow the channel of run `id` of results folder `from` instead of constructing one */
  from?: string;
  id?: string;
  /** channel-jump with from/id: the pair to follow, "[layer:]i,j" (layer 1-based, neurons 0-based) */
  pair?: string;
}

const sizeText = (size: RunSize) => `${size.atMost ? 'at most ' : ''}${size.networks.toLocaleString('en-US')} networks × N = ${size.samples.toLocaleString('en-US')}`;

/** The `channelscope presets` listing. */
export function formatPresetList(): string {
  const lines: string[] = [];
  for (const preset of PRESETS) {
    lines.push(`${preset.name}  (${preset.kind})`);
    lines.push(`  ${preset.description}`);
    lines.push(`  full:  ${sizeText(presetRunSize(preset, false))}`);
    lines.push(`  quick: ${sizeText(presetRunSize(preset, true))}; ${preset.quickNote}`);
    lines.push('');
  }
  lines.push('channelscope run PRESET [--quick] [--seeds N] [--out DIR] [--backend auto|gpu|cpu]; channelscope report DIR');
  return `${lines.join('\n')}\n`;
}

/** Whether `argument` of `run` names a preset (and not a spec file): no such file, or a bare name. */
export function isPresetArgument(argument: string): boolean {
  if (findPreset(argument)) return !existsSync(argument) || !argument.endsWith('.json');
  return false;
}

/** Refuses a `run` argument that is neither a file nor a preset, listing the presets. */
export function checkRunArgument(argument: string): void {
  if (existsSync(argument) || findPreset(argument)) return;
  const looksLikeFile = /[./\\]/.test(argument);
  throw new InputError(
    `run: ${looksLikeFile ? `cannot read the spec file ${argument}: no such file` : `"${argument}" is not a preset`} (presets: ${PRESETS.map((p) => p.name).join(', ')}; or give a spec file)`,
  );
}

function parseSeeds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return integerOption('--seeds', text, 1);
}

function timestamp(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** runs/<preset>-<time>, with a suffix if that exists already. */
function presetOutDir(name: string): string {
  const base = path.join('runs', `${name}-${timestamp()}`);
  let dir = base;
  for (let k = 2; existsSync(dir); k++) dir = `${base}-${k}`;
  return dir;
}

/** Runs a preset (sweep or procedure) and writes its report; returns the results folder. */
export async function runPresetCommand(name: string, options: PresetRunOptions): Promise<string> {
  const preset = findPreset(name);
  if (!preset) throw new InputError(`run: "${name}" is not a preset (presets: ${PRESETS.map((p) => p.name).join(', ')})`);
  const seeds = parseSeeds(options.seeds);
  const quick = Boolean(options.quick);
  if ((options.from !== undefined || options.id !== undefined || options.pair !== undefined) && preset.name !== 'channel-jump') {
    throw new InputError(`--from, --id and --pair give channel-jump a run to follow; ${name} takes no run`);
  }
  if (preset.kind === 'procedure') {
    if (seeds !== undefined) throw new InputError(`--seeds: ${name} is a procedure (networks followed stage by stage), not a sweep over seeds: its options choose them`);
    if (options.shard || options.resume || options.slots) throw new InputError(`${name} is a procedure: --shard, --resume and --slots apply to sweeps only`);
    // a job array would run the whole procedure in every task
    const arrayShard = shardFromEnvironment();
    if (arrayShard) throw new InputError(`${name} is a procedure, which does not split into shards, but ${arrayShard.source} asks for ${formatShard(arrayShard)}: run it once, outside a job array`);
    return runProcedurePreset(preset, quick, options);
  }
  const spec = presetSpec(preset, { quick, seeds });
  const dir = options.out ?? presetOutDir(preset.name);
  await runParsedSpec(spec, `${preset.name}.json`, { ...options, out: dir });
  if (!options.dryRun) process.stdout.write(`\n${await writePresetReport(dir)}`);
  return dir;
}

async function runProcedurePreset(preset: ProcedurePreset, quick: boolean, options: PresetRunOptions): Promise<string> {
  const dir = options.out ?? presetOutDir(preset.name);
  if (existsSync(path.join(dir, PROCEDURE_FILE)) || existsSync(path.join(dir, SPEC_FILE))) {
    throw new InputError(`${dir} already holds results; choose another --out`);
  }
  const procedureOptions = await procedureOptionsFor(preset, quick, options);
  if (options.dryRun) {
    process.stdout.write(`${preset.name}${quick ? ' --quick' : ''}: ${sizeText(preset.size(procedureOptions))}\n\n--dry-run: the preset's options are valid; nothing was written (a run would write ${dir})\n`);
    return dir;
  }
  const { engine, notice } = await createEngine(options.backend as BackendChoice, {}, threadedCpuEngine(parseThreads(options.threads)));
  try {
    if (notice) process.stderr.write(`${notice}\n`);
    process.stderr.write(`channelscope run ${preset.name}${quick ? ' --quick' : ''}: ${sizeText(preset.size(procedureOptions))} on ${engine.description} → ${dir}\n`);
    const created = !existsSync(dir);
    mkdirSync(dir, { recursive: true });
    // one session per folder, as for sweeps: a second procedure on this --out is refused, not interleaved
    const lock = FolderLock.acquire(dir);
    const procedureFile = path.join(dir, PROCEDURE_FILE);
    let wrote = false;
    try {
      if (existsSync(procedureFile)) throw new InputError(`${dir} already holds results; choose another --out`);
      // what ran, and which code ran it (a sweep's records name it each)
      writeFileSync(procedureFile, `${JSON.stringify({ preset: preset.name, quick, options: procedureOptions, software: softwareLabel(currentSoftware()) }, null, 2)}\n`);
      wrote = true;
      const started = performance.now();
      const result = await preset.procedure.run(procedureOptions, { engine, progress: (line) => process.stderr.write(`${line}\n`) });
      writeFileSync(path.join(dir, PROCEDURE_RESULT_FILE), `${JSON.stringify(result, null, 2)}\n`);
      process.stderr.write(`done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    } catch (error) {
      // a procedure that could not run leaves no folder that claims results
      if (wrote) rmSync(procedureFile, { force: true });
      lock.release();
      if (created && readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
      throw error;
    } finally {
      lock.release();
    }
  } finally {
    engine.dispose();
  }
  process.stdout.write(`\n${await writePresetReport(dir)}`);
  return dir;
}

/** The preset's options (quick or full); for channel-jump --from DIR --id RUN, that run's network and data. */
async function procedureOptionsFor(preset: ProcedurePreset, quick: boolean, options: PresetRunOptions): Promise<object> {
  const base = quick ? preset.procedure.quick : preset.procedure.defaults;
  if (options.from === undefined && options.id === undefined && options.pair === undefined) return base;
  if (options.from === undefined || options.id === undefined) throw new InputError(`channel-jump follows a run given as --from DIR --id RUN (both)${options.pair !== undefined ? '; --pair names a pair of that run' : ''}`);
  const record = await findFolderRecord(options.from, options.id, 'run channel-jump');
  const followed = channelJumpFromRecord(record, base as ChannelJumpOptions, folderDataOptions(options.from));
  return options.pair === undefined ? followed : { ...followed, pair: parsePairOption(options.pair, followed.setup.architecture.hidden) };
}

/** --pair "[layer:]i,j": layer counted from 1 (default: the last hidden layer), neurons from 0, as `analyze` prints them. */
export function parsePairOption(text: string, hidden: number | readonly number[]): { layer: number; i: number; j: number } {
  const widths = typeof hidden === 'number' ? [hidden] : hidden;
  const match = /^\s*(?:(\d+)\s*:)?\s*(\d+)\s*,\s*(\d+)\s*$/.exec(text);
  if (!match) throw new InputError(`--pair: "${text}" is not [layer:]i,j (e.g. 0,2, or 1:0,2 for hidden layer 1)`);
  const layer = match[1] === undefined ? widths.length : Number(match[1]);
  const [i, j] = [Number(match[2]), Number(match[3])];
  if (layer < 1 || layer > widths.length) throw new InputError(`--pair: layer ${layer} is not a hidden layer of this network (1 … ${widths.length})`);
  const width = widths[layer - 1];
  if (i === j || i >= width || j >= width) throw new InputError(`--pair: neurons ${i} and ${j} are not two neurons of hidden layer ${layer} (0 … ${width - 1})`);
  return { layer: layer - 1, i, j };
}

export function isProcedureFolder(dir: string): boolean {
  return existsSync(path.join(dir, PROCEDURE_FILE));
}

/**
 * When DIR holds a preset's results: writes DIR/report.md and DIR/tables/*.csv and returns the
 * markdown (with where the files are); otherwise null.
 */
export async function writePresetReport(dir: string, overrides: ThresholdOverrides = {}): Promise<string | null> {
  const procedureFile = path.join(dir, PROCEDURE_FILE);
  if (existsSync(procedureFile)) {
    const { preset: name, quick, software } = JSON.parse(readFileSync(procedureFile, 'utf8')) as { preset: string; quick?: boolean; software?: string };
    const preset = findPreset(name);
    const resultFile = path.join(dir, PROCEDURE_RESULT_FILE);
    if (preset?.kind !== 'procedure' || !existsSync(resultFile)) return null;
    const result = JSON.parse(readFileSync(resultFile, 'utf8')) as unknown;
    const note = quick ? `*The --quick version:* ${preset.quickNote}\n\n` : '';
    // (folders written before procedure.json named the code have no such line)
    const ranBy = software ? `Run by ${software}.\n\n` : '';
    const markdown = `## ${preset.name} (${dir})\n\n${preset.question}\n\n${note}${ranBy}${preset.procedure.formatMarkdown(result)}`;
    if (!keepWriting(dir, PRESET_REPORT_FILE, () => writeFileSync(path.join(dir, PRESET_REPORT_FILE), markdown))) return markdown;
    return `${markdown}\nreport: ${path.join(dir, PRESET_REPORT_FILE)}\n`;
  }
  const preset = folderPreset(dir);
  if (!preset || !existsSync(path.join(dir, RUNS_FILE))) return null;
  const { records } = await readRecords<RunRecord>(path.join(dir, RUNS_FILE));
  // (a spec of an older version that no longer validates plans nothing: its tables, without the notes on size)
  const planned = plannedRuns(dir, []);
  const { report, markdown } = presetMarkdown(dir, dir, preset, records, planned?.total, planned?.seeds, overrides);
  // by other thresholds the tables are the reader's, not the folder's
  if (Object.keys(overrides).length > 0) return `${markdown}\n(by other thresholds: not written to ${dir}, which keeps its report by the defaults)\n`;
  const tablesDir = path.join(dir, PRESET_TABLES_DIR);
  const written = keepWriting(dir, `${PRESET_REPORT_FILE} and ${PRESET_TABLES_DIR}/*.csv`, () => {
    writeFileSync(path.join(dir, PRESET_REPORT_FILE), markdown);
    mkdirSync(tablesDir, { recursive: true });
    for (const table of report.tables) writeFileSync(path.join(tablesDir, `${table.name}.csv`), tableCsv(table));
  });
  if (!written) return markdown;
  // a path a shell expands: {a,b}.csv for several tables, a.csv for one (braces round one name stay as they are)
  const names = report.tables.map((t) => t.name);
  const tables = names.length === 1 ? `${tablesDir}/${names[0]}.csv` : `${tablesDir}/{${names.join(',')}}.csv`;
  return `${markdown}\nreport: ${path.join(dir, PRESET_REPORT_FILE)}; tables: ${tables}\n`;
}

/**
 * The preset's tables over several folders of one preset sweep (its shards, read together before or
 * without `merge`): printed only, as no one folder is theirs; null when the sweep is no preset's.
 */
export function presetReportOfShards(folders: readonly string[], records: readonly RunRecord[], planned: number | undefined, overrides: ThresholdOverrides = {}): string | null {
  const preset = folderPreset(folders[0]);
  if (!preset) return null;
  const { markdown } = presetMarkdown(folders[0], folders.join(' + '), preset, [...records], planned, plannedRuns(folders[0], [])?.seeds, overrides);
  return `${markdown}\n(${folders.length} folders read together: printed only; \`channelscope merge\` joins them into one folder, which keeps report.md and tables/*.csv)\n`;
}

/** The preset with report tables whose sweep a folder holds (its spec.json), and whether it ran --quick; null for any other folder. */
function folderPreset(dir: string): { name: string; quick: boolean } | null {
  const specFile = path.join(dir, SPEC_FILE);
  if (!existsSync(specFile)) return null;
  const spec = readFolderJson<{ description?: unknown }>(specFile, 'It is the sweep\'s spec: restore it (a copy of the spec file the sweep was run with will do)');
  const preset = presetOfSpec(spec);
  if (!preset || !hasPresetTables(preset.name)) return null;
  // a quick spec says so in its description ("NAME --quick: …", presets.ts)
  return { name: preset.name, quick: typeof spec.description === 'string' && spec.description.startsWith(`${preset.name} --quick`) };
}

/** The preset's report of a sweep's records, in markdown after the caveat of a continuation's folder (`dir`'s continued.json). */
function presetMarkdown(
  dir: string,
  source: string,
  preset: { name: string; quick: boolean },
  records: RunRecord[],
  planned: number | undefined,
  seeds: number | undefined,
  overrides: ThresholdOverrides,
): { report: PresetReport; markdown: string } {
  const report = buildPresetReport(preset.name, records, planned, { quick: preset.quick, seeds }, overrides);
  // a continuation's runs are a chosen few of the preset's, under edited settings
  const continued = readContinuation(dir);
  const note = continued
    ? `*${continued.runs.length === 1 ? 'This run continues a run' : `These ${continued.runs.length} runs continue runs`} of ${continued.from} chosen by ${continuationChoice(continued)}${continued.set.length > 0 ? `, with --set ${continued.set.join(' ')}` : ''}: the preset's tables over ${continued.runs.length === 1 ? 'it' : 'them'}, not over the preset's sample.*\n\n`
    : '';
  return { report, markdown: `${note}${presetReportMarkdown(report, source)}` };
}

/**
 * Writes the preset report's files into `dir`, or where the folder cannot take them (read-only,
 * full) says so in one line on stderr and returns false: the report is printed all the same.
 */
function keepWriting(dir: string, files: string, write: () => void): boolean {
  try {
    write();
    return true;
  } catch (error) {
    if (!isFilesystemError(error)) throw error;
    process.stderr.write(`channelscope: note: ${files} could not be written to ${dir} (${error.path ?? dir}: ${filesystemReason(error)}); the report is printed only\n`);
    return false;
  }
}
