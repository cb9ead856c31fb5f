// The `channelscope` command line.
import { availableParallelism } from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { InputError } from '../user-input/input-error.js';
import { createEngine, type BackendChoice } from '../engine/create.js';
import type { Engine } from '../engine/engine.js';
import { doctor } from './doctor.js';
import { evaluateFiles } from './eval.js';
import { analyzeFiles, analyzeRun } from './analyze.js';
import { verify } from './verify.js';
import { VERIFY_PARTS, type VerifyPart } from '../engine/verify-kernels.js';
import { demo } from './demo.js';
import { reportCommand, REPORT_FORMATS } from './report.js';
import { GROUP_ALIASES } from '../experiment/group-labels.js';
import { parseThresholds, THRESHOLD_NAMES, integerOption, positiveNumberOption } from './number-options.js';
import { type ThresholdOverrides } from '../experiment/summary.js';
import { runCommand } from './run.js';
import { continueCommand, type ContinueCommandOptions } from './continue.js';
import { checkRunArgument, formatPresetList, isPresetArgument, presetListJson, presetSpecText, runPresetCommand, type PresetRunOptions } from './presets.js';
import { mergeCommand } from './merge.js';
import { compareCommand } from './compare.js';
import { DEFAULT_COMPARISON } from '../experiment/compare.js';
import { DEFAULT_PORT, serveCommand } from './serve.js';
import { currentSoftware, softwareLabel } from '../experiment/software.js';
import { describeFilesystemError, readUserFile, requireResultsFolder } from './fs-errors.js';
import { shellWord } from '../user-input/shell-word.js';

/** what `npm start` runs (with --quick) */
const QUICKSTART_PRESET = 'channel-frequency';

/** The exit code of an internal error, a bug (EX_SOFTWARE): not 1, a check's no, nor 2, bad input. */
export const INTERNAL_ERROR_EXIT = 70;

/** --thresholds name=value,… (report, analyze): refused with exit code 2 when a name or value is off. */
function thresholdOption(text: string | undefined): ThresholdOverrides {
  if (text === undefined) return {};
  try {
    return parseThresholds(text);
  } catch (error) {
    throw new InputError(`--thresholds: ${(error as Error).message}`);
  }
}

const backendOption = () =>
  new Option('--backend <backend>', 'compute backend').choices(['auto', 'gpu', 'cpu']).default('auto');

/** Opens an engine for one command and always releases the device, so Node can exit. */
async function withEngine<T>(choice: BackendChoice, json: boolean, work: (engine: Engine) => Promise<T>): Promise<T> {
  const { engine, notice } = await createEngine(choice);
  if (notice) (json ? process.stderr : process.stdout).write(`${notice}\n`);
  try {
    return await work(engine);
  } finally {
    engine.dispose();
  }
}

export function buildProgram(): Command {
  const program = new Command('channelscope')
    .description('WebGPU ensembles of small MLPs: how many training runs end in channels to infinity')
    .version(softwareLabel(currentSoftware()), '-V, --version', 'the channelscope version (and its git commit, run from a checkout)')
    .exitOverride()
    // usage errors begin as every refusal does ("channelscope: …"), not with commander's "error: …"
    .configureOutput({ writeErr: (text) => process.stderr.write(text), outputError: (text, write) => write(text.replace(/^error: /, 'channelscope: ')) });

  program
    .command('doctor')
    .description('show the backend in use, the adapter, its features and key limits')
    .option('--json', 'machine-readable output')
    .addOption(backendOption())
    .action(async (options: { json?: boolean; backend: BackendChoice }) => {
      await doctor(options.backend, Boolean(options.json));
    });

  program
    .command('eval')
    .description('loss, gradient and (with --direction) Hessian-vector product of one network')
    .requiredOption('--params <file>', 'parameter file (JSON, layered format)')
    .requiredOption('--data <file>', 'dataset CSV with header x1,…,xd,y')
    .option('--direction <file>', 'direction for the Hessian-vector product, same layered format')
    .option('--maxnorm <value>', 'norm barrier threshold (Infinity disables)', '1000')
    .option('--json', 'machine-readable output')
    .addOption(backendOption())
    .action(async (options: { params: string; data: string; direction?: string; maxnorm: string; json?: boolean; backend: BackendChoice }) => {
      const maxnorm = positiveNumberOption('--maxnorm', options.maxnorm, { infinity: true });
      const inputs = {
        paramsText: readUserFile(options.params, 'the parameter file'),
        dataText: readUserFile(options.data, 'the data file'),
        directionText: options.direction ? readUserFile(options.direction, 'the direction file') : undefined,
        maxnorm,
        names: { params: options.params, data: options.data, direction: options.direction },
      };
      await withEngine(options.backend, Boolean(options.json), (engine) => evaluateFiles(engine, inputs, Boolean(options.json)));
    });

  program
    .command('analyze')
    .description('where a given network (or a run of a sweep) stands: diagnostics, the verdict with its evidence, for channels the GLU limit (and the limit of a channel carried by three or four neurons) and for sharpening neurons their kink or step limit')
    .option('--params <file>', 'parameter file (JSON, layered format)')
    .option('--data <file>', 'dataset CSV with header x1,…,xd,y')
    .option('--run <dir>', "instead of files: a results folder of `channelscope run` (with --id); the run's network, its rebuilt data and its recent parameters")
    .option('--id <run>', 'the run id within --run (as `report --format json` and the dashboard show it)')
    .option('--maxnorm <value>', "norm barrier threshold (Infinity disables; default: 1000 for files, the run's own for --run)")
    .option(
      '--previous <files...>',
      'earlier parameter files of the same run, oldest first: the recent motion, for the channel-subspace criterion and sharpening neurons',
    )
    .option('--thresholds <list>', 'classify with other thresholds, name=value comma-separated (as report --thresholds)')
    .option('--json', 'machine-readable output')
    .action(async (options: { params?: string; data?: string; run?: string; id?: string; maxnorm?: string; previous?: string[]; json?: boolean; thresholds?: string }) => {
      const overrides = thresholdOption(options.thresholds);
      const maxnorm = options.maxnorm === undefined ? undefined : positiveNumberOption('--maxnorm', options.maxnorm, { infinity: true });
      const files = options.params !== undefined || options.data !== undefined;
      const run = options.run !== undefined || options.id !== undefined;
      const usage = 'analyze takes a network as --params P.json --data D.csv, or a run of a sweep as --run DIR --id RUN';
      if (files && run) throw new InputError(`${usage}, not both (${[options.params && '--params', options.data && '--data'].filter(Boolean).join(' and ')} with ${[options.run && '--run', options.id && '--id'].filter(Boolean).join(' and ')})`);
      if (!files && !run) throw new InputError(`${usage}: give one of the two`);
      // the part of a pair that is missing
      const missing = files ? (options.params ? '--data D.csv' : '--params P.json') : options.run ? '--id RUN' : '--run DIR';
      if (files ? !(options.params && options.data) : !(options.run && options.id)) throw new InputError(`${usage}: ${missing} is missing`);
      if (run) {
        if (options.previous) throw new InputError('--previous goes with --params: a run brings its own recent parameters');
        requireResultsFolder(options.run!, 'analyze');
        await analyzeRun(options.run!, options.id!, maxnorm, Boolean(options.json), overrides);
        return;
      }
      const previous = (options.previous ?? []).map((file) => ({ name: file, text: readUserFile(file, 'the earlier parameter file') }));
      analyzeFiles({ name: options.params!, text: readUserFile(options.params!, 'the parameter file') }, { name: options.data!, text: readUserFile(options.data!, 'the data file') }, maxnorm ?? 1000, Boolean(options.json), previous, overrides);
    });

  program
    .command('verify')
    .description('check the backend against the float64 CPU engine and finite differences on random cases of every variant, and on a GPU its training, kernel-strategy and diagnostics kernels')
    .option('--json', 'machine-readable output')
    .option('--seed <n>', 'seed of the random cases', '1')
    .option('--parts <list>', `what to check, comma-separated: ${VERIFY_PARTS.join(', ')}`, VERIFY_PARTS.join(','))
    .addOption(backendOption())
    .action(async (options: { json?: boolean; seed: string; parts: string; backend: BackendChoice }) => {
      const seed = integerOption('--seed', options.seed, 0);
      const parts = options.parts.split(',').map((part) => part.trim()).filter(Boolean);
      const unknown = parts.filter((part) => !(VERIFY_PARTS as readonly string[]).includes(part));
      if (parts.length === 0) throw new InputError(`--parts names no part (${JSON.stringify(options.parts)}); known: ${VERIFY_PARTS.join(', ')}`);
      if (unknown.length > 0) throw new InputError(`--parts: unknown part ${unknown.join(', ')}; known: ${VERIFY_PARTS.join(', ')}`);
      const pass = await withEngine(options.backend, Boolean(options.json), (engine) => verify(engine, seed, Boolean(options.json), parts as VerifyPart[]));
      if (!pass) process.exitCode = 1;
    });

  program
    .command('run')
    .description('run a sweep (a spec file) or one of the paper\'s experiments (a preset name; see `channelscope presets`) into a results folder')
    .argument('<spec-or-preset>', 'experiment spec (JSON) or preset name')
    .option('--out <dir>', 'results folder (default: runs/<spec or preset name>-<timestamp>)')
    .option('--quick', 'preset: the small version (seconds to a minute on the CPU)')
    .option('--seeds <n>', 'preset: this many seeds per configuration instead of the preset\'s')
    .option('--shard <k/n>', 'run shard k of n (1-based; default: from SLURM_ARRAY_TASK_ID, or JOB_COMPLETION_INDEX with CHANNELSCOPE_SHARD_COUNT)')
    .option('--resume', 'continue the sweep stored in --out: skip the runs recorded there, run the rest')
    .option('--slots <n>', 'networks trained at once per ensemble (default: 4096 on the GPU, 64 on the CPU)')
    .option('--threads <n>', `CPU engine: worker threads sharing an ensemble's slots (default: this machine's ${availableParallelism()} cores)`)
    .option('--from <dir>', 'channel-jump: follow the channel of a run of this results folder (with --id) instead of constructing one')
    .option('--id <run>', 'channel-jump: the run id within --from')
    .option('--pair <[layer:]i,j>', 'channel-jump with --from/--id: follow this pair of neurons (numbered from 0, as `analyze` prints them; layer from 1, default the last hidden layer) instead of the run\'s channel')
    .option('--dry-run', 'check the spec (or preset) and its data files and print the runs it plans, per configuration; write nothing, train nothing')
    .addOption(backendOption())
    .action(async (spec: string, options: PresetRunOptions) => {
      checkRunArgument(spec);
      if (isPresetArgument(spec)) {
        if (options.from !== undefined) requireResultsFolder(options.from, 'run channel-jump --from');
        await runPresetCommand(spec, options);
        return;
      }
      if (options.quick || options.seeds !== undefined) throw new InputError('--quick and --seeds apply to presets (see `channelscope presets`), not to spec files');
      if (options.from !== undefined || options.id !== undefined || options.pair !== undefined) throw new InputError('--from, --id and --pair give the channel-jump preset a run to follow, not a spec file');
      await runCommand(spec, options);
    });

  program
    .command('continue')
    .description('start chosen runs of a results folder again where they stopped, with edited settings (a higher norm barrier, more steps), into a new folder; prints how their verdicts changed')
    .argument('<dir>', 'results folder written by `channelscope run`')
    .option('--set <path=value...>', "edit the folder's spec (JSON values), e.g. maxnorm=1e4 stop.maxSteps=40000; each run keeps its network, data and seed")
    .option('--only <list>', 'continue the runs with these verdicts, not-converged causes or stop reasons, comma-separated (default: every not-converged run), e.g. channel-opening,barrier-without-channel')
    .option('--out <dir>', 'results folder of the continued runs (default: runs/<spec name>-continued-<timestamp>)')
    .option('--resume', 'continue a continuation stored in --out: skip the runs recorded there')
    .option('--shard <k/n>', 'continue shard k of n of the chosen runs (1-based; default: from SLURM_ARRAY_TASK_ID, or JOB_COMPLETION_INDEX with CHANNELSCOPE_SHARD_COUNT); `merge` joins them')
    .option('--slots <n>', 'networks trained at once per ensemble (default: 4096 on the GPU, 64 on the CPU)')
    .option('--threads <n>', `CPU engine: worker threads sharing an ensemble's slots (default: this machine's ${availableParallelism()} cores)`)
    .addOption(backendOption())
    .action(async (dir: string, options: ContinueCommandOptions) => {
      requireResultsFolder(dir, 'continue');
      await continueCommand(dir, options);
    });

  program
    .command('presets')
    .description('list the paper\'s experiments that `channelscope run PRESET` runs, with their sizes (full and --quick); with a NAME, that one; with a NAME and --spec, print that sweep\'s spec to copy and edit')
    .argument('[name]', 'a preset: its entry alone, or with --spec (a sweep) its spec')
    .option('--spec', "print the preset's spec (JSON that `channelscope run FILE` takes)")
    .option('--quick', 'with --spec: the --quick version')
    .option('--seeds <n>', 'with --spec: seeds per configuration')
    .option('--json', 'the list as JSON')
    .action((name: string | undefined, options: { spec?: boolean; quick?: boolean; seeds?: string; json?: boolean }) => {
      if (options.spec) {
        if (name === undefined) throw new InputError('presets --spec needs a preset name: channelscope presets NAME --spec [--quick] [--seeds N]');
        if (options.json) throw new InputError('presets: --spec prints JSON already; --json is for the list');
        process.stdout.write(presetSpecText(name, options));
        return;
      }
      if (options.quick || options.seeds !== undefined) {
        throw new InputError(`presets: --quick and --seeds go with --spec (channelscope presets ${name ?? 'NAME'} --spec${options.quick ? ' --quick' : ''})`);
      }
      process.stdout.write(options.json ? presetListJson(name) : formatPresetList(name));
    });

  program
    .command('merge')
    .description('join the results folders of a sharded sweep, checking every run is present exactly once')
    .argument('<dirs...>', 'results folders written by `channelscope run`')
    .requiredOption('--out <dir>', 'merged results folder (new or empty)')
    .action(async (dirs: string[], options: { out: string }) => {
      for (const dir of dirs) requireResultsFolder(dir, 'merge');
      const code = await mergeCommand(dirs, options);
      if (code !== 0) process.exitCode = code;
    });

  program
    .command('compare')
    .description('run by run, do two sweeps of the same spec end in the same place (e.g. --backend gpu against --backend cpu)?')
    .argument('<first>', 'results folder written by `channelscope run`')
    .argument('<second>', 'results folder of the same spec and seeds')
    .option('--loss-rtol <value>', 'relative tolerance on the final loss', String(DEFAULT_COMPARISON.lossRtol))
    .option('--min-agreement <fraction>', 'exit code 1 when fewer of the runs both folders hold than this (0…1, or a percentage such as 95%) end in the same place')
    .option('--json', 'machine-readable output')
    .action(async (first: string, second: string, options: { lossRtol: string; minAgreement?: string; json?: boolean }) => {
      for (const dir of [first, second]) requireResultsFolder(dir, 'compare');
      await compareCommand(first, second, options);
    });

  program
    .command('report')
    .description('classify every run of a results folder (channel, finite minimum, …) and tabulate fractions with 95% Wilson intervals')
    .argument('<dirs...>', 'results folder written by `channelscope run`; several folders of one sweep (its shards) are read as one')
    .option('--by <fields>', `group by these fields, comma-separated (${Object.keys(GROUP_ALIASES).join(', ')} or dotted spec paths)`)
    .addOption(new Option('--format <format>', 'output format').choices([...REPORT_FORMATS]).default('md'))
    .option('--html [file]', 'also write a self-contained HTML report with the charts (default: DIR/report.html; an existing file is replaced only if it is such a page)')
    .option('--carriers', "also count the channels by the neurons carrying them (a pair, three or four; rebuilds each channel run's data)")
    .option('--thresholds <list>', `classify with other thresholds, name=value comma-separated (${THRESHOLD_NAMES.join(', ')}; e.g. cosine=1e-3, or equalInputs=Infinity for the paper's criteria without the equal-inputs test)`)
    .action(async (dirs: string[], options: { by?: string; format: (typeof REPORT_FORMATS)[number]; html?: string | boolean; carriers?: boolean; thresholds?: string }) => {
      for (const dir of dirs) requireResultsFolder(dir, 'report');
      await reportCommand(dirs, { ...options, thresholds: thresholdOption(options.thresholds) });
    });

  program
    .command('serve')
    .description('serve the dashboard and, read-only, the given results folders (127.0.0.1 unless --host)')
    .argument('[dirs...]', 'results folders written by `channelscope run`, browsable from the page')
    .option('--port <port>', 'port (0: any free one)', String(DEFAULT_PORT))
    .option('--host <host>', 'address to bind (default 127.0.0.1; 0.0.0.0 exposes the folders to the network)')
    .action(async (dirs: string[], options: { port: string; host?: string }) => {
      await serveCommand(dirs, options);
    });

  program
    .command('quickstart')
    .description('what `npm start` runs: the channel-frequency preset --quick on whatever backend exists, then its report')
    .addOption(backendOption())
    .action(async (options: { backend: BackendChoice }) => {
      const out = await runPresetCommand(QUICKSTART_PRESET, { backend: options.backend, quick: true });
      process.stdout.write(
        `\nthe ${QUICKSTART_PRESET} --quick report is in ${out} (report.md and tables/*.csv; \`npx channelscope report ${shellWord(out)} --by activation,teacher\` prints the verdicts by configuration, and these tables again; \`npx channelscope serve ${shellWord(out)}\` shows them with their figures and every run in the dashboard; \`npx channelscope presets\` lists the other presets)\n`,
      );
    });

  program
    .command('demo')
    .description('a small demonstration of the engine: loss, gradients and Hessian spectra of an ensemble')
    .addOption(backendOption())
    .action(async (options: { backend: BackendChoice }) => {
      await withEngine(options.backend, false, (engine) => demo(engine));
    });

  return program;
}

/** Options whose empty value means none (`--by "$BY"` with BY empty: no grouping). */
const EMPTY_MEANS_NONE = new Set(['--by', '--thresholds']);

/** An argument that is empty or blank (`--out ''`, a shell variable never set) means nothing; refused up front. */
function refuseEmptyArguments(argv: readonly string[]): void {
  const inline = argv.find((arg) => /^--?[\w-]+=\s*$/.test(arg) && !EMPTY_MEANS_NONE.has(arg.slice(0, arg.indexOf('='))));
  if (inline) throw new InputError(`${inline.slice(0, inline.indexOf('='))} is given an empty value (${JSON.stringify(inline)}): a folder, file or value must be named — an unset shell variable?`);
  const blank = argv.findIndex((arg, k) => arg.trim() === '' && !EMPTY_MEANS_NONE.has(argv[k - 1]));
  if (blank < 0) return;
  const option = argv[blank - 1]?.startsWith('-') ? `${argv[blank - 1]} ` : '';
  // (arguments counted after the command's name, as its usage line counts them)
  const what = option ? `${option}is given an empty value` : blank === 0 ? 'the command is empty' : `${argv[0]}: argument ${blank} is empty`;
  throw new InputError(`${what} (${JSON.stringify(argv[blank])}): a folder, file or value must be named — an unset shell variable?`);
}

/**
 * A path that starts with ~ unexpanded (`--out=~/runs/x`, or quoted): a shell expands ~ only at the
 * start of an unquoted word, so it would name a folder called ~ in the working directory.
 */
function refuseUnexpandedHome(argv: readonly string[]): void {
  for (const arg of argv) {
    const value = /^--?[\w-]+=/.test(arg) ? arg.slice(arg.indexOf('=') + 1) : arg;
    if (value === '~' || value.startsWith('~/')) {
      throw new InputError(`"${arg}": the shell did not expand ~ to your home folder (it does only at the start of an unquoted word: --out ~/x, not --out=~/x or "~/x"), so this would name a folder called ~ here; write the path so, or in full`);
    }
  }
}

/**
 * An option that takes one value given twice (`--out a --out b`, `--shard 1/2 --shard 2/2`): a slip,
 * not a choice of the last, which commander would silently take (as --set and --thresholds refuse
 * a path or name given twice). Flags (--json) and lists (--set a=1 b=2) may repeat.
 */
function refuseRepeatedOptions(program: Command, argv: readonly string[]): void {
  const command = program.commands.find((candidate) => candidate.name() === argv[0]);
  if (!command) return;
  const byName = new Map(command.options.filter((option) => option.long).map((option) => [option.long!, option]));
  const given = new Map<string, string[]>();
  // the values each option of one value is given: `--out a`, `--out=a`; what follows -- is no option,
  // and an option's value is not read as one (`--out --out` names a folder called --out)
  for (let k = 1; k < argv.length && argv[k] !== '--'; k++) {
    const equals = argv[k].indexOf('=');
    const name = argv[k].startsWith('--') && equals > 0 ? argv[k].slice(0, equals) : argv[k];
    const option = byName.get(name);
    if (!option || !(option.required || option.optional)) continue;
    let value = equals > 0 && name !== argv[k] ? argv[k].slice(equals + 1) : undefined;
    if (value === undefined && option.required) value = argv[++k] ?? '';
    if (option.variadic) continue;
    given.set(name, [...(given.get(name) ?? []), value ?? '']);
  }
  for (const [name, values] of given) {
    if (values.length > 1) throw new InputError(`${name} is given ${values.length === 2 ? 'twice' : `${values.length} times`} (${values.map((value) => JSON.stringify(value)).join(', ')}): give it once`);
  }
}

/**
 * `help NAME` of a name that is no command: as `NAME` alone, which commander refuses naming it (with
 * the nearest command), where `help NAME` would print the whole help without saying why.
 */
function helpOfUnknownCommand(program: Command, argv: string[]): string[] {
  const [first, name] = argv;
  if (first !== 'help' || name === undefined || program.commands.some((command) => command.name() === name || command.aliases().includes(name))) return argv;
  return [name];
}

export async function main(argv: string[]): Promise<number> {
  try {
    refuseEmptyArguments(argv);
    refuseUnexpandedHome(argv);
    // bare `channelscope` lists the commands (on stdout, exit 0) rather than starting work in the
    // current folder; `npm start` names quickstart
    const program = buildProgram();
    refuseRepeatedOptions(program, argv);
    await program.parseAsync(argv.length === 0 ? ['--help'] : helpOfUnknownCommand(program, argv), { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return failureExit(error, argv);
  }
}

/** V8's RangeErrors for a size past its limits (a typed array, an array, an ArrayBuffer, a string, a Map or Set). */
const ALLOCATION_FAILURE = /^(Invalid typed array length|Invalid array length|Invalid array buffer length|Array buffer allocation failed|Invalid string length|(Map|Set) maximum size exceeded)/;
/** V8's RangeErrors that are bugs of ours, not bad input (which our own RangeErrors name). */
const ENGINE_RANGE_ERROR = /^(Maximum call stack size exceeded|Invalid count value|toFixed\(\) digits|toPrecision\(\) argument|Invalid time value)/;

/**
 * What a command's failure prints and its exit code: usage errors, bad input and a file system's
 * refusals in one line (2), anything else as the bug it is, with its stack (INTERNAL_ERROR_EXIT).
 */
export function failureExit(error: unknown, argv: readonly string[], write: (text: string) => void = (text) => process.stderr.write(text)): number {
  if (error instanceof CommanderError) {
    // `continue --set a=1 DIR`: --set took DIR as one more edit
    if (error.code === 'commander.missingArgument' && argv[0] === 'continue' && argv.includes('--set')) {
      write('(DIR comes first: --set takes every word after it, so a folder written after --set is read as one more edit. Write `channelscope continue DIR --set path=value …`)\n');
    }
    // help and version exit 0; usage errors (unknown option, missing argument) are bad input
    return error.exitCode === 0 ? 0 : 2;
  }
  // the JavaScript engine's own RangeErrors: a size this request needs past the engine's limits (a
  // request it cannot meet), or a stack overflow (a bug, below); ours name bad input (or, rarely, an
  // internal check, which the message then names)
  if (error instanceof RangeError && ALLOCATION_FAILURE.test(error.message)) {
    write(`channelscope: this request needs more than one array, string or buffer may hold here (${error.message}): fewer --slots, or a smaller network, dataset or sweep\n`);
    return 2;
  }
  if (error instanceof InputError || (error instanceof RangeError && !ENGINE_RANGE_ERROR.test(error.message))) {
    write(`channelscope: ${error.message}\n`);
    return 2;
  }
  const filesystemProblem = describeFilesystemError(error, argv);
  if (filesystemProblem !== null) {
    write(`channelscope: ${filesystemProblem}\n`);
    return 2;
  }
  // not bad input but a bug: its own code (sysexits' EX_SOFTWARE), so that a script tells it from
  // a check that said no (exit 1: verify, compare --min-agreement)
  write(`channelscope: an internal error (please report it with what follows): ${(error as Error).stack ?? String(error)}\n`);
  return INTERNAL_ERROR_EXIT;
}
