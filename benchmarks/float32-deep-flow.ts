// Deep networks: which float32 error keeps stiff gradient flow from following a channel, and do group
// coordinates in every hidden layer remove it? One run of a records file (softplus with biases, one
// to three hidden layers) integrated to the norm barrier on the float64 CPU engine with float32's
// errors put back, as benchmarks/float32-flow.ts does for one hidden layer (its header explains the
// emulation). Variants:
//   float64                       the CPU engine as it is
//   network coordinates           θ rounded to float32, the gradient in emulated float32 arithmetic,
//                                 the Hessian with rounding-sized errors (each entry plus a uniform
//                                 ±√3·u·√(H_pp·H_qq), u = 2⁻²⁴): what the stiff kernel does today for
//                                 deep networks (its Hessian from P float32 Hessian-vector products)
//   grouped gradient, network Hessian   θ and the gradient in group coordinates (below), the
//                                 Hessian's errors in network coordinates (an R-operator that is
//                                 not grouped)
//   group coordinates             θ, the gradient and the Hessian's errors all in group coordinates
//   group coordinates, difference Hessian   the Hessian by central differences of the emulated
//                                 float32 grouped gradient in group coordinates (step u^(1/3)·max(|θ_p|, 1))
//   grouped gradient, exact Hessian   θ and the gradient in group coordinates, the float64 Hessian
//   grouped gradient with exact forward pass, exact Hessian   as that, with the forward pass (hence
//                                 the residual) unrounded: what the forward pass's float32 errors cost
//   θ in float32 in group coordinates, exact gradient and Hessian   only θ's rounding
//   double-float θ and gradient, float32 Hessian in network / group coordinates   θ and the field
//                                 exact (double-float arithmetic per sample), only the Hessian with
//                                 float32's errors: does a double-float kernel still need groups?
//   θ as two floats, …            θ = θ_hi + θ_lo (θ_hi its float32 rounding in group coordinates) and
//                                 the field to first order in θ_lo, f(θ_hi) − H(θ_hi)·θ_lo: does a
//                                 smooth field at float32 θ_hi remove θ's rounding?
// Group coordinates: in every hidden layer, neurons whose input vectors lie within 25% of each other
// (src/model/groups.ts closeLayerGroups) are stored in the Helmert basis, input vectors and outgoing
// weight vectors alike. In a group the slots' pre-activations ζ_j give the members' z_k = z̄ + η_k,
// the activations passed on are the slots' Σ_k U_jk σ(z_k) = √n·σ̄·[j = 0] + Σ_k U_jk D_k, and the
// back-propagated ĝ_j (the slot's outgoing weights against the next layer's δ) give ∂f/∂ζ_j =
// ĝ_j·σ̄′ + Σ_k U_jk g_k D′_k with g_k = Σ_j U_jk ĝ_j, so nothing cancels (D⁽ⁱ⁾_k = σ⁽ⁱ⁾(z_k) − σ⁽ⁱ⁾(z̄)
// accurate relative to itself, as pair_activate computes it; here the float64 value rounded once).
//
//   npx tsx benchmarks/float32-deep-flow.ts RUNS.jsonl SEED [--variants 0,1,2,3,4] [--max-steps 20000] [--solver ros34pw2]
import { parseArgs } from 'node:util';
import { recordOfSeed } from './records.js';
import type { Dataset } from '../src/data/dataset.js';
import { RandomStream } from '../src/numerics/rng.js';
import { networkFlowField } from '../src/engine/cpu/flow-field.js';
import { datasetFor } from '../src/experiment/grid.js';
import { parameterLayout, weightNorm, type Architecture } from '../src/model/architecture.js';
import { closeLayerGroups, helmertRow, layerGroupCoordinates, layerGroupCoordinatesOfMatrix, type LayerGroups } from '../src/model/groups.js';
import { parseParameterFile } from '../src/model/params-file.js';
import { choleskySolver, integrateRosenbrock, type StiffSolver, type StiffVectorField } from '../src/optim/stiff-solvers.js';
import { cholesky, choleskySolve } from '../src/numerics/linalg.js';

const UNIT_ROUNDOFF = 2 ** -24;
const f32 = Math.fround;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

/**
 * The field −∇(L + R) in emulated float32 with θ given in the group coordinates of `groups` (none:
 * network coordinates), returned in those coordinates: the GPU kernel's order of operations per
 * sample, sums over samples exact (its Kahan sums nearly are).
 */
function float32GroupedField(arch: Architecture, data: Dataset, maxnorm: number, exactForward = false) {
  // the forward pass's rounding: float32, or none (to see what the forward pass's errors cost)
  const rf = exactForward ? (x: number) => x : f32;
  const { layers, count: P } = parameterLayout(arch);
  const L = arch.hidden.length;
  const xs = Float64Array.from(data.x, f32);
  const ys = Float64Array.from(data.y, f32);
  const d = arch.inputDim;
  return (th: Float64Array, groups: LayerGroups, out: Float64Array) => {
    const groupOf = arch.hidden.map((width, l) => {
      const of: (readonly number[] | null)[] = Array.from({ length: width }, () => null);
      for (const group of groups[l] ?? []) for (const k of group) of[k] = group;
      return of;
    });
    const g = new Float64Array(P);
    const inverseCount = f32(1 / data.samples);
    for (let n = 0; n < data.samples; n++) {
      const acts: Float64Array[] = [xs.subarray(n * d, n * d + d)];
      const slopes: Float64Array[] = [];
      // per hidden layer and group (keyed by its first member): σ̄′ and the D′_k
      const groupSlopes: Map<number, { mean: number; differences: number[] }>[] = [];
      for (let l = 0; l < L; l++) {
        const { fanIn, fanOut, weightOffset, biasOffset } = layers[l];
        const pre = new Float64Array(fanOut);
        for (let j = 0; j < fanOut; j++) {
          let z = biasOffset >= 0 ? th[biasOffset + j] : 0;
          for (let i = 0; i < fanIn; i++) z = rf(z + rf(th[weightOffset + j * fanIn + i] * acts[l][i]));
          pre[j] = z;
        }
        const act = new Float64Array(fanOut);
        const slope = new Float64Array(fanOut);
        const layerGroupSlopes = new Map<number, { mean: number; differences: number[] }>();
        for (let j = 0; j < fanOut; j++) {
          const group = groupOf[l][j];
          if (!group) {
            act[j] = rf(softplus(pre[j]));
            slope[j] = rf(sigmoid(pre[j]));
            continue;
          }
          if (group[0] !== j) continue;
          const size = group.length;
          const U = group.map((_, row) => helmertRow(size, row).map(f32));
          const mean = rf(pre[group[0]] * rf(1 / Math.sqrt(size)));
          const offsets = group.map((_, k) => {
            let eta = 0;
            for (let row = 1; row < size; row++) eta = rf(eta + rf(U[row][k] * pre[group[row]]));
            return eta;
          });
          const values = offsets.map((eta) => rf(softplus(mean + eta) - softplus(mean)));
          group.forEach((slot, row) => {
            let sum = row === 0 ? rf(rf(Math.sqrt(size)) * rf(softplus(mean))) : 0;
            for (let k = 0; k < size; k++) sum = rf(sum + rf(U[row][k] * values[k]));
            act[slot] = sum;
          });
          layerGroupSlopes.set(j, { mean: rf(sigmoid(mean)), differences: offsets.map((eta) => rf(sigmoid(mean + eta) - sigmoid(mean))) });
        }
        acts.push(act);
        slopes.push(slope);
        groupSlopes.push(layerGroupSlopes);
      }
      const output = layers[L];
      let f = output.biasOffset >= 0 ? th[output.biasOffset] : 0;
      for (let j = 0; j < output.fanIn; j++) f = rf(f + rf(th[output.weightOffset + j] * acts[L][j]));
      let delta = Float64Array.of(f32(f32(2 * f32(f - ys[n])) * inverseCount));
      for (let l = L; l >= 0; l--) {
        const { fanIn, fanOut, weightOffset, biasOffset } = layers[l];
        for (let j = 0; j < fanOut; j++) {
          if (biasOffset >= 0) g[biasOffset + j] += delta[j];
          for (let i = 0; i < fanIn; i++) g[weightOffset + j * fanIn + i] += f32(delta[j] * acts[l][i]);
        }
        if (l === 0) break;
        // ĝ: the slots' outgoing weights against this layer's δ, then through the activation
        const back = new Float64Array(fanIn);
        for (let i = 0; i < fanIn; i++) {
          let sum = 0;
          for (let j = 0; j < fanOut; j++) sum = f32(sum + f32(th[weightOffset + j * fanIn + i] * delta[j]));
          back[i] = sum;
        }
        const below = new Float64Array(fanIn);
        for (let i = 0; i < fanIn; i++) {
          const group = groupOf[l - 1][i];
          if (!group) {
            below[i] = f32(back[i] * slopes[l - 1][i]);
            continue;
          }
          if (group[0] !== i) continue;
          const size = group.length;
          const U = group.map((_, row) => helmertRow(size, row).map(f32));
          const { mean, differences } = groupSlopes[l - 1].get(i)!;
          const memberBack = group.map((_, k) => {
            let sum = 0;
            for (let row = 0; row < size; row++) sum = f32(sum + f32(U[row][k] * back[group[row]]));
            return sum;
          });
          group.forEach((slot, row) => {
            let sum = f32(back[slot] * mean);
            for (let k = 0; k < size; k++) sum = f32(sum + f32(U[row][k] * f32(memberBack[k] * differences[k])));
            below[slot] = sum;
          });
        }
        delta = below;
      }
    }
    let squares = 0;
    for (const v of th) squares += f32(v * v);
    const excess = Math.max(f32(squares / (2 * P)) - maxnorm, 0);
    const barrierSlope = f32((excess * excess) / P);
    for (let p = 0; p < P; p++) out[p] = -f32(f32(g[p]) + f32(barrierSlope * th[p]));
  };
}

/**
 * The field −∇(L + R) as a double-float kernel with float32 activation tails would compute it
 * (network coordinates): every per-sample sum and product exact (double-float arithmetic, ~48 bits,
 * taken as exact) and only the activations' small parts in float32: softplus(z) = max(z, 0) + t(z)
 * with the tail t(z) = log1p(e^−|z|) and its slope σ(z) = [z ≥ 0] − sign(z)·σ(−|z|), each tail
 * evaluated in float32 at z rounded to float32 (an absolute error ≤ u·t instead of float32's
 * u·|softplus(z)|). The data stay float64, as for the exact Hessian it is paired with: float32 data
 * with a float64-data Hessian would be a mismatch of their own, not the tails' error.
 */
function doubleFloatField(arch: Architecture, data: Dataset, maxnorm: number) {
  const { layers, count: P } = parameterLayout(arch);
  const L = arch.hidden.length;
  const { x: xs, y: ys } = data;
  const d = arch.inputDim;
  const tail = (z: number) => f32(Math.log1p(Math.exp(-Math.abs(f32(z)))));
  const slopeTail = (z: number) => f32(sigmoid(-Math.abs(f32(z))));
  return (th: Float64Array, out: Float64Array) => {
    const g = new Float64Array(P);
    for (let n = 0; n < data.samples; n++) {
      const acts: Float64Array[] = [xs.subarray(n * d, n * d + d)];
      const slopes: Float64Array[] = [];
      for (let l = 0; l < L; l++) {
        const { fanIn, fanOut, weightOffset, biasOffset } = layers[l];
        const act = new Float64Array(fanOut);
        const slope = new Float64Array(fanOut);
        for (let j = 0; j < fanOut; j++) {
          let z = biasOffset >= 0 ? th[biasOffset + j] : 0;
          for (let i = 0; i < fanIn; i++) z += th[weightOffset + j * fanIn + i] * acts[l][i];
          act[j] = Math.max(z, 0) + tail(z);
          slope[j] = z >= 0 ? 1 - slopeTail(z) : slopeTail(z);
        }
        acts.push(act);
        slopes.push(slope);
      }
      const output = layers[L];
      let f = output.biasOffset >= 0 ? th[output.biasOffset] : 0;
      for (let j = 0; j < output.fanIn; j++) f += th[output.weightOffset + j] * acts[L][j];
      let delta = Float64Array.of((2 * (f - ys[n])) / data.samples);
      for (let l = L; l >= 0; l--) {
        const { fanIn, fanOut, weightOffset, biasOffset } = layers[l];
        for (let j = 0; j < fanOut; j++) {
          if (biasOffset >= 0) g[biasOffset + j] += delta[j];
          for (let i = 0; i < fanIn; i++) g[weightOffset + j * fanIn + i] += delta[j] * acts[l][i];
        }
        if (l === 0) break;
        const below = new Float64Array(fanIn);
        for (let i = 0; i < fanIn; i++) {
          let sum = 0;
          for (let j = 0; j < fanOut; j++) sum += th[weightOffset + j * fanIn + i] * delta[j];
          below[i] = sum * slopes[l - 1][i];
        }
        delta = below;
      }
    }
    let squares = 0;
    for (const v of th) squares += v * v;
    const excess = Math.max(squares / (2 * P) - maxnorm, 0);
    for (let p = 0; p < P; p++) out[p] = -(g[p] + ((excess * excess) / P) * th[p]);
  };
}

type Variant =
  | 'float64'
  | 'network coordinates'
  | 'grouped gradient, network Hessian'
  | 'group coordinates'
  | 'group coordinates, difference Hessian'
  | 'grouped gradient, exact Hessian'
  | 'grouped gradient with exact forward pass, exact Hessian'
  | 'θ in float32 in group coordinates, exact gradient and Hessian'
  | 'θ as two floats, f(θ_hi) − H·θ_lo, exact gradient and Hessian'
  | 'θ as two floats, float32 grouped f(θ_hi) − H·θ_lo, exact Hessian'
  | 'θ as two floats, float32 grouped f(θ_hi) with exact forward pass − H·θ_lo, exact Hessian'
  | 'double-float θ and gradient, float32 Hessian in network coordinates'
  | 'double-float θ and gradient, float32 Hessian in group coordinates'
  | 'double-float kernel: float32 activation tails, float32 Hessian in network coordinates'
  | 'double-float kernel: float32 activation tails, exact Hessian'
  | 'double-float θ and gradient, exact Hessian at θ rounded to float32'
  | 'double-float θ and gradient, exact Hessian stored in float32'
  | 'double-float θ, gradient and Hessian, float32 Cholesky refined twice'
  | 'double-float θ, gradient and Hessian, float32 Cholesky refined 6 times'
  | 'double-float θ, gradient, Hessian and solve, stage vectors in float32';
const VARIANTS: Variant[] = [
  'float64',
  'network coordinates',
  'grouped gradient, network Hessian',
  'group coordinates',
  'group coordinates, difference Hessian',
  'grouped gradient, exact Hessian',
  'grouped gradient with exact forward pass, exact Hessian',
  'θ in float32 in group coordinates, exact gradient and Hessian',
  'θ as two floats, f(θ_hi) − H·θ_lo, exact gradient and Hessian',
  'θ as two floats, float32 grouped f(θ_hi) − H·θ_lo, exact Hessian',
  'θ as two floats, float32 grouped f(θ_hi) with exact forward pass − H·θ_lo, exact Hessian',
  'double-float θ and gradient, float32 Hessian in network coordinates',
  'double-float θ and gradient, float32 Hessian in group coordinates',
  'double-float kernel: float32 activation tails, float32 Hessian in network coordinates',
  'double-float kernel: float32 activation tails, exact Hessian',
  'double-float θ and gradient, exact Hessian at θ rounded to float32',
  'double-float θ and gradient, exact Hessian stored in float32',
  'double-float θ, gradient and Hessian, float32 Cholesky refined twice',
  'double-float θ, gradient and Hessian, float32 Cholesky refined 6 times',
  'double-float θ, gradient, Hessian and solve, stage vectors in float32',
];

/**
 * W x = v as the stiff kernel would solve it with W in two floats: a float32 Cholesky factor of W's
 * float32 rounding (emulated: the float64 factor of the rounded W, rounded), float32 solves, then
 * `refinements` steps x ← x + W₃₂⁻¹(v − W x) with the residual against the full W (Dot2 in the kernel).
 */
function refinedFloat32Solver(refinements: number) {
  return (W: Float64Array, P: number) => {
    const factorization = cholesky(Float64Array.from(W, f32), P);
    if (!factorization.ok) return null;
    const factor = Float64Array.from(factorization.factor, f32);
    const solve32 = (v: Float64Array) => Float64Array.from(choleskySolve(factor, P, Float64Array.from(v, f32)), f32);
    return (v: Float64Array) => {
      const x = solve32(v);
      for (let k = 0; k < refinements; k++) {
        const residual = new Float64Array(P);
        for (let p = 0; p < P; p++) {
          let sum = v[p];
          for (let q = 0; q < P; q++) sum -= W[p * P + q] * x[q];
          residual[p] = sum;
        }
        const correction = solve32(residual);
        for (let p = 0; p < P; p++) x[p] = f32(x[p] + correction[p]);
      }
      return x;
    };
  };
}

function variantField(variant: Variant, exact: StiffVectorField, arch: Architecture, data: Dataset, maxnorm: number, seed: number): StiffVectorField {
  if (variant === 'float64') return exact;
  const P = parameterLayout(arch).count;
  const noise = new RandomStream(seed, 0, 99);
  const grouped = variant !== 'network coordinates';
  const groupsAt = (theta: Float64Array): LayerGroups => (grouped ? closeLayerGroups(arch, theta) : []);
  const field32 = float32GroupedField(arch, data, maxnorm, variant.includes('exact forward'));
  const inGroups = (theta: Float64Array, groups: LayerGroups) => Float64Array.from(layerGroupCoordinates(arch, theta, groups, true), f32);
  const addNoise = (H: Float64Array) => {
    for (let i = 0; i < P; i++) {
      for (let j = 0; j <= i; j++) {
        const e = Math.sqrt(3) * UNIT_ROUNDOFF * Math.sqrt(Math.abs(H[i * P + i] * H[j * P + j])) * noise.uniformIn(-1, 1);
        H[i * P + j] += e;
        if (i !== j) H[j * P + i] += e;
      }
    }
  };
  if (variant.endsWith('stage vectors in float32')) {
    // the solve exact (double-float Cholesky), its result, hence every kⱼ, rounded to float32
    const solver = (W: Float64Array, P: number) => {
      const solve = choleskySolver(W, P);
      return solve && ((v: Float64Array) => Float64Array.from(solve(v), f32));
    };
    return { ...exact, solver };
  }
  if (variant.includes('float32 Cholesky')) {
    return { ...exact, solver: refinedFloat32Solver(variant.endsWith('twice') ? 2 : 6) };
  }
  if (variant.startsWith('double-float')) {
    // θ and the field in double-float arithmetic (about 48 bits: taken as exact here), the Hessian
    // as float32 leaves it, at θ's float32 rounding, with its errors in network or group coordinates
    const tailed = doubleFloatField(arch, data, maxnorm);
    return {
      f: variant.includes('tails') ? tailed : exact.f,
      hessian: (theta, out) => {
        if (variant.endsWith('exact Hessian') || variant.endsWith('stored in float32')) {
          exact.hessian(theta, out);
          if (variant.endsWith('stored in float32')) for (let k = 0; k < out.length; k++) out[k] = f32(out[k]);
          return;
        }
        exact.hessian(Float64Array.from(theta, f32), out);
        if (variant.endsWith('rounded to float32')) return;
        if (variant.endsWith('network coordinates')) {
          addNoise(out);
          return;
        }
        const groups = closeLayerGroups(arch, theta);
        const H = layerGroupCoordinatesOfMatrix(arch, out, groups, true);
        addNoise(H);
        out.set(layerGroupCoordinatesOfMatrix(arch, H, groups, false));
      },
      hessianCost: exact.hessianCost,
    };
  }
  if (variant.startsWith('θ in float32')) {
    const rounded = (theta: Float64Array) => {
      const groups = groupsAt(theta);
      return layerGroupCoordinates(arch, inGroups(theta, groups), groups, false);
    };
    return { f: (theta, out) => exact.f(rounded(theta), out), hessian: (theta, out) => exact.hessian(theta, out), hessianCost: exact.hessianCost };
  }
  if (variant.startsWith('θ as two floats')) {
    const H = new Float64Array(P * P);
    return {
      f: (theta, out) => {
        const groups = groupsAt(theta);
        const turned = inGroups(theta, groups);
        const high = layerGroupCoordinates(arch, turned, groups, false);
        if (variant.includes('float32 grouped')) {
          const field = new Float64Array(P);
          field32(turned, groups, field);
          out.set(layerGroupCoordinates(arch, field, groups, false));
        } else {
          exact.f(high, out);
        }
        exact.hessian(high, H);
        for (let p = 0; p < P; p++) {
          let sum = 0;
          for (let q = 0; q < P; q++) sum += H[p * P + q] * (theta[q] - high[q]);
          out[p] -= sum;
        }
      },
      hessian: (theta, out) => exact.hessian(theta, out),
      hessianCost: exact.hessianCost,
    };
  }
  return {
    f: (theta, out) => {
      const groups = groupsAt(theta);
      const field = new Float64Array(P);
      field32(inGroups(theta, groups), groups, field);
      out.set(layerGroupCoordinates(arch, field, groups, false));
    },
    hessian: (theta, out) => {
      const groups = groupsAt(theta);
      if (variant === 'group coordinates, difference Hessian') {
        const th = inGroups(theta, groups);
        const [plus, minus] = [new Float64Array(P), new Float64Array(P)];
        const H = new Float64Array(P * P);
        for (let p = 0; p < P; p++) {
          const step = Math.cbrt(UNIT_ROUNDOFF) * Math.max(Math.abs(th[p]), 1);
          const [up, down] = [th.slice(), th.slice()];
          up[p] = f32(th[p] + step);
          down[p] = f32(th[p] - step);
          field32(up, groups, plus);
          field32(down, groups, minus);
          for (let q = 0; q < P; q++) H[q * P + p] = -(plus[q] - minus[q]) / (up[p] - down[p]);
        }
        for (let p = 0; p < P; p++) {
          for (let q = 0; q < p; q++) H[p * P + q] = H[q * P + p] = (H[p * P + q] + H[q * P + p]) / 2;
        }
        out.set(layerGroupCoordinatesOfMatrix(arch, H, groups, false));
        return;
      }
      exact.hessian(Float64Array.from(theta, f32), out);
      if (variant.endsWith('exact Hessian')) return;
      if (variant === 'group coordinates') {
        const H = layerGroupCoordinatesOfMatrix(arch, out, groups, true);
        addNoise(H);
        out.set(layerGroupCoordinatesOfMatrix(arch, H, groups, false));
      } else {
        addNoise(out);
      }
    },
    hessianCost: exact.hessianCost,
  };
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'max-steps': { type: 'string', default: '20000' }, solver: { type: 'string', default: 'ros34pw2' }, variants: { type: 'string' }, check: { type: 'boolean' }, 'check-at': { type: 'string' },
  },
});
const [file, seedText] = positionals;
const usage = 'usage: npx tsx benchmarks/float32-deep-flow.ts RUNS.jsonl SEED [--variants 0,1,...] [--max-steps N] [--solver rodas4|ros34pw2] [--check [--check-at STEPS,…]]';
const solver = values.solver as StiffSolver;
if (!file || seedText === undefined || (solver !== 'rodas4' && solver !== 'ros34pw2')) {
  console.error(usage);
  process.exit(2);
}
const record = recordOfSeed(file, Number(seedText));
const { arch, theta: start } = parseParameterFile(JSON.stringify(record.params0));
if (arch.activation !== 'softplus' || !arch.biases) {
  console.error('the float32 emulation covers softplus networks with biases');
  process.exit(2);
}
const maxnorm = record.config.maxnorm ?? 1000;
const data = datasetFor(record.config, record.seed);
const exact = networkFlowField(arch, data, { maxnorm });
const P = start.length;
if (values.check) {
  // the emulated float32 gradient against the float64 one at the run's start and end, max-norm
  // error relative to the largest entry, in network and in group coordinates
  const end = Float64Array.from(parseParameterFile(JSON.stringify(record.params)).theta, f32);
  const points: [string, Float64Array][] = [['start', start], ['end', end]];
  for (const steps of (values['check-at'] ?? '').split(',').filter(Boolean).map(Number)) {
    // the float64 flow's θ after that many accepted steps
    const run = integrateRosenbrock(exact, start, { rtol: 1e-3, atol: 1e-6, method: solver, maxSteps: steps, stop: (theta) => weightNorm(theta) >= maxnorm });
    points.push([`step ${run.steps} (weight norm ${weightNorm(run.theta).toFixed(0)})`, Float64Array.from(run.theta, f32)]);
  }
  for (const [label, theta] of points) {
    const want = new Float64Array(P);
    exact.f(theta, want);
    const tailed = new Float64Array(P);
    doubleFloatField(arch, data, maxnorm)(theta, tailed);
    const size = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const error = tailed.reduce((m, v, k) => Math.max(m, Math.abs(v - want[k])), 0);
    console.log(`${label}, double-float kernel with float32 activation tails: gradient error ${(error / size).toExponential(2)} of its largest entry ${size.toExponential(2)}`);
    const chosen = closeLayerGroups(arch, theta);
    // network coordinates, every layer's groups, and each layer's groups alone
    const groupings: LayerGroups[] = [[], chosen, ...(chosen.filter((g) => g.length > 0).length > 1 ? chosen.map((g, l) => chosen.map((_, m) => (m === l ? g : []))) : [])];
    for (const [groups, exactForward] of [...groupings.map((g) => [g, false] as const), [chosen, true] as const]) {
      const field = new Float64Array(P);
      float32GroupedField(arch, data, maxnorm, exactForward)(layerGroupCoordinates(arch, theta, groups, true), groups, field);
      const got = layerGroupCoordinates(arch, field, groups, false);
      let [error, size] = [0, 0];
      for (let k = 0; k < P; k++) [error, size] = [Math.max(error, Math.abs(got[k] - want[k])), Math.max(size, Math.abs(want[k]))];
      const where = got.reduce((worst, v, k) => (Math.abs(v - want[k]) > Math.abs(got[worst] - want[worst]) ? k : worst), 0);
      console.log(`${label}, ${groups.length ? `group coordinates ${JSON.stringify(groups)}` : 'network coordinates'}${exactForward ? ', exact forward pass' : ''}: gradient error ${(error / size).toExponential(2)} of its largest entry ${size.toExponential(2)} (worst: parameter ${where}, ${got[where].toExponential(3)} against ${want[where].toExponential(3)})`);
    }
  }
  process.exit(0);
}
const maxSteps = Number(values['max-steps']);
console.log(`seed ${record.seed}, hidden [${arch.hidden.join(', ')}], N = ${data.samples}, ${solver}: accepted steps to the barrier (weight norm ${maxnorm}), at most ${maxSteps}`);
console.log('| errors | steps | rejected | flow time | weight norm | wall |\n| --- | --- | --- | --- | --- | --- |');
const chosen = values.variants ? values.variants.split(',').map(Number) : VARIANTS.map((_, k) => k);
for (const variant of VARIANTS.filter((_, k) => chosen.includes(k))) {
  const started = Date.now();
  const run = integrateRosenbrock(variantField(variant, exact, arch, data, maxnorm, record.seed), start, {
    rtol: 1e-3, atol: 1e-6, method: solver, maxSteps, stop: (theta) => weightNorm(theta) >= maxnorm,
  });
  const wall = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`| ${variant} | ${run.steps} | ${run.rejected + run.factorizationFailures} | ${run.t.toExponential(2)} | ${weightNorm(run.theta).toFixed(0)} | ${wall} s |`);
}
