// Training ensembles' per-slot state, shared by mlp_train.wgsl, mlp_flow.wgsl and mlp_stiff.wgsl (which declare
// the bindings `slots` and `params`). struct Slot is 17 words, mirrored by SLOT_WORDS in
// src/engine/gpu/gpu-ensemble.ts.

struct Slot {
  in_use: u32,
  finite: u32,
  steps: u32,
  evaluations: u32,
  seed_lo: u32,
  seed_hi: u32,
  run: u32,
  rejected: u32,        // gradient flow: the last step was rejected
  time: f32,            // gradient flow: simulated time
  step_size: f32,       // gradient flow: next step size; 0 on a fresh slot
  loss: f32,
  barrier: f32,
  grad_inf: f32,
  weight_norm: f32,
  hessian_ready: u32,  // stiff gradient flow: the `hessian` buffer holds H(θ) of the current θ
  factorization_failed: u32,  // stiff gradient flow: the last attempt could not factorise W = I + h·d·H
  activation: u32,      // a mixed kernel: the run's activation (activations.wgsl network_activation)
}

// per slot: the step count at which it stops within a dispatch (its next event in the scheduler),
// so one dispatch can take every slot to its own event; 0xffffffff: no limit
@group(0) @binding(9) var<storage, read> stop_at: array<u32>;

var<workgroup> shared_flag: u32;
var<workgroup> shared_count: u32;

// thread 0's boolean on every thread, and provably uniform (safe to branch on around barriers): for
// values every thread holds alike; a per-thread one (an owned entry not finite) needs workgroup_any
fn uniform_bool(tid: u32, value: bool) -> bool {
  workgroupBarrier();
  if (tid == 0u) {
    shared_flag = select(0u, 1u, value);
  }
  return workgroupUniformLoad(&shared_flag) != 0u;
}

// true on every thread when any thread passes true (uniform: safe to branch on around barriers)
fn workgroup_any(tid: u32, value: bool) -> bool {
  let count = workgroup_sum(tid, select(0.0, 1.0, value));
  if (tid == 0u) {
    shared_flag = select(0u, 1u, count > 0.0);
  }
  return workgroupUniformLoad(&shared_flag) != 0u;
}

// true on every thread when the slot holds a run that is still finite
fn slot_is_live(tid: u32, slot: u32) -> bool {
  if (tid == 0u) {
    shared_flag = slots[slot].in_use * slots[slot].finite;
  }
  return workgroupUniformLoad(&shared_flag) != 0u;
}

// the slot's parameters into workgroup memory, this thread's parameter ownership and, in a mixed
// kernel, the network's activation
fn load_slot_parameters(tid: u32, slot: u32) {
#if ${MIXED_ACTIVATIONS}
  network_activation = slots[slot].activation;
#endif
  for (var p = tid; p < P; p += TILE) {
    th[p] = params[slot * P + p];
  }
  decode_ownership(tid);
}

// the steps this slot may take in this dispatch: `requested`, but not past stop_at (uniform)
fn steps_allowed(tid: u32, slot: u32, requested: u32) -> u32 {
  if (tid == 0u) {
    let done = slots[slot].steps;
    let limit = stop_at[slot];
    shared_count = select(0u, min(requested, limit - done), limit > done);
  }
  return workgroupUniformLoad(&shared_count);
}
