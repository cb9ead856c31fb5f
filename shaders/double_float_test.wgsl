// Check kernel for double_float.wgsl (src/engine/gpu/double-float-check.ts, run by `channelscope
// doctor` and tests/engine/double-float-gpu.test.ts): for each
// pair of double-floats (a, b) in `points` (a.hi, a.lo, b.hi, b.lo), RESULTS double-floats:
// a + b, a·b, a/b, e^a, log1p(|a|), then value, slope and curvature of softplus(a), erf(a), tanh(a),
// sigmoid(a), g(a), gelu(a) and relu(a).

@group(0) @binding(0) var<storage, read> points: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> result: array<vec2<f32>>;

const RESULTS: u32 = 26u;

@compute @workgroup_size(64)
fn double_float_check(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= arrayLength(&points)) {
    return;
  }
  let a = points[i].xy;
  let b = points[i].zw;
  let activations = array<DoubleFloatActivation, 7>(df_softplus(a), df_erf(a), df_tanh(a), df_sigmoid(a), df_g(a), df_gelu(a), df_relu(a));
  var values = array<vec2<f32>, RESULTS>();
  values[0] = df_add(a, b);
  values[1] = df_mul(a, b);
  values[2] = df_div(a, b);
  values[3] = df_exp(a);
  values[4] = df_log1p(select(-a, a, a.x >= 0.0));
  for (var f = 0u; f < 7u; f++) {
    values[5u + 3u * f] = activations[f].value;
    values[6u + 3u * f] = activations[f].slope;
    values[7u + 3u * f] = activations[f].curvature;
  }
  for (var k = 0u; k < RESULTS; k++) {
    result[RESULTS * i + k] = values[k];
  }
}
