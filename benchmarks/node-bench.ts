// Node benchmark on the standard workloads (the measuring core is bench-core.ts, shared with the
// browser benchmark): gradient evaluations and HVPs per second, optimiser network-steps per second,
// gradient-flow right-hand-side evaluations per second.
//   npm run bench -- [--json] [--workloads W1,W2] [--ops grad,hvp,gd,adam] [--seconds 1.5] [--backend auto|gpu|cpu] [--scale 64]
//                    [--strategies tiled/64,register/64,…]   (per workload the faster kernel strategy, src/engine/gpu/kernel-strategy.ts)
//                    [--report FILE]   (the JSON report, rewritten after every measurement: a run cut short keeps what it measured)
import { currentSoftware, softwareLabel } from '../src/experiment/software.js';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEngine, type BackendChoice } from '../src/engine/create.js';
import { parseStrategy } from '../src/engine/gpu/kernel-strategy.js';
import { benchCommandOptions, benchmarkReport, describeEnvironment, formatResult, resolvePlan, runBenchmark, type BenchResult } from './bench-core.js';

async function main() {
  const { values } = parseArgs({
    options: { ...benchCommandOptions('auto'), report: { type: 'string' } },
  });
  // names and strategies are checked before a device is acquired: a typo fails at once, exit code 2
  let plan: ReturnType<typeof resolvePlan>;
  try {
    plan = resolvePlan(values.workloads.split(','), values.ops.split(','));
    values.strategies?.split(',').forEach(parseStrategy);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const { engine, notice } = await createEngine(values.backend as BackendChoice);
  if (notice) process.stderr.write(`${notice}\n`);
  if (values.strategies && engine.backend !== 'gpu') process.stderr.write('--strategies ignored: they choose among GPU kernels\n');
  let report;
  const trials: BenchResult[] = [];
  const measured: BenchResult[] = [];
  const environment = describeEnvironment(engine, 'node', `node ${process.version}`, softwareLabel(currentSoftware()));
  const save = () => {
    if (values.report) writeFileSync(values.report, `${JSON.stringify(benchmarkReport(engine, environment, measured, trials), null, 2)}\n`);
  };
  try {
    const results = await runBenchmark(engine, {
      strategies: values.strategies?.split(','),
      onTrial: (trial) => {
        trials.push(trial);
        save();
        if (!values.json) process.stdout.write(`  trial ${formatResult(trial)}\n`);
      },
      workloads: plan.workloads.map((w) => w.name),
      ops: plan.ops,
      seconds: Number(values.seconds),
      scale: values.scale === undefined ? undefined : Number(values.scale),
      onResult: (result) => {
        measured.push(result);
        save();
        if (!values.json) process.stdout.write(`${formatResult(result)}\n`);
      },
    });
    report = benchmarkReport(engine, environment, results, trials);
  } finally {
    engine.dispose();
  }
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
