// Stiff gradient-flow steps per second on the GPU engine, for the channel-frequency preset's students
// (softplus, biases, standardised Rosenbrock teacher), ROS34PW2 at the paper's tolerances, one dataset
// per slot. By default its deep ones, [4, 4] at d = 2 and [4, 4, 4] at d = 16, which run in
// double-float (mlp_double_float.wgsl), where a step's cost is mostly the Hessian: P R-operator
// columns over the samples; --shapes picks others (d:hidden, e.g. 2:4,16:16,2:4x4), one hidden layer
// being the closed-form Hessian in group coordinates. Each ensemble first advances a few steps
// (compilation, first step sizes), then `--steps` more are timed; the accepted-step count comes from
// the slots' status.
// --strategies times each listed kernel strategy (kernel-strategy.ts parseStrategy, e.g.
// tiled/64,tiled/256: one workgroup per slot, so a small ensemble leaves most of a large GPU idle
// unless its workgroups are wide); --float32 adds the float32 kernel (GpuEngine.withoutDoubleFloat),
// which cannot follow a deep channel, as the cost double-float is measured against; --hessian-in-kernel
// adds the Hessian assembled by each network's own workgroup inside the step kernel instead of in
// dispatches of its own across the GPU (StiffPrecision.hessianDispatches); --mixed adds the mixed
// kernel of the channel-frequency preset's ensembles (activations.wgsl MIXED_ACTIVATIONS: softplus,
// erf and relu slots in turn, each reading its activation), whose cost against softplus alone is what
// sharing dispatches across activations pays; --explicit adds, at the smallest slot count only (a
// group's tail), the explicit dopri5 kernel of each shape, whose steps are gradient passes alone and
// whose workgroups are not held down by the closed-form Hessian's rows (its threads can be 2–4× the
// stiff kernel's, benchmarks/results/device-limits-2026-12-05.md): its ms per evaluation at 64 and
// 256 threads says whether a tail's gradient passes get faster with more threads per network.
//
//   npx tsx benchmarks/stiff-steps.ts [--samples 1024] [--slots 4[,S…]] [--steps 10] [--shapes d:h,…] [--strategies S,…] [--float32] [--hessian-in-kernel] [--mixed] [--explicit] [--json FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEngine } from '../src/engine/create.js';
import { GpuEngine } from '../src/engine/gpu/gpu-engine.js';
import { describeGpu } from '../src/gpu/device.js';
import { formatStrategy, parseStrategy } from '../src/engine/gpu/kernel-strategy.js';
import { planFlowKernel, planStiffFlowKernel } from '../src/engine/gpu/mlp-kernels.js';
import { rosenbrockDataset } from '../src/data/inputs.js';
import { RandomStream, STREAMS } from '../src/numerics/rng.js';
import { glorotNormal } from '../src/model/init.js';
import { parameterCount, type Activation, type Architecture } from '../src/model/architecture.js';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '1024' },
    slots: { type: 'string', default: '4' },
    steps: { type: 'string', default: '10' },
    shapes: { type: 'string', default: '2:4x4,16:4x4x4' },
    strategies: { type: 'string' },
    float32: { type: 'boolean' },
    'hessian-in-kernel': { type: 'boolean' },
    mixed: { type: 'boolean' },
    explicit: { type: 'boolean' },
    json: { type: 'string' },
  },
});
const samples = Number(values.samples);
// several counts ("8,750"): each is a run of every shape and variant, in the order given (a group's
// tail, a few networks, against a full group)
const slotCounts = values.slots.split(',').map(Number);
const steps = Number(values.steps);
if (![samples, ...slotCounts, steps].every((n) => Number.isInteger(n) && n > 0)) {
  usage();
}
const shapes: Architecture[] = values.shapes.split(',').map((shape) => {
  const [d, hidden] = shape.split(':');
  const widths = (hidden ?? '').split('x').map(Number);
  if (!Number.isInteger(Number(d)) || Number(d) < 1 || !widths.every((w) => Number.isInteger(w) && w > 0)) usage(`--shapes: "${shape}" is not d:hidden (e.g. 16:16 or 2:4x4)`);
  return { inputDim: Number(d), hidden: widths, activation: 'softplus', biases: true };
});

function usage(problem?: string): never {
  if (problem) console.error(problem);
  console.error('usage: npx tsx benchmarks/stiff-steps.ts [--samples N] [--slots S[,S…]] [--steps K] [--shapes d:h,…] [--strategies S,…] [--float32] [--hessian-in-kernel] [--mixed] [--explicit] [--json FILE]');
  process.exit(2);
}
const { engine } = await createEngine('gpu');
if (!(engine instanceof GpuEngine)) {
  console.error('no WebGPU adapter');
  process.exit(2);
}

/** the channel-frequency preset's activations, in one mixed kernel with --mixed */
const MIXED: Activation[] = ['softplus', 'erf', 'relu'];
const strategies = values.strategies ? values.strategies.split(',').map(parseStrategy) : [null];
const engines = strategies.flatMap((strategy) => {
  const tuned = strategy ? engine.withTuning(strategy) : engine;
  const label = strategy ? formatStrategy(strategy) : 'default';
  const inKernel = tuned.withHessianDispatches(false);
  const dispatches = tuned.withHessianDispatches(true);
  return [
    // the Hessian in its own dispatches whatever the device's default (defaultStiffPrecision)
    { engine: dispatches, label: `${label}, Hessian in its own dispatches` },
    ...(values.mixed ? [{ engine: dispatches, label: `${label}, Hessian in its own dispatches, mixed ${MIXED.join('/')}`, activations: MIXED }] : []),
    ...(values['hessian-in-kernel'] ? [{ engine: inKernel, label: `${label}, Hessian in the step kernel` }] : []),
    // (one hidden layer is float32 anyway)
    ...(values.float32 ? [{ engine: tuned.withoutDoubleFloat(), label, deepOnly: true }] : []),
    ...(values.explicit ? [{ engine: tuned, label: `${label}, explicit dopri5 (gradient passes alone)`, explicit: true }] : []),
  ];
});
const result = { device: describeGpu(engine.gpu), when: new Date().toISOString(), rows: [] as object[] };
// (the file is rewritten after every row: a run cut short by a time limit keeps its rows)
const save = () => values.json && writeFileSync(values.json, JSON.stringify(result, null, 1) + '\n');
const stiffFlow = { kind: 'flow', solver: 'ros34pw2', rtol: 1e-3, atol: 1e-6 } as const;
const explicitFlow = { kind: 'flow', solver: 'dopri5', rtol: 1e-3, atol: 1e-6 } as const;
const tailSlots = Math.min(...slotCounts);
for (const requestedSlots of slotCounts) for (const arch of shapes) {
  for (const variant of engines) {
    if ('deepOnly' in variant && arch.hidden.length < 2) continue;
    const explicit = 'explicit' in variant;
    if (explicit && requestedSlots !== tailSlots) continue;
    const optimizer = explicit ? explicitFlow : stiffFlow;
    const network = `d=${arch.inputDim} [${arch.hidden.join(', ')}]`;
    try {
      // the threads a workgroup really gets (the plan lowers the tile when workgroup memory is short)
      const plan = explicit
        ? planFlowKernel(arch, engine.gpu.limits, variant.engine.tuning)
        : planStiffFlowKernel(arch, engine.gpu.limits, stiffFlow.solver, variant.engine.tuning, variant.engine.precision);
      const activations = 'activations' in variant ? variant.activations : undefined;
      const options = { arch, optimizer, samples, maxnorm: 1e3, ...(activations ? { activations } : {}) };
      // as the scheduler does: no more slots than the device's bindings hold
      const slots = Math.min(requestedSlots, variant.engine.maxSlots(options));
      const ensemble = await variant.engine.createEnsemble({ ...options, slots });
      try {
        for (let s = 0; s < slots; s++) {
          const activation = activations ? activations[s % activations.length] : arch.activation;
          await ensemble.load(s, { params: glorotNormal(arch, new RandomStream(1, s, STREAMS.init)), data: rosenbrockDataset(samples, arch.inputDim, 100 + s), seed: 1, runIndex: s, activation });
        }
        await ensemble.advance(3);
        const total = (statuses: { steps: number; evaluations: number }[], key: 'steps' | 'evaluations') => statuses.reduce((sum, s) => sum + s[key], 0);
        const before = await ensemble.status();
        const start = performance.now();
        await ensemble.advance(steps);
        const after = await ensemble.status();
        const seconds = (performance.now() - start) / 1000;
        const accepted = total(after, 'steps') - total(before, 'steps');
        const evaluations = total(after, 'evaluations') - total(before, 'evaluations');
        const row = {
          network, P: parameterCount(arch), arithmetic: ensemble.arithmetic, strategy: variant.label, threads: plan.tile, samples, slots,
          acceptedSteps: accepted, seconds: Number(seconds.toFixed(3)), networkStepsPerSecond: Number((accepted / seconds).toPrecision(4)),
          // the ensemble's time per step (each slot one step): what a group's tail costs per step
          msPerStep: Number(((1000 * seconds * slots) / accepted).toPrecision(4)),
          // explicit: the ensemble's time per right-hand-side evaluation (a gradient pass)
          ...(explicit ? { msPerEvaluation: Number(((1000 * seconds * slots) / evaluations).toPrecision(4)) } : {}),
        };
        result.rows.push(row);
        console.log(`${network} (P = ${row.P}, ${row.arithmetic}, ${row.strategy}, ${row.threads} threads), N = ${samples}, ${slots} slots: ${accepted} steps in ${row.seconds} s, ${row.networkStepsPerSecond} network-steps/s, ${row.msPerStep} ms per step${explicit ? `, ${row.msPerEvaluation} ms per evaluation` : ''}`);
      } finally {
        ensemble.dispose();
      }
    } catch (error) {
      result.rows.push({ network, strategy: variant.label, error: String(error) });
      console.log(`${network} (${variant.label}): ${String(error)}`);
    }
    save();
  }
}
if (!values.json) console.log(JSON.stringify(result));
engine.dispose();
