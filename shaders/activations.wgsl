// Activations in f32: value, first and second derivative, as vec3(σ, σ', σ'').
// Near a channel the output weights are ±150 or more and cancel, so every rounding error in σ is
// amplified a few hundred times: these are written to stay accurate to ~1e-7 relative and never
// overflow (no crude approximations, no exp of a large positive argument).
// The activation is chosen at pipeline creation: exactly one ACT_* flag is true, or with
// MIXED_ACTIVATIONS the flags of every activation the ensemble holds (see activate).

const SQRT_HALF: f32 = 0.70710678118654752;
const SQRT_2_OVER_PI: f32 = 0.79788456080286536;
const INV_SQRT_2PI: f32 = 0.39894228040143268;
const TWO_OVER_SQRT_PI: f32 = 1.1283791670955126;
const INV_SQRT_PI: f32 = 0.56418958354775629;

// log(1 + t) for 0 ≤ t ≤ 1 to a few ulps relative: 2·atanh(s) with s = t/(2 + t) ≤ 1/3, by its odd
// series (eight terms: the ninth is below 1e-8 relative). WGSL's log promises only an absolute 2⁻²¹
// near 1, which is ~1e-3 relative for log(1 + 3e-4) (SwiftShader's does err so: softplus(−8) was off
// by 2e-5 relative); WGSL has no log1p.
fn log1p_unit(t: f32) -> f32 {
  let s = t / (2.0 + t);
  let s2 = s * s;
  let series = 1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0
    + s2 * (1.0 / 13.0 + s2 * (1.0 / 15.0)))))));
  return 2.0 * s * series;
}

fn sigmoid_stable(x: f32) -> f32 {
  let e = exp(-abs(x));
  let s = 1.0 / (1.0 + e);
  return select(e * s, s, x >= 0.0);
}

// σ(x)(1 − σ(x)) = e/(1+e)² with e = exp(−|x|): exact in the tails, where 1 − σ would cancel.
fn sigmoid_slope(x: f32) -> f32 {
  let e = exp(-abs(x));
  let q = 1.0 + e;
  return e / (q * q);
}

fn softplus_stable(x: f32) -> f32 {
  return max(x, 0.0) + log1p_unit(exp(-abs(x)));
}

// erf in f32 to ~1e-7 relative: a Taylor series near 0 (relative accuracy where erf ≈ x), the
// positive-term series erf(x) = (2/√π) e^{−x²} Σ 2ⁿx^{2n+1}/(2n+1)!! in the middle (no
// cancellation), and erfc's continued fraction in the tail.
fn erf_f32(x: f32) -> f32 {
  let ax = abs(x);
  let x2 = x * x;
  if (ax < 0.5) {
    // 2/√π Σ (−1)ⁿ x^{2n+1} / (n! (2n+1)), n = 0..6
    let p = 1.0 + x2 * (-0.33333333333 + x2 * (0.1 + x2 * (-0.023809523810 + x2 * (0.0046296296296
      + x2 * (-0.00075757575758 + x2 * 0.00010683760684)))));
    return TWO_OVER_SQRT_PI * x * p;
  }
  if (ax < 2.5) {
    var term = ax;
    var sum = ax;
    let twice_x2 = 2.0 * x2;
    for (var n = 1; n < 48; n++) {
      term *= twice_x2 / f32(2 * n + 1);
      sum += term;
      if (term < 1e-9 * sum) {
        break;
      }
    }
    return sign(x) * TWO_OVER_SQRT_PI * exp(-x2) * sum;
  }
  if (ax > 6.0) {
    return sign(x);
  }
  // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail
  var fraction = ax;
  for (var k = 14; k >= 1; k--) {
    fraction = ax + (0.5 * f32(k)) / fraction;
  }
  let erfc_ax = INV_SQRT_PI * exp(-x2) / fraction;
  return sign(x) * (1.0 - erfc_ax);
}

// tanh accurate near 0 (odd Taylor series) and in the tails (via exp(−2|x|)).
fn tanh_stable(x: f32) -> f32 {
  let ax = abs(x);
  if (ax < 0.3) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-0.33333333333 + x2 * (0.13333333333 + x2 * (-0.053968253968 + x2 * 0.021869488536))));
  }
  let e = exp(-2.0 * ax);
  return sign(x) * (1.0 - e) / (1.0 + e);
}

// Each activation's value and first two derivatives, vec3(σ, σ′, σ″) (…_activate), and its σ′, σ″, σ‴
// (…_slopes: the integrands of pair_activate's odd differences).
fn softplus_activate(x: f32) -> vec3<f32> {
  let s = sigmoid_stable(x);
  return vec3<f32>(softplus_stable(x), s, sigmoid_slope(x));
}
fn softplus_slopes(x: f32) -> vec3<f32> {
  // softplus′ = the sigmoid s; s′ = q = s(1 − s); s″ = q(1 − 2s) with 1 − 2s = −tanh(x/2)
  let q = sigmoid_slope(x);
  return vec3<f32>(sigmoid_stable(x), q, -q * tanh_stable(0.5 * x));
}
// g(x) = sigmoid(4x) + softplus(x)
fn g_activate(x: f32) -> vec3<f32> {
  // (1 − 2s₄ = −tanh(2x): exact near 0, where 1 − 2s₄ rounds to a multiple of 6e-8)
  let s4 = sigmoid_stable(4.0 * x);
  let ds4 = sigmoid_slope(4.0 * x);
  return vec3<f32>(s4 + softplus_stable(x), 4.0 * ds4 + sigmoid_stable(x), -16.0 * ds4 * tanh_stable(2.0 * x) + sigmoid_slope(x));
}
fn g_slopes(x: f32) -> vec3<f32> {
  let q4 = sigmoid_slope(4.0 * x);
  let q = sigmoid_slope(x);
  // g′, g″, g‴ = 4q₄ + s, 16q₄(1 − 2s₄) + q, 64q₄(1 − 6q₄) + q(1 − 2s), with 1 − 2s = −tanh(x/2)
  return vec3<f32>(4.0 * q4 + sigmoid_stable(x), -16.0 * q4 * tanh_stable(2.0 * x) + q,
    64.0 * q4 * (1.0 - 6.0 * q4) - q * tanh_stable(0.5 * x));
}
// erf(x/√2): σ′ = √(2/π) e^{−x²/2}, σ″ = −x σ′
fn erf_activate(x: f32) -> vec3<f32> {
  let d1 = SQRT_2_OVER_PI * exp(-0.5 * x * x);
  return vec3<f32>(erf_f32(x * SQRT_HALF), d1, -x * d1);
}
fn erf_slopes(x: f32) -> vec3<f32> {
  let d1 = SQRT_2_OVER_PI * exp(-0.5 * x * x);
  return vec3<f32>(d1, -x * d1, (x * x - 1.0) * d1);
}
// σ″ = σ′(1 − 2σ) with 1 − 2σ = −tanh(x/2), as for g
fn sigmoid_activate(x: f32) -> vec3<f32> {
  let ds = sigmoid_slope(x);
  return vec3<f32>(sigmoid_stable(x), ds, -ds * tanh_stable(0.5 * x));
}
fn sigmoid_slopes(x: f32) -> vec3<f32> {
  let q = sigmoid_slope(x);
  return vec3<f32>(q, -q * tanh_stable(0.5 * x), q * (1.0 - 6.0 * q));
}
fn tanh_activate(x: f32) -> vec3<f32> {
  let t = tanh_stable(x);
  let e = exp(-2.0 * abs(x));
  let sech2 = 4.0 * e / ((1.0 + e) * (1.0 + e));
  return vec3<f32>(t, sech2, -2.0 * t * sech2);
}
fn tanh_slopes(x: f32) -> vec3<f32> {
  let t = tanh_stable(x);
  let e = exp(-2.0 * abs(x));
  let sech2 = 4.0 * e / ((1.0 + e) * (1.0 + e));
  return vec3<f32>(sech2, -2.0 * t * sech2, sech2 * (4.0 * t * t - 2.0 * sech2));
}
fn relu_activate(x: f32) -> vec3<f32> {
  return vec3<f32>(max(x, 0.0), select(0.0, 1.0, x > 0.0), 0.0);
}
fn relu_slopes(x: f32) -> vec3<f32> {
  return vec3<f32>(select(0.0, 1.0, x > 0.0), 0.0, 0.0);
}
// x·Φ(x) with the exact erf
fn gelu_activate(x: f32) -> vec3<f32> {
  let phi = INV_SQRT_2PI * exp(-0.5 * x * x);
  let cdf = 0.5 * (1.0 + erf_f32(x * SQRT_HALF));
  return vec3<f32>(x * cdf, cdf + x * phi, phi * (2.0 - x * x));
}
fn gelu_slopes(x: f32) -> vec3<f32> {
  let phi = INV_SQRT_2PI * exp(-0.5 * x * x);
  let cdf = 0.5 * (1.0 + erf_f32(x * SQRT_HALF));
  return vec3<f32>(cdf + x * phi, phi * (2.0 - x * x), x * phi * (x * x - 4.0));
}

// The network's activation. A kernel for one activation calls it directly. A mixed kernel
// (MIXED_ACTIVATIONS: an ensemble holding runs of several activations, so that they share dispatches)
// switches on network_activation, the slot's code (Slot.activation, ACTIVATION_CODES in
// src/engine/gpu/mlp-kernels.ts), which load_slot_parameters sets: uniform across a workgroup, since a
// workgroup works on one network.
var<private> network_activation: u32;

fn activate(x: f32) -> vec3<f32> {
#if ${MIXED_ACTIVATIONS}
  var out = vec3<f32>(0.0);
  switch network_activation {
#if ${ACT_SOFTPLUS}
    case ${CODE_SOFTPLUS}u: { out = softplus_activate(x); }
#endif
#if ${ACT_G}
    case ${CODE_G}u: { out = g_activate(x); }
#endif
#if ${ACT_ERF}
    case ${CODE_ERF}u: { out = erf_activate(x); }
#endif
#if ${ACT_SIGMOID}
    case ${CODE_SIGMOID}u: { out = sigmoid_activate(x); }
#endif
#if ${ACT_TANH}
    case ${CODE_TANH}u: { out = tanh_activate(x); }
#endif
#if ${ACT_RELU}
    case ${CODE_RELU}u: { out = relu_activate(x); }
#endif
#if ${ACT_GELU}
    case ${CODE_GELU}u: { out = gelu_activate(x); }
#endif
    default: {}
  }
  return out;
#elif ${ACT_SOFTPLUS}
  return softplus_activate(x);
#elif ${ACT_G}
  return g_activate(x);
#elif ${ACT_ERF}
  return erf_activate(x);
#elif ${ACT_SIGMOID}
  return sigmoid_activate(x);
#elif ${ACT_TANH}
  return tanh_activate(x);
#elif ${ACT_RELU}
  return relu_activate(x);
#elif ${ACT_GELU}
  return gelu_activate(x);
#endif
}

// σ′, σ″, σ‴ at x: the integrands of pair_activate's odd differences.
fn activate_slopes(x: f32) -> vec3<f32> {
#if ${MIXED_ACTIVATIONS}
  var out = vec3<f32>(0.0);
  switch network_activation {
#if ${ACT_SOFTPLUS}
    case ${CODE_SOFTPLUS}u: { out = softplus_slopes(x); }
#endif
#if ${ACT_G}
    case ${CODE_G}u: { out = g_slopes(x); }
#endif
#if ${ACT_ERF}
    case ${CODE_ERF}u: { out = erf_slopes(x); }
#endif
#if ${ACT_SIGMOID}
    case ${CODE_SIGMOID}u: { out = sigmoid_slopes(x); }
#endif
#if ${ACT_TANH}
    case ${CODE_TANH}u: { out = tanh_slopes(x); }
#endif
#if ${ACT_RELU}
    case ${CODE_RELU}u: { out = relu_slopes(x); }
#endif
#if ${ACT_GELU}
    case ${CODE_GELU}u: { out = gelu_slopes(x); }
#endif
    default: {}
  }
  return out;
#elif ${ACT_SOFTPLUS}
  return softplus_slopes(x);
#elif ${ACT_G}
  return g_slopes(x);
#elif ${ACT_ERF}
  return erf_slopes(x);
#elif ${ACT_SIGMOID}
  return sigmoid_slopes(x);
#elif ${ACT_TANH}
  return tanh_slopes(x);
#elif ${ACT_RELU}
  return relu_slopes(x);
#elif ${ACT_GELU}
  return gelu_slopes(x);
#endif
}

// Below this |η| pair_activate integrates (see there); above it the plain difference loses at most
// a few ulps of σ⁽ᵏ⁾ against 2|η|σ⁽ᵏ⁺¹⁾. Three Gauss–Legendre nodes err by about
// 5e-7·(2|η|)⁷·|σ⁽ᵏ⁺⁷⁾|: below 1e-8 relative at |η| = 1/8, where the activation's derivatives
// grow by a factor of order one per order; g's sigmoid(4x) grows by 4 per order, hence 1/32 for g.
// relu has a kink and no channels: always the plain difference.
fn pair_quadrature_limit() -> f32 {
#if ${MIXED_ACTIVATIONS}
  if (network_activation == ${CODE_G}u) {
    return 0.03125;
  }
  return select(0.125, -1.0, network_activation == ${CODE_RELU}u);
#elif ${ACT_G}
  return 0.03125;
#elif ${ACT_RELU}
  return -1.0;
#else
  return 0.125;
#endif
}
// Gauss–Legendre on [−1, 1]: nodes 0, ±√(3/5), weights 8/9, 5/9
const GAUSS3_NODE: f32 = 0.77459666924148338;
const GAUSS3_CENTER_WEIGHT: f32 = 0.88888888888888889;
const GAUSS3_OUTER_WEIGHT: f32 = 0.55555555555555556;

struct PairActivation {
  // σ⁽ᵏ⁾(ζ + η) + σ⁽ᵏ⁾(ζ − η), k = 0, 1, 2
  sum: vec3<f32>,
  // σ⁽ᵏ⁾(ζ + η) − σ⁽ᵏ⁾(ζ − η), k = 0, 1, 2, to a few ulps of its own size
  difference: vec3<f32>,
}

// Two neurons i, j in pair coordinates (mean and half-difference of their input vectors) have
// pre-activations ζ ± η. Near a channel |η| is tiny and the output weights a_i ≈ −a_j are large, so
// the network needs a_iσ(z_i) + a_jσ(z_j) = ((a_i + a_j)·sum + (a_i − a_j)·difference)/2 with the
// difference accurate relative to itself: subtracting σ(ζ + η) − σ(ζ − η) keeps only ~u/|η| of it.
// For small |η| the difference is ∫ σ⁽ᵏ⁺¹⁾ over [ζ − η, ζ + η] instead, by Gauss–Legendre.
// The float64 reference is pairActivation in src/model/activations.ts.
fn pair_activate(zeta: f32, eta: f32) -> PairActivation {
  let plus = activate(zeta + eta);
  let minus = activate(zeta - eta);
  var difference = plus - minus;
  if (abs(eta) <= pair_quadrature_limit()) {
    let node = GAUSS3_NODE * eta;
    difference = eta * (GAUSS3_CENTER_WEIGHT * activate_slopes(zeta)
      + GAUSS3_OUTER_WEIGHT * (activate_slopes(zeta - node) + activate_slopes(zeta + node)));
  }
  return PairActivation(plus + minus, difference);
}
