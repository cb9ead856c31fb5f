// The command line both benchmarks share (node-bench.ts, browser-bench.ts): commander parses it and
// prints --help; every value is checked here, before a device is acquired or a page is built, so
// bad input ends with one line naming the problem and exit code 2. Node only (commander, node:os):
// the page shares bench-core.ts, which keeps the checks of values the page takes as well.
import os from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { parseStrategy } from '../src/engine/gpu/kernel-strategy.js';
import { checkScale, checkSeconds, DEFAULT_SECONDS, OPS, resolvePlan, SOFTWARE_SCALE, type BenchHost } from './bench-core.js';
import { WORKLOADS } from './workloads.js';
import { InputError } from '../src/user-input/input-error.js';

/** Bad input: reported in one line, exit code 2, nothing measured. */
export class UsageError extends Error {}

export const BACKENDS = ['auto', 'gpu', 'cpu'] as const;
export type Backend = (typeof BACKENDS)[number];

/** The checked values of the options both benchmarks take. */
export interface BenchCommand {
  json: boolean;
  workloads: string[];
  ops: string[];
  seconds: number;
  backend: Backend;
  /** undefined: the automatic scale (bench-core.ts effectiveScale) */
  scale?: number;
  /** undefined: the engine's own kernel strategy */
  strategies?: string[];
}

const OPERATIONS_HELP = `Operations:
  grad, hvp                    gradient; gradient and Hessian-vector product (per network)
  gd, momentum, adam, sgd      optimiser steps (sgd: batches of 16 samples)
  flow                         gradient-flow right-hand-side evaluations (dopri5)
  stiff                        stiff gradient-flow steps (rosenbrock23)`;

const EXIT_CODES_HELP = `Exit codes (as channelscope's): 0 measured (a failed measurement is recorded in its result),
1 could not run (a build or a browser that failed), 2 bad input or a request this machine cannot meet
(e.g. --backend gpu without an adapter), refused before anything is measured.`;

const workloadsHelp = () =>
  [
    'Workloads (B networks, N samples, d inputs, r hidden softplus neurons):',
    ...WORKLOADS.map((w) => `  ${w.name.padEnd(10)} B=${w.networks} N=${w.samples} d=${w.inputDim} r=${w.hidden}${w.perNetworkData ? ', a dataset per network' : ''}`),
  ].join('\n');

/**
 * A command with the options both benchmarks take, to which each adds its own. `defaultBackend`:
 * Node's is auto, the browser's gpu (its WebGPU even on a software adapter).
 */
export function benchProgram(name: string, description: string, defaultBackend: Backend): Command {
  return (
    new Command(name)
      .description(description)
      .option('--json', 'print the JSON report on stdout instead of the table')
      .addOption(new Option('--workloads <names>', 'workloads to measure, comma-separated').default(WORKLOADS.map((w) => w.name).join(','), `all, ${WORKLOADS.map((w) => w.name).join(',')}`))
      .addOption(new Option('--ops <names>', 'operations to measure on each workload, comma-separated').default(OPS.join(','), `all, ${OPS.join(',')}`))
      .addOption(new Option('--seconds <seconds>', 'minimum wall time of each measurement, a positive number of seconds').default(String(DEFAULT_SECONDS), String(DEFAULT_SECONDS)))
      .addOption(
        new Option('--backend <backend>', 'auto (a hardware GPU, else the float64 CPU engine), gpu (WebGPU, a software adapter too) or cpu').default(defaultBackend, defaultBackend),
      )
      .option('--scale <factor>', `divide B and N by this whole number, 1 for full size (default: ${SOFTWARE_SCALE} on a software adapter or the CPU engine, else 1)`)
      .option('--strategies <list>', "GPU kernel strategies to choose from per workload by short trials, e.g. tiled/64,register/64 (default: the engine's own)")
      .helpOption('-h, --help', 'print this help and exit')
      .addHelpText('after', `\n${workloadsHelp()}\n\n${OPERATIONS_HELP}\n\n${EXIT_CODES_HELP}`)
      // a stray argument is named in parseCommandLine's own message, which commander's lacks
      .allowExcessArguments(true)
      .exitOverride()
      // parseCommandLine prints commander's errors as one line of its own
      .configureOutput({ outputError: () => {} })
  );
}

/**
 * The options of `args`, or null once --help has been printed. Throws a UsageError on an unknown
 * option, a missing value or a stray argument.
 */
export function parseCommandLine(program: Command, args: string[]): Record<string, unknown> | null {
  try {
    program.parse(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return null;
    // "error: unknown option '--worklods'\n(Did you mean --workloads?)" → one line, without "error:"
    throw new UsageError(error.message.replace(/^error: /, '').replace(/\n\(Did you mean (.*)\)$/, ' (did you mean $1)').replace(/\n/g, ' '));
  }
  if (program.args.length > 0) {
    throw new UsageError(`unexpected argument '${program.args[0]}': every option takes one value, lists are comma-separated (e.g. --ops grad,hvp)`);
  }
  return program.opts();
}

const list = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** Checks and converts the options benchProgram defines; throws a UsageError naming the first bad one. */
export function checkBenchOptions(options: Record<string, unknown>): BenchCommand {
  try {
    const backend = options.backend as string;
    if (!(BACKENDS as readonly string[]).includes(backend)) throw new Error(`--backend must be ${BACKENDS.slice(0, -1).join(', ')} or ${BACKENDS.at(-1)}, not ${backend}`);
    const plan = resolvePlan(list(options.workloads as string), list(options.ops as string));
    const strategies = options.strategies === undefined ? undefined : list(options.strategies as string);
    if (strategies?.length === 0) throw new Error('--strategies names none (e.g. --strategies tiled/64,register/64)');
    strategies?.forEach(parseStrategy);
    return {
      json: Boolean(options.json),
      workloads: plan.workloads.map((w) => w.name),
      ops: plan.ops,
      seconds: checkSeconds(options.seconds as string),
      backend: backend as Backend,
      scale: options.scale === undefined ? undefined : checkScale(options.scale as string, plan.workloads),
      strategies,
    };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The machine the benchmark runs on, for the report (BenchEnvironment.host). */
export function describeHost(): BenchHost {
  const cpus = os.cpus();
  return { os: `${os.type()} ${os.release()} ${os.arch()}`, cpu: cpus[0]?.model.trim() || 'unknown', logicalCores: cpus.length || os.availableParallelism() };
}

/**
 * Runs a benchmark's main: bad input (UsageError, or channelscope's InputError: --backend gpu without
 * an adapter) is one line and exit code 2, any other failure one line and exit code 1; no stack trace
 * either way, the message says what went wrong.
 */
export async function runCommand(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    process.stderr.write(`${name}: ${(error as Error).message}\n`);
    process.exitCode = error instanceof UsageError || error instanceof InputError ? 2 : 1;
  }
}
