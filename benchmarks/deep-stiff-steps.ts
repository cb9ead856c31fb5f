// Stiff gradient-flow steps per second of deep networks on the GPU engine: the channel-frequency
// preset's [4, 4] and [4, 4, 4] students (softplus, biases, standardised Rosenbrock teacher, d = 2 and
// 16), ROS34PW2 at the paper's tolerances, one dataset per slot. Deep softplus and erf networks run
// in double-float (mlp_double_float.wgsl), where a step's cost is mostly the Hessian: P R-operator
// columns over the samples. Each ensemble first advances a few steps (compilation, first step
// sizes), then `--steps` more are timed; the accepted-step count comes from the slots' status.
//
//   npx tsx benchmarks/deep-stiff-steps.ts [--samples 1024] [--slots 4] [--steps 10] [--json FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEngine } from '../src/engine/create.js';
import { GpuEngine } from '../src/engine/gpu/gpu-engine.js';
import { describeGpu } from '../src/gpu/device.js';
import { rosenbrockDataset } from '../src/data/inputs.js';
import { RandomStream, STREAMS } from '../src/data/rng.js';
import { glorotNormal } from '../src/model/init.js';
import { parameterCount, type Architecture } from '../src/model/architecture.js';

const { values } = parseArgs({
  options: { samples: { type: 'string', default: '1024' }, slots: { type: 'string', default: '4' }, steps: { type: 'string', default: '10' }, json: { type: 'string' } },
});
const samples = Number(values.samples);
const slots = Number(values.slots);
const steps = Number(values.steps);
if (![samples, slots, steps].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('usage: npx tsx benchmarks/deep-stiff-steps.ts [--samples N] [--slots S] [--steps K] [--json FILE]');
  process.exit(2);
}
const { engine } = await createEngine('gpu');
if (!(engine instanceof GpuEngine)) {
  console.error('no WebGPU adapter');
  process.exit(2);
}

const shapes: Architecture[] = [
  { inputDim: 2, hidden: [4, 4], activation: 'softplus', biases: true },
  { inputDim: 16, hidden: [4, 4, 4], activation: 'softplus', biases: true },
];
const rows = [];
for (const arch of shapes) {
  const ensemble = await engine.createEnsemble({ arch, optimizer: { kind: 'flow', solver: 'ros34pw2', rtol: 1e-3, atol: 1e-6 }, samples, slots, maxnorm: 1e3 });
  try {
    for (let s = 0; s < slots; s++) {
      await ensemble.load(s, { params: glorotNormal(arch, new RandomStream(1, s, STREAMS.init)), data: rosenbrockDataset(samples, arch.inputDim, 100 + s), seed: 1, runIndex: s });
    }
    await ensemble.advance(3);
    const before = (await ensemble.status()).reduce((sum, s) => sum + s.steps, 0);
    const start = performance.now();
    await ensemble.advance(steps);
    const after = await ensemble.status();
    const seconds = (performance.now() - start) / 1000;
    const accepted = after.reduce((sum, s) => sum + s.steps, 0) - before;
    const row = {
      network: `d=${arch.inputDim} [${arch.hidden.join(', ')}]`, P: parameterCount(arch), arithmetic: ensemble.arithmetic, samples, slots,
      acceptedSteps: accepted, seconds: Number(seconds.toFixed(3)), networkStepsPerSecond: Number((accepted / seconds).toPrecision(4)),
    };
    rows.push(row);
    console.log(`${row.network} (P = ${row.P}, ${row.arithmetic}), N = ${samples}, ${slots} slots: ${accepted} steps in ${row.seconds} s, ${row.networkStepsPerSecond} network-steps/s`);
  } finally {
    ensemble.dispose();
  }
}
const result = { device: describeGpu(engine.gpu), when: new Date().toISOString(), rows };
if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 1) + '\n');
else console.log(JSON.stringify(result));
engine.dispose();
