// Where two neurons have drifted together: closest pairs, groups of mutually close neurons and
// whether the last updates of a run point along the channel (science.md, "Classifying where a run
// ended"). Pure float64 functions of one network's flat parameter vector θ.
//
// Input vectors include the bias entry when biases are on (the paper's convention); see network.ts
// for the layer numbering and the input/outgoing vector conventions.
import { inputCoordinates, outgoingCoordinates, parameterLayout, type Architecture } from '../model/architecture.js';
import { checkLayer, checkNeuron, checkTheta, dot, forwardTrace, layerInputVectors, layerOutgoingVectors, norm } from './network.js';

/**
 * Cosine distance 1 − u·v/(‖u‖‖v‖), computed as ‖û − v̂‖²/2 with û = u/‖u‖, v̂ = v/‖v‖. The two are
 * equal in exact arithmetic; the naive form subtracts two numbers close to 1 and keeps only
 * ~1e-16/distance relative accuracy (1e-4 at a distance of 1e-12), this form keeps full relative
 * accuracy near 0. A zero vector has no direction: two zero vectors are at distance 0, a zero
 * vector and a non-zero one at distance 1.
 */
export function cosineDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (u.length !== v.length) throw new RangeError(`vectors of different lengths ${u.length} and ${v.length}`);
  const nu = norm(u);
  const nv = norm(v);
  if (nu === 0 || nv === 0) return nu === nv ? 0 : 1;
  let sum = 0;
  for (let k = 0; k < u.length; k++) {
    const diff = u[k] / nu - v[k] / nv;
    sum += diff * diff;
  }
  return sum / 2;
}

/**
 * How close two neurons' input vectors are, for the channel criterion and the grouping of close
 * neurons: their cosine distance; or, for input vectors of ONE entry (the first hidden layer of a
 * d = 1 network without biases), where any two same-sign scalars are at cosine distance exactly 0
 * (science.md, "Numerics"), its counterpart from the L2 distance, ((u − v)/max(|u|, |v|))²/2: the
 * cosine distance's ‖û − v̂‖²/2 with both scaled by the larger norm instead of each by its own (2
 * for opposite signs, as the cosine distance). Below 10⁻² means within 14% of each other.
 */
export function closenessDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (u.length !== 1) return cosineDistance(u, v);
  const relative = relativeL2Distance(u, v);
  return (relative * relative) / 2;
}

/**
 * Whether a hidden layer's input vectors are scalars, compared by closenessDistance's L2 counterpart:
 * a layer with one input and no biases (the first hidden layer of a d = 1 network, or a layer after a
 * hidden layer of width 1), as closenessDistance decides by the vectors' length.
 */
export function hasScalarInputs(arch: Architecture, layer: number): boolean {
  const fanIn = layer === 0 ? arch.inputDim : arch.hidden[layer - 1];
  return fanIn === 1 && !arch.biases;
}

/** Euclidean distance ‖u − v‖. */
export function l2Distance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (u.length !== v.length) throw new RangeError(`vectors of different lengths ${u.length} and ${v.length}`);
  let sum = 0;
  for (let k = 0; k < u.length; k++) sum += (u[k] - v[k]) ** 2;
  return Math.sqrt(sum);
}

/** ‖u − v‖/max(‖u‖, ‖v‖): 0 for identical vectors, ≤ 2 always (0 when both are zero). */
export function relativeL2Distance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const scale = Math.max(norm(u), norm(v));
  return scale === 0 ? 0 : l2Distance(u, v) / scale;
}

export interface PairDistance {
  i: number;
  j: number;
  distance: number;
}

export interface LayerClosestPairs {
  /** hidden layer, 0-based */
  layer: number;
  /** pair with the smallest cosine distance of input vectors (bias included); null for a 1-neuron layer */
  cosine: PairDistance | null;
  /** pair with the smallest L2 distance ‖ũ_i − ũ_j‖ of input vectors (bias included) */
  l2: PairDistance | null;
  /** pair with the smallest relative L2 distance ‖ũ_i − ũ_j‖/max(‖ũ_i‖, ‖ũ_j‖) */
  relativeL2: PairDistance | null;
}

/**
 * For every hidden layer the closest pair of neurons by cosine distance, by L2 distance and by
 * relative L2 distance of their input vectors (bias included). The L2 distances are needed because
 * in d = 1 without biases every pair of same-sign neurons is at cosine distance exactly 0. Ties go
 * to the first pair in (i, j) order, i < j.
 */
export function closestPairs(arch: Architecture, theta: ArrayLike<number>): LayerClosestPairs[] {
  checkTheta(arch, theta);
  const result: LayerClosestPairs[] = [];
  for (let layer = 0; layer < arch.hidden.length; layer++) {
    const vectors = layerInputVectors(arch, theta, layer);
    let cosine: PairDistance | null = null;
    let l2: PairDistance | null = null;
    let relativeL2: PairDistance | null = null;
    for (let i = 0; i < vectors.length; i++) {
      for (let j = i + 1; j < vectors.length; j++) {
        const c = cosineDistance(vectors[i], vectors[j]);
        const e = l2Distance(vectors[i], vectors[j]);
        const r = relativeL2Distance(vectors[i], vectors[j]);
        if (!cosine || c < cosine.distance) cosine = { i, j, distance: c };
        if (!l2 || e < l2.distance) l2 = { i, j, distance: e };
        if (!relativeL2 || r < relativeL2.distance) relativeL2 = { i, j, distance: r };
      }
    }
    result.push({ layer, cosine, l2, relativeL2 });
  }
  return result;
}

/**
 * The smallest cosine distance over all hidden layers (closenessDistance: for scalar input vectors,
 * where every same-sign pair ties at 0, their L2 counterpart), with its layer and pair; null when no
 * layer has two neurons. Ties go to the first pair in (layer, i, j) order.
 */
export function minCosineDistance(arch: Architecture, theta: ArrayLike<number>): (PairDistance & { layer: number }) | null {
  checkTheta(arch, theta);
  let best: (PairDistance & { layer: number }) | null = null;
  for (let layer = 0; layer < arch.hidden.length; layer++) {
    const vectors = layerInputVectors(arch, theta, layer);
    for (let i = 0; i < vectors.length; i++) {
      for (let j = i + 1; j < vectors.length; j++) {
        const distance = closenessDistance(vectors[i], vectors[j]);
        if (!best || distance < best.distance) best = { layer, i, j, distance };
      }
    }
  }
  return best;
}

/**
 * The pair with the smallest cosine distance (closenessDistance: for scalar input vectors its L2
 * counterpart) among pairs whose input vectors are also EQUAL to within `maxRelativeL2` (relative L2
 * distance), over all hidden layers; null when there is none.
 * A channel's neurons converge to one input vector (wᵢ − wⱼ → 0); the cosine distance alone cannot
 * tell that from two parallel vectors of different lengths, which is what a neuron sharpening
 * towards a kink (its input vector growing along itself, see sharpeningNeurons) leaves beside any
 * smaller neuron of the same direction.
 */
export function closestEqualPair(arch: Architecture, theta: ArrayLike<number>, maxRelativeL2: number): (PairDistance & { layer: number; relativeL2: number }) | null {
  checkTheta(arch, theta);
  let best: (PairDistance & { layer: number; relativeL2: number }) | null = null;
  for (let layer = 0; layer < arch.hidden.length; layer++) {
    const vectors = layerInputVectors(arch, theta, layer);
    for (let i = 0; i < vectors.length; i++) {
      for (let j = i + 1; j < vectors.length; j++) {
        const relativeL2 = relativeL2Distance(vectors[i], vectors[j]);
        if (!(relativeL2 < maxRelativeL2)) continue;
        const distance = closenessDistance(vectors[i], vectors[j]);
        if (!best || distance < best.distance) best = { layer, i, j, distance, relativeL2 };
      }
    }
  }
  return best;
}

/**
 * A group of mutually close neurons in one hidden layer.
 *
 * Outgoing weights: for the last hidden layer a neuron's outgoing vector is its output weight a_j
 * (one number). For an earlier layer it is column j of the next layer's weight matrix; its scalar
 * summary is the SIGNED NORM s_j = sign(o_j·r)·‖o_j‖, where r is the outgoing vector of the member
 * with the largest ‖o‖ (so that member has s > 0, and a member whose outgoing vector points against
 * it has s < 0). For the last hidden layer s_j = a_j exactly (sign taken as is, no reference).
 */
export interface NeuronGroup {
  /** hidden layer, 0-based */
  layer: number;
  /** neuron indices in the layer, ascending */
  members: number[];
  /** each member's outgoing vector (length 1 for the last hidden layer) */
  outgoingVectors: Float64Array[];
  /** each member's scalar outgoing weight s_j (a_j for the last hidden layer; signed norm otherwise) */
  outgoing: number[];
  /** sign of each s_j: −1, 0 or +1 */
  signs: number[];
  /** Σ|s_j| (Σ|a_j| for the last hidden layer) */
  sumAbsOutgoing: number;
  /** ‖Σ_j o_j‖: the net outgoing weight (|c| = |a_i + a_j| for a pair in the last hidden layer) */
  netOutgoing: number;
  /** some member has s > 0 and another s < 0: the channel signature */
  mixedSigns: boolean;
  /** smallest and largest cosine distance between two members (the largest can exceed the threshold: transitive closure; closenessDistance for scalar input vectors) */
  minCosine: number;
  maxCosine: number;
  /**
   * smallest such distance between two members joined by an edge of the group (close, and equal where
   * options.relativeL2 asks) whose outgoing weights have opposite signs: the channel's pair (Infinity
   * where no edge joins opposite signs)
   */
  mixedCosine: number;
  /** mean of the members' input vectors (bias included) */
  meanInput: Float64Array;
}

/**
 * Groups of mutually close neurons in every hidden layer: the connected components (size ≥ 2) of
 * the graph whose edges join neurons at cosine distance < `threshold` (input vectors with bias;
 * closenessDistance, which for d = 1 without biases, where every same-sign pair is at cosine
 * distance 0, compares the scalars by L2), so closeness is transitive. Singletons are not returned.
 * Groups are ordered by layer, then by their smallest member.
 *
 * `options.relativeL2`: additionally require relative L2 distance < this value for an edge.
 */
export function neuronGroups(arch: Architecture, theta: ArrayLike<number>, threshold: number, options: { relativeL2?: number } = {}): NeuronGroup[] {
  checkTheta(arch, theta);
  const groups: NeuronGroup[] = [];
  const lastHidden = arch.hidden.length - 1;
  for (let layer = 0; layer <= lastHidden; layer++) {
    const inputs = layerInputVectors(arch, theta, layer);
    const outgoing = layerOutgoingVectors(arch, theta, layer);
    const width = inputs.length;
    const parent = Array.from({ length: width }, (_, n) => n);
    const find = (n: number): number => {
      while (parent[n] !== n) {
        parent[n] = parent[parent[n]];
        n = parent[n];
      }
      return n;
    };
    const cosines = new Map<string, number>();
    const edges = new Set<string>();
    for (let i = 0; i < width; i++) {
      for (let j = i + 1; j < width; j++) {
        const c = closenessDistance(inputs[i], inputs[j]);
        cosines.set(`${i},${j}`, c);
        const close = c < threshold && (options.relativeL2 === undefined || relativeL2Distance(inputs[i], inputs[j]) < options.relativeL2);
        if (close) {
          edges.add(`${i},${j}`);
          const ri = find(i);
          const rj = find(j);
          if (ri !== rj) parent[Math.max(ri, rj)] = Math.min(ri, rj);
        }
      }
    }
    const components = new Map<number, number[]>();
    for (let n = 0; n < width; n++) {
      const root = find(n);
      const list = components.get(root) ?? [];
      list.push(n);
      components.set(root, list);
    }
    const roots = [...components.keys()].sort((p, q) => p - q);
    for (const root of roots) {
      const members = components.get(root)!;
      if (members.length < 2) continue;
      const vectors = members.map((n) => outgoing[n]);
      const summary = signedOutgoing(vectors, layer === lastHidden);
      const signs = summary.map((s) => Math.sign(s));
      const net = new Float64Array(vectors[0].length);
      for (const o of vectors) for (let k = 0; k < net.length; k++) net[k] += o[k];
      let minCosine = Infinity;
      let maxCosine = 0;
      let mixedCosine = Infinity;
      for (let p = 0; p < members.length; p++) {
        for (let q = p + 1; q < members.length; q++) {
          const c = cosines.get(`${members[p]},${members[q]}`)!;
          minCosine = Math.min(minCosine, c);
          maxCosine = Math.max(maxCosine, c);
          // (an edge only: two members joined through a third need not be equal, as a neuron sharpening
          // beside a smaller one of its direction is not)
          if (signs[p] * signs[q] < 0 && edges.has(`${members[p]},${members[q]}`)) mixedCosine = Math.min(mixedCosine, c);
        }
      }
      const meanInput = new Float64Array(inputs[0].length);
      for (const n of members) for (let k = 0; k < meanInput.length; k++) meanInput[k] += inputs[n][k] / members.length;
      groups.push({
        layer,
        members,
        outgoingVectors: vectors,
        outgoing: summary,
        signs,
        sumAbsOutgoing: summary.reduce((sum, s) => sum + Math.abs(s), 0),
        netOutgoing: norm(net),
        mixedSigns: signs.includes(1) && signs.includes(-1),
        minCosine,
        maxCosine,
        mixedCosine,
        meanInput,
      });
    }
  }
  return groups;
}

/**
 * One number per outgoing vector of a group of neurons: the output weight itself (`raw`, for the last
 * hidden layer's), else the vector's norm signed by its direction against the largest one's.
 */
function signedOutgoing(vectors: readonly Float64Array[], raw: boolean): number[] {
  if (raw) return vectors.map((o) => o[0]);
  let reference = vectors[0];
  for (const o of vectors) if (norm(o) > norm(reference)) reference = o;
  return vectors.map((o) => Math.sign(dot(o, reference)) * norm(o));
}

export interface SubspaceOptions {
  /**
   * 'net' (default): Δθ = θ_last − θ_first, fraction ‖PΔθ‖/‖Δθ‖.
   * 'steps': every consecutive update Δθ_t = θ_{t+1} − θ_t, fraction √(Σ‖PΔθ_t‖²/Σ‖Δθ_t‖²).
   */
  mode?: 'net' | 'steps';
  /** use only the last `window` entries of the history (default: all of it) */
  window?: number;
}

/**
 * Orthonormal basis of the CHANNEL SUBSPACE of a group of neurons {j} in hidden layer l, at θ:
 *   - for every member j, the unit vector on each coordinate of its outgoing vector (the output
 *     weight a_j for the last hidden layer; every entry of column j of the next weight matrix for an
 *     earlier layer);
 *   - for every member j, the vector that is ŵ = w̄/‖w̄‖ on the coordinates of j's input vector
 *     (weights and bias) and 0 elsewhere, where w̄ is the mean of the members' input vectors at θ.
 * The vectors have disjoint supports, so they are orthonormal and ‖PΔθ‖² = Σ_out Δθ_k² +
 * Σ_j (Δθ_{row j}·ŵ)². (The direction Δ = (w_i − w_j)/‖w_i − w_j‖ along which ε shrinks is not
 * included: moving along a channel from ε₁ to ε₂ changes the output weights by ~a(1/ε₂ − 1/ε₁)/2
 * but the input vectors only by ε₁ − ε₂, a factor 2ε₁ε₂/a smaller.)
 * Returned as index lists (output coordinates) and (row coordinates, ŵ) per member.
 */
export function channelSubspace(arch: Architecture, theta: ArrayLike<number>, group: { layer: number; members: number[] }): { outputCoordinates: number[]; rows: number[][]; direction: Float64Array } {
  const layout = checkTheta(arch, theta);
  checkLayer(arch, group.layer);
  if (group.members.length < 1) throw new RangeError('a channel group needs at least one neuron');
  for (const n of group.members) checkNeuron(arch, group.layer, n);
  const rows = group.members.map((n) => inputCoordinates(layout, group.layer, n));
  const direction = new Float64Array(rows[0].length);
  for (const row of rows) for (let k = 0; k < row.length; k++) direction[k] += theta[row[k]];
  const length = norm(direction);
  if (length > 0) for (let k = 0; k < direction.length; k++) direction[k] /= length;
  const outputCoordinates = group.members.flatMap((n) => outgoingCoordinates(layout, group.layer, n));
  return { outputCoordinates, rows, direction };
}

/**
 * Fraction of the recent parameter change that lies in the channel subspace of one group, or of
 * several at once (the span of their channelSubspace bases; see channelSubspace; taken at the LAST θ
 * of the history): ‖PΔθ‖/‖Δθ‖, NOT squared (science.md: "more than 90% of ‖Δθ‖"), in [0, 1]. Several
 * groups: a network can run along several channels at once, each pair moving out at its own pace
 * (measured at r = 8: three pairs sharing the motion about equally), and the motion of each lies
 * in its own pair's subspace only. `coordinates`: single parameters added to the span (the bias of
 * a neuron in its exponential tail, tailNeurons). Null when the history has fewer than two entries or
 * θ did not change.
 */
export function channelSubspaceFraction(
  arch: Architecture,
  thetaHistory: ArrayLike<number>[],
  groups: { layer: number; members: number[] } | readonly { layer: number; members: number[] }[],
  options: SubspaceOptions & { coordinates?: readonly number[] } = {},
): number | null {
  const window = options.window ?? thetaHistory.length;
  const history = thetaHistory.slice(Math.max(0, thetaHistory.length - window));
  if (history.length < 2) return null;
  const last = history[history.length - 1];
  for (const theta of history) checkTheta(arch, theta);
  const basis = channelSubspaceBasis(arch, last, Array.isArray(groups) ? groups : [groups as { layer: number; members: number[] }], options.coordinates ?? []);
  const P = last.length;
  const projectedSquared = (from: ArrayLike<number>, to: ArrayLike<number>): [number, number] => {
    let total = 0;
    for (let k = 0; k < P; k++) total += (to[k] - from[k]) ** 2;
    let inside = 0;
    for (const b of basis) {
      let along = 0;
      for (let k = 0; k < P; k++) along += (to[k] - from[k]) * b[k];
      inside += along * along;
    }
    return [inside, total];
  };
  let inside = 0;
  let total = 0;
  if ((options.mode ?? 'net') === 'net') {
    [inside, total] = projectedSquared(history[0], last);
  } else {
    for (let t = 0; t + 1 < history.length; t++) {
      const [a, b] = projectedSquared(history[t], history[t + 1]);
      inside += a;
      total += b;
    }
  }
  if (!(total > 0)) return null;
  return Math.min(1, Math.sqrt(inside / total));
}

/** The first and last θ of the history's last `window` entries and the distance between them; null with fewer than two or no change. */
function recentChange(arch: Architecture, thetaHistory: ArrayLike<number>[], window = thetaHistory.length) {
  const history = thetaHistory.slice(Math.max(0, thetaHistory.length - window));
  if (history.length < 2) return null;
  const first = history[0];
  const last = history[history.length - 1];
  const layout = checkTheta(arch, first);
  checkTheta(arch, last);
  const change = l2Distance(first, last);
  return change > 0 ? { first, last, change, layout } : null;
}

/** A part of the network and its share of the recent motion (motionShares). */
export interface MotionShare {
  /** a hidden neuron (its input vector with bias, and its outgoing vector), or the output bias */
  part: { layer: number; neuron: number } | 'output bias';
  /** ‖Δθ on the part‖ / ‖Δθ‖ (parts overlap in deep nets: a neuron's outgoing weights are the next layer's inputs) */
  share: number;
}

/**
 * Where a run's recent motion θ_last − θ_first goes: each hidden neuron's share of ‖Δθ‖ and the
 * output bias's, largest first, those of at least `minShare`; null without a history of two
 * vectors or a change. What carries a road to infinity the verdict names no cause for.
 */
export function motionShares(arch: Architecture, thetaHistory: ArrayLike<number>[], minShare = 0.05): { change: number; shares: MotionShare[] } | null {
  const recent = recentChange(arch, thetaHistory);
  if (!recent) return null;
  const { first, last, change, layout } = recent;
  const moved = (indices: number[]) => Math.sqrt(indices.reduce((sum, k) => sum + (last[k] - first[k]) ** 2, 0)) / change;
  const shares: MotionShare[] = [];
  arch.hidden.forEach((width, layer) => {
    for (let neuron = 0; neuron < width; neuron++) {
      shares.push({ part: { layer, neuron }, share: moved([...inputCoordinates(layout, layer, neuron), ...outgoingCoordinates(layout, layer, neuron)]) });
    }
  });
  const output = layout.layers[layout.layers.length - 1];
  if (output.biasOffset >= 0) shares.push({ part: 'output bias', share: moved([output.biasOffset]) });
  return { change, shares: shares.filter((s) => s.share >= minShare).sort((a, b) => b.share - a.share) };
}

/** A neuron whose input vector grew over a run's recent history (sharpeningNeurons). */
export interface SharpeningNeuron {
  layer: number;
  neuron: number;
  /** growth of ‖ũ‖, ‖ũ_last‖ − ‖ũ_first‖, as a fraction of ‖θ_last − θ_first‖ */
  growth: number;
  /** ‖ũ‖ at the last θ */
  inputNorm: number;
  /** its outgoing vector at the last θ (the output weight a_j for the last hidden layer) */
  outgoing: number[];
}

/**
 * Neurons SHARPENING over the recent history: the input vector ũ (bias included) grows by at least
 * `minGrowth` of the whole parameter change, ‖ũ_last‖ − ‖ũ_first‖ ≥ minGrowth·‖Δθ‖ (whether it grew
 * along itself, rather than turning, is for the caller's subspace fraction to show).
 * Scaling ũ by λ → ∞ turns σ(ũ·x̃) into a kink (softplus: softplus(λz)/λ → relu(z), so with a ~ 1/λ
 * the neuron tends to a relu) or a step (erf, sigmoid, tanh: σ(λz) → ±1) along the hyperplane
 * ũ·x̃ = 0, and the loss can keep falling all the way: a second road to infinity, not a channel (no
 * second neuron, no diverging output weights). Its motion lies in channelSubspace(θ, {layer,
 * members: [neuron]}): the radial direction of ũ and the outgoing weights. `window` as in
 * channelSubspaceFraction. Empty without a history of two vectors or when θ did not change.
 */
export function sharpeningNeurons(arch: Architecture, thetaHistory: ArrayLike<number>[], minGrowth: number, options: Pick<SubspaceOptions, 'window'> = {}): SharpeningNeuron[] {
  const recent = recentChange(arch, thetaHistory, options.window);
  if (!recent) return [];
  const { first, last, change } = recent;
  const found: SharpeningNeuron[] = [];
  for (let layer = 0; layer < arch.hidden.length; layer++) {
    const before = layerInputVectors(arch, first, layer);
    const after = layerInputVectors(arch, last, layer);
    const outgoing = layerOutgoingVectors(arch, last, layer);
    after.forEach((u, neuron) => {
      const inputNorm = norm(u);
      if (inputNorm === 0) return;
      const growth = (inputNorm - norm(before[neuron])) / change;
      if (growth >= minGrowth) found.push({ layer, neuron, growth, inputNorm, outgoing: Array.from(outgoing[neuron]) });
    });
  }
  return found;
}

/** A neuron moving along the exponential tail of its activation (tailNeurons). */
export interface TailNeuron {
  layer: number;
  neuron: number;
  /** log(‖o_last‖/‖o_first‖) of its outgoing vector… */
  logGrowth: number;
  /** …and the change of its bias, b_last − b_first (≈ −logGrowth) */
  biasShift: number;
  /** ‖o‖ at the last θ */
  outgoingNorm: number;
  /** its outgoing vector's and bias's share of ‖Δθ‖ */
  share: number;
}

/**
 * Activations whose tail is exponential, σ(z) ≈ C·e^(κz) for z ≪ 0 (softplus, sigmoid: κ = 1; g:
 * dominated by softplus's e^z), with κ: there o·σ(w·x + b) ≈ C·o·e^(κ(w·x + b)) is unchanged by
 * o → o·e^(κt), b → b − t, an (asymptotic) symmetry and a road to infinity.
 */
export const EXPONENTIAL_TAILS: Readonly<Partial<Record<Architecture['activation'], number>>> = Object.freeze({ softplus: 1, sigmoid: 1, g: 1 });

/**
 * Neurons moving along their activation's EXPONENTIAL TAIL over the recent history: a neuron whose
 * pre-activations sit far below zero on the data computes o·σ(z) ≈ C·o·e^(κz), which depends on its
 * outgoing weights and bias only through o·e^(κb). The flow can then grow ‖o‖ and lower b together
 * at no cost in loss (measured on the flow sweep: a single neuron with z ∈ [−5.5, −3.2] on every
 * sample, output weight −242, Δlog|o| = 0.1010 against Δb = −0.1010). Found from the motion alone:
 * log(‖o_last‖/‖o_first‖) > 0 with κ·Δb = −Δlog‖o‖ to within `tolerance` (relative), the neuron's
 * outgoing vector and bias carrying at least `minShare` of ‖Δθ‖. Empty without biases, for
 * activations without an exponential tail, or without a history of two vectors.
 */
export function tailNeurons(arch: Architecture, thetaHistory: ArrayLike<number>[], minShare: number, tolerance = 0.1, options: Pick<SubspaceOptions, 'window'> = {}): TailNeuron[] {
  const kappa = EXPONENTIAL_TAILS[arch.activation];
  const recent = kappa && arch.biases ? recentChange(arch, thetaHistory, options.window) : null;
  if (!kappa || !recent) return [];
  const { first, last, change, layout } = recent;
  const found: TailNeuron[] = [];
  for (let layer = 0; layer < arch.hidden.length; layer++) {
    const before = layerOutgoingVectors(arch, first, layer);
    const after = layerOutgoingVectors(arch, last, layer);
    const { biasOffset } = layout.layers[layer];
    after.forEach((o, neuron) => {
      const [normBefore, normAfter] = [norm(before[neuron]), norm(o)];
      if (!(normBefore > 0)) return;
      const logGrowth = Math.log(normAfter / normBefore);
      const biasShift = last[biasOffset + neuron] - first[biasOffset + neuron];
      if (!(logGrowth > 0) || Math.abs(kappa * biasShift + logGrowth) > tolerance * logGrowth) return;
      let moved = biasShift * biasShift;
      for (let k = 0; k < o.length; k++) moved += (o[k] - before[neuron][k]) ** 2;
      const share = Math.sqrt(moved) / change;
      if (share >= minShare) found.push({ layer, neuron, logGrowth, biasShift, outgoingNorm: normAfter, share });
    });
  }
  return found;
}

/** Neurons whose outgoing weights grow apart while their sum stays put: a channel not yet closed (openingGroups). */
export interface OpeningGroup {
  layer: number;
  members: number[];
  /** each member's outgoing weight at the last θ (for a layer before the last: its norm, signed by its direction against the largest member's) */
  outgoing: number[];
  /** each member's outgoing change over the history, Δo (signed the same way against the largest change) */
  outgoingChange: number[];
  /** ‖Σ Δoⱼ‖ / Σ ‖Δoⱼ‖: how nearly the changes cancel */
  imbalance: number;
  /** the largest cosine distance between two members' incoming weights (bias excluded; up to sign for softplus and gelu) */
  spread: number;
  /** the smallest cosine distance between two members' input vectors (bias included; up to sign for softplus and gelu; closenessDistance for scalar input vectors): how far the channel is from closing */
  closest: number;
  /** whether that closest pair is antiparallel: one of them reflected (ũ → −ũ) */
  closestReflected: boolean;
  /** the input vectors are scalars (d = 1 without biases): `closest` is closenessDistance's L2 counterpart of the cosine distance */
  scalarInputs?: boolean;
}

/** Tolerances of openingGroups. */
export interface OpeningOptions {
  /** a member's outgoing change is at least this fraction of ‖Δθ‖ */
  minShare: number;
  /** ‖Σ Δoⱼ‖ ≤ imbalance·Σ ‖Δoⱼ‖ */
  imbalance: number;
  /** members' incoming weights parallel (or antiparallel, for softplus and gelu): cosine distance ≤ this */
  parallel: number;
  /** at most this many members (a pair, or three or four neurons of a higher-order channel) */
  maxSize?: number;
  /** neurons left out (members of closed channel groups) */
  exclude?: (layer: number, neuron: number) => boolean;
  window?: number;
}

/** Movers considered per layer: subsets of up to four of them are searched (12 give 793). */
const MAX_OPENING_MOVERS = 12;

/**
 * Groups of neurons OPENING A CHANNEL over the recent history, found from the motion alone: two to
 * four neurons of one hidden layer whose outgoing weights each grow (by at least `minShare` of ‖Δθ‖)
 * while their changes cancel (‖Σ Δoⱼ‖ ≤ imbalance·Σ‖Δoⱼ‖), and whose incoming weights point along
 * one line (cosine distance ≤ `parallel`). A channel's output weights diverge as ±a/(2ε)
 * (a higher-order channel's as a second or third difference) while their sum stays finite, long
 * before its input vectors are within the channel criterion's cosine distance of each other: in a
 * wide layer several channels share the weight norm, and the barrier can stop a run while one is still
 * closing (measured: r = 8 students of a Matérn GP teacher at the barrier 10³, a pair at cosine
 * distance 0.03 with outgoing weights −210 and 106 changing by −6.4 and +5.7, and a three-neuron
 * group 443, −631, 164 whose changes sum to 1% of their size; continued to 10⁴ some close into the
 * channel criterion). For softplus and gelu up to sign: a pair can run along a channel reflected, one
 * neuron at −ũ with its o kept (reflectionFlips); odd activations' neurons come oriented (classify.ts
 * applies oddSymmetryFlips to the history), and sigmoid's σ(−z) = 1 − σ(z) makes an antiparallel
 * pair with cancelling o one growing neuron, not a channel. A group is left out when a part of it
 * cancels as well (a pair beside a third mover), and disjoint groups are taken by the largest total
 * change. Empty without a history of two vectors.
 */
export function openingGroups(arch: Architecture, thetaHistory: ArrayLike<number>[], options: OpeningOptions): OpeningGroup[] {
  const recent = recentChange(arch, thetaHistory, options.window);
  if (!recent) return [];
  const { first, last, change, layout } = recent;
  const maxSize = options.maxSize ?? 4;
  const found: OpeningGroup[] = [];
  for (let layer = 0; layer < arch.hidden.length; layer++) {
    const before = layerOutgoingVectors(arch, first, layer);
    const after = layerOutgoingVectors(arch, last, layer);
    const inputs = layerInputVectors(arch, last, layer);
    const fanIn = layout.layers[layer].fanIn;
    const deltas = after.map((o, n) => o.map((x, k) => x - before[n][k]));
    const movers = after
      .map((_, n) => n)
      .filter((n) => !options.exclude?.(layer, n) && norm(deltas[n]) >= options.minShare * change && norm(after[n]) > norm(before[n]))
      .sort((p, q) => norm(deltas[q]) - norm(deltas[p]))
      .slice(0, MAX_OPENING_MOVERS);
    const upToSign = REFLECTION_ACTIVATIONS.has(arch.activation);
    const signless = (measure: (u: Float64Array, v: Float64Array) => number) => (u: Float64Array, v: Float64Array) =>
      upToSign ? Math.min(measure(u, v), measure(u, v.map((x) => -x))) : measure(u, v);
    const distance = signless(cosineDistance);
    // how far from closing: as the channel criterion measures it (scalar input vectors by L2)
    const closeness = signless(closenessDistance);
    const weightsOf = (n: number) => inputs[n].subarray(0, fanIn);
    const alongOneLine = (p: number, q: number) => distance(weightsOf(p), weightsOf(q)) <= options.parallel;
    const candidates: { members: number[]; total: number; imbalance: number }[] = [];
    const extend = (members: number[], from: number) => {
      if (members.length >= 2) {
        const sum = new Float64Array(deltas[0].length);
        let total = 0;
        for (const n of members) {
          deltas[n].forEach((x, k) => (sum[k] += x));
          total += norm(deltas[n]);
        }
        const imbalance = norm(sum) / total;
        if (imbalance <= options.imbalance) candidates.push({ members: [...members].sort((p, q) => p - q), total, imbalance });
      }
      if (members.length === maxSize) return;
      for (let k = from; k < movers.length; k++) {
        if (members.every((m) => alongOneLine(m, movers[k]))) extend([...members, movers[k]], k + 1);
      }
    };
    extend([], 0);
    // a group whose part cancels as well is that part and a bystander
    const needed = candidates.filter((group) => !candidates.some((part) => part.members.length < group.members.length && part.imbalance <= group.imbalance && part.members.every((n) => group.members.includes(n))));
    needed.sort((p, q) => q.total - p.total || p.imbalance - q.imbalance);
    const taken = new Set<number>();
    for (const { members, imbalance } of needed) {
      if (members.some((n) => taken.has(n))) continue;
      members.forEach((n) => taken.add(n));
      let [spread, closest, closestReflected] = [0, Infinity, false];
      for (let p = 0; p < members.length; p++) {
        for (let q = p + 1; q < members.length; q++) {
          const [i, j] = [members[p], members[q]];
          spread = Math.max(spread, distance(weightsOf(i), weightsOf(j)));
          const pair = closeness(inputs[i], inputs[j]);
          if (pair < closest) [closest, closestReflected] = [pair, pair < closenessDistance(inputs[i], inputs[j])];
        }
      }
      const signed = (vectors: Float64Array[]) => signedOutgoing(members.map((n) => vectors[n]), vectors[0].length === 1);
      found.push({ layer, members, outgoing: signed(after), outgoingChange: signed(deltas), imbalance, spread, closest, closestReflected, ...(hasScalarInputs(arch, layer) ? { scalarInputs: true } : {}) });
    }
  }
  return found;
}

/** θ's indices of a tail neuron's bias and outgoing vector: the span its motion lies in. */
export function tailCoordinates(arch: Architecture, neuron: { layer: number; neuron: number }): number[] {
  const layout = parameterLayout(arch);
  return [layout.layers[neuron.layer].biasOffset + neuron.neuron, ...outgoingCoordinates(layout, neuron.layer, neuron.neuron)];
}

/**
 * The pair carrying a group's channel: the member with the largest positive and the one with the
 * largest negative outgoing weight s_j (the GLU pair, i < j); null when the signs are not mixed.
 */
export function channelPairOf(group: NeuronGroup): { layer: number; i: number; j: number } | null {
  if (!group.mixedSigns) return null;
  let [positive, largest] = [-1, 0];
  let [negative, smallest] = [-1, 0];
  group.members.forEach((n, k) => {
    const s = group.outgoing[k];
    if (s > largest) [positive, largest] = [n, s];
    if (s < smallest) [negative, smallest] = [n, s];
  });
  return { layer: group.layer, i: Math.min(positive, negative), j: Math.max(positive, negative) };
}

/**
 * An orthonormal basis of the span of the groups' channel subspaces (modified Gram–Schmidt, dropping
 * vectors already in the span). One group's vectors are orthonormal as they stand, but groups in
 * adjacent layers can share coordinates (neuron j's outgoing column is part of the next layer's
 * input rows), so the union is orthonormalised. Dense vectors: P is a few hundred at most and this
 * runs once per classified record.
 */
function channelSubspaceBasis(arch: Architecture, theta: ArrayLike<number>, groups: readonly { layer: number; members: number[] }[], coordinates: readonly number[]): Float64Array[] {
  const P = theta.length;
  const basis: Float64Array[] = [];
  const add = (v: Float64Array) => {
    for (const b of basis) {
      let dot = 0;
      for (let k = 0; k < P; k++) dot += b[k] * v[k];
      for (let k = 0; k < P; k++) v[k] -= dot * b[k];
    }
    const length = norm(v);
    if (length > 1e-12) basis.push(v.map((x) => x / length));
  };
  for (const group of groups) {
    const { outputCoordinates, rows, direction } = channelSubspace(arch, theta, group);
    for (const k of outputCoordinates) {
      const v = new Float64Array(P);
      v[k] = 1;
      add(v);
    }
    for (const row of rows) {
      const v = new Float64Array(P);
      row.forEach((k, t) => (v[k] = direction[t]));
      add(v);
    }
  }
  for (const k of coordinates) {
    const v = new Float64Array(P);
    v[k] = 1;
    add(v);
  }
  return basis;
}

/** Activations with σ(−z) = −σ(z): a neuron (ũ, o) computes the same as (−ũ, −o). */
export const ODD_ACTIVATIONS: ReadonlySet<Architecture['activation']> = new Set(['erf', 'tanh']);

/**
 * For odd activations, the sign flips (one per hidden neuron) that make close-up-to-sign neurons
 * point the same way; null for other activations. Two erf neurons with ũᵢ ≈ −ũⱼ and equal, large
 * output weights are a channel in disguise: flipping j (input vector and outgoing column) leaves the
 * function unchanged and shows ũᵢ ≈ ũⱼ with opposite output weights. Per layer, neurons are taken
 * by decreasing ‖ũ‖ and each is oriented towards the already oriented neuron it is closest to up to
 * sign, so a cluster ends up aligned with its largest member.
 */
export function oddSymmetryFlips(arch: Architecture, theta: ArrayLike<number>): boolean[][] | null {
  if (!ODD_ACTIVATIONS.has(arch.activation)) return null;
  checkTheta(arch, theta);
  return arch.hidden.map((_, layer) => {
    const inputs = layerInputVectors(arch, theta, layer);
    const flips = inputs.map(() => false);
    const order = inputs.map((_, n) => n).sort((p, q) => norm(inputs[q]) - norm(inputs[p]));
    const oriented: Float64Array[] = [];
    for (const n of order) {
      const u = inputs[n];
      const negated = u.map((x) => -x);
      let best = Infinity;
      let flip = false;
      for (const v of oriented) {
        const same = cosineDistance(u, v);
        const opposite = cosineDistance(negated, v);
        if (Math.min(same, opposite) < best) {
          best = Math.min(same, opposite);
          flip = opposite < same;
        }
      }
      flips[n] = flip;
      oriented.push(flip ? negated : u);
    }
    return flips;
  });
}

/** Activations with σ(z) − σ(−z) = z (softplus, gelu): (ũ, o) computes what (−ũ, o) does plus o·(ũ·x̃). */
export const REFLECTION_ACTIVATIONS: ReadonlySet<Architecture['activation']> = new Set(['softplus', 'gelu']);

/** How far a set of reflections may leave its linear terms uncancelled: ‖Σ o⊗w‖ ≤ this·Σ‖o‖‖w‖. */
export const REFLECTION_BALANCE = 0.05;

/**
 * Reflections of softplus and gelu neurons: the channels such a network hides as antiparallel pairs.
 * softplus(z) = softplus(−z) + z, so a neuron (ũ, o) equals the reflected neuron (−ũ, o) plus the
 * affine term o·(w·x + b). A pair with ũⱼ ≈ −ũᵢ and oⱼ ≈ −oᵢ large is thus a channel (ũᵢ ≈ −ũⱼ,
 * opposite outputs) plus a large linear term o·w·x; the flow sweep's r = 8 runs hold such pairs whose
 * linear terms cancel each other (seed 4: neurons 5, 6 and 7's sum to 1% of their size). Per hidden
 * layer, neurons are taken by decreasing ‖ũ‖ and one is reflected when it is antiparallel to an
 * already oriented neuron (cosine distance of ũ and −ũ' at most `cosine`, relative L2 distance at
 * most `equal`); the layer's reflections are kept only if their linear terms cancel to
 * REFLECTION_BALANCE of their size (else the largest subset that does, or none). Returns per layer
 * the neurons reflected and the uncancelled fraction, or null for other activations or when nothing
 * is reflected.
 */
export function reflectionFlips(arch: Architecture, theta: ArrayLike<number>, cosine = 1e-2, equal = 0.5): { flips: boolean[][]; residual: number[] } | null {
  if (!REFLECTION_ACTIVATIONS.has(arch.activation)) return null;
  const layout = checkTheta(arch, theta);
  const residual: number[] = [];
  const flips = arch.hidden.map((_, layer) => {
    const inputs = layerInputVectors(arch, theta, layer);
    const outgoing = layerOutgoingVectors(arch, theta, layer);
    const fanIn = layout.layers[layer].fanIn;
    const order = inputs.map((_, n) => n).sort((p, q) => norm(inputs[q]) - norm(inputs[p]));
    const oriented: Float64Array[] = [];
    const candidates: number[] = [];
    for (const n of order) {
      const negated = inputs[n].map((x) => -x);
      const mirrored = oriented.some((v) => {
        const opposite = cosineDistance(negated, v);
        return opposite <= cosine && opposite < cosineDistance(inputs[n], v) && relativeL2Distance(negated, v) <= equal;
      });
      if (mirrored) candidates.push(n);
      oriented.push(mirrored ? negated : inputs[n]);
    }
    // the linear terms o⊗w (weights only: the bias part is a constant the next layer's bias takes)
    const uncancelled = (members: number[]) => {
      let [sum, size] = [new Float64Array(outgoing[0].length * fanIn), 0];
      for (const n of members) {
        const w = inputs[n].subarray(0, fanIn);
        size += norm(outgoing[n]) * norm(w);
        outgoing[n].forEach((o, k) => w.forEach((x, i) => (sum[k * fanIn + i] += o * x)));
      }
      return size > 0 ? norm(sum) / size : Infinity;
    };
    let best: number[] = [];
    let bestResidual = 0;
    // every subset, largest first (a layer has few candidates: at most half its neurons in practice)
    const subsets = candidates.length <= 12 ? 1 << candidates.length : 0;
    for (let mask = subsets - 1; mask > 0; mask--) {
      const members = candidates.filter((_, k) => mask & (1 << k));
      if (members.length < best.length) continue;
      const fraction = uncancelled(members);
      if (fraction <= REFLECTION_BALANCE && (members.length > best.length || fraction < bestResidual)) [best, bestResidual] = [members, fraction];
    }
    residual.push(bestResidual);
    return inputs.map((_, n) => best.includes(n));
  });
  return flips.some((layer) => layer.some(Boolean)) ? { flips, residual } : null;
}

/**
 * θ with the given neurons reflected: input vector negated, outgoing vector kept, the constant of
 * the affine term o·b moved into the next layer's bias (when there are biases). The function differs
 * from θ's by the reflections' uncancelled linear terms only.
 */
export function applyReflections(arch: Architecture, theta: ArrayLike<number>, flips: boolean[][]): Float64Array {
  const layout = checkTheta(arch, theta);
  const out = Float64Array.from(theta);
  flips.forEach((layerFlips, layer) =>
    layerFlips.forEach((flip, neuron) => {
      if (!flip) return;
      const incoming = inputCoordinates(layout, layer, neuron);
      const next = layout.layers[layer + 1];
      if (next.biasOffset >= 0 && layout.layers[layer].biasOffset >= 0) {
        const bias = theta[layout.layers[layer].biasOffset + neuron];
        outgoingCoordinates(layout, layer, neuron).forEach((k, m) => (out[next.biasOffset + m] += theta[k] * bias));
      }
      for (const k of incoming) out[k] = -out[k];
    }),
  );
  return out;
}

/**
 * What reflections of the last hidden layer's neurons leave out of the function: x ↦ Σ oⱼ·(wⱼ·h̃(x))
 * over the reflected neurons j (weights only; applyReflections moved the biases' part into the output
 * bias), with h̃(x) the layer's input. θ reflected plus this is θ. Null when an earlier layer has
 * reflections (their terms feed the next layer, not the output).
 */
export function reflectionOffset(arch: Architecture, theta: ArrayLike<number>, flips: boolean[][]): ((x: Float64Array) => number) | null {
  const layout = checkTheta(arch, theta);
  const last = arch.hidden.length - 1;
  if (flips.some((layerFlips, layer) => layer < last && layerFlips.some(Boolean))) return null;
  const reflected = flips[last].flatMap((flip, n) => (flip ? [n] : []));
  const { fanIn, weightOffset } = layout.layers[last];
  const outputWeights = layout.layers[last + 1].weightOffset;
  return (x) => {
    const input = last === 0 ? x : forwardTrace(arch, theta, x).inputs[last];
    let sum = 0;
    for (const n of reflected) {
      let z = 0;
      for (let i = 0; i < fanIn; i++) z += theta[weightOffset + n * fanIn + i] * input[i];
      sum += theta[outputWeights + n] * z;
    }
    return sum;
  };
}

/**
 * The symmetry orientation the classifier compares neurons in: odd activations' sign flips
 * (oddSymmetryFlips, exact) or softplus/gelu reflections (reflectionFlips, exact up to their
 * uncancelled linear terms); null when neither applies. `orient` maps any θ of the run (its history
 * too) with the same flips.
 */
export function symmetryOrientation(arch: Architecture, theta: ArrayLike<number>): { kind: 'odd' | 'reflection'; flips: boolean[][]; orient: (t: ArrayLike<number>) => Float64Array; residual?: number[] } | null {
  const odd = oddSymmetryFlips(arch, theta);
  if (odd) return { kind: 'odd', flips: odd, orient: (t) => applyNeuronFlips(arch, t, odd) };
  const reflections = reflectionFlips(arch, theta);
  if (reflections) return { kind: 'reflection', flips: reflections.flips, residual: reflections.residual, orient: (t) => applyReflections(arch, t, reflections.flips) };
  return null;
}

/** θ with the given neurons flipped (input vector and outgoing column negated): the same function for odd σ. */
export function applyNeuronFlips(arch: Architecture, theta: ArrayLike<number>, flips: boolean[][]): Float64Array {
  const layout = checkTheta(arch, theta);
  const out = Float64Array.from(theta);
  flips.forEach((layerFlips, layer) =>
    layerFlips.forEach((flip, neuron) => {
      if (!flip) return;
      for (const k of inputCoordinates(layout, layer, neuron)) out[k] = -out[k];
      for (const k of outgoingCoordinates(layout, layer, neuron)) out[k] = -out[k];
    }),
  );
  return out;
}
