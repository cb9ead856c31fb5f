// The shared machinery of the MLP kernels: shapes, workgroup memory, one sample's forward and
// backward pass (and the R-operator passes for Hessian-vector products), and a full gradient pass
// over a dataset in tiles of TILE samples (one sample per thread).
//
// Layers l = 1..NL: hidden layers 1..NL−1 use activate() (activations.wgsl), layer NL is the
// identity output with one neuron. Shapes are fixed at pipeline creation (the host fills the
// ${…} constants). The including kernel declares the bindings `xs` and `ys` and defines
// `fn sample_row(n: u32) -> u32`: the dataset row of the pass's n-th sample.
//
// Each thread owns parameters p = tid + k·TILE: after a pass their gradient (and HVP) over all
// samples is in its grad_sum[k] (hvp_sum[k]). Three ways to get it there (the host picks per shape,
// src/engine/gpu/kernel-strategy.ts):
// - tiled: after each tile the owner sums its parameters' outer products over the tile's rows in
//   workgroup memory (two barriers per tile): a plain sum per tile, Kahan across tiles.
// - REGISTER_ACCUMULATE: each thread sums all P parameters over its own samples in private arrays
//   (no barrier per tile: plain sums over blocks of ACC_BLOCK tiles, then over blocks), and the
//   workgroup reduces them once per pass, Kahan across threads. The two-level sum's rounding
//   (~(ACC_BLOCK + N/(ACC_BLOCK·TILE))·u) stays below the tiled sum's (~TILE·u). Only for small P:
//   the arrays must fit in registers.
// - BLOCKED_ACCUMULATE: as tiled, but each thread sums blocks of BLOCK_J neurons × BLOCK_I inputs
//   (register blocking: BLOCK_J + BLOCK_I workgroup loads per BLOCK_J·BLOCK_I multiply-adds instead
//   of two per multiply-add), then hands the sums to the owners through workgroup memory once per pass.
// The loss sum is Kahan per thread and a pairwise tree across threads.
//
// HVP gives the rows their R-operator slots (and the workgroup vector vv); R_OPERATOR (normally
// equal to HVP) also runs the R-operator passes. The stiff kernel with its closed-form Hessian uses the
// slots but not the passes, which would double the cost of every gradient.
//
// GROUPED (one hidden layer; forward and gradient, not the R-operator passes): θ may be in group
// coordinates for groups of up to MAX_GROUP hidden neurons k₀ < … < k_{n−1} (set by the including
// kernel in the group_* tables): the slot of k_j holds U_j·w and U_j·a for the Helmert basis U
// (src/model/groups.ts groupCoordinates; for n = 2 the pair coordinates m, h = (w_i ± w_j)/√2,
// s, t = (a_i ± a_j)/√2). An orthogonal change of variables, so gradients and the weight norm
// transform as θ does. Near a channel (w_k nearly equal, a_k large with Σ a_k small) network
// coordinates lose the small differences to rounding twice, in θ and in Σ a_kσ(z_k); in group
// coordinates neither cancels (group_rows).

const TILE: u32 = ${TILE}u;
const NL: u32 = ${NL}u;                  // layers with weights, output included
const P: u32 = ${P}u;                    // parameters per network
const D: u32 = ${D}u;                    // input dimension
const OWN: u32 = ${OWN}u;                // parameters owned per thread: ceil(P / TILE)
const FPS: u32 = ${FPS}u;                // workgroup floats per sample row
const MAX_WIDTH: u32 = ${MAX_WIDTH}u;    // widest layer, inputs included
const SPT: u32 = ${SPT}u;                // samples per thread and tile
const TILE_SAMPLES: u32 = TILE * SPT;    // samples per tile: thread t has samples t + s·TILE
const ROW_STRIDE: u32 = TILE * FPS;      // between the rows of a thread's consecutive samples
const BIAS_INPUT: u32 = 0xffffffffu;     // "input index" of a bias parameter
#if ${GROUPED}
const MAX_GROUP: u32 = 4u;
const NO_GROUP: u32 = 0xffffffffu;
// per hidden neuron: its group's first neuron (NO_GROUP on its own) and its position in the group;
// per group, at its first neuron: the size and the members in increasing order (the including
// kernel sets them, group_rows reads them)
var<workgroup> group_first: array<u32, MAX_WIDTH>;
var<workgroup> group_position: array<u32, MAX_WIDTH>;
var<workgroup> group_size: array<u32, MAX_WIDTH>;
var<workgroup> group_members: array<vec4<u32>, MAX_WIDTH>;
// 1/√m for m = 0..12 (entry 0 unused): the Helmert basis's scales as correctly rounded constants
const INV_SQRT = array<f32, 13>(0.0, 1.0, 0.70710678118654752, 0.57735026918962576, 0.5,
  0.44721359549995794, 0.40824829046386302, 0.37796447300922723, 0.35355339059327376,
  0.33333333333333333, 0.31622776601683793, 0.30151134457776362, 0.28867513459481288);

// U_jk of the n × n Helmert basis: row 0 is 1/√n; row j ≥ 1 is 1/√(j(j+1)) before k = j, −j/√(j(j+1))
// at k = j and 0 after
fn helmert(n: u32, j: u32, k: u32) -> f32 {
  if (j == 0u) {
    return INV_SQRT[n];
  }
  let scale = INV_SQRT[j * (j + 1u)];
  return select(select(0.0, -f32(j) * scale, k == j), scale, k < j);
}

fn is_grouped(j: u32) -> bool {
  return group_first[j] != NO_GROUP;
}

#if ${HVP}
// A group of n holds n(n+1) Hessian coefficients per sample (group_rows): the curvatures (i, j),
// i ≤ j, at t = group_pair_index(n, i, j), then the output columns at n(n+1)/2 + that. They live in
// the members' R-operator slots (ROW_RA, ROW_RZ, ROW_RDELTA: a grouped neuron has no R-operator),
// then two more per member in ROW_GROUP (n(n+1) ≤ 5n for n ≤ 4).
fn group_coefficient_offset(first: u32, t: u32) -> u32 {
  let members = group_members[first];
  let n = group_size[first];
  if (t < 3u * n) {
    let member = members[t / 3u];
    return select(select(ROW_RDELTA[1], ROW_RZ[1], t % 3u == 1u), ROW_RA[1], t % 3u == 0u) + member;
  }
  let extra = t - 3u * n;
  return ROW_GROUP + 2u * members[extra / 2u] + extra % 2u;
}

fn group_pair_index(n: u32, i: u32, j: u32) -> u32 {
  let low = min(i, j);
  return low * (2u * n + 1u - low) / 2u + max(i, j) - low;
}
#endif
#endif

// per layer l = 0..NL (index 0: the inputs)
const WIDTH = array<u32, 5>(${WIDTHS});
const WEIGHT_OFFSET = array<u32, 5>(${WEIGHT_OFFSETS});
const BIAS_OFFSET = array<u32, 5>(${BIAS_OFFSETS});
// offsets inside a sample's row of workgroup memory
const ROW_A = array<u32, 5>(${ROW_A});           // a_l (l < NL)
const ROW_DELTA = array<u32, 5>(${ROW_DELTA});   // σ'(z_l), overwritten by δ_l
#if ${HVP}
const ROW_RA = array<u32, 5>(${ROW_RA});         // R a_l
const ROW_RDELTA = array<u32, 5>(${ROW_RDELTA}); // σ''(z_l), overwritten by R δ_l
const ROW_RZ = array<u32, 5>(${ROW_RZ});         // R z_l
const ROW_GROUP: u32 = ${ROW_GROUP}u;            // GROUPED: two per neuron for group_rows's Hessian coefficients
#endif


var<workgroup> th: array<f32, P>;
#if ${HVP}
var<workgroup> vv: array<f32, P>;
#endif
var<workgroup> rows: array<f32, ${ROWS_SIZE}>;
var<workgroup> partial: array<f32, TILE>;

// the parameter index of layer l's weight from input i to neuron j
fn weight_index(l: u32, j: u32, i: u32) -> u32 {
  return WEIGHT_OFFSET[l] + j * WIDTH[l - 1u] + i;
}

fn weight(l: u32, j: u32, i: u32) -> f32 {
  return th[weight_index(l, j, i)];
}

fn bias(l: u32, j: u32) -> f32 {
#if ${BIASES}
  return th[BIAS_OFFSET[l] + j];
#else
  return 0.0;
#endif
}

#if ${HVP}
fn dir_weight(l: u32, j: u32, i: u32) -> f32 {
  return vv[weight_index(l, j, i)];
}

fn dir_bias(l: u32, j: u32) -> f32 {
#if ${BIASES}
  return vv[BIAS_OFFSET[l] + j];
#else
  return 0.0;
#endif
}
#endif

#if ${SUBGROUPS}
// Sums (maxima) by subgroup operations, then one partial per subgroup; every thread gets the total.
// A subgroup's invocations are taken to be consecutive in local_invocation_index (so on NVIDIA
// GPUs and SwiftShader; tests/engine/gpu-strategies.test.ts checks the results).
fn subgroup_combine(tid: u32, subgroup_value: f32, is_max: bool) -> f32 {
  let size = subgroupAdd(1u);
  if (subgroupElect()) {
    partial[tid / size] = subgroup_value;
  }
  workgroupBarrier();
  var total = partial[0];
  for (var g = 1u; g < TILE / size; g++) {
    total = select(total + partial[g], max(total, partial[g]), is_max);
  }
  workgroupBarrier();
  return total;
}

fn workgroup_sum(tid: u32, value: f32) -> f32 {
  return subgroup_combine(tid, subgroupAdd(value), false);
}

fn workgroup_max(tid: u32, value: f32) -> f32 {
  return subgroup_combine(tid, subgroupMax(value), true);
}
#else
// Pairwise tree sum of one value per thread; every thread gets the total.
fn workgroup_sum(tid: u32, value: f32) -> f32 {
  partial[tid] = value;
  workgroupBarrier();
  for (var stride = TILE / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) {
      partial[tid] += partial[tid + stride];
    }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

// Largest value over the workgroup (threads pass 0 when they have nothing); every thread gets it.
fn workgroup_max(tid: u32, value: f32) -> f32 {
  partial[tid] = value;
  workgroupBarrier();
  for (var stride = TILE / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) {
      partial[tid] = max(partial[tid], partial[tid + stride]);
    }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}
#endif

// This thread's samples in the tile from `start` of a pass over `count` samples: n = start + s·TILE + tid.
struct TileSamples {
  data_row: array<u32, SPT>,   // the dataset row (sample_row; clamped to the last sample past the end)
  valid: array<bool, SPT>,
}

fn tile_samples(tid: u32, start: u32, count: u32) -> TileSamples {
  var samples: TileSamples;
  for (var s = 0u; s < SPT; s++) {
    let n = start + s * TILE + tid;
    samples.valid[s] = n < count;
    samples.data_row[s] = sample_row(min(n, count - 1u));
  }
  return samples;
}

// Forward (and R-forward) pass of this thread's SPT samples, whose rows start at row0 + s·ROW_STRIDE;
// returns (f, R f) per sample (zero inputs for samples past the end). Each weight is read from
// workgroup memory once for all SPT samples. With HOIST_INPUTS each layer's inputs are read once
// into private arrays (registers when the loops unroll) instead of once per weight.
fn forward(row0: u32, samples: TileSamples) -> array<vec2<f32>, SPT> {
  for (var s = 0u; s < SPT; s++) {
    for (var i = 0u; i < D; i++) {
      rows[row0 + s * ROW_STRIDE + ROW_A[0] + i] = select(0.0, xs[samples.data_row[s] * D + i], samples.valid[s]);
    }
  }
  for (var l = 1u; l < NL; l++) {
    let fan_in = WIDTH[l - 1u];
#if ${HOIST_INPUTS}
    var a_prev: array<f32, SPT * MAX_WIDTH>;
#if ${R_OPERATOR}
    var ra_prev: array<f32, SPT * MAX_WIDTH>;
#endif
    for (var s = 0u; s < SPT; s++) {
      for (var i = 0u; i < fan_in; i++) {
        a_prev[s * MAX_WIDTH + i] = rows[row0 + s * ROW_STRIDE + ROW_A[l - 1u] + i];
#if ${R_OPERATOR}
        ra_prev[s * MAX_WIDTH + i] = select(0.0, rows[row0 + s * ROW_STRIDE + ROW_RA[l - 1u] + i], l > 1u);
#endif
      }
    }
#endif
    for (var j = 0u; j < WIDTH[l]; j++) {
      var z: array<f32, SPT>;
#if ${R_OPERATOR}
      var rz: array<f32, SPT>;
#endif
      for (var s = 0u; s < SPT; s++) {
        z[s] = bias(l, j);
#if ${R_OPERATOR}
        rz[s] = dir_bias(l, j);
#endif
      }
      for (var i = 0u; i < fan_in; i++) {
        let w = weight(l, j, i);
#if ${R_OPERATOR}
        let v = dir_weight(l, j, i);
#endif
        for (var s = 0u; s < SPT; s++) {
          let row = row0 + s * ROW_STRIDE;
#if ${HOIST_INPUTS}
          let a_in = a_prev[s * MAX_WIDTH + i];
#else
          let a_in = rows[row + ROW_A[l - 1u] + i];
#endif
          z[s] += w * a_in;
#if ${R_OPERATOR}
          rz[s] += v * a_in;
          if (l > 1u) {
#if ${HOIST_INPUTS}
            rz[s] += w * ra_prev[s * MAX_WIDTH + i];
#else
            rz[s] += w * rows[row + ROW_RA[l - 1u] + i];
#endif
          }
#endif
        }
      }
      for (var s = 0u; s < SPT; s++) {
        let row = row0 + s * ROW_STRIDE;
#if ${GROUPED}
        if (is_grouped(j)) {
          rows[row + ROW_A[1] + j] = z[s];   // the pre-activation, for group_rows
          continue;
        }
#endif
        let act = activate(z[s]);
        rows[row + ROW_A[l] + j] = act.x;
        rows[row + ROW_DELTA[l] + j] = act.y;
#if ${HVP}
        rows[row + ROW_RDELTA[l] + j] = act.z;   // σ″ (the R-operator's, and the stiff kernel's hessian_rows)
#endif
#if ${R_OPERATOR}
        rows[row + ROW_RZ[l] + j] = rz[s];
        rows[row + ROW_RA[l] + j] = act.y * rz[s];
#endif
      }
    }
  }
#if ${GROUPED}
  group_rows(row0);
#endif
  let last = NL - 1u;
  var out: array<vec2<f32>, SPT>;
  for (var s = 0u; s < SPT; s++) {
    out[s] = vec2<f32>(bias(NL, 0u), 0.0);
#if ${R_OPERATOR}
    out[s].y = dir_bias(NL, 0u);
#endif
  }
  for (var i = 0u; i < WIDTH[last]; i++) {
    let w = weight(NL, 0u, i);
#if ${R_OPERATOR}
    let v = dir_weight(NL, 0u, i);
#endif
    for (var s = 0u; s < SPT; s++) {
      let row = row0 + s * ROW_STRIDE;
      let a_in = rows[row + ROW_A[last] + i];
      out[s].x += w * a_in;
#if ${R_OPERATOR}
      out[s].y += v * a_in + w * rows[row + ROW_RA[last] + i];
#endif
    }
  }
  return out;
}

#if ${GROUPED}
// A group's rows from its slots' pre-activations ζ_j = (U_j·w)·x̃. The members' own are z_k = z̄ + η_k
// with z̄ = ζ₀/√n and η_k = Σ_{j≥1} U_jk ζ_j; with σ̄⁽ⁱ⁾ = σ⁽ⁱ⁾(z̄) and D⁽ⁱ⁾_k = σ⁽ⁱ⁾(z_k) − σ⁽ⁱ⁾(z̄)
// (pair_activate about z̄ + η_k/2: accurate relative to itself) and a_k = Σ_j U_jk A_j from the
// output coordinates A_j:
//   ROW_A      ∂f/∂A_j = Σ_k U_jk σ(z_k) = √n·σ̄·[j = 0] + Σ_k U_jk D_k
//   ROW_DELTA  ∂f/∂ζ_j = A_j σ̄′ + Σ_k U_jk a_k D′_k, times the output's δ in backward()
// so that f = Σ_j A_j·ROW_A and Σ_k a_k σ′(z_k), which cancels in a channel, is √n·A₀·σ̄′ + … taken
// from θ. With the stiff kernel's HVP layout also the closed-form Hessian's coefficients, for i ≤ j
// (group_coefficient_offset):
//   curvatures      ∂²f/∂ζ_i∂ζ_j = σ̄″·Σ_l c_ijl A_l + Σ_k U_ik U_jk a_k D″_k, c_ijl = Σ_k U_ik U_jk U_lk
//   output columns  ∂²f/∂ζ_i∂A_j = [i = j]·σ̄′ + Σ_k U_ik U_jk D′_k
fn group_rows(row0: u32) {
  for (var first = 0u; first < WIDTH[1]; first++) {
    if (group_first[first] != first) {
      continue;
    }
    let n = group_size[first];
    let members = group_members[first];
    var output: array<f32, MAX_GROUP>;   // A_j
    var a: array<f32, MAX_GROUP>;        // a_k
    for (var j = 0u; j < n; j++) {
      output[j] = weight(2u, 0u, members[j]);
    }
    for (var k = 0u; k < n; k++) {
      a[k] = 0.0;
      for (var j = 0u; j < n; j++) {
        a[k] += helmert(n, j, k) * output[j];
      }
    }
#if ${HVP}
    // Σ_l c_ijl A_l per pair (i, j), i ≤ j, at group_pair_index: the same for every sample
    var mean_curvature: array<f32, MAX_GROUP * (MAX_GROUP + 1u) / 2u>;
    for (var i = 0u; i < n; i++) {
      for (var j = i; j < n; j++) {
        var sum = 0.0;
        for (var l = 0u; l < n; l++) {
          var c = 0.0;
          for (var k = 0u; k < n; k++) {
            c += helmert(n, i, k) * helmert(n, j, k) * helmert(n, l, k);
          }
          sum += c * output[l];
        }
        mean_curvature[group_pair_index(n, i, j)] = sum;
      }
    }
#endif
    for (var s = 0u; s < SPT; s++) {
      let row = row0 + s * ROW_STRIDE;
      var zeta: array<f32, MAX_GROUP>;
      for (var j = 0u; j < n; j++) {
        zeta[j] = rows[row + ROW_A[1] + members[j]];
      }
      let mean = INV_SQRT[n] * zeta[0];
      let at_mean = activate(mean);
      var difference: array<vec3<f32>, MAX_GROUP>;
      for (var k = 0u; k < n; k++) {
        var eta = 0.0;
        for (var j = 1u; j < n; j++) {
          eta += helmert(n, j, k) * zeta[j];
        }
        difference[k] = pair_activate(mean + 0.5 * eta, 0.5 * eta).difference;
      }
      for (var j = 0u; j < n; j++) {
        var value = select(0.0, f32(n) * INV_SQRT[n] * at_mean.x, j == 0u);
        var slope = output[j] * at_mean.y;
        for (var k = 0u; k < n; k++) {
          value += helmert(n, j, k) * difference[k].x;
          slope += helmert(n, j, k) * (a[k] * difference[k].y);
        }
        rows[row + ROW_A[1] + members[j]] = value;
        rows[row + ROW_DELTA[1] + members[j]] = slope;
      }
#if ${HVP}
      for (var i = 0u; i < n; i++) {
        for (var j = i; j < n; j++) {
          let t = group_pair_index(n, i, j);
          var curvature = at_mean.z * mean_curvature[t];
          var cross = select(0.0, at_mean.y, i == j);
          for (var k = 0u; k < n; k++) {
            let basis_product = helmert(n, i, k) * helmert(n, j, k);
            curvature += basis_product * (a[k] * difference[k].z);
            cross += basis_product * difference[k].y;
          }
          rows[row + group_coefficient_offset(first, t)] = curvature;
          rows[row + group_coefficient_offset(first, n * (n + 1u) / 2u + t)] = cross;
        }
      }
#endif
    }
  }
}
#endif

// Backward (and R-backward) pass of this thread's SPT samples from the output's δ = 2e/N,
// R δ = 2 R f / N (g, rg per sample).
fn backward(row0: u32, g: array<f32, SPT>, rg: array<f32, SPT>) {
  for (var s = 0u; s < SPT; s++) {
    rows[row0 + s * ROW_STRIDE + ROW_DELTA[NL]] = g[s];
#if ${R_OPERATOR}
    rows[row0 + s * ROW_STRIDE + ROW_RDELTA[NL]] = rg[s];
#endif
  }
  for (var l = NL - 1u; l >= 1u; l--) {
    for (var j = 0u; j < WIDTH[l]; j++) {
#if ${GROUPED}
      if (is_grouped(j)) {
        // group_rows left ∂f/∂ζ_j
        for (var s = 0u; s < SPT; s++) {
          let row = row0 + s * ROW_STRIDE;
          rows[row + ROW_DELTA[1] + j] *= rows[row + ROW_DELTA[2]];
        }
        continue;
      }
#endif
      // explicit zeros: SwiftShader was seen to keep a loop-local array's values across iterations
      var u = array<f32, SPT>();
      var ru = array<f32, SPT>();
      for (var k = 0u; k < WIDTH[l + 1u]; k++) {
        let w = weight(l + 1u, k, j);
#if ${R_OPERATOR}
        let v = dir_weight(l + 1u, k, j);
#endif
        for (var s = 0u; s < SPT; s++) {
          let row = row0 + s * ROW_STRIDE;
          let delta_next = rows[row + ROW_DELTA[l + 1u] + k];
          u[s] += w * delta_next;
#if ${R_OPERATOR}
          ru[s] += v * delta_next + w * rows[row + ROW_RDELTA[l + 1u] + k];
#endif
        }
      }
      for (var s = 0u; s < SPT; s++) {
        let row = row0 + s * ROW_STRIDE;
        let d1 = rows[row + ROW_DELTA[l] + j];
        rows[row + ROW_DELTA[l] + j] = u[s] * d1;
#if ${R_OPERATOR}
        let d2 = rows[row + ROW_RDELTA[l] + j];
        rows[row + ROW_RDELTA[l] + j] = ru[s] * d1 + u[s] * d2 * rows[row + ROW_RZ[l] + j];
#endif
      }
    }
  }
}


// One step of Kahan summation: (total, carry) after adding value; the sum is total − carry.
fn kahan_add(total: f32, carry: f32, value: f32) -> vec2<f32> {
  let y = value - carry;
  let t = total + y;
  return vec2<f32>(t, (t - total) - y);
}

fn is_finite(x: f32) -> bool {
  // WGSL has no isnan/isinf, and x != x may be folded away: test the exponent bits
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// |x|, a NaN as +∞: for maxima whose finiteness is checked after (WGSL leaves max() with a NaN to the
// implementation, and NVIDIA's returns the other operand; no max() drops an infinity)
fn abs_or_infinity(x: f32) -> f32 {
  var infinity_bits = 0x7f800000u;   // (a var: a constant bitcast to ∞ is a shader-creation error)
  return select(bitcast<f32>(infinity_bits), abs(x), is_finite(x));
}

// which parameters this thread owns: layer, neuron and input (or BIAS_INPUT)
var<private> own_layer: array<u32, OWN>;
var<private> own_neuron: array<u32, OWN>;
var<private> own_input: array<u32, OWN>;
var<private> grad_sum: array<f32, OWN>;
var<private> grad_carry: array<f32, OWN>;
#if ${R_OPERATOR}
var<private> hvp_sum: array<f32, OWN>;
var<private> hvp_carry: array<f32, OWN>;
#endif

// parameter p's layer l, neuron j and input i (BIAS_INPUT for a bias): θ_p = W_l[j][i] or b_l[j]
fn parameter_place(p: u32) -> vec3<u32> {
  var l = 0u;
  for (var m = 1u; m <= NL; m++) {
    if (p >= WEIGHT_OFFSET[m]) {
      l = m;
    }
  }
  let local = p - WEIGHT_OFFSET[l];
  let weights = WIDTH[l] * WIDTH[l - 1u];
  if (local < weights) {
    return vec3<u32>(l, local / WIDTH[l - 1u], local % WIDTH[l - 1u]);
  }
  return vec3<u32>(l, local - weights, BIAS_INPUT);
}

fn decode_ownership(tid: u32) {
  for (var k = 0u; k < OWN; k++) {
    let place = parameter_place(tid + k * TILE);
    own_layer[k] = place.x;
    own_neuron[k] = place.y;
    own_input[k] = place.z;
  }
}

// Adds the tile's outer products δ_l a_{l−1}ᵀ (and R δ_l a_{l−1}ᵀ + δ_l R a_{l−1}ᵀ) to the owned sums.
fn accumulate_tile(tid: u32) {
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      let l = own_layer[k];
      let j = own_neuron[k];
      let i = own_input[k];
      let is_bias = i == BIAS_INPUT;
      var g = 0.0;
#if ${R_OPERATOR}
      var h = 0.0;
#endif
      for (var s = 0u; s < TILE_SAMPLES; s++) {
        let r = s * FPS;
        let delta = rows[r + ROW_DELTA[l] + j];
        var a_in = 1.0;
        if (!is_bias) {
          a_in = rows[r + ROW_A[l - 1u] + i];
        }
        g += delta * a_in;
#if ${R_OPERATOR}
        var ra_in = 0.0;
        if (!is_bias && l > 1u) {
          ra_in = rows[r + ROW_RA[l - 1u] + i];
        }
        h += rows[r + ROW_RDELTA[l] + j] * a_in + delta * ra_in;
#endif
      }
      let sg = kahan_add(grad_sum[k], grad_carry[k], g);
      grad_sum[k] = sg.x;
      grad_carry[k] = sg.y;
#if ${R_OPERATOR}
      let sh = kahan_add(hvp_sum[k], hvp_carry[k], h);
      hvp_sum[k] = sh.x;
      hvp_carry[k] = sh.y;
#endif
    }
  }
}

#if ${REGISTER_ACCUMULATE}
const ACC_BLOCK: u32 = ${ACC_BLOCK}u;         // tiles summed into a block before it joins the total
const REDUCE_CHUNK: u32 = ${REDUCE_CHUNK}u;   // parameters per reduction round (odd: no bank conflicts)

// this thread's partial sums over its own samples, every parameter: the current block, and the total of blocks
var<private> acc_block: array<f32, P>;
var<private> acc_total: array<f32, P>;
#if ${R_OPERATOR}
var<private> racc_block: array<f32, P>;
var<private> racc_total: array<f32, P>;
#endif

fn clear_accumulators() {
  acc_block = array<f32, P>();
  acc_total = array<f32, P>();
#if ${R_OPERATOR}
  racc_block = array<f32, P>();
  racc_total = array<f32, P>();
#endif
}

// Adds this thread's sample (its row after backward()) to the block sums: the same outer products
// as accumulate_tile, parameter by parameter in layout order.
fn accumulate_sample(row: u32) {
  for (var l = 1u; l <= NL; l++) {
    let fan_in = WIDTH[l - 1u];
    for (var j = 0u; j < WIDTH[l]; j++) {
      let delta = rows[row + ROW_DELTA[l] + j];
#if ${R_OPERATOR}
      let rdelta = rows[row + ROW_RDELTA[l] + j];
#endif
      for (var i = 0u; i < fan_in; i++) {
        let p = weight_index(l, j, i);
        let a_in = rows[row + ROW_A[l - 1u] + i];
        acc_block[p] += delta * a_in;
#if ${R_OPERATOR}
        var ra_in = 0.0;
        if (l > 1u) {
          ra_in = rows[row + ROW_RA[l - 1u] + i];
        }
        racc_block[p] += rdelta * a_in + delta * ra_in;
#endif
      }
#if ${BIASES}
      acc_block[BIAS_OFFSET[l] + j] += delta;
#if ${R_OPERATOR}
      racc_block[BIAS_OFFSET[l] + j] += rdelta;
#endif
#endif
    }
  }
}

fn flush_block() {
  for (var p = 0u; p < P; p++) {
    acc_total[p] += acc_block[p];
    acc_block[p] = 0.0;
#if ${R_OPERATOR}
    racc_total[p] += racc_block[p];
    racc_block[p] = 0.0;
#endif
  }
}

// Sums every thread's partials into the owners' `owned` sums, REDUCE_CHUNK parameters per round
// through `rows` (free between passes: thread t's partial of parameter base + c at t·REDUCE_CHUNK + c).
fn reduce_into_owned(tid: u32, totals: ptr<private, array<f32, P>>, owned: ptr<private, array<f32, OWN>>) {
  for (var base = 0u; base < P; base += REDUCE_CHUNK) {
    workgroupBarrier();
    for (var c = 0u; c < REDUCE_CHUNK; c++) {
      let p = base + c;
      if (p < P) {
        rows[tid * REDUCE_CHUNK + c] = (*totals)[p];
      }
    }
    workgroupBarrier();
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p >= base && p < min(base + REDUCE_CHUNK, P)) {
        var total = vec2<f32>(0.0, 0.0);
        for (var t = 0u; t < TILE; t++) {
          total = kahan_add(total.x, total.y, rows[t * REDUCE_CHUNK + p - base]);
        }
        (*owned)[k] = total.x - total.y;
      }
    }
  }
  workgroupBarrier();
}
#endif

#if ${BLOCKED_ACCUMULATE}
const BLOCK_J: u32 = ${BLOCK_J}u;             // neurons per block
const BLOCK_I: u32 = ${BLOCK_I}u;             // inputs per block (input fan_in: the bias)
const BLOCK_SIZE: u32 = BLOCK_J * BLOCK_I;
const BLOCKS: u32 = ${BLOCKS}u;               // blocks of the network; thread t sums blocks t + k·TILE
const OWN_BLOCKS: u32 = ${OWN_BLOCKS}u;       // ceil(BLOCKS / TILE)
// per block: (layer, first neuron, first input, neurons | inputs << 16), built by the host
const BLOCK_TABLE = array<vec4<u32>, BLOCKS>(${BLOCK_TABLE});

var<workgroup> exchange: array<f32, P>;
var<private> blk_sum: array<f32, OWN_BLOCKS * BLOCK_SIZE>;
var<private> blk_carry: array<f32, OWN_BLOCKS * BLOCK_SIZE>;
#if ${R_OPERATOR}
var<private> rblk_sum: array<f32, OWN_BLOCKS * BLOCK_SIZE>;
var<private> rblk_carry: array<f32, OWN_BLOCKS * BLOCK_SIZE>;
#endif

fn clear_blocks() {
  blk_sum = array<f32, OWN_BLOCKS * BLOCK_SIZE>();
  blk_carry = array<f32, OWN_BLOCKS * BLOCK_SIZE>();
#if ${R_OPERATOR}
  rblk_sum = array<f32, OWN_BLOCKS * BLOCK_SIZE>();
  rblk_carry = array<f32, OWN_BLOCKS * BLOCK_SIZE>();
#endif
}

// Adds the tile's outer products to this thread's blocks: per sample, BLOCK_J deltas and BLOCK_I
// inputs from workgroup memory feed BLOCK_J·BLOCK_I multiply-adds. Entries past a block's edge are
// computed from clamped indices and never written back. A plain sum per tile, Kahan across tiles.
fn accumulate_blocks(tid: u32) {
  for (var k = 0u; k < OWN_BLOCKS; k++) {
    let b = tid + k * TILE;
    if (b < BLOCKS) {
      let info = BLOCK_TABLE[b];
      let l = info.x;
      let fan_in = WIDTH[l - 1u];
      let last_neuron = WIDTH[l] - 1u;
      var g = array<f32, BLOCK_SIZE>();
#if ${R_OPERATOR}
      var h = array<f32, BLOCK_SIZE>();
#endif
      for (var s = 0u; s < TILE_SAMPLES; s++) {
        let r = s * FPS;
        var d: array<f32, BLOCK_J>;
        var a: array<f32, BLOCK_I>;
#if ${R_OPERATOR}
        var rd: array<f32, BLOCK_J>;
        var ra: array<f32, BLOCK_I>;
#endif
        for (var jj = 0u; jj < BLOCK_J; jj++) {
          let j = min(info.y + jj, last_neuron);
          d[jj] = rows[r + ROW_DELTA[l] + j];
#if ${R_OPERATOR}
          rd[jj] = rows[r + ROW_RDELTA[l] + j];
#endif
        }
        for (var ii = 0u; ii < BLOCK_I; ii++) {
          let i = info.z + ii;
          let input = min(i, fan_in - 1u);
          a[ii] = select(rows[r + ROW_A[l - 1u] + input], 1.0, i >= fan_in);
#if ${R_OPERATOR}
          ra[ii] = select(0.0, rows[r + ROW_RA[l - 1u] + input], i < fan_in && l > 1u);
#endif
        }
        for (var jj = 0u; jj < BLOCK_J; jj++) {
          for (var ii = 0u; ii < BLOCK_I; ii++) {
            g[jj * BLOCK_I + ii] += d[jj] * a[ii];
#if ${R_OPERATOR}
            h[jj * BLOCK_I + ii] += rd[jj] * a[ii] + d[jj] * ra[ii];
#endif
          }
        }
      }
      for (var q = 0u; q < BLOCK_SIZE; q++) {
        let sg = kahan_add(blk_sum[k * BLOCK_SIZE + q], blk_carry[k * BLOCK_SIZE + q], g[q]);
        blk_sum[k * BLOCK_SIZE + q] = sg.x;
        blk_carry[k * BLOCK_SIZE + q] = sg.y;
#if ${R_OPERATOR}
        let sh = kahan_add(rblk_sum[k * BLOCK_SIZE + q], rblk_carry[k * BLOCK_SIZE + q], h[q]);
        rblk_sum[k * BLOCK_SIZE + q] = sh.x;
        rblk_carry[k * BLOCK_SIZE + q] = sh.y;
#endif
      }
    }
  }
}

// Hands the blocks' sums to the parameters' owners (p = tid + k·TILE) through workgroup memory.
fn blocks_into_owned(tid: u32, sums: ptr<private, array<f32, OWN_BLOCKS * BLOCK_SIZE>>, carries: ptr<private, array<f32, OWN_BLOCKS * BLOCK_SIZE>>, owned: ptr<private, array<f32, OWN>>) {
  workgroupBarrier();
  for (var k = 0u; k < OWN_BLOCKS; k++) {
    let b = tid + k * TILE;
    if (b < BLOCKS) {
      let info = BLOCK_TABLE[b];
      let l = info.x;
      let fan_in = WIDTH[l - 1u];
      for (var jj = 0u; jj < (info.w & 0xffffu); jj++) {
        let j = info.y + jj;
        for (var ii = 0u; ii < (info.w >> 16u); ii++) {
          let i = info.z + ii;
          let p = select(weight_index(l, j, i), BIAS_OFFSET[l] + j, i == fan_in);
          let q = k * BLOCK_SIZE + jj * BLOCK_I + ii;
          exchange[p] = (*sums)[q] - (*carries)[q];
        }
      }
    }
  }
  workgroupBarrier();
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      (*owned)[k] = exchange[p];
    }
  }
  workgroupBarrier();
}
#endif

// The data loss (1/count)·Σ(f − y)² of the parameters in th over `count` samples, returned to every
// thread, with its gradient (and HVP along vv) left in the owned sums. `count` must be uniform.
fn gradient_pass(tid: u32, count: u32) -> f32 {
  for (var k = 0u; k < OWN; k++) {
    grad_sum[k] = 0.0;
    grad_carry[k] = 0.0;
#if ${R_OPERATOR}
    hvp_sum[k] = 0.0;
    hvp_carry[k] = 0.0;
#endif
  }
#if ${REGISTER_ACCUMULATE}
  clear_accumulators();
#endif
#if ${BLOCKED_ACCUMULATE}
  clear_blocks();
#endif
  let inv_count = 1.0 / f32(count);
  var loss_sum = 0.0;
  var loss_carry = 0.0;
  let row0 = tid * FPS;
  for (var start = 0u; start < count; start += TILE_SAMPLES) {
    let samples = tile_samples(tid, start, count);
    let out = forward(row0, samples);
    var g: array<f32, SPT>;
    var rg: array<f32, SPT>;
    for (var s = 0u; s < SPT; s++) {
      let e = select(0.0, out[s].x - ys[samples.data_row[s]], samples.valid[s]);
      let sl = kahan_add(loss_sum, loss_carry, e * e);
      loss_sum = sl.x;
      loss_carry = sl.y;
      g[s] = 2.0 * e * inv_count;
      rg[s] = 2.0 * select(0.0, out[s].y, samples.valid[s]) * inv_count;
    }
    backward(row0, g, rg);
#if ${REGISTER_ACCUMULATE}
    for (var s = 0u; s < SPT; s++) {
      accumulate_sample(row0 + s * ROW_STRIDE);
    }
    if ((start / TILE_SAMPLES) % ACC_BLOCK == ACC_BLOCK - 1u) {
      flush_block();
    }
#elif ${BLOCKED_ACCUMULATE}
    workgroupBarrier();
    accumulate_blocks(tid);
    workgroupBarrier();
#else
    workgroupBarrier();
    accumulate_tile(tid);
    workgroupBarrier();
#endif
  }
#if ${REGISTER_ACCUMULATE}
  flush_block();
  reduce_into_owned(tid, &acc_total, &grad_sum);
#if ${R_OPERATOR}
  reduce_into_owned(tid, &racc_total, &hvp_sum);
#endif
#endif
#if ${BLOCKED_ACCUMULATE}
  blocks_into_owned(tid, &blk_sum, &blk_carry, &grad_sum);
#if ${R_OPERATOR}
  blocks_into_owned(tid, &rblk_sum, &rblk_carry, &hvp_sum);
#endif
#endif
  return workgroup_sum(tid, loss_sum - loss_carry) * inv_count;
}

// The norm barrier R = (wn − maxnorm)³/3, wn = Σθ²/(2P): returns (wn, excess = max(wn − maxnorm, 0)).
fn barrier_state(tid: u32, maxnorm: f32) -> vec2<f32> {
  var square_part = 0.0;
  for (var p = tid; p < P; p += TILE) {
    square_part += th[p] * th[p];
  }
  let norm = workgroup_sum(tid, square_part) / f32(2u * P);
  return vec2<f32>(norm, max(norm - maxnorm, 0.0));
}

// ∇R = slope·θ with slope = excess²/P (excess from barrier_state); also ∇²R's diagonal term
fn barrier_slope(excess: f32) -> f32 {
  return excess * excess / f32(P);
}
