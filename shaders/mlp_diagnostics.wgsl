// Per-run diagnostics of a training ensemble's slots, one workgroup per requested slot, in one
// dispatch (the float64 reference and the meaning of every number: src/analysis/diagnostics.ts and
// src/analysis/spectrum.ts, which run the same algorithms in the same order):
//   - data loss L, barrier R, weight norm Σθ²/(2P), ‖∇(L + R)‖∞;
//   - for every hidden layer the closest pair of neurons by cosine distance ‖û − v̂‖²/2 and by L2
//     distance of their input vectors (bias included), ties to the first pair in (i, j) order, with
//     the pair's outgoing weights (a_i, a_j, or signed norms of the outgoing columns for earlier
//     layers);
//   - λ_min (and the largest Ritz value) by Lanczos with full reorthogonalisation, cfg.lanczos_steps
//     steps (basis in `scratch`); λ_max by cfg.power_iterations power iterations on H − min(λ_min, 0)·I;
//   - with FULL_SPECTRUM (P ≤ 320, FULL_SPECTRUM_MAX_PARAMETERS): the Hessian assembled from P
//     Hessian-vector products (as mlp_stiff.wgsl does), symmetrised, and all its eigenvalues by
//     parallel cyclic Jacobi (Brent–Luk round-robin ordering: P/2 disjoint rotations per round) in
//     `scratch`; written unsorted.
// Every Hessian is that of L + R, from the core's exact R-operator HVPs plus the barrier's
// ∇²R v = 2·excess·(θ·v)/P²·θ + excess²/P·v.
//
// Output per entry (OUT_STRIDE floats): HEADER words (below), then per hidden layer LAYER_WORDS
// words (cosine pair i, j, distance, s_i, s_j; L2 pair i, j, distance, s_i, s_j; i = j = −1 when the
// layer has one neuron), then (FULL_SPECTRUM) P eigenvalues at OUT_SPECTRUM.

struct Config {
  entries: u32,
  samples: u32,
  // samples between consecutive slots' datasets: 0 when all share one
  data_stride: u32,
  power_iterations: u32,
  lanczos_steps: u32,
  jacobi_sweeps: u32,
  scratch_stride: u32,
  hessian_offset: u32,
  maxnorm: f32,
  // this dispatch's first entry: entries are entry_offset + 0 .. entries − 1 (outputs and slots);
  // scratch is per dispatch, indexed from 0
  entry_offset: u32,
  _pad0: u32,
  _pad1: u32,
}

const HEADER: u32 = ${HEADER}u;
const LAYER_WORDS: u32 = ${LAYER_WORDS}u;
const OUT_STRIDE: u32 = ${OUT_STRIDE}u;
const OUT_SPECTRUM: u32 = ${OUT_SPECTRUM}u;
const MAX_LANCZOS: u32 = ${MAX_LANCZOS}u;
const LANCZOS_BREAKDOWN: f32 = ${LANCZOS_BREAKDOWN};
const NO_DISTANCE: f32 = 3.0e38;

@group(0) @binding(0) var<uniform> cfg: Config;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> ys: array<f32>;
@group(0) @binding(4) var<storage, read> entry_slots: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> scratch: array<f32>;
// mlp_slots.wgsl's slot_is_live reads it, and a mixed kernel's load_slot_parameters the slot's
// activation; it is in the layout (and bound) only then
@group(0) @binding(7) var<storage, read> slots: array<Slot>;

var<private> data_base: u32;
var<private> scratch_base: u32;
var<private> excess: f32;
var<private> alphas: array<f32, MAX_LANCZOS>;
var<private> betas: array<f32, MAX_LANCZOS>;
// owned entries (p = tid + k·TILE) of the iteration's vector and of H times it
var<private> vec_q: array<f32, OWN>;
var<private> hv: array<f32, OWN>;

var<workgroup> best_value: array<f32, TILE>;
var<workgroup> best_index: array<u32, TILE>;

fn sample_row(n: u32) -> u32 {
  return data_base + n;
}

// The start vector of Lanczos and power iteration: spectrum.ts startVectorEntry, bit for bit.
fn start_entry(p: u32) -> f32 {
  var x = (p + 1u) * 0x9e3779b9u;
  x ^= x >> 16u;
  x *= 0x85ebca6bu;
  x ^= x >> 13u;
  x *= 0xc2b2ae35u;
  x ^= x >> 16u;
  return f32(x >> 8u) / 16777216.0 * 2.0 - 1.0;
}

// H·vec_q of L + R into hv (every thread's owned entries)
fn hessian_times_q(tid: u32) {
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      vv[p] = vec_q[k];
    }
  }
  workgroupBarrier();
  var dot_part = 0.0;
  for (var p = tid; p < P; p += TILE) {
    dot_part += th[p] * vv[p];
  }
  let theta_dot_v = workgroup_sum(tid, dot_part);
  gradient_pass(tid, cfg.samples);
  let rank_one = 2.0 * excess * theta_dot_v / f32(P * P);
  let slope = barrier_slope(excess);
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      hv[k] = hvp_sum[k] + rank_one * th[p] + slope * vec_q[k];
    }
  }
}

fn dot_q_hv(tid: u32) -> f32 {
  var part = 0.0;
  for (var k = 0u; k < OWN; k++) {
    if (tid + k * TILE < P) {
      part += vec_q[k] * hv[k];
    }
  }
  return workgroup_sum(tid, part);
}

fn norm_hv(tid: u32) -> f32 {
  var part = 0.0;
  for (var k = 0u; k < OWN; k++) {
    if (tid + k * TILE < P) {
      part += hv[k] * hv[k];
    }
  }
  return sqrt(workgroup_sum(tid, part));
}

fn load_start_vector(tid: u32) {
  var part = 0.0;
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    vec_q[k] = select(0.0, start_entry(p), p < P);
    part += vec_q[k] * vec_q[k];
  }
  let n = sqrt(workgroup_sum(tid, part));
  for (var k = 0u; k < OWN; k++) {
    vec_q[k] /= n;
  }
}

// ---- closest pairs ----------------------------------------------------------------------------

fn input_entry(l: u32, n: u32, k: u32) -> f32 {
  if (k < WIDTH[l - 1u]) {
    return weight(l, n, k);
  }
  return bias(l, n);
}

fn input_length(l: u32) -> u32 {
#if ${BIASES}
  return WIDTH[l - 1u] + 1u;
#else
  return WIDTH[l - 1u];
#endif
}

// (cosine distance ‖û − v̂‖²/2, L2 distance) of neurons i, j of layer l; channels.ts cosineDistance
fn pair_distances(l: u32, i: u32, j: u32) -> vec2<f32> {
  let len = input_length(l);
  var uu = 0.0;
  var vv2 = 0.0;
  var diff = 0.0;
  for (var k = 0u; k < len; k++) {
    let u = input_entry(l, i, k);
    let v = input_entry(l, j, k);
    uu += u * u;
    vv2 += v * v;
    diff += (u - v) * (u - v);
  }
  let nu = sqrt(uu);
  let nv = sqrt(vv2);
  var cosine = select(1.0, 0.0, nu == nv);
  if (nu > 0.0 && nv > 0.0) {
    var s = 0.0;
    for (var k = 0u; k < len; k++) {
      let d = input_entry(l, i, k) / nu - input_entry(l, j, k) / nv;
      s += d * d;
    }
    cosine = 0.5 * s;
  }
  return vec2<f32>(cosine, sqrt(diff));
}

// (s_i, s_j): output weights for the last hidden layer, else signed norms of the outgoing columns
// against the one of larger norm (diagnostics.ts pairOutgoing)
fn pair_outgoing(l: u32, i: u32, j: u32) -> vec2<f32> {
  if (l + 1u == NL) {
    return vec2<f32>(weight(NL, 0u, i), weight(NL, 0u, j));
  }
  var ii = 0.0;
  var jj = 0.0;
  var ij = 0.0;
  for (var k = 0u; k < WIDTH[l + 1u]; k++) {
    let oi = weight(l + 1u, k, i);
    let oj = weight(l + 1u, k, j);
    ii += oi * oi;
    jj += oj * oj;
    ij += oi * oj;
  }
  let ni = sqrt(ii);
  let nj = sqrt(jj);
  if (nj > ni) {
    return vec2<f32>(sign(ij) * ni, nj);
  }
  return vec2<f32>(sign(ii) * ni, sign(ij) * nj);
}

// smallest value over the workgroup, ties to the smallest index; every thread gets it
fn workgroup_argmin(tid: u32, value: f32, index: u32) -> vec2<u32> {
  best_value[tid] = value;
  best_index[tid] = index;
  workgroupBarrier();
  for (var stride = TILE / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) {
      let v = best_value[tid + stride];
      let n = best_index[tid + stride];
      if (v < best_value[tid] || (v == best_value[tid] && n < best_index[tid])) {
        best_value[tid] = v;
        best_index[tid] = n;
      }
    }
    workgroupBarrier();
  }
  let result = vec2<u32>(bitcast<u32>(best_value[0]), best_index[0]);
  workgroupBarrier();
  return result;
}

// pair index t of a layer of width w (pairs in (i, j) order, i < j) as (i, j)
fn pair_of(t: u32, w: u32) -> vec2<u32> {
  var i = 0u;
  var rest = t;
  while (rest >= w - 1u - i) {
    rest -= w - 1u - i;
    i++;
  }
  return vec2<u32>(i, i + 1u + rest);
}

fn write_pair(at: u32, l: u32, pair_index: u32, distance_bits: u32) {
  let w = WIDTH[l];
  if (pair_index == 0xffffffffu) {
    out[at] = -1.0;
    out[at + 1u] = -1.0;
    out[at + 2u] = 0.0;
    out[at + 3u] = 0.0;
    out[at + 4u] = 0.0;
    return;
  }
  let ij = pair_of(pair_index, w);
  let s = pair_outgoing(l, ij.x, ij.y);
  out[at] = f32(ij.x);
  out[at + 1u] = f32(ij.y);
  out[at + 2u] = bitcast<f32>(distance_bits);
  out[at + 3u] = s.x;
  out[at + 4u] = s.y;
}

fn closest_pairs(tid: u32, out_base: u32) {
  for (var l = 1u; l < NL; l++) {
    let w = WIDTH[l];
    let count = w * (w - 1u) / 2u;
    var best_cos = NO_DISTANCE;
    var best_cos_index = 0xffffffffu;
    var best_l2 = NO_DISTANCE;
    var best_l2_index = 0xffffffffu;
    for (var t = tid; t < count; t += TILE) {
      let ij = pair_of(t, w);
      let d = pair_distances(l, ij.x, ij.y);
      // threads visit their pairs in increasing t, so strict < keeps the first of equal distances
      if (d.x < best_cos) {
        best_cos = d.x;
        best_cos_index = t;
      }
      if (d.y < best_l2) {
        best_l2 = d.y;
        best_l2_index = t;
      }
    }
    let cosine = workgroup_argmin(tid, best_cos, best_cos_index);
    let l2 = workgroup_argmin(tid, best_l2, best_l2_index);
    if (tid == 0u) {
      let at = out_base + HEADER + (l - 1u) * LAYER_WORDS;
      write_pair(at, l, cosine.y, cosine.x);
      write_pair(at + 5u, l, l2.y, l2.x);
    }
  }
}

// ---- Lanczos and power iteration --------------------------------------------------------------

// the k-th smallest eigenvalue (k = 0: smallest) of the m×m tridiagonal (alphas, betas) by
// bisection on the Sturm count
fn sturm_count(x: f32, m: u32) -> u32 {
  var count = 0u;
  var d = 1.0;
  for (var i = 0u; i < m; i++) {
    var b2 = 0.0;
    if (i > 0u) {
      b2 = betas[i - 1u] * betas[i - 1u] / d;
    }
    d = alphas[i] - x - b2;
    if (abs(d) < 1e-20) {
      d = -1e-20;
    }
    if (d < 0.0) {
      count++;
    }
  }
  return count;
}

fn tridiagonal_eigenvalue(k: u32, m: u32) -> f32 {
  var lo = 0.0;
  var hi = 0.0;
  for (var i = 0u; i < m; i++) {
    var radius = 0.0;
    if (i > 0u) {
      radius += abs(betas[i - 1u]);
    }
    if (i + 1u < m) {
      radius += abs(betas[i]);
    }
    if (i == 0u) {
      lo = alphas[i] - radius;
      hi = alphas[i] + radius;
    } else {
      lo = min(lo, alphas[i] - radius);
      hi = max(hi, alphas[i] + radius);
    }
  }
  let pad = 1e-6 * (hi - lo) + 1e-30;
  lo -= pad;
  hi += pad;
  for (var it = 0u; it < 80u; it++) {
    let mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) {
      break;
    }
    if (sturm_count(mid, m) > k) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return 0.5 * (lo + hi);
}

// Lanczos with full reorthogonalisation (spectrum.ts lanczosExtremes); returns (min, max, steps)
fn lanczos(tid: u32) -> vec3<f32> {
  load_start_vector(tid);
  let limit = min(min(cfg.lanczos_steps, P), MAX_LANCZOS);
  var steps = 0u;
  var scale = 0.0;
  var beta_previous = 0.0;
  for (var s = 0u; s < limit; s++) {
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        scratch[scratch_base + s * P + p] = vec_q[k];
      }
    }
    hessian_times_q(tid);
    let alpha = dot_q_hv(tid);
    alphas[s] = alpha;
    steps = s + 1u;
    if (s + 1u == limit) {
      break;
    }
    for (var k = 0u; k < OWN; k++) {
      hv[k] -= alpha * vec_q[k];
    }
    // two classical Gram–Schmidt passes against the basis; each thread reads back only its own entries
    for (var sweep = 0u; sweep < 2u; sweep++) {
      for (var j = 0u; j <= s; j++) {
        var part = 0.0;
        for (var k = 0u; k < OWN; k++) {
          let p = tid + k * TILE;
          if (p < P) {
            part += scratch[scratch_base + j * P + p] * hv[k];
          }
        }
        let c = workgroup_sum(tid, part);
        for (var k = 0u; k < OWN; k++) {
          let p = tid + k * TILE;
          if (p < P) {
            hv[k] -= c * scratch[scratch_base + j * P + p];
          }
        }
      }
    }
    let beta = norm_hv(tid);
    scale = max(scale, abs(alpha) + beta + beta_previous);
    if (uniform_bool(tid, !(beta > LANCZOS_BREAKDOWN * scale))) {
      break;
    }
    betas[s] = beta;
    for (var k = 0u; k < OWN; k++) {
      vec_q[k] = hv[k] / beta;
    }
    beta_previous = beta;
  }
  return vec3<f32>(tridiagonal_eigenvalue(0u, steps), tridiagonal_eigenvalue(steps - 1u, steps), f32(steps));
}

// power iteration on H − min(lower, 0)·I (spectrum.ts powerIterationMax); the last Rayleigh quotient
fn power_iteration(tid: u32, lower: f32) -> f32 {
  let shift = min(lower, 0.0);
  load_start_vector(tid);
  var lambda = 0.0;
  for (var it = 0u; it < cfg.power_iterations; it++) {
    hessian_times_q(tid);
    lambda = dot_q_hv(tid);
    if (it + 1u == cfg.power_iterations) {
      break;
    }
    for (var k = 0u; k < OWN; k++) {
      hv[k] -= shift * vec_q[k];
    }
    let n = norm_hv(tid);
    if (uniform_bool(tid, !(n > 0.0))) {
      break;
    }
    for (var k = 0u; k < OWN; k++) {
      vec_q[k] = hv[k] / n;
    }
  }
  return lambda;
}

// ---- full spectrum ----------------------------------------------------------------------------

#if ${FULL_SPECTRUM}
const PLAYERS: u32 = ${PLAYERS}u;   // P rounded up to even; player P (P odd) sits out
const HALF: u32 = PLAYERS / 2u;
var<workgroup> rot_c: array<f32, HALF>;
var<workgroup> rot_s: array<f32, HALF>;
// the rotated 2×2 block's diagonal, from the pre-rotation entries: a_pp − t·a_pq, a_qq + t·a_pq
var<workgroup> rot_dp: array<f32, HALF>;
var<workgroup> rot_dq: array<f32, HALF>;

fn h_at(i: u32, j: u32) -> u32 {
  return scratch_base + cfg.hessian_offset + i * P + j;
}

// H(θ) of L + R into scratch, column j = H e_j, then (H + Hᵀ)/2 (mlp_stiff.wgsl assemble_hessian)
fn assemble_hessian(tid: u32) {
  for (var j = 0u; j < P; j++) {
    for (var k = 0u; k < OWN; k++) {
      vec_q[k] = select(0.0, 1.0, tid + k * TILE == j);
    }
    hessian_times_q(tid);
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        scratch[h_at(p, j)] = hv[k];
      }
    }
  }
  storageBarrier();
  for (var idx = tid; idx < P * P; idx += TILE) {
    let i = idx / P;
    let j = idx % P;
    if (i < j) {
      let mean = 0.5 * (scratch[h_at(i, j)] + scratch[h_at(j, i)]);
      scratch[h_at(i, j)] = mean;
      scratch[h_at(j, i)] = mean;
    }
  }
  storageBarrier();
}

// pair k of round r of the round-robin (circle) schedule: every pair once per PLAYERS − 1 rounds
fn round_pair(k: u32, r: u32) -> vec2<u32> {
  let m = PLAYERS - 1u;
  if (k == 0u) {
    return vec2<u32>(r, m);
  }
  return vec2<u32>((r + k) % m, (r + m - k) % m);
}

// Cyclic Jacobi with rotations as in linalg.ts symmetricEigen (Rutishauser's formulas, negligible
// entries set to zero), P/2 disjoint rotations at a time: rotation angles, then rows, then columns
fn jacobi(tid: u32) {
  for (var sweep = 0u; sweep < cfg.jacobi_sweeps; sweep++) {
    var off_part = 0.0;
    var all_part = 0.0;
    for (var idx = tid; idx < P * P; idx += TILE) {
      let a = scratch[scratch_base + cfg.hessian_offset + idx];
      all_part += a * a;
      if (idx / P != idx % P) {
        off_part += a * a;
      }
    }
    let off = workgroup_sum(tid, off_part);
    let total = workgroup_sum(tid, all_part);
    if (uniform_bool(tid, !(off > 1e-30 * total))) {
      break;
    }
    for (var r = 0u; r < PLAYERS - 1u; r++) {
      for (var k = tid; k < HALF; k += TILE) {
        let pq = round_pair(k, r);
        var c = 1.0;
        var s = 0.0;
        var dp = 0.0;
        var dq = 0.0;
        if (pq.y < P) {
          let apq = scratch[h_at(pq.x, pq.y)];
          let app = scratch[h_at(pq.x, pq.x)];
          let aqq = scratch[h_at(pq.y, pq.y)];
          let g = 100.0 * abs(apq);
          if (abs(app) + g == abs(app) && abs(aqq) + g == abs(aqq)) {
            scratch[h_at(pq.x, pq.y)] = 0.0;
            scratch[h_at(pq.y, pq.x)] = 0.0;
          } else if (apq != 0.0) {
            let difference = aqq - app;
            var t = 0.0;
            if (abs(difference) + g == abs(difference)) {
              t = apq / difference;
            } else {
              let theta = 0.5 * difference / apq;
              t = 1.0 / (abs(theta) + sqrt(1.0 + theta * theta));
              if (theta < 0.0) {
                t = -t;
              }
            }
            c = 1.0 / sqrt(1.0 + t * t);
            s = t * c;
            dp = app - t * apq;
            dq = aqq + t * apq;
          }
        }
        rot_c[k] = c;
        rot_s[k] = s;
        rot_dp[k] = dp;
        rot_dq[k] = dq;
      }
      workgroupBarrier();
      storageBarrier();
      // rows p, q ← (c·row_p − s·row_q, s·row_p + c·row_q)
      for (var idx = tid; idx < HALF * P; idx += TILE) {
        let k = idx / P;
        let col = idx % P;
        let pq = round_pair(k, r);
        if (pq.y < P && rot_s[k] != 0.0) {
          let a_p = scratch[h_at(pq.x, col)];
          let a_q = scratch[h_at(pq.y, col)];
          scratch[h_at(pq.x, col)] = rot_c[k] * a_p - rot_s[k] * a_q;
          scratch[h_at(pq.y, col)] = rot_s[k] * a_p + rot_c[k] * a_q;
        }
      }
      storageBarrier();
      // columns p, q likewise
      for (var idx = tid; idx < HALF * P; idx += TILE) {
        let k = idx / P;
        let row = idx % P;
        let pq = round_pair(k, r);
        if (pq.y < P && rot_s[k] != 0.0) {
          let a_p = scratch[h_at(row, pq.x)];
          let a_q = scratch[h_at(row, pq.y)];
          scratch[h_at(row, pq.x)] = rot_c[k] * a_p - rot_s[k] * a_q;
          scratch[h_at(row, pq.y)] = rot_s[k] * a_p + rot_c[k] * a_q;
        }
      }
      storageBarrier();
      // the rotated 2×2 blocks exactly: diagonal from the pre-rotation entries, off-diagonal zero
      for (var k = tid; k < HALF; k += TILE) {
        let pq = round_pair(k, r);
        if (pq.y < P && rot_s[k] != 0.0) {
          scratch[h_at(pq.x, pq.x)] = rot_dp[k];
          scratch[h_at(pq.y, pq.y)] = rot_dq[k];
          scratch[h_at(pq.x, pq.y)] = 0.0;
          scratch[h_at(pq.y, pq.x)] = 0.0;
        }
      }
      storageBarrier();
      workgroupBarrier();
    }
  }
}
#endif

@compute @workgroup_size(TILE)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let local_entry = group.x + group.y * groups.x;
  if (local_entry >= cfg.entries) {
    return;
  }
  let entry = cfg.entry_offset + local_entry;
  let slot = entry_slots[entry];
  load_slot_parameters(tid, slot);
  data_base = slot * cfg.data_stride;
  scratch_base = local_entry * cfg.scratch_stride;
  let out_base = entry * OUT_STRIDE;
  for (var p = tid; p < P; p += TILE) {
    vv[p] = 0.0;
  }
  workgroupBarrier();

  let loss = gradient_pass(tid, cfg.samples);
  let barrier = barrier_state(tid, cfg.maxnorm);
  excess = barrier.y;
  let slope = barrier_slope(excess);
  var grad_part = 0.0;
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      grad_part = max(grad_part, abs_or_infinity(grad_sum[k] + slope * th[p]));
    }
  }
  let grad_inf = workgroup_max(tid, grad_part);
  if (tid == 0u) {
    out[out_base] = loss;
    out[out_base + 1u] = excess * excess * excess / 3.0;
    out[out_base + 2u] = barrier.x;
    out[out_base + 3u] = grad_inf;
  }

  closest_pairs(tid, out_base);

  let ritz = lanczos(tid);
  let lambda_max = power_iteration(tid, ritz.x);
  if (tid == 0u) {
    out[out_base + 4u] = lambda_max;
    out[out_base + 5u] = ritz.x;
    out[out_base + 6u] = ritz.y;
    out[out_base + 7u] = ritz.z;
  }

#if ${FULL_SPECTRUM}
  assemble_hessian(tid);
  jacobi(tid);
  for (var p = tid; p < P; p += TILE) {
    out[out_base + OUT_SPECTRUM + p] = scratch[h_at(p, p)];
  }
#endif
}
