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
// The solvers are Rodas4 and ROS34PW2 at the paper's tolerances (rtol 1e-3, atol 1e-6) with the
// ensemble's controller; the table gives accepted steps and rejections to the barrier (or the step
// cap). One hidden layer, softplus, biases (the flow sweep's networks).
//
//   npx tsx benchmarks/float32-flow.ts RUNS.jsonl SEED [--hidden R] [--solver ros34pw2] [--max-steps 40000]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Dataset } from '../src/data/dataset.js';
import { RandomStream } from '../src/data/rng.js';
import { networkFlowField } from '../src/engine/cpu/flow-field.js';
import { datasetFor } from '../src/experiment/grid.js';
import { weightNorm, type Architecture } from '../src/model/architecture.js';
import { pairCoordinates, pairCoordinatesOfMatrix } from '../src/model/pairs.js';
import { parseParameterFile } from '../src/model/params-file.js';
import { integrateRosenbrock, type StiffSolver, type StiffVectorField } from '../src/optim/rosenbrock.js';

const UNIT_ROUNDOFF = 2 ** -24;
const f32 = Math.fround;

const SQRT_HALF = Math.SQRT1_2;

/** Pairs of hidden neurons, greedily by the distance of their input vectors (bias included). */
function closestPairs(theta: Float64Array, d: number, r: number): [number, number][] {
  const candidates: [number, number, number][] = [];
  for (let i = 0; i < r; i++) {
    for (let j = i + 1; j < r; j++) {
      let squared = (theta[r * d + i] - theta[r * d + j]) ** 2;
      for (let k = 0; k < d; k++) squared += (theta[i * d + k] - theta[j * d + k]) ** 2;
      candidates.push([squared, i, j]);
    }
  }
  candidates.sort((x, y) => x[0] - y[0]);
  const taken = new Set<number>();
  const pairs: [number, number][] = [];
  for (const [, i, j] of candidates) {
    if (taken.has(i) || taken.has(j)) continue;
    taken.add(i).add(j);
    pairs.push([i, j]);
  }
  return pairs;
}

/** What both emulations share: shapes, parameter offsets and the data rounded to float32. */
function emulationSetup(arch: Architecture, data: Dataset) {
  const [d, r] = [arch.inputDim, arch.hidden[0]];
  const A = r * d + r; // output weights
  return { d, r, P: A + r + 1, A, C: A + r, xs: Float64Array.from(data.x, f32), ys: Float64Array.from(data.y, f32) };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

/**
 * The GPU kernel's gradient of L + R for one softplus hidden layer with biases, in emulated float32:
 * in network coordinates (`paired` false), or in pair coordinates (θ rounded there; see the header).
 */
function float32Field(arch: Architecture, data: Dataset, maxnorm: number, paired: boolean): (theta: Float64Array, out: Float64Array) => void {
  const { d, r, P, A, C, xs, ys } = emulationSetup(arch, data);
  const activation = new Float64Array(r);
  const slope = new Float64Array(r);
  return (theta64, out) => {
    const pairs = paired ? closestPairs(theta64, d, r) : [];
    const inPair = new Set(pairs.flat());
    const th = Float64Array.from(pairCoordinates(arch, theta64, pairs), f32);
    const g = new Float64Array(P);
    const inverseCount = f32(1 / data.samples);
    const preActivation = (j: number, n: number) => {
      let z = th[r * d + j];
      for (let k = 0; k < d; k++) z = f32(z + f32(th[j * d + k] * xs[n * d + k]));
      return z;
    };
    // per pair: Σσ, Δσ, Σσ′, Δσ′ at ζ ± η
    const pairValues = pairs.map(() => [0, 0, 0, 0]);
    for (let n = 0; n < data.samples; n++) {
      let f = th[C];
      for (let j = 0; j < r; j++) {
        if (inPair.has(j)) continue;
        const z = preActivation(j, n);
        activation[j] = f32(softplus(z));
        slope[j] = f32(sigmoid(z));
        f = f32(f + f32(th[A + j] * activation[j]));
      }
      pairs.forEach(([i, j], p) => {
        const zeta = f32(preActivation(i, n) * f32(SQRT_HALF));
        const eta = f32(preActivation(j, n) * f32(SQRT_HALF));
        const v = pairValues[p];
        v[0] = f32(f32(softplus(zeta + eta)) + f32(softplus(zeta - eta)));
        v[1] = f32(softplus(zeta + eta) - softplus(zeta - eta));
        v[2] = f32(f32(sigmoid(zeta + eta)) + f32(sigmoid(zeta - eta)));
        v[3] = f32(sigmoid(zeta + eta) - sigmoid(zeta - eta));
        f = f32(f + f32(f32(f32(th[A + i] * v[0]) + f32(th[A + j] * v[1])) * f32(SQRT_HALF)));
      });
      const delta = f32(f32(2 * f32(f - ys[n])) * inverseCount);
      g[C] += delta;
      for (let j = 0; j < r; j++) {
        if (inPair.has(j)) continue;
        g[A + j] += f32(delta * activation[j]);
        const dz = f32(f32(delta * th[A + j]) * slope[j]);
        g[r * d + j] += dz;
        for (let k = 0; k < d; k++) g[j * d + k] += f32(dz * xs[n * d + k]);
      }
      pairs.forEach(([i, j], p) => {
        const [sum0, difference0, sum1, difference1] = pairValues[p];
        const [s, t] = [th[A + i], th[A + j]];
        g[A + i] += f32(f32(delta * sum0) * f32(SQRT_HALF));
        g[A + j] += f32(f32(delta * difference0) * f32(SQRT_HALF));
        // ∂f/∂m = (sΣσ′ + tΔσ′)/2·x̃, ∂f/∂h = (sΔσ′ + tΣσ′)/2·x̃
        const dm = f32(f32(delta * f32(f32(s * sum1) + f32(t * difference1))) * 0.5);
        const dh = f32(f32(delta * f32(f32(s * difference1) + f32(t * sum1))) * 0.5);
        g[r * d + i] += dm;
        g[r * d + j] += dh;
        for (let k = 0; k < d; k++) {
          g[i * d + k] += f32(dm * xs[n * d + k]);
          g[j * d + k] += f32(dh * xs[n * d + k]);
        }
      });
    }
    let squares = 0;
    for (const v of th) squares += f32(v * v);
    const excess = Math.max(f32(squares / (2 * P)) - maxnorm, 0);
    const barrierSlope = f32((excess * excess) / P);
    const field = new Float64Array(P);
    for (let p = 0; p < P; p++) field[p] = -f32(f32(g[p]) + f32(barrierSlope * th[p]));
    out.set(pairCoordinates(arch, field, pairs));
  };
}

/**
 * The closed-form Hessian of L + R as a float32 kernel would form it (one softplus hidden layer with
 * biases), in network or pair coordinates, returned in network coordinates: per sample the Jacobian's
 * entries and f's second derivatives in float32, every product JₚJ_q and δ·∂²f rounded to float32,
 * the sums over samples exact (the kernel's Kahan sums nearly are). Pair coordinates: ∂f/∂m =
 * (sΣ₁ + tΔ₁)/2·x̃, ∂f/∂h = (sΔ₁ + tΣ₁)/2·x̃, ∂f/∂s = Σ₀/√2, ∂f/∂t = Δ₀/√2; ∂²f: (sΣ₂ + tΔ₂)/(2√2)·x̃x̃ᵀ
 * on (m, m) and (h, h), (sΔ₂ + tΣ₂)/(2√2)·x̃x̃ᵀ on (m, h), Σ₁/2·x̃ on (m, s) and (h, t), Δ₁/2·x̃ on
 * (m, t) and (h, s).
 */
function float32Hessian(arch: Architecture, data: Dataset, maxnorm: number, paired: boolean): (theta: Float64Array, out: Float64Array) => void {
  const { d, r, P, A, C, xs, ys } = emulationSetup(arch, data);
  const inputSlot = (j: number, k: number) => (k < d ? j * d + k : r * d + j); // k = d: the bias
  const slopeOfSlope = (z: number) => sigmoid(z) * (1 - sigmoid(z));
  return (theta64, out) => {
    const pairs = paired ? closestPairs(theta64, d, r) : [];
    const partner = new Map<number, number>();
    for (const [i, j] of pairs) partner.set(i, j).set(j, i);
    const th = Float64Array.from(pairCoordinates(arch, theta64, pairs), f32);
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
        const other = partner.get(j);
        if (other === undefined) {
          const z = pre(j);
          const [value, slope, curvature] = [f32(softplus(z)), f32(sigmoid(z)), f32(slopeOfSlope(z))];
          f = f32(f + f32(th[A + j] * value));
          J[A + j] = value;
          const g = f32(th[A + j] * slope);
          for (let k = 0; k <= d; k++) J[inputSlot(j, k)] = f32(g * xt[k]);
          const ac = f32(th[A + j] * curvature);
          for (let k = 0; k <= d; k++) {
            for (let l = k; l <= d; l++) second.push([inputSlot(j, k), inputSlot(j, l), f32(ac * f32(xt[k] * xt[l]))]);
            second.push([inputSlot(j, k), A + j, f32(slope * xt[k])]);
          }
        } else if (j < other) {
          const [i, h] = [j, other]; // i holds m and s, h holds the half-differences
          const zeta = f32(pre(i) * f32(SQRT_HALF));
          const eta = f32(pre(h) * f32(SQRT_HALF));
          const sums = [softplus, sigmoid, slopeOfSlope].map((fn) => f32(f32(fn(zeta + eta)) + f32(fn(zeta - eta))));
          const diffs = [softplus, sigmoid, slopeOfSlope].map((fn) => f32(fn(zeta + eta) - fn(zeta - eta)));
          const [s, t] = [th[A + i], th[A + h]];
          f = f32(f + f32(f32(f32(s * sums[0]) + f32(t * diffs[0])) * f32(SQRT_HALF)));
          J[A + i] = f32(sums[0] * f32(SQRT_HALF));
          J[A + h] = f32(diffs[0] * f32(SQRT_HALF));
          const gm = f32(f32(f32(s * sums[1]) + f32(t * diffs[1])) * 0.5);
          const gh = f32(f32(f32(s * diffs[1]) + f32(t * sums[1])) * 0.5);
          const cmm = f32(f32(f32(s * sums[2]) + f32(t * diffs[2])) * f32(SQRT_HALF / 2));
          const cmh = f32(f32(f32(s * diffs[2]) + f32(t * sums[2])) * f32(SQRT_HALF / 2));
          const [halfSum, halfDiff] = [f32(sums[1] * 0.5), f32(diffs[1] * 0.5)];
          for (let k = 0; k <= d; k++) {
            J[inputSlot(i, k)] = f32(gm * xt[k]);
            J[inputSlot(h, k)] = f32(gh * xt[k]);
            for (let l = 0; l <= d; l++) {
              const xx = f32(xt[k] * xt[l]);
              if (l >= k) {
                second.push([inputSlot(i, k), inputSlot(i, l), f32(cmm * xx)]);
                second.push([inputSlot(h, k), inputSlot(h, l), f32(cmm * xx)]);
              }
              second.push([inputSlot(i, k), inputSlot(h, l), f32(cmh * xx)]);
            }
            second.push([inputSlot(i, k), A + i, f32(halfSum * xt[k])]);
            second.push([inputSlot(i, k), A + h, f32(halfDiff * xt[k])]);
            second.push([inputSlot(h, k), A + i, f32(halfDiff * xt[k])]);
            second.push([inputSlot(h, k), A + h, f32(halfSum * xt[k])]);
          }
        }
      }
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
    out.set(pairCoordinatesOfMatrix(arch, out, pairs));
  };
}

type Variant = 'float64' | 'θ in float32' | 'float32 gradient' | '+ float32 Hessian' | 'pair coordinates' | '+ computed float32 Hessian' | 'pair coordinates, computed Hessian' | 'pair coordinates, computed network Hessian';
const VARIANTS: Variant[] = ['float64', 'θ in float32', 'float32 gradient', '+ float32 Hessian', 'pair coordinates', '+ computed float32 Hessian', 'pair coordinates, computed Hessian', 'pair coordinates, computed network Hessian'];

function variantField(variant: Variant, exact: StiffVectorField, arch: Architecture, data: Dataset, maxnorm: number, seed: number): StiffVectorField {
  const [d, r] = [arch.inputDim, arch.hidden[0]];
  const round = variant === 'float64' ? (v: Float64Array) => v : (v: Float64Array) => Float64Array.from(v, f32);
  const noise = new RandomStream(seed, 0, 99);
  const paired = variant.startsWith('pair coordinates');
  const gradient32 = float32Field(arch, data, maxnorm, paired);
  // the Hessian computed in float32 in pair coordinates, or in network coordinates whatever the gradient's
  const computed = variant.includes('computed') ? float32Hessian(arch, data, maxnorm, paired && !variant.endsWith('network Hessian')) : null;
  return {
    f: variant === 'float64' || variant === 'θ in float32' ? (t, out) => exact.f(round(t), out) : gradient32,
    hessian: (t, out) => {
      if (computed) return computed(t, out);
      exact.hessian(round(t), out);
      if (variant !== '+ float32 Hessian' && variant !== 'pair coordinates') return;
      const P = t.length;
      const pairs = variant === 'pair coordinates' ? closestPairs(t, d, r) : [];
      out.set(pairCoordinatesOfMatrix(arch, out, pairs));
      for (let i = 0; i < P; i++) {
        for (let j = 0; j <= i; j++) {
          const e = Math.sqrt(3) * UNIT_ROUNDOFF * Math.sqrt(Math.abs(out[i * P + i] * out[j * P + j])) * noise.uniformIn(-1, 1);
          out[i * P + j] += e;
          if (i !== j) out[j * P + i] += e;
        }
      }
      out.set(pairCoordinatesOfMatrix(arch, out, pairs));
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
const record = readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line))
  .find((r) => r.seed === Number(seedText) && (values.hidden === undefined || r.config.architecture.hidden[0] === Number(values.hidden)));
if (!record) {
  console.error(`${file} has no run with seed ${seedText}${values.hidden === undefined ? '' : ` and ${values.hidden} hidden neurons`}`);
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
const maxSteps = Number(values['max-steps']);
if (values.check) {
  // the emulated float32 gradient and Hessian against the float64 ones at the run's start and end:
  // max-norm error relative to the largest entry
  const P = start.length;
  const [d, r] = [arch.inputDim, arch.hidden[0]];
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
    for (const paired of [false, true]) {
      const [g32, h32] = [new Float64Array(P), new Float64Array(P * P)];
      float32Field(arch, data, maxnorm, paired)(theta, g32);
      float32Hessian(arch, data, maxnorm, paired)(theta, h32);
      console.log(`${label}, ${paired ? 'pair' : 'network'} coordinates: gradient ${relative(g32, g)}, Hessian ${relative(h32, h)}`);
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
