// Gradient flow θ̇ = −∇(L + R) for an ensemble of slots, one workgroup per slot, each with its own
// adaptive step size: the Dormand–Prince 5(4) pair (first same as last), Hairer's scaled RMS error
// norm and integral step-size control. The float64 reference is src/optim/integrators.ts; the two
// take the same decisions in the same order.
//
// Per slot: params θ, the derivative f(θ) (the next step's first stage), and bookkeeping (struct
// Slot in mlp_slots.wgsl). A dispatch takes up to `steps` accepted steps, never past
// `until_time`, and at most ATTEMPT_FACTOR·steps + 16 attempts.

// struct Config, the step-size controller and the status: mlp_flow_common.wgsl

// Dormand–Prince 5(4): rows of a (stage s uses a[s][0..s−1]) and the error weights b − b̂
const A1 = array<f32, 1>(0.2);
const A2 = array<f32, 2>(0.075, 0.225);
const A3 = array<f32, 3>(0.9777777777777777, -3.7333333333333334, 3.5555555555555554);
const A4 = array<f32, 4>(2.9525986892242035, -11.595793324188385, 9.822892851699436, -0.2908093278463649);
const A5 = array<f32, 5>(2.8462752525252526, -10.757575757575758, 8.906422717743473, 0.2784090909090909, -0.2735313036020583);
const A6 = array<f32, 6>(0.09114583333333333, 0.0, 0.44923629829290207, 0.6510416666666666, -0.322376179245283, 0.13095238095238096);
const ERROR_WEIGHTS = array<f32, 7>(0.0012326388888888888, 0.0, -0.0042527702905061394, 0.03697916666666667, -0.05086379716981132, 0.04190476190476191, -0.025);

@group(0) @binding(0) var<uniform> cfg: Config;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> ys: array<f32>;
@group(0) @binding(4) var<storage, read_write> slots: array<Slot>;
@group(0) @binding(5) var<storage, read_write> derivative: array<f32>;

var<private> data_base: u32;
var<private> theta0: array<f32, OWN>;
var<private> stage: array<f32, 7u * OWN>;   // [s][k]: f at stage s for owned parameter k

fn sample_row(n: u32) -> u32 {
  return data_base + n;
}

fn a_coefficient(s: u32, j: u32) -> f32 {
  switch (s) {
    case 1u: { return A1[j]; }
    case 2u: { return A2[j]; }
    case 3u: { return A3[j]; }
    case 4u: { return A4[j]; }
    case 5u: { return A5[j]; }
    default: { return A6[j]; }
  }
}

// f(θ) = −∇(L + R) at th into stage s; returns (loss, any non-finite as 1.0)
fn evaluate_stage(tid: u32, s: u32) -> vec2<f32> {
  let loss = gradient_pass(tid, cfg.samples);
  let excess = barrier_state(tid, cfg.maxnorm).y;
  let slope = barrier_slope(excess);
  var bad = !is_finite(loss);
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      let f = -(grad_sum[k] + slope * th[p]);
      stage[s * OWN + k] = f;
      bad = bad || !is_finite(f);
    }
  }
  return vec2<f32>(loss, select(0.0, 1.0, bad));
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
  workgroupBarrier();

  var h = info.step_size;
  var time = info.time;
  var steps = info.steps;
  var evaluations = info.evaluations;
  var rejected_last = info.rejected != 0u;
  var loss = info.loss;
  var finite = true;
  if (uniform_bool(tid, h == 0.0)) {
    // fresh slot: f(θ₀) and Hairer's first guess h₀ = 0.01·‖θ‖/‖f‖ (scaled norms)
    let first = evaluate_stage(tid, 0u);
    loss = first.x;
    var theta_part = 0.0;
    var f_part = 0.0;
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        let scale = cfg.atol + cfg.rtol * abs(th[p]);
        theta_part += (th[p] / scale) * (th[p] / scale);
        f_part += (stage[k] / scale) * (stage[k] / scale);
      }
    }
    h = initial_step_size(tid, theta_part, f_part);
    finite = !workgroup_any(tid, first.y > 0.0);
  } else {
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        stage[k] = derivative[slot * P + p];
      }
    }
  }

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
        theta0[k] = th[p];
      }
    }
    var stage_bad = 0.0;
    var stage_loss = 0.0;
    for (var s = 1u; s < 7u; s++) {
      for (var k = 0u; k < OWN; k++) {
        let p = tid + k * TILE;
        if (p < P) {
          var increment = 0.0;
          for (var j = 0u; j < s; j++) {
            increment += a_coefficient(s, j) * stage[j * OWN + k];
          }
          th[p] = theta0[k] + step * increment;
        }
      }
      workgroupBarrier();
      let result = evaluate_stage(tid, s);
      stage_bad = max(stage_bad, result.y);
      stage_loss = result.x;   // the last stage is at the fifth-order solution
    }
    evaluations += 6u;
    // error estimate h·Σ (b − b̂)ᵢ kᵢ in the scaled norm
    var error_part = 0.0;
    for (var k = 0u; k < OWN; k++) {
      let p = tid + k * TILE;
      if (p < P) {
        var e = 0.0;
        for (var s = 0u; s < 7u; s++) {
          e += ERROR_WEIGHTS[s] * stage[s * OWN + k];
        }
        let scale = cfg.atol + cfg.rtol * max(abs(theta0[k]), abs(th[p]));
        error_part += (step * e / scale) * (step * e / scale);
        stage_bad = max(stage_bad, select(1.0, 0.0, is_finite(th[p])));
      }
    }
    let error = scaled_norm(tid, error_part);
    if (workgroup_any(tid, stage_bad > 0.0 || !is_finite(error))) {
      // a non-finite trial point: restore θ, shrink hard and retry
      for (var k = 0u; k < OWN; k++) {
        let p = tid + k * TILE;
        if (p < P) {
          th[p] = theta0[k];
        }
      }
      h = step * SHRINK_ON_NONFINITE;
      if (uniform_bool(tid, h < STEP_FLOOR)) {
        finite = false;
      }
      continue;
    }
    let ok = uniform_bool(tid, error <= 1.0);
    if (ok) {
      for (var k = 0u; k < OWN; k++) {
        stage[k] = stage[6u * OWN + k];   // first same as last
      }
      time += step;
      steps += 1u;
      accepted += 1u;
      loss = stage_loss;
    } else {
      for (var k = 0u; k < OWN; k++) {
        let p = tid + k * TILE;
        if (p < P) {
          th[p] = theta0[k];
        }
      }
    }
    h = next_step_size(step, error, -0.2, ok, rejected_last);
    rejected_last = !ok;
    workgroupBarrier();
  }

  // status of the current parameters: f(θ) is the first stage, so no extra pass is needed
  var grad_inf_part = 0.0;
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      grad_inf_part = max(grad_inf_part, abs_or_infinity(stage[k]));
      params[slot * P + p] = th[p];
      derivative[slot * P + p] = stage[k];
    }
  }
  let grad_inf = workgroup_max(tid, grad_inf_part);
  write_flow_status(tid, slot, grad_inf, steps, evaluations, time, h, rejected_last, finite, loss);
}
