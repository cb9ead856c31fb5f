// Neuron permutations: hidden neurons of one layer can be reordered (rows of W_l and b_l together
// with the columns of W_{l+1}) without changing the network function, so two trained networks are
// "the same solution" when one is a permutation of the other. This file finds the best matching
// permutation (optimal assignment by the Hungarian algorithm), a canonical ordering, the distance up
// to permutation, and clusters final networks into distinct solutions (science.md, "Loss levels:
// … distinct solutions are counted up to neuron permutation").
//
// Sign symmetries of odd activations (tanh, erf: (w, a) → (−w, −a)) are NOT quotiented out: two
// tanh networks that differ by such a flip count as different solutions.
import { parameterLayout, type Architecture, type ParameterLayout } from '../model/architecture.js';
import { checkTheta } from './network.js';
import { lossLevels } from './statistics.js';

export interface Assignment {
  /** assignment[row] = column matched to that row */
  assignment: number[];
  /** Σ cost[row][assignment[row]] */
  cost: number;
}

/**
 * Minimum-cost perfect assignment of an n×n cost matrix (row-major), Hungarian algorithm with
 * potentials (Kuhn–Munkres, shortest augmenting paths), O(n³). Costs must be finite.
 */
export function hungarian(cost: ArrayLike<number>, n: number): Assignment {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`hungarian: n must be a non-negative integer, got ${n}`);
  if (cost.length !== n * n) throw new RangeError(`hungarian: cost holds ${cost.length} values, expected ${n}×${n}`);
  for (let k = 0; k < cost.length; k++) if (!Number.isFinite(cost[k])) throw new RangeError(`hungarian: cost entry ${k} is ${cost[k]}`);
  // 1-based arrays as in the classical formulation; column 0 is a virtual column holding the row
  // being inserted. u, v: row and column potentials; match[col] = row matched to col (0: none).
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const match = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  const minSlack = new Float64Array(n + 1);
  const used = new Uint8Array(n + 1);
  for (let row = 1; row <= n; row++) {
    match[0] = row;
    let col0 = 0;
    minSlack.fill(Infinity);
    used.fill(0);
    // grow a tree of tight edges from `row` until it reaches a free column (Dijkstra on reduced costs)
    do {
      used[col0] = 1;
      const r = match[col0];
      let delta = Infinity;
      let col1 = 0;
      for (let col = 1; col <= n; col++) {
        if (used[col]) continue;
        const slack = cost[(r - 1) * n + (col - 1)] - u[r] - v[col];
        if (slack < minSlack[col]) {
          minSlack[col] = slack;
          way[col] = col0;
        }
        if (minSlack[col] < delta) {
          delta = minSlack[col];
          col1 = col;
        }
      }
      for (let col = 0; col <= n; col++) {
        if (used[col]) {
          u[match[col]] += delta;
          v[col] -= delta;
        } else minSlack[col] -= delta;
      }
      col0 = col1;
    } while (match[col0] !== 0);
    // augment along the path back to the virtual column
    do {
      const previous = way[col0];
      match[col0] = match[previous];
      col0 = previous;
    } while (col0 !== 0);
  }
  const assignment = new Array<number>(n).fill(-1);
  for (let col = 1; col <= n; col++) if (match[col] > 0) assignment[match[col] - 1] = col - 1;
  let total = 0;
  for (let row = 0; row < n; row++) total += cost[row * n + assignment[row]];
  return { assignment, cost: total };
}

/**
 * One permutation per hidden layer: permutations[l][i] = the ORIGINAL index of the neuron placed at
 * position i of hidden layer l.
 */
export type NeuronPermutations = number[][];

function checkPermutations(arch: Architecture, permutations: NeuronPermutations): void {
  if (permutations.length !== arch.hidden.length) throw new RangeError(`${permutations.length} permutations for ${arch.hidden.length} hidden layers`);
  permutations.forEach((perm, layer) => {
    const width = arch.hidden[layer];
    const seen = new Uint8Array(width);
    if (perm.length !== width) throw new RangeError(`layer ${layer}: permutation of ${perm.length} entries for ${width} neurons`);
    for (const index of perm) {
      if (!Number.isInteger(index) || index < 0 || index >= width || seen[index]) throw new RangeError(`layer ${layer}: [${perm.join(', ')}] is not a permutation of 0…${width - 1}`);
      seen[index] = 1;
    }
  });
}

/** The identity permutation of every hidden layer. */
export function identityPermutations(arch: Architecture): NeuronPermutations {
  return arch.hidden.map((width) => Array.from({ length: width }, (_, i) => i));
}

/**
 * The same network with its hidden neurons reordered: new neuron i of layer l is old neuron
 * permutations[l][i] (its row of W_l, its bias, and its column of W_{l+1} move together). The
 * function f(x) is unchanged.
 */
export function permuteNetwork(arch: Architecture, theta: ArrayLike<number>, permutations: NeuronPermutations): Float64Array {
  const layout = checkTheta(arch, theta);
  checkPermutations(arch, permutations);
  const out = Float64Array.from(theta);
  layout.layers.forEach((level, index) => {
    const rows = index < arch.hidden.length ? permutations[index] : null; // the output neuron is never permuted
    const cols = index > 0 ? permutations[index - 1] : null; // the input coordinates are never permuted
    const { fanIn, fanOut, weightOffset, biasOffset } = level;
    for (let i = 0; i < fanOut; i++) {
      const oldRow = rows ? rows[i] : i;
      for (let k = 0; k < fanIn; k++) out[weightOffset + i * fanIn + k] = theta[weightOffset + oldRow * fanIn + (cols ? cols[k] : k)];
      if (biasOffset >= 0) out[biasOffset + i] = theta[biasOffset + oldRow];
    }
  });
  return out;
}

/**
 * Squared distance between neuron i of network A and neuron j of network B in hidden layer `layer`:
 * incoming weights (B's columns read through the previous layer's permutation), bias, and outgoing
 * weights (B's rows of W_{l+1} read through the next layer's permutation).
 */
function neuronCost(
  layout: ParameterLayout,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  layer: number,
  i: number,
  j: number,
  permutations: NeuronPermutations,
  includeOutgoing: boolean,
): number {
  const incoming = layout.layers[layer];
  const outgoing = layout.layers[layer + 1];
  const previous = layer > 0 ? permutations[layer - 1] : null;
  const next = layer + 1 < permutations.length ? permutations[layer + 1] : null;
  let sum = 0;
  for (let k = 0; k < incoming.fanIn; k++) {
    const diff = a[incoming.weightOffset + i * incoming.fanIn + k] - b[incoming.weightOffset + j * incoming.fanIn + (previous ? previous[k] : k)];
    sum += diff * diff;
  }
  if (incoming.biasOffset >= 0) sum += (a[incoming.biasOffset + i] - b[incoming.biasOffset + j]) ** 2;
  if (!includeOutgoing) return sum;
  for (let m = 0; m < outgoing.fanOut; m++) {
    const diff = a[outgoing.weightOffset + m * outgoing.fanIn + i] - b[outgoing.weightOffset + (next ? next[m] : m) * outgoing.fanIn + j];
    sum += diff * diff;
  }
  return sum;
}

export interface PermutationMatch {
  /** apply to B (permuteNetwork) to bring it closest to A */
  permutations: NeuronPermutations;
  /** ‖θ_A − π(θ_B)‖ (Euclidean, every parameter) */
  distance: number;
  /** distance / max(‖θ_A‖, ‖θ_B‖) (0 when both are zero) */
  relative: number;
  /** sweeps over the layers until no permutation changed (1 for one hidden layer) */
  sweeps: number;
}

/**
 * The permutation of B's hidden neurons that brings B closest to A. For each hidden layer the cost
 * of matching A's neuron i with B's neuron j is the SQUARED distance of their full parameter vectors
 * (incoming weights, bias, outgoing weights): the squares add up to ‖θ_A − π(θ_B)‖² over the
 * layer's parameters, so the Hungarian assignment minimises the Euclidean distance exactly.
 *
 * One hidden layer: exact, one assignment. Deep nets: a neuron's incoming vector depends on the
 * previous layer's permutation and its outgoing vector on the next one's, so the layers are
 * permuted consistently: a first forward pass matches each layer by its incoming vectors and
 * biases alone (read through the previous layer's permutation, already chosen; the next layer's is
 * not known yet — except for the last hidden layer, whose outgoing weights feed the fixed output
 * neuron), then block-coordinate descent solves each layer's assignment on the full cost with its
 * neighbours fixed, sweeping forward until nothing changes (at most maxSweeps).
 * Every sweep can only lower the distance; the result is a local optimum of the joint problem
 * (exact whenever the networks are permutations of each other up to small perturbations).
 */
export function matchNeurons(arch: Architecture, a: ArrayLike<number>, b: ArrayLike<number>, maxSweeps = 20): PermutationMatch {
  const layout = checkTheta(arch, a);
  checkTheta(arch, b);
  const permutations = identityPermutations(arch);
  const last = arch.hidden.length - 1;
  const costMatrix = (layer: number, includeOutgoing: boolean): Float64Array => {
    const width = arch.hidden[layer];
    const cost = new Float64Array(width * width);
    for (let i = 0; i < width; i++) for (let j = 0; j < width; j++) cost[i * width + j] = neuronCost(layout, a, b, layer, i, j, permutations, includeOutgoing);
    return cost;
  };
  if (last > 0) {
    for (let layer = 0; layer <= last; layer++) permutations[layer] = hungarian(costMatrix(layer, layer === last), arch.hidden[layer]).assignment;
  }
  let sweeps = 0;
  for (; sweeps < maxSweeps; ) {
    sweeps++;
    let changed = false;
    for (let layer = 0; layer <= last; layer++) {
      const width = arch.hidden[layer];
      const cost = costMatrix(layer, true);
      const { assignment } = hungarian(cost, width);
      // keep the current permutation on ties, so the sweep terminates
      const current = permutations[layer].reduce((sum, j, i) => sum + cost[i * width + j], 0);
      const proposed = assignment.reduce((sum, j, i) => sum + cost[i * width + j], 0);
      if (proposed < current * (1 - 1e-12) && assignment.some((j, i) => j !== permutations[layer][i])) {
        permutations[layer] = assignment;
        changed = true;
      }
    }
    if (!changed || last === 0) break;
  }
  const permuted = permuteNetwork(arch, b, permutations);
  let squares = 0;
  let normA = 0;
  let normB = 0;
  for (let k = 0; k < layout.count; k++) {
    squares += (a[k] - permuted[k]) ** 2;
    normA += a[k] * a[k];
    normB += b[k] * b[k];
  }
  const distance = Math.sqrt(squares);
  const scale = Math.sqrt(Math.max(normA, normB));
  return { permutations, distance, relative: scale === 0 ? 0 : distance / scale, sweeps };
}

/** ‖θ_A − π(θ_B)‖ for the best permutation π (see matchNeurons), with its relative form. */
export function distanceUpToPermutation(arch: Architecture, a: ArrayLike<number>, b: ArrayLike<number>): { distance: number; relative: number } {
  const { distance, relative } = matchNeurons(arch, a, b);
  return { distance, relative };
}

/**
 * A canonical representative of θ's permutation class: layer by layer from the input, the neurons
 * sorted lexicographically by their incoming vector (weights in the — already canonical — order of
 * the previous layer, then the bias), ties broken by the outgoing weights. Two networks that are
 * exact permutations of each other get identical canonical forms (up to exact ties in both
 * incoming and outgoing vectors, which are the same neuron). Lexicographic order is not continuous:
 * nearly equal networks can get different orders, so compare networks with matchNeurons, not by
 * canonical forms.
 */
export function canonicalize(arch: Architecture, theta: ArrayLike<number>): { theta: Float64Array; permutations: NeuronPermutations } {
  const layout = checkTheta(arch, theta);
  const permutations = identityPermutations(arch);
  let current: Float64Array = Float64Array.from(theta);
  for (let layer = 0; layer < arch.hidden.length; layer++) {
    const incoming = layout.layers[layer];
    const outgoing = layout.layers[layer + 1];
    const key = (n: number): number[] => {
      const values: number[] = [];
      for (let k = 0; k < incoming.fanIn; k++) values.push(current[incoming.weightOffset + n * incoming.fanIn + k]);
      if (incoming.biasOffset >= 0) values.push(current[incoming.biasOffset + n]);
      for (let m = 0; m < outgoing.fanOut; m++) values.push(current[outgoing.weightOffset + m * outgoing.fanIn + n]);
      return values;
    };
    const keys = Array.from({ length: arch.hidden[layer] }, (_, n) => key(n));
    const order = keys.map((_, n) => n).sort((p, q) => {
      for (let k = 0; k < keys[p].length; k++) if (keys[p][k] !== keys[q][k]) return keys[p][k] - keys[q][k];
      return p - q;
    });
    const step = identityPermutations(arch);
    step[layer] = order;
    current = permuteNetwork(arch, current, step);
    permutations[layer] = order.map((n) => permutations[layer][n]);
  }
  return { theta: current, permutations };
}

export interface DistinctSolution {
  /** index (into the input) of the solution's first member: the one the others were compared with */
  representative: number;
  /** indices of every network in this solution, ascending */
  members: number[];
  /** index into `levels` of the solution's loss level; null when no losses were given */
  level: number | null;
  /** largest relative distance up to permutation of a member from the representative */
  spread: number;
}

export interface DistinctSolutions {
  solutions: DistinctSolution[];
  /** loss levels (statistics.ts lossLevels, relative tolerance lossRelTol), when losses were given */
  levels: { loss: number; max: number; count: number; indices: number[]; solutions: number }[] | null;
  /** networks not clustered because a parameter or their loss was non-finite */
  excluded: number[];
}

export interface DistinctSolutionOptions {
  /** final losses, one per network: solutions are first split by loss level */
  losses?: ArrayLike<number>;
  /** relative tolerance of the loss levels (default 1e-3, science.md) */
  lossRelTol?: number;
  /** absolute tolerance of the loss levels, for losses near 0 (default 0) */
  lossAbsTol?: number;
}

/**
 * Clusters networks into distinct solutions up to neuron permutation. Two networks are the same
 * solution when their relative distance up to permutation, ‖θ_A − π(θ_B)‖/max(‖θ_A‖, ‖θ_B‖), is at
 * most `tolerance` (default 1e-2). With `losses`, networks are first grouped into loss levels
 * (lossLevels, relative tolerance 1e-3) and only networks of the same level can share a solution;
 * each level reports how many distinct solutions it holds. Clustering is greedy: in input order, a
 * network joins the first solution whose representative is within tolerance, else starts one.
 */
export function distinctSolutions(arch: Architecture, networks: readonly ArrayLike<number>[], tolerance = 1e-2, options: DistinctSolutionOptions = {}): DistinctSolutions {
  if (!(tolerance >= 0)) throw new RangeError(`tolerance must be non-negative, got ${tolerance}`);
  const P = parameterLayout(arch).count;
  networks.forEach((theta, k) => {
    if (theta.length !== P) throw new RangeError(`network ${k} holds ${theta.length} parameters, the architecture has ${P}`);
  });
  const losses = options.losses;
  if (losses && losses.length !== networks.length) throw new RangeError(`${losses.length} losses for ${networks.length} networks`);
  const excluded: number[] = [];
  const finiteParameters = (k: number): boolean => {
    const theta = networks[k];
    for (let p = 0; p < theta.length; p++) if (!Number.isFinite(theta[p])) return false;
    return true;
  };
  const keep = (indices: number[]): number[] => {
    const kept: number[] = [];
    for (const k of [...indices].sort((p, q) => p - q)) (finiteParameters(k) ? kept : excluded).push(k);
    return kept;
  };
  let groups: number[][];
  let levels: DistinctSolutions['levels'] = null;
  if (losses) {
    const clustered = lossLevels(losses, options.lossRelTol ?? 1e-3, options.lossAbsTol ?? 0);
    excluded.push(...clustered.nonFinite);
    groups = clustered.levels.map((level) => keep(level.indices));
    levels = clustered.levels.map((level) => ({ loss: level.loss, max: level.max, count: level.count, indices: level.indices, solutions: 0 }));
  } else {
    groups = [keep(networks.map((_, k) => k))];
  }
  const solutions: DistinctSolution[] = [];
  groups.forEach((members, levelIndex) => {
    const local: DistinctSolution[] = [];
    for (const k of members) {
      let home: DistinctSolution | undefined;
      let homeDistance = Infinity;
      for (const solution of local) {
        const { relative } = matchNeurons(arch, networks[solution.representative], networks[k]);
        if (relative <= tolerance) {
          home = solution;
          homeDistance = relative;
          break;
        }
      }
      if (home) {
        home.members.push(k);
        home.spread = Math.max(home.spread, homeDistance);
      } else local.push({ representative: k, members: [k], level: levels ? levelIndex : null, spread: 0 });
    }
    if (levels) levels[levelIndex].solutions = local.length;
    solutions.push(...local);
  });
  excluded.sort((p, q) => p - q);
  return { solutions, levels, excluded };
}
