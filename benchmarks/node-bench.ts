// Node benchmark on the standard workloads (the measuring core is bench-core.ts, shared with the
// browser benchmark): gradient evaluations and HVPs per second, optimiser network-steps per second,
// gradient-flow right-hand-side evaluations per second.
//   npm run bench -- [--json] [--workloads W1,W2] [--ops grad,hvp,gd,adam] [--seconds 1.5] [--backend auto|gpu|cpu] [--scale 64]
//                    [--strategies tiled/64,register/64,…]   (per workload the faster kernel strategy, src/engine/gpu/kernel-strategy.ts)
//                    [--report FILE]   (the JSON report, rewritten after every measurement: a run cut short keeps what it measured)
//   npm run bench -- --help   (every option, its meaning and default)
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { currentSoftware, softwareLabel } from '../src/experiment/software.js';
import { createEngine } from '../src/engine/create.js';
import {
  benchmarkReport,
  describeEnvironment,
  formatHeader,
  formatResult,
  resolvePlan,
  runBenchmark,
  runScaling,
  type BenchRequest,
  type BenchResult,
} from './bench-core.js';
import { benchProgram, checkBenchOptions, describeHost, parseCommandLine, runCommand, UsageError } from './bench-command.js';

/** --report's folder must exist and be writable: found out now, not after the first measurement. */
function checkReportFile(file: string): void {
  const folder = path.dirname(path.resolve(file));
  try {
    if (!statSync(folder).isDirectory()) throw new UsageError(`--report: ${folder} is not a folder`);
    accessSync(folder, constants.W_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--report: ${code === 'ENOENT' ? `no folder ${folder}` : `cannot write into ${folder} (${code})`}`);
  }
}

async function main() {
  const program = benchProgram('npm run bench --', 'Throughput of channelscope on the standard workloads, in Node (WebGPU through Dawn, or the CPU engine).', 'auto').option(
    '--report <file>',
    'also write the JSON report to this file, rewritten after every measurement so that a run cut short keeps what it measured',
  );
  const parsed = parseCommandLine(program, process.argv.slice(2));
  if (!parsed) return; // --help
  const options = checkBenchOptions(parsed);
  const reportFile = parsed.report as string | undefined;
  if (reportFile !== undefined) checkReportFile(reportFile);

  const { engine, notice } = await createEngine(options.backend);
  if (notice) process.stderr.write(`${notice}\n`);
  if (options.strategies && engine.backend !== 'gpu') process.stderr.write('--strategies ignored: they choose among GPU kernels\n');
  const requested: BenchRequest = { seconds: options.seconds, scale: options.scale ?? null, strategies: options.strategies ?? null };
  const environment = describeEnvironment(engine, 'node', `node ${process.version}`, softwareLabel(currentSoftware()), describeHost());
  const trials: BenchResult[] = [];
  const measured: BenchResult[] = [];
  const save = () => {
    if (reportFile) writeFileSync(reportFile, `${JSON.stringify(benchmarkReport(engine, requested, environment, measured, trials), null, 2)}\n`);
  };
  const print = (line: string) => {
    if (!options.json) process.stdout.write(`${line}\n`);
  };
  let results: BenchResult[];
  try {
    formatHeader(environment, engine, runScaling(resolvePlan(options.workloads).workloads, environment.adapter, options.scale)).forEach(print);
    results = await runBenchmark(engine, {
      strategies: options.strategies,
      onTrial: (trial) => {
        trials.push(trial);
        save();
        print(`  trial ${formatResult(trial)}`);
      },
      workloads: options.workloads,
      ops: options.ops,
      seconds: options.seconds,
      scale: options.scale,
      onResult: (result) => {
        measured.push(result);
        save();
        print(formatResult(result));
      },
    });
  } finally {
    engine.dispose();
  }
  if (options.json) process.stdout.write(`${JSON.stringify(benchmarkReport(engine, requested, environment, results, trials), null, 2)}\n`);
}

await runCommand('bench', main);
