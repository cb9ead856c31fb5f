// Test kernel for activations.wgsl (used only by tests/model/activations-gpu.test.ts): for each
// (ζ, η) in `points`, pair_activate's sums and differences and, for comparison, the plain
// differences activate(ζ + η) − activate(ζ − η): 9 floats per point.

@group(0) @binding(0) var<storage, read> points: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> result: array<f32>;

@compute @workgroup_size(64)
fn pair_check(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= arrayLength(&points)) {
    return;
  }
  let zeta = points[i].x;
  let eta = points[i].y;
  let pair = pair_activate(zeta, eta);
  let plain = activate(zeta + eta) - activate(zeta - eta);
  for (var k = 0u; k < 3u; k++) {
    result[9u * i + k] = pair.sum[k];
    result[9u * i + 3u + k] = pair.difference[k];
    result[9u * i + 6u + k] = plain[k];
  }
}
