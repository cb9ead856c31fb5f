// Node benchmark on the standard workloads (the measuring core is bench-core.ts, shared with the
// browser benchmark): gradient evaluations and HVPs per second, optimiser network-steps per second,
// gradient-flow right-hand-side evaluations per second.
//   npm run bench -- [--json] [--workloads W1,W2] [--ops grad,hvp,gd,adam] [--seconds 1.5] [--backend auto|gpu|cpu] [--scale 64]
import { parseArgs } from 'node:util';
import { createEngine, type BackendChoice } from '../src/engine/create.js';
import { benchmarkReport, describeEnvironment, formatResult, OPS, resolvePlan, runBenchmark } from './bench-core.js';
import { WORKLOADS } from './workloads.js';

async function main() {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      workloads: { type: 'string', default: WORKLOADS.map((w) => w.name).join(',') },
      ops: { type: 'string', default: OPS.join(',') },
      seconds: { type: 'string', default: '1.5' },
      backend: { type: 'string', default: 'auto' },
      scale: { type: 'string', description: 'divide B and N by this factor (auto on software adapters)' },
    },
  });
  const plan = resolvePlan(values.workloads.split(','), values.ops.split(','));
  const { engine, notice } = await createEngine(values.backend as BackendChoice);
  if (notice) process.stderr.write(`${notice}\n`);
  let report;
  try {
    const results = await runBenchmark(engine, {
      workloads: plan.workloads.map((w) => w.name),
      ops: plan.ops,
      seconds: Number(values.seconds),
      scale: values.scale === undefined ? undefined : Number(values.scale),
      onResult: (result) => {
        if (!values.json) process.stdout.write(`${formatResult(result)}\n`);
      },
    });
    report = benchmarkReport(engine, describeEnvironment(engine, 'node', `node ${process.version}`), results);
  } finally {
    engine.dispose();
  }
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
