// The limit of a channel carried by k ≥ 2 neurons of one hidden layer: the GLU's higher-order
// analogue (glu.ts is the pair, k = 2).
//
// k neurons with input vectors ũ_m = w̄ + δ_m around their mean w̄ and outgoing vectors o_m compute,
// by Taylor expansion in the offsets (x̃ the layer input with a 1 appended when biases are on),
//   Σ_m o_m·σ(ũ_m·x̃) = Σ_n (1/n!)·T_n[x̃,…,x̃]·σ⁽ⁿ⁾(w̄·x̃),   T_n = Σ_m o_m·δ_m^{⊗n},
// T_n[x̃,…,x̃] = Σ_m o_m·(δ_m·x̃)ⁿ. Along a channel the offsets shrink like ε and the outgoing weights
// grow like ε^{1−k}, weighted like a finite-difference stencil, so T_0 … T_{k−1} stay finite and
// T_k → 0 (like ε, or ε² for a symmetric stencil, as measured): the limit holds the derivatives σ … σ⁽ᵏ⁻¹⁾ at w̄·x̃. For a pair this is
// c·σ(w·x̃) + a·(Δ·x̃)·σ′(w·x̃) (T_0 = c, T_1 = aΔ); three neurons whose outgoing weights go like
// (1, −2, 1)/ε² add ½·(x̃ᵀMx̃)·σ″(w̄·x̃) with M = T_2 finite. Measured on the flow sweep's three-neuron
// channels (benchmarks/results/channel-groups-2026-12-06.md): raising the barrier tenfold multiplies
// their outgoing weights by √10 and shrinks their spread by 10^{1/4}, with T_0, T_1, T_2 unchanged.
//
// The activations provide σ … σ‴, so a limit holds at most MAX_LIMIT_ORDER + 1 = 4 neurons.
import { inputCoordinates, outgoingCoordinates, type Architecture } from '../model/architecture.js';
import { activationFunctions } from '../model/activations.js';
import type { Dataset } from '../data/dataset.js';
import { channelPairOf, type NeuronGroup } from './channels.js';
import { leastSquares } from './least-squares.js';
import { symmetricEigen } from '../numerics/linalg.js';
import { replacementDeviation, type FittableReplacement, type LimitDeviation } from './limit-network.js';
import { affine, checkDatasetFor, checkLayer, checkNeuron, checkTheta, dot, forwardTrace, layerInputVectors, layerOutgoingVectors, sampleInput, type NeuronReplacement } from './network.js';

/** Highest derivative of σ a limit can hold (the activations evaluate σ, σ′, σ″, σ‴). */
export const MAX_LIMIT_ORDER = 3;

export interface ChannelLimit {
  /** hidden layer (0-based) */
  layer: number;
  /** the neurons carrying the channel, ascending */
  members: number[];
  /** highest derivative of σ in the limit: members − 1 */
  order: number;
  /** w̄: the members' mean input vector (bias entry last when biases are on) */
  centre: Float64Array;
  /** δ_m = ũ_m − w̄, in the order of `members` */
  offsets: Float64Array[];
  /** o_m, in the order of `members` (length 1 for the last hidden layer) */
  outgoing: Float64Array[];
  /**
   * sizes[n][k]: the Frobenius norm of T_n for next-layer neuron k, n = 0 … order + 1; sizes[0] is
   * c = Σ_m o_m with its sign. The last entry, T_{order+1}, is the first term the limit leaves out:
   * it shrinks along a channel.
   */
  sizes: Float64Array[];
}

/**
 * ‖T_n‖ for next-layer neuron k, from T_n's entries Σ_m o_m[k]·δ_m^{⊗n} (not from the Gram form
 * Σ o_m·o_m′·(δ_m·δ_m′)ⁿ, whose squares would cancel to half the digits when the outgoing weights
 * are large and T_n small, as along a channel).
 */
function tensorNorm(offsets: Float64Array[], outgoing: Float64Array[], n: number, k: number): number {
  const entries = offsets.map((offset) => tensorPowerEntries(offset, n));
  let sum = 0;
  for (let e = 0; e < entries[0].length; e++) {
    let entry = 0;
    entries.forEach((power, m) => (entry += outgoing[m][k] * power[e]));
    sum += entry * entry;
  }
  return Math.sqrt(sum);
}

/** Every component of δ^{⊗n} (D^n of them, row-major over the n indices). */
function tensorPowerEntries(delta: ArrayLike<number>, n: number): number[] {
  let entries = [1];
  for (let power = 0; power < n; power++) entries = entries.flatMap((value) => Array.from(delta, (component) => value * component));
  return entries;
}

/** The limit of the channel carried by `members` (2 … MAX_LIMIT_ORDER + 1 distinct neurons of hidden layer `layer`). */
export function channelLimit(arch: Architecture, theta: ArrayLike<number>, layer: number, members: readonly number[]): ChannelLimit {
  checkTheta(arch, theta);
  checkLayer(arch, layer);
  for (const m of members) checkNeuron(arch, layer, m);
  const sorted = [...new Set(members)].sort((a, b) => a - b);
  if (sorted.length !== members.length) throw new RangeError(`a channel's neurons must be distinct, got ${members.join(', ')}`);
  if (sorted.length < 2 || sorted.length > MAX_LIMIT_ORDER + 1) {
    throw new RangeError(`a channel limit takes 2 to ${MAX_LIMIT_ORDER + 1} neurons (σ's derivatives up to order ${MAX_LIMIT_ORDER}), got ${sorted.length}`);
  }
  const inputs = layerInputVectors(arch, theta, layer);
  const allOutgoing = layerOutgoingVectors(arch, theta, layer);
  const centre = new Float64Array(inputs[0].length);
  for (const m of sorted) inputs[m].forEach((value, t) => (centre[t] += value / sorted.length));
  const offsets = sorted.map((m) => inputs[m].map((value, t) => value - centre[t]));
  const outgoing = sorted.map((m) => allOutgoing[m]);
  const order = sorted.length - 1;
  const next = outgoing[0].length;
  const sizes = Array.from({ length: order + 2 }, (_, n) =>
    Float64Array.from({ length: next }, (_, k) => (n === 0 ? outgoing.reduce((sum, o) => sum + o[k], 0) : tensorNorm(offsets, outgoing, n, k))),
  );
  return { layer, members: sorted, order, centre, offsets, outgoing, sizes };
}

/**
 * The eigenvalues of M = T_2 = Σ_m o_m[k]·δ_m δ_mᵀ for next-layer neuron k, largest |λ| first: the
 * shape of the σ″ term ½(x̃ᵀMx̃)·σ″(w̄·x̃). Carriers on a line (a (1, −2, 1)/ε² stencil) make M
 * rank 1, ≈ λ·Δ̂Δ̂ᵀ; a centre neuron with three around it (the flow sweep's four-neuron channels at
 * the barrier 10⁵: −1411, −54.5, 0.0007) makes it rank 2. Null below order 2.
 */
export function secondMomentEigenvalues(limit: ChannelLimit, k = 0): number[] | null {
  if (limit.order < 2) return null;
  const D = limit.centre.length;
  const moment = new Float64Array(D * D);
  limit.offsets.forEach((delta, m) => {
    for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) moment[a * D + b] += limit.outgoing[m][k] * delta[a] * delta[b];
  });
  return Array.from(symmetricEigen(moment, D).values).sort((x, y) => Math.abs(y) - Math.abs(x));
}

/**
 * The limit's terms for layer input `input` (without the appended 1): terms[n][k] =
 * (1/n!)·Σ_m o_m[k]·(δ_m·x̃)ⁿ·σ⁽ⁿ⁾(w̄·x̃), n = 0 … order; their sum over n is the limit's output.
 */
export function channelLimitTerms(limit: ChannelLimit, activation: Architecture['activation'], input: ArrayLike<number>): Float64Array[] {
  if (input.length !== limit.centre.length && input.length !== limit.centre.length - 1) {
    throw new RangeError(`layer input has ${input.length} values, the channel's input vectors have ${limit.centre.length} (bias included)`);
  }
  const derivatives = new Float64Array(4);
  activationFunctions(activation).evaluate(affine(limit.centre, input), derivatives);
  const projections = limit.offsets.map((offset) => affine(offset, input));
  const next = limit.outgoing[0].length;
  let factorial = 1;
  return Array.from({ length: limit.order + 1 }, (_, n) => {
    if (n > 0) factorial *= n;
    return Float64Array.from({ length: next }, (_, k) => {
      let sum = 0;
      limit.outgoing.forEach((o, m) => (sum += o[k] * projections[m] ** n));
      return (sum * derivatives[n]) / factorial;
    });
  });
}

/** The limit's output c·σ(w̄·x̃) + (T_1·x̃)·σ′(w̄·x̃) + … for layer input `input`, one entry per next-layer neuron. */
export function channelLimitOutput(limit: ChannelLimit, activation: Architecture['activation'], input: ArrayLike<number>): Float64Array {
  const out = new Float64Array(limit.outgoing[0].length);
  for (const term of channelLimitTerms(limit, activation, input)) term.forEach((value, k) => (out[k] += value));
  return out;
}

/** A forward-pass replacement (network.ts forwardTrace) of the members by their limit. */
export function channelLimitReplacement(limit: ChannelLimit, activation: Architecture['activation']): NeuronReplacement {
  return { layer: limit.layer, members: limit.members, contribution: (input, out) => out.set(channelLimitOutput(limit, activation, input)) };
}

/**
 * The limit as a fittable replacement (last hidden layer): one feature per order n, the term of
 * order n divided by ‖T_n‖, so that its coefficient at the network's own weights is ‖T_n‖ (c, with
 * its sign, for n = 0): holding w̄ and each T_n's direction, as the GLU's loss at infinity holds w
 * and Δ and refits c and a.
 */
export function fittableChannelLimit(limit: ChannelLimit, activation: Architecture['activation']): FittableReplacement {
  const sigma = activationFunctions(activation).value;
  return {
    ...channelLimitReplacement(limit, activation),
    featureCount: limit.order + 1,
    features(input, out) {
      channelLimitTerms(limit, activation, input).forEach((term, n) => {
        const size = limit.sizes[n][0];
        // order 0 is σ(w̄·x̃) itself, whatever c is (c may be 0 at the network's weights)
        out[n] = n === 0 ? sigma(affine(limit.centre, input)) : size === 0 ? 0 : term[0] / size;
      });
    },
  };
}

/**
 * The two members farthest apart (positions in `members`, first < last) and half their distance:
 * for a pair, the pair and the GLU's ε; for a symmetric triple, its outer two and its spread.
 */
export function outermostMembers(limit: ChannelLimit): { first: number; last: number; half: number } {
  let outer = { first: 0, last: 1, half: -1 };
  limit.offsets.forEach((u, m) =>
    limit.offsets.forEach((v, n) => {
      const half = Math.hypot(...u.map((value, t) => value - v[t])) / 2;
      if (n > m && half > outer.half) outer = { first: m, last: n, half };
    }),
  );
  return outer;
}

/**
 * The same channel further along: θ with the members' offsets shrunk around the same w̄ and their
 * outgoing weights refitted on the data so that what the members feed the next layer changes as
 * little as possible (the limit network stays; only the terms it leaves out shrink). Channel-jump's
 * step along a channel.
 *
 * The offsets shrink as measured along the flow sweep's channels (channel-groups-2026-12-06.md):
 * their equally spaced collinear part h·s_m·Δ̂ (Δ̂ and h: the direction and half-distance of the
 * two members farthest apart; s_m from −1 to 1 in the members' order along Δ̂) by `factor`, the
 * rest (the inner members' unequal spacing, transverse offsets) by factor², as ε and ε². For a
 * pair everything is collinear and the offsets simply scale. Four carriers that spread in two
 * directions (transverse offsets beyond a tenth of the half-spread) shrink alike in every direction:
 * the flow sweep's are a centre neuron with three around it whose offsets span two directions at O(ε)
 * (an order-2 limit whose M has rank 2); followed from the barrier 10⁷ (r = 8 seed 80) the loss falls
 * at every jump this way, and rises by 38% at the first with the rule for three. Four on a line (an
 * order-3 stencil) shrink by the collinear rule.
 *
 * The outgoing weights: for every next-layer neuron j, min over o′ of Σ_samples (Σ_m o′_m[j]·σ(ũ′_m·x̃)
 * − Σ_m o_m[j]·σ(ũ_m·x̃))², linear least squares (QR, no normal equations: the columns are nearly
 * collinear). Where the expansion holds this keeps T_0 … T_order up to the left-out terms (for a
 * pair o′ = c/2 ± a/(2·factor·ε) to O(ε²)); where it does not yet (a triple whose offsets are not
 * collinear, T_3 comparable to T_2) it is what keeps the network close: the moment equations
 * Σ_m o′_m·δ′_m^{⊗n} = T_n then have no solution, and their least-squares compromise moved c by
 * 20% and the loss from 0.0118 to 1.7 at a 1% shrink (flow sweep r = 8 seed 77).
 */
export function rescaleChannel(arch: Architecture, theta: ArrayLike<number>, limit: ChannelLimit, factor: number, data: Dataset, datasetIndex = 0): Float64Array {
  if (!(factor > 0 && Number.isFinite(factor))) throw new RangeError(`the spread's factor must be positive and finite, got ${factor}`);
  const layout = checkTheta(arch, theta);
  const dataset = checkDatasetFor(arch, data, datasetIndex);
  const { offsets } = limit;
  const k = offsets.length;
  const { first, last, half } = outermostMembers(limit);
  if (!(half > 0)) throw new RangeError('the channel has no spread to scale: its neurons are identical');
  const direction = offsets[last].map((value, t) => (value - offsets[first][t]) / (2 * half));
  const rank = offsets.map((_, m) => m).sort((m, n) => dot(offsets[m], direction) - dot(offsets[n], direction));
  // four carriers spread in two directions (transverse offsets beyond a tenth of the spread) shrink
  // alike in all; on a line (an order-3 stencil) they shrink as fewer do
  const transverse = Math.max(...offsets.map((offset) => Math.hypot(...offset.map((value, t) => value - dot(offset, direction) * direction[t]))));
  const similar = k === 4 && transverse > 0.1 * half;
  const out = Float64Array.from(theta);
  rank.forEach((m, position) => {
    const along = half * (-1 + (2 * position) / (k - 1));
    inputCoordinates(layout, limit.layer, limit.members[m]).forEach((index, t) => {
      const collinear = along * direction[t];
      out[index] = similar ? limit.centre[t] + factor * offsets[m][t] : limit.centre[t] + factor * collinear + factor * factor * (offsets[m][t] - collinear);
    });
  });
  const sigma = activationFunctions(arch.activation).value;
  const original = layerInputVectors(arch, theta, limit.layer);
  const shrunk = layerInputVectors(arch, out, limit.layer);
  const next = limit.outgoing[0].length;
  const columns = limit.members.map(() => new Float64Array(data.samples));
  const targets = Array.from({ length: next }, () => new Float64Array(data.samples));
  for (let n = 0; n < data.samples; n++) {
    // the members' layer input does not depend on the members themselves
    const input = forwardTrace(arch, theta, sampleInput(data, dataset, n)).inputs[limit.layer];
    limit.members.forEach((member, m) => {
      columns[m][n] = sigma(affine(shrunk[member], input));
      const before = sigma(affine(original[member], input));
      for (let j = 0; j < next; j++) targets[j][n] += limit.outgoing[m][j] * before;
    });
  }
  for (let j = 0; j < next; j++) {
    const solution = leastSquares(columns, targets[j]);
    limit.members.forEach((member, m) => (out[outgoingCoordinates(layout, limit.layer, member)[j]] = solution.x[m]));
  }
  return out;
}

export interface ChosenLimit {
  limit: ChannelLimit;
  deviation: LimitDeviation;
  /** every candidate tried, fewest members first, with its largest deviation from the network on the data */
  candidates: { members: number[]; maxDeviation: number }[];
}

/**
 * Whether a candidate limit's largest deviation beats the best so far: smaller wins, ties go to the
 * earlier (fewer neurons), and a NaN (an expansion that overflowed) never wins — nor keeps the place
 * against a number, as it would if it came first and `<` alone decided.
 */
export function deviatesLess(candidate: number, best: number): boolean {
  if (Number.isNaN(candidate)) return false;
  return Number.isNaN(best) || candidate < best;
}

/**
 * Which of a channel group's neurons carry the channel, read from the data: the candidates are the
 * group's GLU pair (channelPairOf: its largest outgoing weights of each sign) and, one at a time,
 * the other members by decreasing |s| (up to MAX_LIMIT_ORDER + 1 neurons); the chosen limit is the
 * candidate whose replacement deviates least from the network on the data. A bystander (a member
 * with a small outgoing weight, near but not on the channel) makes the expansion worse and is left
 * out; a third neuron of a (1, −2, 1)/ε² stencil makes it better by orders of magnitude and is
 * kept. Null when the group's signs are not mixed (no channel).
 */
export function chooseChannelLimit(arch: Architecture, theta: ArrayLike<number>, group: NeuronGroup, data: Dataset, datasetIndex = 0): ChosenLimit | null {
  const pair = channelPairOf(group);
  if (!pair) return null;
  const rest = group.members
    .map((neuron, k) => ({ neuron, weight: Math.abs(group.outgoing[k]) }))
    .filter(({ neuron }) => neuron !== pair.i && neuron !== pair.j)
    .sort((p, q) => q.weight - p.weight)
    .map(({ neuron }) => neuron);
  const candidates: ChosenLimit['candidates'] = [];
  let best: { limit: ChannelLimit; deviation: LimitDeviation } | null = null;
  const members = [pair.i, pair.j];
  for (let added = 0; ; added++) {
    const limit = channelLimit(arch, theta, group.layer, members);
    const deviation = replacementDeviation(arch, theta, channelLimitReplacement(limit, arch.activation), data, datasetIndex);
    candidates.push({ members: limit.members, maxDeviation: deviation.max });
    if (!best || deviatesLess(deviation.max, best.deviation.max)) best = { limit, deviation };
    if (added >= rest.length || members.length > MAX_LIMIT_ORDER) break;
    members.push(rest[added]);
  }
  return { ...best!, candidates };
}
