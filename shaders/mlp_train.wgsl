// Training steps for an ensemble of slots, one workgroup per slot, many steps per dispatch, the
// optimiser state resident on the GPU: gradient descent (full batch, or SGD), heavy-ball momentum,
// Adam. Exactly one OPT_* flag is true; MINIBATCH draws every step's samples with Philox
// (philox.wgsl; the CPU draws the same). The gradient machinery is mlp_core.wgsl; the float64 reference is src/optim/optimizers.ts.
//
// A step is committed only when the new parameters and state are all finite; otherwise the slot is
// marked non-finite and frozen at its last finite point, and the other slots go on.

struct Config {
  slots: u32,
  samples: u32,
  steps: u32,          // optimiser steps in this dispatch
  batch: u32,          // minibatch size (MINIBATCH)
  lr: f32,
  momentum: f32,       // heavy ball's β
  adam_eps: f32,
  _pad0: f32,
  maxnorm: f32,        // (word 8, as in the flow kernels' Config: the host writes both alike)
  // samples between consecutive slots' datasets: 0 when all share one, N when each has its own
  data_stride: u32,
  _pad1: f32,
  _pad2: f32,
  // Adam's 1 − β and ln β, from float64 on the host: f32(1 − β₂) keeps 1 − β₂ to 7 digits where
  // 1 − f32(β₂) keeps 4 (β₂ = 0.999; at 0.99999 it is 0.1% off), and ln β gives 1 − βᵗ to float32
  // accuracy, which 1 − pow(β, t) loses to cancellation (1e-4 relative at t = 1)
  adam_one_minus_beta1: f32,
  adam_one_minus_beta2: f32,
  adam_log_beta1: f32,
  adam_log_beta2: f32,
}

const STATE_VECTORS: u32 = ${STATE_VECTORS}u;   // 0 (GD, SGD), 1 (momentum), 2 (Adam)

@group(0) @binding(0) var<uniform> cfg: Config;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> ys: array<f32>;
@group(0) @binding(4) var<storage, read_write> slots: array<Slot>;
#if ${HAS_STATE}
@group(0) @binding(5) var<storage, read_write> opt_state: array<f32>;
#endif

var<private> data_base: u32;
var<private> minibatch_step: u32;
var<private> minibatch_key: vec2<u32>;
var<private> minibatch_run: u32;
var<private> use_minibatch: bool;

fn sample_row(n: u32) -> u32 {
  if (use_minibatch) {
    return data_base + minibatch_index(minibatch_key, minibatch_run, minibatch_step, cfg.batch, n, cfg.samples);
  }
  return data_base + n;
}

/**
 * 1 − βᵗ from ln β (Adam's bias corrections): −expm1(t ln β), by its series where 1 − exp would
 * cancel (t ln β > −1/2; the series' next term is below 1.2e-8 relative there), else 1 − exp.
 */
fn one_minus_power(log_base: f32, t: f32) -> f32 {
  let x = t * log_base;
  if (x > -0.5) {
    return -x * (1.0 + x / 2.0 * (1.0 + x / 3.0 * (1.0 + x / 4.0 * (1.0 + x / 5.0 * (1.0 + x / 6.0 * (1.0 + x / 7.0 * (1.0 + x / 8.0)))))));
  }
  return 1.0 - exp(x);
}

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
  data_base = slot * cfg.data_stride;
  minibatch_key = vec2<u32>(info.seed_lo, info.seed_hi);
  minibatch_run = info.run;
  var state: array<f32, OWN * 2u>;   // owned optimiser state: [vector][k]
#if ${HAS_STATE}
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      for (var s = 0u; s < STATE_VECTORS; s++) {
        state[s * OWN + k] = opt_state[(slot * STATE_VECTORS + s) * P + p];
      }
    }
  }
#endif
  workgroupBarrier();

#if ${MINIBATCH}
  let pass_count = cfg.batch;
  use_minibatch = true;
#else
  let pass_count = cfg.samples;
#endif
  var steps = info.steps;
  var finite = true;
  let budget = steps_allowed(tid, slot, cfg.steps);
  for (var step = 0u; step < budget; step++) {
    minibatch_step = steps;
    gradient_pass(tid, pass_count);
    let excess = barrier_state(tid, cfg.maxnorm).y;
    let slope = barrier_slope(excess);
    let t = f32(steps + 1u);
    var proposed: array<f32, OWN>;
    var proposed_state: array<f32, OWN * 2u>;
    var bad = false;
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        let g = grad_sum[k] + slope * th[p];
#if ${OPT_PLAIN}
        // gradient descent, full batch or minibatch
        proposed[k] = th[p] - cfg.lr * g;
#elif ${OPT_MOMENTUM}
        // heavy ball: v ← βv + g, θ ← θ − ηv
        let velocity = cfg.momentum * state[k] + g;
        proposed_state[k] = velocity;
        proposed[k] = th[p] - cfg.lr * velocity;
#elif ${OPT_ADAM}
        // m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², written as moves towards g and g²
        let m = state[k] + cfg.adam_one_minus_beta1 * (g - state[k]);
        let v = state[OWN + k] + cfg.adam_one_minus_beta2 * (g * g - state[OWN + k]);
        proposed_state[k] = m;
        proposed_state[OWN + k] = v;
        let m_hat = m / one_minus_power(cfg.adam_log_beta1, t);
        let v_hat = v / one_minus_power(cfg.adam_log_beta2, t);
        proposed[k] = th[p] - cfg.lr * m_hat / (sqrt(v_hat) + cfg.adam_eps);
#endif
        bad = bad || !is_finite(proposed[k]) || !is_finite(g);
#if ${HAS_STATE}
        // the state too (the CPU's check): Adam's v overflows where g² does, and m̂/√v̂ is then a finite 0
        for (var s = 0u; s < STATE_VECTORS; s++) {
          bad = bad || !is_finite(proposed_state[s * OWN + k]);
        }
#endif
      }
    }
    if (workgroup_any(tid, bad)) {
      finite = false;
      break;
    }
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        th[p] = proposed[k];
        for (var s = 0u; s < STATE_VECTORS; s++) {
          state[s * OWN + k] = proposed_state[s * OWN + k];
        }
      }
    }
    steps += 1u;
    workgroupBarrier();
  }

  // status of the current parameters: full-batch loss, gradient ∞-norm, weight norm
  // (over the whole dataset, also for SGD)
  use_minibatch = false;
  let status_loss = gradient_pass(tid, cfg.samples);
  let barrier = barrier_state(tid, cfg.maxnorm);
  let slope = barrier_slope(barrier.y);
  var grad_inf_part = 0.0;
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      grad_inf_part = max(grad_inf_part, abs_or_infinity(grad_sum[k] + slope * th[p]));
      params[slot * P + p] = th[p];
#if ${HAS_STATE}
      for (var s = 0u; s < STATE_VECTORS; s++) {
        opt_state[(slot * STATE_VECTORS + s) * P + p] = state[s * OWN + k];
      }
#endif
    }
  }
  let grad_inf = workgroup_max(tid, grad_inf_part);
  if (tid == 0u) {
    slots[slot].steps = steps;
    slots[slot].evaluations = info.evaluations + (steps - info.steps) + select(1u, 0u, finite);
    slots[slot].finite = select(0u, 1u, finite && is_finite(status_loss) && is_finite(grad_inf));
    slots[slot].loss = status_loss;
    slots[slot].barrier = barrier.y * barrier.y * barrier.y / 3.0;
    slots[slot].grad_inf = grad_inf;
    slots[slot].weight_norm = barrier.x;
  }
}
