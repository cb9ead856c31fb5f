// What the gradient-flow kernels share (mlp_flow.wgsl: Dormand–Prince 5(4); mlp_stiff.wgsl:
// Rosenbrock 2(3)): the Config uniform, the step-size controller (STEP_CONTROL, nextStepSize and
// initialStepSize of src/optim/integrators.ts), the attempt budget and the slot's status at the end
// of a dispatch. Needs mlp_core.wgsl and mlp_slots.wgsl (and the including kernel's `slots`).
//
// A dispatch takes up to `steps` accepted steps (fewer for a slot whose stop_at comes sooner), never
// past `until_time`, and at most ATTEMPT_FACTOR·(its steps) + 16 attempts.

struct Config {
  slots: u32,
  samples: u32,
  steps: u32,
  hessian_reuse: u32,   // stiff W-methods: accepted steps one Hessian may serve (hessianAfterAttempt)
  rtol: f32,
  atol: f32,
  max_step: f32,
  until_time: f32,
  maxnorm: f32,
  // samples between consecutive slots' datasets: 0 when all share one, N when each has its own
  data_stride: u32,
  // stiff, closed-form Hessian in its own dispatches: samples per block of hessian_blocks
  block_samples: u32,
  _pad2: f32,
}

const ATTEMPT_FACTOR: u32 = 4u;   // FLOW_ATTEMPT_FACTOR in src/optim/integrators.ts
// control of the step size (STEP_CONTROL in src/optim/integrators.ts)
const SAFETY: f32 = 0.9;
const MIN_FACTOR: f32 = 0.2;
const MAX_FACTOR: f32 = 10.0;
const SHRINK_ON_NONFINITE: f32 = 0.25;
const STEP_FLOOR: f32 = 1e-30;

// the attempt budget of a dispatch that may accept up to `steps` steps (flowAttemptBudget)
fn max_attempts(steps: u32) -> u32 {
  return ATTEMPT_FACTOR * steps + 16u;
}

// Hairer's RMS norm of v/(atol + rtol·max(|a|,|b|)) over all parameters (the caller passes per-owned values)
fn scaled_norm(tid: u32, part: f32) -> f32 {
  return sqrt(workgroup_sum(tid, part) / f32(P));
}

// Hairer's first guess h₀ = 0.01·‖θ‖/‖f‖ from the per-thread parts of Σ(θ/scale)² and Σ(f/scale)²
fn initial_step_size(tid: u32, theta_part: f32, f_part: f32) -> f32 {
  let d0 = scaled_norm(tid, theta_part);
  let d1 = scaled_norm(tid, f_part);
  let h = select(0.01 * d0 / d1, 1e-6, d0 < 1e-5 || d1 < 1e-5);
  return min(h, cfg.max_step);
}

// nextStepSize: the next step after one of size `step` with scaled error `error` (exponent −1/order);
// no growth after a rejection or right after one
fn next_step_size(step: f32, error: f32, exponent: f32, ok: bool, rejected_last: bool) -> f32 {
  var factor = MAX_FACTOR;
  if (error > 0.0) {
    factor = SAFETY * pow(error, exponent);
  }
  factor = clamp(factor, MIN_FACTOR, MAX_FACTOR);
  if (!ok || rejected_last) {
    factor = min(factor, 1.0);
  }
  return min(step * factor, cfg.max_step);
}

// The slot's bookkeeping and status of the current parameters (grad_inf: ‖f(θ)‖∞). All threads call it.
fn write_flow_status(tid: u32, slot: u32, grad_inf: f32, steps: u32, evaluations: u32, time: f32, h: f32,
                     rejected_last: bool, finite: bool, loss: f32) {
  let barrier = barrier_state(tid, cfg.maxnorm);
  if (tid == 0u) {
    slots[slot].steps = steps;
    slots[slot].evaluations = evaluations;
    slots[slot].time = time;
    slots[slot].step_size = h;
    slots[slot].rejected = select(0u, 1u, rejected_last);
    slots[slot].finite = select(0u, 1u, finite && is_finite(loss) && is_finite(grad_inf));
    slots[slot].loss = loss;
    slots[slot].barrier = barrier.y * barrier.y * barrier.y / 3.0;
    slots[slot].grad_inf = grad_inf;
    slots[slot].weight_norm = barrier.x;
  }
}
