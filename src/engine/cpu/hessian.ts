// The exact Hessian of L + R for a one-hidden-layer network in ONE pass over the samples, float64.
// The stiff solver needs the whole matrix every step; assembling it from P Hessian-vector products
// repeats the forward pass and the activations P times and costs ~P·(10P) flops per sample, while
// the closed form below costs ~P²/2: for the paper's d = 2, r = 4…8 networks about 10× less.
//
// f(x) = Σⱼ aⱼσ(zⱼ) + c, zⱼ = uⱼ·x̃ with uⱼ = (wⱼ, bⱼ) and x̃ = (x, 1) (no 1 without biases).
// L = (1/N)Σₙ rₙ², rₙ = f(xₙ) − yₙ, so ∇²L = (2/N)Σₙ (JₙJₙᵀ + rₙ∇²fₙ) with
//   ∂f/∂uⱼ = aⱼσ′(zⱼ)x̃,  ∂f/∂aⱼ = σ(zⱼ),  ∂f/∂c = 1,
//   ∂²f/∂uⱼ∂uⱼ = aⱼσ″(zⱼ)x̃x̃ᵀ,  ∂²f/∂uⱼ∂aⱼ = σ′(zⱼ)x̃  (every other second derivative is 0).
// The barrier R = (wn − maxnorm)³/3, wn = Σθ²/(2P), adds R″/P²·θθᵀ + R′/P·I.
// Plain float64 sums: the matrix is the solver's Jacobian, whose rounding only perturbs the step
// (the loss and gradient, which decide where a run goes, keep their compensated sums).
import type { Dataset } from '../../data/dataset.js';
import { activationFunctions } from '../../model/activations.js';
import { parameterLayout, type Architecture, type ParameterLayout } from '../../model/architecture.js';
import { barrierTerms } from '../engine.js';
import { loadInputTile, neuronPreActivations } from './sample-tiles.js';

/** Whether networkHessian handles this architecture (one hidden layer); deeper nets use deepNetworkHessian. */
export function hasClosedFormHessian(arch: Architecture): boolean {
  return arch.hidden.length === 1;
}

/**
 * Writes ∇²(L + R) at θ (row-major P×P, symmetric) into `out` for dataset `datasetIndex` of `data`.
 * One hidden layer only (hasClosedFormHessian).
 */
export function networkHessian(arch: Architecture, data: Dataset, datasetIndex: number, theta: Float64Array, maxnorm: number, out: Float64Array, basis?: HessianBasis): void {
  if (!hasClosedFormHessian(arch)) throw new RangeError('the closed-form Hessian handles one hidden layer; use Hessian-vector products');
  const layout = parameterLayout(arch);
  const P = layout.count;
  const Q = basis ? checkBasis(basis, P) : P;
  if (theta.length !== P || out.length !== Q * Q) throw new RangeError(`expected ${P} parameters and a ${Q}×${Q} matrix`);
  const [hidden, output] = layout.layers;
  const d = arch.inputDim;
  const r = hidden.fanOut;
  const inputLength = d + (arch.biases ? 1 : 0);
  const activation = activationFunctions(arch.activation);
  const derivatives = new Float64Array(4);

  // index of entry t of neuron j's input vector ũⱼ = (wⱼ, bⱼ) in θ
  const inputIndex = new Int32Array(r * inputLength);
  for (let j = 0; j < r; j++) {
    for (let t = 0; t < d; t++) inputIndex[j * inputLength + t] = hidden.weightOffset + j * d + t;
    if (arch.biases) inputIndex[j * inputLength + d] = hidden.biasOffset + j;
  }
  const outputIndex = (j: number) => output.weightOffset + j;

  const jacobian = new Float64Array(P);
  const projected = basis ? new Float64Array(Q) : jacobian;
  // the Gauss–Newton part Σₙ JₙJₙᵀ as dot products of Jacobian columns over tiles of samples, each
  // column contiguous (column k of the tile at k·HESSIAN_TILE): ~3× faster than a rank-one update per
  // sample at d = 2, r = 4…8
  const tile = new Float64Array(Q * HESSIAN_TILE);
  let tiled = 0;
  // in a basis the residual part is summed in θ's coordinates and projected once at the end
  const residualPart = basis ? new Float64Array(P * P) : out;
  const xTilde = new Float64Array(inputLength);
  const slope = new Float64Array(r);
  const curvature = new Float64Array(r);
  out.fill(0);
  const N = data.samples;
  for (let n = 0; n < N; n++) {
    const sample = datasetIndex * N + n;
    for (let t = 0; t < d; t++) xTilde[t] = data.x[sample * d + t];
    if (arch.biases) xTilde[d] = 1;
    let f = arch.biases ? theta[output.biasOffset] : 0;
    for (let j = 0; j < r; j++) {
      let z = 0;
      for (let t = 0; t < inputLength; t++) z += theta[inputIndex[j * inputLength + t]] * xTilde[t];
      activation.evaluate(z, derivatives);
      const a = theta[outputIndex(j)];
      f += a * derivatives[0];
      slope[j] = derivatives[1];
      curvature[j] = derivatives[2];
      jacobian[outputIndex(j)] = derivatives[0];
      for (let t = 0; t < inputLength; t++) jacobian[inputIndex[j * inputLength + t]] = a * derivatives[1] * xTilde[t];
    }
    if (arch.biases) jacobian[output.biasOffset] = 1;
    const residual = f - data.y[sample];

    // in a basis, MᵀJ: Jacobian entries that cancel along the basis (a channel's carriers) cancel
    // before they are squared
    if (basis) projectOnto(basis, jacobian, projected);
    for (let k = 0; k < Q; k++) tile[k * HESSIAN_TILE + tiled] = projected[k];
    if (++tiled === HESSIAN_TILE || n === N - 1) {
      addTileGram(tile, tiled, Q, out);
      tiled = 0;
    }
    // residual times f's own second derivatives: per neuron, the ũũ block and the ũ–a column
    for (let j = 0; j < r; j++) {
      const a = theta[outputIndex(j)];
      const blockScale = residual * a * curvature[j];
      const crossScale = residual * slope[j];
      const aIndex = outputIndex(j);
      for (let s = 0; s < inputLength; s++) {
        const ks = inputIndex[j * inputLength + s];
        const rowScale = blockScale * xTilde[s];
        // a neuron's ũ entries increase along ũ (parameterLayout: a layer's weights, then its biases): t ≥ s is the upper triangle
        for (let t = s; t < inputLength; t++) residualPart[ks * P + inputIndex[j * inputLength + t]] += rowScale * xTilde[t];
        // ũ entries precede the output weights in the layout, so (ks, aIndex) is in the upper triangle
        residualPart[ks * P + aIndex] += crossScale * xTilde[s];
      }
    }
  }

  if (!basis) {
    addBarrierAndMirror(theta, maxnorm, N, out, 'upper');
    return;
  }
  // the residual part and the barrier in θ's coordinates, then projected onto the Gauss–Newton sums
  addBarrierAndMirror(theta, maxnorm, N, residualPart, 'upper');
  const scale = 2 / N;
  for (let k = 0; k < Q; k++) for (let l = k; l < Q; l++) out[k * Q + l] *= scale;
  addCongruence(residualPart, P, basis, out);
  mirror(out, Q, 'upper');
}

/** Samples per tile of networkHessian's Gauss–Newton sums: Q columns of it stay in L1 for Q ≤ 64. */
const HESSIAN_TILE = 64;

/** out (Q×Q, upper triangle) += Σₙ tₙtₙᵀ over the first `count` samples of a tile (column k at k·HESSIAN_TILE). */
function addTileGram(tile: Float64Array, count: number, Q: number, out: Float64Array): void {
  for (let k = 0; k < Q; k++) {
    const columnK = k * HESSIAN_TILE;
    for (let l = k; l < Q; l++) {
      const columnL = l * HESSIAN_TILE;
      // four partial sums: one running sum waits on each add's latency, four keep the FPU busy
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let n = 0;
      for (; n + 3 < count; n += 4) {
        s0 += tile[columnK + n] * tile[columnL + n];
        s1 += tile[columnK + n + 1] * tile[columnL + n + 1];
        s2 += tile[columnK + n + 2] * tile[columnL + n + 2];
        s3 += tile[columnK + n + 3] * tile[columnL + n + 3];
      }
      for (; n < count; n++) s0 += tile[columnK + n] * tile[columnL + n];
      out[k * Q + l] += s0 + s1 + (s2 + s3);
    }
  }
}

/**
 * A basis M of the directions a Hessian is wanted in: θ = θ₀ + M·y, M row-major P×Q (entry (p, q)
 * at p·Q + q), so the Hessian in y is MᵀHM.
 */
export interface HessianBasis {
  matrix: Float64Array;
  columns: number;
}

function checkBasis(basis: HessianBasis, P: number): number {
  if (!(Number.isInteger(basis.columns) && basis.columns > 0) || basis.matrix.length !== P * basis.columns) {
    throw new RangeError(`a basis of ${basis.columns} directions in ${P} parameters needs ${P}×${basis.columns} entries, got ${basis.matrix.length}`);
  }
  return basis.columns;
}

/** out = Mᵀv */
export function projectOnto(basis: HessianBasis, v: ArrayLike<number>, out: Float64Array = new Float64Array(basis.columns)): Float64Array {
  const Q = basis.columns;
  out.fill(0);
  for (let p = 0; p < v.length; p++) {
    const vp = v[p];
    if (vp === 0) continue;
    const row = p * Q;
    for (let q = 0; q < Q; q++) out[q] += basis.matrix[row + q] * vp;
  }
  return out;
}

/** out (Q×Q, upper triangle) += MᵀAM for a symmetric P×P `a` */
function addCongruence(a: Float64Array, P: number, basis: HessianBasis, out: Float64Array): void {
  const Q = basis.columns;
  const am = new Float64Array(P * Q);
  for (let p = 0; p < P; p++) {
    for (let s = 0; s < P; s++) {
      const value = a[p * P + s];
      if (value === 0) continue;
      for (let q = 0; q < Q; q++) am[p * Q + q] += value * basis.matrix[s * Q + q];
    }
  }
  for (let p = 0; p < P; p++) {
    for (let k = 0; k < Q; k++) {
      const mk = basis.matrix[p * Q + k];
      if (mk === 0) continue;
      for (let l = k; l < Q; l++) out[k * Q + l] += mk * am[p * Q + l];
    }
  }
}

/** Copies one triangle of a symmetric n×n matrix onto the other. */
function mirror(a: Float64Array, n: number, triangle: 'upper' | 'lower'): void {
  for (let k = 0; k < n; k++) {
    for (let l = k + 1; l < n; l++) {
      if (triangle === 'upper') a[l * n + k] = a[k * n + l];
      else a[k * n + l] = a[l * n + k];
    }
  }
}

/**
 * The data sums in one triangle of `out` (`upper`: entries k ≤ l at k·P + l; `lower`: at l·P + k)
 * times 2/N, plus the barrier's R″/P²·θθᵀ + R′/P·I, written to both triangles.
 */
function addBarrierAndMirror(theta: Float64Array, maxnorm: number, N: number, out: Float64Array, triangle: 'upper' | 'lower'): void {
  const P = theta.length;
  let squares = 0;
  for (let k = 0; k < P; k++) squares += theta[k] * theta[k];
  const barrier = barrierTerms(squares / (2 * P), maxnorm);
  const scale = 2 / N;
  for (let k = 0; k < P; k++) {
    for (let l = k; l < P; l++) {
      let value = scale * out[triangle === 'upper' ? k * P + l : l * P + k] + (barrier.curvature / (P * P)) * theta[k] * theta[l];
      if (k === l) value += barrier.slope / P;
      out[k * P + l] = value;
      out[l * P + k] = value;
    }
  }
}

/**
 * ∇²(L + R) at θ for a network of any depth (row-major P×P, symmetric) into `out`: the columns of P
 * Hessian-vector products along e_j, but per sample the forward and backward pass once (each neuron's
 * σ, σ′, σ″, δ = ∂ℓ/∂z and ∂ℓ/∂a) and then, per column, only what e_j changes: R z is zero below j's
 * layer and in it nonzero for j's neuron alone, and only the entries p ≥ j are summed (parameters go
 * layer by layer, so those need R δ of j's layer and above), the rest mirrored. The GPU's double-float
 * kernel (shaders/mlp_double_float.wgsl df_assemble_hessian) computes the same. Against the full HVP
 * passes (hessianMatrix of evaluateNetwork's HVPs, the oracle in tests) it saves the activations and
 * the layers below each column. Plain float64 sums, as networkHessian.
 *
 * It runs tiles of samples: the passes for a whole tile, then column by column the R-passes over the
 * tile and each entry's sum over the tile's terms with the running sum in a local. Every entry still
 * adds its terms in sample order with the same arithmetic as one sample at a time, so the bits are
 * the same, but the sums no longer walk the matrix down a column (a cache line per entry per sample,
 * half the time before): 2.2–2.8× faster at hidden [4, 4] and [4, 4, 4], d = 2 and 16, N = 1024
 * (benchmarks/results/cpu-engine-deep-2026-12-07.md).
 */
export function deepNetworkHessian(arch: Architecture, data: Dataset, datasetIndex: number, theta: Float64Array, maxnorm: number, out: Float64Array): void {
  const layout = parameterLayout(arch);
  const P = layout.count;
  if (theta.length !== P || out.length !== P * P) throw new RangeError(`expected ${P} parameters and a ${P}×${P} matrix`);
  const widths = [arch.inputDim, ...arch.hidden, 1];
  const levels = widths.length - 1;
  const activation = activationFunctions(arch.activation);
  const derivatives = new Float64Array(4);
  const T = DEEP_HESSIAN_TILE;
  // level l's unit u for the tile's sample t at u·T + t
  const perLevel = () => widths.map((width) => new Float64Array(width * T));
  const [a, slope, curvature, delta, curved, rz, ra, rdelta] = Array.from({ length: 8 }, perLevel);
  const backSums = new Float64Array(T);
  const places = parameterPlaces(layout);
  // entries p ≥ column of column `column` at out[column·P + p]: the upper triangle, mirrored at the end
  out.fill(0);
  const N = data.samples;
  const { y } = data;
  for (let first = 0; first < N; first += T) {
    const count = Math.min(T, N - first);
    const firstSample = datasetIndex * N + first;
    loadInputTile(data, datasetIndex, first, count, T, a[0]);
    for (let level = 1; level <= levels; level++) {
      const { fanIn, fanOut, weightOffset, biasOffset } = layout.layers[level - 1];
      const values = a[level];
      const slopes = slope[level];
      const curvatures = curvature[level];
      for (let j = 0; j < fanOut; j++) {
        // the pre-activations into the values' row, then (hidden layers) each replaced by σ; the output is the identity
        neuronPreActivations(theta, weightOffset + j * fanIn, biasOffset >= 0 ? theta[biasOffset + j] : 0, fanIn, a[level - 1], T, count, values, j * T);
        if (level === levels) continue;
        for (let t = j * T; t < j * T + count; t++) {
          activation.evaluate(values[t], derivatives);
          values[t] = derivatives[0];
          slopes[t] = derivatives[1];
          curvatures[t] = derivatives[2];
        }
      }
    }
    // δ of the loss (f − y)² up to the factor 2, applied with 1/N at the end; curved = σ″·∂ℓ/∂a
    for (let t = 0; t < count; t++) delta[levels][t] = a[levels][t] - y[firstSample + t];
    for (let level = levels; level > 1; level--) {
      const { fanIn, fanOut, weightOffset } = layout.layers[level - 1];
      const deltas = delta[level];
      for (let i = 0; i < fanIn; i++) {
        for (let t = 0; t < count; t++) {
          let back = 0;
          for (let j = 0; j < fanOut; j++) back += theta[weightOffset + j * fanIn + i] * deltas[j * T + t];
          delta[level - 1][i * T + t] = slope[level - 1][i * T + t] * back;
          curved[level - 1][i * T + t] = curvature[level - 1][i * T + t] * back;
        }
      }
    }
    for (let column = 0; column < P; column++) {
      const { level: firstLevel, neuron, input } = places[column];
      // R forward from the column's layer: R z is e_j's alone in it, then W·R a. The sums over i run
      // as the per-sample loops did (from 0, i in order), one weight across the tile at a time
      for (let level = firstLevel; level <= levels; level++) {
        const { fanIn, fanOut, weightOffset } = layout.layers[level - 1];
        const rzs = rz[level];
        const raBelow = ra[level - 1];
        for (let j = 0; j < fanOut; j++) {
          const jt = j * T;
          if (level === firstLevel) {
            const inputs = a[level - 1];
            for (let t = 0; t < count; t++) rzs[jt + t] = j !== neuron ? 0 : input < 0 ? 1 : inputs[input * T + t];
          } else {
            // the first pass adds its term to 0 as the per-sample sum did (0 + −0 is +0)
            const row = weightOffset + j * fanIn;
            const weight = theta[row];
            for (let t = 0; t < count; t++) rzs[jt + t] = 0 + weight * raBelow[t];
            for (let i = 1; i < fanIn; i++) {
              const weight = theta[row + i];
              const it = i * T;
              for (let t = 0; t < count; t++) rzs[jt + t] += weight * raBelow[it + t];
            }
          }
          // ra of the output level is never read
          if (level < levels) {
            const ras = ra[level];
            const slopes = slope[level];
            for (let t = 0; t < count; t++) ras[jt + t] = slopes[jt + t] * rzs[jt + t];
          }
        }
      }
      // R backward to the column's layer, summing R(∂ℓ/∂θ_p) for p ≥ column
      for (let t = 0; t < count; t++) rdelta[levels][t] = rz[levels][t];
      for (let level = levels; level >= firstLevel; level--) {
        const { fanIn, fanOut, weightOffset, biasOffset } = layout.layers[level - 1];
        const above = level > firstLevel;
        const rdeltas = rdelta[level];
        const deltas = delta[level];
        const inputs = a[level - 1];
        const raBelow = ra[level - 1];
        const outColumn = column * P;
        for (let j = 0; j < fanOut; j++) {
          const row = weightOffset + j * fanIn;
          const jt = j * T;
          let i = Math.max(0, column - row);
          // four entries at once: each sum is a chain of dependent adds, four chains keep the FPU busy
          // and share the loads of R δ and δ
          for (; i + 3 < fanIn; i += 4) {
            const it = i * T;
            const entry = outColumn + row + i;
            let sum0 = out[entry];
            let sum1 = out[entry + 1];
            let sum2 = out[entry + 2];
            let sum3 = out[entry + 3];
            if (above) {
              for (let t = 0; t < count; t++) {
                const rd = rdeltas[jt + t];
                const dl = deltas[jt + t];
                sum0 += rd * inputs[it + t] + dl * raBelow[it + t];
                sum1 += rd * inputs[it + T + t] + dl * raBelow[it + T + t];
                sum2 += rd * inputs[it + 2 * T + t] + dl * raBelow[it + 2 * T + t];
                sum3 += rd * inputs[it + 3 * T + t] + dl * raBelow[it + 3 * T + t];
              }
            } else {
              // in the column's own layer R a below is 0: the per-sample loop added rdelta·a + 0, the
              // same sum (one from +0 is never −0, so adding +0 or −0 leaves it unchanged)
              for (let t = 0; t < count; t++) {
                const rd = rdeltas[jt + t];
                sum0 += rd * inputs[it + t];
                sum1 += rd * inputs[it + T + t];
                sum2 += rd * inputs[it + 2 * T + t];
                sum3 += rd * inputs[it + 3 * T + t];
              }
            }
            out[entry] = sum0;
            out[entry + 1] = sum1;
            out[entry + 2] = sum2;
            out[entry + 3] = sum3;
          }
          for (; i < fanIn; i++) {
            const it = i * T;
            let sum = out[outColumn + row + i];
            if (above) for (let t = 0; t < count; t++) sum += rdeltas[jt + t] * inputs[it + t] + deltas[jt + t] * raBelow[it + t];
            else for (let t = 0; t < count; t++) sum += rdeltas[jt + t] * inputs[it + t];
            out[outColumn + row + i] = sum;
          }
          if (biasOffset >= 0 && biasOffset + j >= column) {
            let sum = out[outColumn + biasOffset + j];
            for (let t = 0; t < count; t++) sum += rdeltas[jt + t];
            out[outColumn + biasOffset + j] = sum;
          }
        }
        if (!above) break;
        // R δ below = σ′·(Wᵀ R δ) + σ″·(∂ℓ/∂a)·R z
        const rdeltasBelow = rdelta[level - 1];
        const slopesBelow = slope[level - 1];
        const curvedBelow = curved[level - 1];
        const rzBelow = rz[level - 1];
        const last = (fanOut - 1) * T;
        for (let i = 0; i < fanIn; i++) {
          // Wᵀ R δ summed from 0 over j in order as per sample: the first pass adds to 0, the last finishes R δ below
          const it = i * T;
          const firstWeight = theta[weightOffset + i];
          const lastWeight = theta[weightOffset + (fanOut - 1) * fanIn + i];
          if (fanOut === 1) {
            for (let t = 0; t < count; t++) rdeltasBelow[it + t] = slopesBelow[it + t] * (0 + firstWeight * rdeltas[t]) + curvedBelow[it + t] * rzBelow[it + t];
            continue;
          }
          for (let t = 0; t < count; t++) backSums[t] = 0 + firstWeight * rdeltas[t];
          for (let j = 1; j < fanOut - 1; j++) {
            const weight = theta[weightOffset + j * fanIn + i];
            const jt = j * T;
            for (let t = 0; t < count; t++) backSums[t] += weight * rdeltas[jt + t];
          }
          for (let t = 0; t < count; t++) rdeltasBelow[it + t] = slopesBelow[it + t] * (backSums[t] + lastWeight * rdeltas[last + t]) + curvedBelow[it + t] * rzBelow[it + t];
        }
      }
    }
  }
  addBarrierAndMirror(theta, maxnorm, N, out, 'upper');
}

/** Samples per tile of deepNetworkHessian: at d = 16, hidden [4, 4, 4] a column's rows (~30 KiB) stay in L1; 64 and 128 were no faster. */
const DEEP_HESSIAN_TILE = 32;

/** Each parameter's layer (1-based level), neuron and input (−1 for a bias). */
function parameterPlaces(layout: ParameterLayout): { level: number; neuron: number; input: number }[] {
  const places = [];
  for (let level = 1; level <= layout.layers.length; level++) {
    const { fanIn, fanOut, weightOffset, biasOffset } = layout.layers[level - 1];
    for (let j = 0; j < fanOut; j++) for (let i = 0; i < fanIn; i++) places[weightOffset + j * fanIn + i] = { level, neuron: j, input: i };
    if (biasOffset >= 0) for (let j = 0; j < fanOut; j++) places[biasOffset + j] = { level, neuron: j, input: -1 };
  }
  return places;
}

/**
 * ∇²(L + R) in a basis, MᵀHM (Q×Q) into `out`. One hidden layer: the closed form, with every
 * sample's Jacobian projected before its Gauss–Newton square, so entries that cancel along the
 * basis cancel at the size of the Jacobian, not of its square (a channel's carriers: outgoing
 * weights o ~ 1/ε^{k−1} enter JJᵀ as o², their sum along the channel is O(1)). Deeper networks: the
 * full matrix, then projected (no gain in precision).
 */
export function networkHessianInBasis(arch: Architecture, data: Dataset, datasetIndex: number, theta: Float64Array, maxnorm: number, basis: HessianBasis, out: Float64Array): void {
  if (hasClosedFormHessian(arch)) {
    networkHessian(arch, data, datasetIndex, theta, maxnorm, out, basis);
    return;
  }
  const P = theta.length;
  const Q = checkBasis(basis, P);
  if (out.length !== Q * Q) throw new RangeError(`expected a ${Q}×${Q} matrix`);
  const full = new Float64Array(P * P);
  deepNetworkHessian(arch, data, datasetIndex, theta, maxnorm, full);
  out.fill(0);
  addCongruence(full, P, basis, out);
  mirror(out, Q, 'upper');
}
