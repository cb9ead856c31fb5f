// Loss, gradient and (with HVP) the exact Hessian-vector product of L + R for B scalar-output
// MLPs at once, one workgroup per network (the machinery is in mlp_core.wgsl). B, N and maxnorm
// are runtime uniforms.

struct Config {
  networks: u32,
  samples: u32,
  // samples between consecutive networks' datasets: 0 when all share one, N when each has its own
  data_stride: u32,
  _pad: u32,
  maxnorm: f32,
  inv_samples: f32,
}

@group(0) @binding(0) var<uniform> cfg: Config;
@group(0) @binding(1) var<storage, read> theta: array<f32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> ys: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss_out: array<f32>;   // (loss, barrier) per network
@group(0) @binding(5) var<storage, read_write> grad_out: array<f32>;
#if ${HVP}
@group(0) @binding(6) var<storage, read> direction: array<f32>;
@group(0) @binding(7) var<storage, read_write> hvp_out: array<f32>;
#endif

var<private> data_base: u32;

fn sample_row(n: u32) -> u32 {
  return data_base + n;
}

@compute @workgroup_size(TILE)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  // dispatches above 65535 workgroups are folded into 2-D
  let net = group.x + group.y * groups.x;
  if (net >= cfg.networks) {
    return;
  }
#if ${GROUPED}
  // EvaluationRequest.pairs: groups of two, neurons (2q, 2q + 1) for q < PAIRS
  for (var j = tid; j < WIDTH[1]; j += TILE) {
    let paired = j < 2u * ${PAIRS}u;
    group_first[j] = select(NO_GROUP, j & ~1u, paired);
    group_position[j] = j & 1u;
    group_size[j] = 2u;
    group_members[j] = vec4<u32>(j & ~1u, j | 1u, 0u, 0u);
  }
#endif
  for (var p = tid; p < P; p += TILE) {
    th[p] = theta[net * P + p];
#if ${HVP}
    vv[p] = direction[net * P + p];
#endif
  }
  workgroupBarrier();
  decode_ownership(tid);
  data_base = net * cfg.data_stride;
  let loss = gradient_pass(tid, cfg.samples);

  let barrier = barrier_state(tid, cfg.maxnorm);
  let excess = barrier.y;
#if ${HVP}
  var dot_part = 0.0;
  for (var p = tid; p < P; p += TILE) {
    dot_part += th[p] * vv[p];
  }
  let theta_dot_v = workgroup_sum(tid, dot_part);
#endif
  if (tid == 0u) {
    loss_out[2u * net] = loss;
    loss_out[2u * net + 1u] = excess * excess * excess / 3.0;
  }
  // ∇R = excess²·θ/P, ∇²R v = 2·excess·(θ·v)/P²·θ + excess²·v/P
  let slope = barrier_slope(excess);
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      grad_out[net * P + p] = grad_sum[k] + slope * th[p];
#if ${HVP}
      hvp_out[net * P + p] = hvp_sum[k] + (2.0 * excess * theta_dot_v / f32(P * P)) * th[p] + slope * vv[p];
#endif
    }
  }
}
