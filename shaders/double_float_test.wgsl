// Check kernel for double_float.wgsl (src/engine/gpu/double-float-check.ts, run by `channelscope
// doctor` and tests/model/double-float-gpu.test.ts): for each
// pair of double-floats (a, b) in `points` (a.hi, a.lo, b.hi, b.lo), RESULTS double-floats:
// a + b, a·b, a/b, e^a, log1p(|a|), softplus(a) and its slope and curvature, erf(a) and its slope and
// curvature.

@group(0) @binding(0) var<storage, read> points: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> result: array<vec2<f32>>;

const RESULTS: u32 = 11u;

@compute @workgroup_size(64)
fn double_float_check(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= arrayLength(&points)) {
    return;
  }
  let a = points[i].xy;
  let b = points[i].zw;
  let activation = df_softplus(a);
  let error_function = df_erf(a);
  let values = array<vec2<f32>, RESULTS>(
    df_add(a, b),
    df_mul(a, b),
    df_div(a, b),
    df_exp(a),
    df_log1p(select(-a, a, a.x >= 0.0)),
    activation.value,
    activation.slope,
    activation.curvature,
    error_function.value,
    error_function.slope,
    error_function.curvature,
  );
  for (var k = 0u; k < RESULTS; k++) {
    result[RESULTS * i + k] = values[k];
  }
}
