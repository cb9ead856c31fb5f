// Stiff gradient flow of records' runs from their start to the norm barrier on the GPU engine, with
// and (unless --grouped-only) without what keeps float32 in a channel: group coordinates for one
// hidden layer (GpuEngine.withoutGroupCoordinates), double-float for deeper softplus networks
// (GpuEngine.withoutDoubleFloat). Accepted steps, weight norm and wall time per run, against the
// record's own step count (benchmarks/results/pair-coordinates-…, deep-float32-…). One slot per run,
// 100 steps per dispatch, at most --max-steps steps. --hidden R picks the records whose first hidden
// layer has R neurons. --from-step K starts the GPU where the float64 CPU flow is after K accepted
// steps (the same solver and tolerances), to time the part of a run inside its channel.
// --hessian-dispatches puts the stiff Hessian in dispatches of its own (then one step per dispatch)
// whatever the device's default (off on SwiftShader).
//
//   npx tsx benchmarks/pair-flow-gpu.ts RUNS.jsonl SEED[,SEED…] --hidden R [--max-steps 6000] [--from-step K] [--grouped-only] [--hessian-dispatches]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEngine } from '../src/engine/create.js';
import { GpuEngine } from '../src/engine/gpu/gpu-engine.js';
import { datasetFor } from '../src/experiment/grid.js';
import { isAtBarrier } from '../src/analysis/classify.js';
import { parseParameterFile } from '../src/model/params-file.js';
import { networkFlowField } from '../src/engine/cpu/flow-field.js';
import { integrateRosenbrock } from '../src/optim/stiff-solvers.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { hidden: { type: 'string' }, 'max-steps': { type: 'string', default: '6000' }, 'from-step': { type: 'string', default: '0' }, 'grouped-only': { type: 'boolean' }, 'hessian-dispatches': { type: 'boolean' } },
});
const [file, seedsText] = positionals;
const maxSteps = Number(values['max-steps']);
const fromStep = Number(values['from-step']);
if (!file || !seedsText || values.hidden === undefined || !(maxSteps > 0) || !(Number.isInteger(fromStep) && fromStep >= 0)) {
  console.error('usage: npx tsx benchmarks/pair-flow-gpu.ts RUNS.jsonl SEED[,SEED…] --hidden R [--max-steps N] [--from-step K] [--grouped-only] [--hessian-dispatches]');
  process.exit(2);
}
const records = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
const { engine: found } = await createEngine('gpu');
if (!(found instanceof GpuEngine)) {
  console.error('no WebGPU adapter');
  process.exit(2);
}
const engine = values['hessian-dispatches'] ? found.withHessianDispatches(true) : found;
const deep = records.some((r) => Array.isArray(r.config.architecture.hidden) && r.config.architecture.hidden.length > 1);
const variants = values['grouped-only'] ? [engine] : [engine, deep ? engine.withoutDoubleFloat() : engine.withoutGroupCoordinates()];
const [full, plain] = deep ? ['GPU, double-float', 'GPU, float32'] : ['GPU, group coordinates', 'GPU, network coordinates'];
console.log(`| r | seed | record's steps | ${full} |${values['grouped-only'] ? '' : ` ${plain} |`}\n| --- | --- | --- | --- |${values['grouped-only'] ? '' : ' --- |'}`);
for (const seed of seedsText.split(',').map(Number)) {
  const record = records.find((r) => r.seed === seed && [r.config.architecture.hidden].flat()[0] === Number(values.hidden));
  if (!record) {
    console.error(`${file} has no run with seed ${seed} and ${values.hidden} hidden neurons`);
    process.exit(2);
  }
  const { arch, theta: start } = parseParameterFile(JSON.stringify(record.params0));
  const data = datasetFor(record.config, seed);
  const maxnorm = record.config.maxnorm ?? 1000;
  const { solver, rtol, atol } = record.config.optimizer;
  // the float64 flow's θ after fromStep accepted steps (or the start itself)
  const theta = fromStep > 0 ? integrateRosenbrock(networkFlowField(arch, data, { maxnorm }), start, { rtol, atol, method: solver, maxSteps: fromStep }).theta : start;
  const cells: string[] = [];
  for (const variant of variants) {
    const start = Date.now();
    const ensemble = await variant.createEnsemble({ arch, optimizer: record.config.optimizer, samples: data.samples, slots: 1, maxnorm });
    try {
      await ensemble.load(0, { params: theta, data, seed, runIndex: 0 });
      let status = (await ensemble.status())[0];
      while (status.steps < maxSteps && status.finite && !isAtBarrier(status.weightNorm, maxnorm)) {
        await ensemble.advance(Math.min(100, maxSteps - status.steps));
        status = (await ensemble.status())[0];
      }
      const where = isAtBarrier(status.weightNorm, maxnorm) ? 'at the barrier' : `weight norm ${status.weightNorm.toFixed(0)}`;
      cells.push(`${status.steps}, ${where}, ${((Date.now() - start) / 1000).toFixed(0)} s`);
    } finally {
      ensemble.dispose();
    }
  }
  console.log(`| ${values.hidden} | ${seed} | ${record.steps}${fromStep > 0 ? ` (GPU from step ${fromStep}: ${record.steps - fromStep} to go)` : ''} | ${cells.join(' | ')} |`);
}
engine.dispose();
