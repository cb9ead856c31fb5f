// Double-float arithmetic: a value as the unevaluated sum hi + lo of two float32s (vec2<f32>: x the
// high part, y the low part, |lo| ≤ ulp(hi)/2), about 48 significant bits where float32 has 24. For
// what float32 loses to cancellation near a channel (benchmarks/results/deep-float32-emulation-*.md):
// θ, the per-sample passes and their sums over samples. The float64 reference for the algorithms is
// Hida, Li & Bailey's QD library (double-double); tests/engine/double-float-gpu.test.ts checks every
// function against float64.
//
// The error-free transformations (Knuth's TwoSum, Dekker's TwoProduct with Veltkamp's split) rely on
// IEEE float32 without reassociation; a fused multiply-add in place of x·y − p would be exact too.
// A shader compiler may still simplify where it sees constants: on SwiftShader df_div with a literal
// numerator, (2, 0)/(N, 0), returned float32's quotient (b·(2/b) folded to 2, measured 2026-12-05).
// Keep literals out of the operands whose rounding errors are being recovered; `channelscope doctor`
// checks a device's compiler.

fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = a + b;
  let bb = s - a;
  return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}

// a + b exactly when |a| ≥ |b| (or a = 0)
fn quick_two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = a + b;
  return vec2<f32>(s, b - (s - a));
}

fn split(a: f32) -> vec2<f32> {
  let c = 4097.0 * a;
  let hi = c - (c - a);
  return vec2<f32>(hi, a - hi);
}

fn two_product(a: f32, b: f32) -> vec2<f32> {
  let p = a * b;
  let x = split(a);
  let y = split(b);
  return vec2<f32>(p, ((x.x * y.x - p) + x.x * y.y + x.y * y.x) + x.y * y.y);
}

fn df_add(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let s = two_sum(a.x, b.x);
  let t = two_sum(a.y, b.y);
  let u = quick_two_sum(s.x, s.y + t.x);
  return quick_two_sum(u.x, u.y + t.y);
}

fn df_add_f(a: vec2<f32>, b: f32) -> vec2<f32> {
  let s = two_sum(a.x, b);
  return quick_two_sum(s.x, s.y + a.y);
}

fn df_sub(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  return df_add(a, -b);
}

fn df_mul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let p = two_product(a.x, b.x);
  return quick_two_sum(p.x, p.y + (a.x * b.y + a.y * b.x));
}

fn df_mul_f(a: vec2<f32>, b: f32) -> vec2<f32> {
  let p = two_product(a.x, b);
  return quick_two_sum(p.x, p.y + a.y * b);
}

// a/b: a float32 quotient, then two corrections from exactly computed remainders
fn df_div(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let q1 = a.x / b.x;
  let r1 = df_sub(a, df_mul_f(b, q1));
  let q2 = r1.x / b.x;
  let r2 = df_sub(r1, df_mul_f(b, q2));
  let q3 = r2.x / b.x;
  return df_add_f(quick_two_sum(q1, q2), q3);
}

// ln 2 = LN2_HI + LN2_LO + LN2_LO2 to about 2⁻⁷⁸ (k·ln 2 for |k| ≤ 126 must stay exact to 2⁻⁵⁰)
const LN2_HI: f32 = 0.693147182;
const LN2_LO: f32 = -1.904654212e-9;
const LN2_LO2: f32 = -8.783183739e-17;
// 1/n! for n = 2..9 as (hi, lo)
const INVERSE_FACTORIALS = array<vec2<f32>, 8>(
  vec2<f32>(0.5, 0.0),
  vec2<f32>(0.166666672, -4.96705388e-9),
  vec2<f32>(0.0416666679, -1.24176347e-9),
  vec2<f32>(0.00833333377, -4.34617203e-10),
  vec2<f32>(0.00138888892, -3.36310944e-11),
  vec2<f32>(0.000198412701, -2.72559687e-12),
  vec2<f32>(0.0000248015876, -3.40699609e-13),
  vec2<f32>(0.00000275573188, 3.79357122e-14),
);

// e^a − 1 for |a| ≤ ln 2/2, relative to itself: a = 16r, the Taylor series of e^r − 1 to r⁹ (its
// remainder below 2⁻⁶⁰ of it), then four squarings in the form m ← 2m + m² that keep m's relative
// accuracy (squaring 1 + m directly would lose it)
fn df_expm1_reduced(a: vec2<f32>) -> vec2<f32> {
  let r = a * 0.0625;
  let coefficients = INVERSE_FACTORIALS;
  var series = coefficients[7];
  for (var n = 6i; n >= 0i; n--) {
    series = df_add(df_mul(series, r), coefficients[n]);
  }
  // r + r²·(1/2! + r/3! + …)
  var m = df_add(r, df_mul(df_mul(r, r), series));
  for (var k = 0u; k < 4u; k++) {
    m = df_add(m * 2.0, df_mul(m, m));
  }
  return m;
}

// e^a; 0 below float32's smallest normal number (where a double-float has no low part left anyway)
fn df_exp(a: vec2<f32>) -> vec2<f32> {
  if (a.x < -87.0) {
    return vec2<f32>(0.0);
  }
  let k = round(a.x / LN2_HI);
  // a − k·ln 2, the two larger products exact (TwoProduct)
  let reduced = df_sub(df_sub(df_sub(a, two_product(k, LN2_HI)), two_product(k, LN2_LO)), vec2<f32>(k * LN2_LO2, 0.0));
  let e = df_add_f(df_expm1_reduced(reduced), 1.0);
  let scale = i32(k);
  return vec2<f32>(ldexp(e.x, scale), ldexp(e.y, scale));
}

// e^a − 1, relative to itself also for small |a|
fn df_expm1(a: vec2<f32>) -> vec2<f32> {
  if (abs(a.x) <= 0.5 * LN2_HI) {
    return df_expm1_reduced(a);
  }
  return df_add_f(df_exp(a), -1.0);
}

// log(1 + y) for y ≥ 0: float32's log, then two Newton steps t ← t + (1 + y)·e^−t − 1 (each squares
// the error: WGSL's log is only good to 2⁻²¹ absolute near 1). For y < 1 the correction is taken as
// m + y + y·m with m = e^−t − 1, since 1 + y itself would drop what of a small y lies below 2⁻⁴⁸;
// for larger y that form cancels (y·m ≈ −y) and (1 + y)·e^−t − 1 is the accurate one.
fn df_log1p(y: vec2<f32>) -> vec2<f32> {
  var t = vec2<f32>(log(1.0 + y.x), 0.0);
  let one_plus = df_add_f(y, 1.0);
  for (var k = 0u; k < 2u; k++) {
    var correction: vec2<f32>;
    if (y.x < 1.0) {
      let m = df_expm1(-t);
      correction = df_add(df_add(m, y), df_mul(y, m));
    } else {
      correction = df_add_f(df_mul(one_plus, df_exp(-t)), -1.0);
    }
    t = df_add(t, correction);
  }
  return t;
}

// an activation σ(z) and its first two derivatives, each a double-float
struct DoubleFloatActivation {
  value: vec2<f32>,
  slope: vec2<f32>,
  curvature: vec2<f32>,
}

// What the logistic functions of z share: e = e^−|z|, 1 + e and s(−|z|) = e/(1 + e)
struct LogisticParts {
  positive: bool,
  magnitude: vec2<f32>,
  e: vec2<f32>,
  one_plus: vec2<f32>,
  small_side: vec2<f32>,
}

fn logistic_parts(z: vec2<f32>) -> LogisticParts {
  var parts: LogisticParts;
  parts.positive = z.x >= 0.0;
  parts.magnitude = select(-z, z, parts.positive);
  parts.e = df_exp(-parts.magnitude);
  parts.one_plus = df_add_f(parts.e, 1.0);
  parts.small_side = df_div(parts.e, parts.one_plus);
  return parts;
}

// softplus σ(z) = max(z, 0) + log1p(e^−|z|) and its first two derivatives, the logistic function
// s(z) and s(z)·(1 − s(z)), from e = e^−|z| alone (no cancellation on either side of 0)
fn df_softplus(z: vec2<f32>) -> DoubleFloatActivation {
  let parts = logistic_parts(z);
  var out: DoubleFloatActivation;
  out.value = df_add(select(vec2<f32>(0.0), z, parts.positive), df_log1p(parts.e));
  out.slope = select(parts.small_side, df_add_f(-parts.small_side, 1.0), parts.positive);
  out.curvature = df_div(parts.small_side, parts.one_plus);   // e/(1 + e)²
  return out;
}

// relu is exact in double-float: z or 0, slope 1 or 0 (the high part's sign is the value's)
fn df_relu(z: vec2<f32>) -> DoubleFloatActivation {
  let positive = z.x > 0.0;
  var out: DoubleFloatActivation;
  out.value = select(vec2<f32>(0.0), z, positive);
  out.slope = vec2<f32>(select(0.0, 1.0, positive), 0.0);
  out.curvature = vec2<f32>(0.0);
  return out;
}

// the logistic function s(z), s(1 − s) = e/(1 + e)² and s(1 − s)(1 − 2s), where
// 1 − 2s = −tanh(z/2) = sign(z)·expm1(−|z|)/(1 + e) keeps its relative accuracy near 0
fn df_sigmoid(z: vec2<f32>) -> DoubleFloatActivation {
  let parts = logistic_parts(z);
  var out: DoubleFloatActivation;
  out.value = select(parts.small_side, df_add_f(-parts.small_side, 1.0), parts.positive);
  out.slope = df_div(parts.small_side, parts.one_plus);
  let minus_half_tanh = df_div(df_expm1(-parts.magnitude), parts.one_plus);   // −tanh(|z|/2)
  out.curvature = df_mul(out.slope, select(-minus_half_tanh, minus_half_tanh, parts.positive));
  return out;
}

// tanh, sech² and −2·tanh·sech², from e = e^−2|z|: tanh|z| = −expm1(−2|z|)/(1 + e) (accurate near 0)
// and sech² = 4e/(1 + e)² (1 − tanh² would cancel in the tails)
fn df_tanh(z: vec2<f32>) -> DoubleFloatActivation {
  let positive = z.x >= 0.0;
  let twice = select(z, -z, positive) * 2.0;   // −2|z|, exact
  let e = df_exp(twice);
  let one_plus = df_add_f(e, 1.0);
  let magnitude = df_div(-df_expm1(twice), one_plus);
  var out: DoubleFloatActivation;
  out.value = select(-magnitude, magnitude, positive);
  out.slope = df_div(e * 4.0, df_mul(one_plus, one_plus));
  out.curvature = df_mul(out.value, out.slope) * -2.0;
  return out;
}

// g(z) = sigmoid(4z) + softplus(z) (science.md), derivatives term by term
fn df_g(z: vec2<f32>) -> DoubleFloatActivation {
  let fast = df_sigmoid(z * 4.0);
  let soft = df_softplus(z);
  var out: DoubleFloatActivation;
  out.value = df_add(fast.value, soft.value);
  out.slope = df_add(fast.slope * 4.0, soft.slope);
  out.curvature = df_add(fast.curvature * 16.0, soft.curvature);
  return out;
}

const DF_TWO_OVER_SQRT_PI = vec2<f32>(1.12837923, -5.86353828e-8);

// erf and its derivatives 2/√π·e^−z² and −2z·2/√π·e^−z². For |z| < 6, erf|z| = 2/√π·e^−z²·Σₙ 2ⁿ|z|²ⁿ⁺¹/(2n+1)!!,
// a series of positive terms (no cancellation; at most 93 terms to 2⁻⁵⁰ at |z| = 6); beyond, erf is
// ±1 to within 2⁻⁵⁴.
fn df_erf(z: vec2<f32>) -> DoubleFloatActivation {
  let negative = z.x < 0.0;
  let x = select(z, -z, negative);
  let square = df_mul(x, x);
  let gauss = df_mul(DF_TWO_OVER_SQRT_PI, df_exp(-square));
  var magnitude = vec2<f32>(1.0, 0.0);
  if (x.x < 6.0) {
    let ratio = square * 2.0;
    var term = x;
    var sum = x;
    for (var n = 1u; n < 100u; n++) {
      term = df_div(df_mul(term, ratio), vec2<f32>(f32(2u * n + 1u), 0.0));
      sum = df_add(sum, term);
      if (term.x < 8.9e-16 * sum.x) {
        break;
      }
    }
    magnitude = df_mul(gauss, sum);
  }
  var out: DoubleFloatActivation;
  out.value = select(magnitude, -magnitude, negative);
  out.slope = gauss;
  out.curvature = df_mul(df_mul_f(z, -2.0), gauss);
  return out;
}

const DF_SQRT_HALF = vec2<f32>(0.707106769, 1.210161749e-8);

// erf(z/√2), the erf activation (activations.wgsl): σ′ = √(2/π)·e^−z²/2, σ″ = −z·σ′
fn df_erf_activation(z: vec2<f32>) -> DoubleFloatActivation {
  var out = df_erf(df_mul(z, DF_SQRT_HALF));
  out.slope = df_mul(out.slope, DF_SQRT_HALF);
  out.curvature = df_mul(-z, out.slope);
  return out;
}

// gelu z·Φ(z) with Φ = (1 + erf(z/√2))/2 and φ = Φ′: σ′ = Φ + z·φ, σ″ = φ·(2 − z²). In the left tail
// Φ keeps an absolute 2⁻⁴⁹, not a relative accuracy (the float64 engine's continued fraction would
// cost a hundred double-float divisions per neuron): σ's error against the output weights' scale is
// what a channel needs, and it stays ~2⁻⁴⁹·|z|.
fn df_gelu(z: vec2<f32>) -> DoubleFloatActivation {
  let error_function = df_erf_activation(z);
  let cdf = df_add_f(error_function.value, 1.0) * 0.5;
  let density = error_function.slope * 0.5;   // φ = (d/dz erf(z/√2))/2
  var out: DoubleFloatActivation;
  out.value = df_mul(z, cdf);
  out.slope = df_add(cdf, df_mul(z, density));
  out.curvature = df_mul(density, df_add_f(-df_mul(z, z), 2.0));
  return out;
}
