// Which float32 error slows stiff gradient flow on the GPU, and which solver copes: one run of a
// records file (its spec's network, data and start) integrated to the norm barrier on the float64
// CPU engine with float32 errors put back one at a time:
//   float64                  the CPU engine as it is
//   θ in float32             every point the field sees rounded to float32 (the GPU stores θ so)
//   float32 gradient         the gradient in emulated float32 arithmetic (every operation rounded as the
//                            kernel's order of operations; sums over samples exact, as its Kahan sums nearly are)
//   + float32 Hessian        and the Hessian with rounding-sized errors: each entry plus a uniform
//                            ±√3·u·√(H_pp·H_qq), u = 2⁻²⁴ (what float32 products of the Jacobian's
//                            entries leave; deterministic per seed)
// for Rodas4 and ROS34PW2 at the paper's tolerances (rtol 1e-3, atol 1e-6), reporting accepted steps
// and rejections to the barrier (or the step cap). One hidden layer, softplus, biases (the flow sweep's
// networks).
//
//   npx tsx benchmarks/float32-flow.ts RUNS.jsonl SEED [--max-steps 40000]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Dataset } from '../src/data/dataset.js';
import { RandomStream } from '../src/data/rng.js';
import { networkFlowField } from '../src/engine/cpu/flow-field.js';
import { datasetFor } from '../src/experiment/grid.js';
import { weightNorm } from '../src/model/architecture.js';
import { parseParameterFile } from '../src/model/params-file.js';
import { integrateRosenbrock, type StiffSolver, type StiffVectorField } from '../src/optim/rosenbrock.js';

const UNIT_ROUNDOFF = 2 ** -24;
const f32 = Math.fround;

/** The GPU kernel's gradient of L + R for one softplus hidden layer with biases, in emulated float32. */
function float32Field(inputDim: number, width: number, data: Dataset, maxnorm: number): (theta: Float64Array, out: Float64Array) => void {
  const d = inputDim;
  const r = width;
  const xs = Float64Array.from(data.x, f32);
  const ys = Float64Array.from(data.y, f32);
  const P = r * d + 2 * r + 1;
  const A = r * d + r; // output weights
  const C = A + r; // output bias
  const activation = new Float64Array(r);
  const slope = new Float64Array(r);
  return (theta64, out) => {
    const th = Float64Array.from(theta64, f32);
    const g = new Float64Array(P);
    const inverseCount = f32(1 / data.samples);
    for (let n = 0; n < data.samples; n++) {
      let f = th[C];
      for (let j = 0; j < r; j++) {
        let z = th[r * d + j];
        for (let k = 0; k < d; k++) z = f32(z + f32(th[j * d + k] * xs[n * d + k]));
        activation[j] = f32(Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))));
        slope[j] = f32(1 / (1 + Math.exp(-z)));
        f = f32(f + f32(th[A + j] * activation[j]));
      }
      const delta = f32(f32(2 * f32(f - ys[n])) * inverseCount);
      g[C] += delta;
      for (let j = 0; j < r; j++) {
        g[A + j] += f32(delta * activation[j]);
        const dz = f32(f32(delta * th[A + j]) * slope[j]);
        g[r * d + j] += dz;
        for (let k = 0; k < d; k++) g[j * d + k] += f32(dz * xs[n * d + k]);
      }
    }
    let squares = 0;
    for (const v of th) squares += f32(v * v);
    const excess = Math.max(f32(squares / (2 * P)) - maxnorm, 0);
    const barrierSlope = f32((excess * excess) / P);
    for (let p = 0; p < P; p++) out[p] = -f32(f32(g[p]) + f32(barrierSlope * th[p]));
  };
}

type Variant = 'float64' | 'θ in float32' | 'float32 gradient' | '+ float32 Hessian';

function variantField(variant: Variant, exact: StiffVectorField, gradient32: (t: Float64Array, o: Float64Array) => void, seed: number): StiffVectorField {
  const round = variant === 'float64' ? (v: Float64Array) => v : (v: Float64Array) => Float64Array.from(v, f32);
  const noise = new RandomStream(seed, 0, 99);
  return {
    f: variant === 'float64' || variant === 'θ in float32' ? (t, out) => exact.f(round(t), out) : gradient32,
    hessian: (t, out) => {
      exact.hessian(round(t), out);
      if (variant !== '+ float32 Hessian') return;
      const P = t.length;
      for (let i = 0; i < P; i++) {
        for (let j = 0; j <= i; j++) {
          const e = Math.sqrt(3) * UNIT_ROUNDOFF * Math.sqrt(Math.abs(out[i * P + i] * out[j * P + j])) * noise.uniformIn(-1, 1);
          out[i * P + j] += e;
          if (i !== j) out[j * P + i] += e;
        }
      }
    },
    hessianCost: exact.hessianCost,
  };
}

/** Accepted steps to the barrier (integrateRosenbrock: the ensemble's controller and shrink rules). */
function stepsToBarrier(field: StiffVectorField, solver: StiffSolver, start: Float64Array, maxnorm: number, maxSteps: number) {
  const run = integrateRosenbrock(field, start, { rtol: 1e-3, atol: 1e-6, method: solver, maxSteps, stop: (theta) => weightNorm(theta) >= maxnorm });
  return { steps: run.steps, rejected: run.rejected + run.factorizationFailures, t: run.t, weightNorm: weightNorm(run.theta) };
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { 'max-steps': { type: 'string', default: '40000' } } });
const [file, seedText] = positionals;
if (!file || seedText === undefined) {
  console.error('usage: npx tsx benchmarks/float32-flow.ts RUNS.jsonl SEED [--max-steps N]');
  process.exit(2);
}
const record = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line)).find((r) => r.seed === Number(seedText));
if (!record) {
  console.error(`${file} has no run with seed ${seedText}`);
  process.exit(2);
}
const { arch, theta: start } = parseParameterFile(JSON.stringify(record.params0));
if (arch.hidden.length !== 1 || arch.activation !== 'softplus' || !arch.biases) {
  console.error('the float32 emulation covers one softplus hidden layer with biases');
  process.exit(2);
}
const maxnorm = record.config.maxnorm ?? 1000;
const data = datasetFor(record.config, record.seed);
const exact = networkFlowField(arch, data, { maxnorm });
const gradient32 = float32Field(arch.inputDim, arch.hidden[0], data, maxnorm);
const maxSteps = Number(values['max-steps']);
console.log(`seed ${record.seed}, ${arch.hidden[0]} hidden neurons, N = ${data.samples}: accepted steps to the barrier (weight norm ${maxnorm}), at most ${maxSteps}`);
console.log('| errors | solver | steps | rejected | flow time | weight norm |\n| --- | --- | --- | --- | --- | --- |');
for (const variant of ['float64', 'θ in float32', 'float32 gradient', '+ float32 Hessian'] as Variant[]) {
  for (const solver of ['rodas4', 'ros34pw2'] as StiffSolver[]) {
    const run = stepsToBarrier(variantField(variant, exact, gradient32, record.seed), solver, start, maxnorm, maxSteps);
    console.log(`| ${variant} | ${solver} | ${run.steps} | ${run.rejected} | ${run.t.toExponential(2)} | ${run.weightNorm.toFixed(0)} |`);
  }
}
