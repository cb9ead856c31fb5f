// Double-float passes over a slot's samples for the stiff kernel (mlp_stiff.wgsl, DOUBLE_FLOAT: softplus
// and erf networks with two or more hidden layers). In a deep network's channel float32 cannot hold θ, the
// per-sample gradient or the Hessian accurately enough for the flow to follow the channel
// (benchmarks/results/deep-float32-emulation-2026-12-05.md): θ is kept as th + th_low, and every
// per-sample product and sum, the activations (double_float.wgsl df_softplus, df_erf), the sums over
// samples, the Hessian, W's Cholesky factor and the solves are double-float (emulated, each of them
// in float32 stalls a deep channel); the gradient and the solves' results are rounded to float32
// once, for the integrator's float32 stage vectors.
//
// One sample per thread (samples tid, tid + TILE, …). A pass accumulates, per thread, either the
// gradient of the loss or one Hessian-vector product (the R-operator along the workgroup vector vv)
// into df_sum, and the squared error; the workgroup then sums the threads' df_sum column by column.

const HIDDEN_UNITS: u32 = ${HIDDEN_UNITS}u;   // hidden neurons over all hidden layers
const DF_CHUNK: u32 = ${DF_CHUNK}u;           // columns per reduction round: 2·TILE·DF_CHUNK floats of `rows`
const LOSS_COLUMN: u32 = P;                   // df_sum's entry for the squared error

var<workgroup> th_low: array<f32, P>;
// the reduced columns (double-float) for their owners to pick up
var<workgroup> df_columns: array<vec2<f32>, P + 1u>;

// this thread's sample: per hidden neuron (layer by layer) σ(z), σ′(z), σ″(z), R z and R a = σ′·R z
var<private> df_value: array<vec2<f32>, HIDDEN_UNITS>;
var<private> df_slope: array<vec2<f32>, HIDDEN_UNITS>;
var<private> df_curvature: array<vec2<f32>, HIDDEN_UNITS>;
var<private> df_rz: array<vec2<f32>, HIDDEN_UNITS>;
var<private> df_ra: array<vec2<f32>, HIDDEN_UNITS>;
var<private> df_sum: array<vec2<f32>, P + 1u>;

const DF_SQRT_HALF = vec2<f32>(0.707106769, 1.210161749e-8);

// the network's activation (activations.wgsl's): softplus, or erf(z/√2) with σ′ = √(2/π)·e^−z²/2
// and σ″ = −z·σ′
fn df_activate(z: vec2<f32>) -> DoubleFloatActivation {
#if ${ACT_ERF}
  var out = df_erf(df_mul(z, DF_SQRT_HALF));
  out.slope = df_mul(out.slope, DF_SQRT_HALF);
  out.curvature = df_mul(-z, out.slope);
  return out;
#else
  return df_softplus(z);
#endif
}

fn df_theta(p: u32) -> vec2<f32> {
  return vec2<f32>(th[p], th_low[p]);
}

// the first hidden unit of hidden layer l (1 ≤ l < NL)
fn unit_offset(l: u32) -> u32 {
  var offset = 0u;
  for (var m = 1u; m < l; m++) {
    offset += WIDTH[m];
  }
  return offset;
}

// input i of layer l for sample row `row`: x_i for the first layer, else σ of the layer below
fn df_input(l: u32, i: u32, row: u32) -> vec2<f32> {
  if (l == 1u) {
    return vec2<f32>(xs[row * D + i], 0.0);
  }
  return df_value[unit_offset(l - 1u) + i];
}

// R(input i of layer l): 0 for the data, R a = σ′·Rz for a hidden neuron
fn df_input_r(l: u32, i: u32) -> vec2<f32> {
  if (l == 1u) {
    return vec2<f32>(0.0);
  }
  return df_ra[unit_offset(l - 1u) + i];
}

fn df_bias(l: u32, j: u32) -> vec2<f32> {
#if ${BIASES}
  return df_theta(BIAS_OFFSET[l] + j);
#else
  return vec2<f32>(0.0);
#endif
}

// pre-activation of neuron j of layer l and, with r_operator, its R z along vv
fn df_preactivation(l: u32, j: u32, row: u32, r_operator: bool) -> array<vec2<f32>, 2> {
  var z = df_bias(l, j);
  var rz = vec2<f32>(dir_bias(l, j), 0.0);
  for (var i = 0u; i < WIDTH[l - 1u]; i++) {
    let p = weight_index(l, j, i);
    let input = df_input(l, i, row);
    z = df_add(z, df_mul(df_theta(p), input));
    if (r_operator) {
      rz = df_add(rz, df_add(df_mul_f(input, vv[p]), df_mul(df_theta(p), df_input_r(l, i))));
    }
  }
  return array<vec2<f32>, 2>(z, rz);
}

// δ (and Rδ) of the layer below l from δ_l: back_i = Σ_j W_ji δ_j, δ_i = σ′_i·back_i,
// Rδ_i = σ′_i·Σ_j (V_ji δ_j + W_ji Rδ_j) + σ″_i·Rz_i·back_i
var<private> df_delta: array<vec2<f32>, MAX_WIDTH>;
var<private> df_rdelta: array<vec2<f32>, MAX_WIDTH>;
var<private> df_delta_below: array<vec2<f32>, MAX_WIDTH>;
var<private> df_rdelta_below: array<vec2<f32>, MAX_WIDTH>;

fn df_backward_layer(l: u32, r_operator: bool) {
  let below = unit_offset(l - 1u);
  for (var i = 0u; i < WIDTH[l - 1u]; i++) {
    var back = vec2<f32>(0.0);
    var rback = vec2<f32>(0.0);
    for (var j = 0u; j < WIDTH[l]; j++) {
      let p = weight_index(l, j, i);
      back = df_add(back, df_mul(df_theta(p), df_delta[j]));
      if (r_operator) {
        rback = df_add(rback, df_add(df_mul_f(df_delta[j], vv[p]), df_mul(df_theta(p), df_rdelta[j])));
      }
    }
    let u = below + i;
    df_delta_below[i] = df_mul(df_slope[u], back);
    if (r_operator) {
      df_rdelta_below[i] = df_add(df_mul(df_slope[u], rback), df_mul(df_mul(df_curvature[u], df_rz[u]), back));
    }
  }
  for (var i = 0u; i < WIDTH[l - 1u]; i++) {
    df_delta[i] = df_delta_below[i];
    df_rdelta[i] = df_rdelta_below[i];
  }
}

// One sample (dataset row `row`): forward, then the gradient of (f − y)² (or with r_operator its
// Hessian-vector product along vv) added to df_sum, and (f − y)² to the loss column. (The pass divides
// the sums by N at the end: a double-float 2/N per sample came out as float32's 2/N on SwiftShader.)
fn df_sample(row: u32, r_operator: bool) {
  var rf = vec2<f32>(0.0);
  var f = vec2<f32>(0.0);
  for (var l = 1u; l <= NL; l++) {
    let offset = unit_offset(l);
    for (var j = 0u; j < WIDTH[l]; j++) {
      let pre = df_preactivation(l, j, row, r_operator);
      if (l == NL) {
        f = pre[0];
        rf = pre[1];
      } else {
        let activation = df_activate(pre[0]);
        df_value[offset + j] = activation.value;
        df_slope[offset + j] = activation.slope;
        df_curvature[offset + j] = activation.curvature;
        df_rz[offset + j] = pre[1];
        // once per neuron: every neuron of the layer above and the backward pass read it
        df_ra[offset + j] = df_mul(activation.slope, pre[1]);
      }
    }
  }
  let error = df_add_f(f, -ys[row]);
  df_sum[LOSS_COLUMN] = df_add(df_sum[LOSS_COLUMN], df_mul(error, error));
  // output δ = 2(f − y), Rδ = 2Rf
  df_delta[0] = error * 2.0;
  df_rdelta[0] = rf * 2.0;
  for (var l = NL; l >= 1u; l--) {
    for (var j = 0u; j < WIDTH[l]; j++) {
      // ∂/∂W_ji = δ_j·a_i; R of it = Rδ_j·a_i + δ_j·R a_i
      for (var i = 0u; i < WIDTH[l - 1u]; i++) {
        let p = weight_index(l, j, i);
        var term: vec2<f32>;
        if (r_operator) {
          term = df_add(df_mul(df_rdelta[j], df_input(l, i, row)), df_mul(df_delta[j], df_input_r(l, i)));
        } else {
          term = df_mul(df_delta[j], df_input(l, i, row));
        }
        df_sum[p] = df_add(df_sum[p], term);
      }
#if ${BIASES}
      let b = BIAS_OFFSET[l] + j;
      df_sum[b] = df_add(df_sum[b], select(df_delta[j], df_rdelta[j], r_operator));
#endif
    }
    if (l > 1u) {
      df_backward_layer(l, r_operator);
    }
  }
}

// A pass over the slot's `count` samples: into this thread's owned entries the gradient (grad_sum) or,
// with r_operator, the Hessian-vector product along vv, both of the loss without the barrier, into
// df_columns, and the gradient rounded to float32 into grad_sum; returns the loss (mean squared
// error) on every thread.
fn df_pass(tid: u32, count: u32, r_operator: bool) -> f32 {
  for (var p = 0u; p <= P; p++) {
    df_sum[p] = vec2<f32>(0.0);
  }
  for (var n = tid; n < count; n += TILE) {
    df_sample(sample_row(n), r_operator);
  }
  // column by column: each thread's partial sums into `rows`, then thread c sums column c's
  workgroupBarrier();
  for (var start = 0u; start <= P; start += DF_CHUNK) {
    for (var c = 0u; c < DF_CHUNK; c++) {
      if (start + c <= P) {
        let at = 2u * (c * TILE + tid);
        rows[at] = df_sum[start + c].x;
        rows[at + 1u] = df_sum[start + c].y;
      }
    }
    workgroupBarrier();
    if (tid < DF_CHUNK && start + tid <= P) {
      var total = vec2<f32>(0.0);
      for (var t = 0u; t < TILE; t++) {
        let at = 2u * (tid * TILE + t);
        total = df_add(total, vec2<f32>(rows[at], rows[at + 1u]));
      }
      df_columns[start + tid] = df_div(total, vec2<f32>(f32(count), 0.0));
    }
    workgroupBarrier();
  }
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      grad_sum[k] = df_columns[p].x + df_columns[p].y;
    }
  }
  let loss = df_columns[LOSS_COLUMN].x + df_columns[LOSS_COLUMN].y;
  workgroupBarrier();
  return loss;
}

// ---- The linear algebra of a step in double-float -------------------------------------------------
// H and the Cholesky factor of W = I + hd·H live in `hessian` and `factor` as two P×P halves per
// slot, high parts at mat_base and low parts P² later (MAT_STRIDE = 2P²). Emulated, a float32
// factorisation with iterative refinement against the double-float W does not follow a deep channel
// (refined 6 times: seed 4 stalls at weight norm 19): W's float32 rounding moves the nearly flat
// channel direction, which in network coordinates is a small difference of large entries.

const LOW: u32 = P * P;   // offset of the low halves

// entry idx of the factor (of H), both halves (separate functions: an entry point that only
// assembles H must not use the factor's binding)
fn df_factor(idx: u32) -> vec2<f32> {
  return vec2<f32>(factor[mat_base + idx], factor[mat_base + LOW + idx]);
}

fn df_hessian(idx: u32) -> vec2<f32> {
  return vec2<f32>(hessian[mat_base + idx], hessian[mat_base + LOW + idx]);
}

fn df_store_factor(idx: u32, value: vec2<f32>) {
  factor[mat_base + idx] = value.x;
  factor[mat_base + LOW + idx] = value.y;
}

fn df_store_hessian(idx: u32, value: vec2<f32>) {
  hessian[mat_base + idx] = value.x;
  hessian[mat_base + LOW + idx] = value.y;
}

fn df_sqrt(a: vec2<f32>) -> vec2<f32> {
  let s = sqrt(a.x);
  // one Newton step: s + (a − s²)/(2s), the remainder exact
  let remainder = df_sub(a, two_product(s, s));
  return quick_two_sum(s, remainder.x / (2.0 * s));
}

var<workgroup> df_pivot: vec2<f32>;

// Cholesky factor of W = I + hd·H into `factor` (lower triangle), column by column in device memory
// (a step's cost is the P Hessian columns' passes; this is P³/6 double-float updates). Returns true on
// every thread when a pivot was not positive and finite (uniform).
fn df_factorize(tid: u32, hd: f32) -> bool {
  storageBarrier();
  for (var idx = tid; idx < P * P; idx += TILE) {
    let i = idx / P;
    let j = idx % P;
    if (j <= i) {
      df_store_factor(idx, df_add_f(df_mul_f(df_hessian(idx), hd), select(0.0, 1.0, i == j)));
    }
  }
  storageBarrier();
  var failed = false;
  for (var c = 0u; c < P; c++) {
    if (tid == 0u) {
      df_pivot = df_factor(c * P + c);
    }
    let pivot = workgroupUniformLoad(&df_pivot);
    let good = pivot.x > 0.0 && is_finite(pivot.x);
    failed = failed || !good;
    let diagonal = select(vec2<f32>(1.0, 0.0), df_sqrt(pivot), good);
    for (var i = c + tid; i < P; i += TILE) {
      let idx = i * P + c;
      df_store_factor(idx, select(df_div(df_factor(idx), diagonal), diagonal, i == c));
    }
    storageBarrier();
    // the trailing triangle: W_ij −= L_ic·L_jc for c < j ≤ i
    let m = P - c - 1u;
    for (var idx = tid; idx < m * m; idx += TILE) {
      let i = c + 1u + idx / m;
      let j = c + 1u + idx % m;
      if (j <= i) {
        let at = i * P + j;
        df_store_factor(at, df_sub(df_factor(at), df_mul(df_factor(i * P + c), df_factor(j * P + c))));
      }
    }
    storageBarrier();
  }
  return uniform_bool(tid, failed);
}

var<workgroup> df_x: array<vec2<f32>, P>;

// sol ← W⁻¹ rhs with W = L Lᵀ in double-float, rounded to float32 at the end: forward and back
// substitution column by column as triangular_solves does
fn df_solve(tid: u32) {
  workgroupBarrier();
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      df_x[p] = vec2<f32>(rhs[k], 0.0);
    }
  }
  workgroupBarrier();
  for (var j = 0u; j < P; j++) {
    let y = df_div(df_x[j], df_factor(j * P + j));
    workgroupBarrier();   // every thread has read x_j before it is overwritten
    for (var i = j + 1u + tid; i < P; i += TILE) {
      df_x[i] = df_sub(df_x[i], df_mul(df_factor(i * P + j), y));
    }
    if (tid == 0u) {
      df_x[j] = y;
    }
    workgroupBarrier();
  }
  for (var jj = 0u; jj < P; jj++) {
    let j = P - 1u - jj;
    let y = df_div(df_x[j], df_factor(j * P + j));
    workgroupBarrier();   // every thread has read x_j before it is overwritten
    for (var i = tid; i < j; i += TILE) {
      df_x[i] = df_sub(df_x[i], df_mul(df_factor(j * P + i), y));
    }
    if (tid == 0u) {
      df_x[j] = y;
    }
    workgroupBarrier();
  }
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      sol[k] = df_x[p].x + df_x[p].y;
    }
  }
  workgroupBarrier();
}

// H(θ) in double-float into `hessian`: column j from the R-operator pass along e_j, the barrier's
// ∇²R = 2·excess/P²·θθᵀ + excess²/P·I added (float32 θ: the barrier is smooth), then (H + Hᵀ)/2
fn df_assemble_hessian(tid: u32, excess: f32, slope: f32) {
  for (var j = 0u; j < P; j++) {
    for (var p = tid; p < P; p += TILE) {
      vv[p] = select(0.0, 1.0, p == j);
    }
    workgroupBarrier();
    df_pass(tid, cfg.samples, true);
    let rank_one = 2.0 * excess * th[j] / f32(P * P);
    for (var p = tid; p < P; p += TILE) {
      df_store_hessian(p * P + j, df_add_f(df_columns[p], rank_one * th[p] + select(0.0, slope, p == j)));
    }
    workgroupBarrier();
  }
  storageBarrier();
  for (var idx = tid; idx < P * P; idx += TILE) {
    let i = idx / P;
    let j = idx % P;
    if (i < j) {
      let mean = df_mul_f(df_add(df_hessian(i * P + j), df_hessian(j * P + i)), 0.5);
      df_store_hessian(i * P + j, mean);
      df_store_hessian(j * P + i, mean);
    }
  }
  storageBarrier();
}
