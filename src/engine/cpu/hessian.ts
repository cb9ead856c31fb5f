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
 */
export function deepNetworkHessian(arch: Architecture, data: Dataset, datasetIndex: number, theta: Float64Array, maxnorm: number, out: Float64Array): void {
  const layout = parameterLayout(arch);
  const P = layout.count;
  if (theta.length !== P || out.length !== P * P) throw new RangeError(`expected ${P} parameters and a ${P}×${P} matrix`);
  const widths = [arch.inputDim, ...arch.hidden, 1];
  const levels = widths.length - 1;
  const activation = activationFunctions(arch.activation);
  const derivatives = new Float64Array(4);
  const perLevel = () => widths.map((width) => new Float64Array(width));
  const [a, slope, curvature, delta, curved, rz, ra, rdelta] = Array.from({ length: 8 }, perLevel);
  const places = parameterPlaces(layout);
  out.fill(0);
  const N = data.samples;
  const d = arch.inputDim;
  for (let n = 0; n < N; n++) {
    const sample = datasetIndex * N + n;
    for (let i = 0; i < d; i++) a[0][i] = data.x[sample * d + i];
    for (let level = 1; level <= levels; level++) {
      const { fanIn, fanOut, weightOffset, biasOffset } = layout.layers[level - 1];
      for (let j = 0; j < fanOut; j++) {
        let z = biasOffset >= 0 ? theta[biasOffset + j] : 0;
        for (let i = 0; i < fanIn; i++) z += theta[weightOffset + j * fanIn + i] * a[level - 1][i];
        if (level === levels) {
          a[level][j] = z;
        } else {
          activation.evaluate(z, derivatives);
          a[level][j] = derivatives[0];
          slope[level][j] = derivatives[1];
          curvature[level][j] = derivatives[2];
        }
      }
    }
    // δ of the loss (f − y)² up to the factor 2, applied with 1/N at the end; curved = σ″·∂ℓ/∂a
    delta[levels][0] = a[levels][0] - data.y[sample];
    for (let level = levels; level > 1; level--) {
      const { fanIn, fanOut, weightOffset } = layout.layers[level - 1];
      for (let i = 0; i < fanIn; i++) {
        let back = 0;
        for (let j = 0; j < fanOut; j++) back += theta[weightOffset + j * fanIn + i] * delta[level][j];
        delta[level - 1][i] = slope[level - 1][i] * back;
        curved[level - 1][i] = curvature[level - 1][i] * back;
      }
    }
    for (let column = 0; column < P; column++) {
      const { level: first, neuron, input } = places[column];
      // R forward from the column's layer
      for (let level = first; level <= levels; level++) {
        const { fanIn, fanOut, weightOffset } = layout.layers[level - 1];
        for (let j = 0; j < fanOut; j++) {
          let value = 0;
          if (level === first) {
            if (j === neuron) value = input < 0 ? 1 : a[level - 1][input];
          } else {
            for (let i = 0; i < fanIn; i++) value += theta[weightOffset + j * fanIn + i] * ra[level - 1][i];
          }
          rz[level][j] = value;
          ra[level][j] = level < levels ? slope[level][j] * value : 0;
        }
      }
      // R backward to the column's layer, summing R(∂ℓ/∂θ_p) for p ≥ column
      rdelta[levels][0] = rz[levels][0];
      for (let level = levels; level >= first; level--) {
        const { fanIn, fanOut, weightOffset, biasOffset } = layout.layers[level - 1];
        const above = level > first;
        for (let j = 0; j < fanOut; j++) {
          const row = weightOffset + j * fanIn;
          for (let i = 0; i < fanIn; i++) {
            const p = row + i;
            if (p < column) continue;
            out[p * P + column] += rdelta[level][j] * a[level - 1][i] + (above ? delta[level][j] * ra[level - 1][i] : 0);
          }
          if (biasOffset >= 0 && biasOffset + j >= column) out[(biasOffset + j) * P + column] += rdelta[level][j];
        }
        if (!above) break;
        for (let i = 0; i < fanIn; i++) {
          let back = 0;
          for (let j = 0; j < fanOut; j++) back += theta[weightOffset + j * fanIn + i] * rdelta[level][j];
          rdelta[level - 1][i] = slope[level - 1][i] * back + curved[level - 1][i] * rz[level - 1][i];
        }
      }
    }
  }
  addBarrierAndMirror(theta, maxnorm, N, out, 'lower');
}

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
