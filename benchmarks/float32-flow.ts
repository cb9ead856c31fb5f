// Which float32 error slows stiff gradient flow on the GPU, and what removes it: one run of a records
// file (its spec's network, data and start) integrated to the norm barrier on the float64 CPU engine
// with float32 errors put back:
//   float64                  the CPU engine as it is
//   θ in float32             every point the field sees rounded to float32 (the GPU stores θ so)
//   float32 gradient         θ so, and the gradient in emulated float32 arithmetic (every operation
//                            rounded as the kernel's order of operations; sums over samples exact, as
//                            its Kahan sums nearly are)
//   + float32 Hessian        and the Hessian with rounding-sized errors: each entry plus a uniform
//                            ±√3·u·√(H_pp·H_qq), u = 2⁻²⁴ (what float32 products of the Jacobian's
//                            entries leave; deterministic per seed)
//   pair coordinates         all three float32 errors, but in pair coordinates: the neurons are paired
//                            (greedily, closest input vectors first) and each pair (i, j) is stored and
//                            computed as m, h = (w_i ± w_j)/√2 (bias included) and s, t = (a_i ± a_j)/√2,
//                            an orthogonal change of variables (gradient flow and the weight norm are
//                            the same in it). Pre-activations are ζ ± η with ζ = m·x̃/√2, η = h·x̃/√2, and
//                            the pair's output a_iσ(z_i) + a_jσ(z_j) = (s·Σ + t·Δ)/√2 with Σ, Δ the sum
//                            and the odd difference of σ at ζ ± η, Δ accurate relative to itself
//                            (shaders/activations.wgsl's pair_activate, tested to ~1e-6 of its size; here
//                            the float64 value rounded once). The Hessian's errors are those above, in
//                            pair coordinates.
//   + computed float32 Hessian  the Hessian formed product by product in float32 (float32Hessian)
//   pair coordinates, computed Hessian  pairs, and that Hessian formed in pair coordinates (in
//                            "…network Hessian": formed in network coordinates, then turned)
//   group coordinates, computed Hessian  the stiff kernel's grouping: neurons within 25% of each
//                            other (relative to the longer input vector) in groups of up to four, in
//                            the Helmert basis (src/model/groups.ts; for two neurons the pair map). Each
//                            member's σ⁽ⁱ⁾(z_k) − σ⁽ⁱ⁾(z̄) is an odd difference about z̄ + η_k/2, accurate
//                            relative to itself, so three-neuron channels keep their differences too.
// The solvers are Rodas4 and ROS34PW2 at the paper's tolerances (rtol 1e-3, atol 1e-6) with the
// ensemble's controller; the table gives accepted steps and rejections to the barrier (or the step
// cap). One hidden layer, softplus, biases (the flow sweep's networks).
//
//   npx tsx benchmarks/float32-flow.ts RUNS.jsonl SEED [--hidden R] [--solver ros34pw2] [--max-steps 40000]
import { parseArgs } from 'node:util';
import { recordOfSeed } from './records.js';
import type { Dataset } from '../src/data/dataset.js';
import { RandomStream } from '../src/numerics/rng.js';
import { networkFlowField } from '../src/engine/cpu/flow-field.js';
import { datasetFor } from '../src/experiment/grid.js';
import { weightNorm, type Architecture } from '../src/model/architecture.js';
import { closeNeuronGroups, groupCoordinates, groupCoordinatesOfMatrix, helmertRow } from '../src/model/groups.js';
import { parseParameterFile } from '../src/model/params-file.js';
import { integrateRosenbrock, type StiffSolver, type StiffVectorField } from '../src/optim/stiff-solvers.js';

const UNIT_ROUNDOFF = 2 ** -24;
const f32 = Math.fround;

type Grouping = (theta: Float64Array) => number[][];

/** What both emulations share: shapes, parameter offsets and the data rounded to float32. */
function emulationSetup(arch: Architecture, data: Dataset) {
  const [d, r] = [arch.inputDim, arch.hidden[0]];
  const A = r * d + r; // output weights
  return { d, r, P: A + r + 1, A, C: A + r, xs: Float64Array.from(data.x, f32), ys: Float64Array.from(data.y, f32) };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
const slopeOfSlope = (z: number) => sigmoid(z) * (1 - sigmoid(z));
const DERIVATIVES = [softplus, sigmoid, slopeOfSlope];

/**
 * One sample's values of a group of n neurons in group coordinates (θ in them, float32): with ζ_j
 * the pre-activation of slot j's input coordinates, the mean pre-activation z̄ = ζ₀/√n and member
 * k's offset η_k = Σ_{j≥1} U_jk ζ_j; σ⁽ⁱ⁾ at z̄ and the differences D⁽ⁱ⁾_k = σ⁽ⁱ⁾(z̄ + η_k) − σ⁽ⁱ⁾(z̄),
 * accurate relative to themselves (an odd difference about z̄ + η_k/2, as pair_activate computes it;
 * here the float64 value rounded once); a_k in network coordinates; the Jacobian of the output
 * coordinates A_j, ∂f/∂A_j = Σ_k U_jk σ(z_k) = √n·σ̄·[j = 0] + Σ_k U_jk D_k; and ∂f/∂ζ_j =
 * A_j σ̄′ + Σ_k U_jk a_k D′_k. The mean-direction sums, where a network-coordinate float32 kernel
 * cancels, take Σ_k a_k = √n·A₀ from θ instead.
 */
function groupSample(th: Float64Array, group: number[], basis: number[][], A: number, pre: (j: number) => number) {
  const n = group.length;
  const zeta = group.map((k) => pre(k));
  const mean = f32(zeta[0] * f32(1 / Math.sqrt(n)));
  const offsets = group.map((_, k) => {
    let eta = 0;
    for (let j = 1; j < n; j++) eta = f32(eta + f32(f32(basis[j][k]) * zeta[j]));
    return eta;
  });
  const atMean = DERIVATIVES.map((fn) => f32(fn(mean)));
  const differences = DERIVATIVES.map((fn) => offsets.map((eta) => f32(fn(mean + eta) - fn(mean))));
  const outputs = group.map((k) => th[A + k]);
  const a = group.map((_, k) => {
    let sum = 0;
    for (let j = 0; j < n; j++) sum = f32(sum + f32(f32(basis[j][k]) * outputs[j]));
    return sum;
  });
  const outputJacobian = group.map((_, j) => {
    let sum = j === 0 ? f32(f32(Math.sqrt(n)) * atMean[0]) : 0;
    for (let k = 0; k < n; k++) sum = f32(sum + f32(f32(basis[j][k]) * differences[0][k]));
    return sum;
  });
  const inputJacobian = group.map((_, j) => {
    let sum = f32(outputs[j] * atMean[1]);
    for (let k = 0; k < n; k++) sum = f32(sum + f32(f32(basis[j][k]) * f32(a[k] * differences[1][k])));
    return sum;
  });
  return { n, atMean, differences, outputs, a, outputJacobian, inputJacobian };
}

/**
 * The GPU kernel's gradient of L + R for one softplus hidden layer with biases, in emulated float32,
 * in the coordinates of `grouping` (none: network coordinates; θ rounded in them; see the header).
 */
function float32Field(arch: Architecture, data: Dataset, maxnorm: number, grouping: Grouping | null): (theta: Float64Array, out: Float64Array) => void {
  const { d, r, P, A, C, xs, ys } = emulationSetup(arch, data);
  const activation = new Float64Array(r);
  const slope = new Float64Array(r);
  return (theta64, out) => {
    const groups = grouping ? grouping(theta64) : [];
    const grouped = new Set(groups.flat());
    const bases = groups.map((group) => group.map((_, j) => helmertRow(group.length, j)));
    const th = Float64Array.from(groupCoordinates(arch, theta64, groups, true), f32);
    const g = new Float64Array(P);
    const inverseCount = f32(1 / data.samples);
    const preActivation = (n: number) => (j: number) => {
      let z = th[r * d + j];
      for (let k = 0; k < d; k++) z = f32(z + f32(th[j * d + k] * xs[n * d + k]));
      return z;
    };
    for (let n = 0; n < data.samples; n++) {
      let f = th[C];
      for (let j = 0; j < r; j++) {
        if (grouped.has(j)) continue;
        const z = preActivation(n)(j);
        activation[j] = f32(softplus(z));
        slope[j] = f32(sigmoid(z));
        f = f32(f + f32(th[A + j] * activation[j]));
      }
      const values = groups.map((group, q) => groupSample(th, group, bases[q], A, preActivation(n)));
      for (const v of values) for (let j = 0; j < v.n; j++) f = f32(f + f32(v.outputs[j] * v.outputJacobian[j]));
      const delta = f32(f32(2 * f32(f - ys[n])) * inverseCount);
      g[C] += delta;
      for (let j = 0; j < r; j++) {
        if (grouped.has(j)) continue;
        g[A + j] += f32(delta * activation[j]);
        const dz = f32(f32(delta * th[A + j]) * slope[j]);
        g[r * d + j] += dz;
        for (let k = 0; k < d; k++) g[j * d + k] += f32(dz * xs[n * d + k]);
      }
      groups.forEach((group, q) => {
        const v = values[q];
        group.forEach((slot, j) => {
          g[A + slot] += f32(delta * v.outputJacobian[j]);
          const dz = f32(delta * v.inputJacobian[j]);
          g[r * d + slot] += dz;
          for (let k = 0; k < d; k++) g[slot * d + k] += f32(dz * xs[n * d + k]);
        });
      });
    }
    let squares = 0;
    for (const v of th) squares += f32(v * v);
    const excess = Math.max(f32(squares / (2 * P)) - maxnorm, 0);
    const barrierSlope = f32((excess * excess) / P);
    const field = new Float64Array(P);
    for (let p = 0; p < P; p++) field[p] = -f32(f32(g[p]) + f32(barrierSlope * th[p]));
    out.set(groupCoordinates(arch, field, groups, false));
  };
}

/**
 * The closed-form Hessian of L + R as a float32 kernel would form it (one softplus hidden layer with
 * biases), in the coordinates of `grouping` (none: network coordinates), returned in network
 * coordinates: per sample the Jacobian's entries and f's second derivatives in float32, every
 * product JₚJ_q and δ·∂²f rounded to float32, the sums over samples exact (the kernel's Kahan sums
 * nearly are). In a group (groupSample): ∂²f/∂ζ_i∂ζ_j = σ̄″·Σ_l c_ijl A_l + Σ_k U_ik U_jk a_k D″_k
 * with c_ijl = Σ_k U_ik U_jk U_lk (so the mean direction's cancelling sum comes from θ), times x̃x̃ᵀ;
 * ∂²f/∂ζ_i∂A_j = [i = j]·σ̄′ + Σ_k U_ik U_jk D′_k, times x̃.
 */
function float32Hessian(arch: Architecture, data: Dataset, maxnorm: number, grouping: Grouping | null): (theta: Float64Array, out: Float64Array) => void {
  const { d, r, P, A, C, xs, ys } = emulationSetup(arch, data);
  const inputSlot = (j: number, k: number) => (k < d ? j * d + k : r * d + j); // k = d: the bias
  return (theta64, out) => {
    const groups = grouping ? grouping(theta64) : [];
    const grouped = new Set(groups.flat());
    const bases = groups.map((group) => group.map((_, j) => helmertRow(group.length, j)));
    const th = Float64Array.from(groupCoordinates(arch, theta64, groups, true), f32);
    const H = new Float64Array(P * P);
    const J = new Float64Array(P);
    const second: [number, number, number][] = []; // (p, q, value) of ∂²f, p ≤ q listed once
    const xt = new Float64Array(d + 1);
    for (let n = 0; n < data.samples; n++) {
      for (let k = 0; k < d; k++) xt[k] = xs[n * d + k];
      xt[d] = 1;
      const pre = (j: number) => {
        let z = th[r * d + j];
        for (let k = 0; k < d; k++) z = f32(z + f32(th[j * d + k] * xt[k]));
        return z;
      };
      let f = th[C];
      second.length = 0;
      J[C] = 1;
      for (let j = 0; j < r; j++) {
        if (grouped.has(j)) continue;
        const z = pre(j);
        const [value, slope, curvature] = DERIVATIVES.map((fn) => f32(fn(z)));
        f = f32(f + f32(th[A + j] * value));
        J[A + j] = value;
        const g = f32(th[A + j] * slope);
        for (let k = 0; k <= d; k++) J[inputSlot(j, k)] = f32(g * xt[k]);
        const ac = f32(th[A + j] * curvature);
        for (let k = 0; k <= d; k++) {
          for (let l = k; l <= d; l++) second.push([inputSlot(j, k), inputSlot(j, l), f32(ac * f32(xt[k] * xt[l]))]);
          second.push([inputSlot(j, k), A + j, f32(slope * xt[k])]);
        }
      }
      groups.forEach((group, q) => {
        const U = bases[q];
        const v = groupSample(th, group, U, A, pre);
        group.forEach((slot, j) => {
          f = f32(f + f32(v.outputs[j] * v.outputJacobian[j]));
          J[A + slot] = v.outputJacobian[j];
          for (let e = 0; e <= d; e++) J[inputSlot(slot, e)] = f32(v.inputJacobian[j] * xt[e]);
        });
        for (let i = 0; i < v.n; i++) {
          for (let j = i; j < v.n; j++) {
            let mean = 0;
            for (let l = 0; l < v.n; l++) {
              let c = 0;
              for (let k = 0; k < v.n; k++) c += U[i][k] * U[j][k] * U[l][k];
              mean = f32(mean + f32(f32(c) * v.outputs[l]));
            }
            let curvature = f32(v.atMean[2] * mean);
            let cross = i === j ? v.atMean[1] : 0;
            for (let k = 0; k < v.n; k++) {
              const weight = f32(U[i][k] * U[j][k]);
              curvature = f32(curvature + f32(weight * f32(v.a[k] * v.differences[2][k])));
              cross = f32(cross + f32(weight * v.differences[1][k]));
            }
            for (let e = 0; e <= d; e++) {
              for (let l = i === j ? e : 0; l <= d; l++) second.push([inputSlot(group[i], e), inputSlot(group[j], l), f32(curvature * f32(xt[e] * xt[l]))]);
              second.push([inputSlot(group[i], e), A + group[j], f32(cross * xt[e])]);
              if (i !== j) second.push([inputSlot(group[j], e), A + group[i], f32(cross * xt[e])]);
            }
          }
        }
      });
      const residual = f32(f - ys[n]);
      for (let p = 0; p < P; p++) for (let q = p; q < P; q++) H[p * P + q] += f32(J[p] * J[q]);
      for (const [p, q, value] of second) {
        const term = f32(residual * value);
        H[Math.min(p, q) * P + Math.max(p, q)] += term;
      }
    }
    let squares = 0;
    for (const v of th) squares += f32(v * v);
    const excess = Math.max(f32(squares / (2 * P)) - maxnorm, 0);
    const scale = 2 / data.samples;
    for (let p = 0; p < P; p++) {
      for (let q = p; q < P; q++) {
        const value = f32(f32(scale * H[p * P + q]) + f32((2 * excess * th[p] * th[q]) / (P * P)) + (p === q ? f32((excess * excess) / P) : 0));
        out[p * P + q] = value;
        out[q * P + p] = value;
      }
    }
    out.set(groupCoordinatesOfMatrix(arch, out, groups, false));
  };
}

type Variant =
  | 'float64'
  | 'θ in float32'
  | 'float32 gradient'
  | '+ float32 Hessian'
  | 'pair coordinates'
  | '+ computed float32 Hessian'
  | 'pair coordinates, computed Hessian'
  | 'pair coordinates, computed network Hessian'
  | 'group coordinates, computed Hessian';
const VARIANTS: Variant[] = [
  'float64',
  'θ in float32',
  'float32 gradient',
  '+ float32 Hessian',
  'pair coordinates',
  '+ computed float32 Hessian',
  'pair coordinates, computed Hessian',
  'pair coordinates, computed network Hessian',
  'group coordinates, computed Hessian',
];

function variantField(variant: Variant, exact: StiffVectorField, arch: Architecture, data: Dataset, maxnorm: number, seed: number): StiffVectorField {
  const round = variant === 'float64' ? (v: Float64Array) => v : (v: Float64Array) => Float64Array.from(v, f32);
  const noise = new RandomStream(seed, 0, 99);
  const grouping: Grouping | null = variant.startsWith('pair coordinates')
    ? (t) => closeNeuronGroups(arch, t, Infinity, 2)
    : variant.startsWith('group coordinates')
      ? (t) => closeNeuronGroups(arch, t)
      : null;
  const gradient32 = float32Field(arch, data, maxnorm, grouping);
  // the Hessian computed in float32 in the gradient's coordinates, or in network coordinates
  const computed = variant.includes('computed') ? float32Hessian(arch, data, maxnorm, variant.endsWith('network Hessian') ? null : grouping) : null;
  return {
    f: variant === 'float64' || variant === 'θ in float32' ? (t, out) => exact.f(round(t), out) : gradient32,
    hessian: (t, out) => {
      if (computed) return computed(t, out);
      exact.hessian(round(t), out);
      if (variant !== '+ float32 Hessian' && variant !== 'pair coordinates') return;
      const P = t.length;
      const groups = grouping ? grouping(t) : [];
      out.set(groupCoordinatesOfMatrix(arch, out, groups, true));
      for (let i = 0; i < P; i++) {
        for (let j = 0; j <= i; j++) {
          const e = Math.sqrt(3) * UNIT_ROUNDOFF * Math.sqrt(Math.abs(out[i * P + i] * out[j * P + j])) * noise.uniformIn(-1, 1);
          out[i * P + j] += e;
          if (i !== j) out[j * P + i] += e;
        }
      }
      out.set(groupCoordinatesOfMatrix(arch, out, groups, false));
    },
    hessianCost: exact.hessianCost,
  };
}

/** Accepted steps to the barrier (integrateRosenbrock: the ensemble's controller and shrink rules). */
function stepsToBarrier(field: StiffVectorField, solver: StiffSolver, start: Float64Array, maxnorm: number, maxSteps: number) {
  const run = integrateRosenbrock(field, start, { rtol: 1e-3, atol: 1e-6, method: solver, maxSteps, stop: (theta) => weightNorm(theta) >= maxnorm });
  return { steps: run.steps, rejected: run.rejected + run.factorizationFailures, t: run.t, weightNorm: weightNorm(run.theta) };
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'max-steps': { type: 'string', default: '40000' }, hidden: { type: 'string' }, solver: { type: 'string' }, variants: { type: 'string' }, check: { type: 'boolean' } },
});
const [file, seedText] = positionals;
const usage = 'usage: npx tsx benchmarks/float32-flow.ts RUNS.jsonl SEED [--hidden R] [--solver rodas4|ros34pw2] [--variants 0,4,...] [--max-steps N] [--check]';
const solvers = (values.solver ? [values.solver] : ['rodas4', 'ros34pw2']) as StiffSolver[];
if (!file || seedText === undefined || solvers.some((s) => s !== 'rodas4' && s !== 'ros34pw2')) {
  console.error(usage);
  process.exit(2);
}
const record = recordOfSeed(file, Number(seedText), values.hidden === undefined ? undefined : Number(values.hidden));
const { arch, theta: start } = parseParameterFile(JSON.stringify(record.params0));
if (arch.hidden.length !== 1 || arch.activation !== 'softplus' || !arch.biases) {
  console.error('the float32 emulation covers one softplus hidden layer with biases');
  process.exit(2);
}
const maxnorm = record.config.maxnorm ?? 1000;
const data = datasetFor(record.config, record.seed);
const exact = networkFlowField(arch, data, { maxnorm });
const maxSteps = Number(values['max-steps']);
if (values.check) {
  // the emulated float32 gradient and Hessian against the float64 ones at the run's start and end:
  // max-norm error relative to the largest entry
  const P = start.length;
  const end = parseParameterFile(JSON.stringify(record.params)).theta;
  const relative = (got: Float64Array, want: Float64Array) => {
    let [error, size] = [0, 0];
    for (let k = 0; k < want.length; k++) [error, size] = [Math.max(error, Math.abs(got[k] - want[k])), Math.max(size, Math.abs(want[k]))];
    return (error / size).toExponential(2);
  };
  for (const [label, theta] of [['start', start], ['end', Float64Array.from(end, f32)]] as const) {
    const [g, h] = [new Float64Array(P), new Float64Array(P * P)];
    exact.f(theta, g);
    exact.hessian(theta, h);
    const groupings: [string, Grouping | null][] = [
      ['network', null],
      ['pair', (t) => closeNeuronGroups(arch, t, Infinity, 2)],
      ['group', (t) => closeNeuronGroups(arch, t)],
    ];
    for (const [name, grouping] of groupings) {
      const [g32, h32] = [new Float64Array(P), new Float64Array(P * P)];
      float32Field(arch, data, maxnorm, grouping)(theta, g32);
      float32Hessian(arch, data, maxnorm, grouping)(theta, h32);
      console.log(`${label}, ${name} coordinates (groups ${JSON.stringify(grouping ? grouping(theta) : [])}): gradient ${relative(g32, g)}, Hessian ${relative(h32, h)}`);
    }
  }
  process.exit(0);
}
console.log(`seed ${record.seed}, ${arch.hidden[0]} hidden neurons, N = ${data.samples}: accepted steps to the barrier (weight norm ${maxnorm}), at most ${maxSteps}`);
console.log('| errors | solver | steps | rejected | flow time | weight norm |\n| --- | --- | --- | --- | --- | --- |');
const chosen = values.variants ? values.variants.split(',').map(Number) : VARIANTS.map((_, k) => k);
for (const variant of VARIANTS.filter((_, k) => chosen.includes(k))) {
  for (const solver of solvers) {
    const run = stepsToBarrier(variantField(variant, exact, arch, data, maxnorm, record.seed), solver, start, maxnorm, maxSteps);
    console.log(`| ${variant} | ${solver} | ${run.steps} | ${run.rejected} | ${run.t.toExponential(2)} | ${run.weightNorm.toFixed(0)} |`);
  }
}
