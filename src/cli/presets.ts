// `channelscope presets` and `channelscope run PRESET`: the paper's experiments by name
// (experiment/presets.ts), run as sweeps or as procedures, each ending with its report
// (preset-report.ts).
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createEngine, type BackendChoice } from '../engine/create.js';
import { threadedCpuEngine } from '../engine/cpu/threaded-ensemble.js';
import { InputError } from '../user-input/input-error.js';
import { closestName } from '../user-input/closest-name.js';
import { onStopRequest, STOP_EXIT_CODES } from './stop-requests.js';
import { findPreset, PRESETS, presetRunSize, presetSpec, presetSpecInput, type ProcedurePreset, type RunSize } from '../experiment/presets.js';
import { findFolderRecord, folderDataOptions, folderState, PROCEDURE_FILE, PROCEDURE_RESULT_FILE } from '../experiment/results.js';
import { formatShard, ShardEnvironmentError, shardFromEnvironment } from '../experiment/shard.js';
import { FolderLock } from '../experiment/folder-lock.js';
import { channelJumpFromRecord, type ChannelJumpOptions } from '../experiment/channel-jump.js';
import { parseThreads, requireResumeFolder, runSweepWithReport, type RunCommandOptions } from './run.js';
import { writePresetReport } from './preset-report.js';
import { currentSoftware, softwareLabel } from '../experiment/software.js';
import { integerOption } from './number-options.js';

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

/** The `channelscope presets` listing: every preset, or the one named (`channelscope presets NAME`). */
export function formatPresetList(name?: string): string {
  const lines: string[] = [];
  for (const preset of name === undefined ? PRESETS : [presetNamed(name)]) {
    lines.push(`${preset.name}  (${preset.kind})`);
    lines.push(`  ${preset.description}`);
    lines.push(`  full:  ${sizeText(presetRunSize(preset, false))}`);
    lines.push(`  quick: ${sizeText(presetRunSize(preset, true))}; ${preset.quickNote}`);
    lines.push('');
  }
  lines.push('channelscope run PRESET [--quick] [--seeds N] [--out DIR] [--backend auto|gpu|cpu]; channelscope report DIR');
  lines.push('channelscope presets SWEEP --spec [--quick] [--seeds N] > my.json: its spec, to edit and `channelscope run my.json` (it keeps the preset\'s name, so its report has the preset\'s tables; rename it for the generic report alone)');
  return `${lines.join('\n')}\n`;
}

/** `channelscope presets [NAME] --json`: every preset (or the one named) with its question and sizes, for scripts. */
export function presetListJson(name?: string): string {
  const list = (name === undefined ? PRESETS : [presetNamed(name)]).map((preset) => ({
    name: preset.name,
    kind: preset.kind,
    description: preset.description,
    question: preset.question,
    full: presetRunSize(preset, false),
    quick: { ...presetRunSize(preset, true), note: preset.quickNote },
  }));
  return `${JSON.stringify(list, null, 2)}\n`;
}

/** The preset of this name, or a refusal by `command` that names the presets (and the one most likely meant). */
function presetNamed(name: string, command: 'presets' | 'run' = 'presets') {
  const preset = findPreset(name);
  if (preset) return preset;
  const meant = closestName(name, PRESETS.map((p) => p.name));
  throw new InputError(`${command}: "${name}" is not a preset${meant ? `; did you mean ${meant}?` : ''} (presets: ${PRESETS.map((p) => p.name).join(', ')})`);
}

/**
 * `channelscope presets NAME --spec [--quick] [--seeds N]`: a sweep preset's spec as a file `run`
 * takes, to copy and edit (other teachers, widths, a budget). Its runs are the preset's, id for id;
 * it keeps the preset's name (and a --quick one its description), so `report` gives an edited copy
 * the preset's tables, which group by the same fields.
 */
export function presetSpecText(name: string, options: { quick?: boolean; seeds?: string }): string {
  const preset = presetNamed(name);
  if (preset.kind === 'procedure') {
    const fromRun = name === 'channel-jump' ? ', or with --from DIR --id RUN [--pair I,J] follows the channel of a run of yours' : '';
    throw new InputError(`presets: ${name} is a procedure, not a sweep: it has no spec file to edit; \`channelscope run ${name}\` runs it at the paper's size, with --quick small${fromRun} (see \`channelscope help run\`)`);
  }
  const seeds = parseSeeds(options.seeds);
  presetSpec(preset, { quick: options.quick, seeds }); // (checks it as `run` will)
  return `${JSON.stringify(presetSpecInput(preset, { quick: options.quick, seeds }), null, 2)}\n`;
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
  const meant = looksLikeFile ? undefined : closestName(argument, PRESETS.map((p) => p.name));
  throw new InputError(
    `run: ${looksLikeFile ? `cannot read the spec file ${argument}: no such file` : `"${argument}" is not a preset${meant ? `; did you mean ${meant}?` : ''}`} (presets: ${PRESETS.map((p) => p.name).join(', ')}; or give a spec file)`,
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
  const preset = presetNamed(name, 'run');
  const seeds = parseSeeds(options.seeds);
  const quick = Boolean(options.quick);
  if ((options.from !== undefined || options.id !== undefined || options.pair !== undefined) && preset.name !== 'channel-jump') {
    throw new InputError(`--from, --id and --pair give channel-jump a run to follow; ${name} takes no run`);
  }
  if (preset.kind === 'procedure') {
    if (seeds !== undefined) throw new InputError(`--seeds: ${name} is a procedure (networks followed stage by stage), not a sweep over seeds: its options choose them`);
    if (options.shard || options.resume || options.slots) throw new InputError(`${name} is a procedure: --shard, --resume and --slots apply to sweeps only`);
    // a job array would run the whole procedure in every task
    let arrayShard: ReturnType<typeof shardFromEnvironment>;
    try {
      arrayShard = shardFromEnvironment();
    } catch (error) {
      // (the advice of a ShardEnvironmentError, --shard, is a sweep's)
      const problem = error instanceof ShardEnvironmentError ? error.problem : (error as Error).message;
      throw new InputError(`${name} is a procedure, which does not split into shards, and the environment speaks of a job array (${problem}): run it once, outside a job array`);
    }
    if (arrayShard) throw new InputError(`${name} is a procedure, which does not split into shards, but ${arrayShard.source} asks for ${formatShard(arrayShard)}: run it once, outside a job array`);
    return runProcedurePreset(preset, quick, options);
  }
  requireResumeFolder('run', options);
  const spec = presetSpec(preset, { quick, seeds });
  const dir = options.out ?? presetOutDir(preset.name);
  return runSweepWithReport(spec, `${preset.name}.json`, { ...options, out: dir });
}

async function runProcedurePreset(preset: ProcedurePreset, quick: boolean, options: PresetRunOptions): Promise<string> {
  const dir = options.out ?? presetOutDir(preset.name);
  // a procedure has no resume: it writes a folder of its own, never into results or other files
  if (folderState(dir) === 'used') throw new InputError(`${dir} already exists and is not empty: a procedure writes a new folder (it has no --resume); choose another --out`);
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
    // a procedure that could not run, or was stopped (it has no resume), leaves no folder that claims results
    const discard = () => {
      if (wrote) rmSync(procedureFile, { force: true });
      lock.release();
      if (created && readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
    };
    const stopListening = onStopRequest((reason) => {
      try {
        discard();
      } finally {
        process.stderr.write(`\n${reason}: stopped; a procedure has no --resume, so nothing of it is kept in ${dir}: run it again\n`);
        process.exit(STOP_EXIT_CODES[reason]);
      }
    });
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
      discard();
      throw error;
    } finally {
      stopListening();
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
