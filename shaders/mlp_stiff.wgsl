// Stiff gradient flow θ̇ = f(θ) = −∇(L + R) for an ensemble of slots, one workgroup per slot, each with
// its own adaptive step size: the linearly implicit Rosenbrock 2(3) pair of Shampine & Reichelt
// (ode23s) with the exact Jacobian −H, with RODAS4 Hairer & Wanner's Rodas4 (same Hessian,
// factorisation of W = I + hγH and refined solves, six stages), or with ROS34PW2 Rang & Angermann's
// W-method (four stages, order 3 with an inexact Hessian: the float32 one). The float64 reference is
// src/optim/stiff-solvers.ts (rosenbrockStep, rodas4Step) driven as in src/engine/cpu/cpu-ensemble.ts
// (advanceFlow); the two take the same decisions in the same order. The controller, attempt budget,
// step floor, non-finite handling and status are those of the explicit kernel (mlp_flow_common.wgsl).
//
//   W = I + h·d·H;  k1 = W⁻¹F0;  F1 = f(θ + h/2·k1);  k2 = W⁻¹(F1 − k1) + k1;  θ₁ = θ + h·k2;
//   F2 = f(θ₁);  k3 = W⁻¹(F2 − e32·(k2 − F1) − 2·(k1 − F0));  err = h/6·(k1 − 2k2 + k3)
//
// Per slot: params θ, f(θ) (FSAL), the Hessian H(θ) (`hessian`, P×P row-major: for one hidden layer
// in closed form, 4 × 4 register blocks summed over the samples (with SPLIT_HESSIAN in dispatches of
// its own, below), deeper networks from P Hessian-vector products of the core, e_j by e_j, then
// symmetrised; the barrier's added; kept over a rejection and over dispatch boundaries while
// Slot.hessian_ready) and the Cholesky factor of W (`factor`, lower triangle); with group
// coordinates (GROUPED) the state a dispatch left in groups (`group_state`). A non-positive pivot
// makes the attempt a factorisation failure: h ← h/4 and retry with the same Hessian.
//
// DOUBLE_FLOAT (deep networks of a smooth activation, mlp_double_float.wgsl): θ in two floats (params +
// params_low), f(θ), H (R-operator columns over cached samples; with SPLIT_HESSIAN in dispatches of
// its own, below), the Cholesky factor and the solves in double-float, H and the factor as two P×P
// halves per slot (MAT_STRIDE); the stage vectors k, the error estimate and the controller stay
// float32. Float32 cannot follow a deep network's channel (emulated: θ's rounding, the gradient's
// and H's each stall it); with only the stage vectors in float32 it takes 1.02× and 0.97× the float64
// steps (deep-float32-emulation-2026-12-05.md).
//
// Float32 conditioning: W's eigenvalues are 1 + h·d·λ; at the barrier λ_max ~ 1e4–1e5 and h is
// large, so cond(W) reaches 1e6 and more. Every solve does REFINEMENTS = 2 steps of iterative
// refinement, x += W⁻¹(b − W x), with the residual b − W x computed in about twice the working
// precision from the assembled H (residual_entry: compensated dot products); a plain float32
// residual does not improve the forward error at all. Measured on SwiftShader (tests/engine/
// gpu-stiff.test.ts, 'solves ill-conditioned W x = b ...'; max-norm relative error of x = W⁻¹b
// against a float64 solve of I + hd·H from the same float32 H, after 0 / 1 / 2 refinements):
//   toy Hessian at the barrier (1/ε ≈ 63), the flow's own h = 6.1e4, cond(W) 5.7e7: 3.6e-4 / 4.8e-7 / 4.2e-8
//   toy Hessian at the barrier, h = 1e3, cond(W) 9.4e5:                           3.2e-5 / 3.7e-8 / 3.7e-8
//   random P = 25, spectrum [−0.005, 1e5], hd = 1,   cond(W) 1.0e5:               4.5e-4 / 1.5e-7 / 3.5e-8
//   random P = 25, spectrum [−0.005, 1e5], hd = 100, cond(W) 2.0e7:               3.6e-2 / 2.0e-3 / 7.3e-5
//   random P = 121 (2 rows per thread), hd = 10,    cond(W) 1.0e6:               4.7e-3 / 4.5e-5 / 4.1e-7
// (the same before and after the factorisation went by panels, 2026-12-04: same roundings)

const ROS_D: f32 = 0.29289321881345254;    // 1/(2+√2)
const ROS_E32: f32 = 7.414213562373095;    // 6+√2
#if ${RODAS4}
const ROS_EXPONENT: f32 = -0.25;   // −1/order, RODAS4.order = 4
#elif ${ROS34PW2}
const ROS_EXPONENT: f32 = -0.3333333333333333;   // −1/order, ROS34PW2.order = 3
#else
const ROS_EXPONENT: f32 = -0.3333333333333333;   // −1/order, ROSENBROCK23.order = 3
#endif
// Rodas4 (RODAS4 in src/optim/stiff-solvers.ts: Hairer & Wanner's RODAS, METH = 1)
const RODAS_GAMMA: f32 = 0.25;
const RODAS_A21: f32 = 1.544;
const RODAS_A31: f32 = 0.9466785280815826;
const RODAS_A32: f32 = 0.2557011698983284;
const RODAS_A41: f32 = 3.314825187068521;
const RODAS_A42: f32 = 2.896124015972201;
const RODAS_A43: f32 = 0.9986419139977817;
const RODAS_A51: f32 = 1.221224509226641;
const RODAS_A52: f32 = 6.019134481288629;
const RODAS_A53: f32 = 12.53708332932087;
const RODAS_A54: f32 = -0.687886036105895;
const RODAS_C21: f32 = -5.6688;
const RODAS_C31: f32 = -2.430093356833875;
const RODAS_C32: f32 = -0.2063599157091915;
const RODAS_C41: f32 = -0.1073529058151375;
const RODAS_C42: f32 = -9.594562251023355;
const RODAS_C43: f32 = -20.47028614809616;
const RODAS_C51: f32 = 7.496443313967647;
const RODAS_C52: f32 = -10.24680431464352;
const RODAS_C53: f32 = -33.99990352819905;
const RODAS_C54: f32 = 11.7089089320616;
const RODAS_C61: f32 = 8.083246795921522;
const RODAS_C62: f32 = -7.981132988064893;
const RODAS_C63: f32 = -31.52159432874371;
const RODAS_C64: f32 = 16.31930543123136;
const RODAS_C65: f32 = -6.058818238834054;
// ROS34PW2 (ROS34PW2 in src/optim/stiff-solvers.ts, which derives these transformed coefficients from
// Rang & Angermann's published ones; filled in from there at pipeline creation)
const W_GAMMA: f32 = ${W_GAMMA};
const W_A21: f32 = ${W_A21};
const W_A31: f32 = ${W_A31};
const W_A32: f32 = ${W_A32};
const W_A41: f32 = ${W_A41};
const W_A42: f32 = ${W_A42};
const W_A43: f32 = ${W_A43};
const W_C21: f32 = ${W_C21};
const W_C31: f32 = ${W_C31};
const W_C32: f32 = ${W_C32};
const W_C41: f32 = ${W_C41};
const W_C42: f32 = ${W_C42};
const W_C43: f32 = ${W_C43};
const W_M1: f32 = ${W_M1};
const W_M2: f32 = ${W_M2};
const W_M3: f32 = ${W_M3};
const W_M4: f32 = ${W_M4};
const W_E1: f32 = ${W_E1};
const W_E2: f32 = ${W_E2};
const W_E3: f32 = ${W_E3};
const W_E4: f32 = ${W_E4};
const FACTORIZATION_SHRINK: f32 = 0.25;
// Slot.hessian_ready's mark for a Hessian the Hessian's own dispatches (SPLIT_HESSIAN) assembled for
// the θ (and groups) the next dispatch of main starts from
const HESSIAN_FROM_DISPATCHES: u32 = 0x80000000u;
// iterative-refinement steps per solve (each: a compensated residual and two triangular solves)
const REFINEMENTS: u32 = 2u;

@group(0) @binding(0) var<uniform> cfg: Config;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> ys: array<f32>;
@group(0) @binding(4) var<storage, read_write> slots: array<Slot>;
@group(0) @binding(5) var<storage, read_write> derivative: array<f32>;
@group(0) @binding(6) var<storage, read_write> hessian: array<f32>;
@group(0) @binding(7) var<storage, read_write> factor: array<f32>;
#if ${DOUBLE_FLOAT}
// θ's low parts (mlp_double_float.wgsl): θ = params + params_low
@group(0) @binding(8) var<storage, read_write> params_low: array<f32>;
#endif

// the vector of a triangular solve (and of W·x for the residual)
var<workgroup> lin_x: array<f32, P>;

var<private> data_base: u32;
var<private> mat_base: u32;     // slot·MAT_STRIDE
// floats per slot in `hessian` and `factor`: P² (double-float: two halves, mlp_double_float.wgsl)
const MAT_STRIDE: u32 = ${MAT_STRIDE}u;
var<private> theta0: array<f32, OWN>;
#if ${DOUBLE_FLOAT}
var<private> theta0_low: array<f32, OWN>;
#endif
var<private> f0: array<f32, OWN>;
var<private> field: array<f32, OWN>;
var<private> k1: array<f32, OWN>;
var<private> k2: array<f32, OWN>;
var<private> k3: array<f32, OWN>;
#if ${STAGED}
var<private> k4: array<f32, OWN>;
var<private> k5: array<f32, OWN>;
#endif
var<private> rhs: array<f32, OWN>;
var<private> sol: array<f32, OWN>;
var<private> error_vec: array<f32, OWN>;

#if ${GROUPED}
// Group coordinates (mlp_core.wgsl, GROUPED; benchmarks/results/pair-coordinates-2026-12-04.md).
// Each dispatch groups the hidden neurons whose input vectors (bias included) lie within
// GROUP_DISTANCE of each other, relative to the longer one (greedily, closest first, at most
// MAX_GROUP to a group), and integrates in group coordinates, where float32 keeps a channel's small
// differences; `params` and `derivative` stay in network coordinates for every other reader. So with
// groups θ is turned on exit, and kept as it was in group coordinates with f(θ) and the groups in
// `group_state`; the next dispatch that chooses the same groups starts from there (no rounding), one
// that chooses others turns θ from network coordinates (one rounding) and evaluates f(θ) again (not
// counted: a float32 artefact). The Hessian is assembled in group coordinates
// (hessian_rows; assembling it in network coordinates and turning it loses what grouping gains:
// emulated, seed 11 of the flow sweep took 40,000 steps against 3,455), kept across a dispatch
// boundary only into a dispatch that resumes the same groups (the Hessian's own dispatches,
// SPLIT_HESSIAN, choose and enter the groups as the next dispatch will). The controller's error norm
// and the status's gradient are taken in network coordinates, so the controller decides as the CPU
// engine's does. Groups rather than pairs: about
// one channel in eight of the flow sweep is three neurons wide (outgoing −74, +150, −74), and pairs
// leave it 2.7× the float64 steps (emulated; groups: 1.07×).
const GROUP_DISTANCE: f32 = 0.25;
#if ${BIASES}
const NEURON_SLOTS: u32 = D + 2u;   // a hidden neuron's parameters: inputs, bias, output weight
#else
const NEURON_SLOTS: u32 = D + 1u;
#endif
var<workgroup> group_count: u32;

// per slot, as the slot's last dispatch left it when it ended in groups: [0] 1 (0: no state; a fresh
// slot's is 0, GpuEnsemble.load), [1, 1 + R) group_first, then θ and f(θ) in group coordinates (bits)
@group(0) @binding(11) var<storage, read_write> group_state: array<u32>;
const GROUP_STATE_WORDS: u32 = 1u + R + 2u * P;

// where the slot's group_state starts, and its θ and f(θ) in it
fn group_state_base(slot: u32) -> u32 {
  return slot * GROUP_STATE_WORDS;
}

fn grouped_theta_base(slot: u32) -> u32 {
  return group_state_base(slot) + 1u + R;
}

fn grouped_field_base(slot: u32) -> u32 {
  return grouped_theta_base(slot) + P;
}

// the index of hidden neuron i's e-th parameter (inputs, bias, output weight)
fn neuron_parameter(i: u32, e: u32) -> u32 {
  if (e < D) {
    return weight_index(1u, i, e);
  }
  if (e + 1u < NEURON_SLOTS) {
    return BIAS_OFFSET[1] + i;
  }
  return weight_index(2u, 0u, i);
}

// (hidden neuron, slot) of parameter p; NO_GROUP for the output bias
fn parameter_neuron(p: u32) -> vec2<u32> {
  if (p < R * D) {
    return vec2<u32>(p / D, p % D);
  }
#if ${BIASES}
  if (p >= BIAS_OFFSET[1] && p < BIAS_OFFSET[1] + R) {
    return vec2<u32>(p - BIAS_OFFSET[1], D);
  }
#endif
  let a = weight_index(2u, 0u, 0u);
  if (p >= a && p < a + R) {
    return vec2<u32>(p - a, NEURON_SLOTS - 1u);
  }
  return vec2<u32>(NO_GROUP, 0u);
}

// every neuron on its own: network coordinates (then a barrier)
fn clear_groups(tid: u32) {
  for (var j = tid; j < R; j += TILE) {
    group_first[j] = NO_GROUP;
  }
  workgroupBarrier();
}

// the squared distance of neurons i and j's input vectors relative to the longer one's squared length
fn relative_distance(i: u32, j: u32) -> f32 {
  var distance = 0.0;
  var length_i = 0.0;
  var length_j = 0.0;
  for (var e = 0u; e + 1u < NEURON_SLOTS; e++) {
    let u = th[neuron_parameter(i, e)];
    let v = th[neuron_parameter(j, e)];
    distance += (u - v) * (u - v);
    length_i += u * u;
    length_j += v * v;
  }
  return distance / max(max(length_i, length_j), 1e-30);
}

// thread 0 groups the neurons (th in network coordinates) into the core's group tables and
// group_count (then a barrier): repeatedly merges the two groups holding the closest pair of
// neurons within GROUP_DISTANCE whose union has at most MAX_GROUP neurons
fn choose_groups(tid: u32) {
  if (tid == 0u) {
    // while choosing, group_first[j] is j's group's first neuron (j itself when alone)
    for (var i = 0u; i < R; i++) {
      group_first[i] = i;
      group_size[i] = 1u;
    }
    loop {
      var best = GROUP_DISTANCE * GROUP_DISTANCE;
      var first = NO_GROUP;
      var second = NO_GROUP;
      for (var i = 0u; i < R; i++) {
        for (var j = i + 1u; j < R; j++) {
          let fi = group_first[i];
          let fj = group_first[j];
          if (fi == fj || group_size[fi] + group_size[fj] > MAX_GROUP) {
            continue;
          }
          let relative = relative_distance(i, j);
          if (relative <= best) {
            best = relative;
            first = fi;
            second = fj;
          }
        }
      }
      if (first == NO_GROUP) {
        break;
      }
      let merged = min(first, second);
      let size = group_size[first] + group_size[second];
      for (var k = 0u; k < R; k++) {
        if (group_first[k] == first || group_first[k] == second) {
          group_first[k] = merged;
        }
      }
      group_size[merged] = size;
    }
    var count = 0u;
    for (var f = 0u; f < R; f++) {
      if (group_first[f] != f) {
        continue;
      }
      if (group_size[f] == 1u) {
        group_first[f] = NO_GROUP;
        continue;
      }
      count += 1u;
      var members = vec4<u32>();
      var position = 0u;
      for (var k = f; k < R; k++) {
        if (group_first[k] == f) {
          members[position] = k;
          group_position[k] = position;
          position += 1u;
        }
      }
      group_members[f] = members;
    }
    group_count = count;
  }
  workgroupBarrier();
}

// th from network to group coordinates (to_groups) or back (then a barrier)
fn turn_parameters(tid: u32, to_groups: bool) {
  for (var index = tid; index < R * NEURON_SLOTS; index += TILE) {
    let first = index / NEURON_SLOTS;
    if (group_first[first] != first) {
      continue;
    }
    let e = index % NEURON_SLOTS;
    let n = group_size[first];
    let members = group_members[first];
    var values: array<f32, MAX_GROUP>;
    for (var k = 0u; k < n; k++) {
      values[k] = th[neuron_parameter(members[k], e)];
    }
    for (var j = 0u; j < n; j++) {
      var sum = 0.0;
      for (var k = 0u; k < n; k++) {
        sum += select(helmert(n, k, j), helmert(n, j, k), to_groups) * values[k];
      }
      th[neuron_parameter(members[j], e)] = sum;
    }
  }
  workgroupBarrier();
}

// this thread's owned entries (entry k: parameter tid + k·TILE) into a workgroup vector, where the
// owners of the other group members' parameters can read them (the caller places the barriers)
fn share_owned(tid: u32, values: ptr<private, array<f32, OWN>>, shared_vector: ptr<workgroup, array<f32, P>>) {
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      (*shared_vector)[p] = (*values)[k];
    }
  }
}

// entry p in network coordinates of the vector in group coordinates in `source`: w_k = Σ_j U_jk φ_j
fn in_network(p: u32, source: ptr<workgroup, array<f32, P>>) -> f32 {
  let at = parameter_neuron(p);
  if (at.x == NO_GROUP || !is_grouped(at.x)) {
    return (*source)[p];
  }
  let first = group_first[at.x];
  let n = group_size[first];
  let members = group_members[first];
  let k = group_position[at.x];
  var sum = 0.0;
  for (var j = 0u; j < n; j++) {
    sum += helmert(n, j, k) * (*source)[neuron_parameter(members[j], at.y)];
  }
  return sum;
}

// whether the slot's last dispatch ended in groups (uniform)
fn ended_in_groups(tid: u32, slot: u32) -> bool {
  if (tid == 0u) {
    shared_flag = group_state[group_state_base(slot)];
  }
  return workgroupUniformLoad(&shared_flag) != 0u;
}

// whether the slot's group_state was left by a dispatch whose groups are the ones chosen now (uniform;
// the same θ in network coordinates gives the same choice)
fn stored_groups_match(tid: u32, slot: u32) -> bool {
  if (tid == 0u) {
    let base = group_state_base(slot);
    var same = group_state[base] == 1u;
    for (var j = 0u; j < R; j++) {
      same = same && group_state[base + 1u + j] == group_first[j];
    }
    shared_flag = select(0u, 1u, same);
  }
  return workgroupUniformLoad(&shared_flag) != 0u;
}

// θ in group coordinates from group_state (then a barrier)
fn load_grouped_parameters(tid: u32, slot: u32) {
  let base = grouped_theta_base(slot);
  for (var p = tid; p < P; p += TILE) {
    th[p] = bitcast<f32>(group_state[base + p]);
  }
  workgroupBarrier();
}

// θ into group coordinates for the groups just chosen: from group_state when the last dispatch ended
// in these groups (returns true), else turned from network coordinates (false)
fn enter_groups(tid: u32, slot: u32) -> bool {
  if (stored_groups_match(tid, slot)) {
    load_grouped_parameters(tid, slot);
    return true;
  }
  turn_parameters(tid, true);
  return false;
}

// f(θ) in group coordinates (this thread's owned entries) from group_state
fn load_grouped_field(tid: u32, slot: u32) {
  let base = grouped_field_base(slot);
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      f0[k] = bitcast<f32>(group_state[base + p]);
    }
  }
}

// the dispatch's end state into group_state: θ and f(θ) (f0) in group coordinates and the groups when
// `grouped`, else only "no state"
fn store_group_state(tid: u32, slot: u32, grouped: bool) {
  let base = group_state_base(slot);
  if (grouped) {
    for (var p = tid; p < P; p += TILE) {
      group_state[grouped_theta_base(slot) + p] = bitcast<u32>(th[p]);
    }
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        group_state[grouped_field_base(slot) + p] = bitcast<u32>(f0[k]);
      }
    }
    for (var j = tid; j < R; j += TILE) {
      group_state[base + 1u + j] = group_first[j];
    }
  }
  if (tid == 0u) {
    group_state[base] = select(0u, 1u, grouped);
  }
}

#endif

// This thread's share of the squared scaled error norm of error_vec (the step's error estimate, θ₀ in
// theta0 and θ₁ in th), in network coordinates whatever coordinates the step was taken in.
fn error_norm_part(tid: u32, grouped: bool) -> f32 {
  var part = 0.0;
#if ${GROUPED}
  if (grouped) {
    // the three vectors go through workgroup memory (lin_x and vv, idle here) to reach the group
    workgroupBarrier();
    share_owned(tid, &error_vec, &lin_x);
    share_owned(tid, &theta0, &vv);
    workgroupBarrier();
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        let e = in_network(p, &lin_x);
        let scale = cfg.atol + cfg.rtol * max(abs(in_network(p, &vv)), abs(in_network(p, &th)));
        part += (e / scale) * (e / scale);
      }
    }
    workgroupBarrier();
    return part;
  }
#endif
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      let scale = cfg.atol + cfg.rtol * max(abs(theta0[k]), abs(th[p]));
      part += (error_vec[k] / scale) * (error_vec[k] / scale);
    }
  }
  return part;
}

// θ's updates, in two floats with DOUBLE_FLOAT (k: this thread's index of its owned parameter p):
// θ₀ ← θ, θ ← θ₀, θ ← θ₀ + increment, θ ← θ + increment
fn save_start(k: u32, p: u32) {
  theta0[k] = th[p];
#if ${DOUBLE_FLOAT}
  theta0_low[k] = th_low[p];
#endif
}

fn restore_start(k: u32, p: u32) {
  th[p] = theta0[k];
#if ${DOUBLE_FLOAT}
  th_low[p] = theta0_low[k];
#endif
}

fn theta_from_start(k: u32, p: u32, increment: f32) {
#if ${DOUBLE_FLOAT}
  let value = df_add_f(vec2<f32>(theta0[k], theta0_low[k]), increment);
  th[p] = value.x;
  th_low[p] = value.y;
#else
  th[p] = theta0[k] + increment;
#endif
}

fn theta_add(p: u32, increment: f32) {
#if ${DOUBLE_FLOAT}
  let value = df_add_f(vec2<f32>(th[p], th_low[p]), increment);
  th[p] = value.x;
  th_low[p] = value.y;
#else
  th[p] += increment;
#endif
}

// θ's low parts from params_low (DOUBLE_FLOAT; the caller places the barrier)
fn load_low_parts(tid: u32, slot: u32) {
#if ${DOUBLE_FLOAT}
  for (var p = tid; p < P; p += TILE) {
    th_low[p] = params_low[slot * P + p];
  }
#endif
}

// where the slot's dataset, matrices (and double-float sample cache) start
fn set_slot_bases(slot: u32) {
  data_base = slot * cfg.data_stride;
  mat_base = slot * MAT_STRIDE;
#if ${DOUBLE_FLOAT}
  set_cache_slot(slot);
#endif
}

fn sample_row(n: u32) -> u32 {
  return data_base + n;
}

// f(θ) = −∇(L + R) at th into `field`; returns (loss, any non-finite as 1.0)
fn evaluate_field(tid: u32) -> vec2<f32> {
#if ${DOUBLE_FLOAT}
  let loss = df_pass(tid, cfg.samples);
#else
  let loss = gradient_pass(tid, cfg.samples);
#endif
  let excess = barrier_state(tid, cfg.maxnorm).y;
  let slope = barrier_slope(excess);
  var bad = !is_finite(loss);
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      let f = -(grad_sum[k] + slope * th[p]);
      field[k] = f;
      bad = bad || !is_finite(f);
    }
  }
  return vec2<f32>(loss, select(0.0, 1.0, bad));
}

#if ${CLOSED_HESSIAN}
// entry (p, q) of H from the closed form's unscaled data sum: (2/N)·sum plus the barrier's
// 2·excess/P²·θ_pθ_q + excess²/P·[p = q] (slope = excess²/P)
fn hessian_entry(sum: f32, p: u32, q: u32, excess: f32, slope: f32) -> f32 {
  return 2.0 / f32(cfg.samples) * sum + 2.0 * excess * th[p] * th[q] / f32(P * P) + select(0.0, slope, p == q);
}
#endif

// H(θ) at th into `hessian` (row-major P×P, symmetric): the data part (2/N)·Σₙ(JₙJₙᵀ + rₙ∇²fₙ)
// plus the barrier's ∇²R = 2·excess/P²·θθᵀ + excess²/P·I.
fn assemble_hessian(tid: u32) {
  storageBarrier();   // the previous step's reads of `hessian` are done
  let excess = barrier_state(tid, cfg.maxnorm).y;
  let slope = barrier_slope(excess);
#if ${CLOSED_HESSIAN}
  accumulate_data_hessian(tid);
  storageBarrier();
  for (var idx = tid; idx < P * P; idx += TILE) {
    let p = idx / P;
    let q = idx % P;
    if (p <= q) {
      let value = hessian_entry(hessian[mat_base + idx], p, q, excess, slope);
      hessian[mat_base + idx] = value;
      hessian[mat_base + q * P + p] = value;
    }
  }
#elif ${DOUBLE_FLOAT}
  df_assemble_hessian(tid, excess, slope);
#else
  // deeper networks: column j is the HVP along e_j, then (H + Hᵀ)/2 as linalg.ts hessianMatrix does
  for (var j = 0u; j < P; j++) {
    for (var p = tid; p < P; p += TILE) {
      vv[p] = select(0.0, 1.0, p == j);
    }
    workgroupBarrier();
    gradient_pass(tid, cfg.samples);
    let rank_one = 2.0 * excess * th[j] / f32(P * P);
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        hessian[mat_base + p * P + j] = hvp_sum[k] + rank_one * th[p] + select(0.0, slope, p == j);
      }
    }
  }
  storageBarrier();
  for (var idx = tid; idx < P * P; idx += TILE) {
    let i = idx / P;
    let j = idx % P;
    if (i < j) {
      let mean = 0.5 * (hessian[mat_base + i * P + j] + hessian[mat_base + j * P + i]);
      hessian[mat_base + i * P + j] = mean;
      hessian[mat_base + j * P + i] = mean;
    }
  }
#endif
  storageBarrier();
}

#if ${CLOSED_HESSIAN}
// One hidden layer: the data part of the Hessian, Σₙ(JₙJₙᵀ + δₙ∇²fₙ) unscaled (the caller applies 2/N
// and adds the barrier), in closed form (the float64 reference is src/engine/cpu/hessian.ts, which
// has the formulas). Per sample the Jacobian of f factors by groups of parameters: neuron j's input
// vector (its weights and bias) has ∂f/∂θ = g_j·x̃ with g_j = a_j σ′(z_j) and x̃ = (x, 1); the output
// weights and bias have ŝ = (σ(z), 1). So every block of JJᵀ is a scalar times the outer product of
// two short vectors, and f's own second derivatives only add δ·a_j σ″(z_j)·x̃x̃ᵀ to neuron j's own
// block and δ·σ′(z_j)·x̃ to the column of its output weight (δ = f − y, the residual).
//
// The upper triangle is cut into 4 × 4 TASKS over pairs of groups (neuron–neuron, neuron–output,
// output–output). A thread sums HK tasks over all samples in registers (plain sums within a tile,
// Kahan across tiles) and writes each entry once; one sweep over the samples serves TILE·HK tasks and
// reruns the forward pass. Per sample a task loads 8 vector entries and 5 scalars for 16
// multiply-adds; the per-entry loop it replaced loaded about 5 values per multiply-add and
// read-modified-wrote the whole matrix in device memory once per tile (benchmarks/cost-model.ts
// counts both).
const R: u32 = WIDTH[1];
const H_IN: u32 = ${HESSIAN_IN}u;     // entries of x̃: D inputs, + 1 with biases
const H_OUT: u32 = ${HESSIAN_OUT}u;   // entries of ŝ: R output weights, + 1 with biases
const NB_IN: u32 = (H_IN + 3u) / 4u;
const NB_OUT: u32 = (H_OUT + 3u) / 4u;
const TASKS_UU: u32 = R * (R + 1u) / 2u * NB_IN * NB_IN;
const TASKS_UO: u32 = R * NB_IN * NB_OUT;
const TASKS: u32 = TASKS_UU + TASKS_UO + NB_OUT * NB_OUT;
const HK: u32 = ${HESSIAN_TASKS_PER_THREAD}u;
const SWEEPS: u32 = (TASKS + TILE * HK - 1u) / (TILE * HK);   // passes over the samples per Hessian
const OUTPUT_GROUP: u32 = R;               // groups 0 … R−1: the neurons' input vectors
const ROW_MASK: u32 = ROW_RDELTA[NL];      // 1 for a sample of the dataset, 0 for tile padding
const ROW_RESIDUAL: u32 = ROW_DELTA[NL];   // δ, 0 for padding

// One task: rows from block `blocks.y` of group `blocks.x`, columns from block `blocks.w` of group
// `blocks.z`; per sample
//   part += v_rows ⊗ ((m·(s₁·row[g₁])·(s₂·row[g₂]) + curv·second)·v_cols + second·extra_col)
// with second = δ·second_scale·row[second_offset]: a_j σ″_j on neuron j's own block, σ′_j on its
// output weight's column. The output group's g is the mask itself (m·m·m = m).
struct HessianTask {
  blocks: vec4<u32>,
  row_offset: vec4<u32>,
  col_offset: vec4<u32>,
  g: vec2<u32>,
  g_scale: vec2<f32>,
  second_offset: u32,
  second_scale: f32,
  curv: f32,
  extra_col: vec4<f32>,
#if ${GROUPED}
  // instead of second·extra_col: δ·cross_on·row[cross_offset], ∂²f/∂ζ_j∂A_e on the column of each
  // output weight e of neuron j's group (σ′_j on its own for a neuron alone)
  cross_offset: vec4<u32>,
  cross_on: vec4<f32>,
#endif
  live: bool,
  diagonal: bool,         // rows and columns are the same block: only its upper triangle is written
}

// where entry e of a group's vector is in a sample row: an input, σ(z_j), or for the constant 1 of
// a bias the mask slot (1 on every sample that counts). Entries past the group's end read the mask
// slot too: they only feed entries of the block that are never written.
fn group_offset(group: u32, e: u32) -> u32 {
  if (group == OUTPUT_GROUP) {
    return select(ROW_MASK, ROW_A[1] + e, e < R);
  }
  return select(ROW_MASK, ROW_A[0] + e, e < D);
}

fn block_offsets(group: u32, block: u32) -> vec4<u32> {
  let e = block * 4u;
  return vec4<u32>(group_offset(group, e), group_offset(group, e + 1u), group_offset(group, e + 2u), group_offset(group, e + 3u));
}

// the parameter index of entry e of a group's vector (P past the end)
fn group_parameter(group: u32, e: u32) -> u32 {
  let neuron = group != OUTPUT_GROUP;
  let length = select(H_OUT, H_IN, neuron);
  let fan_in = select(R, D, neuron);
  let layer = select(2u, 1u, neuron);
  let j = select(0u, group, neuron);
  if (e < fan_in) {
    return weight_index(layer, j, e);
  }
  return select(P, BIAS_OFFSET[layer] + j, e < length);
}

#if ${GROUPED}
// where the Jacobian scalar of neuron j's input group is: hessian_rows's a_jσ′_j, or in a group
// group_rows's ∂f/∂ζ_j
fn jacobian_offset(j: u32) -> u32 {
  return select(ROW_RA[1], ROW_DELTA[1], is_grouped(j)) + j;
}
#endif

fn hessian_task(index: u32) -> HessianTask {
  // every field set explicitly (Dawn on SwiftShader has been seen not to re-zero function variables)
  var task: HessianTask;
  task.live = index < TASKS;
  task.diagonal = false;
  task.g = vec2<u32>(ROW_MASK, ROW_MASK);
  task.g_scale = vec2<f32>(1.0, 1.0);
  task.second_offset = ROW_MASK;
  task.second_scale = 0.0;
  task.curv = 0.0;
  task.extra_col = vec4<f32>();
#if ${GROUPED}
  task.cross_offset = vec4<u32>(ROW_MASK);
  task.cross_on = vec4<f32>();
#endif
  if (index < TASKS_UU) {
    // neuron pair j ≤ k (triangular index), block (rb, cb) of x̃x̃ᵀ
    var pair = index / (NB_IN * NB_IN);
    let block = index % (NB_IN * NB_IN);
    var j = 0u;
    loop {
      if (pair < R - j) {
        break;
      }
      pair -= R - j;
      j++;
    }
    let k = j + pair;
    task.blocks = vec4<u32>(j, block / NB_IN, k, block % NB_IN);
#if ${GROUPED}
    // hessian_rows: a neuron alone's Jacobian scalar in ROW_RA and curvature in ROW_RZ; in a group
    // ∂f/∂ζ_j in ROW_DELTA and the curvatures where group_rows put them
    task.g = vec2<u32>(jacobian_offset(j), jacobian_offset(k));
    let together = is_grouped(j) && group_first[j] == group_first[k];
    // a branch, not select(): the group's tables are unset (group_first NO_GROUP) for neurons alone
    task.second_offset = ROW_RZ[1] + j;
    if (together) {
      let first = group_first[j];
      task.second_offset = group_coefficient_offset(first, group_pair_index(group_size[first], group_position[j], group_position[k]));
    }
    task.second_scale = 1.0;
    task.curv = select(0.0, 1.0, j == k || together);
#else
    task.g = vec2<u32>(ROW_DELTA[1] + j, ROW_DELTA[1] + k);
    task.g_scale = vec2<f32>(th[weight_index(2u, 0u, j)], th[weight_index(2u, 0u, k)]);
    task.second_offset = ROW_RDELTA[1] + j;
    task.second_scale = th[weight_index(2u, 0u, j)];
    task.curv = select(0.0, 1.0, j == k);
#endif
    task.live = !(j == k && task.blocks.y > task.blocks.w);
  } else if (index < TASKS_UU + TASKS_UO) {
    // neuron j's input vector against the output group
    let local = index - TASKS_UU;
    let j = local / (NB_IN * NB_OUT);
    let cb = local % NB_OUT;
    task.blocks = vec4<u32>(j, (local % (NB_IN * NB_OUT)) / NB_OUT, OUTPUT_GROUP, cb);
#if ${GROUPED}
    task.g.x = jacobian_offset(j);
    let first = group_first[j];
    for (var i = 0u; i < 4u; i++) {
      let e = cb * 4u + i;
      if (e == j && !is_grouped(j)) {
        task.cross_offset[i] = ROW_DELTA[1] + j;
        task.cross_on[i] = 1.0;
      } else if (e < R && is_grouped(j) && group_first[e] == first) {
        let n = group_size[first];
        task.cross_offset[i] = group_coefficient_offset(first, n * (n + 1u) / 2u + group_pair_index(n, group_position[j], group_position[e]));
        task.cross_on[i] = 1.0;
      }
    }
#else
    task.g.x = ROW_DELTA[1] + j;
    task.g_scale.x = th[weight_index(2u, 0u, j)];
#endif
    task.second_offset = ROW_DELTA[1] + j;
    task.second_scale = 1.0;
    for (var i = 0u; i < 4u; i++) {
      task.extra_col[i] = select(0.0, 1.0, cb * 4u + i == j);
    }
  } else {
    let local = min(index, TASKS - 1u) - TASKS_UU - TASKS_UO;
    task.blocks = vec4<u32>(OUTPUT_GROUP, local / NB_OUT, OUTPUT_GROUP, local % NB_OUT);
    task.live = task.live && task.blocks.y <= task.blocks.w;
  }
  task.diagonal = task.blocks.x == task.blocks.z && task.blocks.y == task.blocks.w;
  task.row_offset = block_offsets(task.blocks.x, task.blocks.y);
  task.col_offset = block_offsets(task.blocks.z, task.blocks.w);
  return task;
}

fn row_values(offset: vec4<u32>, r: u32) -> vec4<f32> {
  return vec4<f32>(rows[r + offset.x], rows[r + offset.y], rows[r + offset.z], rows[r + offset.w]);
}

#if ${GROUPED}
// The per-sample coefficients of the closed form for a neuron alone (a group's are group_rows's):
//   ROW_RA  the Jacobian scalar of its input group, a_jσ′_j
//   ROW_RZ  the curvature of its own block, a_jσ″_j
// from σ′ and σ″ (ROW_DELTA, ROW_RDELTA); σ′_j stays in ROW_DELTA for its output weight's column.
fn hessian_rows(row0: u32) {
  for (var s = 0u; s < SPT; s++) {
    let row = row0 + s * ROW_STRIDE;
    for (var j = 0u; j < R; j++) {
      if (is_grouped(j)) {
        continue;
      }
      let a_j = th[weight_index(2u, 0u, j)];
      rows[row + ROW_RA[1] + j] = a_j * rows[row + ROW_DELTA[1] + j];
      rows[row + ROW_RZ[1] + j] = a_j * rows[row + ROW_RDELTA[1] + j];
    }
  }
}
#endif

var<private> task_sum: array<mat4x4<f32>, HK>;
var<private> task_carry: array<mat4x4<f32>, HK>;
var<private> task_part: array<mat4x4<f32>, HK>;

// the HK tasks of one sweep: thread tid's k-th is sweep_task_index(tid, sweep, k)
var<private> sweep_tasks: array<HessianTask, HK>;

fn sweep_task_index(tid: u32, sweep: u32, k: u32) -> u32 {
  return sweep * TILE * HK + k * TILE + tid;
}

fn choose_sweep_tasks(tid: u32, sweep: u32) {
  for (var k = 0u; k < HK; k++) {
    sweep_tasks[k] = hessian_task(sweep_task_index(tid, sweep, k));
  }
}

// task_sum[k]: sweep_tasks[k]'s entries summed over samples [first, end) (plain sums within a tile,
// Kahan across tiles); every thread calls it (the forward pass is the workgroup's)
fn sum_sweep_tasks(tid: u32, first: u32, end: u32) {
  let row0 = tid * FPS;
  for (var k = 0u; k < HK; k++) {
    task_sum[k] = mat4x4<f32>();
    task_carry[k] = mat4x4<f32>();
  }
  for (var start = first; start < end; start += TILE_SAMPLES) {
    let samples = tile_samples(tid, start, end);
    let out = forward(row0, samples);
    for (var s = 0u; s < SPT; s++) {
      let row = row0 + s * ROW_STRIDE;
      rows[row + ROW_RESIDUAL] = select(0.0, out[s].x - ys[samples.data_row[s]], samples.valid[s]);
      rows[row + ROW_MASK] = select(0.0, 1.0, samples.valid[s]);
    }
#if ${GROUPED}
    hessian_rows(row0);
#endif
    workgroupBarrier();
    for (var k = 0u; k < HK; k++) {
      task_part[k] = mat4x4<f32>();
    }
    for (var s = 0u; s < TILE_SAMPLES; s++) {
      let r = s * FPS;
      let mask = rows[r + ROW_MASK];
      let residual = rows[r + ROW_RESIDUAL];
      for (var k = 0u; k < HK; k++) {
        let t = sweep_tasks[k];
        let second = residual * t.second_scale * rows[r + t.second_offset];
        let scale = mask * (t.g_scale.x * rows[r + t.g.x]) * (t.g_scale.y * rows[r + t.g.y]) + t.curv * second;
        let v_rows = row_values(t.row_offset, r);
#if ${GROUPED}
        let column = scale * row_values(t.col_offset, r) + residual * (t.cross_on * row_values(t.cross_offset, r));
#else
        let column = scale * row_values(t.col_offset, r) + second * t.extra_col;
#endif
        // column c of the block: v_rows · column[c], four vector multiply-adds
        task_part[k][0] += v_rows * column.x;
        task_part[k][1] += v_rows * column.y;
        task_part[k][2] += v_rows * column.z;
        task_part[k][3] += v_rows * column.w;
      }
    }
    for (var k = 0u; k < HK; k++) {
      for (var c = 0u; c < 4u; c++) {
        // Kahan across tiles, four entries at a time
        let y = task_part[k][c] - task_carry[k][c];
        let total = task_sum[k][c] + y;
        task_carry[k][c] = (total - task_sum[k][c]) - y;
        task_sum[k][c] = total;
      }
    }
    workgroupBarrier();
  }
}

// entry (i, c) of task t's block: its parameters (p, q) (P past the end), and whether it is written
// (an entry of the upper triangle that the task owns)
fn task_entry(t: HessianTask, i: u32, c: u32) -> vec3<u32> {
  let p = group_parameter(t.blocks.x, t.blocks.y * 4u + i);
  let q = group_parameter(t.blocks.z, t.blocks.w * 4u + c);
  let written = t.live && p < P && q < P && (!t.diagonal || i <= c);
  return vec3<u32>(p, q, select(0u, 1u, written));
}

fn accumulate_data_hessian(tid: u32) {
  for (var sweep = 0u; sweep < SWEEPS; sweep++) {
    choose_sweep_tasks(tid, sweep);
    sum_sweep_tasks(tid, 0u, cfg.samples);
    for (var k = 0u; k < HK; k++) {
      for (var c = 0u; c < 4u; c++) {
        for (var i = 0u; i < 4u; i++) {
          let entry = task_entry(sweep_tasks[k], i, c);
          if (entry.z != 0u) {
            hessian[mat_base + min(entry.x, entry.y) * P + max(entry.x, entry.y)] = task_sum[k][c][i];
          }
        }
      }
    }
  }
}
#endif

// Cholesky factor of W = I + hd·H into `factor` (lower triangle), right-looking by panels of PANEL
// columns: a panel (rows c0…P−1) is factorised in workgroup memory (the sample rows' array, idle
// between passes), written back, and the trailing lower triangle takes the panel's PANEL rank-one
// updates in one read-modify-write per entry. Column by column that was one read-modify-write of the
// whole trailing triangle per column: P³/6 entry updates in device memory, now P³/(6·PANEL).
// Returns true on every thread when a pivot was not positive and finite (uniform).
const PANEL: u32 = ${CHOLESKY_PANEL}u;

fn factorize(tid: u32, hd: f32) -> bool {
#if ${DOUBLE_FLOAT}
  return df_factorize(tid, hd);
#else
  storageBarrier();   // the previous attempt's reads of `factor` are done
  for (var idx = tid; idx < P * P; idx += TILE) {
    let i = idx / P;
    let j = idx % P;
    factor[mat_base + idx] = select(0.0, 1.0, i == j) + hd * hessian[mat_base + idx];
  }
  storageBarrier();
  var failed = false;
  for (var c0 = 0u; c0 < P; c0 += PANEL) {
    let width = min(PANEL, P - c0);
    let height = P - c0;
    // the panel: rows[(i − c0)·PANEL + k] = W[i][c0 + k] as updated so far
    for (var idx = tid; idx < height * width; idx += TILE) {
      let i = c0 + idx / width;
      let k = idx % width;
      rows[(i - c0) * PANEL + k] = factor[mat_base + i * P + c0 + k];
    }
    workgroupBarrier();
    for (var k = 0u; k < width; k++) {
      let c = c0 + k;
      let pivot = rows[k * PANEL + k];
      let good = pivot > 0.0 && is_finite(pivot);
      failed = failed || !good;
      let diagonal = select(1.0, sqrt(pivot), good);
      workgroupBarrier();   // every thread has read the pivot
      for (var i = c + tid; i < P; i += TILE) {
        let at = (i - c0) * PANEL + k;
        rows[at] = select(rows[at] / diagonal, diagonal, i == c);
      }
      workgroupBarrier();
      // the panel's later columns k' > k, rows i ≥ c0 + k'
      let later = width - k - 1u;
      for (var idx = tid; idx < (P - c - 1u) * later; idx += TILE) {
        let i = c + 1u + idx / later;
        let k2 = k + 1u + idx % later;
        if (i >= c0 + k2) {
          rows[(i - c0) * PANEL + k2] -= rows[(i - c0) * PANEL + k] * rows[k2 * PANEL + k];
        }
      }
      workgroupBarrier();
    }
    for (var idx = tid; idx < height * width; idx += TILE) {
      let i = c0 + idx / width;
      let k = idx % width;
      if (i >= c0 + k) {
        factor[mat_base + i * P + c0 + k] = rows[idx / width * PANEL + k];
      }
    }
    // the trailing triangle j ≤ i, both past the panel
    let m = P - c0 - width;
    for (var idx = tid; idx < m * m; idx += TILE) {
      let i = idx / m;
      let j = idx % m;
      if (j <= i) {
        let row_i = (width + i) * PANEL;
        let row_j = (width + j) * PANEL;
        // the rank-one updates one after the other, as column by column (the same roundings: a
        // summed update subtracted once lost up to 3× the accuracy at cond(W) 2e7)
        let at = mat_base + (c0 + width + i) * P + c0 + width + j;
        var value = factor[at];
        for (var k = 0u; k < width; k++) {
          value -= rows[row_i + k] * rows[row_j + k];
        }
        factor[at] = value;
      }
    }
    storageBarrier();   // the next panel reads the updated columns; `rows` is free again
  }
  return uniform_bool(tid, failed);
#endif
}

// lin_x ← (L Lᵀ)⁻¹ lin_x, column-oriented forward and back substitution: in round j every thread
// reads the finished lin_x[j] and updates only entries on the far side of j
fn triangular_solves(tid: u32) {
  workgroupBarrier();
  for (var j = 0u; j < P; j++) {
    let y = lin_x[j] / factor[mat_base + j * P + j];
    for (var i = j + 1u + tid; i < P; i += TILE) {
      lin_x[i] -= factor[mat_base + i * P + j] * y;
    }
    workgroupBarrier();
  }
  for (var i = tid; i < P; i += TILE) {
    lin_x[i] /= factor[mat_base + i * P + i];
  }
  workgroupBarrier();
  for (var jj = 0u; jj < P; jj++) {
    let j = P - 1u - jj;
    let x = lin_x[j] / factor[mat_base + j * P + j];
    for (var i = tid; i < j; i += TILE) {
      lin_x[i] -= factor[mat_base + j * P + i] * x;
    }
    workgroupBarrier();
  }
  for (var i = tid; i < P; i += TILE) {
    lin_x[i] /= factor[mat_base + i * P + i];
  }
  workgroupBarrier();
}

// (rhs − W·x)_p for W = I + hd·H with the assembled float32 H, evaluated in about twice the working
// precision (Ogita–Rump–Oishi Dot2 for H·x): the residual of iterative refinement must be more
// accurate than W x itself, else refinement cannot improve the forward error of a solve whose
// condition number is large (fixed-precision refinement only improves the backward error)
fn residual_entry(p: u32, b: f32, hd: f32) -> f32 {
  var s = 0.0;
  var c = 0.0;
  for (var j = 0u; j < P; j++) {
    let prod = two_product(hessian[mat_base + p * P + j], lin_x[j]);
    let sum = two_sum(s, prod.x);
    s = sum.x;
    c += prod.y + sum.y;
  }
  let q = two_product(hd, s);
  let q_lo = q.y + hd * c;
  let t = two_sum(b, -lin_x[p]);
  let u = two_sum(t.x, -q.x);
  return u.x + ((t.y + u.y) - q_lo);
}

fn solve(tid: u32, hd: f32, refinements: u32) {
#if ${DOUBLE_FLOAT}
  df_solve(tid);   // exact to double-float: nothing to refine
#else
  workgroupBarrier();
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      lin_x[p] = rhs[k];
    }
  }
  triangular_solves(tid);
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      sol[k] = lin_x[p];
    }
  }
  var residual: array<f32, OWN>;
  for (var r = 0u; r < refinements; r++) {
    // lin_x holds the current solution
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        residual[k] = residual_entry(p, rhs[k], hd);
      }
    }
    workgroupBarrier();
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        lin_x[p] = residual[k];
      }
    }
    triangular_solves(tid);
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        sol[k] += lin_x[p];
      }
    }
    workgroupBarrier();
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        lin_x[p] = sol[k];
      }
    }
    workgroupBarrier();
  }
#endif
}

#if ${STAGED}
// the stages from θ₀ after the first (rosenbrock_stage): their aᵢⱼ and cᵢⱼ, row i − 2. The step runs
// them in a loop, not one call each: every call is inlined, and compilers (SwiftShader's above all:
// 7.6 → 5.7 s for ROS34PW2, 11 → 7 s for Rodas4) take time in proportion to the copies of the passes
// and solves
#if ${RODAS4}
const LAST_STAGE: u32 = 5u;
const STAGE_A = array<vec4<f32>, 4>(
  vec4<f32>(RODAS_A21, 0.0, 0.0, 0.0),
  vec4<f32>(RODAS_A31, RODAS_A32, 0.0, 0.0),
  vec4<f32>(RODAS_A41, RODAS_A42, RODAS_A43, 0.0),
  vec4<f32>(RODAS_A51, RODAS_A52, RODAS_A53, RODAS_A54),
);
const STAGE_C = array<vec4<f32>, 4>(
  vec4<f32>(RODAS_C21, 0.0, 0.0, 0.0),
  vec4<f32>(RODAS_C31, RODAS_C32, 0.0, 0.0),
  vec4<f32>(RODAS_C41, RODAS_C42, RODAS_C43, 0.0),
  vec4<f32>(RODAS_C51, RODAS_C52, RODAS_C53, RODAS_C54),
);
#else
const LAST_STAGE: u32 = 4u;
const STAGE_A = array<vec4<f32>, 3>(
  vec4<f32>(W_A21, 0.0, 0.0, 0.0),
  vec4<f32>(W_A31, W_A32, 0.0, 0.0),
  vec4<f32>(W_A41, W_A42, W_A43, 0.0),
);
const STAGE_C = array<vec4<f32>, 3>(
  vec4<f32>(W_C21, 0.0, 0.0, 0.0),
  vec4<f32>(W_C31, W_C32, 0.0, 0.0),
  vec4<f32>(W_C41, W_C42, W_C43, 0.0),
);
#endif

// The stage sums read the k's of this attempt's earlier stages only, as the CPU integrator's do: a
// later stage's k may still hold an infinity from a failed attempt, and a zero coefficient would
// carry it in (0·∞ = NaN), failing every retry of the dispatch down to the step floor.

// Σⱼ coefficientⱼ·kⱼ[k] over this attempt's first `stages` stages (c5: the fifth's coefficient)
fn stage_sum(k: u32, coefficients: vec4<f32>, c5: f32, stages: u32) -> f32 {
  var sum = coefficients.x * k1[k];
  if (stages > 1u) { sum += coefficients.y * k2[k]; }
  if (stages > 2u) { sum += coefficients.z * k3[k]; }
  if (stages > 3u) { sum += coefficients.w * k4[k]; }
  if (stages > 4u) { sum += c5 * k5[k]; }
  return sum;
}

// θ ← θ₀ + Σⱼ aⱼkⱼ over the first `stages` stages (a stage point of Rodas4 or ROS34PW2), ready for evaluate_field
fn rodas_point(tid: u32, a: vec4<f32>, stages: u32) {
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      theta_from_start(k, p, stage_sum(k, a, 0.0, stages));
    }
  }
  workgroupBarrier();
}

// rhs ← f(u) + Σⱼ cⱼkⱼ/h over the first `stages` stages, f(u) in `field`
fn rodas_rhs(step: f32, c: vec4<f32>, c5: f32, stages: u32) {
  for (var k = 0u; k < OWN; k++) {
    rhs[k] = field[k] + stage_sum(k, c, c5, stages) / step;
  }
}

// k₁ = hγ·W⁻¹f(θ₀) (W factorised, f(θ₀) in f0)
fn first_stage(tid: u32, hd: f32) {
  for (var k = 0u; k < OWN; k++) {
    rhs[k] = f0[k];
  }
  solve(tid, hd, REFINEMENTS);
  for (var k = 0u; k < OWN; k++) {
    k1[k] = hd * sol[k];
  }
}

// One stage from θ₀ (stages 2–5): u = θ₀ + Σⱼ aⱼkⱼ, k ← hγ·W⁻¹(f(u) + Σⱼ cⱼkⱼ/h) (W factorised);
// returns 1.0 when f(u) was not finite
// (k_index: which of k2..k5 to fill; a pointer argument would alias the module-scope k's the stage reads)
fn rosenbrock_stage(tid: u32, hd: f32, step: f32, a: vec4<f32>, c: vec4<f32>, k_index: u32) -> f32 {
  rodas_point(tid, a, k_index - 1u);
  let bad = evaluate_field(tid).y;
  rodas_rhs(step, c, 0.0, k_index - 1u);
  solve(tid, hd, REFINEMENTS);
  for (var k = 0u; k < OWN; k++) {
    let value = hd * sol[k];
    switch k_index {
      case 2u: { k2[k] = value; }
      case 3u: { k3[k] = value; }
      case 4u: { k4[k] = value; }
      default: { k5[k] = value; }
    }
  }
  return bad;
}
#endif

@compute @workgroup_size(TILE)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let slot = group.x + group.y * groups.x;
  if (slot >= cfg.slots) {
    return;
  }
  if (!slot_is_live(tid, slot)) {
    return;
  }
  let info = slots[slot];
  load_slot_parameters(tid, slot);
  load_low_parts(tid, slot);
  set_slot_bases(slot);
#if ${GROUPED}
  clear_groups(tid);   // network coordinates until the groups are chosen
#endif
  // the forward pass's R-operator rows read the direction vv before assemble_hessian first sets it;
  // nothing uses those rows then, but they must not compute on unset memory
  for (var p = tid; p < P; p += TILE) {
    vv[p] = 0.0;
  }
  workgroupBarrier();

  var h = info.step_size;
  var time = info.time;
  var steps = info.steps;
  var evaluations = info.evaluations;
  var rejected_last = info.rejected != 0u;
  // Slot.hessian_ready: 0, or 1 + the accepted steps the Hessian has served (src/optim/stiff-solvers.ts
  // hessianAfterAttempt: kept for up to cfg.hessian_reuse accepted steps; after a failed attempt kept
  // only when fresh). Every thread holds the same hessian_uses.
  // (HESSIAN_FROM_DISPATCHES marks one the Hessian's own dispatches made for this dispatch's θ)
  var hessian_ready = uniform_bool(tid, info.hessian_ready != 0u);
  let from_dispatches = uniform_bool(tid, (info.hessian_ready & HESSIAN_FROM_DISPATCHES) != 0u);
  let uses_word = info.hessian_ready & ~HESSIAN_FROM_DISPATCHES;
  var hessian_uses = select(0u, uses_word - 1u, uses_word != 0u);
  var factorization_failed = false;
  var loss = info.loss;
  var finite = true;
  if (uniform_bool(tid, h == 0.0)) {
    // fresh slot: f(θ₀) and Hairer's first guess
    let first = evaluate_field(tid);
    loss = first.x;
    var theta_part = 0.0;
    var f_part = 0.0;
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        f0[k] = field[k];
        let scale = cfg.atol + cfg.rtol * abs(th[p]);
        theta_part += (th[p] / scale) * (th[p] / scale);
        f_part += (field[k] / scale) * (field[k] / scale);
      }
    }
    h = initial_step_size(tid, theta_part, f_part);
    finite = !workgroup_any(tid, first.y > 0.0);
    hessian_ready = false;
  } else {
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        f0[k] = derivative[slot * P + p];
      }
    }
  }

#if ${GROUPED}
  choose_groups(tid);
  let grouped = workgroupUniformLoad(&group_count) > 0u;
  let left_in_groups = ended_in_groups(tid, slot);
  var resumed = false;
  if (grouped) {
    resumed = enter_groups(tid, slot);
    if (resumed) {
      load_grouped_field(tid, slot);
    } else {
      let again = evaluate_field(tid);
      for (var k = 0u; k < OWN; k++) {
        f0[k] = field[k];
      }
      finite = finite && !workgroup_any(tid, again.y > 0.0);
    }
  }
  // a Hessian kept from the last dispatch is in its coordinates: valid when this dispatch resumes the
  // same groups, or when neither has groups; one from the Hessian's own dispatches is in these
  hessian_ready = hessian_ready && (from_dispatches || select(!left_in_groups, resumed, grouped));
#else
  let grouped = false;
#endif

  var accepted = 0u;
  var attempts = 0u;
  let budget = steps_allowed(tid, slot, cfg.steps);
  let attempt_budget = max_attempts(budget);
  loop {
    if (!finite || accepted >= budget || attempts >= attempt_budget) {
      break;
    }
    if (uniform_bool(tid, time >= cfg.until_time)) {
      break;
    }
    attempts += 1u;
    let step = min(h, cfg.until_time - time);
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        save_start(k, p);
      }
    }
    if (!hessian_ready) {
      assemble_hessian(tid);
      evaluations += P;
      hessian_ready = true;
      hessian_uses = 0u;
    }
#if ${RODAS4}
    let hd = step * RODAS_GAMMA;
#elif ${ROS34PW2}
    let hd = step * W_GAMMA;
#else
    let hd = step * ROS_D;
#endif
    if (factorize(tid, hd)) {
      // W is indefinite (negative curvature and a large h): retry smaller with the same Hessian
      h = step * FACTORIZATION_SHRINK;
      if (uniform_bool(tid, h < STEP_FLOOR)) {
        // not even W ≈ I factorises: H itself is not finite; the run stops at its last accepted θ
        finite = false;
      }
      factorization_failed = true;
      hessian_ready = uniform_bool(tid, hessian_uses == 0u);
      continue;
    }
    factorization_failed = false;
#if ${RODAS4}
    var stage_bad = 0.0;
    // Rodas4 (src/optim/stiff-solvers.ts rodas4Step): kᵢ = E⁻¹(f(uᵢ) + Σⱼ (cᵢⱼ/h)·kⱼ) with E⁻¹v = hγ·W⁻¹v;
    // u₂..u₅ = θ + Σⱼ aᵢⱼkⱼ, u₆ = u₅ + k₅, θ₁ = u₆ + k₆, error estimate k₆
    first_stage(tid, hd);
    for (var stage = 2u; stage <= LAST_STAGE; stage++) {
      stage_bad = max(stage_bad, rosenbrock_stage(tid, hd, step, STAGE_A[stage - 2u], STAGE_C[stage - 2u], stage));
    }
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        theta_add(p, k5[k]);   // u₆ = u₅ + k₅
      }
    }
    workgroupBarrier();
    stage_bad = max(stage_bad, evaluate_field(tid).y);
    rodas_rhs(step, vec4<f32>(RODAS_C61, RODAS_C62, RODAS_C63, RODAS_C64), RODAS_C65, 5u);
    solve(tid, hd, REFINEMENTS);
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        let e = hd * sol[k];   // k₆
        theta_add(p, e);       // θ₁ = u₆ + k₆
        error_vec[k] = e;
        stage_bad = max(stage_bad, select(1.0, 0.0, is_finite(th[p])));
      }
    }
    workgroupBarrier();
    // f(θ₁): the next step's f0
    let result = evaluate_field(tid);
    stage_bad = max(stage_bad, result.y);
    evaluations += 6u;
#elif ${ROS34PW2}
    var stage_bad = 0.0;
    // ROS34PW2 (src/optim/stiff-solvers.ts transformedRosenbrockStep): the same stages as Rodas4 with four
    // of them; θ₁ = θ + Σⱼ mⱼkⱼ, error estimate Σⱼ eⱼkⱼ
    first_stage(tid, hd);
    for (var stage = 2u; stage <= LAST_STAGE; stage++) {
      stage_bad = max(stage_bad, rosenbrock_stage(tid, hd, step, STAGE_A[stage - 2u], STAGE_C[stage - 2u], stage));
    }
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        theta_from_start(k, p, W_M1 * k1[k] + W_M2 * k2[k] + W_M3 * k3[k] + W_M4 * k4[k]);
        error_vec[k] = W_E1 * k1[k] + W_E2 * k2[k] + W_E3 * k3[k] + W_E4 * k4[k];
        stage_bad = max(stage_bad, select(1.0, 0.0, is_finite(th[p])));
      }
    }
    workgroupBarrier();
    // f(θ₁): the next step's f0
    let result = evaluate_field(tid);
    stage_bad = max(stage_bad, result.y);
    evaluations += 4u;
#else
    var stage_bad = 0.0;
    // k1 = W⁻¹F0, F1 = f(θ + h/2·k1)
    for (var k = 0u; k < OWN; k++) {
      rhs[k] = f0[k];
    }
    solve(tid, hd, REFINEMENTS);
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      k1[k] = sol[k];
      if (p < P) {
        theta_from_start(k, p, 0.5 * step * k1[k]);
      }
    }
    workgroupBarrier();
    stage_bad = max(stage_bad, evaluate_field(tid).y);
    // k2 = W⁻¹(F1 − k1) + k1, θ₁ = θ + h·k2, F2 = f(θ₁)
    for (var k = 0u; k < OWN; k++) {
      k3[k] = field[k];   // F1, kept in k3 until k3 is computed
      rhs[k] = field[k] - k1[k];
    }
    solve(tid, hd, REFINEMENTS);
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      k2[k] = sol[k] + k1[k];
      if (p < P) {
        theta_from_start(k, p, step * k2[k]);
      }
    }
    workgroupBarrier();
    let result = evaluate_field(tid);
    stage_bad = max(stage_bad, result.y);
    evaluations += 2u;
    // k3 = W⁻¹(F2 − e32·(k2 − F1) − 2·(k1 − F0))
    for (var k = 0u; k < OWN; k++) {
      rhs[k] = field[k] - ROS_E32 * (k2[k] - k3[k]) - 2.0 * (k1[k] - f0[k]);
    }
    solve(tid, hd, REFINEMENTS);
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        error_vec[k] = (step / 6.0) * (k1[k] - 2.0 * k2[k] + sol[k]);
        stage_bad = max(stage_bad, select(1.0, 0.0, is_finite(th[p])));
      }
    }
#endif
    workgroupBarrier();
    let error = scaled_norm(tid, error_norm_part(tid, grouped));
    // (any thread's: a stage's non-finite entries are its owners' alone, f(θ₁)'s too)
    if (workgroup_any(tid, stage_bad > 0.0 || !is_finite(error))) {
      // a non-finite trial point: restore θ, shrink hard and retry (H(θ) stays valid)
      for (var k = 0u; k < OWN; k++) {
        let p = tid + k * TILE;
        if (p < P) {
          restore_start(k, p);
        }
      }
      h = step * SHRINK_ON_NONFINITE;
      if (uniform_bool(tid, h < STEP_FLOOR)) {
        finite = false;
      }
      hessian_ready = uniform_bool(tid, hessian_uses == 0u);
      continue;
    }
    let ok = uniform_bool(tid, error <= 1.0);
    if (ok) {
      for (var k = 0u; k < OWN; k++) {
        f0[k] = field[k];   // first same as last
      }
      time += step;
      steps += 1u;
      accepted += 1u;
      loss = result.x;
      hessian_uses += 1u;
      hessian_ready = uniform_bool(tid, hessian_uses < cfg.hessian_reuse);
    } else {
      for (var k = 0u; k < OWN; k++) {
        let p = tid + k * TILE;
        if (p < P) {
          restore_start(k, p);
        }
      }
      hessian_ready = uniform_bool(tid, hessian_uses == 0u);
    }
    h = next_step_size(step, error, ROS_EXPONENT, ok, rejected_last);
    rejected_last = !ok;
    workgroupBarrier();
  }

  var grad_inf_part = 0.0;
#if ${GROUPED}
  store_group_state(tid, slot, grouped);
  if (grouped) {
    // back to network coordinates for everyone else (the Hessian stays in group coordinates)
    workgroupBarrier();
    share_owned(tid, &f0, &lin_x);
    workgroupBarrier();
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        f0[k] = in_network(p, &lin_x);
      }
    }
    turn_parameters(tid, false);
  }
#endif
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      grad_inf_part = max(grad_inf_part, abs_or_infinity(f0[k]));
      params[slot * P + p] = th[p];
#if ${DOUBLE_FLOAT}
      params_low[slot * P + p] = th_low[p];
#endif
      derivative[slot * P + p] = f0[k];
    }
  }
  let grad_inf = workgroup_max(tid, grad_inf_part);
  write_flow_status(tid, slot, grad_inf, steps, evaluations, time, h, rejected_last, finite, loss);
  if (tid == 0u) {
    slots[slot].hessian_ready = select(0u, hessian_uses + 1u, hessian_ready);
    slots[slot].factorization_failed = select(0u, 1u, factorization_failed);
  }
}

#if ${SPLIT_HESSIAN}
// ---- H in dispatches of its own (GpuEnsemble encodes them before each one-step dispatch of `main`) --
// One workgroup per network leaves most of a large GPU idle when an ensemble is small, and a step is
// mostly its Hessian: one thread's tasks of the closed form run over all N samples, and a deep
// network's double-float H is most of its step. So for every slot whose next attempt will assemble
// H, these dispatches spread it over the GPU, and the last marks it HESSIAN_FROM_DISPATCHES with its
// P evaluations, as main's own assembly (which main still does for a fresh slot and after a reused
// Hessian is renewed mid-dispatch) would count them.
//   double-float: hessian_cache passes the samples forward and backward into df_cache, (slot × block
//     of TILE samples) workgroups; hessian_columns sums column j's entries p ≥ j over all samples,
//     (slot × j); hessian_finish divides, adds the barrier, mirrors and marks (df_assemble_hessian's
//     sums).
//   closed form: hessian_blocks sums one sweep's tasks over one block of cfg.block_samples samples
//     into hessian_parts, (slot × sweep × block); hessian_block_sums adds the blocks in order, scales,
//     adds the barrier and mirrors, (slot × TILE tasks); hessian_mark marks, (slot). The blocks'
//     sums are Kahan sums over their tiles like main's; the Hessian differs from main's by roundings.
//     With groups, each workgroup chooses them and enters them as main will (enter_groups).

#if ${CLOSED_HESSIAN}
// per slot and block of samples, each task's 16 sums (column c, row i at 4c + i)
@group(0) @binding(12) var<storage, read_write> hessian_parts: array<f32>;
#endif

// every binding main uses, so that each entry point's automatic layout has main's bindings and one
// list of bind group entries serves all of them
fn use_main_bindings() {
  _ = params[0];
  _ = xs[0];
  _ = ys[0];
  _ = slots[0].in_use;
  _ = derivative[0];
  _ = hessian[0];
  _ = factor[0];
  _ = stop_at[0];
#if ${DOUBLE_FLOAT}
  _ = params_low[0];
  _ = df_cache[0];
#endif
#if ${GROUPED}
  _ = group_state[0];
#endif
#if ${CLOSED_HESSIAN}
  _ = hessian_parts[0];
#endif
}

// whether main's next attempt on `slot` assembles H: a live slot past its first dispatch (a fresh one
// assembles its first H itself) without a current H, allowed a step in this dispatch, time left (uniform)
fn hessian_wanted(tid: u32, slot: u32) -> bool {
  if (slot >= cfg.slots || !slot_is_live(tid, slot)) {
    return false;
  }
  let info = slots[slot];
  let wanted = info.step_size != 0.0 && info.hessian_ready == 0u && info.time < cfg.until_time;
  return uniform_bool(tid, wanted) && steps_allowed(tid, slot, cfg.steps) > 0u;
}

// an entry point's start: false (uniform) when `slot` needs no H now, else θ loaded (in the groups main
// will choose) and the bases set
fn hessian_part_begins(tid: u32, slot: u32) -> bool {
  use_main_bindings();
  if (!hessian_wanted(tid, slot)) {
    return false;
  }
  load_slot_parameters(tid, slot);
  load_low_parts(tid, slot);
  set_slot_bases(slot);
  workgroupBarrier();
#if ${GROUPED}
  clear_groups(tid);
  choose_groups(tid);
  if (workgroupUniformLoad(&group_count) > 0u) {
    _ = enter_groups(tid, slot);
  }
#endif
  return true;
}

// marks the slot's H as assembled by these dispatches, with its P evaluations (thread 0)
fn mark_hessian_ready(tid: u32, slot: u32) {
  if (tid == 0u) {
    slots[slot].hessian_ready = HESSIAN_FROM_DISPATCHES | 1u;
    slots[slot].evaluations += P;
  }
}

#if ${DOUBLE_FLOAT}
@compute @workgroup_size(TILE)
fn hessian_cache(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  if (!hessian_part_begins(tid, group.x)) {
    return;
  }
  let n = group.y * TILE + tid;
  if (n < cfg.samples) {
    df_cache_sample(sample_row(n), n);
  }
}

@compute @workgroup_size(TILE)
fn hessian_columns(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  if (!hessian_part_begins(tid, group.x)) {
    return;
  }
  let j = group.y;
  df_column_sums(tid, j, 0u, cfg.samples);
  for (var p = j + tid; p < P; p += TILE) {
    df_store_hessian(p * P + j, df_columns[p]);
  }
}

@compute @workgroup_size(TILE)
fn hessian_finish(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let slot = group.x;
  if (!hessian_part_begins(tid, slot)) {
    return;
  }
  let excess = barrier_state(tid, cfg.maxnorm).y;
  df_finish_hessian(tid, excess, barrier_slope(excess));
  mark_hessian_ready(tid, slot);
}
#endif

#if ${CLOSED_HESSIAN}
// blocks of cfg.block_samples samples in a pass over all of them
fn sample_blocks() -> u32 {
  return (cfg.samples + cfg.block_samples - 1u) / cfg.block_samples;
}

// where task `task`'s 16 sums over block `block` of `slot` start in hessian_parts
fn part_base(slot: u32, block: u32, task: u32) -> u32 {
  return ((slot * sample_blocks() + block) * TASKS + task) * 16u;
}

@compute @workgroup_size(TILE)
fn hessian_blocks(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let slot = group.x;
  let sweep = group.y % SWEEPS;
  let block = group.y / SWEEPS;
  if (block >= sample_blocks() || !hessian_part_begins(tid, slot)) {
    return;
  }
  let first = block * cfg.block_samples;
  choose_sweep_tasks(tid, sweep);
  sum_sweep_tasks(tid, first, min(cfg.samples, first + cfg.block_samples));
  for (var k = 0u; k < HK; k++) {
    let task = sweep_task_index(tid, sweep, k);
    if (task < TASKS) {
      let base = part_base(slot, block, task);
      for (var c = 0u; c < 4u; c++) {
        for (var i = 0u; i < 4u; i++) {
          hessian_parts[base + 4u * c + i] = task_sum[k][c][i];
        }
      }
    }
  }
}

@compute @workgroup_size(TILE)
fn hessian_block_sums(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let slot = group.x;
  if (!hessian_part_begins(tid, slot)) {
    return;
  }
  // as assemble_hessian finishes main's sums
  let excess = barrier_state(tid, cfg.maxnorm).y;
  let slope = barrier_slope(excess);
  let task = group.y * TILE + tid;
  if (task >= TASKS) {
    return;
  }
  let t = hessian_task(task);
  var sums: array<f32, 16>;
  for (var e = 0u; e < 16u; e++) {
    sums[e] = 0.0;   // explicitly (Dawn on SwiftShader has been seen not to re-zero function variables)
  }
  for (var block = 0u; block < sample_blocks(); block++) {
    let base = part_base(slot, block, task);
    for (var e = 0u; e < 16u; e++) {
      sums[e] += hessian_parts[base + e];
    }
  }
  for (var c = 0u; c < 4u; c++) {
    for (var i = 0u; i < 4u; i++) {
      let entry = task_entry(t, i, c);
      if (entry.z != 0u) {
        let p = entry.x;
        let q = entry.y;
        let value = hessian_entry(sums[4u * c + i], p, q, excess, slope);
        hessian[mat_base + p * P + q] = value;
        hessian[mat_base + q * P + p] = value;
      }
    }
  }
}

@compute @workgroup_size(TILE)
fn hessian_mark(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  use_main_bindings();
  if (hessian_wanted(tid, group.x)) {
    mark_hessian_ready(tid, group.x);
  }
}
#endif
#endif

// Test entry point (tests/engine/gpu-stiff.test.ts): per workgroup `slot`, factorise W = I + hd·H with
// hd = cfg.max_step and H from `hessian`, solve W x = b for b in `derivative` (with one refinement
// steps: cfg.steps of them) and write x to `params` (NaN when the factorisation failed).
@compute @workgroup_size(TILE)
fn solve_check(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let slot = group.x;
  if (slot >= cfg.slots) {
    return;
  }
  mat_base = slot * MAT_STRIDE;
  let hd = cfg.max_step;
  let failed = factorize(tid, hd);
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      rhs[k] = derivative[slot * P + p];
    }
  }
  solve(tid, hd, cfg.steps);
  var nan_bits = 0x7fc00000u;
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      params[slot * P + p] = select(sol[k], bitcast<f32>(nan_bits), failed);
    }
  }
}

#if ${STAGED}
// Test entry point (tests/engine/gpu-stiff.test.ts): per workgroup `slot`, k₁…k₅ from `hessian`
// (kⱼ[p] at slot·5P + (j−1)·P + p), and stage_sum with every coefficient 1 over 1…5 stages into
// `params` (the sum over s stages at slot·5P + (s−1)·P + p)
@compute @workgroup_size(TILE)
fn stage_sum_check(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let slot = group.x;
  if (slot >= cfg.slots) {
    return;
  }
  let base = slot * 5u * P;
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      k1[k] = hessian[base + p];
      k2[k] = hessian[base + P + p];
      k3[k] = hessian[base + 2u * P + p];
      k4[k] = hessian[base + 3u * P + p];
      k5[k] = hessian[base + 4u * P + p];
      for (var stages = 1u; stages <= 5u; stages++) {
        params[base + (stages - 1u) * P + p] = stage_sum(k, vec4<f32>(1.0), 1.0, stages);
      }
    }
  }
}
#endif

// Test entry points (tests/engine/gpu-stiff.test.ts): per workgroup `slot`, H(θ) of the slot's
// parameters on its data into `hessian`, as the main kernel assembles it: in network coordinates
// (hessian_check), or with the neurons grouped as a dispatch of the main kernel groups them, θ turned
// and H in group coordinates (grouped_hessian_check).
fn check_hessian(tid: u32, slot: u32, grouped: bool) {
  load_slot_parameters(tid, slot);
  load_low_parts(tid, slot);
  set_slot_bases(slot);
  workgroupBarrier();
#if ${GROUPED}
  clear_groups(tid);
  if (grouped) {
    choose_groups(tid);
    turn_parameters(tid, true);
  }
#endif
  assemble_hessian(tid);
}

@compute @workgroup_size(TILE)
fn hessian_check(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  if (group.x < cfg.slots) {
    check_hessian(tid, group.x, false);
  }
}

#if ${GROUPED}
@compute @workgroup_size(TILE)
fn grouped_hessian_check(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  if (group.x < cfg.slots) {
    check_hessian(tid, group.x, true);
  }
}
#endif
