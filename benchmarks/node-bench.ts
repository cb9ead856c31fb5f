// Node benchmark on the standard workloads, everything resident on the device, wall time around
// whole submits: gradient evaluations and HVPs per second; optimiser network-steps per second (GD,
// momentum, Adam, SGD batch 16); gradient-flow right-hand-side evaluations per second (Dormand–Prince).
//   npm run bench -- [--json] [--workloads W1,W2] [--ops grad,hvp,gd,adam] [--seconds 1.5] [--backend gpu|cpu]
import { parseArgs } from 'node:util';
import { createEngine, type BackendChoice } from '../src/engine/create.js';
import { GpuEngine } from '../src/engine/gpu/gpu-engine.js';
import type { Engine, EvaluationRequest } from '../src/engine/engine.js';
import { parameterCount, type Architecture } from '../src/model/architecture.js';
import { glorotNormal } from '../src/model/init.js';
import { normalInputs } from '../src/data/inputs.js';
import { RandomStream, STREAMS } from '../src/data/rng.js';
import { WORKLOADS, type Workload } from './workloads.js';
import type { OptimizerConfig } from '../src/optim/optimizers.js';

const EVALUATION_OPS = ['grad', 'hvp'] as const;
const OPTIMIZERS: Record<string, OptimizerConfig> = {
  gd: { kind: 'gd', lr: 0.01 },
  momentum: { kind: 'momentum', lr: 0.01, beta: 0.9 },
  adam: { kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  sgd: { kind: 'sgd', lr: 0.1, batch: 16 },
  flow: { kind: 'flow', solver: 'dopri5', rtol: 1e-3, atol: 1e-6 },
  stiff: { kind: 'flow', solver: 'rosenbrock23', rtol: 1e-3, atol: 1e-6 },
};
const OPS = [...EVALUATION_OPS, ...Object.keys(OPTIMIZERS)];
type Op = string;

interface Result {
  workload: string;
  op: Op;
  /** null when the measurement failed (see error) */
  networkStepsPerSecond: number | null;
  error?: string;
  B: number;
  N: number;
  d: number;
  r: number;
  seconds: number;
  mode: string;
  scaledDown?: string;
}

function request(w: Workload, op: Op): EvaluationRequest {
  const arch: Architecture = { inputDim: w.inputDim, hidden: [w.hidden], activation: 'softplus', biases: true };
  const P = parameterCount(arch);
  const count = w.perNetworkData ? w.networks : 1;
  const x = normalInputs(count * w.samples, w.inputDim, 7);
  // teacher: y = sin(x·u), u a fixed unit vector (the peers use the same)
  const u = Array.from({ length: w.inputDim }, (_, i) => 1 / Math.sqrt(w.inputDim) * (i % 2 === 0 ? 1 : -1));
  const y = new Float64Array(count * w.samples);
  for (let n = 0; n < y.length; n++) {
    let dot = 0;
    for (let i = 0; i < w.inputDim; i++) dot += x[n * w.inputDim + i] * u[i];
    y[n] = Math.sin(dot);
  }
  const params = new Float64Array(w.networks * P);
  for (let n = 0; n < w.networks; n++) params.set(glorotNormal(arch, new RandomStream(7, n, STREAMS.init)), n * P);
  const directions = op === 'hvp' ? new RandomStream(7, 0, STREAMS.direction).fillNormal(new Float64Array(w.networks * P)) : undefined;
  return { arch, data: { inputDim: w.inputDim, samples: w.samples, count, x, y }, params, directions, gradient: true };
}

/** Optimiser steps (flow: right-hand-side evaluations) per second of a whole ensemble. */
async function measureTraining(engine: Engine, w: Workload, op: Op, seconds: number): Promise<Result> {
  const optimizer = OPTIMIZERS[op];
  const req = request(w, 'grad');
  const P = parameterCount(req.arch);
  const perNetworkData = req.data.count > 1;
  const sharedData = perNetworkData ? undefined : req.data;
  const ensemble = await engine.createEnsemble({ arch: req.arch, optimizer, samples: w.samples, slots: w.networks, maxnorm: 1e3, sharedData });
  const base = { workload: w.name, op, B: w.networks, N: w.samples, d: w.inputDim, r: w.hidden };
  try {
    for (let n = 0; n < w.networks; n++) {
      const data = perNetworkData
        ? { ...req.data, count: 1, x: req.data.x.subarray(n * w.samples * w.inputDim, (n + 1) * w.samples * w.inputDim), y: req.data.y.subarray(n * w.samples, (n + 1) * w.samples) }
        : req.data;
      await ensemble.load(n, { params: Float64Array.from(req.params.subarray(n * P, (n + 1) * P)), data, seed: 7, runIndex: n });
    }
    await ensemble.advance(1); // compile and warm up
    // explicit flow: right-hand-side evaluations; stiff flow: steps (Hessian, factorisation, solves); optimisers: steps
    const countsEvaluations = optimizer.kind === 'flow' && optimizer.solver === 'dopri5';
    const count = async () => (await ensemble.status()).reduce((sum, s) => sum + (countsEvaluations ? s.evaluations : s.steps), 0);
    let steps = 2;
    for (;;) {
      const before = await count();
      const start = performance.now();
      await ensemble.advance(steps);
      const elapsed = (performance.now() - start) / 1000;
      const done = (await count()) - before;
      if (elapsed >= seconds || steps >= 1 << 20) {
        const mode = optimizer.kind !== 'flow' ? `${steps} steps, ${perNetworkData ? 'per-network data' : 'shared data'}` : countsEvaluations ? 'rhs evaluations, dopri5 rtol 1e-3' : 'stiff steps, rosenbrock23 rtol 1e-3';
        return { ...base, networkStepsPerSecond: done / elapsed, seconds: elapsed, mode };
      }
      steps = Math.min(1 << 20, Math.max(steps * 2, Math.ceil((steps * seconds * 1.2) / Math.max(elapsed, 1e-4))));
    }
  } finally {
    ensemble.dispose();
  }
}

async function measure(engine: Engine, w: Workload, op: Op, seconds: number): Promise<Result> {
  if (op in OPTIMIZERS) return measureTraining(engine, w, op, seconds);
  const req = request(w, op);
  const base = { workload: w.name, op, B: w.networks, N: w.samples, d: w.inputDim, r: w.hidden };
  if (engine instanceof GpuEngine) {
    const resident = await engine.prepare(req);
    try {
      await resident.run(1); // compile and warm up
      let repeats = 1;
      let elapsed = 0;
      for (;;) {
        const start = performance.now();
        await resident.run(repeats);
        elapsed = (performance.now() - start) / 1000;
        if (elapsed >= seconds || repeats >= 1 << 16) break;
        repeats = Math.min(1 << 16, Math.max(repeats * 2, Math.ceil((repeats * seconds * 1.2) / Math.max(elapsed, 1e-4))));
      }
      return { ...base, networkStepsPerSecond: (w.networks * repeats) / elapsed, seconds: elapsed, mode: 'resident buffers, one submit' };
    } finally {
      resident.destroy();
    }
  }
  let calls = 0;
  const start = performance.now();
  do {
    await engine.evaluate(req);
    calls++;
  } while ((performance.now() - start) / 1000 < seconds);
  const elapsed = (performance.now() - start) / 1000;
  return { ...base, networkStepsPerSecond: (w.networks * calls) / elapsed, seconds: elapsed, mode: 'cpu float64' };
}

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
  const { engine, notice } = await createEngine(values.backend as BackendChoice);
  if (notice) process.stderr.write(`${notice}\n`);
  const software = engine instanceof GpuEngine ? engine.gpu.software : true;
  // SwiftShader and the CPU engine are ~10⁴× slower than a real GPU: shrink so a run takes seconds
  const scale = Number(values.scale ?? (software ? 64 : 1));
  const results: Result[] = [];
  try {
    for (const name of values.workloads.split(',')) {
      const full = WORKLOADS.find((w) => w.name === name);
      if (!full) throw new Error(`unknown workload ${name}; known: ${WORKLOADS.map((w) => w.name).join(', ')}`);
      const w = scale > 1 ? { ...full, networks: Math.max(1, Math.round(full.networks / scale)), samples: Math.max(16, Math.round(full.samples / scale)) } : full;
      for (const op of values.ops.split(',') as Op[]) {
        if (!OPS.includes(op)) throw new Error(`unknown op ${op}; known: ${OPS.join(', ')}`);
        let result: Result;
        try {
          result = await measure(engine, w, op, Number(values.seconds));
        } catch (error) {
          // e.g. the stiff solver's per-network P×P matrices exceed the device's buffer limits on W2
          result = { workload: w.name, op, B: w.networks, N: w.samples, d: w.inputDim, r: w.hidden, networkStepsPerSecond: null, seconds: 0, mode: 'failed', error: (error as Error).message };
        }
        if (scale > 1) result.scaledDown = `B and N divided by ${scale} (software adapter)`;
        results.push(result);
        if (!values.json) {
          const figure = result.networkStepsPerSecond === null ? `failed: ${result.error}` : `${result.networkStepsPerSecond.toPrecision(4).padStart(10)} network-steps/s`;
          process.stdout.write(`${w.name.padEnd(10)} ${op.padEnd(8)} ${figure}  (B=${w.networks} N=${w.samples} d=${w.inputDim} r=${w.hidden})\n`);
        }
      }
    }
  } finally {
    engine.dispose();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ framework: 'channelscope', backend: engine.backend, device: engine.description, date: new Date().toISOString(), results }, null, 2)}\n`);
  }
}

await main();
