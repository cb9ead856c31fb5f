// Fukumizu–Amari saddle lines (science.md, "The phenomenon"): duplicate hidden neuron k of an
// r-neuron network θ* into two copies with the same input vector and outgoing weights γ·o* and
// (1 − γ)·o*. Every γ gives an (r+1)-neuron network θ_γ with the same function, so the same loss;
// when θ* is a critical point every θ_γ is one too (the copies' gradients are γ and 1 − γ times the
// original neuron's, which vanish). Segments of the line can be locally stable ("plateau saddles");
// elsewhere the Hessian has a negative eigenvalue and a small push along its eigenvector leaves
// the line.
//
// Any hidden layer can be split: for an earlier layer o* is the neuron's column of the next weight
// matrix (split as a whole), and the argument above holds unchanged, because the next layer's
// pre-activation only sees γ·o*·σ(ũ·x̃) + (1 − γ)·o*·σ(ũ·x̃) = o*·σ(ũ·x̃).
//
// Evaluation goes through a batched callback with the shape of Engine.evaluate (a float64 CPU
// engine or the GPU), so nothing here knows which backend computes.
import { inputCoordinates, outgoingCoordinates, parameterLayout, type Architecture } from '../model/architecture.js';
import { symmetricEigen, symmetrize } from '../numerics/linalg.js';
import { checkLayer, checkNeuron, checkTheta } from './network.js';

/** Loss, barrier, gradient and Hessian-vector products of B networks at once (Engine.evaluate with the data and barrier bound). */
export interface BatchEvaluation {
  loss: Float64Array;
  barrier: Float64Array;
  gradient?: Float64Array;
  hvp?: Float64Array;
}

export type BatchEvaluator = (request: { arch: Architecture; params: Float64Array; directions?: Float64Array; gradient?: boolean }) => Promise<BatchEvaluation>;

export interface NeuronSplit {
  /** hidden layer (0-based); default: the last hidden layer */
  layer?: number;
  /** the neuron to duplicate */
  neuron: number;
}

function resolveSplit(arch: Architecture, split: NeuronSplit): { layer: number; neuron: number } {
  const layer = split.layer ?? arch.hidden.length - 1;
  checkLayer(arch, layer);
  checkNeuron(arch, layer, split.neuron);
  return { layer, neuron: split.neuron };
}

/** The architecture with one more neuron in hidden layer `layer`. */
export function widenedArchitecture(arch: Architecture, layer: number): Architecture {
  checkLayer(arch, layer);
  return { ...arch, hidden: arch.hidden.map((width, l) => (l === layer ? width + 1 : width)) };
}

export interface SplitNetwork {
  arch: Architecture;
  theta: Float64Array;
  layer: number;
  /** the two copies: the original index (outgoing γ·o*) and the new, last neuron of the layer (outgoing (1 − γ)·o*) */
  copies: [number, number];
}

/**
 * θ_γ: neuron `neuron` of hidden layer `layer` split into itself (outgoing γ·o*) and a new neuron
 * appended at the end of the layer (same incoming weights and bias, outgoing (1 − γ)·o*).
 * Any real γ; γ = 1 and γ = 0 put the whole outgoing weight on one copy.
 */
export function splitNeuron(arch: Architecture, theta: ArrayLike<number>, split: NeuronSplit, gamma: number): SplitNetwork {
  checkTheta(arch, theta);
  if (!Number.isFinite(gamma)) throw new RangeError(`γ must be a finite number, got ${gamma}`);
  const { layer, neuron } = resolveSplit(arch, split);
  const oldLayout = parameterLayout(arch);
  const wide = widenedArchitecture(arch, layer);
  const newLayout = parameterLayout(wide);
  const added = arch.hidden[layer];
  const out = new Float64Array(newLayout.count);
  newLayout.layers.forEach((level, index) => {
    const old = oldLayout.layers[index];
    // rows of the split layer's incoming level, columns of the next level: the new neuron reads the split one
    const rowOf = (row: number) => (index === layer && row === added ? neuron : row);
    const colOf = (col: number) => (index === layer + 1 && col === added ? neuron : col);
    for (let row = 0; row < level.fanOut; row++) {
      for (let col = 0; col < level.fanIn; col++) {
        let value = theta[old.weightOffset + rowOf(row) * old.fanIn + colOf(col)];
        if (index === layer + 1 && col === neuron) value *= gamma;
        else if (index === layer + 1 && col === added) value *= 1 - gamma;
        out[level.weightOffset + row * level.fanIn + col] = value;
      }
      if (level.biasOffset >= 0) out[level.biasOffset + row] = theta[old.biasOffset + rowOf(row)];
    }
  });
  return { arch: wide, theta: out, layer, copies: [neuron, added] };
}

/**
 * The inverse of a split: neurons i and j of hidden layer `layer` merged into one at position
 * min(i, j), with the mean of their input vectors and the sum of their outgoing vectors; the other
 * neurons keep their order. Exact for two copies with equal input vectors (a point on a saddle line).
 */
export function mergeNeurons(arch: Architecture, theta: ArrayLike<number>, pair: { layer?: number; i: number; j: number }): { arch: Architecture; theta: Float64Array } {
  const layout = checkTheta(arch, theta);
  const layer = pair.layer ?? arch.hidden.length - 1;
  checkLayer(arch, layer);
  checkNeuron(arch, layer, pair.i);
  checkNeuron(arch, layer, pair.j);
  if (pair.i === pair.j) throw new RangeError(`merging needs two different neurons, got ${pair.i} twice`);
  if (arch.hidden[layer] < 2) throw new RangeError('a layer of one neuron has nothing to merge');
  const keep = Math.min(pair.i, pair.j);
  const drop = Math.max(pair.i, pair.j);
  const narrow: Architecture = { ...arch, hidden: arch.hidden.map((width, l) => (l === layer ? width - 1 : width)) };
  const work = Float64Array.from(theta);
  const rowsKeep = inputCoordinates(layout, layer, keep);
  const rowsDrop = inputCoordinates(layout, layer, drop);
  rowsKeep.forEach((index, k) => (work[index] = (theta[index] + theta[rowsDrop[k]]) / 2));
  const colsKeep = outgoingCoordinates(layout, layer, keep);
  const colsDrop = outgoingCoordinates(layout, layer, drop);
  colsKeep.forEach((index, k) => (work[index] = theta[index] + theta[colsDrop[k]]));
  const newLayout = parameterLayout(narrow);
  const out = new Float64Array(newLayout.count);
  newLayout.layers.forEach((level, index) => {
    const old = layout.layers[index];
    const rowOf = (row: number) => (index === layer && row >= drop ? row + 1 : row);
    const colOf = (col: number) => (index === layer + 1 && col >= drop ? col + 1 : col);
    for (let row = 0; row < level.fanOut; row++) {
      for (let col = 0; col < level.fanIn; col++) out[level.weightOffset + row * level.fanIn + col] = work[old.weightOffset + rowOf(row) * old.fanIn + colOf(col)];
      if (level.biasOffset >= 0) out[level.biasOffset + row] = work[old.biasOffset + rowOf(row)];
    }
  });
  return { arch: narrow, theta: out };
}

/** dθ_γ/dγ: +o* on the first copy's outgoing weights, −o* on the second's (an exact null direction of the loss). */
export function saddleLineTangent(split: SplitNetwork): Float64Array {
  const layout = parameterLayout(split.arch);
  const [first, second] = split.copies;
  const tangent = new Float64Array(layout.count);
  const firstCols = outgoingCoordinates(layout, split.layer, first);
  const secondCols = outgoingCoordinates(layout, split.layer, second);
  // o* = γo* + (1 − γ)o*: the sum of the two copies' outgoing weights
  firstCols.forEach((index, k) => {
    const total = split.theta[index] + split.theta[secondCols[k]];
    tangent[index] = total;
    tangent[secondCols[k]] = -total;
  });
  return tangent;
}

/** Full Hessians of several networks of one architecture, from one batched call with P unit directions each (symmetrised). */
export async function hessians(evaluate: BatchEvaluator, arch: Architecture, thetas: readonly Float64Array[]): Promise<Float64Array[]> {
  const P = parameterLayout(arch).count;
  const B = thetas.length * P;
  const params = new Float64Array(B * P);
  const directions = new Float64Array(B * P);
  thetas.forEach((theta, t) => {
    if (theta.length !== P) throw new RangeError(`network ${t} holds ${theta.length} parameters, the architecture has ${P}`);
    for (let column = 0; column < P; column++) {
      const net = t * P + column;
      params.set(theta, net * P);
      directions[net * P + column] = 1;
    }
  });
  const { hvp } = await evaluate({ arch, params, directions });
  if (!hvp) throw new Error('the evaluator returned no Hessian-vector products');
  return thetas.map((_, t) => {
    const matrix = new Float64Array(P * P);
    for (let column = 0; column < P; column++) {
      const net = t * P + column;
      for (let row = 0; row < P; row++) matrix[row * P + column] = hvp[net * P + row];
    }
    symmetrize(matrix, P);
    return matrix;
  });
}

/** Unit vector with its largest-magnitude entry positive (eigenvectors have no sign of their own). */
function orientedUnit(vector: Float64Array): Float64Array {
  let norm = 0;
  let largest = 0;
  for (const v of vector) {
    norm += v * v;
    if (Math.abs(v) > Math.abs(largest)) largest = v;
  }
  norm = Math.sqrt(norm) * (largest < 0 ? -1 : 1);
  return vector.map((v) => v / norm);
}

export interface Spectrum {
  /** ascending */
  eigenvalues: Float64Array;
  /** unit eigenvector of the smallest eigenvalue, oriented so its largest entry is positive */
  minDirection: Float64Array;
  /** unit eigenvector of the largest eigenvalue, same orientation rule */
  maxDirection: Float64Array;
}

export function spectrumOf(hessian: Float64Array, P: number): Spectrum {
  const { values, vectors } = symmetricEigen(hessian, P, { vectors: true });
  const column = (k: number) => Float64Array.from({ length: P }, (_, i) => vectors![i * P + k]);
  return { eigenvalues: values, minDirection: orientedUnit(column(0)), maxDirection: orientedUnit(column(P - 1)) };
}

export interface SaddleLinePoint {
  gamma: number;
  /** MSE (no ½) and barrier of θ_γ */
  loss: number;
  barrier: number;
  /** ‖∇(L + R)‖∞ and ‖∇(L + R)‖₂ at θ_γ */
  gradInf: number;
  gradNorm: number;
  /** full Hessian spectrum (ascending), or null when the spectrum was not requested */
  eigenvalues: number[] | null;
  minEigenvalue: number | null;
  maxEigenvalue: number | null;
  /** unit eigenvector of the smallest eigenvalue: the direction to perturb θ_γ along */
  minDirection: number[] | null;
  /** |t·H·t|/‖t‖² along the saddle line's tangent t (0 up to rounding: a flat direction), null without spectrum */
  tangentCurvature: number | null;
}

export interface SaddleLineProfile {
  /** the (r+1)-neuron architecture */
  arch: Architecture;
  layer: number;
  copies: [number, number];
  points: SaddleLinePoint[];
  /** θ_γ for every γ, in the order of points */
  thetas: Float64Array[];
}

export interface SaddleLineOptions extends NeuronSplit {
  gammas: readonly number[];
  /** compute the full Hessian spectrum at every γ (P HVPs each); default: when P ≤ 128 */
  spectrum?: boolean;
}

/** Full spectra by default only up to this many parameters (Jacobi on P×P per γ). */
export const SADDLE_LINE_SPECTRUM_MAX_PARAMETERS = 128;

/**
 * Loss, gradient and (for small networks) the Hessian spectrum along the saddle line of θ* through
 * its neuron `split.neuron`, at each γ: two batched evaluations (all γ at once for the gradients,
 * all γ × P unit directions for the Hessians).
 */
export async function saddleLineProfile(evaluate: BatchEvaluator, arch: Architecture, theta: ArrayLike<number>, options: SaddleLineOptions): Promise<SaddleLineProfile> {
  if (options.gammas.length === 0) throw new RangeError('a saddle-line profile needs at least one γ');
  const splits = options.gammas.map((gamma) => splitNeuron(arch, theta, options, gamma));
  const wide = splits[0].arch;
  const P = parameterLayout(wide).count;
  const thetas = splits.map((split) => split.theta);
  const params = new Float64Array(thetas.length * P);
  thetas.forEach((t, k) => params.set(t, k * P));
  const values = await evaluate({ arch: wide, params, gradient: true });
  if (!values.gradient) throw new Error('the evaluator returned no gradient');
  const wantSpectrum = options.spectrum ?? P <= SADDLE_LINE_SPECTRUM_MAX_PARAMETERS;
  const matrices = wantSpectrum ? await hessians(evaluate, wide, thetas) : null;
  const points = splits.map((split, k): SaddleLinePoint => {
    let gradInf = 0;
    let gradSquares = 0;
    for (let p = 0; p < P; p++) {
      const g = values.gradient![k * P + p];
      gradInf = Math.max(gradInf, Math.abs(g));
      gradSquares += g * g;
    }
    const base = { gamma: options.gammas[k], loss: values.loss[k], barrier: values.barrier[k], gradInf, gradNorm: Math.sqrt(gradSquares) };
    if (!matrices) return { ...base, eigenvalues: null, minEigenvalue: null, maxEigenvalue: null, minDirection: null, tangentCurvature: null };
    const spectrum = spectrumOf(matrices[k], P);
    const tangent = saddleLineTangent(split);
    let tHt = 0;
    let tt = 0;
    for (let i = 0; i < P; i++) {
      tt += tangent[i] * tangent[i];
      for (let j = 0; j < P; j++) tHt += tangent[i] * matrices[k][i * P + j] * tangent[j];
    }
    return {
      ...base,
      eigenvalues: Array.from(spectrum.eigenvalues),
      minEigenvalue: spectrum.eigenvalues[0],
      maxEigenvalue: spectrum.eigenvalues[P - 1],
      minDirection: Array.from(spectrum.minDirection),
      tangentCurvature: tt > 0 ? Math.abs(tHt) / tt : 0,
    };
  });
  return { arch: wide, layer: splits[0].layer, copies: splits[0].copies, points, thetas };
}

/** θ + size·direction/‖direction‖. */
export function perturbAlong(theta: ArrayLike<number>, direction: ArrayLike<number>, size: number): Float64Array {
  if (theta.length !== direction.length) throw new RangeError(`direction of ${direction.length} values for ${theta.length} parameters`);
  let norm = 0;
  for (let k = 0; k < direction.length; k++) norm += direction[k] * direction[k];
  norm = Math.sqrt(norm);
  if (!(norm > 0)) throw new RangeError('cannot perturb along a zero direction');
  return Float64Array.from(theta, (value, k) => value + (size * direction[k]) / norm);
}
