// The float64 flow sweep's runs that stopped as step-size-collapse, restarted from where they stopped
// (same network, data and solver, a fresh step size) under the scheduler's current stop rules, and
// classified: benchmarks/results/step-size-collapse-2026-12-06.md.
//   npx tsx benchmarks/resume-stopped-flows.ts [RESULTS_DIR…]
import { readFileSync } from 'node:fs';
import { CpuEngine } from '../src/engine/cpu/cpu-engine.js';
import { datasetFor } from '../src/experiment/grid.js';
import type { RunRecord } from '../src/experiment/results.js';
import { runSweep } from '../src/experiment/scheduler.js';
import { parseConfig } from '../src/experiment/spec.js';
import { classifyRecord } from '../src/experiment/summary.js';
import { parseParameterFile } from '../src/model/params-file.js';

const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['benchmarks/results/flow-cpu-subset', 'benchmarks/results/flow-cpu-rest'];
const records: RunRecord[] = dirs.flatMap((dir) => readFileSync(`${dir}/runs.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as RunRecord));
const stopped = records.filter((record) => record.stopReason === 'step-size-collapse');
console.log(`${stopped.length} runs stopped by step-size-collapse`);
for (const record of stopped) {
  const config = parseConfig(record.config, record.id);
  const theta = parseParameterFile(JSON.stringify(record.params), record.id).theta;
  const data = datasetFor(config, record.seed);
  const run = { id: record.id, configIndex: 0, seed: record.seed, config: { ...config, stop: { ...config.stop, maxSteps: 20_000 } } };
  const started = performance.now();
  await runSweep([run], {
    engine: new CpuEngine(),
    slots: 1,
    samples: () => data.samples,
    prepare: () => ({ params: theta, data }),
    onRecord: (resumed: RunRecord) => {
      const verdict = classifyRecord(resumed);
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      console.log(
        `${record.id}: stopped at wn ${record.weightNorm.toFixed(0)}, t ${record.time.toExponential(1)} (${classifyRecord(record).outcome}); resumed: ${resumed.stopReason} after ${resumed.steps} steps, wn ${resumed.weightNorm.toFixed(1)} → ${verdict.outcome}${verdict.cause ? ` (${verdict.cause})` : ''}, ${seconds} s`,
      );
    },
  });
}
