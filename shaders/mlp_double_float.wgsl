// Double-float passes over a slot's samples for the stiff kernel (mlp_stiff.wgsl, DOUBLE_FLOAT: networks
// of a smooth activation with two or more hidden layers). In a deep network's channel float32 cannot hold θ, the
// per-sample gradient or the Hessian accurately enough for the flow to follow the channel
// (benchmarks/results/deep-float32-emulation-2026-12-05.md): θ is kept as th + th_low, and every
// per-sample product and sum, the activations (double_float.wgsl df_softplus, df_erf, …), the sums over
// samples, the Hessian, W's Cholesky factor and the solves are double-float (emulated, each of them
// in float32 stalls a deep channel); the gradient and the solves' results are rounded to float32
// once, for the integrator's float32 stage vectors.
//
// One sample per thread (samples tid, tid + TILE, …), two kinds of pass:
// - the gradient (df_pass): forward and backward, the gradient and the squared error summed into
//   df_sum, then over the workgroup column by column (df_reduce);
// - H (df_assemble_hessian), a chunk of samples at a time: one forward and backward pass stores what
//   every column needs into df_cache (each hidden neuron's σ, σ′, δ = ∂ℓ/∂z and σ″·∂ℓ/∂a, and the
//   output's δ); then column j, the R-operator along e_j, reads it back. Along e_j, R z is zero below
//   j's layer and in that layer nonzero for one neuron; no activation is evaluated; and only the
//   entries p ≥ j are summed (H is symmetric; parameters go layer by layer, so those need R δ of j's
//   layer and above only). Before (2026-12-05), every column was a full forward, R-forward, backward
//   and R-backward pass with the activations evaluated again, P times per Hessian.

const HIDDEN_UNITS: u32 = ${HIDDEN_UNITS}u;   // hidden neurons over all hidden layers
const DF_CHUNK: u32 = ${DF_CHUNK}u;           // columns per reduction round (df_reduce): 2·TILE·DF_CHUNK floats of `rows`
const LOSS_COLUMN: u32 = P;                   // df_sum's entry for the squared error

var<workgroup> th_low: array<f32, P>;
// the reduced columns (double-float) for their owners to pick up
var<workgroup> df_columns: array<vec2<f32>, P + 1u>;

// this thread's sample, per hidden neuron (layer by layer): σ(z), σ′(z), σ″(z), ∂ℓ/∂a (backward pass);
// in a column pass R z and R a = σ′·R z along e_j
var<private> df_value: array<vec2<f32>, HIDDEN_UNITS>;
var<private> df_slope: array<vec2<f32>, HIDDEN_UNITS>;
var<private> df_curvature: array<vec2<f32>, HIDDEN_UNITS>;
var<private> df_back: array<vec2<f32>, HIDDEN_UNITS>;
var<private> df_rz: array<vec2<f32>, HIDDEN_UNITS>;
var<private> df_ra: array<vec2<f32>, HIDDEN_UNITS>;
var<private> df_sum: array<vec2<f32>, P + 1u>;
// δ (and in a column pass R δ) of one layer, and of the layer below while it is computed
var<private> df_delta: array<vec2<f32>, MAX_WIDTH>;
var<private> df_rdelta: array<vec2<f32>, MAX_WIDTH>;
var<private> df_delta_below: array<vec2<f32>, MAX_WIDTH>;

// the network's activation (activations.wgsl's, network_activation in a mixed kernel), with σ′ and σ″
// (double_float.wgsl)
fn df_activate(z: vec2<f32>) -> DoubleFloatActivation {
#if ${MIXED_ACTIVATIONS}
  switch network_activation {
#if ${ACT_ERF}
    case ${CODE_ERF}u: { return df_erf_activation(z); }
#endif
#if ${ACT_TANH}
    case ${CODE_TANH}u: { return df_tanh(z); }
#endif
#if ${ACT_SIGMOID}
    case ${CODE_SIGMOID}u: { return df_sigmoid(z); }
#endif
#if ${ACT_G}
    case ${CODE_G}u: { return df_g(z); }
#endif
#if ${ACT_GELU}
    case ${CODE_GELU}u: { return df_gelu(z); }
#endif
#if ${ACT_RELU}
    // (only in a mixed kernel: relu alone is planned in float32)
    case ${CODE_RELU}u: { return df_relu(z); }
#endif
    default: { return df_softplus(z); }
  }
#elif ${ACT_ERF}
  return df_erf_activation(z);
#elif ${ACT_TANH}
  return df_tanh(z);
#elif ${ACT_SIGMOID}
  return df_sigmoid(z);
#elif ${ACT_G}
  return df_g(z);
#elif ${ACT_GELU}
  return df_gelu(z);
#else
  return df_softplus(z);
#endif
}

fn df_theta(p: u32) -> vec2<f32> {
  return vec2<f32>(th[p], th_low[p]);
}

// the first hidden unit of layer l (1 ≤ l ≤ NL; the output neuron is unit HIDDEN_UNITS)
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

fn df_bias(l: u32, j: u32) -> vec2<f32> {
#if ${BIASES}
  return df_theta(BIAS_OFFSET[l] + j);
#else
  return vec2<f32>(0.0);
#endif
}

fn df_preactivation(l: u32, j: u32, row: u32) -> vec2<f32> {
  var z = df_bias(l, j);
  for (var i = 0u; i < WIDTH[l - 1u]; i++) {
    z = df_add(z, df_mul(df_theta(weight_index(l, j, i)), df_input(l, i, row)));
  }
  return z;
}

// Forward through the network for dataset row `row`: every hidden neuron's σ, σ′, σ″ into the private
// arrays; returns the output f.
fn df_forward(row: u32) -> vec2<f32> {
  for (var l = 1u; l < NL; l++) {
    let offset = unit_offset(l);
    for (var j = 0u; j < WIDTH[l]; j++) {
      let activation = df_activate(df_preactivation(l, j, row));
      df_value[offset + j] = activation.value;
      df_slope[offset + j] = activation.slope;
      df_curvature[offset + j] = activation.curvature;
    }
  }
  return df_preactivation(NL, 0u, row);
}

// δ of the layer below l from δ_l: back_i = Σ_j W_ji δ_j (kept in df_back), δ_i = σ′_i·back_i
fn df_backward_layer(l: u32) {
  let below = unit_offset(l - 1u);
  for (var i = 0u; i < WIDTH[l - 1u]; i++) {
    var back = vec2<f32>(0.0);
    for (var j = 0u; j < WIDTH[l]; j++) {
      back = df_add(back, df_mul(df_theta(weight_index(l, j, i)), df_delta[j]));
    }
    df_back[below + i] = back;
    df_delta_below[i] = df_mul(df_slope[below + i], back);
  }
  for (var i = 0u; i < WIDTH[l - 1u]; i++) {
    df_delta[i] = df_delta_below[i];
  }
}

// One sample (dataset row `row`): the gradient of (f − y)² added to df_sum, and (f − y)² to the loss
// column. (The pass divides the sums by N at the end: a double-float 2/N per sample came out as
// float32's 2/N on SwiftShader.)
fn df_sample(row: u32) {
  let error = df_add_f(df_forward(row), -ys[row]);
  df_sum[LOSS_COLUMN] = df_add(df_sum[LOSS_COLUMN], df_mul(error, error));
  df_delta[0] = error * 2.0;   // output δ = 2(f − y)
  for (var l = NL; l >= 1u; l--) {
    for (var j = 0u; j < WIDTH[l]; j++) {
      // ∂/∂W_ji = δ_j·a_i
      for (var i = 0u; i < WIDTH[l - 1u]; i++) {
        let p = weight_index(l, j, i);
        df_sum[p] = df_add(df_sum[p], df_mul(df_delta[j], df_input(l, i, row)));
      }
#if ${BIASES}
      let b = BIAS_OFFSET[l] + j;
      df_sum[b] = df_add(df_sum[b], df_delta[j]);
#endif
    }
    if (l > 1u) {
      df_backward_layer(l);
    }
  }
}

// The threads' df_sum entries first…last summed over the workgroup into df_columns, a round of
// DF_CHUNK columns at a time (DF_CHUNK, a power of two, divides TILE): each thread puts its partial sums
// into `rows`; thread t adds DF_CHUNK of column t % DF_CHUNK's entries (part t / DF_CHUNK), and thread c
// the TILE / DF_CHUNK parts of column c: DF_CHUNK + TILE / DF_CHUNK additions in a row rather than TILE.
const DF_PARTS: u32 = TILE / DF_CHUNK;

fn df_reduce(tid: u32, first: u32, last: u32) {
  workgroupBarrier();
  let column = tid % DF_CHUNK;
  let part = tid / DF_CHUNK;
  for (var start = first; start <= last; start += DF_CHUNK) {
    for (var c = 0u; c < DF_CHUNK; c++) {
      if (start + c <= last) {
        let at = 2u * (c * TILE + tid);
        rows[at] = df_sum[start + c].x;
        rows[at + 1u] = df_sum[start + c].y;
      }
    }
    workgroupBarrier();
    var partial = vec2<f32>(0.0);
    if (start + column <= last) {
      for (var t = part * DF_CHUNK; t < (part + 1u) * DF_CHUNK; t++) {
        let at = 2u * (column * TILE + t);
        partial = df_add(partial, vec2<f32>(rows[at], rows[at + 1u]));
      }
    }
    workgroupBarrier();
    rows[2u * (column * DF_PARTS + part)] = partial.x;
    rows[2u * (column * DF_PARTS + part) + 1u] = partial.y;
    workgroupBarrier();
    if (tid < DF_CHUNK && start + tid <= last) {
      var total = vec2<f32>(0.0);
      for (var q = 0u; q < DF_PARTS; q++) {
        let at = 2u * (tid * DF_PARTS + q);
        total = df_add(total, vec2<f32>(rows[at], rows[at + 1u]));
      }
      df_columns[start + tid] = total;
    }
    workgroupBarrier();
  }
}

// A pass over the slot's `count` samples: the gradient of the loss without the barrier, rounded to
// float32, into this thread's owned entries (grad_sum); returns the loss (mean squared error) on
// every thread.
fn df_pass(tid: u32, count: u32) -> f32 {
  for (var p = 0u; p <= P; p++) {
    df_sum[p] = vec2<f32>(0.0);
  }
  for (var n = tid; n < count; n += TILE) {
    df_sample(sample_row(n));
  }
  df_reduce(tid, 0u, P);
  let samples = vec2<f32>(f32(count), 0.0);
  for (var k = 0u; k < OWN; k++) {
    let p = tid + k * TILE;
    if (p < P) {
      let mean = df_div(df_columns[p], samples);
      grad_sum[k] = mean.x + mean.y;
    }
  }
  let loss = df_div(df_columns[LOSS_COLUMN], samples);
  workgroupBarrier();
  return loss.x + loss.y;
}

// ---- H's columns from cached samples ----------------------------------------------------------------
// df_cache holds, per slot, a chunk of up to DF_CACHE_SAMPLES samples (min(N, DF_CACHE_SAMPLES), the
// host's doubleFloatCacheFloats; with SPLIT_HESSIAN all N): for each unit u (hidden neurons, then the
// output) and field, a high and a low row of one float per sample, so that consecutive threads read
// consecutive floats.

@group(0) @binding(10) var<storage, read_write> df_cache: array<f32>;
const DF_CACHE_SAMPLES: u32 = ${DF_CACHE_SAMPLES}u;
const CACHE_UNITS: u32 = HIDDEN_UNITS + 1u;
const CACHE_VALUE: u32 = 0u;    // σ(z)
const CACHE_SLOPE: u32 = 1u;    // σ′(z)
const CACHE_DELTA: u32 = 2u;    // δ = ∂ℓ/∂z (the output's: 2(f − y), its only field)
const CACHE_CURVED: u32 = 3u;   // σ″(z)·∂ℓ/∂a
const CACHE_FIELDS: u32 = 4u;

var<private> cache_base: u32;   // slot·(this slot's floats)

fn cache_capacity() -> u32 {
#if ${SPLIT_HESSIAN}
  return cfg.samples;   // the Hessian's own dispatches cache every sample at once
#else
  return min(cfg.samples, DF_CACHE_SAMPLES);
#endif
}

fn set_cache_slot(slot: u32) {
  cache_base = slot * 2u * CACHE_FIELDS * CACHE_UNITS * cache_capacity();
}

fn cache_index(field: u32, u: u32, at: u32) -> u32 {
  return cache_base + 2u * (field * CACHE_UNITS + u) * cache_capacity() + at;
}

fn cached(field: u32, u: u32, at: u32) -> vec2<f32> {
  let index = cache_index(field, u, at);
  return vec2<f32>(df_cache[index], df_cache[index + cache_capacity()]);
}

fn store_cached(field: u32, u: u32, at: u32, value: vec2<f32>) {
  let index = cache_index(field, u, at);
  df_cache[index] = value.x;
  df_cache[index + cache_capacity()] = value.y;
}

// forward and backward for dataset row `row` into the chunk's column `at`
fn df_cache_sample(row: u32, at: u32) {
  df_delta[0] = df_add_f(df_forward(row), -ys[row]) * 2.0;
  store_cached(CACHE_DELTA, HIDDEN_UNITS, at, df_delta[0]);
  for (var l = NL; l > 1u; l--) {
    df_backward_layer(l);
    let below = unit_offset(l - 1u);
    for (var i = 0u; i < WIDTH[l - 1u]; i++) {
      let u = below + i;
      store_cached(CACHE_VALUE, u, at, df_value[u]);
      store_cached(CACHE_SLOPE, u, at, df_slope[u]);
      store_cached(CACHE_DELTA, u, at, df_delta[i]);
      store_cached(CACHE_CURVED, u, at, df_mul(df_curvature[u], df_back[u]));
    }
  }
}

// Column j's entries p ≥ j for one sample (row `row`, chunk column `at`) added to df_sum: the
// R-operator along e_j, θ_j = W_L[k][i] or b_L[k] (place = (L, k, i)).
fn df_column_sample(row: u32, at: u32, j: u32, place: vec3<u32>) {
  let layer = place.x;
  for (var l = max(layer, 2u) - 1u; l < NL; l++) {
    let offset = unit_offset(l);
    for (var n = 0u; n < WIDTH[l]; n++) {
      df_value[offset + n] = cached(CACHE_VALUE, offset + n, at);
    }
  }
  // R forward: in j's layer only neuron k moves, by its input i (1 for a bias)
  var rf = vec2<f32>(0.0);
  for (var l = layer; l <= NL; l++) {
    let offset = unit_offset(l);
    for (var n = 0u; n < WIDTH[l]; n++) {
      var rz = vec2<f32>(0.0);
      if (l == layer) {
        if (n == place.y) {
          rz = vec2<f32>(1.0, 0.0);
          if (place.z != BIAS_INPUT) {
            rz = df_input(l, place.z, row);
          }
        }
      } else {
        let below = unit_offset(l - 1u);
        for (var i = 0u; i < WIDTH[l - 1u]; i++) {
          rz = df_add(rz, df_mul(df_theta(weight_index(l, n, i)), df_ra[below + i]));
        }
      }
      if (l == NL) {
        rf = rz;
      } else {
        df_rz[offset + n] = rz;
        df_ra[offset + n] = df_mul(cached(CACHE_SLOPE, offset + n, at), rz);
      }
    }
  }
  // R backward from R δ = 2·R f, summing R(∂ℓ/∂W_ni) = R δ_n·a_i + δ_n·R a_i (R a_i = 0 in j's layer)
  df_rdelta[0] = rf * 2.0;
  for (var l = NL; l >= layer; l--) {
    let offset = unit_offset(l);
    for (var n = 0u; n < WIDTH[l]; n++) {
      let rdelta = df_rdelta[n];
      let delta = cached(CACHE_DELTA, offset + n, at);
      for (var i = 0u; i < WIDTH[l - 1u]; i++) {
        let p = weight_index(l, n, i);
        if (p >= j) {
          var term = df_mul(rdelta, df_input(l, i, row));
          if (l > layer) {
            term = df_add(term, df_mul(delta, df_ra[unit_offset(l - 1u) + i]));
          }
          df_sum[p] = df_add(df_sum[p], term);
        }
      }
#if ${BIASES}
      let b = BIAS_OFFSET[l] + n;
      if (b >= j) {
        df_sum[b] = df_add(df_sum[b], rdelta);
      }
#endif
    }
    if (l == layer) {
      break;
    }
    // R δ of layer l − 1 (≥ j's layer): σ′_i·Σ_n W_ni R δ_n + σ″_i·∂ℓ/∂a_i·R z_i
    let below = unit_offset(l - 1u);
    for (var i = 0u; i < WIDTH[l - 1u]; i++) {
      var rback = vec2<f32>(0.0);
      for (var n = 0u; n < WIDTH[l]; n++) {
        rback = df_add(rback, df_mul(df_theta(weight_index(l, n, i)), df_rdelta[n]));
      }
      let u = below + i;
      df_delta_below[i] = df_add(df_mul(cached(CACHE_SLOPE, u, at), rback), df_mul(cached(CACHE_CURVED, u, at), df_rz[u]));
    }
    for (var i = 0u; i < WIDTH[l - 1u]; i++) {
      df_rdelta[i] = df_delta_below[i];
    }
  }
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

// H(θ) in double-float into `hessian`: the data part summed chunk by chunk (df_cache) into the entries
// p ≥ j of each column j, divided by N, the barrier's ∇²R = 2·excess/P²·θθᵀ + excess²/P·I added
// (float32 θ: the barrier is smooth), and the lower triangle mirrored into the upper (the float64
// engine averages H and Hᵀ instead: the same to double-float rounding)
fn df_assemble_hessian(tid: u32, excess: f32, slope: f32) {
  for (var idx = tid; idx < MAT_STRIDE; idx += TILE) {
    hessian[mat_base + idx] = 0.0;
  }
  storageBarrier();
  let capacity = cache_capacity();
  // (each thread reads back only the chunk columns it wrote: no barrier between the passes)
  for (var start = 0u; start < cfg.samples; start += capacity) {
    let count = min(capacity, cfg.samples - start);
    for (var at = tid; at < count; at += TILE) {
      df_cache_sample(sample_row(start + at), at);
    }
    for (var j = 0u; j < P; j++) {
      df_column_sums(tid, j, start, count);
      for (var p = j + tid; p < P; p += TILE) {
        df_store_hessian(p * P + j, df_add(df_hessian(p * P + j), df_columns[p]));
      }
    }
  }
  storageBarrier();
  df_finish_hessian(tid, excess, slope);
}

// Column j's entries p ≥ j summed over the `count` cached samples from `start` (cache columns 0…count−1)
// into df_columns (every thread returns after the workgroup's reduction)
fn df_column_sums(tid: u32, j: u32, start: u32, count: u32) {
  let place = parameter_place(j);
  for (var p = j; p < P; p++) {
    df_sum[p] = vec2<f32>(0.0);
  }
  for (var at = tid; at < count; at += TILE) {
    df_column_sample(sample_row(start + at), at, j, place);
  }
  df_reduce(tid, j, P - 1u);
}

// `hessian`'s sums in the lower triangle divided by N, the barrier's terms added, mirrored
fn df_finish_hessian(tid: u32, excess: f32, slope: f32) {
  let samples = vec2<f32>(f32(cfg.samples), 0.0);
  for (var idx = tid; idx < P * P; idx += TILE) {
    let p = idx / P;
    let j = idx % P;
    if (p >= j) {
      let barrier = 2.0 * excess * th[j] / f32(P * P) * th[p] + select(0.0, slope, p == j);
      df_store_hessian(idx, df_add_f(df_div(df_hessian(idx), samples), barrier));
    }
  }
  storageBarrier();
  for (var idx = tid; idx < P * P; idx += TILE) {
    let i = idx / P;
    let j = idx % P;
    if (i < j) {
      df_store_hessian(idx, df_hessian(j * P + i));
    }
  }
  storageBarrier();
}
